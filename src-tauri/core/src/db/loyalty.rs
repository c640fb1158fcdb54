//! The points ledger, refunds, tiers and tier history.
//!
//! Per-customer sums use SQLite's `total()`: exact for every sum within the limits, and it
//! never fails, so a value past them from an old file cannot lock a customer's card.

use super::{Conn, Row};
use crate::error::Result;
use crate::limits::from_total;
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct TierRow {
    pub name: String,
    pub threshold_minor: i64,
    pub multiplier: String,
}

pub fn tiers<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<TierRow>> {
    const SQL: &str =
        "SELECT name, threshold_minor, multiplier FROM tiers ORDER BY threshold_minor, id";
    fn tier(r: &impl Row) -> Result<TierRow> {
        Ok(TierRow {
            name: r.col(0)?,
            threshold_minor: r.col(1)?,
            multiplier: r.col(2)?,
        })
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(SQL)?
            .query_and_then([], |r| tier(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(SQL, &[], tier),
    }
}

/// The settings a bill reads, as stored (absent keys are left out): the currency and every
/// `loyalty.*` key (the rules among them), in one statement instead of one per key.
pub fn bill_settings<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<(String, String)>> {
    fn pair(r: &impl Row) -> Result<(String, String)> {
        Ok((r.col(0)?, r.col(1)?))
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(
                "SELECT key, value FROM settings WHERE key = 'currency'
                 UNION ALL
                 SELECT key, value FROM settings WHERE key >= 'loyalty.' AND key < 'loyalty/'",
            )?
            .query_and_then([], |r| pair(r))?
            .collect(),
        // A prefix test, not a range: a server's collation may not order '.' before '/'.
        Conn::Pg(p) => p.with_rows(
            "SELECT key, value FROM settings
             WHERE key = 'currency' OR left(key, 8) = 'loyalty.'",
            &[],
            pair,
        ),
    }
}

pub fn replace_tiers<'a>(conn: impl Into<Conn<'a>>, tiers: &[TierRow]) -> Result<()> {
    let conn = conn.into();
    super::execute(conn, "DELETE FROM tiers", &[])?;
    for t in tiers {
        super::execute(
            conn,
            "INSERT INTO tiers (name, threshold_minor, multiplier) VALUES (?1, ?2, ?3)",
            &[&t.name, &t.threshold_minor, &t.multiplier],
        )?;
    }
    Ok(())
}

pub struct NewEntry<'a> {
    pub customer_id: i64,
    pub kind: &'a str,
    pub points: i64,
    pub at: i64,
    pub purchase_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub staff: Option<&'a str>,
    pub reason: Option<&'a str>,
}

pub fn insert_entry<'a>(conn: impl Into<Conn<'a>>, e: &NewEntry, now: i64) -> Result<i64> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        // Not sealed on a server: the seal's key belongs to one computer (store::audit).
        Conn::Pg(p) => {
            return p.with(|c| {
                Ok(c.query_one(
                    "INSERT INTO points_ledger (customer_id, kind, points, at, purchase_id,
                        refund_id, staff, reason, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &[
                        &e.customer_id,
                        &e.kind,
                        &e.points,
                        &e.at,
                        &e.purchase_id,
                        &e.refund_id,
                        &e.staff,
                        &e.reason,
                        &now,
                    ],
                )?
                .get(0))
            })
        }
    };
    conn.prepare_cached(
        "INSERT INTO points_ledger (customer_id, kind, points, at, purchase_id, refund_id, staff,
            reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        e.customer_id,
        e.kind,
        e.points,
        e.at,
        e.purchase_id,
        e.refund_id,
        e.staff,
        e.reason,
        now
    ])?;
    let id = conn.last_insert_rowid();
    super::seal::points_added(conn, id)?;
    Ok(id)
}

pub fn balance<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<i64> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached("SELECT total(points) FROM points_ledger WHERE customer_id = ?1")?
            .query_row([customer_id], |r| Ok(from_total(r.get(0)?)))?),
        Conn::Pg(p) => p.with(|c| {
            let r = c.query_one(
                "SELECT coalesce(sum(points), 0)::float8 FROM points_ledger
                 WHERE customer_id = $1",
                &[&customer_id],
            )?;
            Ok(from_total(r.get(0)))
        }),
    }
}

