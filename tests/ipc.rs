//! The Tauri commands through the mock runtime: no display, real SQLite file.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct App {
    dir: tempfile::TempDir,
    _app: tauri::App<tauri::test::MockRuntime>,
    window: WebviewWindow<tauri::test::MockRuntime>,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = khachquen_core::Store::open(&dir.path().join("khachquen.db")).unwrap();
    let app = khachquen_app::build_app(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    // .setup() does not run under the mock runtime, so state is managed after build().
    app.manage(khachquen_app::app_state(store, dir.path().to_owned()));
    app.manage(khachquen_app::commands::app::Startup::new(
        khachquen_app::commands::app::StartupStatus {
            state: "ready",
            ..Default::default()
        },
    ));
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        dir,
        _app: app,
        window,
    }
}

/// The owner "Chị Lan" (PIN 1234, signed in) and the cashier "Minh" (PIN 1111).
fn owner_and_cashier(a: &App) {
    invoke(a, "auth_setup", json!({"name": "Chị Lan", "pin": "1234"})).unwrap();
    add_cashier(a);
}

fn add_cashier(a: &App) {
    invoke(
        a,
        "staff_add",
        json!({"input": {"name": "Minh", "role": "cashier"}, "pin": "1111"}),
    )
    .unwrap();
}

fn invoke(a: &App, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        &a.window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn counter_flow_through_ipc() {
    let a = app();
    let info = invoke(&a, "app_info", json!({})).unwrap();
    assert_eq!(info["customers"], 0);
    assert_eq!(info["settings"]["currency"], "VND");
    let c = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Văn Đức", "phone": "0912 345 678"}}),
    )
    .unwrap();
    let id = c["id"].as_i64().unwrap();
    let found = invoke(&a, "customer_search", json!({"query": "duc", "limit": 10})).unwrap();
    assert_eq!(found["rows"][0]["id"], id);
    assert_eq!(found["rows"][0]["phone_display"], "0912 345 678");
    let r = invoke(
        &a,
        "purchase_add",
        json!({"input": {"customer_id": id, "amount": "250000"}}),
    )
    .unwrap();
    assert_eq!(r["stats"]["visits"], 1);
    assert_eq!(r["stats"]["total_spent"], "250000");
    let p = invoke(&a, "customer_get", json!({"id": id})).unwrap();
    assert_eq!(p["purchases"][0]["total"], "250000");
    let page = invoke(
        &a,
        "customer_list",
        json!({"query": {"sort": "total_spent", "desc": true, "offset": 0, "limit": 50}}),
    )
    .unwrap();
    assert_eq!(page["total"], 1);
    let upd = invoke(
        &a,
        "customer_update",
        json!({"id": id, "input": {"note": "Thích cà phê", "tags": ["VIP"]}}),
    )
    .unwrap();
    assert_eq!(upd["note"], "Thích cà phê");
    assert_eq!(
        invoke(&a, "customer_tags", json!({})).unwrap(),
        json!(["VIP"])
    );
    let arch = invoke(&a, "customer_archive", json!({"id": id})).unwrap();
    assert!(arch["archived_at"].is_string());
}

#[test]
fn errors_arrive_as_code_message_params_in_the_interface_language() {
    let a = app();
    let e = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "A", "phone": "123"}}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "customer.phone_invalid");
    assert_eq!(e["params"]["field"], "phone");
    assert!(e["message"].as_str().unwrap().contains("123"));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("số điện thoại"),
        "Vietnamese by default: {e}"
    );
    invoke(
        &a,
        "settings_set",
        json!({"key": "language", "value": "en"}),
    )
    .unwrap();
    let e = invoke(
        &a,
        "purchase_add",
        json!({"input": {"customer_id": 999, "amount": "1"}}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "customer.not_found");
    assert!(e["message"].as_str().unwrap().contains("999"), "{e}");
    let e = invoke(
        &a,
        "settings_set",
        json!({"key": "timezone", "value": "Nowhere"}),
    )
    .unwrap_err();
    assert_eq!(e["params"]["field"], "timezone");
}

#[test]
fn the_demo_shop_lives_in_its_own_folder_and_never_touches_the_owners() {
    let a = app();
    invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Văn An", "phone": "0912345678"}}),
    )
    .unwrap();
    let customers_in = |p: &std::path::Path| -> i64 {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .unwrap()
    };
    let own = a.dir.path().join("khachquen.db");
    let demo_db = a.dir.path().join("demo-shop").join("khachquen.db");
    // A shop with data may try the demo too: it goes to its own folder.
    let r = invoke(
        &a,
        "demo_create",
        json!({"customers": 50, "purchases": 200}),
    )
    .unwrap();
    assert_eq!(r["purchases"], 200);
    let info = invoke(&a, "app_info", json!({})).unwrap();
    assert_eq!(
        (info["demo"].as_bool(), info["customers"].as_i64()),
        (Some(true), Some(50))
    );
    assert_eq!(customers_in(&own), 1, "the owner's file is untouched");
    assert_eq!(customers_in(&demo_db), 50);
    // Made with today's reminders, as the hourly pass would (it runs on the owner's shop).
    let open = invoke(&a, "reminder_list", json!({"due": "all"})).unwrap();
    assert!(!open.as_array().unwrap().is_empty(), "{open}");
    // Opening it again while on it makes nothing new.
    assert_eq!(invoke(&a, "demo_create", json!({})).unwrap(), Value::Null);
    // The language chosen on the demo stays chosen on the way back.
    invoke(
        &a,
        "settings_set",
        json!({"key": "language", "value": "en"}),
    )
    .unwrap();
    invoke(&a, "demo_leave", json!({"delete": false})).unwrap();
    let info = invoke(&a, "app_info", json!({})).unwrap();
    assert_eq!(
        (info["demo"].as_bool(), info["customers"].as_i64()),
        (Some(false), Some(1))
    );
    assert_eq!(info["settings"]["language"], "en");
    // Back to it: the same demo shop, not a second one.
    assert_eq!(invoke(&a, "demo_create", json!({})).unwrap(), Value::Null);
    assert_eq!(invoke(&a, "app_info", json!({})).unwrap()["customers"], 50);
    invoke(&a, "demo_leave", json!({"delete": true})).unwrap();
    assert!(!a.dir.path().join("demo-shop").exists());
    assert_eq!(invoke(&a, "app_info", json!({})).unwrap()["customers"], 1);
    assert_eq!(customers_in(&own), 1);
}

