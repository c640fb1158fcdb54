//! The purchase history as the reports see it: per customer, sorted, with the spells in
//! which they were an active customer under the "lost after N days" rule.

use crate::db::{self, analytics::PurchaseFact};
use crate::error::Result;
use crate::time;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::Connection;
use std::collections::HashSet;

pub const DAY: i64 = 86_400;

/// One customer's purchases (oldest first) and active spells.
#[derive(Debug, Clone)]
pub struct CustomerHistory {
    pub id: i64,
    pub purchases: Vec<PurchaseFact>,
    /// [start, end): from a purchase until `inactive_days` after the last one of a run of
    /// purchases each within that many days of the previous. An end may lie in the future.
    pub spells: Vec<(i64, i64)>,
}

impl CustomerHistory {
    pub fn first(&self) -> i64 {
        self.purchases.first().map_or(0, |p| p.at)
    }

    pub fn last(&self) -> i64 {
        self.purchases.last().map_or(0, |p| p.at)
    }

    pub fn active_at(&self, t: i64) -> bool {
        self.spells.iter().any(|&(s, e)| s <= t && t < e)
    }
}

pub struct History {
    pub customers: Vec<CustomerHistory>,
    pub staff: Vec<String>,
    pub inactive_days: i64,
}

/// Merge purchases closer than `window` into spells of activity.
fn spells(purchases: &[PurchaseFact], window: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for p in purchases {
        match out.last_mut() {
            Some(s) if p.at < s.1 => s.1 = p.at + window,
            _ => out.push((p.at, p.at + window)),
        }
    }
    out
}

/// Load every purchase up to `until` once and group it by customer (archived left out).
pub fn load(conn: &Connection, until: i64, inactive_days: i64) -> Result<History> {
    load_with(conn, until, inactive_days, false)
}

/// Local days by binary search over precomputed day starts: one time-zone conversion per
/// calendar day instead of one per purchase.
pub struct Days {
    starts: Vec<i64>,
    first: NaiveDate,
}

impl Days {
    pub fn new(tz: Tz, from: i64, to: i64) -> Days {
        let first = time::local_date(from, tz);
        let last = time::local_date(to.max(from), tz);
        let mut starts = Vec::new();
        let mut d = first;
        while d <= last {
            starts.push(time::day_start(d, tz));
            d = d.succ_opt().unwrap_or(d);
            if d == NaiveDate::MAX {
                break;
            }
        }
        Days { starts, first }
    }

    pub fn date(&self, at: i64) -> NaiveDate {
        let i = self.starts.partition_point(|s| *s <= at).saturating_sub(1);
        self.first + chrono::Duration::days(i as i64)
    }
}

/// As `load`, with who recorded each purchase (only the staff report needs it).
pub fn load_with(
    conn: &Connection,
    until: i64,
    inactive_days: i64,
    with_staff: bool,
) -> Result<History> {
    let (mut facts, staff) = db::analytics::purchase_facts(conn, until, with_staff)?;
    let tz = crate::store::settings::timezone(conn)?;
    if let (Some(lo), Some(hi)) = (
        facts.iter().map(|f| f.at).min(),
        facts.iter().map(|f| f.at).max(),
    ) {
        let days = Days::new(tz, lo, hi);
        for f in &mut facts {
            f.day = days.date(f.at);
        }
    }
    let archived: HashSet<i64> = db::analytics::archived_ids(conn)?.into_iter().collect();
    facts.retain(|f| !archived.contains(&f.customer_id));
    facts.sort_unstable_by_key(|f| (f.customer_id, f.at));
    let window = inactive_days * DAY;
    let mut customers: Vec<CustomerHistory> = Vec::new();
    for f in facts {
        match customers.last_mut() {
            Some(c) if c.id == f.customer_id => c.purchases.push(f),
            _ => customers.push(CustomerHistory {
                id: f.customer_id,
                purchases: vec![f],
                spells: Vec::new(),
            }),
        }
    }
    for c in &mut customers {
        c.spells = spells(&c.purchases, window);
    }
    Ok(History {
        customers,
        staff,
        inactive_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(at: i64) -> PurchaseFact {
        PurchaseFact {
            customer_id: 1,
            at,
            net_minor: 1,
            staff: 0,
            day: NaiveDate::MIN,
        }
    }

    #[test]
    fn spells_merge_purchases_within_the_window() {
        let purchases = [fact(0), fact(10 * DAY), fact(200 * DAY)];
        let c = CustomerHistory {
            id: 1,
            spells: spells(&purchases, 90 * DAY),
            purchases: purchases.to_vec(),
        };
        assert_eq!(c.spells, vec![(0, 100 * DAY), (200 * DAY, 290 * DAY)]);
        assert!(c.active_at(99 * DAY) && !c.active_at(100 * DAY));
        assert_eq!((c.first(), c.last()), (0, 200 * DAY));
    }

    #[test]
    fn days_match_the_time_zone() {
        let tz = time::parse_tz("Asia/Ho_Chi_Minh").unwrap();
        let from = time::parse_instant("2026-03-01T00:30", tz).unwrap();
        let to = time::parse_instant("2026-03-10T23:59", tz).unwrap();
        let days = Days::new(tz, from, to);
        for at in [from, from + 3600, to, to - 12 * 3600, from + 5 * DAY + 17] {
            assert_eq!(days.date(at), time::local_date(at, tz));
        }
    }
}
