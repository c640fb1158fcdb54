use super::{run, AppState, IpcResult};
use khachquen_core::model::{PurchaseInput, PurchaseResult, RefundResult, Voucher};
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

/// The picked customer's vouchers at the counter, usable first.
#[tauri::command]
pub async fn customer_vouchers(state: State<'_, AppState>, id: i64) -> IpcResult<Vec<Voucher>> {
    run(&state, move |s| s.vouchers_of(id)).await
}
