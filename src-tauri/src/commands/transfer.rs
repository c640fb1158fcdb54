//! The import and export screen: preview a file, import it with progress events, export.

use super::{run, AppState, IpcResult};
use crate::i18n::{self, Lang};
use khachquen_core::transfer::export::{ExportKind, ExportReport};
use khachquen_core::transfer::import::{
    ImportOptions, ImportReport, Kind, Mapping, Phase, Preview,
};
use khachquen_core::Store;
use serde::Serialize;
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Runtime, State};

fn lang(s: &Store) -> Lang {
    s.setting("language")
        .ok()
        .and_then(|l| Lang::parse(&l))
        .unwrap_or(Lang::Vi)
}

/// Rows done of this phase's total: each row is counted once per phase.
#[derive(Clone, Serialize)]
struct Progress {
    phase: Phase,
    done: u64,
    total: u64,
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_preview(
    state: State<'_, AppState>,
    kind: Kind,
    path: PathBuf,
    sheet: Option<String>,
    mapping: Option<Mapping>,
    create_missing: Option<bool>,
) -> IpcResult<Preview> {
    run(&state, move |s| {
        let opts = ImportOptions {
            sheet,
            mapping,
            create_missing: create_missing.unwrap_or(false),
            ..Default::default()
        };
        let mut p = s.import_preview(kind, &path, &opts)?;
        let lang = lang(s);
        p.translate(&|code, params| i18n::error_message(lang, code, params));
        Ok(p)
    })
    .await
}

#[allow(clippy::too_many_arguments)]
#[tauri::command(rename_all = "snake_case")]
pub async fn import_run<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    kind: Kind,
    path: PathBuf,
    sheet: Option<String>,
    mapping: Option<Mapping>,
    create_missing: Option<bool>,
    skip_invalid: Option<bool>,
    dry_run: Option<bool>,
) -> IpcResult<ImportReport> {
    run(&state, move |s| {
        let opts = ImportOptions {
            sheet,
            mapping,
            dry_run: dry_run.unwrap_or(false),
            create_missing: create_missing.unwrap_or(false),
            skip_invalid: skip_invalid.unwrap_or(false),
        };
        // A lost progress event only delays the bar; the result still arrives.
        let mut progress = |phase, done, total| {
            let _ = app.emit("import-progress", Progress { phase, done, total });
        };
        let mut r = s.import(kind, &path, &opts, &mut progress)?;
        let lang = lang(s);
        r.translate(&|code, params| i18n::error_message(lang, code, params));
        Ok(r)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn export_run(
    state: State<'_, AppState>,
    kind: ExportKind,
    path: PathBuf,
) -> IpcResult<ExportReport> {
    run(&state, move |s| {
        let lang = lang(s);
        s.export(kind, &path, &|l| i18n::export_label(lang, l))
    })
    .await
}
