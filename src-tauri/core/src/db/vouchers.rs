//! Voucher programmes, their codes and the bills that redeemed them.

use super::{Conn, Row};
use crate::error::Result;
use rusqlite::params;
use std::collections::HashSet;

/// A programme as stored; amounts in minor units, times as unix instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub percent: Option<i64>,
    pub gift: Option<String>,
    pub gift_cost_minor: i64,
    pub multiplier: Option<String>,
    pub points: Option<i64>,
    pub min_bill_minor: i64,
    pub valid_from: i64,
    pub valid_until: i64,
    pub per_customer: Option<i64>,
    pub quantity: Option<i64>,
    pub budget_minor: Option<i64>,
    pub audience: String,
    pub next_min_minor: Option<i64>,
    pub next_days: Option<i64>,
    /// Redemptions that count, and their discounts and gift costs.
    pub uses: i64,
    pub spent_minor: i64,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

impl ProgramRow {
    /// A programme of `kind` with no value, limits or window yet, for its maker to fill in.
    pub fn blank(name: String, kind: &str, created_at: i64) -> ProgramRow {
        ProgramRow {
            id: 0,
            name,
            kind: kind.to_owned(),
            amount_minor: None,
            percent: None,
            gift: None,
            gift_cost_minor: 0,
            multiplier: None,
            points: None,
            min_bill_minor: 0,
            valid_from: 0,
            valid_until: 0,
            per_customer: None,
            quantity: None,
            budget_minor: None,
            audience: "issued".into(),
            next_min_minor: None,
            next_days: None,
            uses: 0,
            spent_minor: 0,
            created_at,
            ended_at: None,
        }
    }
}

const PROGRAM_COLS: &str = "p.id, p.name, p.kind, p.amount_minor, p.percent, p.gift,
    p.gift_cost_minor, p.multiplier, p.points, p.min_bill_minor, p.valid_from, p.valid_until,
    p.per_customer, p.quantity, p.budget_minor, p.audience, p.next_min_minor, p.next_days,
    p.uses, p.spent_minor, p.created_at, p.ended_at";

fn program_row(r: &impl Row, at: usize) -> Result<ProgramRow> {
    Ok(ProgramRow {
        id: r.col(at)?,
        name: r.col(at + 1)?,
        kind: r.col(at + 2)?,
        amount_minor: r.col(at + 3)?,
        percent: r.col(at + 4)?,
        gift: r.col(at + 5)?,
        gift_cost_minor: r.col(at + 6)?,
        multiplier: r.col(at + 7)?,
        points: r.col(at + 8)?,
        min_bill_minor: r.col(at + 9)?,
        valid_from: r.col(at + 10)?,
        valid_until: r.col(at + 11)?,
        per_customer: r.col(at + 12)?,
        quantity: r.col(at + 13)?,
        budget_minor: r.col(at + 14)?,
        audience: r.col(at + 15)?,
        next_min_minor: r.col(at + 16)?,
        next_days: r.col(at + 17)?,
        uses: r.col(at + 18)?,
        spent_minor: r.col(at + 19)?,
        created_at: r.col(at + 20)?,
        ended_at: r.col(at + 21)?,
    })
}

/// A new programme (its `id`, `uses`, `spent_minor` and `ended_at` are ignored).
pub fn insert_program<'a>(
    conn: impl Into<Conn<'a>>,
    p: &ProgramRow,
    staff: Option<&str>,
) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO voucher_programs (name, kind, amount_minor, percent, gift, gift_cost_minor,
            multiplier, points, min_bill_minor, valid_from, valid_until, per_customer, quantity,
            budget_minor, audience, next_min_minor, next_days, created_at, staff)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19) RETURNING id",
        &[
            &p.name,
            &p.kind,
            &p.amount_minor,
            &p.percent,
            &p.gift,
            &p.gift_cost_minor,
            &p.multiplier,
            &p.points,
            &p.min_bill_minor,
            &p.valid_from,
            &p.valid_until,
            &p.per_customer,
            &p.quantity,
            &p.budget_minor,
            &p.audience,
            &p.next_min_minor,
            &p.next_days,
            &p.created_at,
            &staff,
        ],
    )
}

