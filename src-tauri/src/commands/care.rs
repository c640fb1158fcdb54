//! Customer care: reminders and Today, the care log, surveys, warranties, tickets and
//! message templates. Argument names are snake_case, as in docs/IPC.md.

use super::{run, AppState, IpcResult};
use khachquen_core::limits;
use khachquen_core::model::{
    CareLog, Customer, CustomerCare, CustomerFilter, GenerateReport, Interaction, InteractionInput,
    Reminder, ReminderInput, ReminderRow, ReminderRules, Rendered, Survey, SurveyInput, Template,
    TemplateExport, TemplateList, TemplatePreview, Ticket, TicketInput, TodayView, WarrantyView,
};
use serde_json::{Map, Value};
use std::path::PathBuf;
use tauri::State;

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_today(
    state: State<'_, AppState>,
    as_of: Option<String>,
    limit: Option<u32>,
) -> IpcResult<TodayView> {
    run(&state, move |s| {
        s.today(as_of.as_deref(), limit.unwrap_or(limits::TODAY_ROWS))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_list(
    state: State<'_, AppState>,
    due: Option<String>,
    as_of: Option<String>,
    customer_id: Option<i64>,
) -> IpcResult<Vec<ReminderRow>> {
    run(&state, move |s| {
        s.list_reminders(
            due.as_deref(),
            as_of.as_deref(),
            customer_id,
            limits::REMINDER_ROWS,
        )
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_add(state: State<'_, AppState>, input: ReminderInput) -> IpcResult<Reminder> {
    run(&state, move |s| s.add_reminder(input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_done(
    state: State<'_, AppState>,
    id: i64,
    log: Option<CareLog>,
) -> IpcResult<Reminder> {
    run(&state, move |s| s.complete_reminder(id, log, None)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_snooze(
    state: State<'_, AppState>,
    id: i64,
    to: String,
) -> IpcResult<Reminder> {
    run(&state, move |s| s.snooze_reminder(id, &to)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_cancel(state: State<'_, AppState>, id: i64) -> IpcResult<Reminder> {
    run(&state, move |s| s.cancel_reminder(id, None)).await
}

/// Today's bulk actions: every id or none (a bad or closed one refuses the whole list).
#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_snooze_bulk(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    to: String,
) -> IpcResult<i64> {
    run(&state, move |s| s.snooze_reminders(&ids, &to)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_cancel_bulk(state: State<'_, AppState>, ids: Vec<i64>) -> IpcResult<i64> {
    run(&state, move |s| s.cancel_reminders(&ids, None)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_generate(
    state: State<'_, AppState>,
    as_of: Option<String>,
) -> IpcResult<GenerateReport> {
    run(&state, move |s| s.generate_reminders(as_of.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_rules_get(state: State<'_, AppState>) -> IpcResult<ReminderRules> {
    run(&state, |s| s.reminder_rules()).await
}

/// `rules` maps "rule.key" to booleans, numbers or strings, as the settings form sends them.
#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_rules_set(
    state: State<'_, AppState>,
    rules: Map<String, Value>,
) -> IpcResult<ReminderRules> {
    let pairs: Vec<(String, String)> = rules
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    run(&state, move |s| s.set_reminder_rules(&pairs)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn interaction_add(
    state: State<'_, AppState>,
    input: InteractionInput,
) -> IpcResult<Interaction> {
    run(&state, move |s| s.add_interaction(input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn survey_add(state: State<'_, AppState>, input: SurveyInput) -> IpcResult<Survey> {
    run(&state, move |s| s.add_survey(input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn customer_care(state: State<'_, AppState>, id: i64) -> IpcResult<CustomerCare> {
    run(&state, move |s| s.customer_care(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn customer_confirm_details(state: State<'_, AppState>, id: i64) -> IpcResult<Customer> {
    run(&state, move |s| s.confirm_details(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn warranty_list(
    state: State<'_, AppState>,
    reference: String,
) -> IpcResult<WarrantyView> {
    run(&state, move |s| s.warranty_lookup(&reference)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn ticket_add(state: State<'_, AppState>, input: TicketInput) -> IpcResult<Ticket> {
    run(&state, move |s| s.add_ticket(input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn ticket_set_status(
    state: State<'_, AppState>,
    id: i64,
    status: String,
) -> IpcResult<Ticket> {
    run(&state, move |s| s.set_ticket_status(id, &status)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_list(state: State<'_, AppState>) -> IpcResult<TemplateList> {
    run(&state, |s| s.shop_templates()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_save(
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    body: String,
) -> IpcResult<Template> {
    run(&state, move |s| s.save_template(id, &name, &body)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_delete(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    run(&state, move |s| s.delete_template(id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_render(
    state: State<'_, AppState>,
    name: String,
    customer_id: i64,
) -> IpcResult<Rendered> {
    run(&state, move |s| s.render_template(&name, customer_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_preview(
    state: State<'_, AppState>,
    name: String,
    filter: CustomerFilter,
) -> IpcResult<TemplatePreview> {
    run(&state, move |s| s.preview_template(&name, &filter)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_export(
    state: State<'_, AppState>,
    name: String,
    filter: CustomerFilter,
    path: PathBuf,
) -> IpcResult<TemplateExport> {
    run(&state, move |s| s.export_template(&name, &filter, &path)).await
}

/// A manual reminder for every customer the filter selects; returns how many.
#[tauri::command(rename_all = "snake_case")]
pub async fn reminder_add_bulk(
    state: State<'_, AppState>,
    filter: CustomerFilter,
    due_date: String,
    due_time: Option<String>,
    title: Option<String>,
    note: Option<String>,
    assignee: Option<String>,
) -> IpcResult<i64> {
    let input = ReminderInput {
        customer_id: 0,
        due_date,
        due_time,
        title,
        note,
        assignee,
    };
    run(&state, move |s| s.add_reminders_for(&filter, input)).await
}
