//! Backups of a shop on a PostgreSQL server: pg_dump's custom format, checked before it
//! counts, encrypted with the passphrase when one is given, and restored in one transaction
//! only after the same check.
//!
//! The check: pg_dump reads a snapshot this process exported, and this process counts every
//! table's rows in that same snapshot. pg_restore then reads the whole archive back (every
//! data block decompressed) and the rows of each table's COPY must equal those counts.

use super::crypto;
use super::{BackupInfo, RestoreReport};
use crate::db::backup::Counts;
use crate::db::{self, pg};
use crate::error::{CoreError, Result};
use crate::files;
use crate::files::shown;
use crate::store::audit;
use crate::store::session::Actor;
use crate::store::Store;
use age::secrecy::SecretString;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A checked server backup, or a restored one.
#[derive(Debug, Serialize)]
pub struct ServerBackup {
    pub file: String,
    /// The server as `host:port/database`, never with its password.
    pub server: String,
    pub tables: usize,
    pub rows: i64,
    pub customers: i64,
    pub purchases: i64,
    pub encrypted: bool,
    pub bytes: u64,
}

fn summary(
    file: &Path,
    server: &pg::Server,
    counts: &BTreeMap<String, i64>,
    encrypted: bool,
) -> ServerBackup {
    ServerBackup {
        file: shown(file),
        server: server.shown().to_string(),
        tables: counts.len(),
        rows: counts.values().sum(),
        customers: counts.get("customers").copied().unwrap_or(0),
        purchases: counts.get("purchases").copied().unwrap_or(0),
        encrypted,
        bytes: fs::metadata(file).map(|m| m.len()).unwrap_or(0),
    }
}

/// The most schema SQL read from a tool: ours is about 40 KB, so more is no archive of ours.
const MAX_SCHEMA_BYTES: u64 = 4 << 20;

/// The schema SQL a tool prints (pg_dump of the live database, pg_restore of an archive),
/// without comments, blank lines and session settings, so that two are equal exactly when
/// they define the same objects. `None` when the tool fails or prints too much.
fn schema_of(
    name: &str,
    args: &[&std::ffi::OsStr],
    server: Option<&pg::Server>,
) -> Result<Option<String>> {
    use std::io::Read;
    let mut cmd = Command::new(pg::tool(name));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(s) = server {
        cmd.envs(s.libpq_env());
    }
    let mut child = cmd.spawn()?;
    let mut text = Vec::new();
    if let Some(out) = child.stdout.take() {
        out.take(MAX_SCHEMA_BYTES + 1).read_to_end(&mut text)?;
    }
    if text.len() as u64 > MAX_SCHEMA_BYTES {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(None);
    }
    if !child.wait()?.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&text);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("--")
                && !l.starts_with("SET ")
                && !l.starts_with("SELECT pg_catalog.set_config")
                // a random key per run, which psql uses against injected meta-commands
                && !l.starts_with("\\restrict ")
                && !l.starts_with("\\unrestrict ")
        })
        .collect();
    Ok(Some(kept.join("\n")))
}

