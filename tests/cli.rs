//! The real `khachquen` binary on temp data folders: the stable command-line contract.

use khachquen_core::Store;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub fn kq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_khachquen"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--lang", "en"])
        .args(args)
        .env_remove("KHACHQUEN_DATA_DIR")
        .output()
        .expect("run khachquen")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = kq(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(dir, &a)).expect("one JSON document")
}

/// Exit 1, a readable message on stderr containing `needle`, and no data changed.
fn refused(dir: &Path, args: &[&str], needle: &str) {
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

fn snapshot(dir: &Path) -> Value {
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

#[test]
fn add_find_show_and_record_a_purchase() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Văn Đức",
            "--phone",
            "0912 345 678",
            "--code",
            "KH001",
            "--birthday",
            "1990-05-12",
            "--email",
            "duc@example.com",
            "--tag",
            "VIP",
            "--tag",
            "sỉ",
        ],
    );
    assert_eq!(c["phone"], "0912345678");
    assert_eq!(c["tags"], serde_json::json!(["VIP", "sỉ"]));
    assert!(d.join("khachquen.db").exists());

    let found = json(d, &["customer", "find", "nguyen duc"]);
    assert_eq!(found[0]["name"], "Nguyễn Văn Đức");
    assert_eq!(found[0]["code"], "KH001");
    assert!(ok(d, &["customer", "find", "678"]).contains("Nguyễn Văn Đức"));

    let id = ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "+84 912 345 678",
            "--amount",
            "250000",
            "--at",
            "2026-11-01T10:00",
        ],
    );
    let id: i64 = id.trim().parse().expect("prints the purchase id");
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "KH001",
            "--amount",
            "500000",
            "--item",
            "Tai nghe;1;350000;12",
            "--item",
            "Ốp lưng;2;75000",
            "--payment",
            "transfer",
        ],
    );
    assert_eq!(r["stats"]["visits"], 2);
    assert_eq!(r["stats"]["total_spent"], "750000");
    assert_eq!(r["purchase"]["items"][0]["warranty_months"], 12);

    let show = json(d, &["customer", "show", "0912-345-678"]);
    assert_eq!(show["stats"]["visits"], 2);
    assert_eq!(show["purchases"][1]["id"], id);
    let human = ok(d, &["customer", "show", "KH001"]);
    assert!(
        human.contains("Visits: 2") && human.contains("750000"),
        "{human}"
    );
    let list = json(d, &["purchase", "list", "--customer", "KH001"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));

    let edited = json(
        d,
        &[
            "customer",
            "edit",
            "KH001",
            "--address",
            "12 Lê Lợi, Huế",
            "--birthday",
            "--05-12",
        ],
    );
    assert_eq!(edited["address"], "12 Lê Lợi, Huế");
    assert_eq!(edited["birthday"], "--05-12");
    assert_eq!(edited["email"], "duc@example.com", "unset flags stay");
    ok(d, &["customer", "archive", "KH001"]);
    assert_eq!(json(d, &["customer", "find", "duc"]), serde_json::json!([]));
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Văn Đức",
            "--phone",
            "0912345678",
        ],
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Khác",
            "--phone",
            "+84 912 345 678",
        ],
        "Nguyễn Văn Đức",
    );
    refused(
        d,
        &["customer", "add", "--name", "Khác", "--phone", "12345"],
        "12345",
    );
    refused(
        d,
        &["customer", "add", "--name", " ", "--phone", "0987654321"],
        "name",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--email",
            "x@",
        ],
        "x@",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--birthday",
            "1990-13-01",
        ],
        "1990-13-01",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--referred-by",
            "0999999999",
        ],
        "0999999999",
    );
    refused(
        d,
        &["customer", "edit", "0900000000", "--name", "B"],
        "0900000000",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "-5",
        ],
        "negative",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "10.5",
        ],
        "VND",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "250.000",
        ],
        "VND",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--item",
            "A;1;900",
        ],
        "900",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--item",
            "no-semicolons",
        ],
        "no-semicolons",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--at",
            "31/12/2026",
        ],
        "31/12/2026",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--payment",
            "barter",
        ],
        "barter",
    );
    refused(d, &["settings", "set", "currency", "XYZ"], "XYZ");
    refused(
        d,
        &["settings", "set", "timezone", "Mars/Base"],
        "Mars/Base",
    );
    refused(d, &["settings", "get", "colour"], "colour");
    ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
        ],
    );
    refused(d, &["settings", "set", "currency", "USD"], "currency");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["customer", "add", "--name", "A"][..],
        &["purchase"],
        &["nonsense"],
        &["--lang", "fr", "db", "check"],
    ] {
        assert_eq!(kq(dir.path(), args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn messages_follow_lang() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_khachquen"))
        .args(["--lang", "vi", "--data-dir"])
        .arg(dir.path())
        .args(["customer", "add", "--name", "A", "--phone", "123"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Số điện thoại") || err.contains("số điện thoại"),
        "{err}"
    );
}

#[test]
fn data_dir_from_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_khachquen"))
        .env("KHACHQUEN_DATA_DIR", dir.path())
        .args(["settings", "set", "shop_name", "Tiệm Cà Phê Mây"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        ok(dir.path(), &["settings", "get", "shop_name"]).trim(),
        "Tiệm Cà Phê Mây"
    );
    assert_eq!(
        json(dir.path(), &["settings", "get", "currency"])["currency"],
        "VND"
    );
}

#[test]
fn newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["db", "check"]);
    let path = dir.path().join("khachquen.db");
    {
        let conn = rusqlite_conn(&path);
        conn.execute_batch("PRAGMA user_version = 999; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let out = kq(dir.path(), &["customer", "find", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

fn rusqlite_conn(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn demo_fills_an_empty_shop_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = json(
        dir.path(),
        &[
            "demo",
            "--customers",
            "200",
            "--purchases",
            "1000",
            "--seed",
            "3",
        ],
    );
    assert_eq!(
        (r["customers"].as_u64(), r["purchases"].as_u64()),
        (Some(200), Some(1000))
    );
    let again = kq(
        dir.path(),
        &["demo", "--customers", "10", "--purchases", "10"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(ok(dir.path(), &["db", "check"]).trim(), "ok");
}

#[test]
fn loyalty_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Mai",
            "--phone",
            "0987654321",
        ],
    );
    let shown = ok(d, &["loyalty", "show"]);
    assert!(
        shown.contains("earn_per = 10000") && shown.contains("Kim cương:30000000:2"),
        "{shown}"
    );
    ok(
        d,
        &["loyalty", "set", "min_redeem=20", "max_redeem_percent=40"],
    );
    ok(
        d,
        &[
            "loyalty",
            "tiers",
            "set",
            "Thường:0:1",
            "Thân thiết:2000000:1.5",
        ],
    );
    let cfg = json(d, &["loyalty", "show"]);
    assert_eq!(cfg["rules"]["min_redeem"], 20);
    assert_eq!(cfg["tiers"][1]["name"], "Thân thiết");

    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "2500000",
            "--id",
            "bill-1",
        ],
    );
    assert_eq!(r["points_earned"], 250);
    assert_eq!(r["loyalty"]["tier"], "Thân thiết");
    let again = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "2500000",
            "--id",
            "bill-1",
        ],
    );
    assert_eq!(
        again["purchase"]["id"], r["purchase"]["id"],
        "replay records once"
    );
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "80",
        ],
    );
    assert_eq!(
        (r["points_redeemed"].as_i64(), r["discount"].as_str()),
        (Some(80), Some("80000"))
    );
    assert_eq!(r["loyalty"]["balance"], 250 - 80 + 18);
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "81",
        ],
        "40%",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "10",
        ],
        "20",
    );
    refused(d, &["loyalty", "set", "max_redeem_percent=150"], "150");
    refused(d, &["loyalty", "tiers", "set", "A:100:1"], "0");
    refused(
        d,
        &[
            "points",
            "adjust",
            "0987654321",
            "--delta",
            "5",
            "--reason",
            " ",
        ],
        "reason",
    );

    let adj = json(
        d,
        &[
            "points",
            "adjust",
            "0987654321",
            "--delta",
            "-8",
            "--reason",
            "đổi móc khóa",
        ],
    );
    assert_eq!(adj["loyalty"]["balance"], 180);
    let pid = r["purchase"]["id"].as_i64().unwrap().to_string();
    let refund = json(d, &["purchase", "refund", &pid, "--amount", "100000"]);
    assert_eq!(
        (
            refund["points_returned"].as_i64(),
            refund["points_reversed"].as_i64()
        ),
        (Some(40), Some(9))
    );
    let pts = json(d, &["points", "show", "0987654321"]);
    assert_eq!(pts["loyalty"]["balance"], 180 + 40 - 9);
    let kinds: Vec<&str> = pts["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in ["earn", "redeem", "adjust", "refund"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let exp = json(d, &["points", "expire", "--as-of", "2030-01-01"]);
    assert_eq!(exp["expired_points"], 211);
    assert_eq!(
        json(d, &["points", "expire", "--as-of", "2030-01-01"])["expired_points"],
        0
    );
    assert!(ok(d, &["points", "show", "0987654321"]).contains("expire"));
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}
