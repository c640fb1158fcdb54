//! Seals: MACs made with the shop's audit key, which lives outside this database (see
//! crate::store::seal for the key file and the anchor).
//!
//! The key never enters SQL as a value: it is held by two functions registered on the app's
//! own connections, `kq_seal_key()` (the key's public id, NULL while the key is missing) and
//! `kq_seal(bytes)` (the hex HMAC-SHA256 of `bytes`, NULL while the key is missing). A
//! connection without them (a backup file being checked, an attacker's sqlite3) can read
//! everything and check the hash chain, but can neither make nor check a seal.
//!
//! What is sealed (each message starts with its own domain tag, values in the audit log's
//! self-delimiting encoding, crate::store::audit):
//! - an audit entry: its id and hash (`khachquen.audit.mac.v1`), stored in the entry itself
//!   with the key's id, so entries sealed on another computer (a restored backup) are told
//!   apart from entries nobody sealed;
//! - a staff row: id, name, role, pin_hash, active, created_at (`khachquen.seal.staff.v1`),
//!   in `row_seals`, renewed by every change the app makes (the lockout counters are not
//!   evidence and are left out);
//! - a points ledger row: every column (`khachquen.seal.points.v1`), in `row_seals`;
//! - per table, the number of rows and the sum of points (`khachquen.seal.totals.v1`) in
//!   `seal_totals`, so a row deleted behind the app's back shows as well as one edited or
//!   slipped in.

use crate::error::{CoreError, Result};
use hmac::{Hmac, Mac};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const AUDIT_DOMAIN: &str = "khachquen.audit.mac.v1";
const STAFF_DOMAIN: &str = "khachquen.seal.staff.v1";
const POINTS_DOMAIN: &str = "khachquen.seal.points.v1";
const TOTALS_DOMAIN: &str = "khachquen.seal.totals.v1";
const STAFF: &str = "staff";
const POINTS: &str = "points_ledger";
const STAFF_COLS: &str = "id, name, role, pin_hash, active, created_at";
const POINTS_COLS: &str =
    "id, customer_id, kind, points, at, purchase_id, refund_id, staff, reason, created_at";
/// Altered rows named in a report; the count beyond is not.
const NAMED_MAX: usize = 100;

/// The shop's audit key.
pub struct SealKey {
    id: String,
    /// HMAC state after the key: cloned per message, so millions of rows are not keyed anew.
    keyed: Option<Hmac<Sha256>>,
}

impl SealKey {
    pub fn new(bytes: [u8; 32]) -> SealKey {
        let mut h = Sha256::new();
        h.update(b"khachquen.seal.key-id.v1");
        h.update(bytes);
        let id = hex::encode(&h.finalize()[..8]);
        // HMAC takes a key of any length; were it ever refused, an empty MAC matches nothing.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&bytes).ok();
        SealKey { id, keyed }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn mac(&self, msg: &[u8]) -> String {
        let Some(mut m) = self.keyed.clone() else {
            return String::new();
        };
        m.update(msg);
        hex::encode(m.finalize().into_bytes())
    }
}

/// The self-delimiting encoding of crate::store::audit, after a domain tag.
pub fn encode(domain: &str, vals: &[ValueRef<'_>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    put_value(&mut out, ValueRef::Text(domain.as_bytes()));
    for v in vals {
        put_value(&mut out, *v);
    }
    out
}

fn put_value(out: &mut Vec<u8>, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => out.push(0),
        ValueRef::Integer(i) => {
            out.push(1);
            out.extend(i.to_be_bytes());
        }
        ValueRef::Real(f) => {
            out.push(2);
            out.extend(f.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            out.push(3);
            out.extend((t.len() as u64).to_be_bytes());
            out.extend(t);
        }
        ValueRef::Blob(b) => {
            out.push(4);
            out.extend((b.len() as u64).to_be_bytes());
            out.extend(b);
        }
    }
}

/// Give `conn` the key (or, with `None`, the knowledge that it is missing).
pub fn register(conn: &Connection, key: Option<Arc<SealKey>>) -> Result<()> {
    let k = key.clone();
    conn.create_scalar_function("kq_seal_key", 0, FunctionFlags::SQLITE_UTF8, move |_| {
        Ok(k.as_ref().map(|k| k.id.clone()))
    })?;
    let k = key.clone();
    conn.create_scalar_function("kq_seal", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
        let msg: Vec<u8> = ctx.get(0)?;
        Ok(k.as_ref().map(|k| k.mac(&msg)))
    })?;
    // kq_seal_values(domain, v1, v2, ...): the MAC of `encode(domain, [v1, v2, ...])`, so a
    // whole table is sealed or checked in one statement instead of a query per row.
    conn.create_scalar_function(
        "kq_seal_values",
        -1,
        FunctionFlags::SQLITE_UTF8,
        move |ctx| {
            let Some(k) = key.as_ref() else {
                return Ok(None);
            };
            let mut msg = Vec::with_capacity(128);
            for i in 0..ctx.len() {
                put_value(&mut msg, ctx.get_raw(i));
            }
            Ok(Some(k.mac(&msg)))
        },
    )?;
    Ok(())
}

/// What this connection knows of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Not an app connection (a backup being checked): seals can be neither made nor checked.
    Unknown,
    /// The app runs without its key (the key file was lost): nothing can be checked.
    Missing,
    /// The key's id.
    Present(String),
}

