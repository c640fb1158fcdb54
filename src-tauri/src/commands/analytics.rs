//! Retention analytics: reports, their exports, and the per-customer scores.

use super::{run, AppState, IpcResult};
use crate::i18n::{self, Lang};
use khachquen_core::analytics::export::ReportArgs;
use khachquen_core::analytics::reports::{
    ChurnReport, CohortReport, CounterReport, Range, StaffReport, Summary,
};
use khachquen_core::analytics::scores::{ClvAnswer, LifecycleReport, RefreshReport, RfmReport};
use khachquen_core::analytics::Rules;
use khachquen_core::limits;
use khachquen_core::model::CustomerRow;
use serde::Serialize;
use std::path::PathBuf;
use tauri::State;

fn range(from: Option<String>, to: Option<String>) -> Range {
    Range { from, to }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_summary(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> IpcResult<Summary> {
    run(&state, move |s| s.report_summary(&range(from, to))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_churn(
    state: State<'_, AppState>,
    period: String,
    from: Option<String>,
    to: Option<String>,
    inactive_days: Option<i64>,
) -> IpcResult<ChurnReport> {
    run(&state, move |s| {
        s.report_churn(&period, &range(from, to), inactive_days)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_cohorts(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> IpcResult<CohortReport> {
    run(&state, move |s| s.report_cohorts(&range(from, to))).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_rfm(state: State<'_, AppState>) -> IpcResult<RfmReport> {
    run(&state, |s| s.report_rfm()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_lifecycle(state: State<'_, AppState>) -> IpcResult<LifecycleReport> {
    run(&state, |s| s.report_lifecycle()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_clv(
    state: State<'_, AppState>,
    model: Option<String>,
    calibration_end: Option<String>,
    horizon_days: Option<i64>,
    limit: Option<usize>,
) -> IpcResult<ClvAnswer> {
    run(&state, move |s| {
        s.report_clv_of(
            model.as_deref(),
            calibration_end.as_deref(),
            horizon_days,
            limit,
        )
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_at_risk(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> IpcResult<Vec<CustomerRow>> {
    run(&state, move |s| {
        s.at_risk_customers(limit.unwrap_or(limits::AT_RISK_ROWS))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_staff(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> IpcResult<StaffReport> {
    run(&state, move |s| s.report_staff(&range(from, to))).await
}

/// Bills, revenue after refunds and customers per counter; `counter` keeps one counter's.
#[tauri::command(rename_all = "snake_case")]
pub async fn report_counters(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
    counter: Option<String>,
) -> IpcResult<CounterReport> {
    run(&state, move |s| {
        s.report_counters(&range(from, to), counter.as_deref())
    })
    .await
}

#[derive(Serialize)]
pub struct Exported {
    path: PathBuf,
    rows: u64,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_export(
    state: State<'_, AppState>,
    report: String,
    args: ReportArgs,
    path: PathBuf,
) -> IpcResult<Exported> {
    run(&state, move |s| {
        let lang = s
            .setting("language")
            .ok()
            .and_then(|l| Lang::parse(&l))
            .unwrap_or(Lang::Vi);
        let rows = s.export_report(&report, &args, &path, &|c| i18n::report_column(lang, c))?;
        Ok(Exported { path, rows })
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn analytics_refresh(state: State<'_, AppState>) -> IpcResult<RefreshReport> {
    run(&state, |s| s.refresh_analytics()).await
}

/// Asked by the window after it showed stale scores: refreshes them (as the app's own work)
/// while the view stays as it is; None when they were fresh or a refresh was running.
#[tauri::command(rename_all = "snake_case")]
pub async fn analytics_refresh_stale(
    state: State<'_, AppState>,
) -> IpcResult<Option<RefreshReport>> {
    run(&state, |s| s.refresh_stale_scores()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn analytics_get_rules(state: State<'_, AppState>) -> IpcResult<Rules> {
    run(&state, |s| s.analytics_rules()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn analytics_set_rules(
    state: State<'_, AppState>,
    inactive_days: Option<i64>,
    horizon_days: Option<i64>,
) -> IpcResult<Rules> {
    run(&state, move |s| {
        s.set_analytics_rules(inactive_days, horizon_days)
    })
    .await
}
