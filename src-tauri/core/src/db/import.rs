//! Import and export: lookups and writes prepared once for a whole file, in one
//! transaction, and the streaming reads behind an export.

use super::customers::Record;
use crate::error::Result;

use rusqlite::{Connection, OptionalExtension, Statement};
use std::collections::HashMap;

const TAG_SEP: char = '\u{1f}';

/// Statements for one import, prepared once: a 100,000-row file runs each of them
/// 100,000 times.
pub struct ImportDb<'c> {
    conn: &'c Connection,
    by_code: Statement<'c>,
    by_phone: Statement<'c>,
    record: Statement<'c>,
    client_id: Statement<'c>,
    keeper: Statement<'c>,
    /// Lookups already made: a purchases file names each customer many times.
    codes: HashMap<String, Option<i64>>,
    phones: HashMap<String, Option<i64>>,
    keepers: HashMap<i64, i64>,
    memoize: bool,
    /// No customers yet (a shop's first import): nothing to look up.
    empty: bool,
}

/// Of (id, active) matches, the active one, else the newest.
fn best(stmt: &mut Statement, key: &str) -> Result<Option<i64>> {
    let mut rows = stmt.query([key])?;
    let mut pick: Option<(bool, i64)> = None;
    while let Some(r) = rows.next()? {
        let cand: (bool, i64) = (r.get(1)?, r.get(0)?);
        if pick.is_none_or(|p| cand > p) {
            pick = Some(cand);
        }
    }
    Ok(pick.map(|p| p.1))
}

/// A customer as the importer sees it: the editable record.
pub struct Existing {
    pub record: Record,
}

impl<'c> ImportDb<'c> {
    pub fn new(conn: &'c Connection) -> Result<Self> {
        Ok(ImportDb {
            conn,
            // All matches (nearly always 0 or 1), ranked in Rust: an ORDER BY here would
            // build a temporary b-tree for every row of the file.
            by_code: conn.prepare(
                "SELECT id, archived_at IS NULL FROM customers
                 WHERE code = ?1 COLLATE NOCASE AND code IS NOT NULL",
            )?,
            by_phone: conn
                .prepare("SELECT id, archived_at IS NULL FROM customers WHERE phone = ?1")?,
            record: conn.prepare(
                "SELECT code, name, phone, birthday, gender, email, address, note, referred_by,
                    source,
                    (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id)
                 FROM customers c WHERE id = ?1",
            )?,
            client_id: conn.prepare("SELECT 1 FROM purchases WHERE client_id = ?1")?,
            keeper: conn
                .prepare("SELECT coalesce(merged_into, id) FROM customers WHERE id = ?1")?,
            codes: HashMap::new(),
            phones: HashMap::new(),
            keepers: HashMap::new(),
            memoize: false,
            empty: conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM customers)", [], |r| {
                r.get(0)
            })?,
        })
    }

    /// The customer a merged duplicate now lives on (merges keep this one hop deep).
    pub fn keeper(&mut self, id: i64) -> Result<i64> {
        if let Some(&k) = self.keepers.get(&id) {
            return Ok(k);
        }
        let k = self
            .keeper
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or(id);
        self.keepers.insert(id, k);
        Ok(k)
    }

    /// Remember lookups (for purchases files, which name each customer many times).
    pub fn memoize(&mut self) {
        self.memoize = true;
    }

    /// The customer with this shop code, as db::customers::by_code picks it: active
    /// ones first, then the newest.
    pub fn by_code(&mut self, code: &str) -> Result<Option<i64>> {
        if self.empty {
            return Ok(None);
        }
        if !self.memoize {
            return best(&mut self.by_code, code);
        }
        let key = code.to_lowercase();
        if let Some(&hit) = self.codes.get(&key) {
            return Ok(hit);
        }
        let id = best(&mut self.by_code, code)?;
        self.codes.insert(key, id);
        Ok(id)
    }

    /// The customer with this phone, ranked like db::customers::by_phone.
    pub fn by_phone(&mut self, phone: &str) -> Result<Option<i64>> {
        if self.empty {
            return Ok(None);
        }
        if !self.memoize {
            return best(&mut self.by_phone, phone);
        }
        if let Some(&hit) = self.phones.get(phone) {
            return Ok(hit);
        }
        let id = best(&mut self.by_phone, phone)?;
        self.phones.insert(phone.to_owned(), id);
        Ok(id)
    }

    pub fn existing(&mut self, id: i64) -> Result<Option<Existing>> {
        Ok(self
            .record
            .query_row([id], |r| {
                let tags: Option<String> = r.get(10)?;
                Ok(Existing {
                    record: Record {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        phone: r.get(2)?,
                        birthday: r.get(3)?,
                        gender: r.get(4)?,
                        email: r.get(5)?,
                        address: r.get(6)?,
                        note: r.get(7)?,
                        referred_by: r.get(8)?,
                        source: r.get(9)?,
                        tags: tags
                            .map(|t| t.split(TAG_SEP).map(str::to_owned).collect())
                            .unwrap_or_default(),
                    },
                })
            })
            .optional()?)
    }

    pub fn purchase_imported(&mut self, client_id: &str) -> Result<bool> {
        Ok(self
            .client_id
            .query_row([client_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn conn(&self) -> &'c Connection {
        self.conn
    }
}

/// A larger page cache for the length of an import: a 100,000-row file touches every page
/// of a dozen indexes in random order, far more than the default 2 MB holds.
pub struct CacheBoost<'c> {
    conn: &'c Connection,
    before: i64,
}

pub fn boost_cache(conn: &Connection) -> Result<CacheBoost<'_>> {
    let before: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -128 * 1024)?;
    Ok(CacheBoost { conn, before })
}

impl Drop for CacheBoost<'_> {
    fn drop(&mut self) {
        // Best effort: a failure leaves only a larger cache behind.
        let _ = self.conn.pragma_update(None, "cache_size", self.before);
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
