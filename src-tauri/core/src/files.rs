//! Paths the user names are hostile. Every file the app reads from a user's path is opened
//! here (a regular file, nothing else, checked on the open handle), and every file it writes
//! under a user's name goes through a temporary file that this process created fresh (never a
//! name someone could have planted), renamed into place only once complete, and never onto
//! the shop's live database or its -wal/-shm.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{CoreError, Result};

/// Prefix of every temporary file or folder the app creates beside a target, so that one a
/// killed process left behind can be recognised and removed on the next start.
pub const TEMP_PREFIX: &str = ".khachquen-tmp-";

/// How old a leftover temporary must be before another process may remove it: older than any
/// write in progress could be.
pub const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// A path as messages show it.
pub(crate) fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Whether the file at `path` begins with `magic` (false when it cannot be read): what kind
/// of file the user picked, judged before anything else reads it.
pub(crate) fn starts_with(path: &Path, magic: &[u8]) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(magic.len());
    File::open(path)
        .and_then(|f| f.take(magic.len() as u64).read_to_end(&mut head))
        .is_ok()
        && head == magic
}

fn not_regular(path: &Path) -> CoreError {
    CoreError::FileNotRegular(shown(path))
}

/// Open `path` for reading, refusing anything that is not a regular file (a folder, a FIFO, a
/// device, a socket) before reading a byte. The check is made on the opened handle, and the
/// open itself cannot block on a FIFO.
pub fn open_regular(path: &Path) -> Result<(File, Metadata)> {
    // A cheap early refusal that names the problem; the handle check below is the real one.
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(not_regular(path)),
        Ok(_) => {}
        Err(e) => return Err(CoreError::Io(e)),
    }
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    #[cfg(unix)]
    clear_nonblock(&file)?;
    Ok((file, meta))
}

#[cfg(unix)]
fn clear_nonblock(file: &File) -> Result<()> {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(CoreError::Io(io::Error::last_os_error()));
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(CoreError::Io(io::Error::last_os_error()));
    }
    Ok(())
}

/// Refuse `path` unless it is a regular file; returns its metadata.
pub fn check_regular(path: &Path) -> Result<Metadata> {
    open_regular(path).map(|(_, m)| m)
}

/// The shop's live database and its companions: no write may land on any of them.
pub fn live_files(db: &Path) -> Vec<PathBuf> {
    let mut out = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut s = db.as_os_str().to_owned();
        s.push(suffix);
        out.push(PathBuf::from(s));
    }
    out
}

/// Whether `target` names one of `protected`: the same path once folders are resolved, or
/// (when both exist) the same file through another name or a link.
pub fn is_protected(target: &Path, protected: &[PathBuf]) -> bool {
    let resolved = resolve(target);
    protected.iter().any(|p| {
        resolve(p) == resolved
            || match (fs::metadata(target), fs::metadata(p)) {
                (Ok(a), Ok(b)) => same_inode(&a, &b),
                _ => false,
            }
    })
}

/// `path` with its folder made canonical (the file itself need not exist).
fn resolve(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_owned());
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = match parent {
        Some(p) => fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
        None => std::env::current_dir().unwrap_or_default(),
    };
    match name {
        Some(n) => dir.join(n),
        None => dir,
    }
}

#[cfg(unix)]
fn same_inode(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &Metadata, _: &Metadata) -> bool {
    false
}

/// The existing folder a new file `path` goes into, refusing a name already taken (a file or
/// a link: nothing is ever written through it).
pub fn new_file_folder(path: &Path) -> Result<PathBuf> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(CoreError::BackupFileExists(shown(path)));
    }
    let dir = folder_of(path);
    if !dir.is_dir() {
        return Err(CoreError::BackupFolderMissing(shown(&dir)));
    }
    Ok(dir)
}

/// The folder `path` will be written into ("." for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new private folder (0700 on Unix) inside `dir`, removed with its contents when dropped.
pub fn private_dir_in(dir: &Path) -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o700));
    }
    Ok(builder.tempdir_in(dir)?)
}

