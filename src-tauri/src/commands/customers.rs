use super::{run, AppState, IpcResult};
use khachquen_core::customers::merge::{Duplicates, MergeResult};
use khachquen_core::limits;
use khachquen_core::model::{
    CardPrintResult, Customer, CustomerFilter, CustomerInput, CustomerPage, ListQuery, Profile,
    SearchResult,
};
use tauri::State;

#[tauri::command]
pub async fn customer_search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> IpcResult<SearchResult> {
    run(&state, move |s| s.find_customers(&query, limit)).await
}

#[tauri::command]
pub async fn customer_list(
    state: State<'_, AppState>,
    query: ListQuery,
) -> IpcResult<CustomerPage> {
    run(&state, move |s| s.list_customers(&query)).await
}

#[tauri::command]
pub async fn customer_tags(state: State<'_, AppState>) -> IpcResult<Vec<String>> {
    run(&state, |s| s.customer_tags()).await
}

#[tauri::command]
pub async fn customer_get(state: State<'_, AppState>, id: i64) -> IpcResult<Profile> {
    run(&state, move |s| s.profile(id, limits::PROFILE_PURCHASES)).await
}

#[tauri::command]
pub async fn customer_add(state: State<'_, AppState>, input: CustomerInput) -> IpcResult<Customer> {
    run(&state, move |s| s.add_customer(input)).await
}

#[tauri::command]
pub async fn customer_update(
    state: State<'_, AppState>,
    id: i64,
    input: CustomerInput,
) -> IpcResult<Customer> {
    run(&state, move |s| s.update_customer(id, input)).await
}

#[tauri::command]
pub async fn customer_archive(state: State<'_, AppState>, id: i64) -> IpcResult<Customer> {
    run(&state, move |s| s.archive_customer(id)).await
}

#[tauri::command]
pub async fn customer_duplicates(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> IpcResult<Duplicates> {
    run(&state, move |s| {
        s.duplicates(limit.unwrap_or(limits::DUPLICATE_GROUPS))
    })
    .await
}

#[tauri::command]
pub async fn customer_merge(
    state: State<'_, AppState>,
    keep: i64,
    other: i64,
) -> IpcResult<MergeResult> {
    run(&state, move |s| s.merge_customers(keep, other)).await
}

/// A PDF sheet with the customer's loyalty card (a number is given first if they have none).
#[tauri::command]
pub async fn card_print(
    state: State<'_, AppState>,
    id: i64,
    path: String,
    label: String,
) -> IpcResult<CardPrintResult> {
    run(&state, move |s| {
        s.print_cards(
            Some(&format!("#{id}")),
            &CustomerFilter::default(),
            std::path::Path::new(&path),
            &label,
        )
    })
    .await
}
