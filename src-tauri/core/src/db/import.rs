//! Import: lookups and writes prepared once for a whole file, in one transaction.

use super::customers::{Record, TAG_SEP};
use crate::error::Result;

use rusqlite::{Connection, OptionalExtension, Statement};
use std::collections::HashMap;

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