/// Write `path` through a file created fresh inside a held private folder beside it, renamed into
/// place only once `write` has succeeded: a failed write never leaves half a file under the
/// chosen name, a planted link or file at any temporary name is never followed or reused, and
/// a `path` that is one of `protected` is refused before anything is written. The rename
/// replaces a link at `path` itself rather than writing through it. The file is readable by
/// this user only.
pub fn write_atomically(
    path: &Path,
    protected: &[PathBuf],
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    if is_protected(path, protected) {
        return Err(CoreError::FileProtected(shown(path)));
    }
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(not_regular(path));
    }
    // Beside the target, so the rename stays on one file system; held, so that what a killed
    // write left in this folder is removed by the next one (here) rather than kept forever.
    let folder = folder_of(path);
    clear_abandoned(&folder, &[], &[]);
    let dir = held_private_dir_in(&folder)?;
    let name = path
        .file_name()
        .map(|n| n.to_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.path().join(name);
    write(&tmp)?;
    make_private(&tmp)?;
    File::open(&tmp)?.sync_all()?;
    fs::rename(&tmp, path)?;
    sync_dir(&folder_of(path));
    Ok(())
}

/// Create `path` anew for writing (failing if anything, a link included, is there already),
/// readable by this user only.
pub fn create_new_private(path: &Path) -> Result<File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    Ok(opts.open(path)?)
}

/// Readable and writable by this user only (no-op off Unix, where the folder's ACL rules).
pub fn make_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Make the rename of an entry durable (best effort: not every platform syncs folders).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Remove temporaries a killed process left in `dir`: entries named with [`TEMP_PREFIX`] (or
/// one of `extra_prefixes`) and last changed more than `older_than` ago. Links are removed,
/// never followed. Returns how many were removed.
pub fn clear_stale(dir: &Path, extra_prefixes: &[&str], older_than: Duration) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours =
            name.starts_with(TEMP_PREFIX) || extra_prefixes.iter().any(|p| name.starts_with(p));
        if !ours {
            continue;
        }
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= older_than);
        if !old {
            continue;
        }
        let gone = if meta.is_dir() {
            fs::remove_dir_all(entry.path())
        } else {
            fs::remove_file(entry.path())
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Name of the lock file inside a held private folder (see [`held_private_dir_in`]).
const HOLD_FILE: &str = ".held";
/// Prefix of a held private folder before it is published under [`TEMP_PREFIX`].
const NEW_PREFIX: &str = ".khachquen-new-";

/// A private folder this process is using, and says so: while it lives, a lock on the file
/// [`HOLD_FILE`] inside tells [`clear_abandoned`] in any process to leave it alone; once the
/// process is gone (killed included) the lock goes with it, and the next start removes the
/// folder at once. Removed with its contents when dropped.
pub struct HeldDir {
    path: PathBuf,
    _hold: File,
}

impl HeldDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for HeldDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A new private folder (0700) in `dir` held by this process (see [`HeldDir`]). It is
/// locked before it is published under [`TEMP_PREFIX`], so no other process can ever see it
/// unheld while this one lives.
pub fn held_private_dir_in(dir: &Path) -> Result<HeldDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(NEW_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o700));
    }
    let fresh = builder.tempdir_in(dir)?;
    let hold = create_new_private(&fresh.path().join(HOLD_FILE))?;
    lock_exclusive(&hold, true)?;
    let fresh = fresh.keep();
    let name = fresh
        .file_name()
        .map(|n| n.to_string_lossy().replacen(NEW_PREFIX, TEMP_PREFIX, 1))
        .unwrap_or_else(|| TEMP_PREFIX.to_owned());
    let published = dir.join(name);
    if let Err(e) = fs::rename(&fresh, &published) {
        let _ = fs::remove_dir_all(&fresh);
        return Err(e.into());
    }
    Ok(HeldDir {
        path: published,
        _hold: hold,
    })
}

/// Take the lock on `file`; `wait: false` fails with `WouldBlock` when another holds it.
#[cfg(unix)]
fn lock_exclusive(file: &File, wait: bool) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let op = libc::LOCK_EX | if wait { 0 } else { libc::LOCK_NB };
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), op) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(unix))]
fn lock_exclusive(_: &File, _: bool) -> io::Result<()> {
    Ok(())
}

