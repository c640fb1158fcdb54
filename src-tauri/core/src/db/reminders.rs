//! Reminders: the rows, the Today queries, and the candidate queries behind the reminder
//! rules.

use super::{Conn, Param};
use crate::error::Result;

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
    /// The counter a person made it at; None for the rules' own reminders.
    pub counter: Option<&'a str>,
}

/// The new id, or None when a reminder with this rule key already exists.
pub fn insert_reminder<'a>(
    conn: impl Into<Conn<'a>>,
    r: &NewReminder,
    now: i64,
) -> Result<Option<i64>> {
    let id: Option<(i64,)> = super::first(
        conn.into(),
        "INSERT INTO reminders (customer_id, kind, rule_key, due_date, due_time, title, note,
            assignee, detail, created_at, counter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (rule_key) DO NOTHING RETURNING id",
        &[
            &r.customer_id,
            &r.kind,
            &r.rule_key,
            &r.due_date,
            &r.due_time,
            &r.title,
            &r.note,
            &r.assignee,
            &r.detail,
            &now,
            &r.counter,
        ],
    )?;
    Ok(id.map(|(id,)| id))
}

/// Whether a rule's reminder with this key was ever made (open, done or cancelled).
pub fn rule_key_exists<'a>(conn: impl Into<Conn<'a>>, key: &str) -> Result<bool> {
    Ok(super::first::<(i64,)>(
        conn.into(),
        // An id: PostgreSQL's literal 1 is a 4-byte integer, not the i64 read here.
        "SELECT id FROM reminders WHERE rule_key = ?1",
        &[&key],
    )?
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

impl super::Columns for ReminderRec {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(ReminderRec {
            id: r.col(0)?,
            customer_id: r.col(1)?,
            kind: r.col(2)?,
            due_date: r.col(3)?,
            due_time: r.col(4)?,
            title: r.col(5)?,
            note: r.col(6)?,
            assignee: r.col(7)?,
            status: r.col(8)?,
            detail: r.col(9)?,
            snoozed_from: r.col(10)?,
            created_at: r.col(11)?,
            closed_at: r.col(12)?,
            interaction_id: r.col(13)?,
        })
    }
}

pub fn reminder<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<ReminderRec>> {
    let conn = conn.into();
    // In a server's transaction the reminder is held to its end: two counters closing or
    // snoozing it at once take turns, and the second finds it closed (SQLite has one
    // writer anyway).
    let held = match conn {
        Conn::Pg(p) if p.in_transaction() => " FOR UPDATE",
        _ => "",
    };
    super::first(
        conn,
        &format!("SELECT {REMINDER_COLS} FROM reminders r WHERE r.id = ?1{held}"),
        &[&id],
    )
}

pub fn close_reminder<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    status: &str,
    now: i64,
    by: Option<&str>,
    interaction_id: Option<i64>,
) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE reminders SET status = ?2, closed_at = ?3, closed_by = ?4, interaction_id = ?5
         WHERE id = ?1 AND status = 'open'",
        &[&id, &status, &now, &by, &interaction_id],
    )?;
    Ok(())
}

/// Cancel a customer's open reminders (when archived).
pub fn cancel_open_of<'a>(
    conn: impl Into<super::Conn<'a>>,
    customer_id: i64,
    now: i64,
) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE reminders SET status = 'cancelled', closed_at = ?2
         WHERE customer_id = ?1 AND status = 'open'",
        &[&customer_id, &now],
    )?;
    Ok(())
}

/// Close win-back reminders of customers who have bought since; returns how many.
pub fn close_returned_win_backs<'a>(conn: impl Into<Conn<'a>>, now: i64) -> Result<u64> {
    let conn = conn.into();
    let last_at = match conn {
        Conn::Lite(_) => "json_extract(reminders.detail, '$.last_at')",
        Conn::Pg(_) => "(reminders.detail::json ->> 'last_at')::bigint",
    };
    super::execute(
        conn,
        &format!(
            "UPDATE reminders SET status = 'cancelled', closed_at = ?1
             WHERE kind = 'win_back' AND status = 'open' AND EXISTS (
                 SELECT 1 FROM customers c WHERE c.id = reminders.customer_id
                 AND c.last_purchase_at > {last_at})"
        ),
        &[&now],
    )
}

/// Move the due date; the first date it was due is kept.
pub fn snooze_reminder<'a>(conn: impl Into<Conn<'a>>, id: i64, to: &str) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE reminders SET snoozed_from = coalesce(snoozed_from, due_date), due_date = ?2
         WHERE id = ?1 AND status = 'open'",
        &[&id, &to],
    )?;
    Ok(())
}

