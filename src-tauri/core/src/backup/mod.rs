//! Backups: made online while the shop works, written to a temp file, verified, then renamed
//! into place; kept N deep in a folder the owner chooses; restored by swapping the data in
//! through SQLite's backup API after a safety copy of what is there now. With a backup
//! passphrase set, every backup is an age file (see `crypto`): the plain copy is made and
//! checked in a private folder beside the live database and never reaches the backup folder.

pub mod crypto;
pub mod server;

use crate::db::{self, backup::Counts};
use crate::error::{CoreError, Result};
use crate::files;
use crate::files::shown;
use crate::store::audit;
use crate::store::session::{Actor, Perm};
use crate::store::settings::timezone;
use crate::store::Store;
use crate::time;
use age::secrecy::{ExposeSecret, SecretString};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

pub const DEFAULT_KEEP: u32 = 14;
const MAX_KEEP: u32 = 1000;
const FOLDER_KEY: &str = "backup.folder";
const KEEP_KEY: &str = "backup.keep";
const LAST_OK_KEY: &str = "backup.last_ok_at";
const LAST_FILE_KEY: &str = "backup.last_file";
const LAST_ERROR_KEY: &str = "backup.last_error";
/// The passphrase's check value and sealed copy (`crypto::Stored`), never the passphrase.
const PASSPHRASE_KEY: &str = "backup.passphrase";
const PREFIX: &str = "khachquen-";
/// Folders older versions kept plain copies in (beside the live database): removed on the
/// next start.
const OLD_STAGING_PREFIX: &str = ".backup-staging-";

/// One backup or restore at a time in this process (the automatic one may be running).
static BUSY: Mutex<()> = Mutex::new(());

/// What a verified backup file holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BackupInfo {
    pub file: String,
    pub size: u64,
    /// When the snapshot was taken (from the file's manifest; absent for a plain database).
    pub created_at: Option<DateTime<Utc>>,
    /// "manual", "auto", "before_restore" or "before_upgrade".
    pub kind: Option<String>,
    pub schema_version: i64,
    pub app_version: Option<String>,
    pub shop_name: Option<String>,
    pub counts: Counts,
    /// How long the backup or the check took.
    pub millis: u64,
    /// The file is encrypted with the backup passphrase (`size` is the encrypted file's).
    pub encrypted: bool,
    /// The audit chain's sealed head the file carries (`#id` and the seal's fingerprint), to
    /// compare with what `audit verify` shows; none for a file from before seals.
    pub audit_head: Option<String>,
}

/// The sealed head of the audit chain in `conn`, as shown to the owner.
fn head_of(conn: &Connection) -> Option<String> {
    audit::chain_head(conn)
        .ok()
        .flatten()
        .map(|h| format!("#{} {}", h.id, h.fingerprint))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    app: String,
    app_version: String,
    created_at: i64,
    kind: String,
    schema_version: i64,
    counts: Counts,
}

/// An error as data, for lists and status: the UI translates `errors.<code>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorInfo {
    pub code: String,
    pub params: Map<String, Value>,
}

impl From<&CoreError> for ErrorInfo {
    fn from(e: &CoreError) -> Self {
        ErrorInfo {
            code: e.code().to_owned(),
            params: e.params(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BackupEntry {
    pub file: String,
    pub name: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    /// An encrypted backup: without the passphrase only its header is checked, and `info`
    /// is absent (`verify` with the passphrase gives it).
    pub encrypted: bool,
    pub ok: bool,
    pub info: Option<BackupInfo>,
    pub error: Option<ErrorInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BackupFailure {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub error: ErrorInfo,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackupStatus {
    pub folder: String,
    pub folder_is_default: bool,
    pub keep: u32,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_file: Option<String>,
    /// Seconds since the last good backup.
    pub age_seconds: Option<i64>,
    /// The last attempt's failure, cleared by the next good backup.
    pub last_error: Option<BackupFailure>,
    /// No good backup yet today (shop time): the automatic one would run.
    pub due: bool,
    /// "off": no backup passphrase; "on": every backup is encrypted; "paused": a passphrase
    /// is set but this machine cannot open its sealed copy, so backups wait until the
    /// owner enters it again (`PassphraseChange::Unlock`).
    pub encryption: &'static str,
}

/// A change to the backup passphrase.
#[derive(Debug, Clone, Copy)]
pub enum PassphraseChange<'a> {
    /// Set (or replace) the passphrase: every later backup is encrypted with it.
    Set(&'a str),
    /// Enter the passphrase already set, so this machine can seal it again (after the
    /// database moved to another computer, or the machine key was lost).
    Unlock(&'a str),
    /// Back to plain backups.
    Clear,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub restored: BackupInfo,
    /// The copy of the data as it was just before the restore.
    pub safety_copy: String,
    /// The schema the backup had, when it was upgraded on the way in.
    pub upgraded_from: Option<i64>,
    pub check: db::CheckReport,
    pub millis: u64,
}

fn lock_busy() -> std::sync::MutexGuard<'static, ()> {
    BUSY.lock().unwrap_or_else(|p| p.into_inner())
}

fn write_failed(path: &Path, e: impl ToString) -> CoreError {
    CoreError::BackupWriteFailed {
        path: shown(path),
        detail: e.to_string(),
    }
}

/// A SQLite error met while reading a candidate file, as a message the owner understands.
fn classify(file: &str, e: rusqlite::Error) -> CoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => CoreError::BackupNotDatabase(file.to_owned()),
        Some(ErrorCode::CannotOpen) => CoreError::OpenFailed {
            path: file.to_owned(),
            detail: e.to_string(),
        },
        _ => CoreError::BackupCorrupt {
            file: file.to_owned(),
            detail: e.to_string(),
        },
    }
}

/// The 100-byte SQLite header: magic, page size, and the size the file should have.
/// `label` names the file in errors (a decrypted copy is named after its backup).
fn check_header(path: &Path, label: &str) -> Result<u64> {
    let file = label.to_owned();
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CoreError::BackupNotFound(file))
        }
        Err(e) => return Err(e.into()),
    };
    if meta.is_dir() {
        return Err(CoreError::BackupNotDatabase(file));
    }
    let size = meta.len();
    if size == 0 {
        return Err(CoreError::BackupEmpty(file));
    }
    let mut head = Vec::with_capacity(100);
    fs::File::open(path)?.take(100).read_to_end(&mut head)?;
    const MAGIC: &[u8] = b"SQLite format 3\0";
    let n = head.len().min(MAGIC.len());
    if head[..n] != MAGIC[..n] {
        if server::is_archive(path) {
            return Err(CoreError::BackupServerArchive(file));
        }
        return Err(CoreError::BackupNotDatabase(file));
    }
    if head.len() < 100 {
        return Err(CoreError::BackupTruncated {
            file,
            size,
            expected: 100,
        });
    }
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536u64,
        p => u64::from(p),
    };
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(CoreError::BackupCorrupt {
            file,
            detail: format!("page size {page_size}"),
        });
    }
    // The page count in the header is trustworthy only when its "valid for" matches.
    let pages = u64::from(be32(28));
    let expected = if be32(92) == be32(24) && pages > 0 {
        pages * page_size
    } else {
        size.div_ceil(page_size) * page_size
    };
    if size < expected || !size.is_multiple_of(page_size) {
        return Err(CoreError::BackupTruncated {
            file,
            size,
            expected: expected.max(size.div_ceil(page_size) * page_size),
        });
    }
    Ok(size)
}