pub fn key_state(conn: &Connection) -> KeyState {
    match conn.query_row("SELECT kq_seal_key()", [], |r| {
        r.get::<_, Option<String>>(0)
    }) {
        Ok(Some(id)) => KeyState::Present(id),
        Ok(None) => KeyState::Missing,
        Err(_) => KeyState::Unknown,
    }
}

/// The key's id and the MAC of `msg`, or None without a key.
pub fn seal(conn: &Connection, msg: &[u8]) -> Result<Option<(String, String)>> {
    let Ok(mut st) = conn.prepare_cached("SELECT kq_seal_key(), kq_seal(?1)") else {
        return Ok(None);
    };
    let (id, mac): (Option<String>, Option<String>) =
        st.query_row([msg], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(id.zip(mac))
}

fn mac_of(conn: &Connection, msg: &[u8]) -> Result<Option<String>> {
    Ok(seal(conn, msg)?.map(|(_, m)| m))
}

/// Whether anything in this database was ever sealed (then a missing key is not made anew).
pub fn ever_sealed(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM row_seals) OR EXISTS (SELECT 1 FROM seal_totals)
             OR EXISTS (SELECT 1 FROM audit_log WHERE mac_key IS NOT NULL)",
        [],
        |r| r.get(0),
    )?)
}

/// Whether there is anything to seal (an upgraded shop) or the database is new.
pub fn holds_data(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_log) OR EXISTS (SELECT 1 FROM staff)
             OR EXISTS (SELECT 1 FROM points_ledger)",
        [],
        |r| r.get(0),
    )?)
}

fn row_message(domain: &str, vals: &[Value]) -> Vec<u8> {
    let refs: Vec<ValueRef<'_>> = vals.iter().map(ValueRef::from).collect();
    encode(domain, &refs)
}

fn read_row(conn: &Connection, cols: &str, table: &str, id: i64) -> Result<Option<Vec<Value>>> {
    let n = cols.split(',').count();
    Ok(conn
        .prepare_cached(&format!("SELECT {cols} FROM {table} WHERE id = ?1"))?
        .query_row([id], |r| (0..n).map(|i| r.get(i)).collect())
        .optional()?)
}

fn put_seal(conn: &Connection, table: &str, id: i64, mac: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO row_seals (tbl, row_id, mac) VALUES (?1, ?2, ?3)")?
        .execute(params![table, id, mac])?;
    Ok(())
}

fn totals_message(table: &str, n: i64, total: i64) -> Vec<u8> {
    encode(
        TOTALS_DOMAIN,
        &[
            ValueRef::Text(table.as_bytes()),
            ValueRef::Integer(n),
            ValueRef::Integer(total),
        ],
    )
}

/// The sealed count, sum, key id and MAC for `table` ((0, 0) and no seal when never sealed).
/// A table's sealed figures: count, sum, and (key id, MAC) when sealed.
type Totals = (i64, i64, Option<(String, String)>);

fn totals(conn: &Connection, table: &str) -> Result<Totals> {
    Ok(conn
        .prepare_cached("SELECT n, total, key, mac FROM seal_totals WHERE tbl = ?1")?
        .query_row([table], |r| {
            Ok((r.get(0)?, r.get(1)?, Some((r.get(2)?, r.get(3)?))))
        })
        .optional()?
        .unwrap_or((0, 0, None)))
}

fn put_totals(conn: &Connection, table: &str, n: i64, total: i64) -> Result<()> {
    if let Some((key, mac)) = seal(conn, &totals_message(table, n, total))? {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO seal_totals (tbl, n, total, key, mac)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![table, n, total, key, mac])?;
    }
    Ok(())
}