/// Runs one of PostgreSQL's tools with the server's connection in its environment. Its
/// own words go to the log; the owner gets `failed`.
fn run_tool(
    name: &str,
    args: &[&std::ffi::OsStr],
    server: Option<&pg::Server>,
    failed: impl FnOnce() -> CoreError,
) -> Result<()> {
    let mut cmd = Command::new(pg::tool(name));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    if let Some(s) = server {
        cmd.envs(s.libpq_env());
    }
    // A restore waits on counters' locks at most this long, then rolls back and says so.
    cmd.env("PGOPTIONS", "-c lock_timeout=10s");
    let out = cmd.stderr(Stdio::piped()).output()?;
    if !out.status.success() {
        tracing::warn!(
            tool = name,
            "{}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return Err(failed());
    }
    Ok(())
}

/// Reads a whole archive back: the rows of each table's data, and the schema version its
/// `kq_schema` row holds.
fn archive_counts(archive: &Path) -> Result<(BTreeMap<String, i64>, Option<i64>)> {
    let corrupt = || CoreError::BackupCorrupt {
        file: shown(archive),
        detail: "pg_restore could not read it".into(),
    };
    let mut child = Command::new(pg::tool("pg_restore"))
        .arg("--data-only")
        .arg("--file=-")
        .arg(archive)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(corrupt)?;
    let mut counts = BTreeMap::new();
    let mut table: Option<String> = None;
    // Where `kq_schema`'s COPY puts its version column, and the version read there.
    let mut version_at: Option<usize> = None;
    let mut version: Option<i64> = None;
    for line in BufReader::new(stdout).split(b'\n') {
        let line = line?;
        match &table {
            None => {
                // `COPY public.customers (id, …) FROM stdin;`
                if let Some(rest) = line.strip_prefix(b"COPY ") {
                    let name = rest.split(|&b| b == b' ').next().unwrap_or_default();
                    let name = String::from_utf8_lossy(name);
                    let name = name
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .trim_matches('"');
                    if name == "kq_schema" {
                        let cols = String::from_utf8_lossy(rest);
                        version_at = cols
                            .split_once(" (")
                            .and_then(|(_, c)| c.split(')').next())
                            .and_then(|c| c.split(", ").position(|c| c == "version"));
                    }
                    table = Some(name.to_string());
                    counts.insert(name.to_string(), 0);
                }
            }
            Some(_) if line == b"\\." => table = None,
            Some(t) => {
                if let (Some(at), "kq_schema") = (version_at, t.as_str()) {
                    version = line
                        .split(|&b| b == b'\t')
                        .nth(at)
                        .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
                }
                *counts.entry(t.clone()).or_insert(0) += 1
            }
        }
    }
    if !child.wait()?.success() || table.is_some() {
        return Err(corrupt());
    }
    Ok((counts, version))
}

/// Whether an archive's counts hold every table of `expected` with the same rows.
fn check_counts(
    file: &Path,
    expected: &BTreeMap<String, i64>,
    found: &BTreeMap<String, i64>,
) -> Result<()> {
    for (t, n) in expected {
        let got = found.get(t).copied().unwrap_or(0);
        if got != *n {
            return Err(CoreError::BackupCountsMismatch {
                file: shown(file),
                table: t.clone(),
                expected: *n,
                found: got,
            });
        }
    }
    Ok(())
}

/// Puts a finished file at `target` without ever replacing one (a link fails on an existing
/// name); the work folder it came from is removed by its owner.
fn place(done: &Path, target: &Path) -> Result<()> {
    fs::hard_link(done, target).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CoreError::BackupFileExists(shown(target)),
        _ => CoreError::BackupWriteFailed {
            path: shown(target),
            detail: e.to_string(),
        },
    })
}

/// Backs a server's shop up to `file` (a new name; `.age` is added when `passphrase` is
/// given), checked before it is kept.
pub fn backup_server(url: &str, file: &Path, passphrase: Option<&str>) -> Result<ServerBackup> {
    let server = pg::Server::parse(url)?;
    let secret = crypto::secret(passphrase);
    if let Some(s) = &secret {
        crypto::check_length(s)?;
    }
    let target: PathBuf = match &secret {
        Some(_) => crypto::encrypted_name(file),
        None => file.to_path_buf(),
    };
    let counts = dump(&server, &target, secret.as_ref())?;
    Ok(summary(&target, &server, &counts, secret.is_some()))
}

