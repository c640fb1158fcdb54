//! The audit key and the chain's anchor, the two files outside the database that make the
//! audit log's evidence hold (see crate::store::audit and db::seal for what is sealed).
//!
//! - `audit.key` (data folder, 0600): 32 random bytes in hex, made on the first open of a
//!   database that was never sealed, and never made anew for one that was: a lost key is
//!   reported by `audit verify` ("cannot check"), not quietly replaced, since a new key would
//!   vouch for whatever the database holds by then. An in-memory store uses a key that lives
//!   as long as the process.
//! - `audit.head` (beside it, 0600, replaced atomically): the chain head (id, key id, MAC of
//!   the newest sealed entry), followed within a second of a write by the store's background
//!   thread (off the commit path), before each verify, and when the store closes; a process
//!   killed in between leaves the log ahead of its anchor, which verify accepts. It only
//!   moves forward, and
//!   only while the entry it names is still the one it anchored, so a log cut short and
//!   written on again keeps showing the cut; the one way back is a restore's own sealed entry.

use crate::db;
use crate::db::seal::SealKey;
use crate::error::{CoreError, Result};
use crate::files;
use crate::store::audit::{
    self, just_restored, AuditVerify, BreakReason, BrokenEntry, ChainHead, NewAuditEntry, Via,
};
use rand::RngCore;
use rusqlite::types::Value;
use rusqlite::Connection;
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub const KEY_FILE: &str = "audit.key";
pub const ANCHOR_FILE: &str = "audit.head";
/// The anchor of a log with nothing sealed yet: id 0, and this in place of an entry's MAC.
const EMPTY: &[u8] = b"khachquen.audit.empty.v1";

/// The store's key (None while its file is missing) and where its anchor lives.
pub(crate) struct Sealer {
    key: Option<Arc<SealKey>>,
    dir: Option<PathBuf>,
    /// The anchor as last read or written by this process.
    anchored: Mutex<Option<ChainHead>>,
    /// A write committed since the anchor last followed.
    dirty: AtomicBool,
}