/// (at, points) in ledger order, for the first-in first-out expiry replay.
pub fn movements<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<Vec<(i64, i64)>> {
    const SQL: &str = "SELECT at, points FROM points_ledger WHERE customer_id = ?1 ORDER BY at, id";
    fn step(r: &impl Row) -> Result<(i64, i64)> {
        Ok((r.col(0)?, r.col(1)?))
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(SQL)?
            .query_and_then([customer_id], |r| step(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(SQL, &[&customer_id], step),
    }
}

#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: i64,
    pub kind: String,
    pub points: i64,
    pub at: i64,
    pub purchase_id: Option<i64>,
    pub staff: Option<String>,
    pub reason: Option<String>,
}

const ENTRY_COLS: &str = "id, kind, points, at, purchase_id, staff, reason";

fn entry_row(r: &impl Row) -> Result<EntryRow> {
    Ok(EntryRow {
        id: r.col(0)?,
        kind: r.col(1)?,
        points: r.col(2)?,
        at: r.col(3)?,
        purchase_id: r.col(4)?,
        staff: r.col(5)?,
        reason: r.col(6)?,
    })
}

pub fn entries<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<EntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLS} FROM points_ledger WHERE customer_id = ?1
         ORDER BY at DESC, id DESC LIMIT ?2"
    );
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then(params![customer_id, limit], |r| entry_row(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(&sql, &[&customer_id, &i64::from(limit)], entry_row),
    }
}

pub fn entry<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<EntryRow>> {
    let sql = format!("SELECT {ENTRY_COLS} FROM points_ledger WHERE id = ?1");
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then([id], |r| entry_row(r))?
            .next()
            .transpose(),
        Conn::Pg(p) => Ok(p.with_rows(&sql, &[&id], entry_row)?.pop()),
    }
}

/// Points a purchase moved: (earned, redeemed, returned by refunds, reversed by refunds),
/// each as a non-negative number.
pub fn purchase_points<'a>(
    conn: impl Into<Conn<'a>>,
    purchase_id: i64,
) -> Result<(i64, i64, i64, i64)> {
    fn four(r: &impl Row) -> Result<(i64, i64, i64, i64)> {
        Ok((
            from_total(r.col(0)?),
            from_total(r.col(1)?),
            from_total(r.col(2)?),
            from_total(r.col(3)?),
        ))
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(
                "SELECT
                   total(CASE WHEN kind = 'earn' THEN points END),
                   -total(CASE WHEN kind = 'redeem' THEN points END),
                   total(CASE WHEN kind = 'refund' AND points > 0 THEN points END),
                   -total(CASE WHEN kind = 'refund' AND points < 0 THEN points END)
                 FROM points_ledger WHERE purchase_id = ?1",
            )?
            .query_and_then([purchase_id], |r| four(r))?
            .next()
            .unwrap_or_else(|| Err(crate::error::CoreError::Internal("no sum row".into()))),
        Conn::Pg(p) => p
            .with_rows(
                "SELECT
                   coalesce(sum(CASE WHEN kind = 'earn' THEN points END), 0)::float8,
                   -coalesce(sum(CASE WHEN kind = 'redeem' THEN points END), 0)::float8,
                   coalesce(sum(CASE WHEN kind = 'refund' AND points > 0 THEN points END),
                            0)::float8,
                   -coalesce(sum(CASE WHEN kind = 'refund' AND points < 0 THEN points END),
                             0)::float8
                 FROM points_ledger WHERE purchase_id = $1",
                &[&purchase_id],
                four,
            )?
            .pop()
            .ok_or_else(|| crate::error::CoreError::Internal("no sum row".into())),
    }
}

/// Purchases minus refunds of one customer with `since < at <= until`.
pub fn spend<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    since: i64,
    until: i64,
) -> Result<i64> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(
                "SELECT
                   (SELECT total(total_minor) FROM purchases
                     WHERE customer_id = ?1 AND at > ?2 AND at <= ?3)
                 - (SELECT total(r.amount_minor) FROM refunds r
                     JOIN purchases p ON p.id = r.purchase_id
                     WHERE p.customer_id = ?1 AND r.at > ?2 AND r.at <= ?3)",
            )?
            .query_row(params![customer_id, since, until], |r| {
                Ok(from_total(r.get(0)?))
            })?),
        Conn::Pg(p) => p.with(|c| {
            let r = c.query_one(
                "SELECT
                   (SELECT coalesce(sum(total_minor), 0)::float8 FROM purchases
                     WHERE customer_id = $1 AND at > $2 AND at <= $3)
                 - (SELECT coalesce(sum(r.amount_minor), 0)::float8 FROM refunds r
                     JOIN purchases p ON p.id = r.purchase_id
                     WHERE p.customer_id = $1 AND r.at > $2 AND r.at <= $3)",
                &[&customer_id, &since, &until],
            )?;
            Ok(from_total(r.get(0)))
        }),
    }
}

