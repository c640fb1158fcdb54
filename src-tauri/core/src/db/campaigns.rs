//! Appreciation campaigns, their members (treated or held back) and what the members did
//! over the campaign's window.

use super::Conn;
use crate::error::Result;
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

impl super::Columns for CampaignRow {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(CampaignRow {
            id: r.col(0)?,
            name: r.col(1)?,
            occasion: r.col(2)?,
            starts_at: r.col(3)?,
            ends_at: r.col(4)?,
            filter: r.col(5)?,
            top_n: r.col(6)?,
            program_id: r.col(7)?,
            points: r.col(8)?,
            gift: r.col(9)?,
            template: r.col(10)?,
            call_top: r.col(11)?,
            holdout_percent: r.col(12)?,
            seed: r.col(13)?,
            created_at: r.col(14)?,
            launched_at: r.col(15)?,
        })
    }
}

/// A new campaign (its `id` and `launched_at` are ignored).
pub fn insert<'a>(conn: impl Into<Conn<'a>>, c: &CampaignRow, staff: Option<&str>) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO campaigns (name, occasion, starts_at, ends_at, filter, top_n, program_id,
            points, gift, template, call_top, holdout_percent, seed, created_at, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
        &[
            &c.name,
            &c.occasion,
            &c.starts_at,
            &c.ends_at,
            &c.filter,
            &c.top_n,
            &c.program_id,
            &c.points,
            &c.gift,
            &c.template,
            &c.call_top,
            &c.holdout_percent,
            &c.seed,
            &c.created_at,
            &staff,
        ],
    )
}

pub fn get<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<CampaignRow>> {
    super::first(
        conn.into(),
        &format!("SELECT {COLS} FROM campaigns WHERE id = ?1"),
        &[&id],
    )
}

pub fn ids_named<'a>(conn: impl Into<Conn<'a>>, name: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = super::rows(
        conn.into(),
        "SELECT id FROM campaigns WHERE name = ?1 ORDER BY id DESC",
        &[&name],
    )?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub fn all<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<CampaignRow>> {
    super::rows(
        conn.into(),
        &format!("SELECT {COLS} FROM campaigns ORDER BY id DESC"),
        &[],
    )
}

/// On a server, hold a campaign until the transaction ends (its launch). SQLite's write
/// transaction holds the file anyway.
pub fn hold<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<()> {
    if let Conn::Pg(p) = conn.into() {
        p.with(|c| c.query_opt("SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE", &[&id]))?;
    }
    Ok(())
}

/// The size of a campaign's top-N audience, once it is known (the demo's).
pub fn set_top<'a>(conn: impl Into<Conn<'a>>, id: i64, n: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE campaigns SET top_n = ?2 WHERE id = ?1",
        &[&id, &n],
    )?;
    Ok(())
}

pub fn set_launched<'a>(conn: impl Into<Conn<'a>>, id: i64, at: i64) -> Result<u64> {
    super::execute(
        conn.into(),
        "UPDATE campaigns SET launched_at = ?2 WHERE id = ?1 AND launched_at IS NULL",
        &[&id, &at],
    )
}

pub fn insert_member<'a>(
    conn: impl Into<Conn<'a>>,
    campaign_id: i64,
    customer_id: i64,
    holdout: bool,
    voucher_id: Option<i64>,
) -> Result<()> {
    super::execute(
        conn.into(),
        "INSERT INTO campaign_members (campaign_id, customer_id, holdout, voucher_id)
         VALUES (?1, ?2, ?3, ?4)",
        &[&campaign_id, &customer_id, &i64::from(holdout), &voucher_id],
    )?;
    Ok(())
}

/// Each customer's spend in [since, until), bills less what was refunded of them.
pub fn spend_between<'a>(
    conn: impl Into<Conn<'a>>,
    since: i64,
    until: i64,
) -> Result<HashMap<i64, i64>> {
    let conn = conn.into();
    let rows: Vec<(i64, i64)> = super::rows(
        conn,
        &format!(
            "SELECT p.customer_id, sum(p.total_minor - coalesce(
                    (SELECT sum(f.amount_minor) FROM refunds f WHERE f.purchase_id = p.id), 0)){}
             FROM purchases p WHERE p.at >= ?1 AND p.at < ?2 GROUP BY p.customer_id",
            super::sum_cast(conn)
        ),
        &[&since, &until],
    )?;
    Ok(rows.into_iter().collect())
}

/// The first purchase of each active customer who has one.
pub fn first_purchases<'a>(conn: impl Into<Conn<'a>>) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = super::rows(
        conn.into(),
        "SELECT id, first_purchase_at FROM customers
         WHERE archived_at IS NULL AND first_purchase_at IS NOT NULL",
        &[],
    )?;
    Ok(rows.into_iter().collect())
}

/// One member's figures over a window: (held back, bills, revenue net of refunds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFigures {
    pub holdout: bool,
    pub bills: i64,
    pub revenue_minor: i64,
}

impl super::Columns for MemberFigures {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(MemberFigures {
            holdout: r.col(0)?,
            bills: r.col(1)?,
            revenue_minor: r.col(2)?,
        })
    }
}

/// Every member of the campaign with their bills in [since, until).
pub fn member_figures<'a>(
    conn: impl Into<Conn<'a>>,
    campaign_id: i64,
    since: i64,
    until: i64,
) -> Result<Vec<MemberFigures>> {
    let conn = conn.into();
    super::rows(
        conn,
        &format!(
            "SELECT m.holdout <> 0, count(p.id),
                    coalesce(sum(p.total_minor - coalesce(
                        (SELECT sum(f.amount_minor) FROM refunds f WHERE f.purchase_id = p.id),
                        0)), 0){}
             FROM campaign_members m
             LEFT JOIN purchases p ON p.customer_id = m.customer_id AND p.at >= ?2 AND p.at < ?3
             WHERE m.campaign_id = ?1
             GROUP BY m.customer_id, m.holdout",
            super::sum_cast(conn)
        ),
        &[&campaign_id, &since, &until],
    )
}

/// The campaign's voucher redemptions by its members: (count, discounts, gift costs).
pub fn redemptions<'a>(conn: impl Into<Conn<'a>>, campaign_id: i64) -> Result<(i64, i64, i64)> {
    let conn = conn.into();
    super::one_row(
        conn,
        &format!(
            "SELECT count(*), coalesce(sum(r.discount_minor), 0){b},
                    coalesce(sum(r.gift_cost_minor), 0){b}
             FROM campaign_members m JOIN voucher_redemptions r ON r.voucher_id = m.voucher_id
             WHERE m.campaign_id = ?1 AND r.returned_at IS NULL",
            b = super::sum_cast(conn)
        ),
        &[&campaign_id],
    )
}

/// (treated, held back, vouchers issued) of a launched campaign.
pub fn member_counts<'a>(conn: impl Into<Conn<'a>>, campaign_id: i64) -> Result<(i64, i64, i64)> {
    super::one_row(
        conn.into(),
        "SELECT count(*) FILTER (WHERE holdout = 0), count(*) FILTER (WHERE holdout = 1),
                count(voucher_id)
         FROM campaign_members WHERE campaign_id = ?1",
        &[&campaign_id],
    )
}

/// The treated members, for the message list.
pub fn treated<'a>(conn: impl Into<Conn<'a>>, campaign_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = super::rows(
        conn.into(),
        "SELECT customer_id FROM campaign_members WHERE campaign_id = ?1 AND holdout = 0
         ORDER BY customer_id",
        &[&campaign_id],
    )?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
