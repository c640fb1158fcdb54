//! Every public `Store` method checks who acts (`self.require`) in core, reads included,
//! unless it is one of the few the lock screen and start-up need before anyone signs in.
//! Read from the source like `layers.rs`: a method added without a check fails here.

use std::path::{Path, PathBuf};

/// Open to anyone, by design: the check itself, opening the shop, the lock screen's own calls, the settings
/// the lock screen shows (its language, the shop's name), the count start-up reads to
/// offer the demo, and the app's own scheduled work
/// (which acts as the system, never as the caller).
const OPEN: &[&str] = &[
    "require",
    "open",
    "open_in_memory",
    "open_server",
    // A second link to the same server, nobody signed in on it (the hourly pass's).
    "open_again",
    "path",
    "server",
    // Which database the server link reached: no more than the address `server` shows.
    "server_identity",
    "set_interface",
    // This process's counter name, given at start as its interface is.
    "set_counter",
    "counter",
    // On a server, where this computer's own shop file is (kept clear of exports), given at
    // start as the counter's name is.
    "keep_clear_of",
    "may",
    "lock",
    "session_info",
    "carry_session",
    "setup_owner",
    "setup_shop",
    "sign_in",
    "sign_in_owner",
    "settings",
    "setting",
    "is_demo",
    "customer_count",
    "scheduled_pass",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (file, method, body) of every `pub fn` in an `impl Store` block, tests left out.
fn public_methods(src: &Path) -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let lines: Vec<&str> = text.lines().collect();
        let mut in_impl = false;
        for (i, l) in lines.iter().enumerate() {
            if *l == "impl Store {" {
                in_impl = true;
            } else if l.starts_with('}') {
                in_impl = false;
            }
            let Some(rest) = l.strip_prefix("    pub fn ") else {
                continue;
            };
            if !in_impl {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let end = (i..lines.len())
                .find(|&j| lines[j] == "    }")
                .unwrap_or(lines.len());
            out.push((f.display().to_string(), name, lines[i..end].join("\n")));
        }
    }
    out
}

fn checks(body: &str, name: &str) -> bool {
    // `create_backup` hands over to the crate-private `create_backup_with`, which checks.
    body.contains("self.require(") || delegates_to_a_check(body, &format!("{name}_with"))
}

fn delegates_to_a_check(body: &str, with: &str) -> bool {
    if !body.contains(&format!("self.{with}(")) {
        return false;
    }
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.iter().any(|f| {
        let text = std::fs::read_to_string(f).unwrap();
        text.split(&format!("fn {with}("))
            .nth(1)
            .and_then(|after| after.split("\n    }\n").next())
            .is_some_and(|b| b.contains("self.require("))
    })
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_public_store_method_checks_who_acts() {
    let all = public_methods(&src());
    assert!(all.len() > 100, "{} methods found", all.len());
    let unchecked: Vec<String> = all
        .iter()
        .filter(|(_, name, body)| !OPEN.contains(&name.as_str()) && !checks(body, name))
        .map(|(file, name, _)| format!("{file}: {name}"))
        .collect();
    assert!(
        unchecked.is_empty(),
        "no permission check:\n{}",
        unchecked.join("\n")
    );
    // The open list names only methods that exist.
    for name in OPEN {
        assert!(
            all.iter().any(|(_, n, _)| n == name),
            "{name} is not a method"
        );
    }
}

#[test]
fn a_read_without_a_check_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.rs"),
        "impl Store {\n    pub fn sneaky(&self) -> Result<i64> {\n        Ok(1)\n    }\n\n    \
         pub fn fine(&self) -> Result<i64> {\n        self.require(Perm::View)?;\n        Ok(1)\n    }\n}\n",
    )
    .unwrap();
    let all = public_methods(dir.path());
    let names: Vec<&str> = all
        .iter()
        .filter(|(_, n, b)| !checks(b, n))
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["sneaky"]);
}

/// A locked window (staff exist, nobody signed in) reads nothing through core itself.
#[test]
fn a_locked_window_reads_nothing() {
    use khachquen_core::store::audit::Via;
    let s = khachquen_core::Store::open_in_memory().unwrap();
    s.setup_owner("Chủ", "1234").unwrap();
    let id = s
        .add_customer(super::customer("An", "0912345678"))
        .unwrap()
        .id;
    s.set_interface(Via::Window);
    s.lock();
    let locked = |r: khachquen_core::Result<()>| {
        assert_eq!(r.unwrap_err().code(), "auth.locked");
    };
    locked(s.customer(id).map(drop));
    locked(s.profile(id, 10).map(drop));
    locked(s.search("An", 10).map(drop));
    locked(s.today(None, 10).map(drop));
    locked(s.report_rfm().map(drop));
    locked(s.check().map(drop));
    // The lock screen's own reads stay open.
    assert!(s.session_info().is_ok());
    assert!(s.settings().is_ok());
}
