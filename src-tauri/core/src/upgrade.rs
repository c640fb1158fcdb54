//! Opening the shop's file with this version of the app. An older file is first backed up
//! (verified, named for the schema it had), then migrated in one transaction with progress,
//! and the upgrade is recorded in the audit log. A failed migration leaves the file exactly
//! as it was and names the backup; a failed backup stops before anything changes.

use crate::backup::{self, BackupInfo};
use crate::error::{CoreError, Result};
use crate::store::audit;
use crate::store::session::Actor;
use crate::store::Store;
use crate::{db, time};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Where an upgrade is: the backup (pages copied), then the migration (steps done).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Progress {
    Backup { done: u64, total: u64 },
    Migrate { done: u64, total: u64 },
}

/// What an upgrade did.
#[derive(Debug, Clone, Serialize)]
pub struct Upgraded {
    pub from: i64,
    pub to: i64,
    /// The verified backup taken before the migration.
    pub backup: String,
    pub backup_millis: u64,
    pub migrate_millis: u64,
}

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    db::schema_version()
}

/// The file at `path` needs an upgrade: Some((its schema, this app's)). None for a missing,
/// new or current file; a newer or foreign file is refused, unchanged.
pub fn pending(path: &Path) -> Result<Option<(i64, i64)>> {
    let to = db::schema_version();
    Ok(db::peek_version(path)?
        .filter(|&v| v >= 1 && v < to)
        .map(|v| (v, to)))
}

/// Open the shop's file (creating it if needed); an older one is backed up, migrated and
/// the upgrade audited, with `progress` told along the way.
pub fn open(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<(Store, Option<Upgraded>)> {
    let data_dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    let mut taken: Option<BackupInfo> = None;
    let mut backup_millis = 0;
    let started = Instant::now();
    // Set once the backup is taken: from then on the steps are an upgrade's.
    let migrate_started = std::cell::Cell::new(None);
    let to = db::schema_version();
    let opened = {
        let progress = std::cell::RefCell::new(&mut *progress);
        Store::open_with(
            path,
            &mut |conn, from| {
                tracing::info!(from, to, "upgrade: backing up the data before migrating");
                let t = Instant::now();
                let info = backup::before_upgrade(conn, &data_dir, from, &mut |done, total| {
                    (progress.borrow_mut())(Progress::Backup { done, total })
                })
                .map_err(|e| {
                    tracing::error!(code = e.code(), error = %e, "upgrade: the backup failed");
                    CoreError::UpgradeBackupFailed {
                        from,
                        to,
                        folder: data_dir.join("backups").display().to_string(),
                    }
                })?;
                backup_millis = t.elapsed().as_millis() as u64;
                tracing::info!(file = %info.file, millis = backup_millis, "upgrade: backup verified");
                taken = Some(info);
                migrate_started.set(Some(Instant::now()));
                Ok(())
            },
            &mut |done, total| {
                // A new file's first migration is its creation, not an upgrade to show.
                if migrate_started.get().is_some() {
                    (progress.borrow_mut())(Progress::Migrate {
                        done: done as u64,
                        total: total as u64,
                    })
                }
            },
        )
    };
    let (store, migrated) = match (opened, taken.as_ref()) {
        (Ok(o), _) => o,
        // Failed after the backup: say so, and where the backup is, when the file is still
        // at its old schema (the migration's transaction rolled back).
        (Err(e), Some(info))
            if db::peek_version(path).ok().flatten() == Some(info.schema_version) =>
        {
            let from = info.schema_version;
            tracing::error!(code = e.code(), error = %e, from, to, "upgrade: the migration failed");
            return Err(CoreError::UpgradeFailed {
                from,
                to,
                backup: info.file.clone(),
            });
        }
        (Err(e), _) => return Err(e),
    };
    let upgraded = match (migrated, taken) {
        (Some(m), Some(info)) => {
            let migrate_millis = migrate_started
                .get()
                .map(|t| t.elapsed().as_millis() as u64)
                .unwrap_or(0);
            let up = Upgraded {
                from: m.from,
                to: m.to,
                backup: info.file,
                backup_millis,
                migrate_millis,
            };
            store.record_upgrade(&up)?;
            tracing::info!(
                from = up.from,
                to = up.to,
                millis = started.elapsed().as_millis() as u64,
                "upgrade: done"
            );
            Some(up)
        }
        _ => None,
    };
    Ok((store, upgraded))
}

impl Store {
    fn record_upgrade(&self, up: &Upgraded) -> Result<()> {
        let entry = Actor::system()
            .entry("app.upgrade", "database")
            .after(serde_json::json!({
                "from": up.from,
                "to": up.to,
                "app_version": env!("CARGO_PKG_VERSION"),
                "backup": up.backup,
                "at": time::now(),
            }));
        self.write(|conn| audit::record(conn, &entry).map(drop))
    }
}
