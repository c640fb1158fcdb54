//! The audit log: who did what, when, to which record, with the record before and after.
//!
//! Entries are append-only (triggers refuse UPDATE and DELETE) and tamper-evident: they form
//! a hash chain. Each entry stores `prev_hash`, the hash of the entry before it (or
//! [`GENESIS`] for the first), and `hash`, the SHA-256 of its own fields and `prev_hash`.
//! Editing, deleting or inserting a row with plain SQL breaks the chain at that row, and
//! [`Store::audit_verify`] names it.
//!
//! # The hashed encoding (version 1)
//!
//! `hash` is the lowercase hex SHA-256 of a byte string made of thirteen values, each in the
//! same self-delimiting form, so no two different rows can encode to the same bytes:
//!
//! - the domain tag, the text `khachquen.audit.v1`;
//! - then the row's columns in this order: `id, at, actor_id, actor_name, via, action,
//!   entity, entity_id, customer_id, before_json, after_json, prev_hash`.
//!
//! Each value is written as SQLite stores it: a one-byte type tag, then
//! - `0x00` NULL: nothing more;
//! - `0x01` INTEGER: the 8-byte big-endian two's complement value;
//! - `0x02` REAL: the 8 bytes of its IEEE 754 bits, big-endian;
//! - `0x03` TEXT: the UTF-8 length as 8 bytes big-endian, then the UTF-8 bytes;
//! - `0x04` BLOB: the length as 8 bytes big-endian, then the bytes.
//!
//! The app writes only NULL, INTEGER and TEXT; hashing the stored type as well means a value
//! re-typed behind the app's back (the text '42' for the integer 42) fails the check too.
//! `before_json`/`after_json` are hashed as the exact stored text.
//!
//! # Seals and the anchor (outside the database)
//!
//! The chain alone cannot stop someone who drops the triggers, edits an entry and recomputes
//! every hash after it: the encoding is public. So each entry is also sealed: `mac` is the
//! HMAC-SHA256, under the shop's audit key, of the entry's id and hash, and `mac_key` the
//! key's public id (db::seal). The key is the file `audit.key` in the data folder (0600),
//! never in the database, so rewriting the log needs that file too. Since each hash covers
//! everything before it, one sealed entry vouches for the whole log up to it: entries from
//! before seals existed are covered by the `audit.seal` entry written on the first open with
//! a key; entries sealed on another computer (a restored backup) by the next entry sealed
//! here. [`verify`] checks every seal made with this shop's key and refuses an unsealed entry
//! after a sealed one.
//!
//! Cutting the newest entries off (and rewriting the AUTOINCREMENT record) leaves a shorter
//! log whose seals all hold; for that the newest sealed entry's id and MAC, the chain head,
//! are copied after writes (within a second) to the anchor file `audit.head` beside the key
//! (crate::store::seal). `audit verify` compares: the database may be ahead of the anchor (a process
//! died between its commit and the anchor write) but never behind it, and the anchored entry
//! must be the one anchored. The head's short fingerprint is shown to the owner and
//! [`chain_head`] gives it to backups.
//!
//! Staff rows (role, PIN hash, ...) and points ledger rows are sealed the same way, with a
//! sealed row count per table so deletions show (db::seal); `audit verify` and `db check`
//! report a row changed, slipped in or deleted with plain SQL.
//!
//! # Limits
//!
//! Whoever holds both the database and the key file (for example a copy of the whole data
//! folder) can rewrite everything; only a copy of the chain head kept elsewhere (a backup, a
//! note of the fingerprint) shows that. Without the key file nothing can be checked, and
//! `audit verify` says so ([`CoreError::AuditKeyMissing`]) rather than passing.

use crate::db;
use crate::db::audit::AuditRow;
use crate::db::seal::{KeyState, RowCheck};
use crate::error::{CoreError, Result};
use crate::time;
use chrono::{DateTime, Utc};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const DOMAIN: &[u8] = b"khachquen.audit.v1";
/// The action a restore records; its entry re-seals the restored rows (see [`record`]).
pub const RESTORE_ACTION: &str = "backup.restore";
const NAME_MAX: usize = 100;
const TOKEN_MAX: usize = 64;

