//! Every bound on numbers and dates, in one place. A leaf: depends on error and time only.
//!
//! Why these values. Amounts are bounded in minor units, the unit all sums use:
//! - A bill is at most 10,000,000,000 minor units: 10 billion ₫ (about 400,000 USD), far
//!   beyond a shop's largest sale (a car, a year of wholesale) yet far below i64. In a
//!   currency with decimals the same number of minor units is 100 million USD or EUR
//!   (exponent 2) or 10 million KWD (exponent 3): still more than any one bill of a shop.
//! - A customer's bills add up to at most 10,000,000,000,000 minor units (1,000 bills at the
//!   maximum, 10,000 billion ₫). Every per-customer sum is then below 2^53, so it is exact
//!   even as SQLite's floating `total()`, and all customers of a shop together would need
//!   over 900,000 customers at the cap to come near i64.
//! - Points: one adjustment, and the points one bill earns, are at most 10,000,000 (10
//!   billion ₫ at the default 1,000 ₫ a point); a balance is at most 10^12 points.
//! - Purchase dates lie between 2000-01-01 and tomorrow in the shop's time zone (a clock a
//!   day ahead, or a bill typed just after midnight, is not refused). An owner importing
//!   older history, or whose computer clock is wrong, sets `purchase_dates` to `any`; even
//!   then a date lies between 1900-01-01 and 9999-12-31, which every spreadsheet can show.

use crate::error::{CoreError, Result};
use crate::time;
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

pub const BILL_MAX_MINOR: i64 = 10_000_000_000;
pub const CUSTOMER_TOTAL_MAX_MINOR: i64 = 10_000_000_000_000;
pub const POINTS_ADJUST_MAX: i64 = 10_000_000;
pub const POINTS_PURCHASE_MAX: i64 = 10_000_000;
pub const POINTS_BALANCE_MAX: i64 = 1_000_000_000_000;

/// The setting that lifts the purchase-date window, and its two values.
pub const DATES_SETTING: &str = "purchase_dates";
pub const DATES_RECENT: &str = "recent";
pub const DATES_ANY: &str = "any";

/// The earliest purchase date unless the owner allows any date.
pub fn purchase_date_min() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The widest dates ever stored: what an XLSX date cell can hold.
pub fn date_floor() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub fn date_ceiling() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn money_text(minor: i64, exp: u32) -> String {
    rust_decimal::Decimal::new(minor, exp).to_string()
}

/// The refusal of an amount past the per-bill limit.
pub fn amount_over(exp: u32) -> CoreError {
    CoreError::AmountOverLimit {
        max: money_text(BILL_MAX_MINOR, exp),
    }
}

/// A bill's total (or a line's unit price) in minor units: 0..=BILL_MAX_MINOR.
pub fn check_bill(minor: i64, exp: u32) -> Result<()> {
    if !(0..=BILL_MAX_MINOR).contains(&minor) {
        return Err(amount_over(exp));
    }
    Ok(())
}

/// What a customer's bills add up to once `adding` more is recorded.
pub fn check_customer_total(gross_minor: i64, adding: i64, exp: u32) -> Result<i64> {
    gross_minor
        .checked_add(adding)
        .filter(|t| (0..=CUSTOMER_TOTAL_MAX_MINOR).contains(t))
        .ok_or_else(|| CoreError::CustomerTotalOverLimit {
            max: money_text(CUSTOMER_TOTAL_MAX_MINOR, exp),
        })
}

/// A manual points change: non-zero is checked by the caller; the size here.
pub fn check_adjust(delta: i64) -> Result<()> {
    if delta.checked_abs().is_none_or(|d| d > POINTS_ADJUST_MAX) {
        return Err(CoreError::PointsOverLimit {
            max: POINTS_ADJUST_MAX,
        });
    }
    Ok(())
}

/// A balance after a change, refused past POINTS_BALANCE_MAX.
pub fn check_balance(balance: i64, delta: i64) -> Result<i64> {
    balance
        .checked_add(delta)
        .filter(|b| *b <= POINTS_BALANCE_MAX)
        .ok_or(CoreError::PointsBalanceOverLimit {
            max: POINTS_BALANCE_MAX,
        })
}

/// Points one bill earns: never more than the per-purchase cap, nor past the balance cap.
pub fn cap_earned(earned: i64, balance_after_redeem: i64) -> i64 {
    let room = POINTS_BALANCE_MAX.saturating_sub(balance_after_redeem.max(0));
    earned.clamp(0, POINTS_PURCHASE_MAX).min(room)
}

/// Whether a purchase instant lies in the window: 2000-01-01 to tomorrow in the shop's time
/// zone, or 1900-01-01 to 9999-12-31 when the owner allows any date.
pub fn check_purchase_date(at: i64, tz: Tz, any: bool) -> Result<()> {
    let (from, to) = if any {
        (date_floor(), date_ceiling())
    } else {
        let today = time::today(tz);
        (
            purchase_date_min(),
            today.checked_add_days(Days::new(1)).unwrap_or(today),
        )
    };
    check_date_in(at, tz, from, to)
}

/// Any stored instant (maintenance dates, refunds) within what a spreadsheet can hold.
pub fn check_stored_date(at: i64, tz: Tz) -> Result<()> {
    check_date_in(at, tz, date_floor(), date_ceiling())
}

fn check_date_in(at: i64, tz: Tz, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let day = chrono::DateTime::from_timestamp(at, 0).map(|t| t.with_timezone(&tz).date_naive());
    match day {
        Some(d) if d >= from && d <= to => Ok(()),
        _ => Err(CoreError::DateOutOfRange {
            value: day.map_or_else(|| at.to_string(), |d| d.to_string()),
            from: from.to_string(),
            to: to.to_string(),
        }),
    }
}

