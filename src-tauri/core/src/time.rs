//! Instants are stored as UTC unix seconds; user-typed times are in the shop's time zone.

use crate::error::{CoreError, Result};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub fn from_unix(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

pub fn now() -> i64 {
    Utc::now().timestamp()
}

pub fn parse_tz(name: &str) -> Result<Tz> {
    name.parse::<Tz>()
        .map_err(|_| CoreError::TimezoneInvalid(name.to_owned()))
}

/// RFC 3339, or "YYYY-MM-DD" / "YYYY-MM-DDTHH:MM[:SS]" / "YYYY-MM-DD HH:MM" in `tz`.
pub fn parse_instant(s: &str, tz: Tz) -> Result<i64> {
    let s = s.trim();
    let bad = || CoreError::TimeInvalid(s.to_owned());
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.timestamp());
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(12, 0, 0))
    })
    .ok_or_else(bad)?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp()),
        LocalResult::None => Err(bad()),
    }
}

/// The shop-local calendar day of an instant.
pub fn local_date(ts: i64, tz: Tz) -> NaiveDate {
    from_unix(ts).with_timezone(&tz).date_naive()
}

/// The first instant of a shop-local day (the earliest valid local time across a DST gap).
pub fn day_start(d: NaiveDate, tz: Tz) -> i64 {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
        LocalResult::None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp()),
    }
}

/// Today in the shop's time zone.
pub fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_times_in_the_shop_zone() {
        let tz = parse_tz("Asia/Ho_Chi_Minh").unwrap();
        let t = parse_instant("2026-11-23T09:30", tz).unwrap();
        assert_eq!(from_unix(t).to_rfc3339(), "2026-11-23T02:30:00+00:00");
        let d = parse_instant("2026-11-23", tz).unwrap();
        assert_eq!(from_unix(d).to_rfc3339(), "2026-11-23T05:00:00+00:00");
        let z = parse_instant("2026-11-23T09:30:00Z", tz).unwrap();
        assert_eq!(from_unix(z).to_rfc3339(), "2026-11-23T09:30:00+00:00");
        assert!(parse_instant("23/11/2026", tz).is_err());
        assert!(parse_tz("Mars/Olympus").is_err());
    }
}
