//! Customer care: reminders, the care log, surveys, after-sales tickets, message templates,
//! and the candidate queries behind the reminder rules.

use crate::error::Result;
use crate::model::{Interaction, Survey, Template, Ticket};
use crate::time;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};

// ---- reminders ----

pub struct NewReminder<'a> {
    pub customer_id: i64,
    pub kind: &'a str,
    /// Rule reminders carry a key; a second insert with the same key does nothing.
    pub rule_key: Option<&'a str>,
    pub due_date: &'a str,
    pub due_time: Option<&'a str>,
    pub title: Option<&'a str>,
    pub note: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub detail: &'a str,
}

/// The new id, or None when a reminder with this rule key already exists.
pub fn insert_reminder(conn: &Connection, r: &NewReminder, now: i64) -> Result<Option<i64>> {
    let n = conn
        .prepare_cached(
            "INSERT INTO reminders (customer_id, kind, rule_key, due_date, due_time, title, note,
                assignee, detail, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (rule_key) DO NOTHING",
        )?
        .execute(params![
            r.customer_id,
            r.kind,
            r.rule_key,
            r.due_date,
            r.due_time,
            r.title,
            r.note,
            r.assignee,
            r.detail,
            now
        ])?;
    Ok((n > 0).then(|| conn.last_insert_rowid()))
}

/// Whether a rule's reminder with this key was ever made (open, done or cancelled).
pub fn rule_key_exists(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM reminders WHERE rule_key = ?1")?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

#[derive(Debug, Clone)]
pub struct ReminderRec {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub due_date: String,
    pub due_time: Option<String>,
    pub title: Option<String>,
    pub note: Option<String>,
    pub assignee: Option<String>,
    pub status: String,
    pub detail: String,
    pub snoozed_from: Option<String>,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub interaction_id: Option<i64>,
}

const REMINDER_COLS: &str = "r.id, r.customer_id, r.kind, r.due_date, r.due_time, r.title, r.note,
    r.assignee, r.status, r.detail, r.snoozed_from, r.created_at, r.closed_at, r.interaction_id";

fn reminder_from(r: &Row) -> rusqlite::Result<ReminderRec> {
    Ok(ReminderRec {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        kind: r.get(2)?,
        due_date: r.get(3)?,
        due_time: r.get(4)?,
        title: r.get(5)?,
        note: r.get(6)?,
        assignee: r.get(7)?,
        status: r.get(8)?,
        detail: r.get(9)?,
        snoozed_from: r.get(10)?,
        created_at: r.get(11)?,
        closed_at: r.get(12)?,
        interaction_id: r.get(13)?,
    })
}

pub fn reminder(conn: &Connection, id: i64) -> Result<Option<ReminderRec>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {REMINDER_COLS} FROM reminders r WHERE r.id = ?1"
        ))?
        .query_row([id], reminder_from)
        .optional()?)
}

pub fn close_reminder(
    conn: &Connection,
    id: i64,
    status: &str,
    now: i64,
    by: Option<&str>,
    interaction_id: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE reminders SET status = ?2, closed_at = ?3, closed_by = ?4, interaction_id = ?5
         WHERE id = ?1 AND status = 'open'",
    )?
    .execute(params![id, status, now, by, interaction_id])?;
    Ok(())
}

/// Cancel a customer's open reminders (when archived).
pub fn cancel_open_of(conn: &Connection, customer_id: i64, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE reminders SET status = 'cancelled', closed_at = ?2
         WHERE customer_id = ?1 AND status = 'open'",
    )?
    .execute(params![customer_id, now])?;
    Ok(())
}

/// Close win-back reminders of customers who have bought since; returns how many.
pub fn close_returned_win_backs(conn: &Connection, now: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE reminders SET status = 'cancelled', closed_at = ?1
             WHERE kind = 'win_back' AND status = 'open' AND EXISTS (
                 SELECT 1 FROM customers c WHERE c.id = reminders.customer_id
                 AND c.last_purchase_at > json_extract(reminders.detail, '$.last_at'))",
        )?
        .execute([now])?)
}

