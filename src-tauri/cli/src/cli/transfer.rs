//! Import and export on the command line.

use super::out::Out;
use crate::i18n;
use clap::{Args, Subcommand};
use khachquen_core::transfer::export::ExportKind;
use khachquen_core::transfer::import::{ImportOptions, ImportReport, Kind, Phase, RowError};
use khachquen_core::{CoreError, Store};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Import customers or purchases from CSV or .xlsx (exit 1, nothing written, if a row is
    /// rejected)
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export customers, purchases or the points ledger to FILE.csv or FILE.xlsx
    Export {
        #[arg(value_parser = ["customers", "purchases", "points"])]
        what: String,
        file: PathBuf,
    },
}

#[derive(Args)]
pub struct ImportFlags {
    /// Check every row and report what would change; write nothing
    #[arg(long)]
    dry_run: bool,
    /// The workbook sheet to read (default: the first)
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Import the valid rows and leave out the rejected ones
    #[arg(long)]
    skip_invalid: bool,
}

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Upsert customers by shop code, then by phone
    Customers {
        file: PathBuf,
        #[command(flatten)]
        flags: ImportFlags,
    },
    /// Purchase history, matched to customers by code or phone (earns no points)
    Purchases {
        file: PathBuf,
        /// Create the customers the file names but the shop does not have yet
        #[arg(long)]
        create_missing: bool,
        #[command(flatten)]
        flags: ImportFlags,
    },
}

pub fn run(db: &Store, cmd: Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        Cmd::Import(cmd) => import(db, cmd, o),
        Cmd::Export { what, file } => {
            let kind = ExportKind::parse(&what).ok_or(CoreError::InvalidInput(what))?;
            let r = db.export(kind, &file, &|l| i18n::export_label(o.lang, l))?;
            o.print(&r, || {
                format!(
                    "{}: {} {} → {}",
                    o.t("cli.export_done"),
                    r.rows,
                    o.t("cli.export_rows"),
                    r.path
                )
            })?;
            Ok(0)
        }
    }
}

/// Report every row; exit 1 when a row is rejected, unless --skip-invalid imported the rest.
fn import(db: &Store, cmd: ImportCmd, o: &Out) -> khachquen_core::Result<i32> {
    let (kind, file, flags, create_missing) = match cmd {
        ImportCmd::Customers { file, flags } => (Kind::Customers, file, flags, false),
        ImportCmd::Purchases {
            file,
            create_missing,
            flags,
        } => (Kind::Purchases, file, flags, create_missing),
    };
    let opts = ImportOptions {
        sheet: flags.sheet,
        mapping: None,
        dry_run: flags.dry_run,
        create_missing,
        skip_invalid: flags.skip_invalid,
    };
    let mut show = o.progress("cli.import_progress");
    // One percentage over both passes (check, then write), each row counted once a pass.
    let mut progress = |phase: Phase, done: u64, total: u64| {
        let half = done * 50 / total.max(1);
        let pct = if opts.dry_run {
            half * 2
        } else if phase == Phase::Check {
            half
        } else {
            50 + half
        };
        show(pct, 100);
    };
    let mut r = db.import(kind, &file, &opts, &mut progress)?;
    o.end_progress();
    r.translate(&|code, params| i18n::error_message(o.lang, code, params));
    o.print(&r, || import_text(o, &r))?;
    if !o.json {
        for e in &r.errors {
            errln!("{}", row_error_line(o, e));
        }
    }
    if r.rejected > 0 && !opts.skip_invalid {
        errln!(
            "{}",
            o.t(if opts.dry_run {
                "cli.import_would_reject"
            } else {
                "cli.import_nothing_written"
            })
        );
        return Ok(1);
    }
    Ok(0)
}

fn import_text(o: &Out, r: &ImportReport) -> String {
    // What happened comes first; a run that wrote nothing counts what it would have done.
    let (head, ins, upd, created) = if r.committed {
        (
            "cli.import_written",
            "cli.import_inserted",
            "cli.import_updated",
            "cli.import_customers_created",
        )
    } else {
        (
            if r.dry_run {
                "cli.import_dry_run"
            } else {
                "cli.import_not_written"
            },
            "cli.import_to_insert",
            "cli.import_to_update",
            "cli.import_to_create",
        )
    };
    let mut lines = vec![
        o.t(head),
        format!("{}: {}", o.t("cli.import_rows"), r.rows),
        format!("{}: {}", o.t(ins), r.inserted),
        format!("{}: {}", o.t(upd), r.updated),
        format!("{}: {}", o.t("cli.import_unchanged"), r.unchanged),
    ];
    if r.kind == Kind::Purchases {
        lines.push(format!("{}: {}", o.t(created), r.customers_created));
    }
    lines.push(format!("{}: {}", o.t("cli.import_rejected"), r.rejected));
    lines.join("\n")
}

fn row_error_line(o: &Out, e: &RowError) -> String {
    match &e.column {
        Some(c) => format!(
            "{} {}, “{c}”: {}",
            o.t("cli.import_line"),
            e.line,
            e.message
        ),
        None => format!("{} {}: {}", o.t("cli.import_line"), e.line, e.message),
    }
}
