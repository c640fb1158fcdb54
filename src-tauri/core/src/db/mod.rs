//! Storage: connection setup, migrations and one module per table. All SQL lives here.

pub mod analytics;
pub mod audit;
pub mod backup;
pub mod campaigns;
pub mod care;
pub mod copy;
pub mod customers;
pub mod demo;
pub mod export;
pub mod filter;
pub mod import;
pub mod loyalty;
pub mod merge;
pub mod outbox;
pub mod pg;
pub mod purchases;
pub mod reminders;
pub mod seal;
pub mod settings;
pub mod staff;
pub mod templates;
pub mod vouchers;

use crate::error::{CoreError, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// The engine boundary: one open connection of either engine. A db function that serves
/// both takes `&Conn` and keeps each engine's SQL beside the other's; the rules above it
/// are written once (docs/ARCHITECTURE.md, "Two engines").
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    Lite(&'a Connection),
    Pg(&'a pg::Link),
}

/// A value both engines hand back alike: i64 (INTEGER, BIGINT), f64 (REAL, DOUBLE
/// PRECISION), String (TEXT), bool (SQLite's 0/1, PostgreSQL's boolean), and their Options.
/// Only these: a u32 reads SQLite's integers but PostgreSQL's OIDs, so it is not one.
pub trait Value: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a> {}
impl Value for i64 {}
impl Value for f64 {}
impl Value for String {}
impl Value for bool {}
impl Value for Option<i64> {}
impl Value for Option<f64> {}
impl Value for Option<String> {}
impl Value for Option<bool> {}

/// A parameter both engines take (i64, &str, String and their Options).
pub trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}
impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {}

/// What reads a sum of BIGINTs back whole: PostgreSQL sums them as NUMERIC (cast back),
/// SQLite's sum of integers is an integer already.
pub fn sum_cast(conn: Conn) -> &'static str {
    match conn {
        Conn::Lite(_) => "",
        Conn::Pg(_) => "::bigint",
    }
}

/// A join that keeps its left table as the outer loop on SQLite (CROSS JOIN); PostgreSQL
/// plans its own, and takes no ON after CROSS JOIN.
pub fn ordered_join(conn: Conn) -> &'static str {
    match conn {
        Conn::Lite(_) => "CROSS JOIN",
        Conn::Pg(_) => "JOIN",
    }
}

/// Parameters gathered while a statement was built, as the slice the functions below take.
pub fn refs(args: &[Box<dyn Param>]) -> Vec<&dyn Param> {
    args.iter().map(|a| a.as_ref()).collect()
}

/// One statement the engines agree on, written once with SQLite's `?N` placeholders; the
/// number of rows it changed.
pub fn execute(conn: Conn, sql: &str, params: &[&dyn Param]) -> Result<u64> {
    match conn {
        Conn::Lite(c) => {
            let ps: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
            Ok(c.prepare_cached(sql)?.execute(ps.as_slice())? as u64)
        }
        Conn::Pg(p) => {
            let ps: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| *p as _).collect();
            p.with(|c| c.execute(sql, &ps))
        }
    }
}

/// The first column of the one row a query the engines agree on returns.
pub fn one<T: Value>(conn: Conn, sql: &str, params: &[&dyn Param]) -> Result<T> {
    match conn {
        Conn::Lite(c) => {
            let ps: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
            Ok(c.prepare_cached(sql)?
                .query_row(ps.as_slice(), |r| r.get(0))?)
        }
        Conn::Pg(p) => {
            let ps: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| *p as _).collect();
            p.with(|c| c.query_one(sql, &ps))?.col(0)
        }
    }
}

/// Columns a query's first row holds, read alike from either engine: a tuple of Values.
pub trait Columns: Sized {
    fn read(r: &impl Row) -> Result<Self>;
}

impl<A: Value> Columns for (A,) {
    fn read(r: &impl Row) -> Result<Self> {
        Ok((r.col(0)?,))
    }
}

impl<A: Value, B: Value> Columns for (A, B) {
    fn read(r: &impl Row) -> Result<Self> {
        Ok((r.col(0)?, r.col(1)?))
    }
}

impl<A: Value, B: Value, C: Value> Columns for (A, B, C) {
    fn read(r: &impl Row) -> Result<Self> {
        Ok((r.col(0)?, r.col(1)?, r.col(2)?))
    }
}

impl<A: Value, B: Value, C: Value, D: Value> Columns for (A, B, C, D) {
    fn read(r: &impl Row) -> Result<Self> {
        Ok((r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?))
    }
}

impl<A: Value, B: Value, C: Value, D: Value, E: Value> Columns for (A, B, C, D, E) {
    fn read(r: &impl Row) -> Result<Self> {
        Ok((r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?, r.col(4)?))
    }
}

