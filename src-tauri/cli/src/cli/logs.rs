//! The support log on the command line: where it is, and all of it in one file to send.

use super::out::Out;
use clap::Subcommand;
use khachquen_core::Store;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum Cmd {
    /// The support log (start-ups, upgrades, background passes, error codes)
    #[command(subcommand)]
    Logs(LogsCmd),
}

#[derive(Subcommand)]
pub enum LogsCmd {
    /// Print the log folder
    Path,
    /// Write every log file, oldest first, into one text file for support
    Export { file: PathBuf },
}

pub fn run(
    db: &Store,
    data_dir: &Path,
    Cmd::Logs(cmd): Cmd,
    o: &Out,
) -> khachquen_core::Result<i32> {
    match cmd {
        LogsCmd::Path => {
            let about = db.about(data_dir)?;
            o.print(&about, || about.log_dir.clone())?;
        }
        LogsCmd::Export { file } => {
            let bytes = db.export_logs(data_dir, &file)?;
            let shown = file.display().to_string();
            o.print(
                &serde_json::json!({ "file": shown, "bytes": bytes }),
                || format!("{} {shown}", o.t("cli.logs_exported")),
            )?;
        }
    }
    Ok(0)
}
