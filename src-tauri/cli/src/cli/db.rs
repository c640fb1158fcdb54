//! Database maintenance on the command line.

use super::backup::PassphraseEnv;
use super::out::Out;
use crate::i18n;
use clap::Subcommand;
use khachquen_core::backup::server::{backup_server, restore_server, ServerBackup};
use khachquen_core::transfer::server::{export_sqlite, Moved};
use khachquen_core::{CoreError, Store};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Database maintenance
    #[command(subcommand)]
    Db(DbCmd),
}

#[derive(Subcommand)]
pub enum DbCmd {
    /// integrity_check, foreign_key_check, balances and cached figures (on a server, the
    /// last two); exits 0 only when clean
    Check,
    /// Copy this shop into an empty PostgreSQL database and check the copy (rows, money
    /// sums, every points balance); this file is only read
    MigrateTo {
        /// postgres://user[:password]@host[:port]/database (default: --database, or
        /// KHACHQUEN_DATABASE_URL, which keeps a password out of the process list)
        url: Option<String>,
    },
    /// Write the PostgreSQL shop of --database to FILE, a new SQLite file, checked against
    /// the server
    ExportSqlite {
        /// the new file (never replaced if it exists)
        file: PathBuf,
    },
    /// Back up the PostgreSQL shop of --database with pg_dump to FILE (a new name), checked before it
    /// counts; with --encrypt, encrypted (FILE.age) with the passphrase in --passphrase-env
    BackupServer {
        file: PathBuf,
        #[arg(long)]
        encrypt: bool,
        #[command(flatten)]
        passphrase: PassphraseEnv,
    },
    /// Replace the shop on the PostgreSQL server of --database with a server backup's, in one transaction;
    /// the backup is read back and checked first, so a damaged one changes nothing
    RestoreServer {
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseEnv,
    },
}

/// The commands that act on a server's shop alone, never on this machine's file.
pub fn on_server_alone(Cmd::Db(cmd): &Cmd) -> bool {
    matches!(
        cmd,
        DbCmd::ExportSqlite { .. } | DbCmd::BackupServer { .. } | DbCmd::RestoreServer { .. }
    )
}

/// Whether the command reads this machine's file even when a server is named.
pub fn reads_the_file(Cmd::Db(cmd): &Cmd) -> bool {
    matches!(cmd, DbCmd::MigrateTo { .. })
}

/// The server a command needs: `--database` (or its variable), else a usage error.
fn server_of(given: Option<&str>) -> khachquen_core::Result<&str> {
    given.ok_or(CoreError::BadDatabaseUrl)
}

pub fn run(
    db: &Store,
    Cmd::Db(cmd): Cmd,
    o: &Out,
    server: Option<&str>,
) -> khachquen_core::Result<i32> {
    match cmd {
        DbCmd::Check => check(db, o),
        DbCmd::MigrateTo { url } => {
            let url = server_of(url.as_deref().or(server))?;
            let mut p = o.progress("cli.copy_progress");
            let moved = db.migrate_to(url, &mut |d, t| p(d as u64, t as u64));
            o.end_progress();
            let moved = moved?;
            o.print(&moved, || moved_text(o, "cli.migrated_to", &moved))?;
            Ok(0)
        }
        cmd => run_on_server(Cmd::Db(cmd), server, o),
    }
}

/// [`on_server_alone`]'s commands.
pub fn run_on_server(
    Cmd::Db(cmd): Cmd,
    server: Option<&str>,
    o: &Out,
) -> khachquen_core::Result<i32> {
    let database = server_of(server)?;
    match cmd {
        DbCmd::BackupServer {
            file,
            encrypt,
            passphrase,
        } => {
            let secret = match encrypt {
                true => Some(
                    passphrase
                        .value()
                        .ok_or(CoreError::BackupPassphraseMissing)?,
                ),
                false => None,
            };
            let b = backup_server(database, &file, secret.as_deref())?;
            o.print(&b, || server_backup_text(o, "cli.server_backup_ok", &b))?;
            Ok(0)
        }
        DbCmd::RestoreServer { file, passphrase } => {
            let b = restore_server(database, &file, passphrase.value().as_deref())?;
            o.print(&b, || server_backup_text(o, "cli.server_restored", &b))?;
            Ok(0)
        }
        DbCmd::ExportSqlite { file } => {
            let mut p = o.progress("cli.copy_progress");
            let moved = export_sqlite(database, &file, &mut |d, t| p(d as u64, t as u64));
            o.end_progress();
            let moved = moved?;
            o.print(&moved, || moved_text(o, "cli.exported_sqlite", &moved))?;
            Ok(0)
        }
        DbCmd::Check | DbCmd::MigrateTo { .. } => Err(CoreError::NotOnServer),
    }
}

fn moved_text(o: &Out, key: &str, m: &Moved) -> String {
    let place = m.file.as_deref().unwrap_or(&m.server);
    format!(
        "{} {place}\n{}: {} {}, {} {}, {} {}, {} {}",
        o.t(key),
        o.t("cli.copy_checked"),
        m.customers,
        o.t("cli.customers_count"),
        m.purchases,
        o.t("cli.purchases_count"),
        m.rows,
        o.t("cli.rows_count"),
        m.balances,
        o.t("cli.balances_count"),
    )
}

fn server_backup_text(o: &Out, key: &str, b: &ServerBackup) -> String {
    let badge = match b.encrypted {
        true => format!(" [{}]", o.t("backup_crypto.badge")),
        false => String::new(),
    };
    format!(
        "{} {}{badge} ({})\n{}: {} {}, {} {}, {} {}",
        o.t(key),
        b.file,
        b.server,
        o.t("cli.copy_checked_rows"),
        b.customers,
        o.t("cli.customers_count"),
        b.purchases,
        o.t("cli.purchases_count"),
        b.rows,
        o.t("cli.rows_count"),
    )
}

fn check(db: &Store, o: &Out) -> khachquen_core::Result<i32> {
    let report = db.check()?;
    o.print(&report, || {
        if report.ok {
            return "ok".into();
        }
        let mut lines: Vec<String> = report
            .integrity
            .iter()
            .filter(|l| *l != "ok")
            .cloned()
            .collect();
        lines.extend(report.foreign_key_violations.iter().cloned());
        if report.negative_balances > 0 {
            lines.push(format!(
                "{}: {}",
                o.t("cli.negative_balances"),
                report.negative_balances
            ));
        }
        if report.stats_mismatches > 0 {
            lines.push(format!(
                "{}: {}",
                o.t("cli.stats_mismatches"),
                report.stats_mismatches
            ));
        }
        if let Some(e) = report.sealed_rows.as_ref().and_then(|r| r.error()) {
            lines.push(format!(
                "{}: {}",
                o.t("cli.audit_sealed_rows"),
                i18n::core_error(o.lang, &e)
            ));
        }
        lines.join("\n")
    })?;
    if !report.ok {
        errln!("{}", o.t("cli.check_failed"));
        return Ok(1);
    }
    Ok(0)
}