/// Where the change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The app's window.
    Window,
    /// The `khachquen` command line.
    Cli,
    /// The app itself: scheduled backups, expiry runs and the like.
    System,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Window => "window",
            Via::Cli => "cli",
            Via::System => "system",
        }
    }
}

/// One entry to append. Build it with [`NewAuditEntry::new`] and the setters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAuditEntry {
    /// Unix seconds, UTC.
    pub at: i64,
    /// The staff account, once staff exist.
    pub actor_id: Option<i64>,
    /// Who did it, as shown in the viewer (a staff name, or e.g. "system").
    pub actor_name: String,
    pub via: Via,
    /// `entity.verb`, lowercase: "customer.update", "purchase.add", "auth.denied",
    /// "backup.create", "export.run".
    pub action: String,
    /// The kind of record: "customer", "purchase", "backup", ...
    pub entity: String,
    /// The record's id, when it has one.
    pub entity_id: Option<String>,
    /// The customer concerned, so the viewer can filter by customer.
    pub customer_id: Option<i64>,
    /// The record before the change (None for a creation).
    pub before: Option<Value>,
    /// The record after the change (None for a deletion).
    pub after: Option<Value>,
    /// The counter (computer) that made the change, when it is named.
    pub counter: Option<String>,
}

impl NewAuditEntry {
    /// An entry stamped now, with no record id, customer or before/after yet.
    pub fn new(actor_name: impl Into<String>, via: Via, action: &str, entity: &str) -> Self {
        NewAuditEntry {
            at: time::now(),
            actor_id: None,
            actor_name: actor_name.into(),
            via,
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: None,
            customer_id: None,
            before: None,
            after: None,
            counter: None,
        }
    }

    pub fn at(mut self, at: i64) -> Self {
        self.at = at;
        self
    }

    pub fn actor_id(mut self, id: i64) -> Self {
        self.actor_id = Some(id);
        self
    }

    pub fn entity_id(mut self, id: impl ToString) -> Self {
        self.entity_id = Some(id.to_string());
        self
    }

    pub fn customer(mut self, id: i64) -> Self {
        self.customer_id = Some(id);
        self
    }

    /// A customer's record: its id and the customer it belongs to.
    pub fn about(self, id: impl ToString, customer_id: i64) -> Self {
        self.entity_id(id).customer(customer_id)
    }

    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }
}

/// Append `e` with the record as it was and as it is now (see [`record`]).
pub fn record_change<'a>(
    conn: impl Into<db::Conn<'a>>,
    e: NewAuditEntry,
    before: &impl Serialize,
    after: &impl Serialize,
) -> Result<i64> {
    record(conn, &e.before(snapshot(before)?).after(snapshot(after)?))
}

/// Any serialisable record as the JSON an entry's before/after holds.
pub fn snapshot<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| CoreError::Internal(e.to_string()))
}

/// One stored entry, as the viewer and `audit list --json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// "window", "cli" or "system".
    pub via: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub customer_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub prev_hash: String,
    pub hash: String,
    /// The counter that wrote it, when named (hashed, unlike the names below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
    /// The name of `customer_id` as the customer list has it (archived and merged ones
    /// keep theirs), resolved when the log is listed; not part of the hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// A human name for `entity_id` (a customer's or staff member's name, a template's
    /// name), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
}

/// Why the chain breaks at an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The entry's fields no longer hash to its stored hash: it was edited or forged.
    HashMismatch,
    /// The entry's prev_hash is not the previous entry's hash: something before it changed
    /// places, or the entry was forged with a freshly computed hash.
    PrevHashMismatch,
    /// No entry has this id although a later one was written: entries were deleted.
    Missing,
    /// The entry's seal does not match its hash: edited and rehashed without the key.
    SealBroken,
    /// The entry has no seal although an earlier one does: forged, or its seal stripped.
    Unsealed,
    /// The anchor outside the database names this entry, and the log stops before it: the
    /// newest entries were cut off.
    Truncated,
    /// The entry at the anchor's id is not the one anchored.
    AnchorMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenEntry {
    pub id: i64,
    pub reason: BreakReason,
}