/// Every row of a query the engines agree on.
pub fn rows<T: Columns>(conn: Conn, sql: &str, params: &[&dyn Param]) -> Result<Vec<T>> {
    match conn {
        Conn::Lite(c) => {
            let ps: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
            c.prepare_cached(sql)?
                .query_and_then(ps.as_slice(), |r| T::read(r))?
                .collect()
        }
        Conn::Pg(p) => {
            let ps: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| *p as _).collect();
            p.with_rows(sql, &ps, |r| T::read(r))
        }
    }
}

/// The first row of a query the engines agree on, if it returns any.
pub fn first<T: Columns>(conn: Conn, sql: &str, params: &[&dyn Param]) -> Result<Option<T>> {
    match conn {
        Conn::Lite(c) => {
            let ps: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| *p as _).collect();
            c.prepare_cached(sql)?
                .query_and_then(ps.as_slice(), |r| T::read(r))?
                .next()
                .transpose()
        }
        Conn::Pg(p) => {
            let ps: Vec<&(dyn postgres::types::ToSql + Sync)> =
                params.iter().map(|p| *p as _).collect();
            Ok(p.with_rows(sql, &ps, |r| T::read(r))?.into_iter().next())
        }
    }
}

/// The one row a query the engines agree on returns.
pub fn one_row<T: Columns>(conn: Conn, sql: &str, params: &[&dyn Param]) -> Result<T> {
    first(conn, sql, params)?.ok_or_else(|| CoreError::Internal("a query returned no row".into()))
}

/// A result row of either engine, read by column index: a row is turned into a model once,
/// whichever engine's SQL produced it.
pub trait Row {
    fn col<T: Value>(&self, i: usize) -> Result<T>;
}

impl Row for rusqlite::Row<'_> {
    fn col<T: Value>(&self, i: usize) -> Result<T> {
        Ok(self.get(i)?)
    }
}

impl Row for postgres::Row {
    fn col<T: Value>(&self, i: usize) -> Result<T> {
        Ok(self.try_get(i)?)
    }
}

// So that a function ported to both engines still takes the SQLite connections its
// callers hold (`impl Into<Conn>`).
impl<'a> From<&'a Connection> for Conn<'a> {
    fn from(c: &'a Connection) -> Self {
        Conn::Lite(c)
    }
}

impl<'a> From<&'a std::sync::MutexGuard<'_, Connection>> for Conn<'a> {
    fn from(c: &'a std::sync::MutexGuard<'_, Connection>) -> Self {
        Conn::Lite(c)
    }
}

impl<'a> From<&'a rusqlite::Transaction<'_>> for Conn<'a> {
    fn from(c: &'a rusqlite::Transaction<'_>) -> Self {
        Conn::Lite(c)
    }
}

/// One schema step: its SQL for each engine, and whether it rebuilds tables others refer to
/// (SQLite's foreign keys are checked before the migration commits).
///
/// One list serves both engines. PostgreSQL arrived at schema 16, so no server holds an
/// older one: steps 1–15 have no PostgreSQL SQL and step 16 creates its whole schema
/// (`migrations/pg/016_baseline.sql`). Every later step must carry both.
pub(crate) struct Step {
    sql: &'static str,
    pub(crate) pg: Option<&'static str>,
    check_keys: bool,
}

const fn step(sql: &'static str) -> Step {
    Step {
        sql,
        pg: None,
        check_keys: false,
    }
}

/// Every schema version's step, in order: version N is the first N steps. The file's
/// `user_version` (a server's `kq_schema` row) says how many it has had.
pub(crate) const STEPS: &[Step] = &[
    step(include_str!("migrations/001_init.sql")),
    step(include_str!("migrations/002_lookup_indexes.sql")),
    step(include_str!("migrations/003_search_prefixes.sql")),
    step(include_str!("migrations/004_loyalty.sql")),
    step(include_str!("migrations/005_merge.sql")),
    step(include_str!("migrations/006_care.sql")),
    step(include_str!("migrations/007_analytics.sql")),
    step(include_str!("migrations/008_audit.sql")),
    step(include_str!("migrations/009_staff.sql")),
    step(include_str!("migrations/010_seal.sql")),
    Step {
        sql: include_str!("migrations/011_optional_phone.sql"),
        pg: None,
        check_keys: true,
    },
    step(include_str!("migrations/012_list_walks.sql")),
    step(include_str!("migrations/013_covering_history.sql")),
    step(include_str!("migrations/014_vouchers.sql")),
    step(include_str!("migrations/015_campaigns.sql")),
    Step {
        sql: include_str!("migrations/016_cards.sql"),
        pg: Some(include_str!("migrations/pg/016_baseline.sql")),
        check_keys: false,
    },
    Step {
        sql: include_str!("migrations/017_counters.sql"),
        // The same SQL on both engines.
        pg: Some(include_str!("migrations/017_counters.sql")),
        check_keys: false,
    },
    Step {
        sql: include_str!("migrations/018_word_starts.sql"),
        pg: Some(include_str!("migrations/pg/018_word_starts.sql")),
        check_keys: false,
    },
    Step {
        sql: include_str!("migrations/019_search_rank.sql"),
        pg: Some(include_str!("migrations/pg/019_search_rank.sql")),
        check_keys: false,
    },
    Step {
        sql: include_str!("migrations/020_counters_cover.sql"),
        pg: Some(include_str!("migrations/pg/020_counters_cover.sql")),
        check_keys: false,
    },
];

