//! Moving a whole shop between the engines: this shop's file into an empty PostgreSQL
//! database (`db migrate-to`), and a server's shop back out as a normal SQLite file
//! (`db export-sqlite`), so an owner can always leave. Each copy is checked before it is
//! kept: rows per table, the money columns' sums and every customer's points balance.

use crate::db::copy::{self, Summary};
use crate::db::{self, pg};
use crate::error::{CoreError, Result};
use crate::files;
use crate::files::shown;
use crate::store::session::Perm;
use crate::store::Store;
use serde::Serialize;
use std::path::Path;

/// What a copy moved, as checked on both sides.
#[derive(Debug, Serialize)]
pub struct Moved {
    /// The server as `host:port/database`, never with its password.
    pub server: String,
    /// The SQLite file written (`export_sqlite`).
    pub file: Option<String>,
    pub customers: i64,
    pub purchases: i64,
    pub rows: i64,
    /// The sum of every bill's total, in minor units.
    pub purchases_total_minor: i64,
    /// Customers with a points balance, each equal on both sides.
    pub balances: usize,
}

fn moved(server: &pg::Server, file: Option<String>, s: &Summary) -> Moved {
    Moved {
        server: server.shown().to_string(),
        file,
        customers: s.rows.get("customers").copied().unwrap_or(0),
        purchases: s.rows.get("purchases").copied().unwrap_or(0),
        rows: s.rows.values().sum(),
        purchases_total_minor: s
            .money_minor
            .get("purchases.total_minor")
            .copied()
            .unwrap_or(0),
        balances: s.balances.len(),
    }
}

/// The first difference between two summaries, named for the owner.
fn mismatch(a: &Summary, b: &Summary) -> Option<String> {
    for (t, n) in &a.rows {
        if b.rows.get(t) != Some(n) {
            return Some(format!(
                "{t}: {n} ≠ {}",
                b.rows.get(t).copied().unwrap_or(0)
            ));
        }
    }
    for (c, v) in &a.money_minor {
        if b.money_minor.get(c) != Some(v) {
            return Some(c.clone());
        }
    }
    if a.balances != b.balances {
        return Some("points_ledger".into());
    }
    None
}

impl Store {
    /// Copies this shop into an empty PostgreSQL database, then checks the copy against
    /// this file before committing it: a failed or unequal copy leaves the server's
    /// database empty. This file is only read. `progress` gets (tables copied, tables).
    pub fn migrate_to(&self, url: &str, progress: &mut dyn FnMut(usize, usize)) -> Result<Moved> {
        self.require(Perm::Backup)?;
        let server = pg::Server::parse(url)?;
        let mut client = server.connect()?;
        let reader = self.reader()?;
        // One read transaction: the copy and its check see the same snapshot, whatever a
        // counter records meanwhile.
        let snap = reader.unchecked_transaction()?;
        let tables = copy::tables(&snap)?;
        let before = copy::summary_sqlite(&snap)?;
        let mut tx = client.transaction()?;
        pg::hold_migrations(&mut tx)?;
        if pg::schema_version(&mut tx)? != 0 {
            return Err(CoreError::ServerNotEmpty {
                server: server.shown().into(),
            });
        }
        pg::migrate_in(&mut tx, db::schema_version() as usize, &mut |_, _| {})?;
        copy::sqlite_to_pg(&snap, &mut tx, progress)?;
        let after = copy::summary_pg(&mut tx, &tables)?;
        if let Some(what) = mismatch(&before, &after) {
            return Err(CoreError::CopyMismatch { what });
        }
        // The deferred references are checked here; a broken one fails the commit.
        tx.commit()?;
        // A copied table has no statistics until autovacuum comes by: without them the
        // planner guesses, and the counter's first searches walk the wrong index.
        pg::analyze(&mut client)?;
        tracing::info!(server = %server.shown(), rows = after.rows.values().sum::<i64>(), "shop copied to the server");
        Ok(moved(&server, None, &after))
    }
}

/// Writes a server's shop to `file`, a new SQLite file (never over an existing one),
/// checked against the server before it is kept. It comes out unsealed, for the computer
/// that opens or restores it to seal as its own (see `copy::unsealed_tables`). The
/// server's own credentials are the permission: whoever holds them can read every row.
pub fn export_sqlite(
    url: &str,
    file: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Moved> {
    let server = pg::Server::parse(url)?;
    let dir = files::new_file_folder(file)?;
    let mut client = server.connect()?;
    let mut tx = pg::snapshot(&mut client)?;
    pg::require_current(&mut tx)?;
    // Written under a name of our own beside the target, then moved into place without
    // replacing anything: a failed export leaves no half file behind.
    let tmp = tempfile::Builder::new()
        .prefix(".khachquen-export-")
        .suffix(".db")
        .tempfile_in(&dir)?;
    let summary = {
        let mut lite = copy::create_sqlite(tmp.path())?;
        copy::check_references_at_end(&lite)?;
        let ltx = lite.transaction()?;
        copy::pg_to_sqlite(&mut tx, &ltx, progress)?;
        if let Some(what) = copy::broken_reference(&ltx)? {
            return Err(CoreError::CopyMismatch { what });
        }
        let tables = copy::unsealed_tables(&ltx)?;
        let theirs = copy::summary_pg(&mut tx, &tables)?;
        let ours = copy::summary_sqlite(&ltx)?;
        if let Some(what) = mismatch(&theirs, &ours) {
            return Err(CoreError::CopyMismatch { what });
        }
        ltx.commit()?;
        ours
    };
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(file)
        .map_err(|_| CoreError::BackupFileExists(shown(file)))?;
    Ok(moved(&server, Some(shown(file)), &summary))
}
