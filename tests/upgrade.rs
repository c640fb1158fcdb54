//! Upgrades through the real binary: a shop file left by every earlier schema is backed up
//! (verified, named for the schema it had), upgraded with progress, audited, and its backup
//! restores the old data; a failed migration leaves the file as it was. And the support
//! log: start-ups, upgrades and error codes, never a phone number or a PIN.

use crate::support_cli::*;
use khachquen_core::db;
use std::path::{Path, PathBuf};

/// The backups in the data folder's backup folder.
fn backups(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d.join("backups"))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn user_version(path: &Path) -> i64 {
    rusqlite_conn(path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_older_schema_is_backed_up_upgraded_audited_and_restorable() {
    let latest = db::schema_version();
    for v in 1..latest {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        db::old_shop(&d.join("khachquen.db"), v as usize).unwrap();

        let out = kq_base(d, "vi")
            .args(["customer", "find", "nguyen duc", "--json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "from v{v}: {err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Nguyễn Văn Đức"),
            "from v{v}"
        );
        assert!(
            err.contains("Đang sao lưu dữ liệu trước khi nâng cấp… 100%")
                && err.contains("Đang nâng cấp dữ liệu… 100%")
                && err.contains(&format!(
                    "Đã nâng cấp dữ liệu từ phiên bản {v} lên {latest}."
                )),
            "from v{v}: {err}"
        );
        assert_eq!(user_version(&d.join("khachquen.db")), latest);

        // One backup, named for the schema it came from, shown in the message, verified.
        let files = backups(d);
        assert_eq!(files.len(), 1, "from v{v}: {files:?}");
        let file = files[0].display().to_string();
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("khachquen-")
                && name.ends_with(&format!("-before-upgrade-schema{v}.kqbackup")),
            "{name}"
        );
        assert!(err.contains(&file), "the message names the backup: {err}");
        let info = json(d, &["backup", "verify", &file]);
        assert_eq!(info["schema_version"], v, "from v{v}: {info}");
        assert_eq!(info["kind"], "before_upgrade");
        assert_eq!(info["counts"]["customers"], 1, "{info}");
        assert!(
            json(d, &["backup", "list"])
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["file"] == file.as_str() && b["ok"] == true),
            "listed with the others"
        );

        // The upgrade is in the audit log, by the system, with where its backup is.
        let page = json(d, &["audit", "list", "--action", "app.upgrade"]);
        let entries = page["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{page}");
        let after = entries[0]["after"].to_string();
        assert!(
            after.contains(&format!("\"from\":{v}")) && after.contains(&name),
            "{after}"
        );
        ok(d, &["audit", "verify"]);

        // Opening again changes nothing more.
        let again = kq(d, &["customer", "find", "nguyen duc"]);
        assert!(String::from_utf8_lossy(&again.stderr).is_empty());
        assert_eq!(backups(d).len(), 1);

        // The backup brings back the old version's data.
        ok(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Khách Mới",
                "--phone",
                "0987654321",
            ],
        );
        ok(d, &["backup", "restore", &file]);
        let found = json(d, &["customer", "find", "khach moi"]);
        assert_eq!(
            found.as_array().map(Vec::len),
            Some(0),
            "from v{v}: {found}"
        );
        let duc = json(d, &["customer", "show", "KH001"]);
        assert_eq!(duc["customer"]["name"], "Nguyễn Văn Đức", "{duc}");
        assert_eq!(
            json(d, &["settings", "get", "shop_name"])["shop_name"],
            "Tiệm cũ"
        );
        assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
    }
}

#[test]
fn a_failed_migration_leaves_the_file_as_it_was_and_names_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = d.join("khachquen.db");
    db::old_shop(&path, 13).unwrap();
    // Something an older app never made stands in step 14's way.
    rusqlite_conn(&path)
        .execute_batch("CREATE TABLE vouchers (planted)")
        .unwrap();
    let out = kq_base(d, "vi")
        .args(["customer", "find", "nguyen"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let files = backups(d);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = files[0].display().to_string();
    assert!(
        err.contains("Không nâng cấp được dữ liệu từ phiên bản 13 lên")
            && err.contains("Tệp dữ liệu vẫn nguyên như trước")
            && err.contains(&file),
        "{err}"
    );
    assert!(
        !err.contains("step 14"),
        "the technical detail is for the log: {err}"
    );
    // The file is still schema 13 with its rows, the planted table and no half-made step.
    assert_eq!(user_version(&path), 13);
    let conn = rusqlite_conn(&path);
    let (customers, planted, programs): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM customers),
                    (SELECT count(*) FROM sqlite_schema WHERE name = 'vouchers'),
                    (SELECT count(*) FROM sqlite_schema WHERE name = 'voucher_programs')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((customers, planted, programs), (1, 1, 0));
    // The reason is in the log.
    let log = std::fs::read_to_string(d.join("logs/khachquen.log")).unwrap();
    assert!(
        log.contains("upgrade: the migration failed") && log.contains("step 14"),
        "{log}"
    );
}

#[test]
fn the_log_has_start_ups_upgrades_and_error_codes_but_never_a_phone_or_a_pin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    db::old_shop(&d.join("khachquen.db"), 12).unwrap();
    ok(d, &["customer", "find", "nguyen"]);
    ok_env(
        d,
        &[("KHACHQUEN_NEW_PIN", "2468")],
        &["staff", "add", "--name", "Chị Lan", "--role", "owner"],
    );
    let owner = [("KHACHQUEN_PIN", "2468")];
    let add = [
        "customer",
        "add",
        "--name",
        "Trần Thị Bình",
        "--phone",
        "0903 111 222",
    ];
    ok_env(d, &owner, &add);
    // Refused: the phone is taken; then a wrong PIN.
    assert_eq!(kq_env(d, &owner, &add).status.code(), Some(1));
    let wrong = kq_env(d, &[("KHACHQUEN_PIN", "9753")], &add);
    assert_eq!(wrong.status.code(), Some(1));
    // Original customer's phone in a lookup that finds nobody else.
    ok(d, &["customer", "find", "0912345678"]);

    let log = std::fs::read_to_string(d.join("logs/khachquen.log")).unwrap();
    for needle in [
        "start interface=\"cli\"",
        "upgrade: backup verified",
        "upgrade: done",
        "customer.phone_taken",
        "auth.",
    ] {
        assert!(log.contains(needle), "{needle:?} missing: {log}");
    }
    for secret in [
        "0903111222",
        "0903 111 222",
        "111 222",
        "0912345678",
        "2468",
        "9753",
        "Trần Thị Bình",
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log: {log}");
    }
    // The log folder is the user's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("logs"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    // Exported for support: one file, the header first, the log after.
    let target = d.join("support.txt");
    ok(d, &["logs", "export", target.to_str().unwrap()]);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("Khách Quen 0.1.0 · schema "), "{text}");
    assert!(text.contains("==> khachquen.log <==") && text.contains("upgrade: done"));
}

#[test]
fn version_names_the_schema_and_a_stray_word_is_not_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["--version"]);
    assert_eq!(
        out.trim(),
        format!(
            "khachquen {} (schema {})",
            env!("CARGO_PKG_VERSION"),
            db::schema_version()
        )
    );
    let out = kq(dir.path(), &["custmer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither a command nor a backup file"));
}
