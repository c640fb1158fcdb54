//! Import: lookups and writes prepared once for a whole file, in one transaction.

use super::customers::{Record, TAG_SEP};
use super::{Conn, Row};
use crate::error::Result;

use rusqlite::{Connection, OptionalExtension, Statement};
use std::collections::HashMap;

/// SQLite's statements for one import, prepared once: a 100,000-row file runs each of them
/// 100,000 times. (A server's link keeps its own prepared statements per query text.)
struct Prepared<'c> {
    by_code: Statement<'c>,
    by_phone: Statement<'c>,
    record: Statement<'c>,
    client_id: Statement<'c>,
    keeper: Statement<'c>,
}

/// The lookups of one import, on either engine.
pub struct ImportDb<'c> {
    conn: Conn<'c>,
    lite: Option<Prepared<'c>>,
    /// Lookups already made: a purchases file names each customer many times.
    codes: HashMap<String, Option<i64>>,
    phones: HashMap<String, Option<i64>>,
    keepers: HashMap<i64, i64>,
    memoize: bool,
    /// No customers yet (a shop's first import): nothing to look up.
    empty: bool,
}

/// Of (id, active) matches, the active one, else the newest.
fn best(matches: impl IntoIterator<Item = (i64, bool)>) -> Option<i64> {
    let mut pick: Option<(bool, i64)> = None;
    for (id, active) in matches {
        let cand = (active, id);
        if pick.is_none_or(|p| cand > p) {
            pick = Some(cand);
        }
    }
    pick.map(|p| p.1)
}