/// Move the due date; the first date it was due is kept.
pub fn snooze_reminder(conn: &Connection, id: i64, to: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE reminders SET snoozed_from = coalesce(snoozed_from, due_date), due_date = ?2
         WHERE id = ?1 AND status = 'open'",
    )?
    .execute(params![id, to])?;
    Ok(())
}

/// Open reminders due in `[from, to]` (dates; None = unbounded). Archiving a customer
/// cancels theirs, so no join is needed to leave archived customers out.
fn open_where(from: Option<&str>, to: Option<&str>, args: &mut Vec<Box<dyn ToSql>>) -> String {
    let mut wh = vec!["r.status = 'open'".to_owned()];
    if let Some(f) = from {
        args.push(Box::new(f.to_owned()));
        wh.push(format!("r.due_date >= ?{}", args.len()));
    }
    if let Some(t) = to {
        args.push(Box::new(t.to_owned()));
        wh.push(format!("r.due_date <= ?{}", args.len()));
    }
    wh.join(" AND ")
}

pub fn count_open(conn: &Connection, from: Option<&str>, to: Option<&str>) -> Result<i64> {
    let mut args = Vec::new();
    let wh = open_where(from, to, &mut args);
    Ok(conn
        .prepare_cached(&format!("SELECT count(*) FROM reminders r WHERE {wh}"))?
        .query_row(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?)
}

/// Below this many, a group is ranked by sorting it; above, by walking the customers from
/// the highest total down until `limit` rows are found (dense enough to stop early).
const SORT_AT_MOST: i64 = 10_000;

/// Open reminders due in the range, the customers with most at stake first; `count` is
/// the group's size, which picks the plan.
pub fn open_ranked(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
    count: i64,
    limit: u32,
) -> Result<Vec<ReminderRec>> {
    let mut args = Vec::new();
    let wh = open_where(from, to, &mut args);
    args.push(Box::new(limit));
    let join = if count <= SORT_AT_MOST {
        "reminders r JOIN customers c ON c.id = r.customer_id"
    } else {
        "customers c INDEXED BY customers_total CROSS JOIN reminders r ON r.customer_id = c.id"
    };
    let sql = format!(
        "SELECT {REMINDER_COLS} FROM {join}
         WHERE {wh} ORDER BY c.total_minor DESC, c.id DESC, r.due_date, r.id LIMIT ?{}",
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params_from_iter(args.iter().map(|a| a.as_ref())),
        reminder_from,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open reminders due in the range, soonest first; optionally one customer's.
pub fn open_by_date(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
    customer_id: Option<i64>,
    limit: u32,
) -> Result<Vec<ReminderRec>> {
    let mut args = Vec::new();
    let mut wh = open_where(from, to, &mut args);
    if let Some(cid) = customer_id {
        args.push(Box::new(cid));
        wh.push_str(&format!(" AND r.customer_id = ?{}", args.len()));
    }
    args.push(Box::new(limit));
    let sql = format!(
        "SELECT {REMINDER_COLS} FROM reminders r
         WHERE {wh} ORDER BY r.due_date, r.due_time IS NULL, r.due_time, r.id LIMIT ?{}",
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params_from_iter(args.iter().map(|a| a.as_ref())),
        reminder_from,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every reminder of a customer, open or closed, newest due date first.
pub fn reminders_of(conn: &Connection, customer_id: i64, limit: u32) -> Result<Vec<ReminderRec>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REMINDER_COLS} FROM reminders r WHERE r.customer_id = ?1
         ORDER BY r.due_date DESC, r.id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![customer_id, limit], reminder_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What a Today row shows of its customer:
/// (name, phone, visits, total minor, last purchase, tier, points).
pub type CustomerBrief = (
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

pub fn customer_brief(conn: &Connection, id: i64) -> Result<Option<CustomerBrief>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.name, c.phone, c.visits, c.total_minor, c.last_purchase_at,
                (SELECT to_tier FROM tier_history WHERE customer_id = c.id
                 ORDER BY at DESC, id DESC LIMIT 1),
                (SELECT coalesce(sum(points), 0) FROM points_ledger WHERE customer_id = c.id)
             FROM customers c WHERE c.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?)
}

// ---- the care log ----

pub struct NewInteraction<'a> {
    pub customer_id: i64,
    pub channel: &'a str,
    pub direction: &'a str,
    pub summary: &'a str,
    pub outcome: Option<&'a str>,
    pub at: i64,
    pub staff: Option<&'a str>,
    pub reminder_id: Option<i64>,
}

pub fn insert_interaction(conn: &Connection, i: &NewInteraction, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO interactions (customer_id, channel, direction, summary, outcome, at, staff,
            reminder_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        i.customer_id,
        i.channel,
        i.direction,
        i.summary,
        i.outcome,
        i.at,
        i.staff,
        i.reminder_id,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

const INTERACTION_COLS: &str =
    "id, customer_id, channel, direction, summary, outcome, at, staff, reminder_id";

fn interaction_from(r: &Row) -> rusqlite::Result<Interaction> {
    Ok(Interaction {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        channel: r.get(2)?,
        direction: r.get(3)?,
        summary: r.get(4)?,
        outcome: r.get(5)?,
        at: time::from_unix(r.get(6)?),
        staff: r.get(7)?,
        reminder_id: r.get(8)?,
    })
}

pub fn interaction(conn: &Connection, id: i64) -> Result<Option<Interaction>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {INTERACTION_COLS} FROM interactions WHERE id = ?1"
        ))?
        .query_row([id], interaction_from)
        .optional()?)
}