#[test]
fn a_demo_folder_holding_something_else_is_neither_used_nor_deleted() {
    let a = app();
    // A link planted where the demo folder goes, to a folder with a file of its own.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("keep.txt"), "mine").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), a.dir.path().join("demo-shop")).unwrap();
    let e = invoke(&a, "demo_create", json!({})).unwrap_err();
    assert_eq!(e["code"], "demo.folder_foreign");
    let e = invoke(&a, "demo_leave", json!({"delete": true})).unwrap_err();
    assert_eq!(e["code"], "demo.folder_foreign");
    assert_eq!(
        std::fs::read_dir(elsewhere.path()).unwrap().count(),
        1,
        "nothing was written or removed through the link"
    );
    std::fs::remove_file(a.dir.path().join("demo-shop")).unwrap();
    // Another shop's database in the demo folder is not the demo either.
    let other = a.dir.path().join("demo-shop").join("khachquen.db");
    let s = khachquen_core::Store::open(&other).unwrap();
    s.add_customer(khachquen_core::model::CustomerInput {
        name: Some("Trần Thị Bình".into()),
        phone: Some("0987654321".into()),
        ..Default::default()
    })
    .unwrap();
    drop(s);
    let e = invoke(&a, "demo_create", json!({})).unwrap_err();
    assert_eq!(e["code"], "demo.folder_foreign");
    let e = invoke(&a, "demo_leave", json!({"delete": true})).unwrap_err();
    assert_eq!(e["code"], "demo.folder_foreign");
    assert!(other.exists());
    assert_eq!(invoke(&a, "app_info", json!({})).unwrap()["demo"], false);
}

#[test]
fn loyalty_through_ipc() {
    let a = app();
    let c = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Lê Hoàng Yến", "phone": "0903111222"}}),
    )
    .unwrap();
    let id = c["id"].as_i64().unwrap();
    invoke(
        &a,
        "purchase_add",
        json!({"input": {"customer_id": id, "amount": "1000000", "client_id": "a1"}}),
    )
    .unwrap();
    let q = invoke(
        &a,
        "purchase_quote",
        json!({"input": {"customer_id": id, "amount": "100000", "redeem": 50}}),
    )
    .unwrap();
    assert_eq!(
        (
            q["discount"].as_str(),
            q["pay"].as_str(),
            q["max_points"].as_i64()
        ),
        (Some("50000"), Some("50000"), Some(50))
    );
    let e = invoke(
        &a,
        "purchase_quote",
        json!({"input": {"customer_id": id, "amount": "100000", "redeem": 60}}),
    )
    .unwrap_err();
    assert_eq!(
        (e["code"].as_str(), e["params"]["field"].as_str()),
        (Some("loyalty.redeem_over_cap"), Some("redeem"))
    );
    let r = invoke(
        &a,
        "purchase_add",
        json!({"input": {"customer_id": id, "amount": "100000", "redeem": 50, "client_id": "a2"}}),
    )
    .unwrap();
    assert_eq!(r["loyalty"]["balance"], 55);
    let rows =
        invoke(&a, "customer_search", json!({"query": "yen", "limit": 5})).unwrap()["rows"].clone();
    assert_eq!(
        (rows[0]["points"].as_i64(), rows[0]["tier"].as_str()),
        (Some(55), Some("Thành viên"))
    );
    let pid = r["purchase"]["id"].as_i64().unwrap();
    let refund = invoke(&a, "purchase_refund", json!({"id": pid})).unwrap();
    assert_eq!(refund["points_returned"], 50);
    let adj = invoke(
        &a,
        "points_adjust",
        json!({"customer_id": id, "delta": 5, "reason": "sinh nhật"}),
    )
    .unwrap();
    assert_eq!(adj["entry"]["kind"], "adjust");
    let cfg = invoke(
        &a,
        "loyalty_set",
        json!({"rules": {"min_redeem": 5, "earn_per": "20000"}}),
    )
    .unwrap();
    assert_eq!(
        (
            cfg["rules"]["min_redeem"].as_i64(),
            cfg["rules"]["earn_per"].as_str()
        ),
        (Some(5), Some("20000"))
    );
    let e = invoke(
        &a,
        "loyalty_set",
        json!({"rules": {"max_redeem_percent": 120}}),
    )
    .unwrap_err();
    assert_eq!(e["params"]["field"], "max_redeem_percent");
    let cfg = invoke(
        &a,
        "loyalty_set_tiers",
        json!({"tiers": [{"name": "Thường", "threshold": "0", "multiplier": "1"}]}),
    )
    .unwrap();
    assert_eq!(cfg["tiers"].as_array().map(Vec::len), Some(1));
    let p = invoke(&a, "customer_get", json!({"id": id})).unwrap();
    assert!(p["ledger"].as_array().unwrap().len() >= 4);
    assert!(!p["tier_history"].as_array().unwrap().is_empty());
}