fn lite_matches(stmt: &mut Statement, key: &str) -> Result<Vec<(i64, bool)>> {
    Ok(stmt
        .query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// A customer as the importer sees it: the editable record.
pub struct Existing {
    pub record: Record,
}

fn existing(r: &impl Row) -> Result<Existing> {
    let tags: Option<String> = r.col(10)?;
    Ok(Existing {
        record: Record {
            code: r.col(0)?,
            name: r.col(1)?,
            phone: r.col(2)?,
            birthday: r.col(3)?,
            gender: r.col(4)?,
            email: r.col(5)?,
            address: r.col(6)?,
            note: r.col(7)?,
            referred_by: r.col(8)?,
            source: r.col(9)?,
            tags: tags
                .map(|t| t.split(TAG_SEP).map(str::to_owned).collect())
                .unwrap_or_default(),
        },
    })
}

const PG_BY_CODE: &str = "SELECT id, archived_at IS NULL FROM customers
     WHERE lower(code) = lower($1) AND code IS NOT NULL";
const BY_PHONE: &str = "SELECT id, archived_at IS NULL FROM customers WHERE phone = ?1";
const KEEPER: &str = "SELECT coalesce(merged_into, id) FROM customers WHERE id = ?1";
const PG_RECORD: &str = "SELECT code, name, phone, birthday, gender, email, address, note,
        referred_by, source,
        (SELECT string_agg(tag, chr(31) ORDER BY tag COLLATE \"C\") FROM customer_tags
         WHERE customer_id = c.id)
     FROM customers c WHERE id = $1";

impl<'c> ImportDb<'c> {
    pub fn new(conn: impl Into<Conn<'c>>) -> Result<Self> {
        let conn = conn.into();
        let lite = match conn {
            Conn::Pg(_) => None,
            // All matches (nearly always 0 or 1), ranked in Rust: an ORDER BY here would
            // build a temporary b-tree for every row of the file.
            Conn::Lite(c) => Some(Prepared {
                by_code: c.prepare(
                    "SELECT id, archived_at IS NULL FROM customers
                     WHERE code = ?1 COLLATE NOCASE AND code IS NOT NULL",
                )?,
                by_phone: c.prepare(BY_PHONE)?,
                record: c.prepare(
                    "SELECT code, name, phone, birthday, gender, email, address, note,
                        referred_by, source,
                        (SELECT group_concat(tag, char(31)) FROM customer_tags
                         WHERE customer_id = c.id)
                     FROM customers c WHERE id = ?1",
                )?,
                client_id: c.prepare("SELECT 1 FROM purchases WHERE client_id = ?1")?,
                keeper: c.prepare(KEEPER)?,
            }),
        };
        let any: Option<(i64,)> = super::first(conn, "SELECT id FROM customers LIMIT 1", &[])?;
        Ok(ImportDb {
            conn,
            lite,
            codes: HashMap::new(),
            phones: HashMap::new(),
            keepers: HashMap::new(),
            memoize: false,
            empty: any.is_none(),
        })
    }

    /// The customer a merged duplicate now lives on (merges keep this one hop deep).
    pub fn keeper(&mut self, id: i64) -> Result<i64> {
        if let Some(&k) = self.keepers.get(&id) {
            return Ok(k);
        }
        let k = match &mut self.lite {
            Some(l) => l.keeper.query_row([id], |r| r.get(0)).optional()?,
            None => super::first::<(i64,)>(self.conn, KEEPER, &[&id])?.map(|r| r.0),
        }
        .unwrap_or(id);
        self.keepers.insert(id, k);
        Ok(k)
    }

    /// Remember lookups (for purchases files, which name each customer many times).
    pub fn memoize(&mut self) {
        self.memoize = true;
    }

    fn code_matches(&mut self, code: &str) -> Result<Option<i64>> {
        Ok(best(match &mut self.lite {
            Some(l) => lite_matches(&mut l.by_code, code)?,
            None => super::rows(self.conn, PG_BY_CODE, &[&code])?,
        }))
    }

    fn phone_matches(&mut self, phone: &str) -> Result<Option<i64>> {
        Ok(best(match &mut self.lite {
            Some(l) => lite_matches(&mut l.by_phone, phone)?,
            None => super::rows(self.conn, BY_PHONE, &[&phone])?,
        }))
    }

    /// The customer with this shop code, as db::customers::by_code picks it: active
    /// ones first, then the newest.
    pub fn by_code(&mut self, code: &str) -> Result<Option<i64>> {
        if self.empty {
            return Ok(None);
        }
        if !self.memoize {
            return self.code_matches(code);
        }
        let key = code.to_lowercase();
        if let Some(&hit) = self.codes.get(&key) {
            return Ok(hit);
        }
        let id = self.code_matches(code)?;
        self.codes.insert(key, id);
        Ok(id)
    }

    /// The customer with this phone, ranked like db::customers::by_phone.
    pub fn by_phone(&mut self, phone: &str) -> Result<Option<i64>> {
        if self.empty {
            return Ok(None);
        }
        if !self.memoize {
            return self.phone_matches(phone);
        }
        if let Some(&hit) = self.phones.get(phone) {
            return Ok(hit);
        }
        let id = self.phone_matches(phone)?;
        self.phones.insert(phone.to_owned(), id);
        Ok(id)
    }

    pub fn existing(&mut self, id: i64) -> Result<Option<Existing>> {
        match &mut self.lite {
            Some(l) => {
                let mut rows = l.record.query([id])?;
                rows.next()?.map(existing).transpose()
            }
            None => match self.conn {
                Conn::Pg(p) => Ok(p.with_rows(PG_RECORD, &[&id], existing)?.pop()),
                Conn::Lite(_) => Ok(None),
            },
        }
    }

    pub fn purchase_imported(&mut self, client_id: &str) -> Result<bool> {
        Ok(match &mut self.lite {
            Some(l) => l
                .client_id
                .query_row([client_id], |_| Ok(()))
                .optional()?
                .is_some(),
            None => super::first::<(i64,)>(
                self.conn,
                "SELECT id FROM purchases WHERE client_id = ?1",
                &[&client_id],
            )?
            .is_some(),
        })
    }

    pub fn conn(&self) -> Conn<'c> {
        self.conn
    }
}

/// A larger page cache for the length of an import: a 100,000-row file touches every page
/// of a dozen indexes in random order, far more than the default 2 MB holds.
pub struct CacheBoost<'c> {
    conn: &'c Connection,
    before: i64,
}

pub fn boost_cache(conn: Conn<'_>) -> Result<Option<CacheBoost<'_>>> {
    // A server sizes its own buffers.
    let Conn::Lite(conn) = conn else {
        return Ok(None);
    };
    let before: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -128 * 1024)?;
    Ok(Some(CacheBoost { conn, before }))
}

impl Drop for CacheBoost<'_> {
    fn drop(&mut self) {
        // Best effort: a failure leaves only a larger cache behind.
        let _ = self.conn.pragma_update(None, "cache_size", self.before);
    }
}
