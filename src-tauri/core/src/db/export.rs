//! Export: the streaming reads behind an export, one row at a time so a million fit.

use super::customers::TAG_SEP;
use super::{Conn, Row};
use crate::error::{CoreError, Result};
use std::ops::ControlFlow;

/// Each row of `lite` (or, on a server, `pg`) read by `read` and handed to `f` as it
/// arrives, never all held; the first error (a row, or the file `f` writes) ends the scan.
fn stream<T>(
    conn: Conn,
    lite: &str,
    pg: &str,
    read_lite: impl Fn(&rusqlite::Row) -> Result<T>,
    read_pg: impl Fn(&postgres::Row) -> Result<T>,
    mut f: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    match conn {
        Conn::Lite(c) => {
            let mut stmt = c.prepare(lite)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                f(read_lite(r)?)?;
            }
            Ok(())
        }
        Conn::Pg(p) => {
            let mut failed: Option<CoreError> = None;
            p.with(|c| {
                c.for_each(pg, &[], |r| match read_pg(r).and_then(&mut f) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        failed = Some(e);
                        ControlFlow::Break(())
                    }
                })
            })?;
            failed.map_or(Ok(()), Err)
        }
    }
}

/// One customer row of an export.
pub struct CustomerOut {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub source: String,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    pub visits: i64,
    pub total_minor: i64,
    pub first_purchase_at: Option<i64>,
    pub last_purchase_at: Option<i64>,
    pub points: i64,
    pub tier: Option<String>,
}

/// Every customer, oldest first, archived ones too; streamed so a million fit.
// The closures stay: a function generic over the row cannot take SQLite's row of any
// statement's lifetime (clippy's rewrite does not compile).
#[allow(clippy::redundant_closure)]
pub fn each_customer<'a>(
    conn: impl Into<Conn<'a>>,
    f: impl FnMut(CustomerOut) -> Result<()>,
) -> Result<()> {
    // Tags in byte order, as SQLite's key (customer_id, tag) hands them.
    stream(
        conn.into(),
        "SELECT c.id, c.code, c.name, c.phone, c.birthday, c.gender, c.email, c.address, c.note,
            (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id),
            c.source, c.created_at, c.archived_at, c.visits, c.total_minor,
            c.first_purchase_at, c.last_purchase_at,
            (SELECT total(points) FROM points_ledger WHERE customer_id = c.id),
            (SELECT to_tier FROM tier_history WHERE customer_id = c.id
             ORDER BY at DESC, id DESC LIMIT 1)
         FROM customers c ORDER BY c.id",
        "SELECT c.id, c.code, c.name, c.phone, c.birthday, c.gender, c.email, c.address, c.note,
            (SELECT string_agg(tag, chr(31) ORDER BY tag COLLATE \"C\") FROM customer_tags
             WHERE customer_id = c.id),
            c.source, c.created_at, c.archived_at, c.visits, c.total_minor,
            c.first_purchase_at, c.last_purchase_at,
            (SELECT coalesce(sum(points), 0)::float8 FROM points_ledger WHERE customer_id = c.id),
            (SELECT to_tier FROM tier_history WHERE customer_id = c.id
             ORDER BY at DESC, id DESC LIMIT 1)
         FROM customers c ORDER BY c.id",
        |r| customer_out(r),
        |r| customer_out(r),
        f,
    )
}

fn customer_out(r: &impl Row) -> Result<CustomerOut> {
    let tags: Option<String> = r.col(9)?;
    Ok(CustomerOut {
        id: r.col(0)?,
        code: r.col(1)?,
        name: r.col(2)?,
        phone: r.col(3)?,
        birthday: r.col(4)?,
        gender: r.col(5)?,
        email: r.col(6)?,
        address: r.col(7)?,
        note: r.col(8)?,
        tags: tags
            .map(|t| t.split(TAG_SEP).map(str::to_owned).collect())
            .unwrap_or_default(),
        source: r.col(10)?,
        created_at: r.col(11)?,
        archived_at: r.col(12)?,
        visits: r.col(13)?,
        total_minor: r.col(14)?,
        first_purchase_at: r.col(15)?,
        last_purchase_at: r.col(16)?,
        points: crate::limits::from_total(r.col(17)?),
        tier: r.col(18)?,
    })
}

/// One purchase row of an export, with its customer and line items as text.
pub struct PurchaseOut {
    pub id: i64,
    pub at: i64,
    pub customer_id: i64,
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub total_minor: i64,
    pub discount_minor: i64,
    pub refunded_minor: i64,
    pub payment_method: String,
    /// "product × quantity @ unit price minor" per item, in order.
    pub items: Vec<(String, String, i64)>,
    pub note: Option<String>,
    pub staff: Option<String>,
}

/// Every purchase in time order.
// The closures stay (see each_customer).
#[allow(clippy::redundant_closure)]
pub fn each_purchase<'a>(
    conn: impl Into<Conn<'a>>,
    f: impl FnMut(PurchaseOut) -> Result<()>,
) -> Result<()> {
    stream(
        conn.into(),
        "SELECT p.id, p.at, p.customer_id, c.code, c.name, c.phone, p.total_minor,
            p.discount_minor,
            (SELECT total(amount_minor) FROM refunds WHERE purchase_id = p.id),
            p.payment_method,
            (SELECT group_concat(product || char(31) || quantity || char(31) || unit_price_minor,
                                 char(30))
             FROM (SELECT product, quantity, unit_price_minor FROM purchase_items
                   WHERE purchase_id = p.id ORDER BY id)),
            p.note, p.staff
         FROM purchases p JOIN customers c ON c.id = p.customer_id
         ORDER BY p.at, p.id",
        "SELECT p.id, p.at, p.customer_id, c.code, c.name, c.phone, p.total_minor,
            p.discount_minor,
            (SELECT coalesce(sum(amount_minor), 0)::float8 FROM refunds WHERE purchase_id = p.id),
            p.payment_method,
            (SELECT string_agg(product || chr(31) || quantity || chr(31) || unit_price_minor,
                               chr(30) ORDER BY id)
             FROM purchase_items WHERE purchase_id = p.id),
            p.note, p.staff
         FROM purchases p JOIN customers c ON c.id = p.customer_id
         ORDER BY p.at, p.id",
        |r| purchase_out(r),
        |r| purchase_out(r),
        f,
    )
}