/// The first difference between a file's schema and the one this app's migrations make at
/// the file's version, as the error naming it: an object too many, one missing, or one
/// changed (a column, a trigger's body, an index's columns).
fn schema_difference(file: &str, version: i64, conn: &Connection) -> Result<Option<CoreError>> {
    let found = db::backup::schema(conn).map_err(|e| classify(file, e))?;
    let expected = db::backup::expected_schema(version)?;
    let key = |o: &db::backup::SchemaObject| (o.kind.clone(), o.name.clone());
    let named = |o: &db::backup::SchemaObject| (file.to_owned(), o.kind.clone(), o.name.clone());
    if let Some(o) = found
        .iter()
        .find(|f| !expected.iter().any(|e| key(e) == key(f)))
    {
        let (file, kind, name) = named(o);
        return Ok(Some(CoreError::BackupSchemaExtra { file, kind, name }));
    }
    for e in &expected {
        match found.iter().find(|f| key(f) == key(e)) {
            None => {
                let (file, kind, name) = named(e);
                return Ok(Some(CoreError::BackupSchemaMissing { file, kind, name }));
            }
            Some(f) if f != e => {
                let (file, kind, name) = named(e);
                return Ok(Some(CoreError::BackupSchemaAltered { file, kind, name }));
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// Check an open candidate: ours, not newer, with exactly the schema this app makes at its
/// version, sound and with an intact audit log (when `full`), and holding the rows its
/// manifest promises.
fn inspect(conn: &Connection, label: &str, size: u64, full: bool) -> Result<BackupInfo> {
    let start = Instant::now();
    let file = label.to_owned();
    let c = |e: rusqlite::Error| classify(&file, e);
    let version = db::backup::user_version(conn).map_err(c)?;
    if version > db::schema_version() {
        return Err(CoreError::BackupTooNew {
            file,
            found: version,
            supported: db::schema_version(),
        });
    }
    if version < 1 || !db::backup::has_core_tables(conn).map_err(c)? {
        return Err(CoreError::BackupForeign(file));
    }
    if full {
        // Once, and first: the schema queries below trust the pages they read.
        let lines = db::backup::quick_check(conn).map_err(c)?;
        if lines != ["ok"] {
            return Err(CoreError::BackupCorrupt {
                file,
                detail: lines.join("; "),
            });
        }
    }
    if let Some(e) = schema_difference(&file, version, conn)? {
        return Err(e);
    }
    if full {
        let fk = db::backup::foreign_key_violations(conn).map_err(c)?;
        if fk > 0 {
            return Err(CoreError::BackupCorrupt {
                file,
                detail: format!("{fk} broken references"),
            });
        }
        if db::backup::table_exists(conn, "audit_log").map_err(c)? {
            // The hash chain as this file holds it (a backup from another computer cannot
            // be checked against this one's key).
            if let Some(broken) = audit::verify(conn)?.first_broken {
                return Err(CoreError::BackupAuditBroken {
                    file,
                    entry: broken.id,
                });
            }
        }
    }
    let counts = db::backup::counts(conn).map_err(c)?;
    let manifest: Option<Manifest> = db::backup::setting(conn, db::backup::MANIFEST_KEY)
        .map_err(c)?
        .and_then(|m| serde_json::from_str(&m).ok());
    if let Some(m) = &manifest {
        if let Some((table, expected, found)) = m.counts.first_difference(&counts) {
            return Err(CoreError::BackupCountsMismatch {
                file,
                table: table.to_owned(),
                expected,
                found,
            });
        }
    }
    Ok(BackupInfo {
        size,
        created_at: manifest.as_ref().map(|m| time::from_unix(m.created_at)),
        kind: manifest.as_ref().map(|m| m.kind.clone()),
        schema_version: version,
        app_version: manifest.map(|m| m.app_version),
        shop_name: db::backup::setting(conn, "shop_name").map_err(c)?,
        counts,
        millis: start.elapsed().as_millis() as u64,
        encrypted: false,
        audit_head: head_of(conn),
        file,
    })
}

fn check_file(path: &Path, full: bool) -> Result<BackupInfo> {
    check_file_as(path, &shown(path), full)
}

fn check_file_as(path: &Path, label: &str, full: bool) -> Result<BackupInfo> {
    let size = check_header(path, label)?;
    let conn = db::backup::open_read_only(path).map_err(|e| classify(label, e))?;
    db::backup::begin_read(&conn).map_err(|e| classify(label, e))?;
    let out = inspect(&conn, label, size, full);
    db::backup::end_read(&conn);
    out
}

/// Verify a plain backup file fully (soundness, schema, audit log, row counts) without
/// changing it. An encrypted one needs the passphrase: `Store::verify_backup`.
pub fn verify(path: &Path) -> Result<BackupInfo> {
    if crypto::is_encrypted(path) {
        return Err(CoreError::BackupPassphraseNeeded(shown(path)));
    }
    let start = Instant::now();
    let mut info = check_file(path, true)?;
    info.millis = start.elapsed().as_millis() as u64;
    Ok(info)
}

/// The name `target` has in its folder (the name a temporary gets in its private folder).
fn file_name(target: &Path) -> std::ffi::OsString {
    target
        .file_name()
        .map(|n| n.to_owned())
        .unwrap_or_else(|| "backup.db".into())
}

/// Whether `path` is the live database or one of its companions (-wal, -shm, -journal).
fn is_live(store: &Store, path: &Path) -> bool {
    store
        .path()
        .is_some_and(|live| files::is_protected(path, &files::live_files(live)))
}

/// Names older versions gave their temporaries: removed on the next start.
const OLD_TEMP_SUFFIXES: &[&str] = &[
    ".db.tmp",
    ".db.age.tmp",
    ".repage.tmp",
    ".db.tmp-journal",
    ".db.tmp-wal",
    ".db.tmp-shm",
    ".repage.tmp-journal",
];

/// What the verification of a restored copy found (quick_check and foreign keys; a file
/// failing either is refused). The data figures are `db check`'s.
fn passed_check() -> db::CheckReport {
    db::CheckReport {
        integrity: vec!["ok".into()],
        foreign_key_violations: Vec::new(),
        negative_balances: 0,
        stats_mismatches: 0,
        sealed_rows: None,
        ok: true,
    }
}

/// `progress` for phase `i` of `n` of one job, as a share of the whole.
fn phase<'a>(progress: &'a mut dyn FnMut(u64, u64), i: u64, n: u64) -> impl FnMut(u64, u64) + 'a {
    move |done, total| {
        let part = done.min(total) * 1000 / total.max(1);
        progress(i * 1000 + part, n * 1000)
    }
}

/// Copy a consistent snapshot of `src` into `tmp` (a new name in a private folder), sealed
/// with its manifest, then checked once: every page read back and sound (quick_check) and
/// its rows counted for the manifest. Synced once, at the end, while the check runs (the
/// fsync waits on the disk, the check on the CPU); readable by this user only.
fn write_snapshot(
    src: &Connection,
    tmp: &Path,
    target: &Path,
    kind: &str,
    read_back: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BackupInfo> {
    let failed = |e: rusqlite::Error| write_failed(target, e);
    files::create_new_private(tmp).map_err(|e| write_failed(target, e))?;
    db::backup::begin_read(src)?;
    let copied = (|| {
        let mut dst = db::backup::open_scratch(tmp).map_err(failed)?;
        db::backup::copy(src, &mut dst, progress).map_err(|e| write_failed(target, e))
    })();
    db::backup::end_read(src);
    copied?;
    // Not synced until everything is written: the copy stays in its private folder until then.
    let conn = db::backup::open_scratch(tmp).map_err(failed)?;
    let counts = db::backup::counts(&conn).map_err(failed)?;
    let manifest = Manifest {
        app: "khachquen".into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        created_at: time::now(),
        kind: kind.into(),
        schema_version: db::backup::user_version(&conn).map_err(failed)?,
        counts,
    };
    db::backup::seal_copy(&conn, &to_json(&manifest)?).map_err(|e| write_failed(target, e))?;
    // Every write is done: the one fsync runs beside the read-back check.
    let (synced, checked) = std::thread::scope(|s| {
        let sync = s.spawn(|| fs::File::open(tmp).and_then(|f| f.sync_all()));
        let checked = if read_back {
            db::backup::open_read_only(tmp)
                .and_then(|ro| db::backup::quick_check(&ro))
                .map_err(failed)
        } else {
            Ok(vec!["ok".to_owned()])
        };
        let synced = sync
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the sync thread stopped")));
        (synced, checked)
    });
    let lines = checked?;
    if lines != ["ok"] {
        return Err(write_failed(target, lines.join("; ")));
    }
    synced.map_err(|e| write_failed(target, e))?;
    let shop_name = db::backup::setting(&conn, "shop_name").map_err(failed)?;
    let audit_head = head_of(&conn);
    conn.close().map_err(|(_, e)| write_failed(target, e))?;
    let size = check_header(tmp, &shown(target))?;
    Ok(BackupInfo {
        file: shown(target),
        size,
        created_at: Some(time::from_unix(manifest.created_at)),
        kind: Some(manifest.kind),
        schema_version: manifest.schema_version,
        app_version: Some(manifest.app_version),
        shop_name,
        counts,
        millis: 0,
        encrypted: false,
        audit_head,
    })
}

/// Put a finished temporary in place: a rename (which replaces a link at `target` rather
/// than writing through it), made durable.
fn place(tmp: &Path, target: &Path) -> Result<()> {
    fs::rename(tmp, target).map_err(|e| write_failed(target, e))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        files::sync_dir(dir);
    }
    Ok(())
}

/// How an encrypted copy is made: the passphrase, and the folder in which a held private
/// folder takes the plain copy for as long as the backup runs (beside the live database,
/// never beside the backup).
struct Seal<'a> {
    key: &'a SecretString,
    work: &'a Path,
}

/// The check of the working copy (`conn`, CPU) beside the safety copy of the live data
/// `from` (mostly disk): each hides most of the other. A file that fails its check is still
/// refused with its own error, and the safety copy made meanwhile is removed. What the check
/// found, and the safety copy.
fn check_beside_safety_copy(
    conn: Connection,
    name: &str,
    size: u64,
    from: &Connection,
    safety: &Path,
    seal: Option<&Seal>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(BackupInfo, BackupInfo)> {
    let (checked, safety_out) = std::thread::scope(|s| {
        let check = s.spawn(move || {
            let out = inspect(&conn, name, size, true);
            (conn, out)
        });
        let safety_out = snapshot_sealed(from, safety, "before_restore", seal, progress);
        let checked = check
            .join()
            .map_err(|_| CoreError::Internal("the check of the copy stopped".into()));
        (checked, safety_out)
    });
    let restored = match checked {
        // Closed now: a repage below needs the file to itself.
        Ok((ro, Ok(info))) => {
            drop(ro);
            info
        }
        Ok((_, Err(e))) | Err(e) => {
            if safety_out.is_ok() {
                let _ = fs::remove_file(safety);
            }
            return Err(e);
        }
    };
    Ok((restored, safety_out?))
}

/// A snapshot of `src` at `target`, encrypted when `seal` is given. Every temporary is a
/// name inside a private folder made for this backup, so nothing planted is ever followed;
/// the plain copy of an encrypted backup lives only in a held private folder removed before
/// this returns (or, after a crash, on the next start).
fn snapshot_sealed(
    src: &Connection,
    target: &Path,
    kind: &str,
    seal: Option<&Seal>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BackupInfo> {
    // A restore's safety copy is the live data just copied page for page (the backup API
    // takes a consistent snapshot; its header, size and row counts are checked): reading it
    // all back again would double the restore's cost for no new evidence about the backup.
    let read_back = kind != "before_restore";
    let start = Instant::now();
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Held, so a backup killed halfway leaves nothing the next start does not remove.
    let out_dir = files::held_private_dir_in(folder).map_err(|e| write_failed(target, e))?;
    let tmp = out_dir.path().join(file_name(target));
    let info = match seal {
        None => write_snapshot(src, &tmp, target, kind, read_back, progress)?,
        Some(seal) => {
            let plain_dir =
                files::held_private_dir_in(seal.work).map_err(|e| write_failed(seal.work, e))?;
            let plain = plain_dir.path().join("snapshot.db");
            let info = write_snapshot(src, &plain, target, kind, read_back, progress)?;
            let at_target = |e: CoreError| match e {
                CoreError::BackupWriteFailed { detail, .. } => write_failed(target, detail),
                e => e,
            };
            let written = crypto::encrypt_file(&plain, &tmp, seal.key).map_err(at_target)?;
            drop(plain_dir);
            let back = crypto::checksum(&tmp).map_err(|e| write_failed(target, e))?;
            if back != written {
                return Err(write_failed(
                    target,
                    "the file read back differs from what was written",
                ));
            }
            BackupInfo {
                size: written.0,
                encrypted: true,
                ..info
            }
        }
    };
    place(&tmp, target)?;
    Ok(BackupInfo {
        millis: start.elapsed().as_millis() as u64,
        ..info
    })
}

/// Before an older file is migrated (`upgrade::open`): a verified backup of it as it is
/// (`conn`, the still unchanged writer), named for the schema it had and never rotated
/// away. It goes to the backup folder, or to `<data dir>/backups` when a chosen drive is
/// not there. It is encrypted when this machine holds the backup passphrase; while the
/// passphrase waits to be entered again it is plain, on the disk that holds the data in the
/// clear already.
pub(crate) fn before_upgrade(
    conn: &Connection,
    data_dir: &Path,
    from: i64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BackupInfo> {
    let chosen = setting(conn.into(), FOLDER_KEY)?
        .filter(|f| !f.trim().is_empty())
        .map(PathBuf::from)
        .filter(|f| f.is_dir());
    let folder = match chosen {
        Some(f) => f,
        None => {
            let f = data_dir.join("backups");
            fs::create_dir_all(&f).map_err(|e| write_failed(&f, e))?;
            f
        }
    };
    let key = stored_passphrase(conn.into())
        .ok()
        .flatten()
        .and_then(|st| st.unseal(&crypto::machine_key(Some(data_dir), false).ok()??));
    let suffix = format!("-before-upgrade-schema{from}");
    let path = fresh_name(conn.into(), &folder, &suffix, key.is_some(), EXT)?;
    let seal = key.as_ref().map(|key| Seal {
        key,
        work: data_dir,
    });
    snapshot_sealed(conn, &path, "before_upgrade", seal.as_ref(), progress)
}

fn stored_passphrase(conn: db::Conn) -> Result<Option<crypto::Stored>> {
    stored_at(conn, PASSPHRASE_KEY)
}

fn stored_at(conn: db::Conn, key: &str) -> Result<Option<crypto::Stored>> {
    match setting(conn, key)? {
        None => Ok(None),
        Some(v) => serde_json::from_str(&v)
            .map(Some)
            .map_err(|e| CoreError::Internal(format!("{PASSPHRASE_KEY}: {e}"))),
    }
}

/// A backup's name ends in `.kqbackup` (`.kqbackup.age` encrypted), which the system opens
/// with this app; older versions named them `.db` (`.db.age`), still listed and rotated.
const EXT: &str = ".kqbackup";
/// A shop on a server is backed up with pg_dump (`server::dump`): another format, another
/// name, so neither kind of shop lists or offers the other's.
const DUMP_EXT: &str = ".kqdump";
const BACKUP_SUFFIXES: &[&str] = &[
    ".kqbackup.age",
    ".kqbackup",
    ".db.age",
    ".db",
    ".kqdump.age",
    ".kqdump",
];

/// Whether a backup's name is a server's dump (`.kqdump`, `.kqdump.age`).
fn is_dump(name: &str) -> bool {
    name.ends_with(DUMP_EXT) || name.ends_with(".kqdump.age")
}

/// The name without its backup suffix, when it has one.
fn backup_stem(name: &str) -> Option<&str> {
    BACKUP_SUFFIXES.iter().find_map(|s| name.strip_suffix(s))
}

/// `khachquen-YYYYMMDD-HHMMSS[-N].kqbackup[.age]` (or an older version's `.db[.age]`): the
/// names rotation may delete, as (stamp, N).
fn rotated_key(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix(PREFIX)?;
    let rest = backup_stem(rest)?;
    let (stamp, n) = match rest.get(15..) {
        Some("") => (rest, 0),
        Some(tail) => (&rest[..15], tail.strip_prefix('-')?.parse().ok()?),
        None => return None,
    };
    let b = stamp.as_bytes();
    let ok = b.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    ok.then(|| (stamp.to_owned(), n))
}

/// A name that does not exist yet in `folder` for a backup taken now (shop time), plain
/// or encrypted (`.kqbackup.age`); neither kind may hold the name already.
fn fresh_name(
    conn: db::Conn,
    folder: &Path,
    suffix: &str,
    encrypted: bool,
    ext: &str,
) -> Result<PathBuf> {
    let stamp = Utc::now()
        .with_timezone(&timezone(conn)?)
        .format("%Y%m%d-%H%M%S")
        .to_string();
    // A dangling link counts as taken: the rename would replace it, but it was not ours.
    let free = |p: &Path| fs::symlink_metadata(p).is_err();
    for n in 1..1000 {
        let stem = match n {
            1 => format!("{PREFIX}{stamp}{suffix}{ext}"),
            n => format!("{PREFIX}{stamp}-{n}{suffix}{ext}"),
        };
        let plain = folder.join(&stem);
        let sealed = crypto::encrypted_name(&plain);
        if free(&plain) && free(&sealed) {
            return Ok(if encrypted { sealed } else { plain });
        }
    }
    Err(write_failed(folder, "no free file name"))
}

/// Delete all but the newest `keep` rotated backups of one kind (a server's dumps, or a
/// file's backups); returns what was deleted.
fn rotate(folder: &Path, keep: u32, dumps: bool) -> Result<Vec<PathBuf>> {
    let mut found: Vec<((String, u32), PathBuf)> = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| is_dump(n) == dumps) else {
            continue;
        };
        if let Some(key) = rotated_key(name) {
            found.push((key, entry.path()));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0));
    let mut removed = Vec::new();
    for (_, p) in found.into_iter().skip(keep.max(1) as usize) {
        if fs::remove_file(&p).is_ok() {
            removed.push(p);
        }
    }
    Ok(removed)
}

fn setting(conn: db::Conn, key: &str) -> Result<Option<String>> {
    db::settings::get(conn, key)
}

fn keep_setting(conn: db::Conn, key: &str) -> Result<u32> {
    Ok(setting(conn, key)?
        .and_then(|v| v.parse().ok())
        .filter(|k| (1..=MAX_KEEP).contains(k))
        .unwrap_or(DEFAULT_KEEP))
}

/// The local day (shop time zone) of an instant.
fn local_day(conn: db::Conn, at: i64) -> Result<chrono::NaiveDate> {
    Ok(time::from_unix(at)
        .with_timezone(&timezone(conn)?)
        .date_naive())
}

impl Store {
    /// `<data dir>/backups` next to the database, or the folder the owner chose.
    fn backup_folder(&self, conn: db::Conn) -> Result<(PathBuf, bool)> {
        if let Some(f) =
            setting(conn, &self.machine_key(FOLDER_KEY))?.filter(|f| !f.trim().is_empty())
        {
            return Ok((PathBuf::from(f), false));
        }
        match self.home_dir() {
            Some(dir) => Ok((dir.join("backups"), true)),
            None => Err(CoreError::BackupFolderMissing(String::new())),
        }
    }

    /// The backup folder, ready to write to. The default one is created; a chosen one (a
    /// USB drive, say) must exist, so a missing drive is reported, not silently replaced.
    fn ready_folder(&self, conn: db::Conn) -> Result<PathBuf> {
        let (folder, default) = self.backup_folder(conn)?;
        if default {
            fs::create_dir_all(&folder).map_err(|e| write_failed(&folder, e))?;
        } else if !folder.is_dir() {
            return Err(CoreError::BackupFolderMissing(shown(&folder)));
        }
        Ok(folder)
    }

    /// Where the copy made before a restore goes: the backup folder, or the default one
    /// when the chosen drive is not there (the file to restore may come from elsewhere).
    fn safety_folder(&self) -> Result<PathBuf> {
        let chosen = self.read(|c| self.ready_folder(c));
        match (chosen, self.home_dir()) {
            (Err(CoreError::BackupFolderMissing(_)), Some(dir)) => {
                let folder = dir.join("backups");
                fs::create_dir_all(&folder).map_err(|e| write_failed(&folder, e))?;
                Ok(folder)
            }
            (chosen, _) => chosen,
        }
    }

    /// A connection to take snapshots from: a fresh read-only one on a file, so the cashier
    /// keeps writing; the writer itself for an in-memory database.
    fn snapshot_source(&self) -> Result<Option<Connection>> {
        match self.path() {
            Some(p) => Ok(Some(db::open_reader(p)?)),
            None => Ok(None),
        }
    }

    fn snapshot(
        &self,
        target: &Path,
        kind: &str,
        seal: Option<&Seal>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupInfo> {
        match self.snapshot_source()? {
            Some(src) => snapshot_sealed(&src, target, kind, seal, progress),
            None => snapshot_sealed(&*self.writer()?, target, kind, seal, progress),
        }
    }

    /// The folder holding the live database (None in memory).
    /// Where a setting of this computer's backups (the folder, how many to keep) is kept: on
    /// a server, under this counter's name (`backup.folder@Quầy 2`), since the counters share
    /// the shop's settings but not their disks; on a file, the shop's own key. The last
    /// backup's status and the passphrase stay the shop's: one daily backup for the shop,
    /// and no counter making plain ones once the owner chose encrypted.
    fn machine_key(&self, key: &str) -> String {
        match self.counter().filter(|_| self.on_server()) {
            Some(c) => format!("{key}@{c}"),
            None => key.to_owned(),
        }
    }

    /// The backup passphrase as this computer holds it: on a server, this counter's own
    /// sealed copy once the passphrase was entered here, else the shop's (sealed on the
    /// computer that set it).
    fn passphrase_here(&self, conn: db::Conn) -> Result<Option<crypto::Stored>> {
        let own = self.machine_key(PASSPHRASE_KEY);
        if own != PASSPHRASE_KEY {
            if let Some(st) = stored_at(conn, &own)? {
                return Ok(Some(st));
            }
        }
        stored_passphrase(conn)
    }

    /// A backup's name ends in: `.kqbackup` for a shop's file, `.kqdump` on a server.
    fn backup_ext(&self) -> &'static str {
        if self.on_server() {
            DUMP_EXT
        } else {
            EXT
        }
    }

    fn data_dir(&self) -> Option<&Path> {
        self.home_dir()
    }

    /// Where plain copies on their way in or out of encryption, and a restore's working
    /// copy, are made (each in a held private folder of its own): beside the live database
    /// (the disk that holds the data in the clear already), never in the backup folder.
    fn work_folder(&self) -> PathBuf {
        self.data_dir()
            .map(Path::to_owned)
            .unwrap_or_else(std::env::temp_dir)
    }

    /// A held private folder in the work folder (see `files::HeldDir`).
    fn staging(&self) -> Result<files::HeldDir> {
        let dir = self.work_folder();
        files::held_private_dir_in(&dir).map_err(|e| write_failed(&dir, e))
    }

    /// Remove what killed backups and restores left: their private folders once no process
    /// holds them (a plain copy of the data may be inside), and the temporaries older
    /// versions left beside backups. In the work folder, the backup folder and `also`.
    fn clear_leftovers(&self, also: Option<&Path>) {
        // The system's temp folder (an in-memory store's) is shared: only our held folders.
        if self.data_dir().is_none() {
            files::clear_abandoned(&self.work_folder(), &[], &[]);
        }
        let mut dirs: Vec<PathBuf> = self.data_dir().map(Path::to_owned).into_iter().collect();
        if let Ok((folder, _)) = self.read(|c| self.backup_folder(c)) {
            dirs.push(folder);
        }
        dirs.extend(also.map(Path::to_owned));
        dirs.dedup();
        for d in dirs {
            files::clear_abandoned(&d, &[OLD_STAGING_PREFIX], OLD_TEMP_SUFFIXES);
        }
    }

    /// The passphrase set on this machine, when its key opens the sealed copy.
    fn held_passphrase(&self, stored: &crypto::Stored) -> Option<SecretString> {
        let key = crypto::machine_key(self.data_dir(), false).ok()??;
        stored.unseal(&key)
    }

    /// Is `given` the passphrase set here? Cheap when the sealed copy opens, else one scrypt.
    fn confirm_passphrase(&self, stored: &crypto::Stored, given: &SecretString) -> Result<()> {
        let same = match self.held_passphrase(stored) {
            Some(held) => held.expose_secret() == given.expose_secret(),
            None => stored.matches(given)?,
        };
        if same {
            Ok(())
        } else {
            Err(CoreError::BackupPassphraseMismatch)
        }
    }

    /// The passphrase a new backup is encrypted with; None for a plain one. With a
    /// passphrase set every backup is encrypted; `encrypt` asks for it when none is set.
    /// A given passphrase must be the one set here, if any.
    fn backup_key(&self, encrypt: bool, given: Option<&str>) -> Result<Option<SecretString>> {
        let stored = self.read(|c| self.passphrase_here(c))?;
        match (stored, crypto::secret(given)) {
            (None, _) if !encrypt => Ok(None),
            (None, Some(p)) => {
                crypto::check_length(&p)?;
                Ok(Some(p))
            }
            (None, None) => Err(CoreError::BackupPassphraseMissing),
            (Some(st), Some(p)) => {
                self.confirm_passphrase(&st, &p)?;
                Ok(Some(p))
            }
            (Some(st), None) => self
                .held_passphrase(&st)
                .map(Some)
                .ok_or(CoreError::BackupPassphrasePaused),
        }
    }

    /// The passphrase the copy made before a restore is encrypted with: the one set here
    /// (`given` serves when it is that one and the sealed copy does not open).
    fn safety_key(&self, given: Option<&SecretString>) -> Result<Option<SecretString>> {
        let Some(st) = self.read(|c| self.passphrase_here(c))? else {
            return Ok(None);
        };
        if let Some(held) = self.held_passphrase(&st) {
            return Ok(Some(held));
        }
        match given {
            Some(g) if st.matches(g)? => Ok(Some(g.clone())),
            _ => Err(CoreError::BackupPassphrasePaused),
        }
    }

    fn record_backup(&self, out: &Result<BackupInfo>, actor: &Actor) -> Result<()> {
        self.write_any(|conn| {
            match out {
                Ok(info) => {
                    db::settings::set(conn, LAST_OK_KEY, &time::now().to_string())?;
                    db::settings::set(conn, LAST_FILE_KEY, &info.file)?;
                    db::settings::delete(conn, LAST_ERROR_KEY)?;
                    audit::record(
                        conn,
                        // The path goes in the entry's data, never in a capped field: a
                        // long folder name must not turn a good backup into a failed one.
                        &actor
                            .entry("backup.create", "backup")
                            .after(audit::snapshot(info)?),
                    )?;
                }
                Err(e) => {
                    let failure = BackupFailure {
                        at: Utc::now(),
                        error: ErrorInfo::from(e),
                    };
                    let json = serde_json::to_string(&failure)
                        .map_err(|e| CoreError::Internal(e.to_string()))?;
                    db::settings::set(conn, LAST_ERROR_KEY, &json)?;
                }
            }
            Ok(())
        })
    }

    /// Back up now: to `target` (a file, or a folder to put a dated file in), or to the
    /// backup folder. An existing file is replaced only with `overwrite`. Backups in the
    /// folder are rotated to the newest N.
    pub fn create_backup(
        &self,
        target: Option<&Path>,
        overwrite: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupInfo> {
        self.create_backup_with(target, overwrite, false, None, progress)
    }

    /// `create_backup`, with a say on encryption. A backup is encrypted when a passphrase is
    /// set here (with it: `passphrase`, if given, must be that one) or when `encrypt` asks
    /// (with `passphrase`, or the one set here). The name gets `.age` added.
    pub fn create_backup_with(
        &self,
        target: Option<&Path>,
        overwrite: bool,
        encrypt: bool,
        passphrase: Option<&str>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupInfo> {
        let actor = self.require(Perm::Backup)?;
        let _busy = lock_busy();
        let job = Job {
            kind: "manual",
            actor: &actor,
        };
        self.backup_locked(target, overwrite, job, encrypt, passphrase, progress)
    }

    fn backup_locked(
        &self,
        target: Option<&Path>,
        overwrite: bool,
        job: Job<'_>,
        encrypt: bool,
        passphrase: Option<&str>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupInfo> {
        let Job { kind, actor } = job;
        self.clear_leftovers(target.and_then(|t| if t.is_dir() { Some(t) } else { t.parent() }));
        let key = match self.backup_key(encrypt, passphrase) {
            Ok(k) => k,
            // Backups waiting for the passphrase are news for the status line.
            Err(e @ CoreError::BackupPassphrasePaused) if target.is_none() => {
                let out = Err(e);
                self.record_backup(&out, actor)?;
                return out;
            }
            Err(e) => return Err(e),
        };
        let sealed = key.is_some();
        let ext = self.backup_ext();
        let (path, in_folder) = match target {
            Some(t) if t.is_dir() => (self.read(|c| fresh_name(c, t, "", sealed, ext))?, false),
            Some(t) if sealed => (crypto::encrypted_name(t), false),
            Some(t) => (t.to_owned(), false),
            None => {
                // A missing backup drive is news for the status line, like a failed copy.
                let folder = self.read(|c| self.ready_folder(c));
                let folder = match folder {
                    Ok(f) => f,
                    Err(e) => {
                        let out = Err(e);
                        self.record_backup(&out, actor)?;
                        return out;
                    }
                };
                (
                    self.read(|c| fresh_name(c, &folder, "", sealed, ext))?,
                    true,
                )
            }
        };
        // Never onto this computer's live data: the database, its companions, the outbox.
        if files::is_protected(&path, &self.protected_files()) {
            return Err(CoreError::BackupIsLive(shown(&path)));
        }
        if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(CoreError::FileNotRegular(shown(&path)));
        }
        if !overwrite && fs::symlink_metadata(&path).is_ok() {
            return Err(CoreError::BackupFileExists(shown(&path)));
        }
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => {
                return Err(CoreError::BackupFolderMissing(shown(d)))
            }
            _ => {}
        }
        let out = match self.server_address() {
            Some(server) => server::backup_info(&server, &path, kind, key.as_ref()),
            None => {
                let work = self.work_folder();
                let seal = key.as_ref().map(|key| Seal { key, work: &work });
                self.snapshot(&path, kind, seal.as_ref(), progress)
            }
        };
        if let (Ok(_), true, Some(dir)) = (&out, in_folder, path.parent()) {
            let keep = self.read(|c| keep_setting(c, &self.machine_key(KEEP_KEY)))?;
            // Best effort: a backup that could not prune old ones is still a good backup.
            let _ = rotate(dir, keep, self.on_server());
        }
        // A verified backup stays good even if its status line could not be written (the
        // writer may be busy for longer than the busy timeout); a failure is still an error.
        let recorded = self.record_backup(&out, actor);
        if out.is_err() {
            recorded?;
        }
        out
    }

    /// The daily automatic backup (at start-up): once per shop-local day, into the backup
    /// folder, verified, rotated. `None` when not due or the shop is still empty.
    pub fn auto_backup_if_due(&self) -> Result<Option<BackupInfo>> {
        let actor = self.require(Perm::Backup)?;
        let _busy = lock_busy();
        // At start-up: what a killed backup or restore left goes now, due or not.
        self.clear_leftovers(None);
        // Counters on one server: whoever holds the lock backs up; the others find it
        // done (or see it under way) and skip.
        if !self.read(db::backup::hold_auto_backup)? {
            return Ok(None);
        }
        let out = (|| {
            if !self.backup_status()?.due || self.read(|c| db::demo::is_empty(c))? {
                return Ok(None);
            }
            let job = Job {
                kind: "auto",
                actor: &actor,
            };
            self.backup_locked(None, false, job, false, None, &mut |_, _| {})
                .map(Some)
        })();
        let _ = self.read(db::backup::let_go_of_auto_backup);
        out
    }

    pub fn backup_status(&self) -> Result<BackupStatus> {
        self.require(Perm::View)?;
        self.read(|conn| self.status_on(conn))
    }

    fn status_on(&self, conn: db::Conn) -> Result<BackupStatus> {
        let (folder, folder_is_default) = self.backup_folder(conn)?;
        let last_ok: Option<i64> = setting(conn, LAST_OK_KEY)?.and_then(|v| v.parse().ok());
        let now = time::now();
        let due = match last_ok {
            Some(at) => local_day(conn, at)? < local_day(conn, now)?,
            None => true,
        };
        let encryption = match self.passphrase_here(conn)? {
            None => "off",
            Some(st) if self.held_passphrase(&st).is_some() => "on",
            Some(_) => "paused",
        };
        Ok(BackupStatus {
            folder: shown(&folder),
            folder_is_default,
            keep: keep_setting(conn, &self.machine_key(KEEP_KEY))?,
            last_ok_at: last_ok.map(time::from_unix),
            last_file: setting(conn, LAST_FILE_KEY)?,
            age_seconds: last_ok.map(|at| (now - at).max(0)),
            last_error: setting(conn, LAST_ERROR_KEY)?.and_then(|v| serde_json::from_str(&v).ok()),
            due,
            encryption,
        })
    }

    /// Choose the folder (an existing one; empty = the default) and how many to keep.
    pub fn configure_backups(
        &self,
        folder: Option<&str>,
        keep: Option<&str>,
    ) -> Result<BackupStatus> {
        self.configure_backups_with(folder, keep, None)
    }

    /// `configure_backups`, and the backup passphrase. Everything is checked first; then
    /// all of it is saved at once, or nothing.
    ///
    /// The database keeps only a check value of the passphrase and a copy sealed to this
    /// machine's key (`<data dir>/backup.key`, made on first use), so the automatic backup
    /// can encrypt without asking, and a copied or restored database reveals nothing.
    pub fn configure_backups_with(
        &self,
        folder: Option<&str>,
        keep: Option<&str>,
        passphrase: Option<PassphraseChange>,
    ) -> Result<BackupStatus> {
        let actor = self.require(Perm::Backup)?;
        let keep = match keep.map(str::trim) {
            None => None,
            Some(k) => Some(
                k.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_KEEP).contains(n))
                    .ok_or_else(|| CoreError::BackupKeepInvalid(k.to_owned()))?,
            ),
        };
        let folder = match folder.map(str::trim) {
            None => None,
            Some("") => Some(String::new()),
            Some(f) => {
                let p = Path::new(f);
                let abs = p
                    .canonicalize()
                    .ok()
                    .filter(|c| c.is_dir())
                    .ok_or_else(|| CoreError::BackupFolderMissing(f.to_owned()))?;
                Some(shown(&abs))
            }
        };
        // What the audit log says about the passphrase: never the passphrase itself.
        let passphrase_change = match &passphrase {
            None => None,
            Some(PassphraseChange::Clear) => Some("cleared"),
            Some(PassphraseChange::Set(_)) => Some("set"),
            Some(PassphraseChange::Unlock(_)) => Some("unlocked"),
        };
        // Some(None): forget the passphrase; Some(Some(json)): store this.
        let stored: Option<Option<String>> = match passphrase {
            None => None,
            Some(PassphraseChange::Clear) => Some(None),
            Some(PassphraseChange::Set(p)) => {
                let p = crypto::secret(Some(p)).ok_or(CoreError::BackupPassphraseMissing)?;
                crypto::check_length(&p)?;
                let key = self.machine_key_for_sealing()?;
                Some(Some(to_json(&crypto::Stored::new(&p, &key)?)?))
            }
            Some(PassphraseChange::Unlock(p)) => {
                let p = crypto::secret(Some(p)).ok_or(CoreError::BackupPassphraseMissing)?;
                match self.read(|c| self.passphrase_here(c))? {
                    // Nothing to unlock: backups are plain, as the status says.
                    None => None,
                    Some(mut st) => {
                        if !st.matches(&p)? {
                            return Err(CoreError::BackupPassphraseMismatch);
                        }
                        st.reseal(&p, &self.machine_key_for_sealing()?)?;
                        Some(Some(to_json(&st)?))
                    }
                }
            }
        };
        self.write_any(|conn| {
            if let Some(k) = keep {
                db::settings::set(conn, &self.machine_key(KEEP_KEY), &k.to_string())?;
            }
            match folder.as_deref() {
                Some("") => db::settings::delete(conn, &self.machine_key(FOLDER_KEY))?,
                Some(f) => db::settings::set(conn, &self.machine_key(FOLDER_KEY), f)?,
                None => {}
            }
            // Each counter of a server seals the shop's passphrase with its own key: entered
            // again at a counter, it is that counter's copy; set anew or cleared, every
            // counter's copy of the old one goes.
            let copies = format!("{PASSPHRASE_KEY}@");
            match (&stored, passphrase_change) {
                (Some(Some(json)), Some("unlocked")) => {
                    db::settings::set(conn, &self.machine_key(PASSPHRASE_KEY), json)?
                }
                (Some(Some(json)), _) => {
                    db::settings::delete_prefixed(conn, &copies)?;
                    db::settings::set(conn, PASSPHRASE_KEY, json)?
                }
                (Some(None), _) => {
                    db::settings::delete_prefixed(conn, &copies)?;
                    db::settings::delete(conn, PASSPHRASE_KEY)?
                }
                (None, _) => {}
            }
            audit::record(
                conn,
                &actor
                    .entry("backup.configure", "backup")
                    .after(serde_json::json!({
                        "folder": folder,
                        "keep": keep,
                        "passphrase": passphrase_change,
                    })),
            )?;
            Ok(())
        })?;
        self.backup_status()
    }

    fn machine_key_for_sealing(&self) -> Result<age::x25519::Identity> {
        crypto::machine_key(self.data_dir(), true)?
            .ok_or_else(|| CoreError::Internal("no machine key".into()))
    }

    /// The backup folder's backups (`.kqbackup`, encrypted `.kqbackup.age`, and the `.db` and
    /// `.db.age` of older versions), newest first, each given
    /// a quick check (header, schema, manifest counts; `verify` adds the full integrity
    /// check). An encrypted one gets its header checked only: its content needs the
    /// passphrase.
    pub fn list_backups(&self) -> Result<Vec<BackupEntry>> {
        self.require(Perm::View)?;
        let (folder, _) = self.read(|c| self.backup_folder(c))?;
        let rd = match fs::read_dir(&folder) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            // Each kind of shop lists its own kind of backup (a file's, a server's dump).
            let listed = backup_stem(&name).is_some() && is_dump(&name) == self.on_server();
            if !listed || !path.is_file() {
                continue;
            }
            let meta = entry.metadata()?;
            let encrypted = crypto::is_encrypted(&path);
            let checked = if encrypted {
                crypto::check_header(&path, &shown(&path)).map(|_| None)
            } else if self.on_server() {
                // Reading a dump back takes as long as making it: `verify` does that.
                if server::is_archive(&path) {
                    Ok(None)
                } else {
                    Err(CoreError::BackupForeign(shown(&path)))
                }
            } else if meta.len() == 0 {
                Err(CoreError::BackupEmpty(shown(&path)))
            } else {
                check_file(&path, false).map(Some)
            };
            out.push(BackupEntry {
                file: shown(&path),
                name,
                size: meta.len(),
                modified: meta.modified().ok().map(DateTime::<Utc>::from),
                encrypted,
                ok: checked.is_ok(),
                error: checked.as_ref().err().map(ErrorInfo::from),
                info: checked.ok().flatten(),
            });
        }
        out.sort_by(|a, b| {
            let key = |e: &BackupEntry| {
                e.info
                    .as_ref()
                    .and_then(|i| i.created_at)
                    .or(e.modified)
                    .map_or(0, |t| t.timestamp())
            };
            key(b).cmp(&key(a)).then_with(|| b.name.cmp(&a.name))
        });
        Ok(out)
    }

    /// Verify a backup fully without changing it. An encrypted one is decrypted into the
    /// private staging folder (removed afterwards) with `passphrase`, or without one with
    /// the passphrase set here; when neither opens it: `backup.passphrase_needed`.
    pub fn verify_backup(&self, file: &Path, passphrase: Option<&str>) -> Result<BackupInfo> {
        self.require(Perm::Backup)?;
        self.clear_leftovers(None);
        if self.on_server() {
            return self.verify_dump(file, passphrase);
        }
        if !crypto::is_encrypted(file) {
            return verify(file);
        }
        let start = Instant::now();
        let label = shown(file);
        let needed = || CoreError::BackupPassphraseNeeded(label.clone());
        let (key, given) = match crypto::secret(passphrase) {
            Some(p) => (p, true),
            None => {
                let st = self.read(|c| self.passphrase_here(c))?.ok_or_else(needed)?;
                (self.held_passphrase(&st).ok_or_else(needed)?, false)
            }
        };
        let staging = self.staging()?;
        let plain = staging.path().join("verify.db");
        match crypto::decrypt_file(file, &label, &plain, &key) {
            Err(CoreError::BackupPassphraseWrong(_)) if !given => return Err(needed()),
            r => r?,
        }
        let mut info = check_file_as(&plain, &label, true)?;
        info.size = fs::metadata(file)?.len();
        info.encrypted = true;
        info.millis = start.elapsed().as_millis() as u64;
        Ok(info)
    }

    /// Replace the data with a backup's. See `restore_backup_with`.
    pub fn restore_backup(
        &self,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RestoreReport> {
        self.restore_backup_with(file, None, false, progress)
    }

    /// Replace the data with a backup's. The file is copied into a private working copy
    /// and that copy is verified once (sound, this app's schema exactly, an intact audit
    /// log, the rows its manifest promises), upgraded if older, given this machine's backup
    /// settings and the restore's audit entry, and then swapped in as one transaction: the
    /// data and the entry saying where it came from commit together or not at all. Before
    /// the swap the current data is kept as a safety copy (a backup like any other).
    ///
    /// `passphrase` opens an encrypted backup (a wrong one is `backup.passphrase_wrong`,
    /// and nothing changes). A shop with a backup passphrase refuses a plain file unless
    /// the owner confirmed it (`allow_unencrypted`): anyone could have written it.
    /// `progress` gets (done, total) over the copy in, the safety copy and the swap.
    pub fn restore_backup_with(
        &self,
        file: &Path,
        passphrase: Option<&str>,
        allow_unencrypted: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RestoreReport> {
        let actor = self.require(Perm::Restore)?;
        let _busy = lock_busy();
        self.clear_leftovers(None);
        let start = Instant::now();
        if is_live(self, file) {
            return Err(CoreError::BackupIsLive(shown(file)));
        }
        if let Some(server) = self.server_address() {
            return self.restore_dump(&server, file, passphrase, allow_unencrypted, &actor);
        }
        let name = shown(file);
        let encrypted = crypto::is_encrypted(file);
        let given = crypto::secret(passphrase);
        let work = self.staging()?;
        let copy = work.path().join("restore.db");
        let size = if encrypted {
            let key = given
                .as_ref()
                .ok_or_else(|| CoreError::BackupPassphraseNeeded(name.clone()))?;
            crypto::decrypt_file(file, &name, &copy, key)?;
            check_header(&copy, &name)?;
            fs::metadata(file)?.len()
        } else {
            self.plain_copy(file, &name, allow_unencrypted, &copy, progress)?
        };
        let conn = db::backup::open_read_only(&copy).map_err(|e| classify(&name, e))?;
        let folder = self.safety_folder()?;
        let key = self.safety_key(given.as_ref())?;
        let safety =
            self.read(|c| fresh_name(c, &folder, "-before-restore", key.is_some(), EXT))?;
        let live_src = self.snapshot_source()?;
        let live_page_size = db::backup::page_size(&*self.reader()?)?;
        let seal = key.as_ref().map(|key| Seal {
            key,
            work: work.path(),
        });
        // Held from the safety copy to the end, so no bill slips in between.
        let mut writer = self.writer()?;
        let from: &Connection = live_src.as_ref().unwrap_or(&writer);
        let (restored, safety_info) = check_beside_safety_copy(
            conn,
            &name,
            size,
            from,
            &safety,
            seal.as_ref(),
            &mut phase(progress, 1, 3),
        )?;
        let mut conn = db::backup::open_scratch(&copy).map_err(|e| classify(&name, e))?;
        let upgraded_from =
            (restored.schema_version < db::schema_version()).then_some(restored.schema_version);
        if let Err(e) = upgrade(&mut conn, &name, live_page_size) {
            let _ = fs::remove_file(&safety);
            return Err(e);
        }
        let report = RestoreReport {
            restored: BackupInfo {
                encrypted,
                ..restored
            },
            safety_copy: safety_info.file,
            upgraded_from,
            check: passed_check(),
            millis: 0,
        };
        // The path goes in the entry's data, never in a capped field.
        let entry = actor
            .entry("backup.restore", "backup")
            .after(serde_json::json!({
                "file": name,
                "restored": audit::snapshot(&report.restored)?,
                "safety_copy": report.safety_copy,
            }));
        self.swap_in(
            conn,
            &copy,
            &name,
            &entry,
            &mut writer,
            &mut phase(progress, 2, 3),
        )?;
        drop(writer);
        drop(work);
        // The staff and their PINs are the backup's now: whoever restored signs in again.
        self.lock();
        Ok(RestoreReport {
            millis: start.elapsed().as_millis() as u64,
            ..report
        })
    }

    /// A plain backup copied in to `copy` (the first of three phases), after its header is
    /// checked; the file's size. While the shop keeps a passphrase it needs `allow_unencrypted`.
    fn plain_copy(
        &self,
        file: &Path,
        name: &str,
        allow_unencrypted: bool,
        copy: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let size = check_header(file, name)?;
        if !allow_unencrypted && self.read(|c| self.passphrase_here(c))?.is_some() {
            return Err(CoreError::BackupPlainNeedsConfirm(name.to_owned()));
        }
        files::check_regular(file)?;
        copy_in(file, name, copy, &mut phase(progress, 0, 3))?;
        Ok(size)
    }

    /// The checked working copy (open as `conn`) in place of the live data: this machine's
    /// backup settings and the restore's audit `entry` go into it, then it is copied over the
    /// live database through `writer`.
    fn swap_in(
        &self,
        mut conn: Connection,
        copy: &Path,
        name: &str,
        entry: &audit::NewAuditEntry,
        writer: &mut Connection,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        let machine = db::backup::settings_with_prefix(&*writer, "backup.")?;
        // The restore's entry seals the restored staff and ledger anew with this shop's key.
        self.sealer()?.register(&conn)?;
        let tx = conn.transaction()?;
        db::backup::replace_prefixed_settings(&tx, "backup.", &machine)?;
        audit::record(&tx, entry)?;
        tx.commit()?;
        drop(conn);
        let src = db::backup::open_read_only(copy).map_err(|e| classify(name, e))?;
        db::backup::copy(&src, writer, progress)?;
        drop(src);
        // The swap went through the WAL whole; fold it back now (best effort).
        let _ = db::checkpoint(writer);
        // The anchor steps back to the restore's entry at once (only this process can vouch).
        self.audit_committed(writer);
        Ok(())
    }
}

/// What kind of backup, and who asked for it.
struct Job<'a> {
    kind: &'a str,
    actor: &'a Actor,
}

fn to_json(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| CoreError::Internal(e.to_string()))
}