fn io_failed(path: &Path, e: impl ToString) -> CoreError {
    CoreError::OpenFailed {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn parse_key(text: &str) -> Option<SealKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    Some(SealKey::new(bytes))
}

/// Read the key; a missing or unreadable file is None.
fn read_key(path: &Path) -> Option<SealKey> {
    let (mut f, meta) = files::open_regular(path).ok()?;
    if meta.len() > 1024 {
        return None;
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f, &mut text).ok()?;
    parse_key(&text)
}

/// Make the key file, unless another process made one first (then that one is used).
fn create_key(dir: &Path) -> Result<SealKey> {
    let path = dir.join(KEY_FILE);
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let tmp_dir = files::private_dir_in(dir)?;
    let tmp = tmp_dir.path().join(KEY_FILE);
    let mut f = files::create_new_private(&tmp)?;
    std::io::Write::write_all(&mut f, format!("{}\n", hex::encode(bytes)).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| io_failed(&tmp, e))?;
    drop(f);
    // A hard link appears whole and never replaces a key already there.
    match fs::hard_link(&tmp, &path) {
        Ok(()) => {
            files::sync_dir(dir);
            Ok(SealKey::new(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_key(&path).ok_or_else(|| io_failed(&path, "unreadable audit key"))
        }
        Err(e) => Err(io_failed(&path, e)),
    }
}

fn read_anchor(path: &Path) -> Option<Option<ChainHead>> {
    let (mut f, meta) = match files::open_regular(path) {
        Ok(x) => x,
        Err(_) if !path.exists() => return None,
        // There but unreadable: an anchor that names nothing, which never matches.
        Err(_) => return Some(None),
    };
    if meta.len() > 4096 {
        return Some(None);
    }
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut f, &mut text).is_err() {
        return Some(None);
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Some(None);
    };
    let head = (|| {
        Some(ChainHead::new(
            v.get("id")?.as_i64()?,
            v.get("key")?.as_str()?.to_owned(),
            v.get("mac")?.as_str()?.to_owned(),
        ))
    })();
    Some(head)
}

impl Sealer {
    /// An in-memory store: a key for the life of the process, no anchor file.
    pub(crate) fn memory(conn: &Connection) -> Result<Sealer> {
        static KEY: OnceLock<Arc<SealKey>> = OnceLock::new();
        let key = KEY
            .get_or_init(|| {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                Arc::new(SealKey::new(bytes))
            })
            .clone();
        db::seal::register(conn, Some(Arc::clone(&key)))?;
        Ok(Sealer {
            key: Some(key),
            dir: None,
            anchored: Mutex::new(None),
            dirty: AtomicBool::new(false),
        })
    }

    /// The store's key from `dir` (made there for a database never sealed, which is sealed
    /// at once), registered on the writer `conn`.
    pub(crate) fn open(dir: &Path, conn: &mut Connection) -> Result<Sealer> {
        let path = dir.join(KEY_FILE);
        let anchor_path = dir.join(ANCHOR_FILE);
        let (key, created) = match read_key(&path) {
            Some(k) => (Some(k), false),
            None if path.exists() || db::seal::ever_sealed(conn)? => (None, false),
            None => (Some(create_key(dir)?), true),
        };
        let key = key.map(Arc::new);
        db::seal::register(conn, key.clone())?;
        let sealer = Sealer {
            key,
            dir: Some(dir.to_owned()),
            anchored: Mutex::new(None),
            dirty: AtomicBool::new(false),
        };
        let Some(k) = sealer.key.clone() else {
            return Ok(sealer);
        };
        let empty = ChainHead::new(0, k.id().to_owned(), k.mac(EMPTY));
        if created {
            // At once: a key without its anchor is reported, never quietly re-anchored.
            sealer.write_anchor(&empty)?;
        }
        match read_anchor(&anchor_path) {
            // The key's first open (or one cut short before it sealed anything): seal what
            // an upgraded shop already holds.
            Some(Some(a)) if a == empty && !db::seal::ever_sealed(conn)? => {
                *sealer.lock() = Some(a);
                if db::seal::holds_data(conn)? {
                    sealer.adopt(conn)?;
                    sealer.follow(conn)?;
                }
            }
            Some(a) => *sealer.lock() = a,
            None => {}
        }
        Ok(sealer)
    }

    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ChainHead>> {
        self.anchored.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Give a reader the same key.
    pub(crate) fn register(&self, conn: &Connection) -> Result<()> {
        db::seal::register(conn, self.key.clone())
    }

    /// The first open with a key: seal the rows already there and record it, so the log
    /// and the rows from before seals are vouched for from here on.
    fn adopt(&self, conn: &mut Connection) -> Result<()> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if db::seal::holds_data(&tx)? {
            db::seal::reseal_all(&tx)?;
            let entries = db::audit::entry_count(&tx)?;
            audit::record(
                &tx,
                &NewAuditEntry::new(
                    crate::store::session::SYSTEM,
                    Via::System,
                    "audit.seal",
                    "audit",
                )
                .after(json!({"entries_before": entries})),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn write_anchor(&self, head: &ChainHead) -> Result<()> {
        let mut anchored = self.lock();
        self.write_anchor_file(head)?;
        *anchored = Some(head.clone());
        Ok(())
    }

    fn write_anchor_file(&self, head: &ChainHead) -> Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let text = json!({"id": head.id, "key": head.key, "mac": head.mac}).to_string();
        files::write_atomically(&dir.join(ANCHOR_FILE), &[], |tmp| {
            let mut f = files::create_new_private(tmp)?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            Ok(())
        })
    }

    /// Move the anchor to the newest sealed entry: forward only, and only while the
    /// anchored entry is still there as anchored, or to this process's restore entry.
    pub(crate) fn follow(&self, conn: &Connection) -> Result<()> {
        let (Some(key), Some(_)) = (&self.key, &self.dir) else {
            return Ok(());
        };
        let Some(head) = audit::chain_head(conn)? else {
            return Ok(());
        };
        if head.key != key.id() {
            return Ok(());
        }
        // Held throughout, so two threads never race each other's anchor.
        let mut anchored = self.lock();
        let move_to = match &*anchored {
            Some(a) if a.id == head.id && a.mac == head.mac => false,
            Some(a) if a.id == 0 => a.mac == key.mac(EMPTY),
            Some(a) => {
                let intact = db::audit::seal_of(conn, a.id)?
                    == Some((Value::Text(a.key.clone()), Value::Text(a.mac.clone())));
                (intact && head.id > a.id) || just_restored(&head)
            }
            None => false,
        };
        if move_to {
            self.write_anchor_file(&head)?;
            *anchored = Some(head);
        }
        Ok(())
    }

    /// Compare the log with the anchor outside it (see the module documentation).
    pub(crate) fn compare_anchor(&self, conn: &Connection, v: &mut AuditVerify) -> Result<()> {
        let (Some(key), Some(dir)) = (&self.key, &self.dir) else {
            return Ok(());
        };
        let anchor = match read_anchor(&dir.join(ANCHOR_FILE)) {
            None => {
                v.anchor_missing = true;
                v.settle();
                return Ok(());
            }
            Some(a) => a,
        };
        let problem = match &anchor {
            None => Some(BrokenEntry {
                id: 0,
                reason: BreakReason::AnchorMismatch,
            }),
            Some(a) if a.key != key.id() => Some(BrokenEntry {
                id: a.id,
                reason: BreakReason::AnchorMismatch,
            }),
            Some(a) if a.id == 0 => (a.mac != key.mac(EMPTY)).then_some(BrokenEntry {
                id: 0,
                reason: BreakReason::AnchorMismatch,
            }),
            Some(a) => match db::audit::seal_of(conn, a.id)? {
                Some(found)
                    if found == (Value::Text(a.key.clone()), Value::Text(a.mac.clone())) =>
                {
                    None
                }
                Some(_) => Some(BrokenEntry {
                    id: a.id,
                    reason: BreakReason::AnchorMismatch,
                }),
                None => Some(BrokenEntry {
                    id: a.id,
                    reason: BreakReason::Truncated,
                }),
            },
        };
        v.anchor = anchor;
        if v.first_broken.is_none() {
            v.first_broken = problem;
        }
        v.settle();
        Ok(())
    }
}