/// Remove what killed processes left in `dir`: held private folders no process holds any
/// more (at once: they may hold a plain copy of the data), entries named with one of
/// `old_prefixes` or ending with one of `old_suffixes` (names older versions used, which no
/// running process of this version writes), and any other temporary past [`STALE_AFTER`].
/// Returns how many entries were removed.
pub fn clear_abandoned(dir: &Path, old_prefixes: &[&str], old_suffixes: &[&str]) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        let old = old_prefixes.iter().any(|p| name.starts_with(p))
            || old_suffixes.iter().any(|s| name.ends_with(s));
        let abandoned = cfg!(unix)
            && name.starts_with(TEMP_PREFIX)
            && meta.is_dir()
            && fs::OpenOptions::new()
                .read(true)
                .open(path.join(HOLD_FILE))
                .is_ok_and(|f| lock_exclusive(&f, false).is_ok());
        if !(old || abandoned) {
            continue;
        }
        let gone = if meta.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed + clear_stale(dir, &[NEW_PREFIX], STALE_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_a_fifo_and_a_device_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            open_regular(dir.path()),
            Err(CoreError::FileNotRegular(_))
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/zero")),
            Err(CoreError::FileNotRegular(_))
        ));
        #[cfg(unix)]
        {
            let fifo = dir.path().join("pipe.csv");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid C string and a mode.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            // Must return at once, not block waiting for a writer.
            assert!(matches!(
                open_regular(&fifo),
                Err(CoreError::FileNotRegular(_))
            ));
        }
        let f = dir.path().join("ok.csv");
        fs::write(&f, "a").unwrap();
        assert_eq!(open_regular(&f).unwrap().1.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.db");
        fs::write(&victim, "precious").unwrap();
        let target = dir.path().join("out.csv");
        // Every name a temp file might have had in the past, planted as a link to the victim.
        for n in [".out.csv.partial", "out.csv.tmp", ".out.csv.tmp"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(n)).unwrap();
        }
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_atomically(&target, &[], |tmp| Ok(fs::write(tmp, "export")?)).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&target).unwrap(), "export");
        assert!(!fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn the_live_database_and_its_companions_are_protected() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("khachquen.db");
        fs::write(&db, "live").unwrap();
        let live = live_files(&db);
        for t in &live {
            let r = write_atomically(t, &live, |tmp| Ok(fs::write(tmp, "x")?));
            assert!(matches!(r, Err(CoreError::FileProtected(_))), "{t:?}");
        }
        // The same file through a relative detour.
        let detour = dir.path().join(".").join("khachquen.db");
        assert!(is_protected(&detour, &live));
        #[cfg(unix)]
        {
            let hard = dir.path().join("hard.csv");
            fs::hard_link(&db, &hard).unwrap();
            assert!(is_protected(&hard, &live));
        }
        assert_eq!(fs::read_to_string(&db).unwrap(), "live");
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let r = write_atomically(&target, &[], |tmp| {
            fs::write(tmp, "half")?;
            Err(CoreError::Internal("boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn what_a_killed_write_left_is_removed_by_the_next_write_there() {
        let dir = tempfile::tempdir().unwrap();
        // A held folder whose process is gone: its lock file is there, nobody locks it.
        let left = dir.path().join(format!("{TEMP_PREFIX}killed"));
        fs::create_dir(&left).unwrap();
        fs::write(left.join(HOLD_FILE), "").unwrap();
        fs::write(left.join("out.csv"), "half").unwrap();
        let target = dir.path().join("out.csv");
        write_atomically(&target, &[], |tmp| Ok(fs::write(tmp, "whole")?)).unwrap();
        assert!(!left.exists());
        assert_eq!(fs::read_to_string(&target).unwrap(), "whole");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temporaries_are_cleared_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = private_dir_in(dir.path()).unwrap().keep();
        fs::write(dir.path().join("keep.csv"), "x").unwrap();
        assert_eq!(clear_stale(dir.path(), &[], STALE_AFTER), 0);
        assert_eq!(clear_stale(dir.path(), &[], Duration::ZERO), 1);
        assert!(!old.exists());
        assert!(dir.path().join("keep.csv").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_held_folder_stays_while_held_and_goes_once_its_holder_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let held = held_private_dir_in(dir.path()).unwrap();
        assert!(held
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(TEMP_PREFIX));
        fs::write(held.path().join("plain.db"), "secret").unwrap();
        // What a killed holder leaves: the folder and its lock file, nobody holding it.
        let killed = dir.path().join(format!("{TEMP_PREFIX}killed"));
        fs::create_dir(&killed).unwrap();
        fs::write(killed.join(HOLD_FILE), "").unwrap();
        fs::write(killed.join("plain.db"), "secret").unwrap();
        // Another writer's private folder (no lock file), fresh: not ours to judge.
        let other = private_dir_in(dir.path()).unwrap();
        fs::write(dir.path().join("old.db.tmp"), "x").unwrap();
        assert_eq!(clear_abandoned(dir.path(), &[], &[".db.tmp"]), 2);
        assert!(!killed.exists());
        assert!(held.path().join("plain.db").exists());
        assert!(other.path().exists());
        let path = held.path().to_owned();
        drop(held);
        assert!(!path.exists());
    }
}