/// The first schema a PostgreSQL server can hold (its baseline step).
pub(crate) const PG_BASELINE: usize = 16;

/// The schema version this build writes (SQLite user_version after migrating).
pub fn schema_version() -> i64 {
    STEPS.len() as i64
}

/// Migrate to an exact version: the upgrade tests build every earlier schema with it.
pub fn migrate_to(conn: &mut Connection, version: usize) -> Result<()> {
    migrate(conn, version, &mut |_, _| {})
}

/// Migrate to this build's schema (start-up, restore).
pub fn migrate_latest(conn: &mut Connection) -> Result<()> {
    migrate(conn, STEPS.len(), &mut |_, _| {})
}

/// Migrate up to `target` in one transaction, so a failed step leaves the file exactly at
/// its old version. `progress` gets (steps done, steps to do) after each step.
pub fn migrate(
    conn: &mut Connection,
    target: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let found = usize::try_from(user_version(conn)?).unwrap_or(0);
    if target > STEPS.len() || found > target {
        return Err(CoreError::Migration(format!(
            "cannot go from schema {found} to {target}"
        )));
    }
    if found == target {
        return Ok(());
    }
    let failed =
        |v: usize, e: rusqlite::Error| CoreError::Migration(format!("step {}: {e}", v + 1));
    without_foreign_keys(conn, |c| {
        let tx = c.transaction()?;
        for (v, s) in STEPS.iter().enumerate().take(target).skip(found) {
            tx.execute_batch(s.sql).map_err(|e| failed(v, e))?;
            if s.check_keys && backup::foreign_key_violations(&tx).map_err(|e| failed(v, e))? > 0 {
                return Err(CoreError::Migration(format!(
                    "step {}: broken references",
                    v + 1
                )));
            }
            progress(v + 1 - found, target - found);
        }
        tx.pragma_update(None, "user_version", target as i64)?;
        tx.commit()?;
        Ok(())
    })
}

/// Rows written by schema 1 (the first release's layout), as raw SQL so the fixture never
/// changes when the db layer does.
#[cfg(feature = "internals")]
const V1_ROWS: &str = "
    INSERT INTO settings (key, value) VALUES ('shop_name', 'Tiệm cũ');
    INSERT INTO customers (id, code, name, name_fold, phone, phone_rev, source, created_at,
        updated_at, visits, total_minor, first_purchase_at, last_purchase_at)
    VALUES (1, 'kh001', 'Nguyễn Văn Đức', 'nguyen van duc', '0912345678', '8765432190',
        'walk_in', 1700000000, 1700000000, 1, 250000, 1700000000, 1700000000);
    INSERT INTO customer_search (rowid, name_fold, name_marked)
    VALUES (1, 'nguyen van duc', 'nguyễn văn đức');
    INSERT INTO purchases (id, customer_id, at, total_minor, payment_method, created_at)
    VALUES (1, 1, 1700000000, 250000, 'cash', 1700000000);";

