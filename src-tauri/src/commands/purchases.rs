use super::{run, AppState, IpcResult};
use khachquen_core::model::{PurchaseInput, PurchaseResult, RefundResult, Voucher};
use khachquen_core::outbox::{Queued, Recorded, Sending};
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

/// A bill for a customer typed by phone or card number: recorded on the server, or kept at
/// this counter while the server cannot be reached.
#[tauri::command]
pub async fn purchase_keep(
    state: State<'_, AppState>,
    reference: String,
    input: PurchaseInput,
) -> IpcResult<Recorded> {
    let dir = state.data_dir.clone();
    run(&state, move |s| s.record_or_keep(&dir, &reference, input)).await
}

/// The bills this counter keeps for its server, oldest first.
#[tauri::command]
pub async fn queue_list(state: State<'_, AppState>) -> IpcResult<Vec<Queued>> {
    let dir = state.data_dir.clone();
    run(&state, move |s| s.kept_bills(&dir)).await
}

/// Send the kept bills now.
#[tauri::command]
pub async fn queue_send(state: State<'_, AppState>) -> IpcResult<Sending> {
    let dir = state.data_dir.clone();
    run(&state, move |s| s.send_kept_bills(&dir)).await
}

/// Take a kept bill out unsent (who may refund; the server's log keeps it).
#[tauri::command]
pub async fn queue_drop(state: State<'_, AppState>, seq: i64) -> IpcResult<Queued> {
    let dir = state.data_dir.clone();
    run(&state, move |s| s.drop_kept_bill(&dir, seq)).await
}