fn purchase_out(r: &impl Row) -> Result<PurchaseOut> {
    let items: Option<String> = r.col(10)?;
    let items = items
        .map(|s| {
            s.split('\u{1e}')
                .filter_map(|it| {
                    let mut p = it.split(TAG_SEP);
                    let product = p.next()?.to_owned();
                    let qty = p.next()?.to_owned();
                    let unit = p.next()?.parse().ok()?;
                    Some((product, qty, unit))
                })
                .collect()
        })
        .unwrap_or_default();
    // Refunds are stored as the share of the bill they undo; the export shows the money.
    let (total, discount): (i64, i64) = (r.col(6)?, r.col(7)?);
    let share = crate::limits::from_total(r.col(8)?);
    let refunded_minor =
        crate::money::refund_money(total, total.saturating_sub(discount).max(0), share);
    Ok(PurchaseOut {
        id: r.col(0)?,
        at: r.col(1)?,
        customer_id: r.col(2)?,
        code: r.col(3)?,
        name: r.col(4)?,
        phone: r.col(5)?,
        total_minor: total,
        discount_minor: discount,
        refunded_minor,
        payment_method: r.col(9)?,
        items,
        note: r.col(11)?,
        staff: r.col(12)?,
    })
}

/// One points-ledger entry of an export.
pub struct LedgerOut {
    pub id: i64,
    pub at: i64,
    pub customer_id: i64,
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub kind: String,
    pub points: i64,
    pub purchase_id: Option<i64>,
    pub staff: Option<String>,
    pub reason: Option<String>,
}

/// The whole points ledger in the order it was written.
// The closures stay (see each_customer).
#[allow(clippy::redundant_closure)]
pub fn each_ledger_entry<'a>(
    conn: impl Into<Conn<'a>>,
    f: impl FnMut(LedgerOut) -> Result<()>,
) -> Result<()> {
    const SQL: &str = "SELECT l.id, l.at, l.customer_id, c.code, c.name, c.phone, l.kind, l.points,
            l.purchase_id, l.staff, l.reason
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id ORDER BY l.id";
    stream(
        conn.into(),
        SQL,
        SQL,
        |r| ledger_out(r),
        |r| ledger_out(r),
        f,
    )
}

fn ledger_out(r: &impl Row) -> Result<LedgerOut> {
    Ok(LedgerOut {
        id: r.col(0)?,
        at: r.col(1)?,
        customer_id: r.col(2)?,
        code: r.col(3)?,
        name: r.col(4)?,
        phone: r.col(5)?,
        kind: r.col(6)?,
        points: r.col(7)?,
        purchase_id: r.col(8)?,
        staff: r.col(9)?,
        reason: r.col(10)?,
    })
}
