//! The audit log: listing and verifying it, as core allows.

use super::{run, AppState, IpcResult};
use khachquen_core::staff::audit::{AuditFilter, AuditPage};
use khachquen_core::store::audit::AuditVerify;
use tauri::State;

#[tauri::command(rename_all = "snake_case")]
pub async fn audit_list(state: State<'_, AppState>, filter: AuditFilter) -> IpcResult<AuditPage> {
    run(&state, move |s| s.audit_list(&filter)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn audit_verify(state: State<'_, AppState>) -> IpcResult<AuditVerify> {
    run(&state, |s| s.audit_verify()).await
}
