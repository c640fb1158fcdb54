//! Appreciation campaigns, their members (treated or held back) and what the members did
//! over the campaign's window.

use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub occasion: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// The audience filter, as JSON.
    pub filter: String,
    pub top_n: Option<i64>,
    pub program_id: Option<i64>,
    pub points: Option<i64>,
    pub gift: Option<String>,
    pub template: Option<String>,
    pub call_top: Option<i64>,
    pub holdout_percent: i64,
    pub seed: i64,
    pub created_at: i64,
    pub launched_at: Option<i64>,
}

const COLS: &str = "id, name, occasion, starts_at, ends_at, filter, top_n, program_id, points,
    gift, template, call_top, holdout_percent, seed, created_at, launched_at";

fn row(r: &Row) -> rusqlite::Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.get(0)?,
        name: r.get(1)?,
        occasion: r.get(2)?,
        starts_at: r.get(3)?,
        ends_at: r.get(4)?,
        filter: r.get(5)?,
        top_n: r.get(6)?,
        program_id: r.get(7)?,
        points: r.get(8)?,
        gift: r.get(9)?,
        template: r.get(10)?,
        call_top: r.get(11)?,
        holdout_percent: r.get(12)?,
        seed: r.get(13)?,
        created_at: r.get(14)?,
        launched_at: r.get(15)?,
    })
}

/// A new campaign (its `id` and `launched_at` are ignored).
pub fn insert(conn: &Connection, c: &CampaignRow, staff: Option<&str>) -> Result<i64> {
    conn.execute(
        "INSERT INTO campaigns (name, occasion, starts_at, ends_at, filter, top_n, program_id,
            points, gift, template, call_top, holdout_percent, seed, created_at, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            c.name,
            c.occasion,
            c.starts_at,
            c.ends_at,
            c.filter,
            c.top_n,
            c.program_id,
            c.points,
            c.gift,
            c.template,
            c.call_top,
            c.holdout_percent,
            c.seed,
            c.created_at,
            staff
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<CampaignRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLS} FROM campaigns WHERE id = ?1"),
            [id],
            row,
        )
        .optional()?)
}

pub fn ids_named(conn: &Connection, name: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT id FROM campaigns WHERE name = ?1 ORDER BY id DESC")?;
    let rows = stmt.query_map([name], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn all(conn: &Connection) -> Result<Vec<CampaignRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLS} FROM campaigns ORDER BY id DESC"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The size of a campaign's top-N audience, once it is known (the demo's).
pub fn set_top(conn: &Connection, id: i64, n: i64) -> Result<()> {
    conn.execute(
        "UPDATE campaigns SET top_n = ?2 WHERE id = ?1",
        params![id, n],
    )?;
    Ok(())
}

pub fn set_launched(conn: &Connection, id: i64, at: i64) -> Result<()> {
    conn.execute(
        "UPDATE campaigns SET launched_at = ?2 WHERE id = ?1 AND launched_at IS NULL",
        params![id, at],
    )?;
    Ok(())
}

pub fn insert_member(
    conn: &Connection,
    campaign_id: i64,
    customer_id: i64,
    holdout: bool,
    voucher_id: Option<i64>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO campaign_members (campaign_id, customer_id, holdout, voucher_id)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![campaign_id, customer_id, holdout, voucher_id])?;
    Ok(())
}

/// Each customer's spend in [since, until), bills less what was refunded of them.
pub fn spend_between(conn: &Connection, since: i64, until: i64) -> Result<HashMap<i64, i64>> {
    let mut stmt = conn.prepare(
        "SELECT p.customer_id, sum(p.total_minor - coalesce(
                (SELECT sum(f.amount_minor) FROM refunds f WHERE f.purchase_id = p.id), 0))
         FROM purchases p WHERE p.at >= ?1 AND p.at < ?2 GROUP BY p.customer_id",
    )?;
    let rows = stmt.query_map(params![since, until], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The first purchase of each active customer who has one.
pub fn first_purchases(conn: &Connection) -> Result<HashMap<i64, i64>> {
    let mut stmt = conn.prepare(
        "SELECT id, first_purchase_at FROM customers
         WHERE archived_at IS NULL AND first_purchase_at IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One member's figures over a window: (held back, bills, revenue net of refunds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFigures {
    pub holdout: bool,
    pub bills: i64,
    pub revenue_minor: i64,
}

/// Every member of the campaign with their bills in [since, until).
pub fn member_figures(
    conn: &Connection,
    campaign_id: i64,
    since: i64,
    until: i64,
) -> Result<Vec<MemberFigures>> {
    let mut stmt = conn.prepare(
        "SELECT m.holdout, count(p.id),
                coalesce(sum(p.total_minor - coalesce(
                    (SELECT sum(f.amount_minor) FROM refunds f WHERE f.purchase_id = p.id), 0)), 0)
         FROM campaign_members m
         LEFT JOIN purchases p ON p.customer_id = m.customer_id AND p.at >= ?2 AND p.at < ?3
         WHERE m.campaign_id = ?1
         GROUP BY m.customer_id",
    )?;
    let rows = stmt.query_map(params![campaign_id, since, until], |r| {
        Ok(MemberFigures {
            holdout: r.get(0)?,
            bills: r.get(1)?,
            revenue_minor: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The campaign's voucher redemptions by its members: (count, discounts, gift costs).
pub fn redemptions(conn: &Connection, campaign_id: i64) -> Result<(i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(r.discount_minor), 0), coalesce(sum(r.gift_cost_minor), 0)
         FROM campaign_members m JOIN voucher_redemptions r ON r.voucher_id = m.voucher_id
         WHERE m.campaign_id = ?1 AND r.returned_at IS NULL",
        [campaign_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// (treated, held back, vouchers issued) of a launched campaign.
pub fn member_counts(conn: &Connection, campaign_id: i64) -> Result<(i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(holdout = 0), 0), coalesce(sum(holdout = 1), 0), count(voucher_id)
         FROM campaign_members WHERE campaign_id = ?1",
        [campaign_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// The treated members, for the message list.
pub fn treated(conn: &Connection, campaign_id: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id FROM campaign_members WHERE campaign_id = ?1 AND holdout = 0
         ORDER BY customer_id",
    )?;
    let rows = stmt.query_map([campaign_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
