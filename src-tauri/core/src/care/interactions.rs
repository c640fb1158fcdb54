//! One care-log entry, checked and written: the one way an interaction enters the log,
//! whether logged by hand, from a reminder or from a survey.

use crate::db;
use crate::error::{CoreError, Result};
use crate::model::{Customer, CHANNELS};
use crate::{customers, text, time};

const SUMMARY_MAX: usize = 2000;

/// The customer, refusing an archived one: care goes to the record it was merged into.
pub(crate) fn active_customer<'a>(conn: impl Into<db::Conn<'a>>, id: i64) -> Result<Customer> {
    let c = db::customers::existing(conn, id)?;
    if c.archived_at.is_some() {
        return Err(CoreError::CustomerArchived(c.name));
    }
    Ok(c)
}

fn valid_channel(s: &str) -> Result<&'static str> {
    let v = text::fold(s).replace(['-', ' '], "_");
    let v = match v.as_str() {
        "call" | "goi" | "goi_dien" | "dien_thoai" => "phone",
        "store" | "visit" | "tai_cua_hang" | "cua_hang" => "in_store",
        "fb" => "facebook",
        "khac" => "other",
        other => other,
    };
    CHANNELS
        .iter()
        .copied()
        .find(|c| *c == v)
        .ok_or_else(|| CoreError::ChannelInvalid(s.to_owned()))
}

fn valid_direction(s: Option<&str>) -> Result<&'static str> {
    match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("out") => Ok("out"),
        Some("in") => Ok("in"),
        Some(_) => Err(CoreError::DirectionInvalid(
            s.unwrap_or_default().to_owned(),
        )),
    }
}

/// Check and insert one care-log entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_interaction(
    conn: db::Conn,
    customer_id: i64,
    channel: &str,
    direction: Option<&str>,
    summary: &str,
    outcome: Option<String>,
    at: i64,
    staff: Option<&str>,
    reminder_id: Option<i64>,
) -> Result<i64> {
    let channel = valid_channel(channel)?;
    let direction = valid_direction(direction)?;
    let summary = summary.trim();
    if summary.is_empty() {
        return Err(CoreError::SummaryRequired);
    }
    if summary.chars().count() > SUMMARY_MAX {
        return Err(CoreError::InvalidInput(format!(
            "summary longer than {SUMMARY_MAX} characters"
        )));
    }
    let outcome = customers::check_len(outcome)?;
    active_customer(conn, customer_id)?;
    db::care::insert_interaction(
        conn,
        &db::care::NewInteraction {
            customer_id,
            channel,
            direction,
            summary,
            outcome: outcome.as_deref(),
            at,
            staff,
            reminder_id,
        },
        time::now(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_accept_vietnamese_words() {
        assert_eq!(valid_channel("Gọi điện").unwrap(), "phone");
        assert_eq!(valid_channel("zalo").unwrap(), "zalo");
        assert_eq!(valid_channel("in-store").unwrap(), "in_store");
        assert!(valid_channel("pigeon").is_err());
    }
}
