//! The open database: one writer behind a mutex, and a separate reader for long reads.

pub mod access;
pub mod audit;
pub mod seal;
pub mod session;
pub mod settings;

use crate::error::{CoreError, Result};
use crate::store::session::Perm;
use crate::{db, files};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Store {
    engine: Engine,
    pub(crate) session: Mutex<session::Session>,
    /// What the reports loaded last (analytics::history::Cached), kept for the next one.
    pub(crate) report_memo: Memo,
    /// On a server, the reports' own link (opened at the first report): a report's scan
    /// never holds the link a counter's bill goes through.
    server_reports: Mutex<Option<db::pg::Link>>,
    /// On a server, this computer's own shop file ([`Store::keep_clear_of`]).
    home_file: std::sync::OnceLock<PathBuf>,
}

/// Where the shop's data lives: its own SQLite file (the default), or a PostgreSQL server
/// shared by several counters, which serves the features ported to it so far (the others
/// say `db.not_on_server`).
enum Engine {
    Lite(Lite),
    Server(Mutex<db::pg::Link>),
}

struct Lite {
    writer: Mutex<Connection>,
    reader: Option<Mutex<Connection>>,
    /// Reports scan whole tables: their own connection, so a search never waits on one.
    reports: Option<Mutex<Connection>>,
    /// A second report connection, so a long report scan can use both cores.
    reports_twin: Option<Mutex<Connection>>,
    path: Option<PathBuf>,
    checkpointer: Option<Checkpointer>,
    /// The audit key and the chain's anchor (crate::store::seal).
    sealer: Arc<crate::store::seal::Sealer>,
}

/// A value a feature derives from the database and keeps between calls; the feature checks
/// that it still holds before using it. Typed by the feature, so the store names no feature.
#[derive(Default)]
pub(crate) struct Memo(Mutex<Option<Arc<dyn std::any::Any + Send + Sync>>>);

impl Memo {
    pub(crate) fn get<T: std::any::Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.clone().and_then(|v| v.downcast::<T>().ok())
    }

    /// Replace what is kept (None: forget it, so its memory goes before a new one is made).
    pub(crate) fn put<T: std::any::Any + Send + Sync>(&self, value: Option<Arc<T>>) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *slot = value.map(|v| v as Arc<dyn std::any::Any + Send + Sync>);
    }
}