/// Copy the plain backup `file` into `copy` (a new name in a private folder). A
/// self-contained file (rollback journal, none pending) is copied as bytes, which the
/// kernel does far faster than SQLite page by page; anything else goes through SQLite from
/// one read snapshot. Either way the copy is what gets verified and swapped in.
fn copy_in(file: &Path, name: &str, copy: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let mut journal = file.as_os_str().to_owned();
    journal.push("-journal");
    let (mut src, meta) = files::open_regular(file)?;
    let mut head = [0u8; 20];
    let plain_bytes = src.read_exact(&mut head).is_ok()
        && head[18] == 1
        && head[19] == 1
        && fs::symlink_metadata(PathBuf::from(journal)).is_err();
    if plain_bytes {
        use std::io::{Seek, Write};
        src.rewind()?;
        let mut dst = files::create_new_private(copy)?;
        let total = meta.len();
        let mut done = 0u64;
        const CHUNK: u64 = 64 << 20;
        loop {
            let n = std::io::copy(&mut (&mut src).take(CHUNK), &mut dst)?;
            if n == 0 {
                break;
            }
            done += n;
            progress(done.min(total), total);
        }
        // No fsync: a private working copy is thrown away after a crash, never trusted.
        dst.flush()?;
        progress(total, total);
        return Ok(());
    }
    let src = db::backup::open_read_only(file).map_err(|e| classify(name, e))?;
    db::backup::begin_read(&src).map_err(|e| classify(name, e))?;
    let out = (|| {
        files::create_new_private(copy)?;
        let mut dst = db::backup::open_scratch(copy)?;
        db::backup::copy(&src, &mut dst, progress)
    })();
    db::backup::end_read(&src);
    out.map_err(|e| match e {
        CoreError::Sqlite(e) => classify(name, e),
        e => e,
    })
}

