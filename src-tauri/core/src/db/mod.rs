//! Storage: connection setup, migrations and one module per table. All SQL lives here.

pub mod analytics;
pub mod audit;
pub mod backup;
pub mod campaigns;
pub mod care;
pub mod customers;
pub mod demo;
pub mod export;
pub mod filter;
pub mod import;
pub mod loyalty;
pub mod merge;
pub mod purchases;
pub mod reminders;
pub mod seal;
pub mod settings;
pub mod staff;
pub mod templates;
pub mod vouchers;

use crate::error::{CoreError, Result};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};
use std::path::Path;
use std::time::Duration;

const MIGRATION_SLICE: &[M<'static>] = &[
    M::up(include_str!("migrations/001_init.sql")),
    M::up(include_str!("migrations/002_lookup_indexes.sql")),
    M::up(include_str!("migrations/003_search_prefixes.sql")),
    M::up(include_str!("migrations/004_loyalty.sql")),
    M::up(include_str!("migrations/005_merge.sql")),
    M::up(include_str!("migrations/006_care.sql")),
    M::up(include_str!("migrations/007_analytics.sql")),
    M::up(include_str!("migrations/008_audit.sql")),
    M::up(include_str!("migrations/009_staff.sql")),
    M::up(include_str!("migrations/010_seal.sql")),
    M::up(include_str!("migrations/011_optional_phone.sql")).foreign_key_check(),
    M::up(include_str!("migrations/012_list_walks.sql")),
    M::up(include_str!("migrations/013_covering_history.sql")),
    M::up(include_str!("migrations/014_vouchers.sql")),
    M::up(include_str!("migrations/015_campaigns.sql")),
    M::up(include_str!("migrations/016_cards.sql")),
];

pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_SLICE);

/// The schema version this build writes (SQLite user_version after migrating).
pub fn schema_version() -> i64 {
    MIGRATION_SLICE.len() as i64
}

/// Migrate to an exact version: the upgrade tests build every earlier schema with it.
pub fn migrate_to(conn: &mut Connection, version: usize) -> Result<()> {
    without_foreign_keys(conn, |c| Ok(MIGRATIONS.to_version(c, version)?))
}

/// Migrate to this build's schema (start-up, restore).
pub fn migrate_latest(conn: &mut Connection) -> Result<()> {
    without_foreign_keys(conn, |c| Ok(MIGRATIONS.to_latest(c)?))
}

/// The most page cache one bulk write may take (the demo, an import): enough for the indexes
/// of a million-customer shop to stay in memory, small enough for a shop laptop.
pub const BULK_CACHE_MAX_KIB: i64 = 256 * 1024;

/// The page cache for a bulk write of about `bytes` of new rows and index entries: with the
/// default 2 MB, a one-transaction write of millions of rows spills the same index pages to
/// the WAL again and again (the 1M demo wrote 10 GB for a 1.7 GB file).
pub fn bulk_cache_kib(bytes: u64) -> i64 {
    ((bytes / 1024) as i64).clamp(WRITER_CACHE_KIB, BULK_CACHE_MAX_KIB)
}

/// The connection's page cache setting (SQLite's own: negative is KiB, positive pages).
pub fn cache_size(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?)
}

pub fn set_cache_size(conn: &Connection, value: i64) -> Result<()> {
    Ok(conn.pragma_update(None, "cache_size", value)?)
}

/// Table rebuilds (011) drop a table others refer to, which SQLite only allows with foreign
/// keys off; that pragma is a no-op inside the migration's transaction, so it is set around
/// it. A rebuilding migration checks the keys itself before it commits (`foreign_key_check`).
fn without_foreign_keys(
    conn: &mut Connection,
    run: impl FnOnce(&mut Connection) -> Result<()>,
) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let r = run(conn);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    r
}

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Refuse a file from a newer app before anything (even WAL mode) is written to it.
fn check_not_newer(conn: &Connection) -> Result<()> {
    let found = user_version(conn)?;
    if found > schema_version() {
        return Err(CoreError::SchemaTooNew {
            found,
            supported: schema_version(),
        });
    }
    Ok(())
}