#[test]
fn data_in_and_out_through_ipc() {
    let a = app();
    let d = a.dir.path();
    let csv = d.join("khach.csv");
    std::fs::write(
        &csv,
        "Mã khách hàng,Tên khách hàng,Điện thoại,Ngày sinh\nKH001,Nguyễn Văn Đức,0912 345 678,12/05/1990\nKH002,Trần Thị Mai,0987654321,\n",
    )
    .unwrap();
    let p = invoke(
        &a,
        "import_preview",
        json!({"kind": "customers", "path": csv}),
    )
    .unwrap();
    assert_eq!(p["report"]["rows"], 2);
    assert_eq!(p["headers"].as_array().map(Vec::len), Some(4));
    let r = invoke(&a, "import_run", json!({"kind": "customers", "path": csv})).unwrap();
    assert_eq!(
        (r["inserted"].as_u64(), r["committed"].as_bool()),
        (Some(2), Some(true))
    );
    let again = invoke(&a, "import_run", json!({"kind": "customers", "path": csv})).unwrap();
    assert_eq!(again["unchanged"], 2, "re-importing changes nothing");

    let out = d.join("khach.xlsx");
    let e = invoke(&a, "export_run", json!({"kind": "customers", "path": out})).unwrap();
    assert_eq!(
        (e["rows"].as_u64(), e["format"].as_str()),
        (Some(2), Some("xlsx"))
    );
    assert!(out.exists());

    let b = invoke(&a, "backup_create", json!({})).unwrap();
    assert_eq!(b["counts"]["customers"], 2);
    let file = b["file"].as_str().unwrap().to_owned();
    assert!(invoke(&a, "backup_status", json!({})).unwrap()["last_ok_at"].is_string());
    assert_eq!(
        invoke(&a, "backup_list", json!({}))
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    invoke(&a, "backup_verify", json!({"file": file})).unwrap();
    invoke(&a, "customer_add", json!({"input": {"name": "Nguyễn Văn Đức", "phone": "0933000111", "birthday": "1990-05-12"}})).unwrap();
    let dups = invoke(&a, "customer_duplicates", json!({})).unwrap();
    let group = &dups["groups"][0];
    let keep = group["suggested_keep"].as_i64().unwrap();
    let other = group["customers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .find(|&id| id != keep)
        .unwrap();
    let m = invoke(&a, "customer_merge", json!({"keep": keep, "other": other})).unwrap();
    assert_eq!(m["kept"]["id"], keep);
    // Restoring the backup brings back the shop as it was: two customers, no merge.
    let restored = invoke(&a, "backup_restore", json!({"file": file})).unwrap();
    assert!(restored["check"]["ok"].as_bool().unwrap_or(false));
    assert!(std::path::Path::new(restored["safety_copy"].as_str().unwrap()).exists());
    assert_eq!(invoke(&a, "app_info", json!({})).unwrap()["customers"], 2);
    // With a backup passphrase set, a plain file goes in only once the owner confirmed.
    khachquen_core::backup::crypto::set_work_factor_for_tests(4);
    invoke(
        &a,
        "backup_configure",
        json!({"passphrase": "mật khẩu cửa hàng"}),
    )
    .unwrap();
    let e = invoke(&a, "backup_restore", json!({"file": file})).unwrap_err();
    assert_eq!(e["code"], "backup.plain_needs_confirm", "{e}");
    assert_eq!(e["params"]["file"], file.as_str());
    let again = invoke(
        &a,
        "backup_restore",
        json!({"file": file, "allow_unencrypted": true}),
    )
    .unwrap();
    assert_eq!(again["restored"]["encrypted"], false);
    let bad = d.join("not-a-backup.db");
    std::fs::write(&bad, b"hello").unwrap();
    let e = invoke(&a, "backup_restore", json!({"file": bad})).unwrap_err();
    assert!(e["code"].as_str().unwrap().starts_with("backup."), "{e}");
    let (code, message) = (e["code"].as_str().unwrap(), e["message"].as_str().unwrap());
    assert!(
        !message.contains(code) && message.contains("Khách Quen"),
        "translated: {e}"
    );
}

#[test]
fn customer_care_through_ipc() {
    let a = app();
    let c = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Thị Hương", "phone": "0987654321", "gender": "female"}}),
    )
    .unwrap();
    let id = c["id"].as_i64().unwrap();
    let r = invoke(
        &a,
        "reminder_add",
        json!({"input": {"customer_id": id, "due_date": "2026-06-14", "title": "Gọi lại"}}),
    )
    .unwrap();
    let rid = r["id"].as_i64().unwrap();
    let t = invoke(&a, "reminder_today", json!({"as_of": "2026-06-15"})).unwrap();
    assert_eq!(t["overdue"]["total"], 1);
    assert_eq!(
        t["overdue"]["rows"][0]["customer"]["name"],
        "Nguyễn Thị Hương"
    );
    assert_eq!(t["overdue"]["rows"][0]["overdue"], true);
    let done = invoke(
        &a,
        "reminder_done",
        json!({"id": rid, "log": {"channel": "phone", "outcome": "Khách sẽ ghé"}}),
    )
    .unwrap();
    assert_eq!(done["status"], "done");
    let care = invoke(&a, "customer_care", json!({"id": id})).unwrap();
    let kinds: Vec<&str> = care["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"interaction") && kinds.contains(&"reminder"),
        "{kinds:?}"
    );
    let rendered = invoke(
        &a,
        "template_render",
        json!({"name": "cam-on", "customer_id": id}),
    )
    .unwrap();
    assert!(rendered["text"]
        .as_str()
        .unwrap()
        .starts_with("Chào chị Hương"));
    let rules = invoke(
        &a,
        "reminder_rules_set",
        json!({"rules": {"thank_you.enabled": false, "check_in.min_amount": "300000"}}),
    )
    .unwrap();
    assert_eq!(rules["thank_you"]["enabled"], false);
    assert_eq!(rules["check_in"]["min_amount"], "300000");
    let err = invoke(
        &a,
        "reminder_snooze",
        json!({"id": rid, "to": "2030-01-01"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "reminder.closed");
    assert!(err["message"].as_str().unwrap().contains("đã đóng"));
    let err = invoke(
        &a,
        "survey_add",
        json!({"input": {"customer_id": id, "kind": "csat", "score": 9}}),
    )
    .unwrap_err();
    assert_eq!(
        (err["code"].as_str(), err["params"]["field"].as_str()),
        (Some("survey.score_invalid"), Some("score"))
    );
    let path = a.dir.path().join("msgs.csv");
    let e = invoke(
        &a,
        "template_export",
        json!({"name": "cam-on", "filter": {"search": "huong"}, "path": path}),
    )
    .unwrap();
    assert_eq!(e["rows"], 1);
}

#[test]
fn analytics_through_ipc() {
    let a = app();
    invoke(
        &a,
        "demo_create",
        json!({"customers": 300, "purchases": 1500}),
    )
    .unwrap();
    let r = invoke(&a, "analytics_refresh", json!({})).unwrap();
    assert_eq!(r["customers"].as_i64().map(|n| n > 200), Some(true));
    let churn = invoke(&a, "report_churn", json!({"period": "quarter"})).unwrap();
    assert!(!churn["periods"].as_array().unwrap().is_empty());
    let rfm = invoke(&a, "report_rfm", json!({})).unwrap();
    assert_eq!(rfm["grid"].as_array().unwrap().len(), 25);
    let life = invoke(&a, "report_lifecycle", json!({})).unwrap();
    assert_eq!(life["stages"].as_array().unwrap().len(), 5);
    let list = invoke(
        &a,
        "customer_list",
        json!({"query": {"stage": "develop", "offset": 0, "limit": 5}}),
    )
    .unwrap();
    assert!(list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["stage"] == "develop"));
    let err = invoke(&a, "analytics_set_rules", json!({"inactive_days": 1})).unwrap_err();
    assert_eq!(err["code"], "analytics.rule_invalid");
    assert_eq!(err["params"]["field"], "inactive_days");
    let rules = invoke(&a, "analytics_set_rules", json!({"inactive_days": 60})).unwrap();
    assert_eq!(rules["inactive_days"], 60);
    let path = a.dir.path().join("churn.xlsx");
    let e = invoke(
        &a,
        "report_export",
        json!({"report": "churn", "args": {"period": "month"}, "path": path}),
    )
    .unwrap();
    assert!(e["rows"].as_u64().unwrap() >= 1);
    assert!(path.exists());
}

/// Who may call a command once staff exist.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    /// The lock screen's own commands: anyone, even locked.
    Open,
    /// The counter's work: owner and cashier.
    Serve,
    /// The owner's work.
    Owner,
}

/// Who may call a command, from core's table (`khachquen_core::store::session::COMMANDS`).
fn class_of(cmd: &str) -> Class {
    use khachquen_core::store::session::{command_permission, Perm};
    match command_permission(cmd) {
        None => panic!("{cmd} is not in core's COMMANDS table"),
        // The owner's, but for the interface language (commandPermission's one exception),
        // and the matrix calls it with the language.
        Some(Some(Perm::Settings)) if cmd == "settings_set" => Class::Serve,
        Some(None) => Class::Open,
        Some(Some(Perm::View | Perm::Serve)) => Class::Serve,
        Some(Some(_)) => Class::Owner,
    }
}

/// Every command with arguments that pass deserialisation. Ids that do not exist (999) keep
/// an allowed call from changing what later rows rely on.
fn matrix(dir: &std::path::Path) -> Vec<(&'static str, Value)> {
    let file = |n: &str| dir.join(n).display().to_string();
    vec![
        ("app_info", json!({})),
        ("app_startup", json!({})),
        ("app_about", json!({})),
        // An unknown folder: refused before anything is opened.
        ("app_open_folder", json!({"which": "nope"})),
        ("logs_export", json!({"path": file("logs.txt")})),
        // Refused: the window was not started for the panic test.
        ("debug_panic", json!({})),
        ("settings_get", json!({})),
        ("auth_status", json!({})),
        ("auth_setup", json!({"name": "X", "pin": "1234"})),
        ("auth_sign_in", json!({"staff_id": 1, "pin": "1234"})),
        ("auth_lock", json!({})),
        ("demo_create", json!({"customers": 5, "purchases": 5})),
        // Straight back, so the rows below run on the owner's shop.
        ("demo_leave", json!({"delete": false})),
        ("settings_set", json!({"key": "language", "value": "vi"})),
        // The window started on a file: nothing to reconnect, the status as it is.
        ("app_reconnect", json!({})),
        // Nothing listens on port 1: refused by the server's absence, after the role check.
        (
            "server_connect",
            json!({"url": "postgres://kq@127.0.0.1:1/shop", "counter": "Quầy 1"}),
        ),
        ("server_disconnect", json!({})),
        ("customer_search", json!({"query": "an", "limit": 5})),
        ("customer_list", json!({"query": {"offset": 0, "limit": 5}})),
        ("customer_tags", json!({})),
        ("customer_get", json!({"id": 1})),
        (
            "customer_add",
            json!({"input": {"name": "Lê Văn Tâm", "phone": "0987000111"}}),
        ),
        (
            "customer_update",
            json!({"id": 1, "input": {"name": "Nguyễn Văn An"}}),
        ),
        ("customer_archive", json!({"id": 999})),
        (
            "purchase_add",
            json!({"input": {"customer_id": 1, "amount": "50000"}}),
        ),
        // On a file the bill is recorded at once (nothing is ever kept for it).
        (
            "purchase_keep",
            json!({"reference": "0987000111", "input": {"customer_id": 0, "amount": "50000"}}),
        ),
        ("queue_list", json!({})),
        ("queue_send", json!({})),
        // Nothing kept: refused as unknown, after the role check.
        ("queue_drop", json!({"seq": 999})),
        ("loyalty_get", json!({})),
        ("loyalty_set", json!({"rules": {"earn_per": "10000"}})),
        ("loyalty_set_tiers", json!({"tiers": []})),
        (
            "purchase_quote",
            json!({"input": {"customer_id": 1, "amount": "50000"}}),
        ),
        ("purchase_refund", json!({"id": 999})),
        ("customer_vouchers", json!({"id": 1})),
        (
            "card_print",
            json!({"id": 1, "path": "/nonexistent/cards.pdf", "label": "Thẻ"}),
        ),
        ("program_overview", json!({})),
        (
            "program_add",
            json!({"input": {"name": "Giảm 5k", "kind": "amount", "value": "5000", "until": "2099-12-31"}}),
        ),
        ("program_end", json!({"id": 999})),
        ("voucher_issue", json!({"id": 999, "filter": {}})),
        ("campaign_overview", json!({})),
        ("campaign_add", json!({"input": {"name": "Tri ân"}})),
        ("campaign_launch", json!({"id": 999})),
        (
            "points_adjust",
            json!({"customer_id": 1, "delta": 5, "reason": "gift"}),
        ),
        (
            "import_preview",
            json!({"kind": "customers", "path": file("none.csv")}),
        ),
        (
            "import_run",
            json!({"kind": "customers", "path": file("none.csv")}),
        ),
        (
            "export_run",
            json!({"kind": "customers", "path": file("out.csv")}),
        ),
        ("backup_create", json!({"file": file("b.db")})),
        ("backup_list", json!({})),
        ("backup_status", json!({})),
        ("backup_configure", json!({"keep": 7})),
        ("backup_verify", json!({"file": file("none.db")})),
        ("backup_restore", json!({"file": file("none.db")})),
        ("customer_duplicates", json!({})),
        ("customer_merge", json!({"keep": 998, "other": 999})),
        ("reminder_today", json!({})),
        ("reminder_list", json!({})),
        (
            "reminder_add",
            json!({"input": {"customer_id": 1, "due_date": "2099-01-01"}}),
        ),
        (
            "reminder_add_bulk",
            json!({"filter": {}, "due_date": "2099-01-01"}),
        ),
        ("reminder_done", json!({"id": 999})),
        ("reminder_snooze", json!({"id": 999, "to": "2099-01-02"})),
        ("reminder_cancel", json!({"id": 999})),
        ("reminder_generate", json!({})),
        ("reminder_rules_get", json!({})),
        ("reminder_rules_set", json!({"rules": {}})),
        (
            "interaction_add",
            json!({"input": {"customer_id": 1, "channel": "call", "summary": "hỏi thăm"}}),
        ),
        (
            "survey_add",
            json!({"input": {"customer_id": 1, "kind": "csat", "score": 5}}),
        ),
        ("customer_care", json!({"id": 1})),
        ("customer_confirm_details", json!({"id": 1})),
        ("warranty_list", json!({"reference": "1"})),
        (
            "ticket_add",
            json!({"input": {"customer_id": 1, "title": "Sửa máy"}}),
        ),
        ("ticket_set_status", json!({"id": 999, "status": "done"})),
        ("template_list", json!({})),
        (
            "template_save",
            json!({"name": "Test", "body": "Chào {ten}"}),
        ),
        ("template_delete", json!({"id": 999})),
        (
            "template_render",
            json!({"name": "thank-you", "customer_id": 1}),
        ),
        (
            "template_preview",
            json!({"name": "thank-you", "filter": {}}),
        ),
        (
            "template_export",
            json!({"name": "thank-you", "filter": {}, "path": file("m.csv")}),
        ),
        ("report_summary", json!({})),
        ("report_churn", json!({"period": "month"})),
        ("report_cohorts", json!({})),
        ("report_rfm", json!({})),
        ("report_lifecycle", json!({})),
        ("report_clv", json!({"model": "simple"})),
        ("report_at_risk", json!({})),
        ("report_staff", json!({})),
        ("report_counters", json!({})),
        (
            "report_export",
            json!({"report": "summary", "args": {}, "path": file("r.csv")}),
        ),
        ("analytics_refresh", json!({})),
        ("analytics_refresh_stale", json!({})),
        ("analytics_get_rules", json!({})),
        ("analytics_set_rules", json!({"inactive_days": 90})),
        ("staff_list", json!({})),
        (
            "staff_add",
            json!({"input": {"name": "Hoa", "role": "cashier"}, "pin": "5555"}),
        ),
        ("staff_update", json!({"id": 999, "input": {"name": "Hoa"}})),
        ("staff_set_active", json!({"id": 999, "active": false})),
        ("audit_list", json!({"filter": {}})),
        ("audit_verify", json!({})),
        (
            "reminder_snooze_bulk",
            json!({"ids": [999], "to": "2099-01-01"}),
        ),
        ("reminder_cancel_bulk", json!({"ids": [999]})),
    ]
}

fn code(r: &Result<Value, Value>) -> Option<String> {
    r.as_ref()
        .err()
        .map(|e| e["code"].as_str().unwrap_or("?").to_owned())
}

#[test]
fn role_matrix_every_command_for_owner_cashier_and_locked() {
    let a = app();
    owner_and_cashier(&a);
    invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Văn An", "phone": "0912345678"}}),
    )
    .unwrap();
    let rows = matrix(a.dir.path());
    // A command registered without a row here fails the test.
    let lib = include_str!("../src-tauri/src/lib.rs");
    let handler = lib.split("generate_handler![").nth(1).unwrap();
    let handler = handler.split("])").next().unwrap();
    let registered: Vec<&str> = handler
        .split("commands::")
        .skip(1)
        .filter_map(|s| s.split_once("::").map(|(_, rest)| rest))
        .map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap()
        })
        .collect();
    for cmd in &registered {
        assert!(
            rows.iter().any(|r| r.0 == *cmd),
            "{cmd} missing from the matrix"
        );
    }
    assert_eq!(registered.len(), rows.len());

    let denied_before = |a: &App| {
        invoke(a, "auth_sign_in", json!({"staff_id": 1, "pin": "1234"})).unwrap();
        let page = invoke(
            a,
            "audit_list",
            json!({"filter": {"action": "auth.denied", "limit": 1}}),
        );
        page.unwrap()["total"].as_i64().unwrap()
    };
    // Command -> the permission core names when it refuses a cashier.
    let mut refusals = std::collections::BTreeMap::new();
    for role in ["owner", "cashier", "locked"] {
        let before = denied_before(&a);
        let mut refused = 0;
        for (cmd, args) in &rows {
            let class = &class_of(cmd);
            match role {
                "owner" => invoke(&a, "auth_sign_in", json!({"staff_id": 1, "pin": "1234"})),
                "cashier" => invoke(&a, "auth_sign_in", json!({"staff_id": 2, "pin": "1111"})),
                _ => invoke(&a, "auth_lock", json!({})),
            }
            .unwrap();
            let r = invoke(&a, cmd, args.clone());
            let got = code(&r);
            let expected = match (role, class) {
                (_, Class::Open) | ("owner", _) | ("cashier", Class::Serve) => None,
                ("cashier", Class::Owner) => Some("auth.forbidden"),
                _ => Some("auth.locked"),
            };
            match expected {
                Some(want) => {
                    assert_eq!(got.as_deref(), Some(want), "{role} {cmd}: {r:?}");
                    refused += 1;
                }
                None => assert!(
                    !got.as_deref().is_some_and(|c| c.starts_with("auth.")),
                    "{role} {cmd} was refused: {r:?}"
                ),
            }
            if role == "cashier" && expected.is_some() {
                let e = r.unwrap_err();
                assert!(
                    e["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("Chỉ chủ cửa hàng"),
                    "{e}"
                );
                assert_eq!(e["params"]["role"], "cashier");
                refusals.insert(
                    cmd.to_string(),
                    e["params"]["permission"].as_str().unwrap_or("").to_owned(),
                );
            }
        }
        let logged = denied_before(&a) - before;
        match role {
            "owner" => assert_eq!((refused, logged), (0, 0)),
            "cashier" => {
                let owner_only = rows
                    .iter()
                    .filter(|r| class_of(r.0) == Class::Owner)
                    .count();
                assert_eq!((refused, logged), (owner_only, owner_only as i64));
            }
            // A locked window refuses everything before any change is tried: nobody to name.
            _ => {
                let open = rows.iter().filter(|r| class_of(r.0) == Class::Open).count();
                assert_eq!((refused, logged), (rows.len() - open, 0));
            }
        }
    }
    use khachquen_core::store::session::Perm;
    // Core's table names every command the window registers, and no other.
    let table: Vec<&str> = khachquen_core::store::session::COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(table.len(), registered.len());
    // What core refuses a cashier is what its table says, with the same permission.
    // settings_set is the owner's but for the interface language (commandPermission's one
    // exception), and the matrix calls it with the language: a cashier was let through.
    let owners: std::collections::BTreeMap<String, String> =
        khachquen_core::store::session::COMMANDS
            .iter()
            .filter(|(_, p)| p.is_some_and(|p| !matches!(p, Perm::View | Perm::Serve)))
            .map(|(c, p)| {
                (
                    c.to_string(),
                    p.map(|p| p.as_str()).unwrap_or("").to_owned(),
                )
            })
            .collect();
    let mut expected = owners.clone();
    assert_eq!(expected.remove("settings_set").as_deref(), Some("settings"));
    assert_eq!(refusals, expected);
    // The window's table of owner-only commands (ui/lib/roles.js) is core's.
    assert_eq!(ui_owner_commands(), owners);
}

