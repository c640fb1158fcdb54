//! The purchases table and its line items.

use super::{Conn, Row};
use crate::error::Result;
use crate::model::{Purchase, PurchaseItem};
use crate::{limits, money, time};
use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use std::str::FromStr;

pub struct NewPurchase<'a> {
    pub client_id: Option<&'a str>,
    pub customer_id: i64,
    pub at: i64,
    pub total_minor: i64,
    pub payment_method: &'a str,
    pub note: Option<&'a str>,
    pub staff: Option<&'a str>,
    pub discount_minor: i64,
    /// The counter that recorded it, when named.
    pub counter: Option<&'a str>,
}

pub struct NewItem<'a> {
    pub product: &'a str,
    pub quantity: Decimal,
    pub unit_price_minor: i64,
    pub line_total_minor: i64,
    pub warranty_months: Option<u32>,
}

pub fn insert<'a>(
    conn: impl Into<Conn<'a>>,
    p: &NewPurchase,
    items: &[NewItem],
    now: i64,
) -> Result<i64> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(link) => {
            return link.with(|c| {
                let id: i64 = c
                    .query_one(
                        "INSERT INTO purchases (client_id, customer_id, at, total_minor,
                            payment_method, note, staff, created_at, discount_minor, counter)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                        &[
                            &p.client_id,
                            &p.customer_id,
                            &p.at,
                            &p.total_minor,
                            &p.payment_method,
                            &p.note,
                            &p.staff,
                            &now,
                            &p.discount_minor,
                            &p.counter,
                        ],
                    )?
                    .get(0);
                for it in items {
                    c.execute(
                        "INSERT INTO purchase_items (purchase_id, product, quantity,
                            unit_price_minor, line_total_minor, warranty_months)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            &id,
                            &it.product,
                            &it.quantity.to_string(),
                            &it.unit_price_minor,
                            &it.line_total_minor,
                            &it.warranty_months.map(i64::from),
                        ],
                    )?;
                }
                Ok(id)
            })
        }
    };
    conn.prepare_cached(
        "INSERT INTO purchases (client_id, customer_id, at, total_minor, payment_method, note,
            staff, created_at, discount_minor, counter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        p.client_id,
        p.customer_id,
        p.at,
        p.total_minor,
        p.payment_method,
        p.note,
        p.staff,
        now,
        p.discount_minor,
        p.counter
    ])?;
    let id = conn.last_insert_rowid();
    if !items.is_empty() {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO purchase_items (purchase_id, product, quantity, unit_price_minor,
                line_total_minor, warranty_months) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for it in items {
            stmt.execute(params![
                id,
                it.product,
                it.quantity.to_string(),
                it.unit_price_minor,
                it.line_total_minor,
                it.warranty_months
            ])?;
        }
    }
    Ok(id)
}

fn item_from(r: &impl Row, exp: u32) -> Result<PurchaseItem> {
    let qty: String = r.col(1)?;
    Ok(PurchaseItem {
        product: r.col(0)?,
        quantity: Decimal::from_str(&qty).unwrap_or_default(),
        unit_price: money::from_minor(r.col(2)?, exp),
        line_total: money::from_minor(r.col(3)?, exp),
        // Bounded on the way in; a value past u32 (an old file) shows as none, not an error.
        warranty_months: r.col::<Option<i64>>(4)?.and_then(|m| u32::try_from(m).ok()),
    })
}

fn items(conn: Conn, purchase_id: i64, exp: u32) -> Result<Vec<PurchaseItem>> {
    const SQL: &str = "SELECT product, quantity, unit_price_minor, line_total_minor,
         warranty_months FROM purchase_items WHERE purchase_id = ?1 ORDER BY id";
    match conn {
        Conn::Lite(c) => c
            .prepare_cached(SQL)?
            .query_and_then([purchase_id], |r| item_from(r, exp))?
            .collect(),
        Conn::Pg(p) => p.with_rows(SQL, &[&purchase_id], |r| item_from(r, exp)),
    }
}

/// Sums are read as `total()`, which never fails: a stored value past the limits (an old
/// file) shows as a large number instead of breaking every screen that lists the bill.
const COLS: &str = "id, customer_id, at, total_minor, payment_method, note, staff, created_at,
    discount_minor,
    (SELECT total(amount_minor) FROM refunds WHERE purchase_id = purchases.id),
    (SELECT -total(points) FROM points_ledger WHERE purchase_id = purchases.id
       AND (kind = 'redeem' OR (kind = 'refund' AND points > 0))),
    (SELECT v.code FROM voucher_redemptions r JOIN vouchers v ON v.id = r.voucher_id
       WHERE r.purchase_id = purchases.id),
    (SELECT total(discount_minor) FROM voucher_redemptions WHERE purchase_id = purchases.id),
    counter";

