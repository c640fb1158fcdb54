use super::{run, AppState, IpcResult};
use khachquen_core::model::{PurchaseInput, PurchaseResult};
use tauri::State;

#[tauri::command]
pub async fn purchase_add(
    state: State<'_, AppState>,
    input: PurchaseInput,
) -> IpcResult<PurchaseResult> {
    run(&state, move |s| s.add_purchase(input)).await
}