/// Make the verified working copy fit to go in: the live database's page size (SQLite
/// cannot change a WAL database's), and this app's schema (migrations, as on start-up).
fn upgrade(conn: &mut Connection, name: &str, live_page_size: i64) -> Result<()> {
    db::backup::rollback_journal(conn)?;
    if db::backup::page_size(conn)? != live_page_size {
        db::backup::repage(conn, live_page_size)?;
    }
    db::migrate_latest(conn).map_err(|e| CoreError::BackupCorrupt {
        file: name.to_owned(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names() {
        assert_eq!(
            rotated_key("khachquen-20261123-093000.db"),
            Some(("20261123-093000".into(), 0))
        );
        assert_eq!(
            rotated_key("khachquen-20261123-093000-3.db"),
            Some(("20261123-093000".into(), 3))
        );
        assert_eq!(
            rotated_key("khachquen-20261123-093000-2.db.age"),
            Some(("20261123-093000".into(), 2))
        );
        assert_eq!(
            rotated_key("khachquen-20261123-093000.kqbackup"),
            Some(("20261123-093000".into(), 0))
        );
        assert_eq!(
            rotated_key("khachquen-20261123-093000-4.kqbackup.age"),
            Some(("20261123-093000".into(), 4))
        );
        for n in [
            "khachquen-20261123-093000-before-upgrade-schema12.kqbackup",
            "khachquen-20261123-093000.kqbackup.tmp",
            "khachquen-20261123-093000-before-restore.db.age",
            "khachquen-20261123-093000.age",
            "khachquen-20261123-093000-before-restore.db",
            "khachquen.db",
            "khachquen-2026112-093000.db",
            "other-20261123-093000.db",
            "khachquen-20261123x093000.db",
        ] {
            assert_eq!(rotated_key(n), None, "{n}");
        }
    }
}