/// A stored sum read as SQLite's floating `total()`: exact below 2^53 (every bounded
/// per-customer sum), saturating beyond, so an out-of-range row from an old file is shown
/// as a huge number instead of failing every screen that reads it.
pub fn from_total(v: f64) -> i64 {
    // `as` saturates (and maps NaN to 0), which is what a reader wants here.
    v.round() as i64
}

// How many rows a list holds when the caller names no number: the window and the command
// line take the same from here.
pub const FIND_ROWS: u32 = 10;
pub const DUPLICATE_GROUPS: u32 = 200;
/// A customer's purchases shown with the profile.
pub const PROFILE_PURCHASES: u32 = 200;
pub const LEDGER_ROWS: u32 = 1000;
pub const PURCHASE_ROWS: u32 = 100;
pub const INTERACTION_ROWS: u32 = 50;
/// Open reminders in one list; Today shows fewer.
pub const REMINDER_ROWS: u32 = 1000;
pub const TODAY_ROWS: u32 = 50;
pub const AT_RISK_ROWS: u32 = 50;
/// The customers with the highest CLV in the CLV report.
pub const CLV_TOP: usize = 200;

/// The longest retry id a client gives a bill.
pub const CLIENT_ID_MAX: usize = 64;

/// A bill's retry id, trimmed: 1 to `CLIENT_ID_MAX` ASCII letters, digits, `-`, `_`, `.`
/// or `:`, so that a hostile one is neither large nor able to look like another.
pub fn check_client_id(id: &str) -> Result<&str> {
    let id = id.trim();
    let ok = (1..=CLIENT_ID_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(id)
    } else {
        Err(CoreError::ClientIdInvalid { max: CLIENT_ID_MAX })
    }
}

/// The longest counter name, in characters.
pub const COUNTER_MAX: usize = 40;

/// A counter's name, trimmed: 1 to `COUNTER_MAX` characters, none of them a control.
pub fn check_counter(name: &str) -> Result<&str> {
    let name = name.trim();
    let n = name.chars().count();
    if (1..=COUNTER_MAX).contains(&n) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(CoreError::CounterNameInvalid { max: COUNTER_MAX })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bills_and_totals() {
        assert!(check_bill(BILL_MAX_MINOR, 0).is_ok());
        assert!(check_bill(0, 0).is_ok());
        let e = check_bill(BILL_MAX_MINOR + 1, 0).unwrap_err();
        assert_eq!(e.code(), "limits.amount_over");
        assert_eq!(e.params()["max"], "10000000000");
        assert_eq!(
            check_bill(i64::MAX, 2).unwrap_err().params()["max"],
            "100000000.00"
        );
        assert!(check_bill(-1, 0).is_err());
        assert_eq!(check_customer_total(5, 6, 0).unwrap(), 11);
        assert!(check_customer_total(CUSTOMER_TOTAL_MAX_MINOR, 1, 0).is_err());
        assert!(check_customer_total(i64::MAX, i64::MAX, 0).is_err());
    }

    #[test]
    fn points() {
        assert!(check_adjust(POINTS_ADJUST_MAX).is_ok());
        assert!(check_adjust(-POINTS_ADJUST_MAX).is_ok());
        assert!(check_adjust(POINTS_ADJUST_MAX + 1).is_err());
        assert!(check_adjust(i64::MIN).is_err());
        assert!(check_adjust(i64::MAX).is_err());
        assert!(check_balance(POINTS_BALANCE_MAX, 1).is_err());
        assert!(check_balance(i64::MAX, 1).is_err());
        assert_eq!(check_balance(10, -3).unwrap(), 7);
        assert_eq!(cap_earned(i64::MAX, 0), POINTS_PURCHASE_MAX);
        assert_eq!(cap_earned(50, POINTS_BALANCE_MAX - 20), 20);
        assert_eq!(cap_earned(-5, 0), 0);
    }

    #[test]
    fn dates() {
        let tz = time::parse_tz("Asia/Ho_Chi_Minh").unwrap();
        let at = |s: &str| time::parse_instant(s, tz).unwrap();
        assert!(check_purchase_date(at("2000-01-01T00:00"), tz, false).is_ok());
        assert!(check_purchase_date(at("1999-12-31T23:59"), tz, false).is_err());
        assert!(check_purchase_date(time::now(), tz, false).is_ok());
        assert!(check_purchase_date(time::now() + 3 * 86_400, tz, false).is_err());
        let e = check_purchase_date(at("2062-03-01"), tz, false).unwrap_err();
        assert_eq!(e.code(), "limits.date_out_of_range");
        assert_eq!(e.params()["value"], "2062-03-01");
        assert!(check_purchase_date(at("2062-03-01"), tz, true).is_ok());
        assert!(check_purchase_date(at("1950-03-01"), tz, true).is_ok());
        // Year 0 and the far future are never stored, whatever the owner says.
        let year0 = -62_167_219_200;
        assert!(check_purchase_date(year0, tz, true).is_err());
        assert!(check_purchase_date(i64::MAX, tz, true).is_err());
        assert!(check_stored_date(i64::MIN, tz).is_err());
    }

    #[test]
    fn totals_read_back() {
        assert_eq!(from_total(12_345.0), 12_345);
        assert_eq!(from_total(1e30), i64::MAX);
        assert_eq!(from_total(-1e30), i64::MIN);
        assert_eq!(from_total(f64::NAN), 0);
        assert_eq!(
            from_total(CUSTOMER_TOTAL_MAX_MINOR as f64),
            CUSTOMER_TOTAL_MAX_MINOR
        );
    }
}
