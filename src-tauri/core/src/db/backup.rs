//! Backups at the SQLite level: consistent snapshots through the online backup API, the
//! manifest each copy carries, and the checks a file must pass before it is trusted.

use crate::error::Result;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{params, Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// The settings key, inside a backup copy only, holding what the copy should contain.
pub const MANIFEST_KEY: &str = "backup.manifest";

/// Tables every Khách Quen database has had since schema 1.
const CORE_TABLES: &[&str] = &[
    "settings",
    "customers",
    "customer_tags",
    "customer_search",
    "purchases",
    "purchase_items",
];

/// Row counts that identify a snapshot; tables a schema lacks count 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub customers: i64,
    pub purchases: i64,
    pub points_entries: i64,
    pub refunds: i64,
}

impl Counts {
    /// (table, expected, found) for the first count that differs.
    pub fn first_difference(&self, found: &Counts) -> Option<(&'static str, i64, i64)> {
        [
            ("customers", self.customers, found.customers),
            ("purchases", self.purchases, found.purchases),
            ("points_ledger", self.points_entries, found.points_entries),
            ("refunds", self.refunds, found.refunds),
        ]
        .into_iter()
        .find(|(_, a, b)| a != b)
    }
}

/// A read-only connection on a backup file: never creates, never writes. The checks run on
/// one: quick_check took 15 s on a read-write connection against 8.5 s on a read-only one
/// (the same 2.6 GB copy, SQLite 3.53).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // integrity_check re-reads index pages: a 64 MiB cache makes it ~40% faster. No mmap:
    // a read error on a USB drive must be an error, not a SIGBUS.
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(conn)
}

/// A fresh file (in a private folder) to copy a snapshot into, or a restored copy to prepare.
pub fn open_target(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(conn)
}

/// A private working copy (a restore's, or a backup's before its one fsync): nothing is
/// synced on commit. Such a file is thrown away after a crash, never trusted, so its
/// durability is worth nothing; the fsyncs it would cost are most of a restore's verify.
pub fn open_scratch(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open_target(path)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    Ok(conn)
}

/// Start a read transaction and pin its snapshot: every later read on `conn`, the
/// backup's pages included, sees the same data until `end_read`.
pub fn begin_read(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN DEFERRED")?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(())
}

pub fn end_read(conn: &Connection) {
    // Nothing was written, so a failed commit loses nothing.
    let _ = conn.execute_batch("COMMIT");
}

pub fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

pub fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

pub fn has_core_tables(conn: &Connection) -> rusqlite::Result<bool> {
    for t in CORE_TABLES {
        if !table_exists(conn, t)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn count_if_exists(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    if !table_exists(conn, table)? {
        return Ok(0);
    }
    conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
        r.get(0)
    })
}

pub fn counts(conn: &Connection) -> rusqlite::Result<Counts> {
    Ok(Counts {
        customers: count_if_exists(conn, "customers")?,
        purchases: count_if_exists(conn, "purchases")?,
        points_entries: count_if_exists(conn, "points_ledger")?,
        refunds: count_if_exists(conn, "refunds")?,
    })
}

/// PRAGMA quick_check: ["ok"] when every page reads back and every b-tree is well formed.
/// It skips only what integrity_check adds (each index entry matched to its row), which a
/// page-for-page copy of a sound database cannot have broken, at a fraction of the cost.
pub fn quick_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA quick_check(20)")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// One object of a schema as SQLite keeps it (its SQL with runs of white space folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObject {
    /// "table", "index", "trigger" or "view".
    pub kind: String,
    pub name: String,
    pub table: String,
    pub sql: Option<String>,
}

/// Every table, index, trigger and view, by kind and name. SQLite's own statistics
/// tables (made by ANALYZE, never by this app) are left out.
pub fn schema(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema
         WHERE NOT (type = 'table' AND name LIKE 'sqlite\\_stat%' ESCAPE '\\')
         ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(SchemaObject {
            kind: r.get(0)?,
            name: r.get(1)?,
            table: r.get(2)?,
            sql: r
                .get::<_, Option<String>>(3)?
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
        })
    })?;
    rows.collect()
}