/// One programme as [`program_row`] reads it, for either engine's rows.
struct Program(ProgramRow);

impl super::Columns for Program {
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Program(program_row(r, 0)?))
    }
}

pub fn program<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<ProgramRow>> {
    Ok(super::first::<Program>(
        conn.into(),
        &format!("SELECT {PROGRAM_COLS} FROM voucher_programs p WHERE p.id = ?1"),
        &[&id],
    )?
    .map(|p| p.0))
}

/// Ids of the programmes with this exact name, newest first.
pub fn program_ids_named<'a>(conn: impl Into<Conn<'a>>, name: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = super::rows(
        conn.into(),
        "SELECT id FROM voucher_programs WHERE name = ?1 ORDER BY id DESC",
        &[&name],
    )?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Every programme, newest first.
pub fn programs<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<ProgramRow>> {
    let rows: Vec<Program> = super::rows(
        conn.into(),
        &format!("SELECT {PROGRAM_COLS} FROM voucher_programs p ORDER BY p.id DESC"),
        &[],
    )?;
    Ok(rows.into_iter().map(|p| p.0).collect())
}

/// On a server, hold a programme until the transaction ends (issuing it, which reads who
/// holds one first). SQLite's write transaction holds the file anyway.
pub fn hold_program<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<()> {
    if let Conn::Pg(p) = conn.into() {
        p.with(|c| {
            c.query_opt(
                "SELECT 1 FROM voucher_programs WHERE id = $1 FOR UPDATE",
                &[&id],
            )
        })?;
    }
    Ok(())
}

pub fn end_program<'a>(conn: impl Into<Conn<'a>>, id: i64, now: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE voucher_programs SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
        &[&id, &now],
    )?;
    Ok(())
}

/// The next-purchase rules a bill of `total` at `at` meets.
pub fn rules_met<'a>(conn: impl Into<Conn<'a>>, at: i64, total: i64) -> Result<Vec<ProgramRow>> {
    let sql = format!(
        "SELECT {PROGRAM_COLS} FROM voucher_programs p
         WHERE p.next_min_minor IS NOT NULL AND p.ended_at IS NULL
           AND p.valid_until > ?1 AND p.valid_from <= ?1 AND p.next_min_minor <= ?2
         ORDER BY p.id"
    );
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then(params![at, total], |r| program_row(r, 0))?
            .collect(),
        Conn::Pg(p) => p.with_rows(&sql, &[&at, &total], |r| program_row(r, 0)),
    }
}

pub struct NewVoucher<'a> {
    pub program_id: i64,
    pub code: &'a str,
    pub customer_id: Option<i64>,
    pub valid_from: i64,
    pub valid_until: i64,
    pub source_purchase_id: Option<i64>,
}

/// Insert a voucher; None when its code is taken (the caller draws another).
pub fn insert_voucher<'a>(
    conn: impl Into<Conn<'a>>,
    v: &NewVoucher,
    now: i64,
) -> Result<Option<i64>> {
    const SQL: &str = "INSERT INTO vouchers (program_id, code, customer_id, valid_from,
            valid_until, issued_at, source_purchase_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (code) DO NOTHING";
    match conn.into() {
        Conn::Lite(conn) => {
            let n = conn.prepare_cached(SQL)?.execute(params![
                v.program_id,
                v.code,
                v.customer_id,
                v.valid_from,
                v.valid_until,
                now,
                v.source_purchase_id
            ])?;
            Ok((n == 1).then(|| conn.last_insert_rowid()))
        }
        Conn::Pg(p) => {
            let sql = format!("{SQL} RETURNING id");
            p.with(|c| {
                Ok(c.query_opt(
                    &sql,
                    &[
                        &v.program_id,
                        &v.code,
                        &v.customer_id,
                        &v.valid_from,
                        &v.valid_until,
                        &now,
                        &v.source_purchase_id,
                    ],
                )?
                .map(|r| r.get(0)))
            })
        }
    }
}