/// The newest audit entry was sealed elsewhere with the table's key, or (for a table never
/// sealed) not sealed at all.
fn newest_not_sealed_here(
    newest: &Option<Value>,
    local: &str,
    table_seal: Option<&(String, String)>,
) -> bool {
    match (newest, table_seal) {
        (Some(Value::Text(k)), Some((key, _))) => k != local && k == key,
        (Some(Value::Null), None) => true,
        _ => false,
    }
}

/// The key id on the newest audit entry (NULL when unsealed).
fn newest_entry_key(conn: &Connection) -> Result<Option<Value>> {
    Ok(conn
        .prepare_cached("SELECT mac_key FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Seal a staff row the app has just written (inside its transaction).
pub fn staff_written(conn: &Connection, id: i64) -> Result<()> {
    let Some(vals) = read_row(conn, STAFF_COLS, STAFF, id)? else {
        return Ok(());
    };
    let Some(mac) = mac_of(conn, &row_message(STAFF_DOMAIN, &vals))? else {
        return Ok(());
    };
    put_seal(conn, STAFF, id, &mac)?;
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM staff")?
        .query_row([], |r| r.get(0))?;
    put_totals(conn, STAFF, n, 0)
}

/// Seal a points ledger row the app has just appended (inside its transaction).
pub fn points_added(conn: &Connection, id: i64) -> Result<()> {
    let Some(vals) = read_row(conn, POINTS_COLS, POINTS, id)? else {
        return Ok(());
    };
    let Some(mac) = mac_of(conn, &row_message(POINTS_DOMAIN, &vals))? else {
        return Ok(());
    };
    put_seal(conn, POINTS, id, &mac)?;
    let points = match vals[3] {
        Value::Integer(p) => p,
        _ => 0,
    };
    // From the sealed figures, never recounted: a row deleted behind the app's back keeps
    // showing after the next purchase.
    let (n, total, _) = totals(conn, POINTS)?;
    put_totals(conn, POINTS, n.wrapping_add(1), total.wrapping_add(points))
}

/// The ledger rows with `column = value` whose seal holds now (before a merge moves them).
pub fn points_intact(conn: &Connection, column: &str, value: i64) -> Result<Vec<i64>> {
    if column != "customer_id" {
        return Ok(Vec::new());
    }
    let mut st = conn.prepare_cached(
        "SELECT l.id, s.mac FROM points_ledger l
         JOIN row_seals s ON s.tbl = 'points_ledger' AND s.row_id = l.id
         WHERE l.customer_id = ?1",
    )?;
    let rows: Vec<(i64, String)> = st
        .query_map([value], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut intact = Vec::new();
    for (id, mac) in rows {
        if let Some(vals) = read_row(conn, POINTS_COLS, POINTS, id)? {
            if mac_of(conn, &row_message(POINTS_DOMAIN, &vals))?.as_deref() == Some(&mac) {
                intact.push(id);
            }
        }
    }
    Ok(intact)
}

/// Seal again the rows [`points_intact`] vouched for, after the app moved them.
pub fn points_reseal(conn: &Connection, ids: &[i64]) -> Result<()> {
    for &id in ids {
        if let Some(vals) = read_row(conn, POINTS_COLS, POINTS, id)? {
            if let Some(mac) = mac_of(conn, &row_message(POINTS_DOMAIN, &vals))? {
                put_seal(conn, POINTS, id, &mac)?;
            }
        }
    }
    Ok(())
}

/// Seal every staff and ledger row as it stands now, replacing any earlier seals. Only for
/// data the owner vouches for: the first open with a key (rows from before seals existed)
/// and a restore of a verified backup. Returns false without a key.
pub fn reseal_all(conn: &Connection) -> Result<bool> {
    let KeyState::Present(local) = key_state(conn) else {
        return Ok(false);
    };
    for (table, cols, domain) in TABLES {
        let (_, _, sealed) = totals(conn, table)?;
        // A table sealed with this key (a backup of this very shop): its seals mostly hold,
        // so only the ones that don't are written. Otherwise every seal is another key's.
        let changed = if sealed.as_ref().is_some_and(|(k, _)| *k == local) {
            changed_seals(conn, table, cols, domain)?
        } else {
            None
        };
        let (n, total) = match changed {
            Some(changed) => {
                let mut put = conn.prepare_cached(
                    "INSERT OR REPLACE INTO row_seals (tbl, row_id, mac) VALUES (?1, ?2, ?3)",
                )?;
                for (id, mac) in changed.rows {
                    put.execute(params![table, id, mac])?;
                }
                if changed.orphans {
                    conn.execute(
                        &format!(
                            "DELETE FROM row_seals WHERE tbl = ?1
                             AND NOT EXISTS (SELECT 1 FROM {table} WHERE id = row_seals.row_id)"
                        ),
                        [table],
                    )?;
                }
                (changed.n, changed.total)
            }
            None => {
                conn.execute("DELETE FROM row_seals WHERE tbl = ?1", [table])?;
                conn.execute(
                    &format!(
                        "INSERT INTO row_seals (tbl, row_id, mac)
                         SELECT ?1, id, kq_seal_values(?2, {cols}) FROM {table} ORDER BY id"
                    ),
                    params![table, domain],
                )?;
                count_and_sum(conn, table)?
            }
        };
        put_totals(conn, table, n, total)?;
    }
    Ok(true)
}

/// The sealed tables: name, sealed columns, domain tag.
const TABLES: [(&str, &str, &str); 2] = [
    (STAFF, STAFF_COLS, STAFF_DOMAIN),
    (POINTS, POINTS_COLS, POINTS_DOMAIN),
];

/// More seals than this to rewrite and the table is sealed anew in one statement instead
/// (bounds the memory a mostly-foreign table would take).
const CHANGED_MAX: usize = 100_000;

/// Seals to rewrite in a table sealed with this key.
struct Changed {
    /// (row id, its MAC now) for rows whose seal is missing or no longer holds.
    rows: Vec<(i64, String)>,
    /// Seals of rows that are gone.
    orphans: bool,
    /// The table's row count and (ledger) sum of points, from the same pass.
    n: i64,
    total: i64,
}

/// One ordered pass over `table` and its seals; None when more than [`CHANGED_MAX`] differ.
fn changed_seals(
    conn: &Connection,
    table: &str,
    cols: &str,
    domain: &str,
) -> Result<Option<Changed>> {
    let mut out = Changed {
        rows: Vec::new(),
        orphans: false,
        n: 0,
        total: 0,
    };
    let complete = walk(conn, table, cols, domain, |row| {
        match row {
            Walked::Row {
                id,
                points,
                stored,
                expected,
            } => {
                out.n += 1;
                out.total = out.total.wrapping_add(points);
                if stored != Some(expected) {
                    out.rows.push((id, expected.to_owned()));
                }
            }
            Walked::Orphan => out.orphans = true,
        }
        Ok(out.rows.len() <= CHANGED_MAX)
    })?;
    Ok(complete.then_some(out))
}

/// A row of `table` beside its stored seal, or a stored seal whose row is gone.
enum Walked<'a> {
    Row {
        id: i64,
        /// The ledger row's points (0 for staff).
        points: i64,
        stored: Option<&'a str>,
        expected: &'a str,
    },
    Orphan,
}

/// Walk `table` in id order beside its seals (a merge of two ordered scans, no lookup per
/// row), with each row's MAC made in the same statement. `f` returns false to stop early;
/// the walk returns whether it went to the end.
fn walk(
    conn: &Connection,
    table: &str,
    cols: &str,
    domain: &str,
    mut f: impl FnMut(Walked<'_>) -> Result<bool>,
) -> Result<bool> {
    let points = if table == POINTS { "points" } else { "0" };
    let mut rows_st = conn.prepare(&format!(
        "SELECT id, {points}, kq_seal_values(?1, {cols}) FROM {table} ORDER BY id"
    ))?;
    let mut seals_st =
        conn.prepare("SELECT row_id, mac FROM row_seals WHERE tbl = ?1 ORDER BY row_id")?;
    let mut rows = rows_st.query([domain])?;
    let mut seals = seals_st.query([table])?;
    let mut seal: Option<(i64, String)> = next_seal(&mut seals)?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        // A non-integer amount can only come from tampering; its seal tells.
        let points = match r.get_ref(1)? {
            ValueRef::Integer(p) => p,
            _ => 0,
        };
        let expected: String = r.get::<_, Option<String>>(2)?.unwrap_or_default();
        while let Some((sid, _)) = &seal {
            if *sid >= id {
                break;
            }
            if !f(Walked::Orphan)? {
                return Ok(false);
            }
            seal = next_seal(&mut seals)?;
        }
        let stored = match &seal {
            Some((sid, mac)) if *sid == id => Some(mac.as_str()),
            _ => None,
        };
        let go_on = f(Walked::Row {
            id,
            points,
            stored,
            expected: &expected,
        })?;
        if stored.is_some() {
            seal = next_seal(&mut seals)?;
        }
        if !go_on {
            return Ok(false);
        }
    }
    while seal.is_some() {
        if !f(Walked::Orphan)? {
            return Ok(false);
        }
        seal = next_seal(&mut seals)?;
    }
    Ok(true)
}

fn next_seal(seals: &mut rusqlite::Rows<'_>) -> Result<Option<(i64, String)>> {
    Ok(match seals.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    })
}

/// A table's row count and (ledger) sum of points, summed as the sealed figures are
/// (wrapping, so tampered amounts cannot make the count fail).
fn count_and_sum(conn: &Connection, table: &str) -> Result<(i64, i64)> {
    if table != POINTS {
        let n = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        return Ok((n, 0));
    }
    let mut st = conn.prepare("SELECT points FROM points_ledger")?;
    let mut rows = st.query([])?;
    let (mut n, mut total) = (0i64, 0i64);
    while let Some(r) = rows.next()? {
        if let ValueRef::Integer(p) = r.get_ref(0)? {
            total = total.wrapping_add(p);
        }
        n += 1;
    }
    Ok((n, total))
}

/// Staff and ledger rows checked against their seals.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowCheck {
    /// Staff rows changed, added or re-sealed behind the app's back (first 100).
    pub staff_altered: Vec<i64>,
    /// Points ledger rows changed or slipped in behind the app's back (first 100).
    pub points_altered: Vec<i64>,
    /// Tables whose row count or sum differs from the sealed one, or whose sealed figures
    /// were themselves changed: rows were deleted (or added) behind the app's back.
    pub totals_altered: Vec<String>,
}

impl RowCheck {
    pub fn ok(&self) -> bool {
        self.staff_altered.is_empty()
            && self.points_altered.is_empty()
            && self.totals_altered.is_empty()
    }

    /// The first problem, as a typed error.
    pub fn error(&self) -> Option<CoreError> {
        if let Some(id) = self.staff_altered.first() {
            return Some(CoreError::AuditRowAltered {
                table: STAFF.into(),
                id: *id,
            });
        }
        if let Some(id) = self.points_altered.first() {
            return Some(CoreError::AuditRowAltered {
                table: POINTS.into(),
                id: *id,
            });
        }
        self.totals_altered
            .first()
            .map(|t| CoreError::AuditTotalsAltered(t.clone()))
    }
}

/// Check every staff and ledger row against its seal; None when this connection has no key.
///
/// A table sealed with another computer's key (or never sealed) is data restored from a
/// backup made there (or before seals), between the swap and the restore's own entry, which
/// seals it here: it is left unchecked while the newest audit entry is sealed with that
/// other key too (or unsealed), and reported otherwise.
pub fn check_rows(conn: &Connection) -> Result<Option<RowCheck>> {
    let KeyState::Present(local) = key_state(conn) else {
        return Ok(None);
    };
    let newest = newest_entry_key(conn)?;
    let mut report = RowCheck::default();
    for (table, cols, domain) in TABLES {
        let (sn, stotal, sealed) = totals(conn, table)?;
        let sealed_here = sealed.as_ref().is_some_and(|(k, _)| *k == local);
        if !sealed_here && newest_not_sealed_here(&newest, &local, sealed.as_ref()) {
            // A restored backup (from another computer, or from before seals) between the
            // swap and the restore's own entry, which seals it here.
            continue;
        }
        if sealed.is_some() && !sealed_here {
            report.totals_altered.push(table.to_owned());
            continue;
        }
        let mut altered = Vec::new();
        let (mut n, mut total) = (0i64, 0i64);
        walk(conn, table, cols, domain, |row| {
            if let Walked::Row {
                id,
                points,
                stored,
                expected,
            } = row
            {
                n += 1;
                total = total.wrapping_add(points);
                if stored != Some(expected) && altered.len() < NAMED_MAX {
                    altered.push(id);
                }
            }
            Ok(true)
        })?;
        let total = if table == STAFF { 0 } else { total };
        let figures_ok = match sealed {
            Some((_, m)) => {
                Some(m) == mac_of(conn, &totals_message(table, sn, stotal))?
                    && (sn, stotal) == (n, total)
            }
            None => n == 0,
        };
        if !figures_ok {
            report.totals_altered.push(table.to_owned());
        }
        match table {
            STAFF => report.staff_altered = altered,
            _ => report.points_altered = altered,
        }
    }
    Ok(Some(report))
}