/// `backup_server` to `target` (its final name), encrypted with `secret` when given.
pub(super) fn dump(
    server: &pg::Server,
    target: &Path,
    secret: Option<&SecretString>,
) -> Result<BTreeMap<String, i64>> {
    let dir = files::new_file_folder(target)?;
    let mut client = server.connect()?;
    let mut tx = pg::snapshot(&mut client)?;
    pg::require_current(&mut tx)?;
    let snapshot = pg::export_snapshot(&mut tx)?;
    let counts = pg::table_counts(&mut tx)?;
    let write_failed = |detail: &str| CoreError::BackupWriteFailed {
        path: shown(target),
        detail: detail.into(),
    };
    // The plain dump is made in a folder of our own (0700): beside the target when it stays
    // plain, on this computer's temp disk when it is to be encrypted, so no plain copy ever
    // touches the backup drive.
    let work = files::private_dir_in(&match secret {
        Some(_) => std::env::temp_dir(),
        None => dir.clone(),
    })?;
    let plain = work.path().join("dump");
    let snap_arg = format!("--snapshot={snapshot}");
    run_tool(
        "pg_dump",
        &[
            "--format=custom".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            snap_arg.as_ref(),
            "--file".as_ref(),
            plain.as_os_str(),
        ],
        Some(server),
        || write_failed("pg_dump failed"),
    )?;
    // pg_dump has taken the snapshot; the transaction that exported it may end.
    drop(tx);
    check_counts(target, &counts, &archive_counts(&plain)?.0)?;
    match secret {
        Some(s) => {
            let out = files::private_dir_in(&dir)?;
            let sealed = out.path().join("sealed");
            let written = crypto::encrypt_file(&plain, &sealed, s)?;
            if crypto::checksum(&sealed)? != written {
                return Err(write_failed(
                    "the file read back differs from what was written",
                ));
            }
            place(&sealed, target)?;
        }
        None => {
            // pg_dump made it with the umask's mode; a backup is this user's only.
            files::make_private(&plain)?;
            fs::File::open(&plain)?.sync_all()?;
            place(&plain, target)?;
        }
    }
    files::sync_dir(&dir);
    tracing::info!(server = %server.shown(), rows = counts.values().sum::<i64>(), "server backup");
    Ok(counts)
}

/// A server backup read back whole: the archive to restore from, each table's rows, and
/// the schema version it holds.
pub(super) struct ReadBack {
    pub(super) archive: PathBuf,
    pub(super) counts: BTreeMap<String, i64>,
    pub(super) version: i64,
}

/// A server backup read back whole (decrypted with `secret` into a private folder first
/// when it is encrypted), or why it is no backup of a shop this app can restore. `work` is
/// where a decrypted copy may go; the caller removes it.
pub(super) fn read_back(
    file: &Path,
    secret: Option<&SecretString>,
    work: &Path,
) -> Result<ReadBack> {
    match fs::metadata(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CoreError::BackupNotFound(shown(file)))
        }
        Ok(m) if m.is_file() => {}
        _ => return Err(CoreError::FileNotRegular(shown(file))),
    }
    let archive = if crypto::is_encrypted(file) {
        let secret = secret.ok_or_else(|| CoreError::BackupPassphraseNeeded(shown(file)))?;
        let out = work.join("dump");
        crypto::decrypt_file(file, &shown(file), &out, secret)?;
        out
    } else {
        file.to_path_buf()
    };
    if !is_archive(&archive) {
        // Say what it is when it is the usual mistake: a shop file, or a shop file's backup.
        return Err(if is_sqlite(&archive) {
            CoreError::BackupShopFile(shown(file))
        } else {
            CoreError::BackupNotDatabase(shown(file))
        });
    }
    let (counts, version) = archive_counts(&archive)?;
    let version = match version {
        Some(v) if counts.contains_key("customers") && v >= db::PG_BASELINE as i64 => v,
        _ => return Err(CoreError::BackupForeign(shown(file))),
    };
    if version > db::schema_version() {
        return Err(CoreError::BackupTooNew {
            file: shown(file),
            found: version,
            supported: db::schema_version(),
        });
    }
    Ok(ReadBack {
        archive,
        counts,
        version,
    })
}

/// pg_dump's custom format, judging by its first bytes.
pub(super) fn is_archive(file: &Path) -> bool {
    crate::files::starts_with(file, b"PGDMP")
}

/// An SQLite database (a shop file or a shop file's backup), judging by its first bytes.
fn is_sqlite(file: &Path) -> bool {
    crate::files::starts_with(file, b"SQLite format 3\0")
}

/// Restores a server backup into the server's database, replacing the shop there, in one
/// transaction. The archive is read back and checked first; a damaged one changes nothing.
pub fn restore_server(url: &str, file: &Path, passphrase: Option<&str>) -> Result<ServerBackup> {
    let server = pg::Server::parse(url)?;
    restore(&server, file, crypto::secret(passphrase).as_ref())
}

/// `restore_server` on `server`.
pub(super) fn restore(
    server: &pg::Server,
    file: &Path,
    secret: Option<&SecretString>,
) -> Result<ServerBackup> {
    let dir = files::private_dir_in(&std::env::temp_dir())?;
    let encrypted = crypto::is_encrypted(file);
    let read = read_back(file, secret, dir.path())?;
    restore_archive(server, file, &read)?;
    Ok(summary(file, server, &read.counts, encrypted))
}

