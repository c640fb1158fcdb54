//! Backups on the command line: create, list, verify, restore, status, settings and the
//! daily automatic one. Passphrases come from environment variables, never argv.

use super::out::{lines, or_dash, Out};
use crate::i18n;
use clap::{Args, Subcommand};
use khachquen_core::backup::{BackupEntry, BackupInfo, BackupStatus, PassphraseChange};
use khachquen_core::{CoreError, Store};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Back up, verify and restore the data
    #[command(subcommand)]
    Backup(BackupCmd),
}

#[derive(Subcommand)]
pub enum BackupCmd {
    /// Back up now: to FILE (or into a folder), else into the backup folder. With a backup
    /// passphrase set, the backup is encrypted (FILE.age)
    Create {
        file: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
        /// Encrypt even when no backup passphrase is set, with the one in --passphrase-env
        #[arg(long)]
        encrypt: bool,
        #[command(flatten)]
        passphrase: PassphraseEnv,
    },
    /// The backups in the backup folder, newest first, each quickly checked
    List,
    /// Check a backup fully (integrity, schema, row counts); changes nothing. An encrypted
    /// one is opened with --passphrase-env, or the passphrase set on this computer
    Verify {
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseEnv,
    },
    /// Replace the data with a backup's; a copy of the current data is kept first. An
    /// encrypted backup needs its passphrase in --passphrase-env
    Restore {
        file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseEnv,
        /// Restore a plain (unencrypted) file although this shop encrypts its backups:
        /// only for a file whose origin you know
        #[arg(long)]
        allow_unencrypted: bool,
    },
    /// Folder, how many are kept, encryption, and the last good backup with its age
    Status,
    /// Choose the backup folder (an existing one; "" = the default), how many to keep, and
    /// the backup passphrase
    Config(ConfigArgs),
    /// The daily automatic backup, if none was made today (the window runs it at start-up)
    Auto,
}

#[derive(Args)]
pub struct ConfigArgs {
    #[arg(long)]
    folder: Option<String>,
    #[arg(long)]
    keep: Option<String>,
    /// Set the backup passphrase from the environment variable VAR (never from argv):
    /// every later backup is encrypted with it
    #[arg(long, value_name = "VAR", conflicts_with_all = ["no_passphrase", "unlock_env"])]
    passphrase_env: Option<String>,
    /// Forget the backup passphrase: later backups are plain
    #[arg(long, conflicts_with = "unlock_env")]
    no_passphrase: bool,
    /// Enter the passphrase already set, from the environment variable VAR, to resume
    /// encrypted backups on this computer
    #[arg(long, value_name = "VAR")]
    unlock_env: Option<String>,
}

/// Where the backup passphrase comes from: an environment variable, never argv.
#[derive(Args)]
pub struct PassphraseEnv {
    /// The environment variable holding the backup passphrase
    #[arg(
        long = "passphrase-env",
        value_name = "VAR",
        default_value = "KHACHQUEN_BACKUP_PASSPHRASE"
    )]
    var: String,
}

impl PassphraseEnv {
    pub fn value(&self) -> Option<String> {
        env_secret(&self.var)
    }
}