/// The same for every customer with activity in the window.
pub fn spend_all<'a>(
    conn: impl Into<Conn<'a>>,
    since: i64,
    until: i64,
) -> Result<HashMap<i64, i64>> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(p) => return spend_all_pg(p, since, until),
    };
    let mut out: HashMap<i64, i64> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT customer_id, total(total_minor) FROM purchases WHERE at > ?1 AND at <= ?2
         GROUP BY customer_id",
    )?;
    for row in stmt.query_map(params![since, until], |r| {
        Ok((r.get::<_, i64>(0)?, from_total(r.get(1)?)))
    })? {
        let (id, s) = row?;
        out.insert(id, s);
    }
    let mut stmt = conn.prepare(
        "SELECT p.customer_id, total(r.amount_minor) FROM refunds r
         JOIN purchases p ON p.id = r.purchase_id
         WHERE r.at > ?1 AND r.at <= ?2 GROUP BY p.customer_id",
    )?;
    for row in stmt.query_map(params![since, until], |r| {
        Ok((r.get::<_, i64>(0)?, from_total(r.get(1)?)))
    })? {
        let (id, s) = row?;
        let e = out.entry(id).or_default();
        *e = e.saturating_sub(s);
    }
    Ok(out)
}

pub fn current_tier<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<Option<String>> {
    const SQL: &str = "SELECT to_tier FROM tier_history WHERE customer_id = ?1
         ORDER BY at DESC, id DESC LIMIT 1";
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(SQL)?
            .query_row([customer_id], |r| r.get(0))
            .optional()?
            .flatten()),
        Conn::Pg(p) => p.with(|c| Ok(c.query_opt(SQL, &[&customer_id])?.and_then(|r| r.get(0)))),
    }
}

/// Every customer's latest recorded tier (customers never evaluated are absent).
/// [`spend_all`] on a server, whose sums of BIGINTs are NUMERIC: cast back, whole.
fn spend_all_pg(p: &super::pg::Link, since: i64, until: i64) -> Result<HashMap<i64, i64>> {
    let bought: Vec<(i64, i64)> = super::rows(
        Conn::Pg(p),
        "SELECT customer_id, sum(total_minor)::bigint FROM purchases WHERE at > ?1 AND at <= ?2
         GROUP BY customer_id",
        &[&since, &until],
    )?;
    let refunded: Vec<(i64, i64)> = super::rows(
        Conn::Pg(p),
        "SELECT p.customer_id, sum(r.amount_minor)::bigint FROM refunds r
         JOIN purchases p ON p.id = r.purchase_id
         WHERE r.at > ?1 AND r.at <= ?2 GROUP BY p.customer_id",
        &[&since, &until],
    )?;
    let mut out: HashMap<i64, i64> = bought.into_iter().collect();
    for (id, s) in refunded {
        let e = out.entry(id).or_default();
        *e = e.saturating_sub(s);
    }
    Ok(out)
}

pub fn current_tiers_all<'a>(conn: impl Into<Conn<'a>>) -> Result<HashMap<i64, Option<String>>> {
    let rows: Vec<(i64, Option<String>)> = super::rows(
        conn.into(),
        "SELECT customer_id, to_tier FROM tier_history t
         WHERE id = (SELECT id FROM tier_history WHERE customer_id = t.customer_id
                     ORDER BY at DESC, id DESC LIMIT 1)",
        &[],
    )?;
    Ok(rows.into_iter().collect())
}

/// On a server, hold every customer's spend still until the transaction ends: every tier is
/// being worked out again, and a bill at a counter meanwhile would move a tier this pass
/// then overwrites. Every bill and refund first holds its customer's row (customers::hold),
/// so the customers table is the one lock: taken first, it waits for the bills under way
/// and stops new ones at their first step, which holds nothing this pass needs. (Locking
/// the purchases instead deadlocked: a bill held its customer while this pass's tier move
/// waited for that row's key.) Reads go on; counters wait for the owner's change, well under
/// a second. SQLite's write transaction holds the file anyway.
pub fn hold_spend<'a>(conn: impl Into<Conn<'a>>) -> Result<()> {
    if let Conn::Pg(p) = conn.into() {
        p.with(|c| c.batch_execute("LOCK TABLE customers IN EXCLUSIVE MODE"))?;
    }
    Ok(())
}

pub fn insert_tier_move<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    at: i64,
    from: Option<&str>,
    to: Option<&str>,
    spend_minor: i64,
) -> Result<()> {
    const SQL: &str = "INSERT INTO tier_history (customer_id, at, from_tier, to_tier,
         spend_minor) VALUES (?1, ?2, ?3, ?4, ?5)";
    match conn.into() {
        Conn::Lite(c) => {
            c.prepare_cached(SQL)?
                .execute(params![customer_id, at, from, to, spend_minor])?;
        }
        Conn::Pg(p) => {
            p.with(|c| c.execute(SQL, &[&customer_id, &at, &from, &to, &spend_minor]))?;
        }
    }
    Ok(())
}

/// One recorded tier move: (at, from, to, 12-month spend).
pub type TierMoveRow = (i64, Option<String>, Option<String>, i64);