pub fn interactions_of(
    conn: &Connection,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<Interaction>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {INTERACTION_COLS} FROM interactions WHERE customer_id = ?1
         ORDER BY at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![customer_id, limit], interaction_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- surveys ----

pub fn insert_survey(conn: &Connection, s: &Survey) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO surveys (customer_id, purchase_id, kind, score, comment, at, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        s.customer_id,
        s.purchase_id,
        s.kind,
        s.score,
        s.comment,
        s.at.timestamp(),
        s.staff
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A customer's surveys, newest first.
pub fn surveys_of(conn: &Connection, customer_id: i64) -> Result<Vec<Survey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, customer_id, purchase_id, kind, score, comment, at, staff FROM surveys
         WHERE customer_id = ?1 ORDER BY at DESC, id DESC",
    )?;
    let rows = stmt.query_map([customer_id], |r| {
        Ok(Survey {
            id: r.get(0)?,
            customer_id: r.get(1)?,
            purchase_id: r.get(2)?,
            kind: r.get(3)?,
            score: r.get(4)?,
            comment: r.get(5)?,
            at: time::from_unix(r.get(6)?),
            staff: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- warranties and tickets ----

/// (item id, purchase id, product, purchased at, months) of a customer's items with a warranty.
pub type WarrantyItem = (i64, i64, String, i64, u32);

pub fn warranty_items(conn: &Connection, customer_id: i64) -> Result<Vec<WarrantyItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.purchase_id, i.product, p.at, i.warranty_months
         FROM purchases p CROSS JOIN purchase_items i ON i.purchase_id = p.id
         WHERE p.customer_id = ?1 AND i.warranty_months > 0
         ORDER BY p.at DESC, i.id",
    )?;
    let rows = stmt.query_map([customer_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (owner, product) of a purchase item.
pub fn item_owner(conn: &Connection, item_id: i64) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT p.customer_id, i.product FROM purchase_items i
             JOIN purchases p ON p.id = i.purchase_id WHERE i.id = ?1",
        )?
        .query_row([item_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn insert_ticket(
    conn: &Connection,
    customer_id: i64,
    item_id: Option<i64>,
    title: &str,
    note: Option<&str>,
    staff: Option<&str>,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO tickets (customer_id, item_id, title, note, staff, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![customer_id, item_id, title, note, staff, now])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_ticket_status(conn: &Connection, id: i64, status: &str, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE tickets SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, status, now])?;
    Ok(())
}

const TICKET_COLS: &str = "t.id, t.customer_id, t.item_id, i.product, t.title, t.note, t.status,
    t.created_at, t.updated_at, t.staff";

fn ticket_from(r: &Row) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        item_id: r.get(2)?,
        product: r.get(3)?,
        title: r.get(4)?,
        note: r.get(5)?,
        status: r.get(6)?,
        created_at: time::from_unix(r.get(7)?),
        updated_at: time::from_unix(r.get(8)?),
        staff: r.get(9)?,
    })
}

pub fn ticket(conn: &Connection, id: i64) -> Result<Option<Ticket>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TICKET_COLS} FROM tickets t LEFT JOIN purchase_items i ON i.id = t.item_id
             WHERE t.id = ?1"
        ))?
        .query_row([id], ticket_from)
        .optional()?)
}