pub fn code_exists<'a>(conn: impl Into<Conn<'a>>, code: &str) -> Result<bool> {
    Ok(super::first::<(i64,)>(
        conn.into(),
        "SELECT id FROM vouchers WHERE code = ?1",
        &[&code],
    )?
    .is_some())
}

/// The customers who already hold a voucher of the programme.
pub fn holders<'a>(conn: impl Into<Conn<'a>>, program_id: i64) -> Result<HashSet<i64>> {
    let rows: Vec<(i64,)> = super::rows(
        conn.into(),
        "SELECT customer_id FROM vouchers WHERE program_id = ?1 AND customer_id IS NOT NULL",
        &[&program_id],
    )?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The shared code of a programme open to anyone with it.
pub fn shared_code<'a>(conn: impl Into<Conn<'a>>, program_id: i64) -> Result<Option<String>> {
    Ok(super::first::<(String,)>(
        conn.into(),
        "SELECT code FROM vouchers WHERE program_id = ?1 AND customer_id IS NULL
         ORDER BY id LIMIT 1",
        &[&program_id],
    )?
    .map(|(c,)| c))
}

/// A voucher with its programme and how often it was used (returned uses left out).
#[derive(Debug, Clone)]
pub struct VoucherRow {
    pub id: i64,
    pub code: String,
    pub customer_id: Option<i64>,
    pub valid_from: i64,
    pub valid_until: i64,
    pub uses: i64,
    pub program: ProgramRow,
}

const VOUCHER_COLS: &str = "v.id, v.code, v.customer_id, v.valid_from, v.valid_until, v.uses";

fn voucher_row(r: &impl Row) -> Result<VoucherRow> {
    Ok(VoucherRow {
        id: r.col(0)?,
        code: r.col(1)?,
        customer_id: r.col(2)?,
        valid_from: r.col(3)?,
        valid_until: r.col(4)?,
        uses: r.col(5)?,
        program: program_row(r, 6)?,
    })
}

pub fn by_code<'a>(conn: impl Into<Conn<'a>>, code: &str) -> Result<Option<VoucherRow>> {
    let sql = format!(
        "SELECT {VOUCHER_COLS}, {PROGRAM_COLS} FROM vouchers v
         JOIN voucher_programs p ON p.id = v.program_id WHERE v.code = ?1"
    );
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then([code], |r| voucher_row(r))?
            .next()
            .transpose(),
        // In a bill's transaction the voucher and its programme are held to its end: two
        // counters using one voucher, or the last of a programme's quantity or budget, take
        // turns, and the second sees the first's use (SQLite has one writer anyway).
        Conn::Pg(p) => {
            let held = if p.in_transaction() {
                " FOR UPDATE OF v, p"
            } else {
                ""
            };
            Ok(p.with_rows(&format!("{sql}{held}"), &[&code], voucher_row)?
                .pop())
        }
    }
}

/// The vouchers a bill earned (the next-purchase rule).
pub fn earned_by<'a>(conn: impl Into<Conn<'a>>, purchase_id: i64) -> Result<Vec<VoucherRow>> {
    let sql = format!(
        "SELECT {VOUCHER_COLS}, {PROGRAM_COLS} FROM vouchers v
         JOIN voucher_programs p ON p.id = v.program_id
         WHERE v.source_purchase_id = ?1 ORDER BY v.id"
    );
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then([purchase_id], |r| voucher_row(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(&sql, &[&purchase_id], voucher_row),
    }
}

/// End an unused voucher now (the bill that earned it was refunded in full).
pub fn expire_unused<'a>(conn: impl Into<Conn<'a>>, voucher_id: i64, now: i64) -> Result<()> {
    let conn = conn.into();
    let least = match conn {
        Conn::Lite(_) => "min",
        Conn::Pg(_) => "least",
    };
    super::execute(
        conn,
        &format!(
            "UPDATE vouchers SET valid_from = {least}(valid_from, ?2 - 1), valid_until = ?2
             WHERE id = ?1 AND uses = 0 AND valid_until > ?2"
        ),
        &[&voucher_id, &now],
    )?;
    Ok(())
}

