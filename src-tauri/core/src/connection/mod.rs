//! Where this computer's shop lives: its own file (the default), or a PostgreSQL server it
//! is a counter of. The window keeps the server it was connected to, and this counter's
//! name, in `server.json` in the data folder, readable by this user only (the address may
//! hold the server's password), and opens it at every start until it is disconnected.

use crate::db;
use crate::error::{CoreError, Result};
use crate::files;
use crate::limits;
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The saved connection's file in the data folder.
pub const FILE: &str = "server.json";

/// A saved connection is a few hundred bytes; anything far larger is not one.
const MAX_BYTES: u64 = 8 * 1024;

/// The server this computer works on, and the name its bills carry.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    /// The address, password included: never logged or shown (see [`Saved::shown`]).
    pub url: String,
    pub counter: String,
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Saved({}, {})", self.shown(), self.counter)
    }
}

impl Saved {
    /// `host:port/database`, without the password.
    pub fn shown(&self) -> String {
        db::pg::Server::parse(&self.url)
            .map(|s| s.shown().to_owned())
            .unwrap_or_default()
    }
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// The saved connection, if this computer has one. A file that is not one (too large, not
/// a regular file, not its JSON, an address or name out of bounds) is refused by name and
/// left as it is.
pub fn saved(data_dir: &Path) -> Result<Option<Saved>> {
    let path = path(data_dir);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
        // A link is not a file this app wrote (it writes by rename), so it is not followed.
        Ok(m) if !m.is_file() => return Err(invalid(&path)),
        Ok(_) => {}
    }
    let (file, meta) = files::open_regular(&path)?;
    if meta.len() > MAX_BYTES {
        return Err(invalid(&path));
    }
    let mut text = String::new();
    file.take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|_| invalid(&path))?;
    let s: Saved = serde_json::from_str(&text).map_err(|_| invalid(&path))?;
    checked(&s.url, &s.counter).map_err(|_| invalid(&path))?;
    Ok(Some(s))
}

/// The address parsed and the name trimmed and bounded, as they are saved.
fn checked(url: &str, counter: &str) -> Result<Saved> {
    db::pg::Server::parse(url)?;
    Ok(Saved {
        url: url.trim().to_owned(),
        counter: limits::check_counter(counter)?.to_owned(),
    })
}

fn invalid(path: &Path) -> CoreError {
    CoreError::ConnectionInvalid(files::shown(path))
}

/// Open the shop on the server at `url` as the counter `counter`, and save both so that the
/// next start opens it again. The database must already hold a shop (an empty one is
/// refused, not made into a new shop by a mistyped name); nothing is saved on failure.
pub fn connect(data_dir: &Path, url: &str, counter: &str) -> Result<Store> {
    let s = checked(url, counter)?;
    let server = db::pg::Server::parse(&s.url)?;
    {
        let mut client = server.connect()?;
        if db::pg::schema_version(&mut client).map_err(|e| server.lost(e))? == 0 {
            return Err(CoreError::ServerNoShop {
                server: server.shown().to_owned(),
            });
        }
    }
    let store = open(data_dir, &s.url, Some(&s.counter))?;
    save(data_dir, &s)?;
    Ok(store)
}

/// The shop on the server at `url`, its bills named after `counter` ([`counter_name`]), for
/// the computer whose own shop is in `data_dir`.
pub fn open(data_dir: &Path, url: &str, counter: Option<&str>) -> Result<Store> {
    let counter = counter_name(counter)?;
    let store = Store::open_server(url)?;
    store.set_counter(counter.as_deref())?;
    store.keep_clear_of(data_dir);
    Ok(store)
}

fn save(data_dir: &Path, s: &Saved) -> Result<()> {
    let json = serde_json::to_vec_pretty(s).map_err(|e| CoreError::Io(e.into()))?;
    files::write_atomically(&path(data_dir), &[], |tmp| {
        std::fs::write(tmp, &json)?;
        Ok(())
    })
}

impl Store {
    /// The owner connects this computer to the shop at `url` as the counter `counter`
    /// ([`connect`]); this shop's audit log says so. Returns the server's shop, where
    /// nobody is signed in yet: its own staff sign in there.
    pub fn connect_server(&self, data_dir: &Path, url: &str, counter: &str) -> Result<Store> {
        let actor = self.require(Perm::Settings)?;
        let server = connect(data_dir, url, counter)?;
        // Entries made there say where they came from, as this shop's do (the window).
        server.set_interface(self.session().via);
        let shown = server.server().unwrap_or_default();
        // Best effort: the connection is made and saved; a full disk here must not undo it.
        let _ = self.write_any(|c| {
            audit::record(
                c,
                &actor
                    .entry("counter.connect", "server")
                    .entity_id(&shown)
                    .after(json!({ "server": shown, "counter": server.counter() })),
            )
        });
        Ok(server)
    }