/// A customer's tickets: unfinished first, then newest.
pub fn tickets_of(conn: &Connection, customer_id: i64) -> Result<Vec<Ticket>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TICKET_COLS} FROM tickets t LEFT JOIN purchase_items i ON i.id = t.item_id
         WHERE t.customer_id = ?1 ORDER BY t.status = 'done', t.created_at DESC, t.id DESC"
    ))?;
    let rows = stmt.query_map([customer_id], ticket_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- referrals and confirmed details ----

/// How many customers this one referred, and the newest `limit` of them.
pub fn referrals(conn: &Connection, id: i64, limit: u32) -> Result<(i64, Vec<(i64, String)>)> {
    let count = conn
        .prepare_cached(
            "SELECT count(*) FROM customers WHERE referred_by = ?1 AND merged_into IS NULL",
        )?
        .query_row([id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, name FROM customers WHERE referred_by = ?1 AND merged_into IS NULL
         ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![id, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((count, rows.collect::<rusqlite::Result<_>>()?))
}

pub fn details_confirmed_at(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(details_confirmed_at, created_at) FROM customers WHERE id = ?1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

pub fn is_active(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT archived_at IS NULL FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

pub fn confirm_details(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE customers SET details_confirmed_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

// ---- templates ----

const TEMPLATE_COLS: &str = "id, name, body, builtin, updated_at";

fn template_from(r: &Row) -> rusqlite::Result<Template> {
    Ok(Template {
        id: r.get(0)?,
        name: r.get(1)?,
        body: r.get(2)?,
        builtin: r.get(3)?,
        updated_at: time::from_unix(r.get(4)?),
        language: None,
    })
}

pub fn templates(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TEMPLATE_COLS} FROM templates ORDER BY builtin DESC, id"
    ))?;
    let rows = stmt.query_map([], template_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn template_by_name(conn: &Connection, name: &str) -> Result<Option<Template>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE name = ?1"
        ))?
        .query_row([name], template_from)
        .optional()?)
}

pub fn template(conn: &Connection, id: i64) -> Result<Option<Template>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE id = ?1"
        ))?
        .query_row([id], template_from)
        .optional()?)
}

pub fn insert_template(conn: &Connection, name: &str, body: &str, now: i64) -> Result<i64> {
    conn.prepare_cached("INSERT INTO templates (name, body, updated_at) VALUES (?1, ?2, ?3)")?
        .execute(params![name, body, now])?;
    Ok(conn.last_insert_rowid())
}

pub fn update_template(conn: &Connection, id: i64, name: &str, body: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE templates SET name = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, name, body, now])?;
    Ok(())
}

