//! Retention analytics: shop-level reports (churn, cohorts, revenue split, simple CLV,
//! per staff) and customer-level figures (RFM, lifecycle, BG/NBD and Gamma-Gamma).
//! Reports read on the store's own report connection, never the counter's.

pub mod clv;
pub mod export;
pub mod history;
pub mod reports;
pub mod scores;

use crate::db;
use crate::error::{CoreError, Result};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::Store;
use serde::Serialize;

pub const DEFAULT_INACTIVE_DAYS: i64 = 90;
pub const DEFAULT_HORIZON_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Rules {
    /// A customer is lost after this many days without a purchase.
    pub inactive_days: i64,
    /// How far ahead the predicted CLV looks.
    pub horizon_days: i64,
}

fn rule_invalid(key: &str, value: i64) -> CoreError {
    CoreError::AnalyticsRuleInvalid {
        key: key.into(),
        value: value.to_string(),
    }
}

pub(crate) fn valid_inactive_days(n: i64) -> Result<i64> {
    if (7..=3650).contains(&n) {
        Ok(n)
    } else {
        Err(rule_invalid("inactive_days", n))
    }
}

pub(crate) fn valid_horizon_days(n: i64) -> Result<i64> {
    if (7..=3650).contains(&n) {
        Ok(n)
    } else {
        Err(rule_invalid("horizon_days", n))
    }
}

pub(crate) fn rules<'a>(conn: impl Into<db::Conn<'a>>) -> Result<Rules> {
    let conn = conn.into();
    let get = |k: &str, d: i64| -> Result<i64> {
        Ok(db::settings::get(conn, k)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(d))
    };
    Ok(Rules {
        inactive_days: get("analytics.inactive_days", DEFAULT_INACTIVE_DAYS)?,
        horizon_days: get("analytics.horizon_days", DEFAULT_HORIZON_DAYS)?,
    })
}

/// A share in percent with one decimal; None when there is nothing to divide by.
pub(crate) fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl Store {
    pub fn analytics_rules(&self) -> Result<Rules> {
        self.require(Perm::View)?;
        self.read(|c| rules(c))
    }

    pub fn set_analytics_rules(
        &self,
        inactive_days: Option<i64>,
        horizon_days: Option<i64>,
    ) -> Result<Rules> {
        let inactive = inactive_days.map(valid_inactive_days).transpose()?;
        let horizon = horizon_days.map(valid_horizon_days).transpose()?;
        let actor = self.require(Perm::Settings)?;
        self.write_any(|conn| {
            let before = rules(conn)?;
            if let Some(n) = inactive {
                db::settings::set(conn, "analytics.inactive_days", &n.to_string())?;
            }
            if let Some(n) = horizon {
                db::settings::set(conn, "analytics.horizon_days", &n.to_string())?;
            }
            let after = rules(conn)?;
            audit::record_change(
                conn,
                actor.entry("analytics.rules", "analytics_rules"),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_to_one_decimal() {
        assert_eq!(pct(10, 100), Some(10.0));
        assert_eq!(pct(1, 3), Some(33.3));
        assert_eq!(pct(2, 3), Some(66.7));
        assert_eq!(pct(1, 0), None);
    }

    #[test]
    fn rules_are_checked_and_kept() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.analytics_rules().unwrap().inactive_days, 90);
        assert_eq!(
            s.set_analytics_rules(Some(3), None).unwrap_err().code(),
            "analytics.rule_invalid"
        );
        let r = s.set_analytics_rules(Some(60), Some(180)).unwrap();
        assert_eq!((r.inactive_days, r.horizon_days), (60, 180));
    }
}