/// A non-empty environment variable.
fn env_secret(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

pub fn run(db: &Store, Cmd::Backup(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        BackupCmd::Create {
            file,
            force,
            encrypt,
            passphrase,
        } => {
            let b = db.create_backup_with(
                file.as_deref(),
                force,
                encrypt,
                passphrase.value().as_deref(),
                &mut o.progress("cli.backup_progress"),
            );
            o.end_progress();
            saved(o, &Some(b?))?;
        }
        BackupCmd::List => {
            let list = db.list_backups()?;
            o.print(&list, || list_text(o, &list))?;
        }
        BackupCmd::Verify { file, passphrase } => {
            let b = db.verify_backup(&file, passphrase.value().as_deref())?;
            o.print(&b, || {
                format!("{}: {}", o.t("cli.backup_ok"), backup_text(o, &b))
            })?;
        }
        BackupCmd::Restore {
            file,
            passphrase,
            allow_unencrypted,
        } => restore(db, o, &file, passphrase, allow_unencrypted)?,
        BackupCmd::Status => {
            let s = db.backup_status()?;
            o.print(&s, || status_text(o, &s))?;
        }
        BackupCmd::Config(a) => config(db, o, a)?,
        BackupCmd::Auto => saved(o, &db.auto_backup_if_due()?)?,
    }
    Ok(0)
}

/// A backup just made, or from `auto` none because today's exists (JSON `null`).
fn saved(o: &Out, b: &Option<BackupInfo>) -> khachquen_core::Result<()> {
    o.print(b, || match b {
        Some(b) => format!("{}: {}", o.t("cli.backup_saved"), backup_text(o, b)),
        None => o.t("cli.backup_not_due"),
    })
}

fn restore(
    db: &Store,
    o: &Out,
    file: &std::path::Path,
    passphrase: PassphraseEnv,
    allow_unencrypted: bool,
) -> khachquen_core::Result<()> {
    let r = db.restore_backup_with(
        file,
        passphrase.value().as_deref(),
        allow_unencrypted,
        &mut o.progress("cli.restore_progress"),
    );
    o.end_progress();
    let r = r?;
    o.print(&r, || {
        let mut lines = vec![format!(
            "{}: {}",
            o.t("cli.backup_restored"),
            backup_text(o, &r.restored)
        )];
        if let Some(v) = r.upgraded_from {
            lines.push(format!("{} {v}", o.t("cli.backup_upgraded")));
        }
        lines.push(format!(
            "{}: {}",
            o.t("cli.backup_safety_copy"),
            r.safety_copy
        ));
        lines.join("\n")
    })
}

fn config(db: &Store, o: &Out, a: ConfigArgs) -> khachquen_core::Result<()> {
    let missing = || CoreError::BackupPassphraseMissing;
    let set = a
        .passphrase_env
        .map(|v| env_secret(&v).ok_or_else(missing))
        .transpose()?;
    let unlock = a
        .unlock_env
        .map(|v| env_secret(&v).ok_or_else(missing))
        .transpose()?;
    let change = match (&set, &unlock) {
        (Some(p), _) => Some(PassphraseChange::Set(p)),
        (None, Some(p)) => Some(PassphraseChange::Unlock(p)),
        (None, None) if a.no_passphrase => Some(PassphraseChange::Clear),
        (None, None) => None,
    };
    let s = db.configure_backups_with(a.folder.as_deref(), a.keep.as_deref(), change)?;
    o.print(&s, || status_text(o, &s))
}

fn list_text(o: &Out, list: &[BackupEntry]) -> String {
    if list.is_empty() {
        return o.t("cli.backup_none");
    }
    lines(list.iter().map(|e| match (&e.info, &e.error) {
        (Some(i), _) => format!(
            "{}\t{}\t{}\t{} {}\t{} {}",
            e.name,
            e.size,
            or_dash(i.created_at.map(|t| t.to_rfc3339())),
            i.counts.customers,
            o.t("cli.customers_count"),
            i.counts.purchases,
            o.t("cli.purchases_count")
        ),
        (None, Some(err)) => format!(
            "{}\t{}\t{}",
            e.name,
            e.size,
            i18n::error_message(o.lang, &err.code, &err.params)
        ),
        (None, None) if e.encrypted => format!(
            "{}\t{}\t{}\t{}",
            e.name,
            e.size,
            or_dash(e.modified.map(|t| t.to_rfc3339())),
            o.t("backup_crypto.badge")
        ),
        (None, None) => e.name.clone(),
    }))
}

fn backup_text(o: &Out, b: &BackupInfo) -> String {
    let sealed = match b.encrypted {
        true => format!(" [{}]", o.t("backup_crypto.badge")),
        false => String::new(),
    };
    let head = match &b.audit_head {
        Some(h) => format!("\n{}: {h}", o.t("cli.audit_head")),
        None => String::new(),
    };
    format!(
        "{}{sealed}\n{}: {}\n{} {}, {} {} ({} ms){head}",
        b.file,
        o.t("cli.backup_created"),
        or_dash(b.created_at.map(|t| t.to_rfc3339())),
        b.counts.customers,
        o.t("cli.customers_count"),
        b.counts.purchases,
        o.t("cli.purchases_count"),
        b.millis
    )
}

fn status_text(o: &Out, s: &BackupStatus) -> String {
    let last = match (s.last_ok_at, s.age_seconds) {
        (Some(at), Some(age)) => format!(
            "{} ({} {})",
            at.to_rfc3339(),
            age / 3600,
            o.t("cli.hours_ago")
        ),
        _ => o.t("cli.backup_never"),
    };
    let mut lines = vec![
        format!("{}: {}", o.t("cli.backup_folder"), s.folder),
        format!("{}: {}", o.t("cli.backup_keep"), s.keep),
        format!("{}: {last}", o.t("cli.backup_last_ok")),
        format!(
            "{}: {}",
            o.t("backup_crypto.cli_encryption"),
            match s.encryption {
                "on" => o.t("backup_crypto.state_on"),
                "paused" => o.t("backup_crypto.state_paused"),
                _ => o.t("backup_crypto.state_off"),
            }
        ),
    ];
    if let Some(f) = &s.last_file {
        lines.push(format!("  {f}"));
    }
    if let Some(e) = &s.last_error {
        lines.push(format!(
            "{} ({}): {}",
            o.t("cli.backup_last_error"),
            e.at.to_rfc3339(),
            i18n::error_message(o.lang, &e.error.code, &e.error.params)
        ));
    }
    lines.join("\n")
}