impl From<BrokenEntry> for CoreError {
    fn from(b: BrokenEntry) -> Self {
        match b.reason {
            BreakReason::HashMismatch => CoreError::AuditEntryAltered(b.id),
            BreakReason::PrevHashMismatch => CoreError::AuditChainBroken(b.id),
            BreakReason::Missing => CoreError::AuditEntryMissing(b.id),
            BreakReason::SealBroken => CoreError::AuditSealBroken(b.id),
            BreakReason::Unsealed => CoreError::AuditEntryUnsealed(b.id),
            BreakReason::Truncated => CoreError::AuditTruncated(b.id),
            BreakReason::AnchorMismatch => CoreError::AuditAnchorMismatch(b.id),
        }
    }
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditVerify {
    pub ok: bool,
    /// How many entries the log holds (all were read).
    pub entries: i64,
    /// The newest entry's hash: keep a copy elsewhere to catch a rewrite of the whole tail.
    pub last_hash: Option<String>,
    /// The first entry, in id order, where the chain breaks.
    pub first_broken: Option<BrokenEntry>,
    /// The seals were checked with this shop's key.
    pub sealed: bool,
    /// The key file is gone: the seals cannot be checked (and `ok` is false).
    pub key_missing: bool,
    /// The newest sealed entry: show its fingerprint to the owner, keep it with backups.
    pub head: Option<ChainHead>,
    /// What the anchor file outside the database holds (file-backed stores).
    pub anchor: Option<ChainHead>,
    /// The key is here but its anchor file is not.
    pub anchor_missing: bool,
    /// Staff and points ledger rows against their seals (with the key only).
    pub rows: Option<RowCheck>,
    /// The first problem as `{code, params}` (the window translates `errors.<code>`).
    pub problem: Option<Problem>,
}

/// A typed error as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub params: serde_json::Map<String, Value>,
}

impl AuditVerify {
    /// The first problem as a typed error (for a message in the user's language).
    pub fn error(&self) -> Option<CoreError> {
        if let Some(b) = self.first_broken {
            return Some(CoreError::from(b));
        }
        if self.key_missing {
            return Some(CoreError::AuditKeyMissing);
        }
        if self.anchor_missing {
            return Some(CoreError::AuditAnchorMissing);
        }
        self.rows.as_ref().and_then(RowCheck::error)
    }

    pub(crate) fn settle(&mut self) {
        let e = self.error();
        self.ok = e.is_none();
        self.problem = e.map(|e| Problem {
            code: e.code().to_owned(),
            params: e.params(),
        });
    }
}

/// The newest sealed entry: its id, the id of the key that sealed it, and the seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub id: i64,
    pub key: String,
    pub mac: String,
    /// The first 16 hex digits of the seal in groups of four, for the owner to compare.
    pub fingerprint: String,
}

impl ChainHead {
    pub fn new(id: i64, key: String, mac: String) -> ChainHead {
        let short: String = mac.chars().take(16).collect();
        let fingerprint = short
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-");
        ChainHead {
            id,
            key,
            mac,
            fingerprint,
        }
    }
}

/// The newest sealed entry (None before any): for backups to carry and owners to compare.
pub fn chain_head(conn: &Connection) -> Result<Option<ChainHead>> {
    Ok(db::audit::sealed_head(conn)?.map(|(id, key, mac)| ChainHead::new(id, key, mac)))
}

/// What an entry's seal is made over.
pub(crate) fn seal_message(id: i64, hash: ValueRef<'_>) -> Vec<u8> {
    db::seal::encode(db::seal::AUDIT_DOMAIN, &[ValueRef::Integer(id), hash])
}