/// [`COLS`] in PostgreSQL's words: SQLite's `total()` is a float sum that is 0 over no rows.
const COLS_PG: &str = "id, customer_id, at, total_minor, payment_method, note, staff, created_at,
    discount_minor,
    (SELECT coalesce(sum(amount_minor), 0)::float8 FROM refunds
       WHERE purchase_id = purchases.id),
    (SELECT -coalesce(sum(points), 0)::float8 FROM points_ledger
       WHERE purchase_id = purchases.id
       AND (kind = 'redeem' OR (kind = 'refund' AND points > 0))),
    (SELECT v.code FROM voucher_redemptions r JOIN vouchers v ON v.id = r.voucher_id
       WHERE r.purchase_id = purchases.id),
    (SELECT coalesce(sum(discount_minor), 0)::float8 FROM voucher_redemptions
       WHERE purchase_id = purchases.id),
    counter";

fn purchase_from(r: &impl Row, exp: u32) -> Result<Purchase> {
    let total: i64 = r.col(3)?;
    let discount: i64 = r.col(8)?;
    let paid = total.saturating_sub(discount).max(0);
    let share = limits::from_total(r.col(9)?);
    let refunded = money::refund_money(total, paid, share);
    let refundable = if share >= total { 0 } else { paid - refunded };
    Ok(Purchase {
        id: r.col(0)?,
        customer_id: r.col(1)?,
        at: time::from_unix(r.col(2)?),
        total: money::from_minor(total, exp),
        payment_method: r.col(4)?,
        note: r.col(5)?,
        staff: r.col(6)?,
        created_at: time::from_unix(r.col(7)?),
        discount: money::from_minor(discount, exp),
        refunded: money::from_minor(refunded, exp),
        paid: money::from_minor(paid, exp),
        refundable: money::from_minor(refundable.max(0), exp),
        points_back: limits::from_total(r.col(10)?).max(0),
        voucher: r.col(11)?,
        voucher_discount: money::from_minor(limits::from_total(r.col(12)?), exp),
        counter: r.col(13)?,
        items: Vec::new(),
    })
}

pub fn get<'a>(conn: impl Into<Conn<'a>>, id: i64, exp: u32) -> Result<Option<Purchase>> {
    let conn = conn.into();
    let p = match conn {
        Conn::Lite(c) => c
            .prepare_cached(&format!("SELECT {COLS} FROM purchases WHERE id = ?1"))?
            .query_and_then([id], |r| purchase_from(r, exp))?
            .next()
            .transpose()?,
        Conn::Pg(p) => p
            .with_rows(
                &format!("SELECT {COLS_PG} FROM purchases WHERE id = $1"),
                &[&id],
                |r| purchase_from(r, exp),
            )?
            .into_iter()
            .next(),
    };
    match p {
        Some(mut p) => {
            p.items = items(conn, p.id, exp)?;
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

/// A customer's purchases, newest first.
pub fn for_customer<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    limit: u32,
    exp: u32,
) -> Result<Vec<Purchase>> {
    const WHERE: &str = "FROM purchases WHERE customer_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2";
    let conn = conn.into();
    let list: Vec<Purchase> = match conn {
        Conn::Lite(c) => c
            .prepare_cached(&format!("SELECT {COLS} {WHERE}"))?
            .query_and_then(params![customer_id, limit], |r| purchase_from(r, exp))?
            .collect::<Result<_>>()?,
        Conn::Pg(p) => p.with_rows(
            &format!("SELECT {COLS_PG} {}", WHERE),
            &[&customer_id, &i64::from(limit)],
            |r| purchase_from(r, exp),
        )?,
    };
    list.into_iter()
        .map(|mut p| {
            p.items = items(conn, p.id, exp)?;
            Ok(p)
        })
        .collect()
}

/// (visits, total minus refunds, first, last) computed from the purchases themselves.
pub fn aggregate<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
) -> Result<(i64, i64, Option<i64>, Option<i64>)> {
    // Both sum as floats (SQLite's total()), clamped alike by limits::from_total.
    let sql = match conn.into() {
        Conn::Lite(c) => {
            return Ok(c
                .prepare_cached(
                    "SELECT count(*),
                        total(total_minor)
                          - (SELECT total(r.amount_minor) FROM refunds r
                             JOIN purchases p ON p.id = r.purchase_id WHERE p.customer_id = ?1),
                        min(at), max(at)
                     FROM purchases WHERE customer_id = ?1",
                )?
                .query_row([customer_id], |r| {
                    Ok((
                        r.get(0)?,
                        limits::from_total(r.get(1)?),
                        r.get(2)?,
                        r.get(3)?,
                    ))
                })?)
        }
        Conn::Pg(p) => p,
    };
    let (visits, total, first, last): (i64, f64, Option<i64>, Option<i64>) = super::one_row(
        Conn::Pg(sql),
        "SELECT count(*),
            coalesce(sum(total_minor), 0)::float8
              - (SELECT coalesce(sum(r.amount_minor), 0)::float8 FROM refunds r
                 JOIN purchases p ON p.id = r.purchase_id WHERE p.customer_id = $1),
            min(at), max(at)
         FROM purchases WHERE customer_id = $1",
        &[&customer_id],
    )?;
    Ok((visits, limits::from_total(total), first, last))
}

/// What a customer's bills add up to, refunds not taken off (the per-customer limit).
pub fn gross_total<'a>(conn: impl Into<Conn<'a>>, customer_id: i64) -> Result<i64> {
    let sql = match conn.into() {
        Conn::Lite(c) => {
            return Ok(c
                .prepare_cached("SELECT total(total_minor) FROM purchases WHERE customer_id = ?1")?
                .query_row([customer_id], |r| Ok(limits::from_total(r.get(0)?)))?)
        }
        Conn::Pg(p) => p,
    };
    let total: f64 = super::one(
        Conn::Pg(sql),
        "SELECT coalesce(sum(total_minor), 0)::float8 FROM purchases WHERE customer_id = $1",
        &[&customer_id],
    )?;
    Ok(limits::from_total(total))
}