/// Tier moves, newest first.
pub fn tier_history<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<TierMoveRow>> {
    const SQL: &str = "SELECT at, from_tier, to_tier, spend_minor FROM tier_history
         WHERE customer_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2";
    fn step(r: &impl Row) -> Result<TierMoveRow> {
        Ok((r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?))
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(SQL)?
            .query_and_then(params![customer_id, limit], |r| step(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(SQL, &[&customer_id, &i64::from(limit)], step),
    }
}

fn id_list(conn: Conn, sql: &str, p: &[&dyn super::Param]) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = super::rows(conn, sql, p)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Customers with points earned in `(from, to]`: their lots may have reached expiry.
pub fn customers_with_lots<'a>(conn: impl Into<Conn<'a>>, from: i64, to: i64) -> Result<Vec<i64>> {
    id_list(
        conn.into(),
        "SELECT DISTINCT customer_id FROM points_ledger WHERE points > 0 AND at > ?1 AND at <= ?2",
        &[&from, &to],
    )
}

/// Customers with a purchase or refund in `(from, to]`: their 12-month spend changed.
pub fn customers_with_spend<'a>(conn: impl Into<Conn<'a>>, from: i64, to: i64) -> Result<Vec<i64>> {
    id_list(
        conn.into(),
        "SELECT customer_id FROM purchases WHERE at > ?1 AND at <= ?2
         UNION SELECT p.customer_id FROM refunds r JOIN purchases p ON p.id = r.purchase_id
               WHERE r.at > ?1 AND r.at <= ?2",
        &[&from, &to],
    )
}

/// Active buyers born in `month` ("01".."12") with no birthday bonus since `year_start`;
/// with `only`, that one customer if they are one.
pub fn birthday_candidates<'a>(
    conn: impl Into<Conn<'a>>,
    month: &str,
    year_start: i64,
    only: Option<i64>,
) -> Result<Vec<i64>> {
    id_list(
        conn.into(),
        "SELECT id FROM customers c
         WHERE archived_at IS NULL AND visits > 0 AND birthday IS NOT NULL
           AND (CASE WHEN birthday LIKE '--%' THEN substr(birthday, 3, 2)
                     ELSE substr(birthday, 6, 2) END) = ?1
           AND NOT EXISTS (SELECT 1 FROM points_ledger l WHERE l.customer_id = c.id
                           AND l.kind = 'bonus' AND l.reason = 'birthday' AND l.at >= ?2)
           AND (CAST(?3 AS BIGINT) IS NULL OR c.id = ?3)
         ORDER BY id",
        &[&month, &year_start, &only],
    )
}

/// The sum of a column of a purchase's refunds (0 for none), exact on both engines.
fn refunds_sum<'a>(conn: impl Into<Conn<'a>>, column: &str, purchase_id: i64) -> Result<i64> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(&format!(
                "SELECT total({column}) FROM refunds WHERE purchase_id = ?1"
            ))?
            .query_row([purchase_id], |r| Ok(from_total(r.get(0)?)))?),
        pg @ Conn::Pg(_) => super::one(
            pg,
            &format!(
                "SELECT coalesce(sum({column}), 0)::bigint FROM refunds WHERE purchase_id = ?1"
            ),
            &[&purchase_id],
        ),
    }
}

pub fn refunded<'a>(conn: impl Into<Conn<'a>>, purchase_id: i64) -> Result<i64> {
    refunds_sum(conn, "amount_minor", purchase_id)
}

pub fn insert_refund<'a>(
    conn: impl Into<Conn<'a>>,
    purchase_id: i64,
    amount_minor: i64,
    at: i64,
    staff: Option<&str>,
) -> Result<i64> {
    const SQL: &str =
        "INSERT INTO refunds (purchase_id, amount_minor, at, staff) VALUES (?1, ?2, ?3, ?4)";
    match conn.into() {
        Conn::Lite(c) => {
            c.execute(SQL, params![purchase_id, amount_minor, at, staff])?;
            Ok(c.last_insert_rowid())
        }
        pg @ Conn::Pg(_) => super::one(
            pg,
            &format!("{SQL} RETURNING id"),
            &[&purchase_id, &amount_minor, &at, &staff],
        ),
    }
}

pub fn set_refund_shortfall<'a>(
    conn: impl Into<Conn<'a>>,
    refund_id: i64,
    shortfall: i64,
) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE refunds SET shortfall = ?2 WHERE id = ?1",
        &[&refund_id, &shortfall],
    )?;
    Ok(())
}

/// Points a purchase's refunds could not reverse so far.
pub fn shortfall<'a>(conn: impl Into<Conn<'a>>, purchase_id: i64) -> Result<i64> {
    refunds_sum(conn, "shortfall", purchase_id)
}