/// Replaces the shop on `server` with the archive `read` back from `file`, in one
/// transaction: as it is when its schema is this version's, else upgraded on the way in.
fn restore_archive(server: &pg::Server, file: &Path, read: &ReadBack) -> Result<()> {
    let (archive, counts) = (read.archive.as_path(), &read.counts);
    // Reach the server before anything else, so an unreachable one is said as such.
    let mut client = server.connect()?;
    if pg::schema_version(&mut client)? == 0 {
        // An empty database gets this version's schema first, to compare against.
        let mut tx = client.transaction()?;
        pg::migrate_in(&mut tx, db::schema_version() as usize, &mut |_, _| {})?;
        tx.commit()?;
    }
    pg::require_current(&mut client)?;
    if read.version < db::schema_version() {
        return restore_older(&mut client, file, read);
    }
    // A restore runs the archive's SQL on the server, so only an archive whose schema is
    // exactly this shop's is run: its objects, functions and triggers are then ours, and
    // everything else in it is table data, which COPY only stores.
    let live = schema_of(
        "pg_dump",
        &[
            "--schema-only".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
        ],
        Some(server),
    )?;
    let theirs = schema_of(
        "pg_restore",
        &[
            "--schema-only".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--file=-".as_ref(),
            archive.as_os_str(),
        ],
        None,
    )?;
    if live.is_none() || live != theirs {
        return Err(CoreError::BackupForeign(shown(file)));
    }
    run_tool(
        "pg_restore",
        &[
            "--clean".as_ref(),
            "--if-exists".as_ref(),
            "--single-transaction".as_ref(),
            "--exit-on-error".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--dbname".as_ref(),
            server.dbname().as_ref(),
            archive.as_os_str(),
        ],
        Some(server),
        || CoreError::RestoreRolledBack("pg_restore failed".into()),
    )?;
    check_counts(file, counts, &pg::table_counts(&mut client)?)?;
    // Restored tables start without statistics (see migrate_to).
    pg::analyze(&mut client)?;
    Ok(())
}

/// Restores an archive of an older schema (a backup made before this version) without
/// running any of its SQL, in one transaction on our own connection: the shop's tables go,
/// this version's migrations build the archive's schema, its rows come in through COPY (its
/// data only), they are counted against the archive, and the migrations bring the shop up
/// to this version. Any failure leaves the shop as it was.
fn restore_older(client: &mut postgres::Client, file: &Path, read: &ReadBack) -> Result<()> {
    let corrupt = |detail: &str| CoreError::BackupCorrupt {
        file: shown(file),
        detail: detail.into(),
    };
    let mut tx = client.transaction()?;
    db::copy::rebuild_at(&mut tx, read.version as usize)?;
    let mut child = Command::new(pg::tool("pg_restore"))
        .arg("--data-only")
        .arg("--file=-")
        .arg(&read.archive)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| corrupt("pg_restore could not read it"))?;
    let copied = db::copy::archive_to_pg(&mut tx, BufReader::new(stdout));
    let finished = child.wait()?.success();
    if let Err(e) = copied {
        tracing::warn!(error = %e, "restore of an older server backup");
        return Err(corrupt("its rows do not fit its schema"));
    }
    if !finished {
        return Err(corrupt("pg_restore could not read it"));
    }
    let mut expected = read.counts.clone();
    expected.remove("kq_schema");
    check_counts(file, &expected, &pg::table_counts(&mut tx)?)?;
    // The rows' references are checked now: a step cannot alter a table with checks pending.
    db::copy::check_references_now(&mut tx)
        .map_err(|_| corrupt("its rows do not fit its schema"))?;
    pg::migrate_in(&mut tx, db::schema_version() as usize, &mut |_, _| {})?;
    tx.commit()?;
    pg::analyze(client)?;
    tracing::info!(
        from = read.version,
        "older server backup restored and upgraded"
    );
    Ok(())
}

