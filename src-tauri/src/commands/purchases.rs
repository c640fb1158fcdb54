use super::{run, AppState, IpcResult};
use khachquen_core::model::{PurchaseInput, PurchaseResult, RefundResult};
use tauri::State;

#[tauri::command]
pub async fn purchase_add(
    state: State<'_, AppState>,
    input: PurchaseInput,
) -> IpcResult<PurchaseResult> {
    run(&state, move |s| s.add_purchase(input)).await
}

#[tauri::command]
pub async fn purchase_refund(
    state: State<'_, AppState>,
    id: i64,
    amount: Option<String>,
) -> IpcResult<RefundResult> {
    run(&state, move |s| s.refund(id, amount.as_deref(), None)).await
}
