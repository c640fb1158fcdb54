//! Database maintenance on the command line.

use super::out::Out;
use crate::i18n;
use clap::Subcommand;
use khachquen_core::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// Database maintenance
    #[command(subcommand)]
    Db(DbCmd),
}

#[derive(Subcommand)]
pub enum DbCmd {
    /// integrity_check and foreign_key_check; exits 0 only when clean
    Check,
}

pub fn run(db: &Store, Cmd::Db(DbCmd::Check): Cmd, o: &Out) -> khachquen_core::Result<i32> {
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