/// The schema this app's migrations make at `version`, on an empty database.
pub fn expected_schema(version: i64) -> Result<Vec<SchemaObject>> {
    let mut conn = Connection::open_in_memory()?;
    let version = usize::try_from(version).unwrap_or(0);
    super::migrate_to(&mut conn, version)?;
    Ok(schema(&conn)?)
}

pub fn foreign_key_violations(conn: &Connection) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while rows.next()?.is_some() {
        n += 1;
    }
    Ok(n)
}

pub fn page_size(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA page_size", [], |r| r.get(0))
}

pub fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// Copy every page of `src` (in its current read transaction, if any) into `dst`, as one
/// transaction on `dst`. `progress` gets (pages done, pages in total).
pub fn copy(
    src: &Connection,
    dst: &mut Connection,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    let mut waits = 0;
    loop {
        match backup.step(1024)? {
            StepResult::Done => break,
            StepResult::More => {}
            // Another connection holds a lock for a moment: wait, but not forever.
            StepResult::Busy | StepResult::Locked => {
                waits += 1;
                if waits > 200 {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("the database stayed locked".into()),
                    )
                    .into());
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            _ => {}
        }
        let p = backup.progress();
        let total = p.pagecount.max(0) as u64;
        progress(total.saturating_sub(p.remaining.max(0) as u64), total);
    }
    let p = backup.progress();
    progress(p.pagecount.max(0) as u64, p.pagecount.max(0) as u64);
    Ok(())
}

/// Make a fresh copy self-contained: rollback journal (no -wal beside it), the manifest
/// stored in it, everything synced.
pub fn seal_copy(conn: &Connection, manifest: &str) -> Result<()> {
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![MANIFEST_KEY, manifest],
    )?;
    Ok(())
}

/// A rollback journal for a private copy: nothing beside it once it is closed.
pub fn rollback_journal(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    Ok(())
}

/// Rewrite a (closed and reopened) copy with another page size.
pub fn repage(conn: &Connection, page_size: i64) -> Result<()> {
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    conn.pragma_update(None, "page_size", page_size)?;
    conn.execute_batch("VACUUM")?;
    Ok(())
}

/// Every setting whose key starts with `prefix`.
pub fn settings_with_prefix<'a>(
    conn: impl Into<super::Conn<'a>>,
    prefix: &str,
) -> Result<Vec<(String, String)>> {
    super::rows(
        conn.into(),
        "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1",
        &[&prefix],
    )
}

/// After a restore: drop the copy's manifest and the backup settings it carried, and put
/// back this machine's (the folder and history belong to the machine, not to the data).
pub fn replace_prefixed_settings<'a>(
    conn: impl Into<super::Conn<'a>>,
    prefix: &str,
    keep: &[(String, String)],
) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "DELETE FROM settings WHERE substr(key, 1, length(?1)) = ?1",
        &[&prefix],
    )?;
    for (k, v) in keep {
        if k != MANIFEST_KEY {
            super::execute(
                conn,
                "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                &[k, v],
            )?;
        }
    }
    Ok(())
}

/// The session lock the automatic backup of a shop on a server is taken under.
const AUTO_BACKUP_LOCK: i64 = 0x6b71_6275; // "kqbu"

/// On a server: whether this link now holds the shop's automatic backup, so that two
/// counters due at once make one. A session lock: let go by `let_go_of_auto_backup`, or
/// when the link closes. A shop's file has one process at its backups (the window's lock).
pub fn hold_auto_backup(conn: super::Conn) -> Result<bool> {
    match conn {
        super::Conn::Lite(_) => Ok(true),
        super::Conn::Pg(p) => p.with(|c| {
            c.query_one("SELECT pg_try_advisory_lock($1)", &[&AUTO_BACKUP_LOCK])
                .map(|r| r.get(0))
        }),
    }
}

pub fn let_go_of_auto_backup(conn: super::Conn) -> Result<()> {
    if let super::Conn::Pg(p) = conn {
        p.with(|c| c.execute("SELECT pg_advisory_unlock($1)", &[&AUTO_BACKUP_LOCK]))?;
    }
    Ok(())
}
