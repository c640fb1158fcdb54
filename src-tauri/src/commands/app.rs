use super::{run, run_open, AppState, IpcResult};
use khachquen_core::demo::DemoReport;
use khachquen_core::model::Settings;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    data_dir: String,
    db_path: String,
    customers: i64,
    settings: Settings,
    /// The window works on the demo shop (in its own folder), not the owner's.
    demo: bool,
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
            demo: s.is_demo()?,
        })
    })
    .await
}

/// Open the demo shop in its own folder beside the owner's (made on first use) and work on
/// it from now on; the owner's shop is not touched. The sizes are the CLI's; the window
/// passes none.
#[tauri::command]
pub async fn demo_create(
    state: State<'_, AppState>,
    customers: Option<u64>,
    purchases: Option<u64>,
) -> IpcResult<Option<DemoReport>> {
    let home = Arc::clone(&state.home);
    if !Arc::ptr_eq(&state.store(), &home) {
        return Ok(None); // already on the demo shop
    }
    let data_dir = state.data_dir.clone();
    let (default_c, default_p) = khachquen_core::demo::WINDOW_DEMO;
    let (demo, report) = run(&state, move |_| {
        home.open_demo(
            &data_dir,
            customers.unwrap_or(default_c),
            purchases.unwrap_or(default_p),
        )
    })
    .await?;
    demo.set_interface(khachquen_core::store::audit::Via::Window);
    state.switch_to(Arc::new(demo));
    Ok(report)
}

/// Back to the owner's shop (as whoever is signed in on the demo); with `delete`, the demo
/// shop's folder goes too.
#[tauri::command]
pub async fn demo_leave(state: State<'_, AppState>, delete: bool) -> IpcResult<()> {
    let home = Arc::clone(&state.home);
    let on_demo = !Arc::ptr_eq(&state.store(), &home);
    let back = Arc::clone(&home);
    run(&state, move |current| current.leave_demo(&back)).await?;
    if on_demo {
        state.switch_to(home);
    }
    if delete {
        let data_dir = state.data_dir.clone();
        run(&state, move |s| s.delete_demo(&data_dir)).await?;
    }
    Ok(())
}