/// A customer's vouchers, the latest to expire first, at most `limit`.
pub fn of_customer<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<VoucherRow>> {
    let sql = format!(
        "SELECT {VOUCHER_COLS}, {PROGRAM_COLS} FROM vouchers v
         JOIN voucher_programs p ON p.id = v.program_id
         WHERE v.customer_id = ?1 ORDER BY v.valid_until DESC, v.id DESC LIMIT ?2"
    );
    let limit = i64::from(limit);
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&sql)?
            .query_and_then(params![customer_id, limit], |r| voucher_row(r))?
            .collect(),
        Conn::Pg(p) => p.with_rows(&sql, &[&customer_id, &limit], voucher_row),
    }
}

/// The customer's redemptions of a programme that count.
pub fn customer_uses<'a>(
    conn: impl Into<Conn<'a>>,
    program_id: i64,
    customer_id: i64,
) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM voucher_redemptions
                       WHERE program_id = ?1 AND customer_id = ?2 AND returned_at IS NULL";
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(SQL)?
            .query_row(params![program_id, customer_id], |r| r.get(0))?),
        Conn::Pg(p) => p.with(|c| Ok(c.query_one(SQL, &[&program_id, &customer_id])?.get(0))),
    }
}

pub struct NewRedemption {
    pub voucher_id: i64,
    pub program_id: i64,
    pub customer_id: i64,
    pub purchase_id: i64,
    pub at: i64,
    pub discount_minor: i64,
    pub gift_cost_minor: i64,
    pub bonus_points: i64,
}

/// Record a redemption, counted on its voucher and programme.
pub fn insert_redemption<'a>(conn: impl Into<Conn<'a>>, r: &NewRedemption) -> Result<i64> {
    let conn = conn.into();
    count_use(
        conn,
        r.voucher_id,
        r.program_id,
        1,
        r.discount_minor + r.gift_cost_minor,
    )?;
    const SQL: &str = "INSERT INTO voucher_redemptions (voucher_id, program_id, customer_id,
            purchase_id, at, discount_minor, gift_cost_minor, bonus_points)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    match conn {
        Conn::Lite(c) => {
            c.prepare_cached(SQL)?.execute(params![
                r.voucher_id,
                r.program_id,
                r.customer_id,
                r.purchase_id,
                r.at,
                r.discount_minor,
                r.gift_cost_minor,
                r.bonus_points
            ])?;
            Ok(c.last_insert_rowid())
        }
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_one(
                &format!("{SQL} RETURNING id"),
                &[
                    &r.voucher_id,
                    &r.program_id,
                    &r.customer_id,
                    &r.purchase_id,
                    &r.at,
                    &r.discount_minor,
                    &r.gift_cost_minor,
                    &r.bonus_points,
                ],
            )?
            .get(0))
        }),
    }
}

/// A bill's redemption.
pub struct Redeemed {
    pub id: i64,
    pub voucher: VoucherRow,
    pub discount_minor: i64,
    pub bonus_points: i64,
    pub returned_at: Option<i64>,
}

pub fn redemption_of<'a>(conn: impl Into<Conn<'a>>, purchase_id: i64) -> Result<Option<Redeemed>> {
    const SQL: &str = "SELECT r.id, v.code, r.discount_minor, r.bonus_points, r.returned_at
         FROM voucher_redemptions r JOIN vouchers v ON v.id = r.voucher_id
         WHERE r.purchase_id = ?1";
    type Found = (i64, String, i64, i64, Option<i64>);
    fn found(r: &impl Row) -> Result<Found> {
        Ok((r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?, r.col(4)?))
    }
    let conn = conn.into();
    let found: Option<Found> = match conn {
        Conn::Lite(c) => c
            .prepare_cached(SQL)?
            .query_and_then([purchase_id], |r| found(r))?
            .next()
            .transpose()?,
        Conn::Pg(p) => p.with_rows(SQL, &[&purchase_id], found)?.pop(),
    };
    let Some((id, code, discount_minor, bonus_points, returned_at)) = found else {
        return Ok(None);
    };
    Ok(by_code(conn, &code)?.map(|voucher| Redeemed {
        id,
        voucher,
        discount_minor,
        bonus_points,
        returned_at,
    }))
}

