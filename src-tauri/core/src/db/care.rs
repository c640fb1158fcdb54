//! Customer care: the care log, surveys, warranties and after-sales tickets, referrals and
//! confirmed details.

use super::Conn;
use crate::error::Result;
use crate::model::{Interaction, Survey, Ticket};
use crate::time;
use rusqlite::{params, Connection, OptionalExtension, Row};

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

pub fn confirm_details(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE customers SET details_confirmed_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}
