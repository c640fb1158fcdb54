//! Backup, restore and duplicate customers: each command delegates to core.

use super::{run, AppState, IpcResult};
use khachquen_core::backup::{BackupEntry, BackupInfo, BackupStatus, RestoreReport};
use khachquen_core::merge::{Duplicates, MergeResult};
use std::path::PathBuf;
use tauri::State;

/// Back up now: to `file` (a file or a folder) when given, else into the backup folder.
#[tauri::command]
pub async fn backup_create(
    state: State<'_, AppState>,
    file: Option<String>,
) -> IpcResult<BackupInfo> {
    run(&state, move |s| {
        let target = file.filter(|f| !f.trim().is_empty()).map(PathBuf::from);
        s.create_backup(target.as_deref(), false, &mut |_, _| {})
    })
    .await
}

#[tauri::command]
pub async fn backup_list(state: State<'_, AppState>) -> IpcResult<Vec<BackupEntry>> {
    run(&state, |s| s.list_backups()).await
}

#[tauri::command]
pub async fn backup_status(state: State<'_, AppState>) -> IpcResult<BackupStatus> {
    run(&state, |s| s.backup_status()).await
}

/// `folder`: an existing folder, "" for the default; `keep`: how many to keep.
#[tauri::command]
pub async fn backup_configure(
    state: State<'_, AppState>,
    folder: Option<String>,
    keep: Option<u32>,
) -> IpcResult<BackupStatus> {
    run(&state, move |s| {
        s.configure_backups(folder.as_deref(), keep.map(|k| k.to_string()).as_deref())
    })
    .await
}

#[tauri::command]
pub async fn backup_verify(state: State<'_, AppState>, file: String) -> IpcResult<BackupInfo> {
    run(&state, move |_| {
        khachquen_core::backup::verify(&PathBuf::from(file))
    })
    .await
}

#[tauri::command]
pub async fn backup_restore(state: State<'_, AppState>, file: String) -> IpcResult<RestoreReport> {
    run(&state, move |s| {
        s.restore_backup(&PathBuf::from(file), &mut |_, _| {})
    })
    .await
}

#[tauri::command]
pub async fn customer_duplicates(
    state: State<'_, AppState>,
    limit: Option<u32>,
) -> IpcResult<Duplicates> {
    run(&state, move |s| s.duplicates(limit.unwrap_or(200))).await
}

#[tauri::command]
pub async fn customer_merge(
    state: State<'_, AppState>,
    keep: i64,
    other: i64,
) -> IpcResult<MergeResult> {
    run(&state, move |s| s.merge_customers(keep, other)).await
}
