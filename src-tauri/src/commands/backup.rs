//! Backup and restore: each command delegates to core.

use super::{run, AppState, IpcResult};
use khachquen_core::backup::{
    BackupEntry, BackupInfo, BackupStatus, PassphraseChange, RestoreReport,
};
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Runtime, State};

#[derive(Clone, Serialize)]
struct Progress {
    done: u64,
    total: u64,
}

/// Reports (done, total) as "backup-progress" events; a lost event only delays the bar.
fn progress<R: Runtime>(app: &AppHandle<R>) -> impl FnMut(u64, u64) + '_ {
    move |done, total| {
        let _ = app.emit("backup-progress", Progress { done, total });
    }
}

/// Back up now: to `file` (a file or a folder) when given, else into the backup folder.
/// Progress: "backup-progress" events.
#[tauri::command]
pub async fn backup_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    file: Option<String>,
) -> IpcResult<BackupInfo> {
    run(&state, move |s| {
        let target = file.filter(|f| !f.trim().is_empty()).map(PathBuf::from);
        s.create_backup(target.as_deref(), false, &mut progress(&app))
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

/// `folder`: an existing folder, "" for the default; `keep`: how many to keep;
/// `passphrase`: set the backup passphrase, `unlock`: enter the one set to resume
/// encrypted backups, `clear_passphrase`: back to plain backups (one of the three).
#[tauri::command(rename_all = "snake_case")]
pub async fn backup_configure(
    state: State<'_, AppState>,
    folder: Option<String>,
    keep: Option<u32>,
    passphrase: Option<String>,
    unlock: Option<String>,
    clear_passphrase: Option<bool>,
) -> IpcResult<BackupStatus> {
    run(&state, move |s| {
        let change = match (&passphrase, &unlock, clear_passphrase) {
            (Some(p), _, _) => Some(PassphraseChange::Set(p)),
            (None, Some(p), _) => Some(PassphraseChange::Unlock(p)),
            (None, None, Some(true)) => Some(PassphraseChange::Clear),
            _ => None,
        };
        let keep = keep.map(|k| k.to_string());
        s.configure_backups_with(folder.as_deref(), keep.as_deref(), change)
    })
    .await
}

/// `passphrase` opens an encrypted backup; without it, the one set on this computer is
/// tried (backup.passphrase_needed when that does not open it).
#[tauri::command]
pub async fn backup_verify(
    state: State<'_, AppState>,
    file: String,
    passphrase: Option<String>,
) -> IpcResult<BackupInfo> {
    run(&state, move |s| {
        s.verify_backup(&PathBuf::from(file), passphrase.as_deref())
    })
    .await
}

/// An encrypted backup needs `passphrase` (backup.passphrase_needed without it). A shop
/// with a backup passphrase restores a plain file only with `allow_unencrypted`, once the
/// owner confirmed (backup.plain_needs_confirm without it). Progress: "backup-progress".
#[tauri::command(rename_all = "snake_case")]
pub async fn backup_restore<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    file: String,
    passphrase: Option<String>,
    allow_unencrypted: Option<bool>,
) -> IpcResult<RestoreReport> {
    run(&state, move |s| {
        s.restore_backup_with(
            &PathBuf::from(file),
            passphrase.as_deref(),
            allow_unencrypted.unwrap_or(false),
            &mut progress(&app),
        )
    })
    .await
}