/// Copies the WAL into the database every second on its own connection, so the cashier's
/// commit never waits for a checkpoint.
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    fn start(path: &Path, sealer: Arc<crate::store::seal::Sealer>) -> Result<Checkpointer> {
        let conn = db::open_checkpointer(path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_secs(1));
                    // A busy or failed pass is simply retried on the next tick.
                    let _ = db::checkpoint_passive(&conn);
                    // The audit anchor follows here, off the cashier's commit (its fsync
                    // would double each purchase's); best effort, as a lagging anchor only
                    // means the log is ahead of it.
                    if sealer.take_dirty() {
                        let _ = sealer.follow(&conn);
                    }
                }
            })?;
        Ok(Checkpointer { stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// `f` in an immediate write transaction, committed only when it succeeds.
fn commit<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves SQLite itself consistent (the transaction
    // rolls back on drop), so a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn link_lock(m: &Mutex<db::pg::Link>) -> MutexGuard<'_, db::pg::Link> {
    // Likewise: an open transaction is rolled back by the server when its client drops.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The shop's data is readable by the owner's user only, whatever the umask: a new database
/// file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm the database
/// file's mode), and an existing one and its companions are set to 0600.
fn make_private(path: &Path) -> Result<()> {
    let failed = |e: CoreError| CoreError::OpenFailed {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    match crate::files::create_new_private(path) {
        Ok(_) => {}
        Err(CoreError::Io(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(failed(e)),
    }
    // Best effort on existing files: a file system without Unix modes (a FAT stick) refuses
    // chmod, and the shop must still open.
    for f in crate::files::live_files(path) {
        if std::fs::metadata(&f).is_ok_and(|m| m.is_file()) {
            let _ = crate::files::make_private(&f);
        }
    }
    Ok(())
}

/// What opening a file did to its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    pub from: i64,
    pub to: i64,
}

impl Store {
    /// Open (creating if needed) the database file at `path`, migrating an older one as it
    /// is. The apps open through `upgrade::open`, which backs an older file up first.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Self::open_with(path, &mut |_, _| Ok(()), &mut |_, _| {})?.0)
    }

    /// `open`, calling `before(conn, from)` on the still unchanged writer connection when
    /// an existing file (schema `from` ≥ 1) needs migrating; an error there stops the open
    /// with the file untouched. `progress` gets (steps done, steps to do) while migrating.
    pub(crate) fn open_with(
        path: &Path,
        before: &mut dyn FnMut(&Connection, i64) -> Result<()>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Store, Option<Migrated>)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::OpenFailed {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        }
        make_private(path)?;
        let mut writer = db::open_writer(path)?;
        let from = db::version_of(&writer)?;
        let to = db::schema_version();
        // A new file (schema 0) is created, not upgraded.
        let migrated = (from >= 1 && from < to).then_some(Migrated { from, to });
        if migrated.is_some() {
            before(&writer, from)?;
        }
        db::migrate(&mut writer, to as usize, progress)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let sealer = Arc::new(crate::store::seal::Sealer::open(dir, &mut writer)?);
        let reader = db::open_reader(path)?;
        let reports = db::open_reader(path)?;
        let reports_twin = db::open_reader(path)?;
        sealer.register(&reader)?;
        sealer.register(&reports)?;
        sealer.register(&reports_twin)?;
        let store = Store::lite(Lite {
            writer: Mutex::new(writer),
            reader: Some(Mutex::new(reader)),
            reports: Some(Mutex::new(reports)),
            reports_twin: Some(Mutex::new(reports_twin)),
            path: Some(path.to_owned()),
            checkpointer: Some(Checkpointer::start(path, Arc::clone(&sealer))?),
            sealer,
        });
        Ok((store, migrated))
    }

    fn lite(lite: Lite) -> Store {
        Store {
            engine: Engine::Lite(lite),
            session: Mutex::new(session::Session::new()),
            report_memo: Memo::default(),
            server_reports: Mutex::new(None),
            home_file: Default::default(),
        }
    }

    /// An in-memory database for tests: reads share the writer.
    pub fn open_in_memory() -> Result<Store> {
        let writer = db::open_memory()?;
        let sealer = Arc::new(crate::store::seal::Sealer::memory(&writer)?);
        Ok(Store::lite(Lite {
            writer: Mutex::new(writer),
            reader: None,
            reports: None,
            reports_twin: None,
            path: None,
            checkpointer: None,
            sealer,
        }))
    }

    /// The shop on a PostgreSQL server (`postgres://…`), brought to this build's schema under
    /// the migration lock. A server that does not answer is `db.server_unreachable` within
    /// seconds.
    pub fn open_server(url: &str) -> Result<Store> {
        let link = db::pg::Link::open(db::pg::Server::parse(url)?)?;
        Ok(Store {
            engine: Engine::Server(Mutex::new(link)),
            session: Mutex::new(session::Session::new()),
            report_memo: Memo::default(),
            server_reports: Mutex::new(None),
            home_file: Default::default(),
        })
    }

    /// A second store on the same server, for work that must not wait behind this one's
    /// link (the hourly pass while the window serves the counter): the same counter name
    /// and interface, nobody signed in. None for a shop's own file, whose readers and
    /// writer are apart already.
    pub fn open_again(&self) -> Result<Option<Store>> {
        let Engine::Server(link) = &self.engine else {
            return Ok(None);
        };
        let again = Store {
            engine: Engine::Server(Mutex::new(link_lock(link).another()?)),
            session: Mutex::new(session::Session::new()),
            report_memo: Memo::default(),
            server_reports: Mutex::new(None),
            home_file: self.home_file.clone(),
        };
        again.set_counter(self.counter().as_deref())?;
        again.set_interface(self.session.lock().unwrap_or_else(|p| p.into_inner()).via);
        Ok(Some(again))
    }

    /// On a server, the data folder of this computer's own shop, whose file an export or a
    /// message list chosen at this counter must never be written over.
    pub fn keep_clear_of(&self, data_dir: &Path) {
        if self.on_server() {
            let _ = self.home_file.set(db_path(data_dir));
        }
    }

    /// Whether the shop is on a server (no lock taken, unlike [`Store::server`]).
    pub(crate) fn on_server(&self) -> bool {
        matches!(self.engine, Engine::Server(_))
    }

    /// The server as `host:port/database` when the shop is on one.
    pub fn server(&self) -> Option<String> {
        match &self.engine {
            Engine::Server(link) => Some(link_lock(link).server().shown().to_owned()),
            Engine::Lite(_) => None,
        }
    }

    /// On a server, which database it is whatever the address ([`db::pg::Link::identity`]).
    pub fn server_identity(&self) -> Option<String> {
        match &self.engine {
            Engine::Server(link) => link_lock(link).identity().map(str::to_owned),
            Engine::Lite(_) => None,
        }
    }

    /// The server, with its credentials, when the shop is on one: for the tools (pg_dump)
    /// that reach it on their own connection.
    pub(crate) fn server_address(&self) -> Option<db::pg::Server> {
        match &self.engine {
            Engine::Server(link) => Some(link_lock(link).server().clone()),
            Engine::Lite(_) => None,
        }
    }

    /// The folder of this computer's own shop: the file's, or on a server the one named by
    /// [`Store::keep_clear_of`] (where its backups and machine key live).
    pub(crate) fn home_dir(&self) -> Option<&Path> {
        self.path()
            .or(self.home_file.get().map(PathBuf::as_path))
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
    }

    /// The SQLite side of the store; `db.not_on_server` for a feature not yet on the server.
    fn sqlite(&self) -> Result<&Lite> {
        match &self.engine {
            Engine::Lite(l) => Ok(l),
            Engine::Server(_) => Err(CoreError::NotOnServer),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match &self.engine {
            Engine::Lite(l) => l.path.as_deref(),
            Engine::Server(_) => None,
        }
    }

    /// The audit key and anchor of a SQLite shop.
    pub(crate) fn sealer(&self) -> Result<&Arc<crate::store::seal::Sealer>> {
        Ok(&self.sqlite()?.sealer)
    }

    /// `f` on the reading connection of either engine: for the features ported to both.
    pub(crate) fn read<T>(&self, f: impl FnOnce(db::Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => f(db::Conn::Lite(&*self.reader()?)),
            Engine::Server(link) => f(db::Conn::Pg(&link_lock(link))),
        }
    }

    /// `f` for a long read (an export, a message list): SQLite's reader, which never waits
    /// on the counter's writes; on a server the reports' own link in one read-only
    /// snapshot, so the counter's link stays free for its bills.
    pub(crate) fn long_read<T>(&self, f: impl FnOnce(db::Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => {
                let reader = self.reader()?;
                // One snapshot for the whole read, as on a server.
                let tx = reader.unchecked_transaction()?;
                f(db::Conn::Lite(&tx))
            }
            Engine::Server(_) => self.report_read(f),
        }
    }

    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, Connection>> {
        Ok(lock(&self.sqlite()?.writer))
    }

    /// The reader, for searches and reports; never waits on the cashier's writes.
    pub(crate) fn reader(&self) -> Result<MutexGuard<'_, Connection>> {
        let l = self.sqlite()?;
        Ok(lock(l.reader.as_ref().unwrap_or(&l.writer)))
    }

    /// `f` on the reports' connection: SQLite's report reader (see [`Store::report_reader`]),
    /// or on a server the reports' own link, in one read-only snapshot.
    pub(crate) fn report_read<T>(&self, f: impl FnOnce(db::Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => f(db::Conn::Lite(&*self.report_reader()?)),
            Engine::Server(link) => {
                let mut slot = self
                    .server_reports
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if slot.is_none() {
                    *slot = Some(link_lock(link).another()?);
                }
                let Some(reports) = slot.as_ref() else {
                    return Err(CoreError::Internal("no report link".into()));
                };
                reports.snapshot(|| f(db::Conn::Pg(reports)))
            }
        }
    }

    /// The reports' own reader (the writer's connection for an in-memory store).
    pub(crate) fn report_reader(&self) -> Result<MutexGuard<'_, Connection>> {
        let l = self.sqlite()?;
        Ok(lock(l.reports.as_ref().unwrap_or(&l.writer)))
    }

    /// The second report connection and the writer, when neither is busy (none in memory):
    /// for two report scans at once, begun under the write lock (db::analytics::twin_snapshots).
    pub(crate) fn report_twin(
        &self,
    ) -> Option<(MutexGuard<'_, Connection>, MutexGuard<'_, Connection>)> {
        let l = self.sqlite().ok()?;
        let twin = l.reports_twin.as_ref()?.try_lock().ok()?;
        let writer = l.writer.try_lock().ok()?;
        Some((twin, writer))
    }

    /// Run `f` in an immediate write transaction, committed only when it succeeds. (A write
    /// committed on the writer by other means calls [`Store::audit_committed`] after.)
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.writer()?;
        let out = commit(&mut conn, f)?;
        // The checkpointer moves the audit anchor within a second (and Drop at exit); a
        // restore moves it at once, since only this process can vouch for the step back.
        self.audit_committed(&conn);
        Ok(out)
    }

    /// [`Store::write`] on either engine, for the features ported to both: SQLite's
    /// immediate transaction, or a transaction on the server.
    pub(crate) fn write_any<T>(&self, f: impl FnOnce(db::Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => self.write(|c| f(db::Conn::Lite(c))),
            Engine::Server(link) => {
                let link = link_lock(link);
                link.transaction(|| f(db::Conn::Pg(&link)))
            }
        }
    }

    /// `f` with each of its statements committed on its own on a server (no transaction
    /// around them, so no row it touches stays held), for idempotent bulk work that counters
    /// must not wait behind; on a shop's file, one immediate transaction as [`Store::write`].
    pub(crate) fn each_committed<T>(&self, f: impl FnOnce(db::Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => self.write(|c| f(db::Conn::Lite(c))),
            Engine::Server(link) => f(db::Conn::Pg(&link_lock(link))),
        }
    }

    /// [`Store::write`] for one long bulk write, with a page cache of `cache_kib` for its
    /// duration (put back after, whatever the outcome).
    pub(crate) fn write_bulk<T>(
        &self,
        cache_kib: i64,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.writer()?;
        let before = db::cache_size(&conn)?;
        db::set_cache_size(&conn, -cache_kib)?;
        let out = commit(&mut conn, f);
        let _ = db::set_cache_size(&conn, before);
        let out = out?;
        self.audit_committed(&conn);
        Ok(out)
    }

    /// [`Store::write_bulk`] on either engine: on a server, a plain transaction.
    pub(crate) fn write_bulk_any<T>(
        &self,
        cache_kib: i64,
        f: impl FnOnce(db::Conn<'_>) -> Result<T>,
    ) -> Result<T> {
        match &self.engine {
            Engine::Lite(_) => self.write_bulk(cache_kib, |c| f(db::Conn::Lite(c))),
            Engine::Server(_) => self.write_any(f),
        }
    }

    /// After a transaction committed on the writer outside [`Store::write`] (a restore that
    /// records its entry in the swap's own transaction): let the audit anchor follow.
    pub(crate) fn audit_committed(&self, conn: &Connection) {
        let Ok(sealer) = self.sealer() else { return };
        sealer.mark_dirty();
        if audit::take_restore_pending() {
            let _ = sealer.follow(conn);
        }
    }

    /// integrity_check, foreign keys, cached figures, and (with the audit key) the seals of
    /// staff and points ledger rows; on a server, the balances and cached figures.
    pub fn check(&self) -> Result<db::CheckReport> {
        self.require(Perm::View)?;
        match &self.engine {
            Engine::Lite(_) => db::check(&*self.writer()?),
            Engine::Server(_) => self.report_read(|c| db::check(c)),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let Engine::Lite(l) = &mut self.engine else {
            return;
        };
        if let Some(c) = l.checkpointer.take() {
            c.stop();
        }
        if l.path.is_some() && l.sealer.take_dirty() {
            let _ = l.sealer.follow(&lock(&l.writer));
        }
        if l.path.is_some() {
            // Best effort: fold the WAL back so the file is self-contained on exit.
            let _ = db::checkpoint(&lock(&l.writer));
        }
    }
}

/// The default database path: `<data dir>/khachquen/khachquen.db`.
impl Store {
    /// Write a file the user named, through a fresh temporary renamed into place
    /// ([`files::write_atomically`]): never through a planted name, never onto the live
    /// database or its -wal/-shm, nor onto the outbox ([`Store::protected_files`]).
    pub(crate) fn write_user_file(
        &self,
        path: &Path,
        write: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        files::write_atomically(path, &self.protected_files(), write)
    }

    /// What no file the user names may be written onto: this computer's shop's live
    /// database and its companions, and beside it the counter's outbox (the bills kept
    /// while the server was away, which exist nowhere else).
    pub(crate) fn protected_files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .path()
            .or(self.home_file.get().map(PathBuf::as_path))
            .map(files::live_files)
            .unwrap_or_default();
        if let Some(dir) = self.home_dir() {
            out.extend(files::live_files(&dir.join(db::outbox::FILE)));
        }
        out
    }
}

pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("khachquen"))
}

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("khachquen.db")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_bulk_write_puts_the_page_cache_back_whatever_happens() {
        let s = Store::open_in_memory().unwrap();
        let before = db::cache_size(&s.writer().unwrap()).unwrap();
        let seen = s.write_bulk(64 * 1024, db::cache_size).unwrap();
        assert_eq!(seen, -64 * 1024);
        assert_eq!(db::cache_size(&s.writer().unwrap()).unwrap(), before);
        let failed: Result<()> = s.write_bulk(64 * 1024, |conn| {
            conn.execute("INSERT INTO settings (key, value) VALUES ('x', 'y')", [])?;
            Err(CoreError::Internal("stop".into()))
        });
        assert!(failed.is_err());
        assert_eq!(db::cache_size(&s.writer().unwrap()).unwrap(), before);
        // and the failed write left nothing behind
        assert_eq!(db::settings::get(&s.reader().unwrap(), "x").unwrap(), None);
        assert_eq!(db::bulk_cache_kib(0), db::WRITER_CACHE_KIB);
        assert_eq!(db::bulk_cache_kib(u64::MAX / 2), db::BULK_CACHE_MAX_KIB);
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_database_and_its_wal_are_readable_by_the_owner_only() {
        // The usual mask, which lets SQLite create 0644 files: the mode must come from the app.
        // SAFETY: umask only sets this process's file-creation mask.
        let old = unsafe { libc::umask(0o022) };
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("khachquen.db");
        let s = Store::open(&db).unwrap();
        // SAFETY: as above.
        unsafe { libc::umask(old) };
        s.write(|c| Ok(c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?))
            .unwrap();
        let live = crate::files::live_files(&db);
        let present: Vec<_> = live.iter().filter(|p| p.exists()).collect();
        assert!(present.len() >= 3, "db, -wal and -shm: {present:?}");
        for p in present {
            assert_eq!(mode(p), 0o600, "{p:?}");
        }
        drop(s);

        // A database made before this rule (0644) is closed up on the next open.
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _s = Store::open(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }
}
