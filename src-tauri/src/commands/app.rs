use super::{run, run_open, AppState, IpcResult};
use khachquen_core::demo::DemoReport;
use khachquen_core::model::Settings;
use serde::Serialize;
use tauri::State;

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    data_dir: String,
    db_path: String,
    customers: i64,
    settings: Settings,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> IpcResult<AppInfo> {
    let data_dir = state.data_dir.display().to_string();
    run_open(&state, move |s| {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            db_path: s
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            data_dir,
            customers: s.customer_count()?,
            settings: s.settings()?,
        })
    })
    .await
}

#[tauri::command]
pub async fn demo_create(
    state: State<'_, AppState>,
    customers: u64,
    purchases: u64,
) -> IpcResult<DemoReport> {
    run(&state, move |s| {
        s.create_demo(customers, purchases, 1, &mut |_, _| {})
    })
    .await
}