    /// The owner takes this computer off the server: the saved connection is forgotten and
    /// this computer's own shop file is opened (upgraded first if it is older). The server's
    /// audit log says which counter left. `opened` is that shop when this process has it
    /// open already (it started on it), so the file is not opened twice.
    pub fn disconnect_server(
        &self,
        data_dir: &Path,
        opened: Option<Arc<Store>>,
    ) -> Result<Arc<Store>> {
        let actor = self.require(Perm::Settings)?;
        let Some(shown) = self.server() else {
            return Err(CoreError::NotConnected);
        };
        let local = match opened.filter(|s| !s.on_server()) {
            Some(s) => s,
            None => {
                let path = crate::store::db_path(data_dir);
                Arc::new(crate::upgrade::open(&path, &mut |_| {})?.0)
            }
        };
        forget(data_dir)?;
        // Whoever was signed in there before signs in again: the server's owner is not this
        // shop's.
        local.lock();
        let _ = self.write_any(|c| {
            audit::record(
                c,
                &actor
                    .entry("counter.disconnect", "server")
                    .entity_id(&shown)
                    .before(json!({ "server": shown, "counter": self.counter() })),
            )
        });
        Ok(local)
    }
}

/// Forget the saved connection: the next start opens this computer's own file.
pub fn forget(data_dir: &Path) -> Result<()> {
    match std::fs::remove_file(path(data_dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The name a counter goes by: the one given, else the computer's (so two counters' bills
/// can be told apart from the first day), bounded as any name.
pub fn counter_name(given: Option<&str>) -> Result<Option<String>> {
    match given {
        Some(name) => Ok(Some(limits::check_counter(name)?.to_owned())),
        None => Ok(default_counter()),
    }
}

/// The name a counter on a server goes by when it was given none: the computer's name
/// (so two counters' bills can be told apart from the first day), bounded as any name.
fn default_counter() -> Option<String> {
    #[cfg(unix)]
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").ok();
    // A hostile or odd file is bounded before it is read as a name.
    let name: String = name?.chars().take(limits::COUNTER_MAX).collect();
    limits::check_counter(&name).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "postgres://kq:secret@127.0.0.1:1/shop";

    #[test]
    fn a_saved_connection_comes_back_as_saved_and_private() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(saved(dir.path()).unwrap(), None);
        let s = checked(URL, "  Quầy 1 ").unwrap();
        save(dir.path(), &s).unwrap();
        let back = saved(dir.path()).unwrap().unwrap();
        assert_eq!(back.counter, "Quầy 1");
        assert_eq!(back.url, URL);
        assert_eq!(back.shown(), "127.0.0.1:1/shop");
        assert!(!format!("{back:?}").contains("secret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        forget(dir.path()).unwrap();
        forget(dir.path()).unwrap();
        assert_eq!(saved(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_file_that_is_not_a_saved_connection_is_refused_and_left() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        let bad: [&[u8]; 6] = [
            b"not json",
            br#"{"url":"mysql://x/y","counter":"A"}"#,
            br#"{"url":"postgres://h/db","counter":""}"#,
            br#"{"url":"postgres://h/db","counter":"A","extra":1}"#,
            br#"{"url":"postgres://h/db"}"#,
            &[b' '; 9000],
        ];
        for content in bad {
            std::fs::write(&p, content).unwrap();
            let e = saved(dir.path()).unwrap_err();
            assert_eq!(e.code(), "connection.invalid", "{content:?}");
            assert_eq!(std::fs::read(&p).unwrap(), content);
        }
        std::fs::remove_file(&p).unwrap();
        std::fs::create_dir(&p).unwrap();
        assert_eq!(saved(dir.path()).unwrap_err().code(), "connection.invalid");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_neither_followed_nor_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.json");
        let good = serde_json::to_vec(&checked(URL, "A").unwrap()).unwrap();
        std::fs::write(&target, &good).unwrap();
        std::os::unix::fs::symlink(&target, path(dir.path())).unwrap();
        assert_eq!(saved(dir.path()).unwrap_err().code(), "connection.invalid");
        // Saving replaces the link itself; the file it pointed at is untouched.
        save(dir.path(), &checked(URL, "B").unwrap()).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), good);
        assert_eq!(saved(dir.path()).unwrap().unwrap().counter, "B");
    }

    #[test]
    fn bad_input_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let code =
            |url: &str, counter: &str| connect(dir.path(), url, counter).err().map(|e| e.code());
        assert_eq!(code("postgres://h", "A"), Some("db.bad_url"));
        assert_eq!(code(URL, &"x".repeat(41)), Some("counter.name_invalid"));
        // Nothing listens on port 1: unreachable, at once, and nothing saved.
        assert_eq!(code(URL, "A"), Some("db.server_unreachable"));
        assert!(!path(dir.path()).exists());
        assert_eq!(
            counter_name(Some(" Quầy 2 ")).unwrap().as_deref(),
            Some("Quầy 2")
        );
        assert!(counter_name(Some("")).is_err());
    }
}