/// The writer's page cache, in KiB.
pub const WRITER_CACHE_KIB: i64 = 16 * 1024;

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // The purchase and import paths use more statements than rusqlite's default cache of
    // 16 holds; evicted ones would be prepared again on every call.
    conn.set_prepared_statement_cache_capacity(64);
    // The store checkpoints in the background, so no commit pays for a checkpoint.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    customers::register_functions(conn)?;
    Ok(())
}

/// Open the writer connection: check the version, switch to WAL, migrate.
pub fn open_writer(path: &Path) -> Result<Connection> {
    let open_failed = |detail: String| CoreError::OpenFailed {
        path: path.display().to_string(),
        detail,
    };
    let mut conn = Connection::open(path).map_err(|e| open_failed(e.to_string()))?;
    // Before anything that takes a lock: beside a busy writer (the window, when the CLI
    // opens the same file) the version check and the WAL switch must wait, not fail.
    conn.busy_timeout(Duration::from_secs(5))?;
    // A file that is not a database fails on its first read, not on open.
    check_not_newer(&conn).map_err(|e| match e {
        CoreError::Sqlite(s) => open_failed(s.to_string()),
        other => other,
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    configure(&conn)?;
    // A purchase touches a dozen index pages of a large shop; SQLite's default 2 MB cache
    // reads most of them again from the OS on every commit. Allocated only as pages are used.
    set_cache_size(&conn, -WRITER_CACHE_KIB)?;
    migrate_latest(&mut conn)?;
    Ok(conn)
}

/// A read-only connection for long reads, so a report never blocks the counter.
pub fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    customers::register_functions(&conn)?;
    Ok(conn)
}

/// A connection for the background checkpointer: read-write, never used for queries.
pub fn open_checkpointer(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

pub fn open_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate_latest(&mut conn)?;
    Ok(conn)
}

/// Fold the WAL back into the database and truncate it (on exit).
pub fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Copy what it can of the WAL without waiting on anyone (the background checkpointer).
pub fn checkpoint_passive(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub integrity: Vec<String>,
    pub foreign_key_violations: Vec<String>,
    /// Customers whose points ledger sums below zero.
    pub negative_balances: i64,
    /// Customers whose cached visits / total / first / last differ from their purchases.
    pub stats_mismatches: i64,
    /// Staff and points ledger rows against their seals (db::seal); None without the
    /// audit key (`audit verify` says why).
    pub sealed_rows: Option<seal::RowCheck>,
    pub ok: bool,
}

pub fn check(conn: &Connection) -> Result<CheckReport> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let integrity: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let foreign_key_violations: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} rowid {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                r.get::<_, String>(2)?
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let negative_balances: i64 = conn.query_row(
        "SELECT count(*) FROM (SELECT customer_id FROM points_ledger GROUP BY customer_id
                               HAVING total(points) < 0)",
        [],
        |r| r.get(0),
    )?;
    // total(), not sum(): an amount past the limits from an old file must not stop the check.
    let stats_mismatches: i64 = conn.query_row(
        "SELECT count(*) FROM customers c
         LEFT JOIN (SELECT customer_id, count(*) n, total(total_minor) t, min(at) f, max(at) l
                    FROM purchases GROUP BY customer_id) p ON p.customer_id = c.id
         LEFT JOIN (SELECT p.customer_id, total(r.amount_minor) rt FROM refunds r
                    JOIN purchases p ON p.id = r.purchase_id GROUP BY p.customer_id) r
                ON r.customer_id = c.id
         WHERE c.visits <> coalesce(p.n, 0)
            OR c.total_minor <> coalesce(p.t, 0) - coalesce(r.rt, 0)
            OR c.first_purchase_at IS NOT p.f OR c.last_purchase_at IS NOT p.l",
        [],
        |r| r.get(0),
    )?;
    let sealed_rows = seal::check_rows(conn)?;
    let ok = integrity == ["ok"]
        && foreign_key_violations.is_empty()
        && negative_balances == 0
        && stats_mismatches == 0
        && sealed_rows.as_ref().is_none_or(seal::RowCheck::ok);
    Ok(CheckReport {
        integrity,
        foreign_key_violations,
        negative_balances,
        stats_mismatches,
        sealed_rows,
        ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn memory_db_has_pragmas_and_schema() {
        let conn = open_memory().unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!((fk, sync), (1, 2));
        assert_eq!(user_version(&conn).unwrap(), schema_version());
        assert!(check(&conn).unwrap().ok);
    }
}
