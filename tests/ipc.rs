//! The Tauri commands through the mock runtime: no display, real SQLite file.

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct App {
    _dir: tempfile::TempDir,
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
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        _dir: dir,
        _app: app,
        window,
    }
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
    assert_eq!(found[0]["id"], id);
    assert_eq!(found[0]["phone_display"], "0912 345 678");
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
fn demo_only_on_an_empty_shop() {
    let a = app();
    let r = invoke(
        &a,
        "demo_create",
        json!({"customers": 50, "purchases": 200}),
    )
    .unwrap();
    assert_eq!(r["purchases"], 200);
    assert_eq!(invoke(&a, "app_info", json!({})).unwrap()["customers"], 50);
    let e = invoke(&a, "demo_create", json!({"customers": 5, "purchases": 5})).unwrap_err();
    assert_eq!(e["code"], "demo.not_empty");
}
