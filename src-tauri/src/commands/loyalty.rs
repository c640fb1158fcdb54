use super::{run, AppState, IpcResult};
use khachquen_core::model::{AdjustResult, LoyaltyConfig, PurchaseInput, Quote, TierInput};
use serde_json::{Map, Value};
use tauri::State;

#[tauri::command]
pub async fn loyalty_get(state: State<'_, AppState>) -> IpcResult<LoyaltyConfig> {
    run(&state, |s| s.loyalty_config()).await
}

/// `rules` maps rule keys to numbers or strings, as the settings form sends them.
#[tauri::command]
pub async fn loyalty_set(
    state: State<'_, AppState>,
    rules: Map<String, Value>,
) -> IpcResult<LoyaltyConfig> {
    let pairs: Vec<(String, String)> = rules
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    run(&state, move |s| s.set_loyalty_rules(&pairs)).await
}

#[tauri::command]
pub async fn loyalty_set_tiers(
    state: State<'_, AppState>,
    tiers: Vec<TierInput>,
) -> IpcResult<LoyaltyConfig> {
    run(&state, move |s| s.set_tiers(&tiers)).await
}

#[tauri::command]
pub async fn purchase_quote(state: State<'_, AppState>, input: PurchaseInput) -> IpcResult<Quote> {
    run(&state, move |s| s.quote(&input)).await
}

/// Argument names stay snake_case, as in docs/IPC.md.
#[tauri::command(rename_all = "snake_case")]
pub async fn points_adjust(
    state: State<'_, AppState>,
    customer_id: i64,
    delta: i64,
    reason: String,
) -> IpcResult<AdjustResult> {
    run(&state, move |s| {
        s.adjust_points(customer_id, delta, &reason, None)
    })
    .await
}
