//! The harness of the command-line tests (as ripgrep's tests/util.rs): the real binary on a
//! temp data folder, exit codes and JSON checked in one place, and the small shops tests make.

use khachquen_core::Store;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn kq(dir: &Path, args: &[&str]) -> Output {
    kq_env(dir, &[], args)
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = kq(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

pub fn json(dir: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(dir, &a)).expect("one JSON document")
}

/// Exit 1, a readable message on stderr containing `needle`, and no data changed.
pub fn refused(dir: &Path, args: &[&str], needle: &str) {
    let before = snapshot(dir);
    let out = kq(dir, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(
        !err.contains("customer.") && !err.contains("purchase."),
        "raw code leaked: {err}"
    );
    assert_eq!(snapshot(dir), before, "{args:?} changed the database");
}

pub fn snapshot(dir: &Path) -> Value {
    let s = Store::open(&dir.join("khachquen.db")).expect("open");
    let rows = s
        .list_customers(&khachquen_core::model::ListQuery {
            limit: 500,
            include_archived: true,
            ..Default::default()
        })
        .expect("list");
    let profiles: Vec<_> = rows
        .rows
        .iter()
        .map(|r| s.profile(r.id, 500).expect("profile"))
        .collect();
    serde_json::to_value((profiles, s.settings().expect("settings"))).expect("json")
}

pub fn rusqlite_conn(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

/// Exit 1 and the JSON report on stdout.
pub fn rejected_json(dir: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = kq(dir, &a);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    serde_json::from_slice(&out.stdout).expect("one JSON report")
}

pub fn backup_file(dir: &Path) -> String {
    json(dir, &["backup", "create"])["file"]
        .as_str()
        .expect("the backup's path")
        .to_owned()
}

/// `khachquen` on `dir` in `lang`, nothing inherited: neither the data folder nor a PIN.
pub fn kq_base(dir: &Path, lang: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_khachquen"));
    c.arg("--data-dir")
        .arg(dir)
        .args(["--lang", lang])
        .env_remove("KHACHQUEN_DATA_DIR")
        .env_remove("KHACHQUEN_DATABASE_URL")
        .env_remove("KHACHQUEN_PIN")
        .env_remove("KHACHQUEN_NEW_PIN");
    c
}

/// `khachquen` on `dir` in English with these environment variables (the data folder and
/// the PINs are never inherited).
pub fn kq_command(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut c = kq_base(dir, "en");
    c.args(args).envs(env.iter().copied());
    c
}

/// `kq` with these environment variables (the PINs are never inherited).
pub fn kq_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    kq_command(dir, env, args).output().expect("run khachquen")
}

pub fn one_customer(d: &Path) {
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Phan Thị Ngọc",
            "--phone",
            "0966123456",
        ],
    );
}

/// `khachquen` started now (not waited for), with these environment variables.
pub fn kq_spawn(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Child {
    kq_command(dir, env, args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start khachquen")
}

pub fn ok_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = kq_env(dir, env, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// The database is whole: a SQLite header, integrity_check ok, the shop's data as before.
pub fn database_intact(d: &Path, before: &Value) {
    let db = d.join("khachquen.db");
    let head = std::fs::read(&db).expect("db");
    assert!(
        head.starts_with(b"SQLite format 3\0"),
        "the database was overwritten"
    );
    let conn = rusqlite_conn(&db);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    drop(conn);
    assert_eq!(&snapshot(d), before, "the shop's data changed");
    ok(d, &["db", "check"]);
}

/// Run the binary with stdout and stderr on a pipe whose reader is already gone: every write
/// fails with EPIPE.
pub fn kq_into_a_closed_pipe(dir: &Path, args: &[&str]) -> std::process::ExitStatus {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    kq_command(dir, &[], args)
        .stdout(writer.try_clone().expect("clone"))
        .stderr(writer)
        .status()
        .expect("run khachquen")
}

/// `khachquen` on `dir` in Vietnamese.
pub fn kq_vi(dir: &Path, args: &[&str]) -> Output {
    kq_base(dir, "vi")
        .args(args)
        .output()
        .expect("run khachquen")
}

/// The address of a database of its own on the test PostgreSQL server (scripts/test starts
/// one), not yet created.
pub fn pg_url(tag: &str) -> String {
    let admin = std::env::var("KHACHQUEN_TEST_PG_URL")
        .expect("needs PostgreSQL: KHACHQUEN_TEST_PG_URL (scripts/test starts one)");
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/kq_{tag}_{}_{n}", std::process::id())
}

/// Create the (empty) database `url` names, on the server it names.
pub fn create_pg_database(url: &str) {
    let admin = std::env::var("KHACHQUEN_TEST_PG_URL").unwrap();
    let (_, name) = url.rsplit_once('/').unwrap();
    let sql = format!("CREATE DATABASE {name}");
    // On a thread of its own: the sync client runs its own runtime, which an async test's
    // thread may not start.
    std::thread::spawn(move || {
        khachquen_core::db::pg::Server::parse(&admin)
            .unwrap()
            .connect()
            .unwrap()
            .batch_execute(&sql)
            .unwrap()
    })
    .join()
    .unwrap();
}

/// A new, empty database on the test server.
pub fn new_pg_database(tag: &str) -> String {
    let url = pg_url(tag);
    create_pg_database(&url);
    url
}

/// A private server in its own folder (scripts/pg), for a test that kills it; stopped when
/// dropped.
pub struct OwnServer(tempfile::TempDir);

impl OwnServer {
    pub fn new() -> OwnServer {
        OwnServer(tempfile::tempdir().unwrap())
    }

    /// `scripts/pg CMD` on this server's folder (start, stop, crash); what it printed.
    pub fn pg(&self, cmd: &str) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg");
        let out = std::process::Command::new(script)
            .arg(cmd)
            .arg(self.0.path())
            .output()
            .expect("scripts/pg");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.pg("stop");
    }
}
