use super::{run, run_open, AppState, IpcResult};
use khachquen_core::staff::{SessionInfo, Staff, StaffInput};
use khachquen_core::store::session::Actor;
use tauri::State;

#[tauri::command(rename_all = "snake_case")]
pub async fn auth_status(state: State<'_, AppState>) -> IpcResult<SessionInfo> {
    run_open(&state, |s| s.session_info()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn auth_setup(
    state: State<'_, AppState>,
    name: String,
    pin: String,
    shop_name: Option<String>,
) -> IpcResult<Actor> {
    run_open(&state, move |s| {
        s.setup_shop(shop_name.as_deref(), &name, &pin)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn auth_sign_in(
    state: State<'_, AppState>,
    staff_id: i64,
    pin: String,
) -> IpcResult<Actor> {
    run_open(&state, move |s| s.sign_in(staff_id, &pin)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn auth_lock(state: State<'_, AppState>) -> IpcResult<()> {
    run_open(&state, |s| {
        s.lock();
        Ok(())
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn staff_list(state: State<'_, AppState>) -> IpcResult<Vec<Staff>> {
    run(&state, |s| s.staff_list()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn staff_add(
    state: State<'_, AppState>,
    input: StaffInput,
    pin: String,
) -> IpcResult<Staff> {
    run(&state, move |s| s.add_staff(input, &pin)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn staff_update(
    state: State<'_, AppState>,
    id: i64,
    input: StaffInput,
    pin: Option<String>,
) -> IpcResult<Staff> {
    run(&state, move |s| s.update_staff(id, input, pin.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn staff_set_active(
    state: State<'_, AppState>,
    id: i64,
    active: bool,
) -> IpcResult<Staff> {
    run(&state, move |s| s.set_staff_active(id, active)).await
}
