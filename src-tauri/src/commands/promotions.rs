use super::{run, AppState, IpcResult};
use khachquen_core::model::{
    Campaign, CampaignInput, CampaignResults, CustomerFilter, IssueResult, LaunchResult,
    ProgramInput, ProgramResults, VoucherProgram,
};
use serde::Serialize;
use tauri::State;

#[tauri::command]
pub async fn program_overview(state: State<'_, AppState>) -> IpcResult<Vec<ProgramResults>> {
    run(&state, |s| s.program_overview()).await
}

#[tauri::command]
pub async fn program_add(
    state: State<'_, AppState>,
    input: ProgramInput,
) -> IpcResult<VoucherProgram> {
    run(&state, move |s| s.add_program(&input)).await
}

#[tauri::command]
pub async fn program_end(state: State<'_, AppState>, id: i64) -> IpcResult<VoucherProgram> {
    run(&state, move |s| s.end_program(&id.to_string())).await
}

#[tauri::command]
pub async fn voucher_issue(
    state: State<'_, AppState>,
    id: i64,
    filter: CustomerFilter,
) -> IpcResult<IssueResult> {
    run(&state, move |s| s.issue_vouchers(&id.to_string(), &filter)).await
}

/// A campaign and, once launched, its results.
#[derive(Serialize)]
pub struct CampaignRow {
    campaign: Campaign,
    results: Option<CampaignResults>,
}

#[tauri::command]
pub async fn campaign_overview(state: State<'_, AppState>) -> IpcResult<Vec<CampaignRow>> {
    run(&state, |s| {
        Ok(s.campaign_overview()?
            .into_iter()
            .map(|(campaign, results)| CampaignRow { campaign, results })
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn campaign_add(state: State<'_, AppState>, input: CampaignInput) -> IpcResult<Campaign> {
    run(&state, move |s| s.add_campaign(&input)).await
}

/// Launch once; with `messages`, the treated customers' messages go to that CSV.
#[tauri::command]
pub async fn campaign_launch(
    state: State<'_, AppState>,
    id: i64,
    messages: Option<String>,
) -> IpcResult<LaunchResult> {
    run(&state, move |s| {
        s.launch_campaign(
            &id.to_string(),
            messages.as_deref().map(std::path::Path::new),
        )
    })
    .await
}
