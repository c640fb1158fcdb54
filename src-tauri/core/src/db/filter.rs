//! The customer filter behind bulk messages and bulk reminders.

use super::{Conn, Param};
use crate::error::Result;

/// A bulk-message filter, already validated; `words` and `digits` come from the search text.
#[derive(Debug, Clone, Default)]
pub struct FilterSql {
    /// Folded words that must each start a word of the name.
    pub words: Vec<String>,
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
pub fn filter_ids<'a>(conn: impl Into<Conn<'a>>, f: &FilterSql) -> Result<Vec<i64>> {
    let conn = conn.into();
    let pg = matches!(conn, Conn::Pg(_));
    let mut wh = vec!["c.archived_at IS NULL".to_owned()];
    let mut args: Vec<Box<dyn Param>> = Vec::new();
    let arg = |v: Box<dyn Param>, args: &mut Vec<Box<dyn Param>>| {
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
        // The month of "YYYY-MM-DD" or "--MM-DD": SQLite counts a negative start from the
        // end, PostgreSQL does not.
        wh.push(if pg {
            format!("left(right(c.birthday, 5), 2) = ?{n}")
        } else {
            format!("substr(c.birthday, -5, 2) = ?{n}")
        });
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
    if !f.words.is_empty() {
        // The name search of each engine: SQLite's FTS index, PostgreSQL's word-start index
        // (as the counter's search).
        any.push(if pg {
            let n = arg(Box::new(super::customers::ts_starts(&f.words)), &mut args);
            format!(
                "c.id IN (SELECT s.id FROM customer_search s WHERE {})",
                super::customers::starts_pg("s", &format!("?{n}"))
            )
        } else {
            let n = arg(Box::new(super::customers::fts_query(&f.words)), &mut args);
            format!("c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?{n})")
        });
    }
    if let Some(d) = &f.digits {
        let lo: String = d.chars().rev().collect();
        any.push(if pg {
            // Digits only, so no LIKE wildcard can hide in it; text_pattern_ops serves it.
            let a = arg(Box::new(format!("{lo}%")), &mut args);
            format!("c.phone_rev LIKE ?{a}")
        } else {
            let a = arg(Box::new(lo.clone()), &mut args);
            let b = arg(Box::new(format!("{lo}:")), &mut args);
            format!("(c.phone_rev >= ?{a} AND c.phone_rev < ?{b})")
        });
    }
    if !any.is_empty() {
        wh.push(format!("({})", any.join(" OR ")));
    }
    let sql = format!(
        "SELECT c.id FROM customers c WHERE {} ORDER BY c.id",
        wh.join(" AND ")
    );
    let ids: Vec<(i64,)> = super::rows(conn, &sql, &super::refs(&args))?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}