fn count_use<'a>(
    conn: impl Into<Conn<'a>>,
    voucher_id: i64,
    program_id: i64,
    n: i64,
    cost: i64,
) -> Result<()> {
    const VOUCHER: &str = "UPDATE vouchers SET uses = uses + ?2 WHERE id = ?1";
    const PROGRAM: &str = "UPDATE voucher_programs
                           SET uses = uses + ?2, spent_minor = spent_minor + ?3 WHERE id = ?1";
    let spent = n * cost;
    match conn.into() {
        Conn::Lite(c) => {
            c.prepare_cached(VOUCHER)?.execute(params![voucher_id, n])?;
            c.prepare_cached(PROGRAM)?
                .execute(params![program_id, n, spent])?;
        }
        Conn::Pg(p) => p
            .with(|c| {
                c.execute(VOUCHER, &[&voucher_id, &n])?;
                c.execute(PROGRAM, &[&program_id, &n, &spent])
            })
            .map(|_| ())?,
    }
    Ok(())
}

/// Give a redemption back: it no longer counts on its voucher and programme.
pub fn return_redemption<'a>(conn: impl Into<Conn<'a>>, id: i64, now: i64) -> Result<()> {
    let conn = conn.into();
    let row: Option<(i64, i64, i64)> = super::first(
        conn,
        "SELECT voucher_id, program_id, discount_minor + gift_cost_minor
         FROM voucher_redemptions WHERE id = ?1 AND returned_at IS NULL",
        &[&id],
    )?;
    if let Some((voucher_id, program_id, cost)) = row {
        super::execute(
            conn,
            "UPDATE voucher_redemptions SET returned_at = ?2 WHERE id = ?1",
            &[&id, &now],
        )?;
        count_use(conn, voucher_id, program_id, -1, cost)?;
    }
    Ok(())
}

/// What a programme gave and brought: vouchers issued (and to how many customers), the
/// redemptions that count, their discount and gift cost, and the revenue of those bills
/// (less what was refunded of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramFigures {
    pub issued: i64,
    pub redeemed: i64,
    pub customers: i64,
    pub discount_minor: i64,
    pub gift_cost_minor: i64,
    pub bonus_points: i64,
    pub revenue_minor: i64,
}

pub fn figures<'a>(conn: impl Into<Conn<'a>>, program_id: i64) -> Result<ProgramFigures> {
    let conn = conn.into();
    let issued = super::one(
        conn,
        "SELECT count(*) FROM vouchers WHERE program_id = ?1",
        &[&program_id],
    )?;
    let big = super::sum_cast(conn);
    let f: Figures = super::one_row(
        conn,
        &format!(
            "SELECT count(*), count(DISTINCT r.customer_id), coalesce(sum(r.discount_minor), 0){big},
                coalesce(sum(r.gift_cost_minor), 0){big}, coalesce(sum(r.bonus_points), 0){big},
                coalesce(sum(p.total_minor - coalesce(
                    (SELECT sum(f.amount_minor) FROM refunds f WHERE f.purchase_id = p.id), 0)),
                    0){big}
             FROM voucher_redemptions r JOIN purchases p ON p.id = r.purchase_id
             WHERE r.program_id = ?1 AND r.returned_at IS NULL"
        ),
        &[&program_id],
    )?;
    Ok(ProgramFigures { issued, ..f.0 })
}

struct Figures(ProgramFigures);

impl super::Columns for Figures {
    fn read(r: &impl Row) -> Result<Self> {
        Ok(Figures(ProgramFigures {
            issued: 0,
            redeemed: r.col(0)?,
            customers: r.col(1)?,
            discount_minor: r.col(2)?,
            gift_cost_minor: r.col(3)?,
            bonus_points: r.col(4)?,
            revenue_minor: r.col(5)?,
        }))
    }
}