pub fn delete_template(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM templates WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// What the merge fields of one customer are made from.
#[derive(Debug, Clone)]
pub struct MergeSource {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub last_purchase_at: Option<i64>,
}

pub fn merge_source(conn: &Connection, id: i64) -> Result<Option<MergeSource>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, phone, gender, birthday, last_purchase_at FROM customers WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(MergeSource {
                id: r.get(0)?,
                name: r.get(1)?,
                phone: r.get(2)?,
                gender: r.get(3)?,
                birthday: r.get(4)?,
                last_purchase_at: r.get(5)?,
            })
        })
        .optional()?)
}

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
        &mut args,
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

// ---- candidates for the reminder rules (active customers only) ----

/// (customer, first purchase) for first purchases in [from, to).
pub fn first_purchases_between(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, first_purchase_at FROM customers
         WHERE first_purchase_at >= ?1 AND first_purchase_at < ?2 AND archived_at IS NULL",
    )?;
    let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (purchase, customer, at, total minor) of purchases in [from, to) of at least `min_minor`,
/// archived customers included.
pub fn purchases_between(
    conn: &Connection,
    from: i64,
    to: i64,
    min_minor: i64,
) -> Result<Vec<(i64, i64, i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.customer_id, p.at, p.total_minor FROM purchases p
         WHERE p.at >= ?1 AND p.at < ?2 AND p.total_minor >= ?3",
    )?;
    let rows = stmt.query_map(params![from, to, min_minor], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (customer, birthday) for birthdays on any of these "MM-DD" days.
pub fn birthdays_on(conn: &Connection, month_days: &[String]) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, birthday FROM customers
         WHERE substr(birthday, -5) = ?1 AND birthday IS NOT NULL AND archived_at IS NULL",
    )?;
    let mut out = Vec::new();
    for md in month_days {
        let rows = stmt.query_map([md], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

/// The distinct warranty lengths in use, found by index seeks rather than a scan.
pub fn warranty_lengths(conn: &Connection) -> Result<Vec<u32>> {
    let mut stmt = conn.prepare_cached(
        "SELECT min(warranty_months) FROM purchase_items
         WHERE warranty_months IS NOT NULL AND warranty_months > ?1",
    )?;
    let mut out = Vec::new();
    let mut last = 0u32;
    while let Some(m) = stmt.query_row([last], |r| r.get::<_, Option<u32>>(0))? {
        out.push(m);
        last = m;
    }
    Ok(out)
}

/// (item, purchase, customer, product, purchased at).
pub type BoughtItem = (i64, i64, i64, String, i64);

/// Items with `months` of warranty bought in [from, to), archived customers included.
pub fn warranty_items_bought(
    conn: &Connection,
    months: u32,
    from: i64,
    to: i64,
) -> Result<Vec<BoughtItem>> {
    // Purchases by date first: a day's purchases are few, items of one length may be many.
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, p.id, p.customer_id, i.product, p.at
         FROM purchases p CROSS JOIN purchase_items i ON i.purchase_id = p.id
         WHERE p.at >= ?2 AND p.at < ?3 AND i.warranty_months = ?1",
    )?;
    let rows = stmt.query_map(params![months, from, to], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (customer, first purchase, last purchase, visits) of repeat customers last seen before `before`.
pub fn lapsing_candidates(conn: &Connection, before: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, first_purchase_at, last_purchase_at, visits FROM customers
         WHERE last_purchase_at < ?1 AND visits >= 2 AND archived_at IS NULL",
    )?;
    let rows = stmt.query_map([before], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (customer, details confirmed at) for confirmations in [from, to).
pub fn confirmed_between(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, coalesce(details_confirmed_at, created_at) FROM customers
         WHERE coalesce(details_confirmed_at, created_at) >= ?1
           AND coalesce(details_confirmed_at, created_at) < ?2 AND archived_at IS NULL",
    )?;
    let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