/// A bill's two looks at the customer's purchases in one pass over them: what all their bills
/// add up to, refunds not taken off (as [`gross_total`]), and their spend with
/// `since < at <= until`, purchases minus refunds (as `db::loyalty::spend`). Same sums, in
/// the same order, as those two queries: the window is a filter on the one index scan
/// instead of a second scan of its own.
pub fn gross_and_spend<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    since: i64,
    until: i64,
) -> Result<(i64, i64)> {
    fn two(r: &impl Row) -> Result<(i64, i64)> {
        Ok((limits::from_total(r.col(0)?), limits::from_total(r.col(1)?)))
    }
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(
                "SELECT total(total_minor),
                   total(CASE WHEN at > ?2 AND at <= ?3 THEN total_minor END)
                   - (SELECT total(r.amount_minor) FROM refunds r
                       JOIN purchases p ON p.id = r.purchase_id
                       WHERE p.customer_id = ?1 AND r.at > ?2 AND r.at <= ?3)
                 FROM purchases WHERE customer_id = ?1",
            )?
            .query_and_then(params![customer_id, since, until], |r| two(r))?
            .next()
            .unwrap_or_else(|| Err(crate::error::CoreError::Internal("no sum row".into()))),
        Conn::Pg(p) => p
            .with_rows(
                "SELECT coalesce(sum(total_minor), 0)::float8,
                   coalesce(sum(CASE WHEN at > $2 AND at <= $3 THEN total_minor END), 0)::float8
                   - (SELECT coalesce(sum(r.amount_minor), 0)::float8 FROM refunds r
                       JOIN purchases p ON p.id = r.purchase_id
                       WHERE p.customer_id = $1 AND r.at > $2 AND r.at <= $3)
                 FROM purchases WHERE customer_id = $1",
                &[&customer_id, &since, &until],
                two,
            )?
            .pop()
            .ok_or_else(|| crate::error::CoreError::Internal("no sum row".into())),
    }
}

/// Count a bill in its customer's cached figures when it is not the customer's first
/// (`first_purchase_at <= at`, the usual case at the counter): the same row as
/// `db::customers::add_purchase_stats` gives, but with first_purchase_at left out of the SET,
/// so its index entry is not rewritten and the commit writes one page less. False when the
/// bill may be the first (then nothing was changed and the caller uses that function).
pub fn count_later_bill<'a>(
    conn: impl Into<Conn<'a>>,
    customer_id: i64,
    at: i64,
    total_minor: i64,
) -> Result<bool> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(p) => {
            let n = p.with(|c| {
                c.execute(
                    "UPDATE customers SET visits = visits + 1, total_minor = total_minor + $3,
                        last_purchase_at = greatest(coalesce(last_purchase_at, $2), $2)
                     WHERE id = $1 AND first_purchase_at <= $2",
                    &[&customer_id, &at, &total_minor],
                )
            })?;
            return Ok(n > 0);
        }
    };
    let n = conn
        .prepare_cached(
            "UPDATE customers SET visits = visits + 1, total_minor = total_minor + ?3,
                last_purchase_at = max(coalesce(last_purchase_at, ?2), ?2)
             WHERE id = ?1 AND first_purchase_at <= ?2",
        )?
        .execute(params![customer_id, at, total_minor])?;
    Ok(n > 0)
}

/// (customer, total minor) of a purchase.
pub fn owner_and_total<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<(i64, i64)>> {
    Ok(bill(conn, id)?.map(|(c, t, _)| (c, t)))
}

/// (customer, total minor, discount minor) of a purchase.
pub fn bill<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<(i64, i64, i64)>> {
    super::first(
        conn.into(),
        "SELECT customer_id, total_minor, discount_minor FROM purchases WHERE id = ?1",
        &[&id],
    )
}

/// Whether the shop has any purchase (an O(1) question, unlike count(*)).
pub fn any<'a>(conn: impl Into<Conn<'a>>) -> Result<bool> {
    super::one(conn.into(), "SELECT EXISTS (SELECT 1 FROM purchases)", &[])
}

pub fn id_by_client_id<'a>(conn: impl Into<Conn<'a>>, client_id: &str) -> Result<Option<i64>> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .query_row(
                "SELECT id FROM purchases WHERE client_id = ?1",
                [client_id],
                |r| r.get(0),
            )
            .optional()?),
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_opt(
                "SELECT id FROM purchases WHERE client_id = $1",
                &[&client_id],
            )?
            .map(|r| r.get(0)))
        }),
    }
}
