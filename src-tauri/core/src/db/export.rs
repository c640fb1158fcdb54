//! Export: the streaming reads behind an export, one row at a time so a million fit.

use super::customers::TAG_SEP;
use crate::error::Result;
use rusqlite::Connection;

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
pub fn each_customer(
    conn: &Connection,
    mut f: impl FnMut(CustomerOut) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.code, c.name, c.phone, c.birthday, c.gender, c.email, c.address, c.note,
            (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id),
            c.source, c.created_at, c.archived_at, c.visits, c.total_minor,
            c.first_purchase_at, c.last_purchase_at,
            (SELECT total(points) FROM points_ledger WHERE customer_id = c.id),
            (SELECT to_tier FROM tier_history WHERE customer_id = c.id
             ORDER BY at DESC, id DESC LIMIT 1)
         FROM customers c ORDER BY c.id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let tags: Option<String> = r.get(9)?;
        f(CustomerOut {
            id: r.get(0)?,
            code: r.get(1)?,
            name: r.get(2)?,
            phone: r.get(3)?,
            birthday: r.get(4)?,
            gender: r.get(5)?,
            email: r.get(6)?,
            address: r.get(7)?,
            note: r.get(8)?,
            tags: tags
                .map(|t| t.split(TAG_SEP).map(str::to_owned).collect())
                .unwrap_or_default(),
            source: r.get(10)?,
            created_at: r.get(11)?,
            archived_at: r.get(12)?,
            visits: r.get(13)?,
            total_minor: r.get(14)?,
            first_purchase_at: r.get(15)?,
            last_purchase_at: r.get(16)?,
            points: crate::limits::from_total(r.get(17)?),
            tier: r.get(18)?,
        })?;
    }
    Ok(())
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
pub fn each_purchase(
    conn: &Connection,
    mut f: impl FnMut(PurchaseOut) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
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
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let items: Option<String> = r.get(10)?;
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
        let (total, discount): (i64, i64) = (r.get(6)?, r.get(7)?);
        let share = crate::limits::from_total(r.get(8)?);
        let refunded_minor =
            crate::money::refund_money(total, total.saturating_sub(discount).max(0), share);
        f(PurchaseOut {
            id: r.get(0)?,
            at: r.get(1)?,
            customer_id: r.get(2)?,
            code: r.get(3)?,
            name: r.get(4)?,
            phone: r.get(5)?,
            total_minor: r.get(6)?,
            discount_minor: r.get(7)?,
            refunded_minor,
            payment_method: r.get(9)?,
            items,
            note: r.get(11)?,
            staff: r.get(12)?,
        })?;
    }
    Ok(())
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
pub fn each_ledger_entry(
    conn: &Connection,
    mut f: impl FnMut(LedgerOut) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT l.id, l.at, l.customer_id, c.code, c.name, c.phone, l.kind, l.points,
            l.purchase_id, l.staff, l.reason
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id ORDER BY l.id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(LedgerOut {
            id: r.get(0)?,
            at: r.get(1)?,
            customer_id: r.get(2)?,
            code: r.get(3)?,
            name: r.get(4)?,
            phone: r.get(5)?,
            kind: r.get(6)?,
            points: r.get(7)?,
            purchase_id: r.get(8)?,
            staff: r.get(9)?,
            reason: r.get(10)?,
        })?;
    }
    Ok(())
}
