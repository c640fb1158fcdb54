//! The customer filter behind bulk messages and bulk reminders.

use crate::error::Result;
use rusqlite::{params_from_iter, Connection, ToSql};

/// A bulk-message filter, already validated; `fts` and `digits` come from the search text.
#[derive(Debug, Clone, Default)]
pub struct FilterSql {
    pub fts: Option<String>,
    pub digits: Option<String>,
    pub tag: Option<String>,
    pub source: Option<String>,
    pub tier: Option<String>,
    pub min_visits: Option<i64>,
    /// No purchase at or after this instant.
    pub inactive_since: Option<i64>,
    /// "MM", matched against the birthday's month.
    pub birthday_month: Option<String>,
    /// Open reminders due in [from, to] (None = no lower bound).
    pub reminder_due: Option<(Option<String>, String)>,
    pub segment: Option<String>,
    /// "reach" means no purchase yet (no scores row).
    pub stage: Option<String>,
    pub at_risk: bool,
}

/// Ids of the active customers matching every condition, by id.
pub fn filter_ids(conn: &Connection, f: &FilterSql) -> Result<Vec<i64>> {
    let mut wh = vec!["c.archived_at IS NULL".to_owned()];
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let arg = |v: Box<dyn ToSql>, args: &mut Vec<Box<dyn ToSql>>| {
        args.push(v);
        args.len()
    };
    if let Some(t) = &f.tag {
        let n = arg(Box::new(t.clone()), &mut args);
        wh.push(format!(
            "c.id IN (SELECT customer_id FROM customer_tags WHERE tag = ?{n})"
        ));
    }
    if let Some(s) = &f.source {
        let n = arg(Box::new(s.clone()), &mut args);
        wh.push(format!("c.source = ?{n}"));
    }
    if let Some(t) = &f.tier {
        let n = arg(Box::new(t.clone()), &mut args);
        wh.push(format!(
            "(SELECT to_tier FROM tier_history WHERE customer_id = c.id
              ORDER BY at DESC, id DESC LIMIT 1) = ?{n}"
        ));
    }
    if let Some(v) = f.min_visits {
        let n = arg(Box::new(v), &mut args);
        wh.push(format!("c.visits >= ?{n}"));
    }
    if let Some(t) = f.inactive_since {
        let n = arg(Box::new(t), &mut args);
        wh.push(format!(
            "(c.last_purchase_at IS NULL OR c.last_purchase_at < ?{n})"
        ));
    }
    if let Some(m) = &f.birthday_month {
        let n = arg(Box::new(m.clone()), &mut args);
        wh.push(format!("substr(c.birthday, -5, 2) = ?{n}"));
    }
    if let Some((from, to)) = &f.reminder_due {
        let mut cond = "r.status = 'open'".to_owned();
        if let Some(from) = from {
            let n = arg(Box::new(from.clone()), &mut args);
            cond.push_str(&format!(" AND r.due_date >= ?{n}"));
        }
        let n = arg(Box::new(to.clone()), &mut args);
        cond.push_str(&format!(" AND r.due_date <= ?{n}"));
        wh.push(format!(
            "c.id IN (SELECT r.customer_id FROM reminders r WHERE {cond})"
        ));
    }
    wh.extend(super::analytics::score_conditions(
        f.segment.as_deref(),
        f.stage.as_deref(),
        f.at_risk,
        &mut |v| format!("?{}", arg(Box::new(v), &mut args)),
    ));
    let mut any = Vec::new();
    if let Some(fts) = &f.fts {
        let n = arg(Box::new(fts.clone()), &mut args);
        any.push(format!(
            "c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?{n})"
        ));
    }
    if let Some(d) = &f.digits {
        let lo: String = d.chars().rev().collect();
        let a = arg(Box::new(lo.clone()), &mut args);
        let b = arg(Box::new(format!("{lo}:")), &mut args);
        any.push(format!("(c.phone_rev >= ?{a} AND c.phone_rev < ?{b})"));
    }
    if !any.is_empty() {
        wh.push(format!("({})", any.join(" OR ")));
    }
    let sql = format!(
        "SELECT c.id FROM customers c WHERE {} ORDER BY c.id",
        wh.join(" AND ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
