//! Customer care: the care log, surveys, warranties and after-sales tickets, referrals and
//! confirmed details.

use super::Conn;
use crate::error::Result;
use crate::model::{Interaction, Survey, Ticket};
use crate::time;

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

pub fn insert_interaction<'a>(
    conn: impl Into<Conn<'a>>,
    i: &NewInteraction,
    now: i64,
) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO interactions (customer_id, channel, direction, summary, outcome, at, staff,
            reminder_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        &[
            &i.customer_id,
            &i.channel,
            &i.direction,
            &i.summary,
            &i.outcome,
            &i.at,
            &i.staff,
            &i.reminder_id,
            &now,
        ],
    )
}

const INTERACTION_COLS: &str =
    "id, customer_id, channel, direction, summary, outcome, at, staff, reminder_id";

impl super::Columns for Interaction {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(Interaction {
            id: r.col(0)?,
            customer_id: r.col(1)?,
            channel: r.col(2)?,
            direction: r.col(3)?,
            summary: r.col(4)?,
            outcome: r.col(5)?,
            at: time::from_unix(r.col(6)?),
            staff: r.col(7)?,
            reminder_id: r.col(8)?,
        })
    }
}

pub fn interaction<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<Interaction>> {
    super::first(
        conn.into(),
        &format!("SELECT {INTERACTION_COLS} FROM interactions WHERE id = ?1"),
        &[&id],
    )
}

pub fn interactions_of<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<Interaction>> {
    super::rows(
        conn.into(),
        &format!(
            "SELECT {INTERACTION_COLS} FROM interactions WHERE customer_id = ?1
             ORDER BY at DESC, id DESC LIMIT ?2"
        ),
        &[&customer_id, &i64::from(limit)],
    )
}

// ---- surveys ----

pub fn insert_survey<'a>(conn: impl Into<Conn<'a>>, s: &Survey) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO surveys (customer_id, purchase_id, kind, score, comment, at, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        &[
            &s.customer_id,
            &s.purchase_id,
            &s.kind,
            &s.score,
            &s.comment,
            &s.at.timestamp(),
            &s.staff,
        ],
    )
}

impl super::Columns for Survey {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(Survey {
            id: r.col(0)?,
            customer_id: r.col(1)?,
            purchase_id: r.col(2)?,
            kind: r.col(3)?,
            score: r.col(4)?,
            comment: r.col(5)?,
            at: time::from_unix(r.col(6)?),
            staff: r.col(7)?,
        })
    }
}

/// A customer's surveys, newest first.
pub fn surveys_of<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<Vec<Survey>> {
    super::rows(
        conn.into(),
        "SELECT id, customer_id, purchase_id, kind, score, comment, at, staff FROM surveys
         WHERE customer_id = ?1 ORDER BY at DESC, id DESC",
        &[&customer_id],
    )
}

// ---- warranties and tickets ----

/// (item id, purchase id, product, purchased at, months) of a customer's items with a warranty.
pub type WarrantyItem = (i64, i64, String, i64, u32);

struct Warranty(WarrantyItem);

impl super::Columns for Warranty {
    fn read(r: &impl super::Row) -> Result<Self> {
        let months: i64 = r.col(4)?;
        Ok(Warranty((
            r.col(0)?,
            r.col(1)?,
            r.col(2)?,
            r.col(3)?,
            u32::try_from(months).unwrap_or(0),
        )))
    }
}

pub fn warranty_items<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
) -> Result<Vec<WarrantyItem>> {
    let conn = conn.into();
    // The customer's purchases as the outer loop.
    let join = super::ordered_join(conn);
    let rows: Vec<Warranty> = super::rows(
        conn,
        &format!(
            "SELECT i.id, i.purchase_id, i.product, p.at, i.warranty_months
             FROM purchases p {join} purchase_items i ON i.purchase_id = p.id
             WHERE p.customer_id = ?1 AND i.warranty_months > 0
             ORDER BY p.at DESC, i.id"
        ),
        &[&customer_id],
    )?;
    Ok(rows.into_iter().map(|w| w.0).collect())
}