/// OWNER_COMMANDS of ui/lib/roles.js: `  name: 'permission',` lines.
fn ui_owner_commands() -> std::collections::BTreeMap<String, String> {
    let js = include_str!("../ui/lib/roles.js");
    let table = js
        .split("const OWNER_COMMANDS = {")
        .nth(1)
        .and_then(|rest| rest.split("};").next())
        .expect("OWNER_COMMANDS in roles.js");
    table
        .lines()
        .filter_map(|l| {
            let (name, perm) = l.trim().trim_end_matches(',').split_once(':')?;
            Some((
                name.trim().to_owned(),
                perm.trim().trim_matches('\'').to_owned(),
            ))
        })
        .collect()
}

#[test]
fn template_list_offers_the_shop_language_and_the_audit_log_names_people() {
    let a = app();
    let names = |a: &App| -> Vec<String> {
        invoke(a, "template_list", json!({})).unwrap()["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let vi = names(&a);
    assert!(vi.contains(&"cam-on".to_owned()), "{vi:?}");
    assert!(
        !vi.contains(&"thank-you".to_owned()),
        "English built-ins in a Vietnamese shop: {vi:?}"
    );
    invoke(
        &a,
        "settings_set",
        json!({"key": "language", "value": "en"}),
    )
    .unwrap();
    let en = names(&a);
    assert!(
        en.contains(&"thank-you".to_owned()) && !en.contains(&"cam-on".to_owned()),
        "{en:?}"
    );

    let c = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Võ Thị Ánh", "phone": "0977123456"}}),
    )
    .unwrap();
    let id = c["id"].as_i64().unwrap();
    invoke(&a, "customer_archive", json!({"id": id})).unwrap();
    let page = invoke(
        &a,
        "audit_list",
        json!({"filter": {"customer_id": id, "offset": 0}}),
    )
    .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert!(entries.len() >= 2, "{page}");
    for e in entries {
        assert_eq!(
            e["customer_name"], "Võ Thị Ánh",
            "archived, still named: {e}"
        );
    }
}

// ---- issue 15 (today helper): Today's bulk actions, file errors in one sentence ----

/// Open reminders as (id, due date, status), soonest first.
fn open_reminders(a: &App) -> Vec<(i64, String)> {
    invoke(a, "reminder_list", json!({"due": "all"}))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["due_date"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn bulk_snooze_and_cancel_through_ipc() {
    let a = app();
    owner_and_cashier(&a);
    let c = invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Văn An", "phone": "0912345678"}}),
    )
    .unwrap();
    let today = invoke(&a, "reminder_today", json!({})).unwrap()["as_of"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: Vec<i64> = (0..4)
        .map(|i| {
            invoke(
                &a,
                "reminder_add",
                json!({"input": {"customer_id": c["id"], "due_date": today, "title": format!("Việc {i}")}}),
            )
            .unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let before = open_reminders(&a);
    let audits = |a: &App, action: &str| {
        invoke(
            a,
            "audit_list",
            json!({"filter": {"action": action, "limit": 1}}),
        )
        .unwrap()["total"]
            .as_i64()
            .unwrap()
    };
    // A bad id refuses the whole selection; nothing moves.
    let e = invoke(
        &a,
        "reminder_snooze_bulk",
        json!({"ids": [ids[0], 424242], "to": "2099-01-01"}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "reminder.not_found", "{e}");
    assert_eq!(open_reminders(&a), before);
    // An empty selection changes nothing.
    assert_eq!(
        invoke(
            &a,
            "reminder_snooze_bulk",
            json!({"ids": [], "to": "2099-01-01"})
        )
        .unwrap(),
        0
    );
    assert_eq!(
        invoke(&a, "reminder_cancel_bulk", json!({"ids": []})).unwrap(),
        0
    );
    assert_eq!(open_reminders(&a), before);
    // A date in the past, or not a date: nothing moves.
    let e = invoke(
        &a,
        "reminder_snooze_bulk",
        json!({"ids": [ids[0]], "to": "2000-01-01"}),
    )
    .unwrap_err();
    assert_eq!(e["code"], "reminder.snooze_past");
    assert!(invoke(
        &a,
        "reminder_snooze_bulk",
        json!({"ids": "1,2", "to": "2099-01-01"})
    )
    .is_err());
    assert_eq!(open_reminders(&a), before);
    // The cashier may snooze several, but not cancel them.
    invoke(&a, "auth_sign_in", json!({"staff_id": 2, "pin": "1111"})).unwrap();
    let e = invoke(&a, "reminder_cancel_bulk", json!({"ids": [ids[0], ids[1]]})).unwrap_err();
    assert_eq!(e["code"], "auth.forbidden", "{e}");
    assert_eq!(open_reminders(&a), before);
    let n = invoke(
        &a,
        "reminder_snooze_bulk",
        json!({"ids": [ids[0], ids[1], ids[0]], "to": "2099-01-01"}),
    )
    .unwrap();
    assert_eq!(n, 2);
    // The owner cancels the other two at once; one audit entry per reminder.
    invoke(&a, "auth_sign_in", json!({"staff_id": 1, "pin": "1234"})).unwrap();
    let (snoozed, cancelled) = (audits(&a, "reminder.snooze"), audits(&a, "reminder.cancel"));
    assert_eq!(snoozed, 2);
    let n = invoke(&a, "reminder_cancel_bulk", json!({"ids": [ids[2], ids[3]]})).unwrap();
    assert_eq!(n, 2);
    assert_eq!(audits(&a, "reminder.cancel"), cancelled + 2);
    let left = open_reminders(&a);
    assert_eq!(
        left,
        vec![
            (ids[0], "2099-01-01".to_owned()),
            (ids[1], "2099-01-01".to_owned())
        ]
    );
    // Closed ones in a selection refuse it.
    let e = invoke(&a, "reminder_cancel_bulk", json!({"ids": [ids[0], ids[2]]})).unwrap_err();
    assert_eq!(e["code"], "reminder.closed");
    assert_eq!(open_reminders(&a), left);
}

#[test]
fn broken_import_files_answer_in_one_sentence_through_ipc() {
    let a = app();
    let d = a.dir.path();
    invoke(
        &a,
        "customer_add",
        json!({"input": {"name": "Nguyễn Văn An", "phone": "0912345678"}}),
    )
    .unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Tên").unwrap();
    ws.write_string(0, 1, "Điện thoại").unwrap();
    ws.write_string(1, 0, "Bình").unwrap();
    ws.write_string(1, 1, "0912000002").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let put = |name: &str, b: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let cases = [
        (
            put("cut.xlsx", &bytes[..bytes.len() - 40]),
            "import.not_xlsx",
        ),
        (put("ghi-chu.xlsx", b"just some notes\n"), "import.not_xlsx"),
        (
            put("anh.csv", &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2]),
            "import.not_table",
        ),
        (put("rong.csv", b""), "import.empty"),
        (d.join("khong-co.csv"), "import.file_unreadable"),
    ];
    for (path, want) in &cases {
        for cmd in ["import_preview", "import_run"] {
            let e = invoke(&a, cmd, json!({"kind": "customers", "path": path})).unwrap_err();
            assert_eq!(e["code"], *want, "{cmd} {path:?}: {e}");
            let msg = e["message"].as_str().unwrap();
            for raw in ["Zip", "EOCD", "Xlsx", "os error", "No such file", "{"] {
                assert!(!msg.contains(raw), "{msg}");
            }
            assert!(
                !msg.contains(&d.display().to_string()),
                "names the file, not the path: {msg}"
            );
            assert!(e["params"].get("detail").is_none(), "{e}");
        }
    }
    assert_eq!(
        invoke(&a, "app_info", json!({})).unwrap()["customers"],
        1,
        "nothing written"
    );
}

/// Issue 15 item 2: a phone suffix shared by several customers answers the most likely one
/// first (latest visit, then visits) and says how many matched, so the counter can ask.
#[test]
fn customer_search_ranks_by_likelihood_and_counts_the_matches() {
    let a = app();
    let add = |name: &str, phone: &str| {
        invoke(
            &a,
            "customer_add",
            json!({"input": {"name": name, "phone": phone}}),
        )
        .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let first = add("Trần Văn Một", "0901 000 777");
    let second = add("Lê Thị Hai", "0902 000 777");
    let third = add("Phạm Ba", "0903 000 777");
    for (id, at) in [
        (second, "2025-01-02"),
        (third, "2025-01-01"),
        (third, "2024-12-01"),
    ] {
        invoke(
            &a,
            "purchase_add",
            json!({"input": {"customer_id": id, "amount": "50000", "at": at}}),
        )
        .unwrap();
    }
    let r = invoke(&a, "customer_search", json!({"query": "0777", "limit": 2})).unwrap();
    let ids: Vec<i64> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!((ids, r["total"].as_i64()), (vec![second, third], Some(3)));
    let one = invoke(&a, "customer_search", json!({"query": "mot", "limit": 20})).unwrap();
    assert_eq!(
        (one["total"].as_i64(), &one["rows"][0]["id"]),
        (Some(1), &json!(first))
    );
}

/// Issue 15 item 15: a cashier's reports carry no revenue figures at all (the rule is
/// core's), while the owner's do; the counts stay for both.
#[test]
fn a_cashiers_reports_hold_no_revenue() {
    let a = app();
    invoke(&a, "auth_setup", json!({"name": "Chị Lan", "pin": "1234"})).unwrap();
    invoke(
        &a,
        "demo_create",
        json!({"customers": 200, "purchases": 900}),
    )
    .unwrap();
    add_cashier(&a);
    let money = |v: &Value| v.is_string();
    let owner = invoke(&a, "report_summary", json!({})).unwrap();
    assert!(money(&owner["revenue"]) && money(&owner["revenue_split"]["first"]));
    assert_eq!(owner["revenue_hidden"], false);

    // The cashier opens Reports first, before any scores exist: they are computed as the
    // app's own work, not refused as the owner's "Tính lại".
    invoke(&a, "auth_sign_in", json!({"staff_id": 2, "pin": "1111"})).unwrap();
    let s = invoke(&a, "report_summary", json!({})).unwrap();
    assert_eq!(s["revenue_hidden"], true);
    assert!(s["customers"].as_i64().unwrap() > 0);
    for key in ["revenue", "average_basket", "simple_clv"] {
        assert!(s[key].is_null(), "{key}: {s}");
    }
    for key in ["first", "returning", "returning_share"] {
        assert!(s["revenue_split"][key].is_null(), "{key}: {s}");
    }
    let simple = invoke(&a, "report_clv", json!({"model": "simple"})).unwrap();
    assert!(simple["revenue"].is_null() && simple["simple_clv"].is_null());
    let rfm = invoke(&a, "report_rfm", json!({})).unwrap();
    let segments = rfm["segments"].as_array().unwrap();
    assert!(segments.iter().all(|x| x["revenue"].is_null()), "{rfm}");
    assert!(segments.iter().any(|x| x["count"].as_i64() > Some(0)));
    // Leaving the figures out is not a refusal: nothing lands in the audit log as denied.
    invoke(&a, "auth_sign_in", json!({"staff_id": 1, "pin": "1234"})).unwrap();
    let denied = invoke(
        &a,
        "audit_list",
        json!({"filter": {"action": "auth.denied"}}),
    )
    .unwrap();
    assert_eq!(denied["total"], 0, "{denied}");
    let rfm = invoke(&a, "report_rfm", json!({})).unwrap();
    assert!(rfm["segments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| money(&x["revenue"])));
}

/// The RFM grid the window draws is core's: report_rfm sends all 25 cells, rows R5..R1 and
/// columns F1..F5, each named by core's segment(r, f), and docs/IPC.md shows the same table.
#[test]
fn report_rfm_carries_cores_grid() {
    use khachquen_core::model::segment;
    let a = app();
    let rfm = invoke(&a, "report_rfm", json!({})).unwrap();
    let sent: Vec<(i64, i64, &str)> = rfm["grid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_i64().unwrap();
            (n("r"), n("f"), c["segment"].as_str().unwrap())
        })
        .collect();
    let cores: Vec<(i64, i64, &str)> = (1..=5)
        .rev()
        .flat_map(|r| (1..=5).map(move |f| (r, f, segment(r, f))))
        .collect();
    assert_eq!(sent, cores);
    let doc = include_str!("../docs/IPC.md");
    for r in 1..=5 {
        let row: Vec<&str> = (1..=5).map(|f| segment(r, f)).collect();
        let line = format!("    R{r}: {}\n", row.join(", "));
        assert!(doc.contains(&line), "docs/IPC.md lacks {line:?}");
    }
}

#[test]
fn about_names_the_version_schema_and_folders_and_the_logs_export_to_one_file() {
    let a = app();
    let st = invoke(&a, "app_startup", json!({})).unwrap();
    assert_eq!(st["state"], "ready");
    assert!(st["restore_file"].is_null() && st["upgraded"].is_null());
    let about = invoke(&a, "app_about", json!({})).unwrap();
    assert_eq!(about["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        about["schema_version"],
        khachquen_core::db::schema_version()
    );
    let dir = a.dir.path();
    assert_eq!(about["data_dir"], dir.display().to_string());
    assert_eq!(about["log_dir"], dir.join("logs").display().to_string());
    // A log as the window writes it, then exported for support.
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/khachquen.log.1"), "older line\n").unwrap();
    std::fs::write(dir.join("logs/khachquen.log"), "newest line\n").unwrap();
    let target = dir.join("nhat-ky.txt");
    let bytes = invoke(
        &a,
        "logs_export",
        json!({"path": target.display().to_string()}),
    )
    .unwrap();
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(bytes, text.len());
    let (older, newest) = (text.find("older line"), text.find("newest line"));
    assert!(older.is_some() && older < newest, "oldest first: {text}");
    // Never onto the shop's own database.
    let db = dir.join("khachquen.db").display().to_string();
    let e = invoke(&a, "logs_export", json!({"path": db})).unwrap_err();
    assert_eq!(e["code"], "file.protected");
    // Only the two folders it knows.
    let e = invoke(&a, "app_open_folder", json!({"which": "/etc"})).unwrap_err();
    assert_eq!(e["code"], "input.invalid");
}
