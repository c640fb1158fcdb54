use super::{run, run_open, AppState, IpcResult};
use khachquen_core::model::Settings;
use tauri::State;

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> IpcResult<Settings> {
    run_open(&state, |s| s.settings()).await
}

#[tauri::command]
pub async fn settings_set(
    state: State<'_, AppState>,
    key: String,
    value: String,
) -> IpcResult<Settings> {
    run(&state, move |s| s.set_setting(&key, &value)).await
}