/// (owner, product) of a purchase item.
pub fn item_owner<'a>(conn: impl Into<Conn<'a>>, item_id: i64) -> Result<Option<(i64, String)>> {
    super::first(
        conn.into(),
        "SELECT p.customer_id, i.product FROM purchase_items i
         JOIN purchases p ON p.id = i.purchase_id WHERE i.id = ?1",
        &[&item_id],
    )
}

pub fn insert_ticket<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    item_id: Option<i64>,
    title: &str,
    note: Option<&str>,
    staff: Option<&str>,
    now: i64,
) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO tickets (customer_id, item_id, title, note, staff, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
        &[&customer_id, &item_id, &title, &note, &staff, &now],
    )
}

pub fn set_ticket_status<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    status: &str,
    now: i64,
) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE tickets SET status = ?2, updated_at = ?3 WHERE id = ?1",
        &[&id, &status, &now],
    )?;
    Ok(())
}

const TICKET_COLS: &str = "t.id, t.customer_id, t.item_id, i.product, t.title, t.note, t.status,
    t.created_at, t.updated_at, t.staff";

impl super::Columns for Ticket {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(Ticket {
            id: r.col(0)?,
            customer_id: r.col(1)?,
            item_id: r.col(2)?,
            product: r.col(3)?,
            title: r.col(4)?,
            note: r.col(5)?,
            status: r.col(6)?,
            created_at: time::from_unix(r.col(7)?),
            updated_at: time::from_unix(r.col(8)?),
            staff: r.col(9)?,
        })
    }
}

pub fn ticket<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<Ticket>> {
    let conn = conn.into();
    // Held in a server's transaction, so two counters moving one ticket take turns.
    let held = match conn {
        Conn::Pg(p) if p.in_transaction() => " FOR UPDATE OF t",
        _ => "",
    };
    super::first(
        conn,
        &format!(
            "SELECT {TICKET_COLS} FROM tickets t LEFT JOIN purchase_items i ON i.id = t.item_id
             WHERE t.id = ?1{held}"
        ),
        &[&id],
    )
}

/// A customer's tickets: unfinished first, then newest.
pub fn tickets_of<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<Vec<Ticket>> {
    super::rows(
        conn.into(),
        &format!(
            "SELECT {TICKET_COLS} FROM tickets t LEFT JOIN purchase_items i ON i.id = t.item_id
             WHERE t.customer_id = ?1 ORDER BY t.status = 'done', t.created_at DESC, t.id DESC"
        ),
        &[&customer_id],
    )
}

// ---- referrals and confirmed details ----

/// How many customers this one referred, and the newest `limit` of them.
pub fn referrals<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    limit: u32,
) -> Result<(i64, Vec<(i64, String)>)> {
    let conn = conn.into();
    let count = super::one(
        conn,
        "SELECT count(*) FROM customers WHERE referred_by = ?1 AND merged_into IS NULL",
        &[&id],
    )?;
    let rows: Vec<(i64, String)> = super::rows(
        conn,
        "SELECT id, name FROM customers WHERE referred_by = ?1 AND merged_into IS NULL
         ORDER BY id DESC LIMIT ?2",
        &[&id, &i64::from(limit)],
    )?;
    Ok((count, rows))
}

pub fn details_confirmed_at<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<i64>> {
    Ok(super::first::<(i64,)>(
        conn.into(),
        "SELECT coalesce(details_confirmed_at, created_at) FROM customers WHERE id = ?1",
        &[&id],
    )?
    .map(|(t,)| t))
}

pub fn confirm_details<'a>(conn: impl Into<Conn<'a>>, id: i64, now: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE customers SET details_confirmed_at = ?2 WHERE id = ?1",
        &[&id, &now],
    )?;
    Ok(())
}