/// Tests only: a shop file at schema `version` as an older app left it, holding the first
/// release's rows (the shop "Tiệm cũ", customer KH001 Nguyễn Văn Đức, one 250.000 ₫ bill).
#[cfg(feature = "internals")]
pub fn old_shop(path: &Path, version: usize) -> Result<()> {
    let mut conn = Connection::open(path)?;
    migrate_to(&mut conn, 1)?;
    conn.execute_batch(V1_ROWS)?;
    migrate_to(&mut conn, version)?;
    Ok(())
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

/// Open `path` (with `flags`) and refuse a file from a newer app or one that is not a
/// database, before anything is written to it.
fn open_checked(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let open_failed = |detail: String| CoreError::OpenFailed {
        path: path.display().to_string(),
        detail,
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_failed(e.to_string()))?;
    // Before anything that takes a lock: beside a busy writer (the window, when the CLI
    // opens the same file) the version check and the WAL switch must wait, not fail.
    conn.busy_timeout(Duration::from_secs(5))?;
    // A file that is not a database fails on its first read, not on open.
    check_not_newer(&conn).map_err(|e| match e {
        CoreError::Sqlite(s) => open_failed(s.to_string()),
        other => other,
    })?;
    Ok(conn)
}

/// Open the writer connection: check the version, switch to WAL. The caller migrates
/// (`Store::open_with`, which may back the file up first).
pub fn open_writer(path: &Path) -> Result<Connection> {
    let conn = open_checked(path, OpenFlags::default())?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    configure(&conn)?;
    // A purchase touches a dozen index pages of a large shop; SQLite's default 2 MB cache
    // reads most of them again from the OS on every commit. Allocated only as pages are used.
    set_cache_size(&conn, -WRITER_CACHE_KIB)?;
    Ok(conn)
}

/// The schema version of an open file (0 for a new, empty one).
pub fn version_of(conn: &Connection) -> Result<i64> {
    user_version(conn)
}

/// The schema version of the file at `path` without changing it: None when there is no
/// file yet; refused when it is newer than this app or not a database.
pub fn peek_version(path: &Path) -> Result<Option<i64>> {
    if !path.exists() {
        return Ok(None);
    }
    // Read-write without create (a read-only one may not open a WAL file): it only reads.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Ok(Some(user_version(&open_checked(path, flags)?)?))
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

pub fn check<'a>(conn: impl Into<Conn<'a>>) -> Result<CheckReport> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(p) => return check_pg(p),
    };
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
    Ok(report(
        integrity,
        foreign_key_violations,
        negative_balances,
        stats_mismatches,
        sealed_rows,
    ))
}

/// [`check`] on a server: the balances and the cached figures, as on a file. The server
/// keeps its own pages whole and refuses a broken reference at commit (so there is nothing
/// to scan for either), and seals nothing it writes (its audit chain vouches instead).
fn check_pg(p: &pg::Link) -> Result<CheckReport> {
    let negative_balances: i64 = one(
        Conn::Pg(p),
        "SELECT count(*) FROM (SELECT customer_id FROM points_ledger GROUP BY customer_id
                               HAVING sum(points) < 0) b",
        &[],
    )?;
    let stats_mismatches: i64 = one(
        Conn::Pg(p),
        "SELECT count(*) FROM customers c
         LEFT JOIN (SELECT customer_id, count(*) n, sum(total_minor) t, min(at) f, max(at) l
                    FROM purchases GROUP BY customer_id) p ON p.customer_id = c.id
         LEFT JOIN (SELECT p.customer_id, sum(r.amount_minor) rt FROM refunds r
                    JOIN purchases p ON p.id = r.purchase_id GROUP BY p.customer_id) r
                ON r.customer_id = c.id
         WHERE c.visits <> coalesce(p.n, 0)
            OR c.total_minor <> coalesce(p.t, 0) - coalesce(r.rt, 0)
            OR c.first_purchase_at IS DISTINCT FROM p.f
            OR c.last_purchase_at IS DISTINCT FROM p.l",
        &[],
    )?;
    Ok(report(
        vec!["ok".into()],
        Vec::new(),
        negative_balances,
        stats_mismatches,
        None,
    ))
}

fn report(
    integrity: Vec<String>,
    foreign_key_violations: Vec<String>,
    negative_balances: i64,
    stats_mismatches: i64,
    sealed_rows: Option<seal::RowCheck>,
) -> CheckReport {
    let ok = integrity == ["ok"]
        && foreign_key_violations.is_empty()
        && negative_balances == 0
        && stats_mismatches == 0
        && sealed_rows.as_ref().is_none_or(seal::RowCheck::ok);
    CheckReport {
        integrity,
        foreign_key_violations,
        negative_balances,
        stats_mismatches,
        sealed_rows,
        ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_applies_in_order_and_a_failed_one_leaves_the_old_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let mut seen = Vec::new();
        migrate(&mut conn, 3, &mut |d, t| seen.push((d, t))).unwrap();
        assert_eq!(seen, [(1, 3), (2, 3), (3, 3)]);
        assert_eq!(user_version(&conn).unwrap(), 3);
        // A step that fails (its table is already there) rolls the whole run back.
        conn.execute_batch("CREATE TABLE vouchers (x)").unwrap();
        let r = migrate(&mut conn, STEPS.len(), &mut |_, _| {});
        assert!(
            matches!(r, Err(CoreError::Migration(ref m)) if m.starts_with("step 14:")),
            "{r:?}"
        );
        assert_eq!(user_version(&conn).unwrap(), 3);
        assert!(migrate(&mut conn, 2, &mut |_, _| {}).is_err(), "never down");
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