fn put(h: &mut Sha256, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.update([0u8]),
        ValueRef::Integer(i) => {
            h.update([1u8]);
            h.update(i.to_be_bytes());
        }
        ValueRef::Real(f) => {
            h.update([2u8]);
            h.update(f.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            h.update([3u8]);
            h.update((t.len() as u64).to_be_bytes());
            h.update(t);
        }
        ValueRef::Blob(b) => {
            h.update([4u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    }
}

/// The hash of one entry: `fields` are the columns `id` ... `prev_hash` in the order of the
/// module documentation.
/// The hash of an entry's fields: the twelve of every entry, then the counter when it has
/// one (so entries from before counters hash as they always did).
pub fn entry_hash(fields: &[ValueRef<'_>]) -> String {
    let mut h = Sha256::new();
    put(&mut h, ValueRef::Text(DOMAIN));
    for f in fields {
        put(&mut h, *f);
    }
    hex::encode(h.finalize())
}

fn int(v: Option<i64>) -> ValueRef<'static> {
    v.map_or(ValueRef::Null, ValueRef::Integer)
}

fn text(v: Option<&str>) -> ValueRef<'_> {
    v.map_or(ValueRef::Null, |s| ValueRef::Text(s.as_bytes()))
}

fn row_hash(r: &AuditRow) -> String {
    let mut fields = vec![
        ValueRef::Integer(r.id),
        ValueRef::Integer(r.at),
        int(r.actor_id),
        text(Some(&r.actor_name)),
        text(Some(&r.via)),
        text(Some(&r.action)),
        text(Some(&r.entity)),
        text(r.entity_id.as_deref()),
        int(r.customer_id),
        text(r.before_json.as_deref()),
        text(r.after_json.as_deref()),
        text(Some(&r.prev_hash)),
    ];
    if let Some(c) = &r.counter {
        fields.push(text(Some(c)));
    }
    entry_hash(&fields)
}

fn invalid(key: &'static str, value: &str) -> CoreError {
    CoreError::AuditEntryInvalid {
        key,
        value: value.to_owned(),
    }
}

/// A lowercase identifier: a-z first, then a-z, 0-9 or _.
fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn json_text(v: Option<&Value>) -> Result<Option<String>> {
    v.map(|v| serde_json::to_string(v).map_err(|e| CoreError::Internal(e.to_string())))
        .transpose()
}

/// Check an entry and turn it into the row to store (without id, prev_hash and hash).
fn validate(e: &NewAuditEntry) -> Result<AuditRow> {
    let actor_name = e.actor_name.trim();
    if actor_name.is_empty() || actor_name.chars().count() > NAME_MAX {
        return Err(invalid("actor_name", &e.actor_name));
    }
    if e.action.len() > TOKEN_MAX
        || e.action.split('.').count() < 2
        || !e.action.split('.').all(is_token)
    {
        return Err(invalid("action", &e.action));
    }
    if e.entity.len() > TOKEN_MAX || !is_token(&e.entity) {
        return Err(invalid("entity", &e.entity));
    }
    let entity_id = match e.entity_id.as_deref().map(str::trim) {
        Some("") => return Err(invalid("entity_id", "")),
        Some(s) if s.chars().count() > NAME_MAX => return Err(invalid("entity_id", s)),
        other => other.map(str::to_owned),
    };
    if e.at < 0 {
        return Err(invalid("at", &e.at.to_string()));
    }
    Ok(AuditRow {
        id: 0,
        at: e.at,
        actor_id: e.actor_id,
        actor_name: actor_name.to_owned(),
        via: e.via.as_str().to_owned(),
        action: e.action.clone(),
        entity: e.entity.clone(),
        entity_id,
        customer_id: e.customer_id,
        before_json: json_text(e.before.as_ref())?,
        after_json: json_text(e.after.as_ref())?,
        prev_hash: String::new(),
        hash: String::new(),
        mac_key: None,
        mac: None,
        counter: e
            .counter
            .as_deref()
            .map(|c| crate::limits::check_counter(c).map_err(|_| invalid("counter", c)))
            .transpose()?
            .map(str::to_owned),
    })
}

/// Append one entry to the chain; returns its id.
///
/// Call it inside the caller's write transaction (the one making the change), so the entry
/// and the change commit or roll back together, and no other writer can slip an entry in
/// between reading the last hash and appending. Outside a transaction it is refused.
///
/// On a server the chain is the same chain, hash-linked in commit order: the entry takes the
/// chain's lock (db::audit::append_pg) until the transaction ends. It is not sealed there:
/// the seal's key belongs to one computer, and several write this log.
pub fn record<'a>(conn: impl Into<db::Conn<'a>>, e: &NewAuditEntry) -> Result<i64> {
    let conn = match conn.into() {
        db::Conn::Lite(c) => c,
        db::Conn::Pg(p) => {
            let mut row = validate(e)?;
            return db::audit::append_pg(p, |id, prev| {
                row.id = id;
                row.prev_hash = prev.unwrap_or(GENESIS).to_owned();
                row.hash = row_hash(&row);
                row.clone()
            });
        }
    };
    if conn.is_autocommit() {
        return Err(CoreError::Internal(
            "audit::record needs the caller's write transaction".into(),
        ));
    }
    let mut row = validate(e)?;
    // A restore brings in the backup's staff and ledger, sealed (if at all) on the computer
    // that made it: the owner vouches for them by restoring, so they are sealed here anew,
    // in the transaction that records the restore.
    if e.action == RESTORE_ACTION {
        db::seal::reseal_all(conn)?;
    }
    let (last_id, prev) = match db::audit::last(conn)? {
        Some((id, SqlValue::Text(h))) => (id, h),
        // A non-text hash can only come from tampering; chaining on to its text form keeps
        // the log writable, and verify names the tampered entry.
        Some((id, other)) => (id, format!("{other:?}")),
        None => (0, GENESIS.to_owned()),
    };
    // Never reuse an id, even one whose entry was deleted behind the app's back.
    row.id = last_id
        .max(db::audit::highest_id_ever(conn)?)
        .checked_add(1)
        .ok_or_else(|| CoreError::Internal("audit log ids exhausted".into()))?;
    row.prev_hash = prev;
    row.hash = row_hash(&row);
    if let Some((key, mac)) = db::seal::seal(
        conn,
        &seal_message(row.id, ValueRef::Text(row.hash.as_bytes())),
    )? {
        row.mac_key = Some(key);
        row.mac = Some(mac);
    }
    db::audit::insert(conn, &row)?;
    if let (true, Some(mac)) = (e.action == RESTORE_ACTION, &row.mac) {
        note_restore(row.id, mac);
    }
    Ok(row.id)
}

/// Where the chain breaks at a row, if it does: an entry missing before it, a link to
/// another hash than the previous entry's, or fields that no longer hash to its hash.
fn chain_break(
    id: i64,
    expected: i64,
    prev: &SqlValue,
    vals: &[SqlValue; db::audit::WIDTH],
) -> Option<(i64, BreakReason)> {
    if id > expected {
        Some((expected, BreakReason::Missing))
    } else if vals[11] != *prev {
        Some((id, BreakReason::PrevHashMismatch))
    } else if !hash_holds(vals) {
        Some((id, BreakReason::HashMismatch))
    } else {
        None
    }
}

/// Whether a stored row's fields still hash to its stored hash.
fn hash_holds(vals: &[SqlValue; db::audit::WIDTH]) -> bool {
    let mut fields: Vec<ValueRef<'_>> = vals[..12].iter().map(Into::into).collect();
    if vals[15] != SqlValue::Null {
        fields.push((&vals[15]).into());
    }
    matches!(&vals[12], SqlValue::Text(h) if *h == entry_hash(&fields))
}

/// The chain of a shop on a server, walked in id order: every entry's link to the one
/// before and its hash. Entries written there are not sealed (the seal's key belongs to one
/// computer), so this is the hash chain alone; the log's triggers refuse edits and deletes.
pub(crate) fn verify_server(link: &db::pg::Link) -> Result<AuditVerify> {
    let mut entries = 0i64;
    let mut expected = 1i64;
    let mut prev = SqlValue::Text(GENESIS.to_owned());
    let mut first_broken = None;
    db::audit::walk_pg(link, |(id, vals)| {
        entries += 1;
        if first_broken.is_none() {
            first_broken = chain_break(id, expected, &prev, &vals)
                .map(|(id, reason)| BrokenEntry { id, reason });
        }
        expected = id.saturating_add(1);
        prev = vals[12].clone();
        Ok(())
    })?;
    let last_hash = match prev {
        SqlValue::Text(h) if entries > 0 => Some(h),
        _ => None,
    };
    let mut v = AuditVerify {
        ok: false,
        entries,
        last_hash,
        first_broken,
        sealed: false,
        key_missing: false,
        head: None,
        anchor: None,
        anchor_missing: false,
        rows: None,
        problem: None,
    };
    v.settle();
    Ok(v)
}

/// Walk the whole chain in id order, checking hashes and (with the key) seals, then the
/// staff and ledger rows; see the module documentation. The anchor is compared by
/// [`Store::audit_verify`]. On a connection without the app's key (a backup being checked)
/// only the hash chain is checked.
pub fn verify(conn: &Connection) -> Result<AuditVerify> {
    let sealed_log = db::audit::has_seals(conn)?;
    let key = db::seal::key_state(conn);
    let local = match &key {
        KeyState::Present(id) => Some(SqlValue::Text(id.clone())),
        _ => None,
    };
    let highest = db::audit::highest_id_ever(conn)?;
    let mut entries = 0i64;
    let mut expected = 1i64;
    let mut prev = SqlValue::Text(GENESIS.to_owned());
    let mut first_broken = None;
    let mut seen_sealed = false;
    db::audit::walk(conn, |(id, vals)| {
        entries += 1;
        if first_broken.is_none() {
            let (stored, mac_key, mac) = (&vals[12], &vals[13], &vals[14]);
            let reason = match chain_break(id, expected, &prev, &vals) {
                Some(broken) => Some(broken),
                None if local.is_some() && Some(mac_key) == local.as_ref() => {
                    seen_sealed = true;
                    let want = db::seal::seal(conn, &seal_message(id, stored.into()))?
                        .map(|(_, m)| SqlValue::Text(m));
                    (want.as_ref() != Some(mac)).then_some((id, BreakReason::SealBroken))
                }
                None if local.is_some() && seen_sealed && *mac_key == SqlValue::Null => {
                    Some((id, BreakReason::Unsealed))
                }
                // Sealed on another computer (a restored backup): covered by the next entry
                // sealed here, whose hash includes it.
                None => None,
            };
            first_broken = reason.map(|(id, reason)| BrokenEntry { id, reason });
        }
        expected = id.saturating_add(1);
        prev = vals[12].clone();
        Ok(())
    })?;
    // The newest entries deleted: AUTOINCREMENT remembers a higher id than any left.
    if first_broken.is_none() && highest >= expected {
        first_broken = Some(BrokenEntry {
            id: expected,
            reason: BreakReason::Missing,
        });
    }
    let last_hash = match prev {
        SqlValue::Text(h) if entries > 0 => Some(h),
        _ => None,
    };
    let mut v = AuditVerify {
        ok: false,
        entries,
        last_hash,
        first_broken,
        sealed: local.is_some(),
        key_missing: key == KeyState::Missing,
        // A log from before seals (an older backup) has its hash chain only.
        head: if sealed_log { chain_head(conn)? } else { None },
        anchor: None,
        anchor_missing: false,
        rows: if sealed_log {
            db::seal::check_rows(conn)?
        } else {
            None
        },
        problem: None,
    };
    v.settle();
    Ok(v)
}

// The restore's entry and the anchor: set here by its record, read by the sealer.
/// The seal of the restore entry this process wrote last: the one way the anchor moves
/// back (a restore brings in a shorter log). An older restore entry left at the end of a
/// log cut short does not count.
static RESTORED: Mutex<Option<(i64, String)>> = Mutex::new(None);

/// Set by a restore's entry, so the commit that carries it moves the anchor at once.
static RESTORE_PENDING: AtomicBool = AtomicBool::new(false);

pub(crate) fn note_restore(id: i64, mac: &str) {
    *RESTORED.lock().unwrap_or_else(|p| p.into_inner()) = Some((id, mac.to_owned()));
    RESTORE_PENDING.store(true, Ordering::Release);
}

pub(crate) fn take_restore_pending() -> bool {
    RESTORE_PENDING.swap(false, Ordering::AcqRel)
}

pub(crate) fn just_restored(head: &ChainHead) -> bool {
    RESTORED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .is_some_and(|(id, mac)| *id == head.id && *mac == head.mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::audit::AuditFilter;
    use crate::store::Store;
    use proptest::prelude::*;
    use serde_json::json;

    fn store_with(n: usize) -> Store {
        let s = Store::open_in_memory().unwrap();
        for i in 0..n {
            s.audit_append(
                &NewAuditEntry::new("Lan", Via::Window, "customer.update", "customer")
                    .at(1_700_000_000 + i as i64)
                    .entity_id(i + 1)
                    .customer(i as i64 + 1)
                    .before(json!({"name": "A"}))
                    .after(json!({"name": format!("B{i}")})),
            )
            .unwrap();
        }
        s
    }

    fn sample() -> AuditRow {
        AuditRow {
            id: 3,
            at: 1_700_000_000,
            actor_id: Some(1),
            actor_name: "Lan".into(),
            via: "cli".into(),
            action: "customer.update".into(),
            entity: "customer".into(),
            entity_id: Some("7".into()),
            customer_id: Some(7),
            before_json: Some(r#"{"name":"A"}"#.into()),
            after_json: Some(r#"{"name":"B"}"#.into()),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            mac_key: None,
            mac: None,
            counter: None,
        }
    }

    #[test]
    fn the_first_entry_chains_on_genesis_and_the_next_on_it() {
        let s = store_with(3);
        let page = s.audit_list(&AuditFilter::default()).unwrap();
        assert_eq!(page.total, 3);
        let e: Vec<_> = page.entries.iter().rev().collect();
        assert_eq!(e[0].prev_hash, GENESIS);
        assert_eq!(e[1].prev_hash, e[0].hash);
        assert_eq!(e[2].prev_hash, e[1].hash);
        assert_eq!(e.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(e[2].after, Some(json!({"name": "B2"})));
        let v = s.audit_verify().unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.entries, 3);
        assert_eq!(v.last_hash.as_deref(), Some(e[2].hash.as_str()));
    }

    #[test]
    fn an_empty_log_verifies() {
        let v = Store::open_in_memory().unwrap().audit_verify().unwrap();
        assert_eq!(
            (v.ok, v.entries, v.last_hash, v.first_broken),
            (true, 0, None, None)
        );
    }

    #[test]
    fn the_hash_is_sha256_of_the_documented_encoding() {
        // Worked by hand from the module documentation, independently of `put`.
        let r = sample();
        let mut bytes = Vec::new();
        let text = |b: &mut Vec<u8>, s: &str| {
            b.push(3);
            b.extend((s.len() as u64).to_be_bytes());
            b.extend(s.as_bytes());
        };
        let int = |b: &mut Vec<u8>, i: i64| {
            b.push(1);
            b.extend(i.to_be_bytes());
        };
        text(&mut bytes, "khachquen.audit.v1");
        int(&mut bytes, 3);
        int(&mut bytes, 1_700_000_000);
        int(&mut bytes, 1);
        for s in ["Lan", "cli", "customer.update", "customer", "7"] {
            text(&mut bytes, s);
        }
        int(&mut bytes, 7);
        text(&mut bytes, r#"{"name":"A"}"#);
        text(&mut bytes, r#"{"name":"B"}"#);
        text(&mut bytes, GENESIS);
        assert_eq!(row_hash(&r), hex::encode(Sha256::digest(&bytes)));
        assert_eq!(row_hash(&r).len(), 64);
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let base = sample();
        let shifted = AuditRow {
            actor_name: "La".into(),
            via: "ncli".into(),
            ..sample()
        };
        assert_ne!(row_hash(&base), row_hash(&shifted), "a moved boundary");
        let none = AuditRow {
            entity_id: None,
            ..sample()
        };
        let empty = AuditRow {
            entity_id: Some(String::new()),
            ..sample()
        };
        assert_ne!(row_hash(&none), row_hash(&empty), "NULL is not ''");
        let as_int = [ValueRef::Integer(7); 12];
        let mut as_text = [ValueRef::Integer(7); 12];
        as_text[8] = ValueRef::Text(b"7");
        assert_ne!(entry_hash(&as_int), entry_hash(&as_text), "7 is not '7'");
    }

    #[test]
    fn bad_entries_are_refused_and_write_nothing() {
        let s = Store::open_in_memory().unwrap();
        let ok = NewAuditEntry::new("Lan", Via::Cli, "export.run", "export");
        for (bad, key) in [
            (
                NewAuditEntry {
                    actor_name: "  ".into(),
                    ..ok.clone()
                },
                "actor_name",
            ),
            (
                NewAuditEntry {
                    action: "export".into(),
                    ..ok.clone()
                },
                "action",
            ),
            (
                NewAuditEntry {
                    action: "Export.Run".into(),
                    ..ok.clone()
                },
                "action",
            ),
            (
                NewAuditEntry {
                    action: "export..run".into(),
                    ..ok.clone()
                },
                "action",
            ),
            (
                NewAuditEntry {
                    entity: "".into(),
                    ..ok.clone()
                },
                "entity",
            ),
            (
                NewAuditEntry {
                    entity: "a.b".into(),
                    ..ok.clone()
                },
                "entity",
            ),
            (
                NewAuditEntry {
                    entity_id: Some(" ".into()),
                    ..ok.clone()
                },
                "entity_id",
            ),
            (
                NewAuditEntry {
                    at: -1,
                    ..ok.clone()
                },
                "at",
            ),
        ] {
            match s.audit_append(&bad).unwrap_err() {
                CoreError::AuditEntryInvalid { key: k, .. } => assert_eq!(k, key),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(s.audit_list(&AuditFilter::default()).unwrap().total, 0);
        assert_eq!(s.audit_append(&ok).unwrap(), 1);
    }

    #[test]
    fn record_needs_a_transaction() {
        let conn = db::open_memory().unwrap();
        let e = NewAuditEntry::new("Lan", Via::Cli, "export.run", "export");
        assert_eq!(record(&conn, &e).unwrap_err().code(), "internal");
        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(record(&tx, &e).unwrap(), 1);
        assert_eq!(record(&tx, &e).unwrap(), 2);
        tx.commit().unwrap();
        assert!(verify(&conn).unwrap().ok);
    }

    #[test]
    fn the_table_is_append_only() {
        let s = store_with(2);
        let conn = s.writer().unwrap();
        assert!(conn
            .execute("UPDATE audit_log SET actor_name = 'X'", [])
            .is_err());
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }

    #[test]
    fn a_rolled_back_change_leaves_no_entry() {
        let s = store_with(1);
        let e = NewAuditEntry::new("Lan", Via::Window, "customer.update", "customer");
        let r: Result<()> = s.write(|conn| {
            record(conn, &e)?;
            Err(CoreError::NameRequired)
        });
        assert!(r.is_err());
        assert_eq!(s.audit_list(&AuditFilter::default()).unwrap().total, 1);
        assert_eq!(s.audit_append(&e).unwrap(), 2);
        assert!(s.audit_verify().unwrap().ok);
    }

    #[test]
    fn break_reasons_become_typed_errors() {
        for (reason, code) in [
            (BreakReason::HashMismatch, "audit.entry_altered"),
            (BreakReason::PrevHashMismatch, "audit.chain_broken"),
            (BreakReason::Missing, "audit.entry_missing"),
        ] {
            let e = CoreError::from(BrokenEntry { id: 4, reason });
            assert_eq!(e.code(), code);
            assert_eq!(e.params()["id"], 4);
        }
    }

    fn mutate(r: &AuditRow, field: usize, n: i64, s: &str) -> AuditRow {
        let mut m = r.clone();
        match field {
            0 => m.id = n,
            1 => m.at = n,
            2 => m.actor_id = Some(n),
            3 => m.actor_name = s.into(),
            4 => m.via = s.into(),
            5 => m.action = s.into(),
            6 => m.entity = s.into(),
            7 => m.entity_id = Some(s.into()),
            8 => m.customer_id = Some(n),
            9 => m.before_json = Some(s.into()),
            10 => m.after_json = Some(s.into()),
            11 => m.prev_hash = s.into(),
            _ => m.counter = Some(s.into()),
        }
        m
    }

    proptest! {
        /// Changing any one hashed field to any other value changes the hash.
        #[test]
        fn any_field_change_changes_the_hash(field in 0usize..13, n in any::<i64>(), s in "\\PC{0,12}") {
            let r = sample();
            let m = mutate(&r, field, n, &s);
            prop_assume!(m != r);
            prop_assert_ne!(row_hash(&r), row_hash(&m));
        }
    }
}