/// Open reminders due in `[from, to]` (dates; None = unbounded). Archiving a customer
/// cancels theirs, so no join is needed to leave archived customers out.
fn open_where(from: Option<&str>, to: Option<&str>, args: &mut Vec<Box<dyn Param>>) -> String {
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

pub fn count_open<'a>(
    conn: impl Into<Conn<'a>>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<i64> {
    let mut args = Vec::new();
    let wh = open_where(from, to, &mut args);
    super::one(
        conn.into(),
        &format!("SELECT count(*) FROM reminders r WHERE {wh}"),
        &super::refs(&args),
    )
}

/// Below this many, a group is ranked by sorting it; above, by walking the customers from
/// the highest total down until `limit` rows are found (dense enough to stop early).
const SORT_AT_MOST: i64 = 10_000;

/// Open reminders due in the range, the customers with most at stake first; `count` is
/// the group's size, which picks the plan.
pub fn open_ranked<'a>(
    conn: impl Into<Conn<'a>>,
    from: Option<&str>,
    to: Option<&str>,
    count: i64,
    limit: u32,
) -> Result<Vec<ReminderRec>> {
    let conn = conn.into();
    let mut args = Vec::new();
    let wh = open_where(from, to, &mut args);
    args.push(Box::new(i64::from(limit)));
    let join = match conn {
        Conn::Lite(_) if count > SORT_AT_MOST => {
            "customers c INDEXED BY customers_total CROSS JOIN reminders r ON r.customer_id = c.id"
        }
        _ => "reminders r JOIN customers c ON c.id = r.customer_id",
    };
    let sql = format!(
        "SELECT {REMINDER_COLS} FROM {join}
         WHERE {wh} ORDER BY c.total_minor DESC, c.id DESC, r.due_date, r.id LIMIT ?{}",
        args.len()
    );
    super::rows(conn, &sql, &super::refs(&args))
}

/// Open reminders due in the range, soonest first; optionally one customer's.
pub fn open_by_date<'a>(
    conn: impl Into<Conn<'a>>,
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
    args.push(Box::new(i64::from(limit)));
    // A reminder with no time after the timed ones of its day, on both engines.
    let sql = format!(
        "SELECT {REMINDER_COLS} FROM reminders r
         WHERE {wh} ORDER BY r.due_date, r.due_time IS NULL, r.due_time, r.id LIMIT ?{}",
        args.len()
    );
    super::rows(conn.into(), &sql, &super::refs(&args))
}

/// Every reminder of a customer, open or closed, newest due date first.
pub fn reminders_of<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<ReminderRec>> {
    super::rows(
        conn.into(),
        &format!(
            "SELECT {REMINDER_COLS} FROM reminders r WHERE r.customer_id = ?1
             ORDER BY r.due_date DESC, r.id DESC LIMIT ?2"
        ),
        &[&customer_id, &i64::from(limit)],
    )
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

pub fn customer_brief<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<CustomerBrief>> {
    let conn = conn.into();
    let big = super::sum_cast(conn);
    let sql = format!(
        "SELECT c.name, c.phone, c.visits, c.total_minor, c.last_purchase_at,
            (SELECT to_tier FROM tier_history WHERE customer_id = c.id
             ORDER BY at DESC, id DESC LIMIT 1),
            (SELECT coalesce(sum(points), 0){big} FROM points_ledger WHERE customer_id = c.id)
         FROM customers c WHERE c.id = ?1"
    );
    Ok(super::first::<Brief>(conn, &sql, &[&id])?.map(|b| b.0))
}

/// [`CustomerBrief`] as one row of either engine.
struct Brief(CustomerBrief);

impl super::Columns for Brief {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(Brief((
            r.col(0)?,
            r.col(1)?,
            r.col(2)?,
            r.col(3)?,
            r.col(4)?,
            r.col(5)?,
            r.col(6)?,
        )))
    }
}

// ---- customers the rules look at ----

pub fn is_active<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<bool> {
    Ok(super::first::<(bool,)>(
        conn.into(),
        "SELECT archived_at IS NULL FROM customers WHERE id = ?1",
        &[&id],
    )?
    .is_some_and(|(a,)| a))
}

// ---- candidates for the reminder rules (active customers only) ----
// Each in id order: reminders are then made, and numbered, alike on both engines.