/// What the backup card shows of a server backup, as of a shop file's: its rows (read back
/// from the archive) and the schema it holds.
fn info(
    file: &Path,
    counts: &BTreeMap<String, i64>,
    version: i64,
    kind: Option<&str>,
    started: Instant,
) -> BackupInfo {
    let n = |t: &str| counts.get(t).copied().unwrap_or(0);
    BackupInfo {
        file: shown(file),
        size: fs::metadata(file).map(|m| m.len()).unwrap_or(0),
        // To the second, as a shop file's backup says it.
        created_at: kind.map(|_| chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0)),
        kind: kind.map(str::to_owned),
        schema_version: version,
        app_version: kind.map(|_| env!("CARGO_PKG_VERSION").to_owned()),
        shop_name: None,
        counts: Counts {
            customers: n("customers"),
            purchases: n("purchases"),
            points_entries: n("points_ledger"),
            refunds: n("refunds"),
        },
        millis: started.elapsed().as_millis() as u64,
        encrypted: crypto::is_encrypted(file),
        audit_head: None,
    }
}

/// The backup card's "back up now" on a server: pg_dump to `path`, read back and checked.
pub(super) fn backup_info(
    server: &pg::Server,
    path: &Path,
    kind: &str,
    key: Option<&SecretString>,
) -> Result<BackupInfo> {
    let started = Instant::now();
    let counts = dump(server, path, key)?;
    Ok(info(
        path,
        &counts,
        db::schema_version(),
        Some(kind),
        started,
    ))
}

impl Store {
    /// `verify_backup` of a server backup: read back whole, decrypted first when it is
    /// encrypted (with `passphrase`, or the one this computer holds).
    pub(super) fn verify_dump(&self, file: &Path, passphrase: Option<&str>) -> Result<BackupInfo> {
        let started = Instant::now();
        let label = shown(file);
        let needed = || CoreError::BackupPassphraseNeeded(label.clone());
        let key = match crypto::secret(passphrase) {
            Some(p) => Some(p),
            None if crypto::is_encrypted(file) => {
                let st = self.read(|c| self.passphrase_here(c))?.ok_or_else(needed)?;
                Some(self.held_passphrase(&st).ok_or_else(needed)?)
            }
            None => None,
        };
        let work = self.staging()?;
        let read = read_back(file, key.as_ref(), work.path())?;
        Ok(info(file, &read.counts, read.version, None, started))
    }

    /// `restore_backup_with` on a server: the backup is read back and checked, the shop as
    /// it is now is backed up beside the others (`-before-restore`), then the backup replaces
    /// it in one transaction. This computer's backup settings stay, and the restore is
    /// logged; everyone signs in again, as the staff are the backup's.
    pub(super) fn restore_dump(
        &self,
        server: &pg::Server,
        file: &Path,
        passphrase: Option<&str>,
        allow_unencrypted: bool,
        actor: &Actor,
    ) -> Result<RestoreReport> {
        let started = Instant::now();
        let name = shown(file);
        let encrypted = crypto::is_encrypted(file);
        let given = crypto::secret(passphrase);
        if encrypted && given.is_none() {
            return Err(CoreError::BackupPassphraseNeeded(name));
        }
        if !encrypted && !allow_unencrypted && self.read(|c| self.passphrase_here(c))?.is_some() {
            return Err(CoreError::BackupPlainNeedsConfirm(name));
        }
        let work = self.staging()?;
        let read = read_back(file, given.as_ref(), work.path())?;
        let folder = self.safety_folder()?;
        let key = self.safety_key(given.as_ref())?;
        let safety = self.read(|c| {
            super::fresh_name(
                c,
                &folder,
                "-before-restore",
                key.is_some(),
                super::DUMP_EXT,
            )
        })?;
        let safety_copy = backup_info(server, &safety, "before_restore", key.as_ref())?;
        let machine = self.read(|c| db::backup::settings_with_prefix(c, "backup."))?;
        restore_archive(server, file, &read)?;
        let restored = info(file, &read.counts, read.version, None, started);
        let entry = actor
            .entry("backup.restore", "backup")
            .after(serde_json::json!({
                "file": name,
                "restored": audit::snapshot(&restored)?,
                "safety_copy": safety_copy.file,
            }));
        self.write_any(|c| {
            db::backup::replace_prefixed_settings(c, "backup.", &machine)?;
            audit::record(c, &entry)?;
            Ok(())
        })?;
        let check = self.report_read(|c| db::check(c))?;
        self.lock();
        Ok(RestoreReport {
            restored,
            safety_copy: safety_copy.file,
            upgraded_from: None,
            check,
            millis: started.elapsed().as_millis() as u64,
        })
    }
}