/// (customer, first purchase) for first purchases in [from, to).
pub fn first_purchases_between<'a>(
    conn: impl Into<Conn<'a>>,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>> {
    super::rows(
        conn.into(),
        "SELECT id, first_purchase_at FROM customers
         WHERE first_purchase_at >= ?1 AND first_purchase_at < ?2 AND archived_at IS NULL
         ORDER BY id",
        &[&from, &to],
    )
}

/// (purchase, customer, at, total minor) of purchases in [from, to) of at least `min_minor`,
/// archived customers included.
pub fn purchases_between<'a>(
    conn: impl Into<Conn<'a>>,
    from: i64,
    to: i64,
    min_minor: i64,
) -> Result<Vec<(i64, i64, i64, i64)>> {
    super::rows(
        conn.into(),
        "SELECT p.id, p.customer_id, p.at, p.total_minor FROM purchases p
         WHERE p.at >= ?1 AND p.at < ?2 AND p.total_minor >= ?3 ORDER BY p.id",
        &[&from, &to, &min_minor],
    )
}

/// (customer, birthday) for birthdays on any of these "MM-DD" days.
pub fn birthdays_on<'a>(
    conn: impl Into<Conn<'a>>,
    month_days: &[String],
) -> Result<Vec<(i64, String)>> {
    let conn = conn.into();
    // The last five characters: SQLite counts a negative start from the end, PostgreSQL
    // does not.
    let tail = match conn {
        Conn::Lite(_) => "substr(birthday, -5)",
        Conn::Pg(_) => "right(birthday, 5)",
    };
    let sql = format!(
        "SELECT id, birthday FROM customers
         WHERE {tail} = ?1 AND birthday IS NOT NULL AND archived_at IS NULL ORDER BY id"
    );
    let mut out = Vec::new();
    for md in month_days {
        out.extend(super::rows::<(i64, String)>(conn, &sql, &[md])?);
    }
    Ok(out)
}

/// The distinct warranty lengths in use, found by index seeks rather than a scan.
pub fn warranty_lengths<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<u32>> {
    let conn = conn.into();
    let mut out = Vec::new();
    let mut last = 0i64;
    while let Some(m) = super::one::<Option<i64>>(
        conn,
        "SELECT min(warranty_months) FROM purchase_items
         WHERE warranty_months IS NOT NULL AND warranty_months > ?1",
        &[&last],
    )? {
        out.push(u32::try_from(m).unwrap_or(u32::MAX));
        last = m;
    }
    Ok(out)
}

/// (item, purchase, customer, product, purchased at).
pub type BoughtItem = (i64, i64, i64, String, i64);

/// Items with `months` of warranty bought in [from, to), archived customers included.
pub fn warranty_items_bought<'a>(
    conn: impl Into<Conn<'a>>,
    months: u32,
    from: i64,
    to: i64,
) -> Result<Vec<BoughtItem>> {
    let conn = conn.into();
    // Purchases by date first: a day's purchases are few, items of one length may be many.
    let join = super::ordered_join(conn);
    super::rows(
        conn,
        &format!(
            "SELECT i.id, p.id, p.customer_id, i.product, p.at
             FROM purchases p {join} purchase_items i ON i.purchase_id = p.id
             WHERE p.at >= ?2 AND p.at < ?3 AND i.warranty_months = ?1 ORDER BY i.id"
        ),
        &[&i64::from(months), &from, &to],
    )
}

/// (customer, first purchase, last purchase, visits) of repeat customers last seen before `before`.
pub fn lapsing_candidates<'a>(
    conn: impl Into<Conn<'a>>,
    before: i64,
) -> Result<Vec<(i64, i64, i64, i64)>> {
    super::rows(
        conn.into(),
        "SELECT id, first_purchase_at, last_purchase_at, visits FROM customers
         WHERE last_purchase_at < ?1 AND visits >= 2 AND archived_at IS NULL ORDER BY id",
        &[&before],
    )
}

/// (customer, details confirmed at) for confirmations in [from, to).
pub fn confirmed_between<'a>(
    conn: impl Into<Conn<'a>>,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>> {
    super::rows(
        conn.into(),
        "SELECT id, coalesce(details_confirmed_at, created_at) FROM customers
         WHERE coalesce(details_confirmed_at, created_at) >= ?1
           AND coalesce(details_confirmed_at, created_at) < ?2 AND archived_at IS NULL
         ORDER BY id",
        &[&from, &to],
    )
}
