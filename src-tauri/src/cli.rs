//! The headless command line: the same core calls as the window.

/// Progress and errors on stderr, never failing: a closed stderr or a pipe whose reader has
/// gone (`2>&1 | head -1`) must not turn into a panic (exit 101) or change the exit code.
/// `eprintln!` panics on such a write, so the CLI uses these instead.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// [`err!`] with a line break.
macro_rules! errln {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod audit;
mod care;
mod report;
mod staff;

use crate::i18n::{self, t, Lang};
use clap::{Args, Parser, Subcommand};
use khachquen_core::backup::{BackupInfo, BackupStatus, PassphraseChange};
use khachquen_core::customers::merge::Duplicates;
use khachquen_core::model::{
    CustomerInput, CustomerLoyalty, ItemInput, LedgerEntry, LoyaltyConfig, Purchase, PurchaseInput,
    Stats, TierInput,
};
use khachquen_core::transfer::export::ExportKind;
use khachquen_core::transfer::import::{ImportOptions, ImportReport, Kind, Phase, RowError};
use khachquen_core::{store, CoreError, Store};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "khachquen",
    version,
    about = "Khách Quen: the CRM for a shop's regulars"
)]
struct Cli {
    /// Folder holding khachquen.db (default: the user data folder/khachquen)
    #[arg(long, global = true, env = "KHACHQUEN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Language of messages (default: the system locale)
    #[arg(long, global = true, value_parser = ["vi", "en"])]
    lang: Option<String>,
    /// Print one JSON document on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Add, edit, archive, find and show customers
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Record and list purchases
    #[command(subcommand)]
    Purchase(PurchaseCmd),
    /// Read and change shop settings (shop_name, currency, timezone, language)
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Database maintenance
    #[command(subcommand)]
    Db(DbCmd),
    /// Loyalty rules and tiers
    #[command(subcommand)]
    Loyalty(LoyaltyCmd),
    /// A customer's points: balance, ledger, adjustments, expiry
    #[command(subcommand)]
    Points(PointsCmd),
    /// Back up, verify and restore the data
    #[command(subcommand)]
    Backup(BackupCmd),
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
    /// Follow-up reminders: add, list, done, snooze, generate from the rules
    #[command(subcommand)]
    Reminder(care::ReminderCmd),
    /// The care log: calls, messages and visits
    #[command(subcommand)]
    Interaction(care::InteractionCmd),
    /// Message templates: render for a customer, export for a list
    #[command(subcommand)]
    Template(care::TemplateCmd),
    /// Satisfaction surveys (CSAT, NPS)
    #[command(subcommand)]
    Survey(care::SurveyCmd),
    /// A customer's warranties, found by phone
    #[command(subcommand)]
    Warranty(care::WarrantyCmd),
    /// After-sales tickets (warranty and repair)
    #[command(subcommand)]
    Ticket(care::TicketCmd),
    /// Retention reports: churn, cohorts, CLV, RFM, lifecycle, revenue split, staff
    #[command(subcommand)]
    Report(report::ReportCmd),
    /// The audit log: who changed what, and a check that nobody edited it
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Staff accounts (owner, cashiers) and their PINs
    #[command(subcommand)]
    Staff(staff::StaffCmd),
    /// Fill an empty database with a realistic demo shop
    Demo {
        #[arg(long, default_value_t = 300)]
        customers: u64,
        #[arg(long, default_value_t = 1500)]
        purchases: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args, Default)]
struct Details {
    /// Shop code (mã khách hàng)
    #[arg(long)]
    code: Option<String>,
    /// YYYY-MM-DD, or --MM-DD when the year is unknown
    #[arg(long, allow_hyphen_values = true)]
    birthday: Option<String>,
    /// male, female or other
    #[arg(long)]
    gender: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// A tag; repeat for several (on edit, replaces the tags)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// The referring customer: id, phone or code
    #[arg(long, value_name = "REF")]
    referred_by: Option<String>,
    /// walk_in, facebook, zalo, referral or other
    #[arg(long)]
    source: Option<String>,
}

impl Details {
    fn into_input(self, name: Option<String>, phone: Option<String>) -> CustomerInput {
        CustomerInput {
            name,
            phone,
            code: self.code,
            birthday: self.birthday,
            gender: self.gender,
            email: self.email,
            address: self.address,
            note: self.note,
            tags: (!self.tags.is_empty()).then_some(self.tags),
            referred_by: self.referred_by,
            source: self.source,
        }
    }
}

#[derive(Subcommand)]
enum CustomerCmd {
    Add {
        #[arg(long)]
        name: String,
        /// Optional: a regular may be known by name or card code (--code) alone
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        details: Details,
    },
    Edit {
        /// Customer id, phone or shop code
        reference: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        details: Details,
    },
    Archive {
        reference: String,
    },
    Find {
        query: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    Show {
        reference: String,
    },
    /// Probable duplicates: same phone, or same name with the same birthday or email
    Duplicates {
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Merge OTHER into KEEP: purchases, points and referrals move to KEEP; OTHER is archived
    Merge {
        /// The customer to keep: id, phone or code
        keep: String,
        /// The duplicate to fold into KEEP: id, phone or code
        other: String,
    },
}

#[derive(Subcommand)]
enum BackupCmd {
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
    Config {
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
    },
    /// The daily automatic backup, if none was made today (the window runs it at start-up)
    Auto,
}

/// Where the backup passphrase comes from: an environment variable, never argv.
#[derive(Args)]
struct PassphraseEnv {
    /// The environment variable holding the backup passphrase
    #[arg(
        long = "passphrase-env",
        value_name = "VAR",
        default_value = "KHACHQUEN_BACKUP_PASSPHRASE"
    )]
    var: String,
}

impl PassphraseEnv {
    fn value(&self) -> Option<String> {
        env_secret(&self.var)
    }
}

/// A non-empty environment variable.
fn env_secret(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

#[derive(Subcommand)]
enum PurchaseCmd {
    Add {
        #[arg(long, value_name = "REF")]
        customer: String,
        #[arg(long, allow_negative_numbers = true)]
        amount: String,
        /// YYYY-MM-DD[THH:MM] in the shop's time zone (default: now)
        #[arg(long)]
        at: Option<String>,
        /// "product;qty;unit price[;warranty months]"; repeat for several
        #[arg(long = "item", value_name = "ITEM")]
        items: Vec<String>,
        /// cash, card, transfer, ewallet or other
        #[arg(long)]
        payment: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        staff: Option<String>,
        /// Points to redeem on this bill
        #[arg(long, value_name = "POINTS", allow_negative_numbers = true)]
        redeem: Option<i64>,
        /// A client-generated id: recording the same id twice records it once
        #[arg(long = "id", value_name = "CLIENT_ID")]
        client_id: Option<String>,
    },
    /// Refund a purchase in full, or --amount of it
    Refund {
        purchase_id: i64,
        #[arg(long, allow_negative_numbers = true)]
        amount: Option<String>,
    },
    List {
        #[arg(long, value_name = "REF")]
        customer: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum SettingsCmd {
    Get { key: String },
    Set { key: String, value: String },
}

#[derive(Subcommand)]
enum LoyaltyCmd {
    /// Print the rules and tiers
    Show,
    /// Change rules: earn_per, point_value, min_redeem, max_redeem_percent, expiry_months,
    /// birthday_bonus
    Set {
        #[arg(value_name = "KEY=VALUE", required = true)]
        pairs: Vec<String>,
    },
    #[command(subcommand)]
    Tiers(TiersCmd),
    /// The daily loyalty work: expiry, birthday bonuses, tier moves (idempotent)
    Run {
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
enum TiersCmd {
    /// Replace the tiers: "NAME:THRESHOLD:MULTIPLIER"...
    Set {
        #[arg(value_name = "NAME:THRESHOLD:MULTIPLIER", required = true)]
        tiers: Vec<String>,
    },
}

#[derive(Subcommand)]
enum PointsCmd {
    /// Balance, tier and ledger
    Show { reference: String },
    /// A signed manual change with a reason
    Adjust {
        reference: String,
        #[arg(long, allow_negative_numbers = true)]
        delta: i64,
        #[arg(long)]
        reason: String,
    },
    /// Expire points due by the end of a day (default: now); idempotent
    Expire {
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
}

#[derive(Args)]
struct ImportFlags {
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
enum ImportCmd {
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

#[derive(Subcommand)]
enum DbCmd {
    /// integrity_check and foreign_key_check; exits 0 only when clean
    Check,
}

/// The owner's PIN, for commands that change or export data once staff exist.
pub const PIN_VAR: &str = "KHACHQUEN_PIN";

/// Parse, run, print; returns the exit code (0 ok, 1 error, 2 usage).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let lang = cli
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(Lang::from_env);
    let data_dir = match cli.data_dir.clone().or_else(store::default_data_dir) {
        Some(d) => d,
        None => {
            errln!("{}", t(lang, "cli.no_data_dir"));
            return 1;
        }
    };
    // First, so that why the data file would not open is in the log too.
    init_log(&data_dir);
    let db = match Store::open(&store::db_path(&data_dir)) {
        Ok(s) => s,
        Err(e) => return fail(lang, &e),
    };
    let Some(command) = cli.command else {
        return match crate::run_window(db, data_dir) {
            Ok(()) => 0,
            Err(e) => {
                errln!("{e}");
                1
            }
        };
    };
    let out = Out {
        lang,
        json: cli.json,
    };
    // Once staff exist, changes and exports need the owner's PIN; without it reads still work.
    if let Some(pin) = std::env::var(PIN_VAR).ok().filter(|p| !p.is_empty()) {
        if let Err(e) = db.sign_in_owner(&pin) {
            return fail(lang, &e);
        }
    }
    match run(&db, command, &out) {
        Ok(code) => code,
        Err(e) => fail(lang, &e),
    }
}

fn fail(lang: Lang, e: &CoreError) -> i32 {
    errln!("{}", i18n::core_error(lang, e));
    1
}

struct Out {
    lang: Lang,
    json: bool,
}

impl Out {
    /// JSON when asked for, else the human text.
    fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> khachquen_core::Result<()> {
        let mut stdout = std::io::stdout().lock();
        let written = if self.json {
            let s = serde_json::to_string_pretty(value)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            writeln!(stdout, "{s}")
        } else {
            let h = human();
            if h.is_empty() {
                Ok(())
            } else {
                writeln!(stdout, "{h}")
            }
        };
        match written.and_then(|()| stdout.flush()) {
            // The reader went away (`| head -1`): the work is done, only the telling is cut
            // short, so the command's own exit code stands.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }

    fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

fn stats_text(o: &Out, s: &Stats) -> String {
    [
        format!("{}: {}", o.t("cli.visits"), s.visits),
        format!("{}: {}", o.t("cli.total_spent"), s.total_spent),
        format!(
            "{}: {}",
            o.t("cli.average_basket"),
            or_dash(s.average_basket)
        ),
        format!(
            "{}: {}",
            o.t("cli.first_purchase"),
            or_dash(s.first_purchase_at.map(|d| d.to_rfc3339()))
        ),
        format!(
            "{}: {}",
            o.t("cli.last_purchase"),
            or_dash(s.last_purchase_at.map(|d| d.to_rfc3339()))
        ),
        format!(
            "{}: {}",
            o.t("cli.average_days"),
            or_dash(s.average_days_between_visits)
        ),
    ]
    .join("\n")
}

fn loyalty_text(o: &Out, l: &CustomerLoyalty) -> String {
    let mut s = format!(
        "{}: {}\n{}: {}\n{}: {}",
        o.t("cli.points"),
        l.balance,
        o.t("cli.tier"),
        or_dash(l.tier.as_ref()),
        o.t("cli.spend_12m"),
        l.spend_12m
    );
    if let (Some(next), Some(need)) = (&l.next_tier, l.needed_for_next) {
        s.push_str(&format!("\n{}: {next} (+{need})", o.t("cli.next_tier")));
    }
    s
}

fn ledger_line(e: &LedgerEntry) -> String {
    format!(
        "{}\t{:+}\t{}\t{}\t{}",
        e.at.to_rfc3339(),
        e.points,
        e.kind,
        e.purchase_id.map(|p| format!("#{p}")).unwrap_or_default(),
        e.reason.as_deref().unwrap_or("")
    )
}

fn config_text(o: &Out, c: &LoyaltyConfig) -> String {
    let r = &c.rules;
    let mut lines = vec![
        format!("earn_per = {}", r.earn_per),
        format!("point_value = {}", r.point_value),
        format!("min_redeem = {}", r.min_redeem),
        format!("max_redeem_percent = {}", r.max_redeem_percent),
        format!("expiry_months = {}", r.expiry_months),
        format!("birthday_bonus = {}", r.birthday_bonus),
        String::new(),
        o.t("cli.tiers_heading"),
    ];
    lines.extend(
        c.tiers
            .iter()
            .map(|t| format!("{}:{}:{}", t.name, t.threshold, t.multiplier)),
    );
    lines.join("\n")
}

/// "NAME:THRESHOLD:MULTIPLIER"; the name may itself contain colons.
fn parse_tier(spec: &str) -> khachquen_core::Result<TierInput> {
    let mut parts = spec.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(n)) => Ok(TierInput {
            name: n.to_owned(),
            threshold: t.to_owned(),
            multiplier: m.to_owned(),
        }),
        _ => Err(CoreError::InvalidInput(format!("{spec:?}"))),
    }
}

fn purchase_line(p: &Purchase) -> String {
    let items: Vec<String> = p
        .items
        .iter()
        .map(|i| format!("{} × {} @ {}", i.quantity, i.product, i.unit_price))
        .collect();
    format!(
        "#{}\t{}\t{}\t{}\t{}",
        p.id,
        p.at.to_rfc3339(),
        p.total,
        p.payment_method,
        items.join(", ")
    )
}

fn duplicates_text(o: &Out, d: &Duplicates) -> String {
    if d.groups.is_empty() {
        return o.t("cli.duplicates_none");
    }
    let mut lines = vec![format!(
        "{}: {} / {}",
        o.t("cli.duplicates_found"),
        d.groups.len(),
        d.total
    )];
    for g in &d.groups {
        let reasons: Vec<String> = g
            .reasons
            .iter()
            .zip(&g.keys)
            .map(|(r, k)| {
                let label = match r.as_str() {
                    "phone" => o.t("cli.reason_phone"),
                    "name_birthday" => o.t("cli.reason_name_birthday"),
                    _ => o.t("cli.reason_name_email"),
                };
                format!("{label} ({k})")
            })
            .collect();
        lines.push(String::new());
        lines.push(reasons.join("; "));
        for c in &g.customers {
            let mut flags = Vec::new();
            if c.id == g.suggested_keep {
                flags.push(o.t("cli.suggested_keep"));
            }
            if c.archived {
                flags.push(o.t("cli.archived_short"));
            }
            lines.push(format!(
                "  #{}\t{}\t{}\t{} {}\t{}",
                c.id,
                c.name,
                phone_or_dash(&c.phone_display),
                c.visits,
                o.t("cli.visits_count"),
                flags.join(", ")
            ));
        }
    }
    lines.join("\n")
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

/// A percentage on stderr for long work, unless the output is JSON.
fn progress<'a>(o: &'a Out, key: &str) -> impl FnMut(u64, u64) + 'a {
    let label = o.t(key);
    let json = o.json;
    move |done: u64, total: u64| {
        if !json {
            err!("\r{label} {}%", done * 100 / total.max(1));
        }
    }
}

fn backup(db: &Store, cmd: BackupCmd, o: &Out) -> khachquen_core::Result<i32> {
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
                &mut progress(o, "cli.backup_progress"),
            );
            if !o.json {
                errln!();
            }
            let b = b?;
            o.print(&b, || {
                format!("{}: {}", o.t("cli.backup_saved"), backup_text(o, &b))
            })?;
        }
        BackupCmd::List => {
            let list = db.list_backups()?;
            o.print(&list, || {
                if list.is_empty() {
                    return o.t("cli.backup_none");
                }
                list.iter()
                    .map(|e| match (&e.info, &e.error) {
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
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
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
        } => {
            let r = db.restore_backup_with(
                &file,
                passphrase.value().as_deref(),
                allow_unencrypted,
                &mut progress(o, "cli.restore_progress"),
            );
            if !o.json {
                errln!();
            }
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
            })?;
        }
        BackupCmd::Status => {
            let s = db.backup_status()?;
            o.print(&s, || status_text(o, &s))?;
        }
        BackupCmd::Config {
            folder,
            keep,
            passphrase_env,
            no_passphrase,
            unlock_env,
        } => {
            let missing = || CoreError::BackupPassphraseMissing;
            let set = passphrase_env
                .map(|v| env_secret(&v).ok_or_else(missing))
                .transpose()?;
            let unlock = unlock_env
                .map(|v| env_secret(&v).ok_or_else(missing))
                .transpose()?;
            let change = match (&set, &unlock) {
                (Some(p), _) => Some(PassphraseChange::Set(p)),
                (None, Some(p)) => Some(PassphraseChange::Unlock(p)),
                (None, None) if no_passphrase => Some(PassphraseChange::Clear),
                (None, None) => None,
            };
            let s = db.configure_backups_with(folder.as_deref(), keep.as_deref(), change)?;
            o.print(&s, || status_text(o, &s))?;
        }
        BackupCmd::Auto => {
            let b = db.auto_backup_if_due()?;
            o.print(&b, || match &b {
                Some(b) => format!("{}: {}", o.t("cli.backup_saved"), backup_text(o, b)),
                None => o.t("cli.backup_not_due"),
            })?;
        }
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

/// Report every row; exit 1 when a row is rejected, unless --skip-invalid imported the rest.
fn import_cmd(db: &Store, cmd: ImportCmd, o: &Out) -> khachquen_core::Result<i32> {
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
    let label = o.t("cli.import_progress");
    // One percentage over both passes (check, then write), each row counted once a pass.
    let mut progress = |phase: Phase, done: u64, total: u64| {
        if !o.json {
            let half = done * 50 / total.max(1);
            let pct = if opts.dry_run {
                half * 2
            } else if phase == Phase::Check {
                half
            } else {
                50 + half
            };
            err!("\r{label} {pct}%");
        }
    };
    let mut r = db.import(kind, &file, &opts, &mut progress)?;
    if !o.json {
        errln!();
    }
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

/// A customer without a phone shows "-", as other empty fields do.
fn phone_or_dash(shown: &str) -> &str {
    if shown.is_empty() {
        "-"
    } else {
        shown
    }
}

fn run(db: &Store, command: Command, o: &Out) -> khachquen_core::Result<i32> {
    match command {
        Command::Customer(cmd) => match cmd {
            CustomerCmd::Add {
                name,
                phone,
                details,
            } => {
                let c = db.add_customer(details.into_input(Some(name), phone))?;
                o.print(&c, || {
                    format!(
                        "{} #{}: {} ({})",
                        o.t("cli.customer_added"),
                        c.id,
                        c.name,
                        phone_or_dash(&c.phone_display)
                    )
                })?;
            }
            CustomerCmd::Edit {
                reference,
                name,
                phone,
                details,
            } => {
                let id = db.resolve_customer(&reference)?;
                let c = db.update_customer(id, details.into_input(name, phone))?;
                o.print(&c, || {
                    format!(
                        "{} #{}: {} ({})",
                        o.t("cli.customer_saved"),
                        c.id,
                        c.name,
                        phone_or_dash(&c.phone_display)
                    )
                })?;
            }
            CustomerCmd::Archive { reference } => {
                let id = db.resolve_customer(&reference)?;
                let c = db.archive_customer(id)?;
                o.print(&c, || {
                    format!("{} #{}: {}", o.t("cli.customer_archived"), c.id, c.name)
                })?;
            }
            CustomerCmd::Find { query, limit } => {
                let rows = db.search(&query, limit)?;
                o.print(&rows, || {
                    if rows.is_empty() {
                        return o.t("cli.no_match");
                    }
                    rows.iter()
                        .map(|r| {
                            format!(
                                "{}\t{}\t{}\t{}",
                                r.id,
                                r.code.as_deref().unwrap_or("-"),
                                r.name,
                                phone_or_dash(&r.phone_display)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
            }
            CustomerCmd::Show { reference } => {
                let id = db.resolve_customer(&reference)?;
                let p = db.profile(id, 1000)?;
                o.print(&p, || {
                    let c = &p.customer;
                    let mut lines = vec![
                        format!("#{} {} ({})", c.id, c.name, phone_or_dash(&c.phone_display)),
                        format!("{}: {}", o.t("cli.code"), or_dash(c.code.as_ref())),
                        format!("{}: {}", o.t("cli.birthday"), or_dash(c.birthday.as_ref())),
                        format!("{}: {}", o.t("cli.email"), or_dash(c.email.as_ref())),
                        format!("{}: {}", o.t("cli.address"), or_dash(c.address.as_ref())),
                        format!("{}: {}", o.t("cli.tags"), c.tags.join(", ")),
                        format!("{}: {}", o.t("cli.source"), c.source),
                        format!(
                            "{}: {}",
                            o.t("cli.referred_by"),
                            or_dash(c.referred_by_name.as_ref())
                        ),
                        format!("{}: {}", o.t("cli.note"), or_dash(c.note.as_ref())),
                    ];
                    if let Some(a) = c.archived_at {
                        lines.push(format!("{}: {}", o.t("cli.archived"), a.to_rfc3339()));
                    }
                    lines.push(String::new());
                    lines.push(stats_text(o, &p.stats));
                    if !p.purchases.is_empty() {
                        lines.push(String::new());
                        lines.push(o.t("cli.purchases"));
                        lines.extend(p.purchases.iter().map(purchase_line));
                    }
                    lines.join("\n")
                })?;
            }
            CustomerCmd::Duplicates { limit } => {
                let d = db.duplicates(limit)?;
                o.print(&d, || duplicates_text(o, &d))?;
            }
            CustomerCmd::Merge { keep, other } => {
                let (keep, other) = (db.resolve_customer(&keep)?, db.resolve_customer(&other)?);
                let r = db.merge_customers(keep, other)?;
                o.print(&r, || {
                    let moved: Vec<String> = r
                        .moved
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect();
                    format!(
                        "{} #{} {} → #{} {}\n{}: {}\n{}\n{}",
                        o.t("cli.merged"),
                        r.merged.id,
                        r.merged.name,
                        r.kept.id,
                        r.kept.name,
                        o.t("cli.moved"),
                        or_dash((!moved.is_empty()).then(|| moved.join(", "))),
                        stats_text(o, &r.stats),
                        loyalty_text(o, &r.loyalty)
                    )
                })?;
            }
        },
        Command::Backup(cmd) => return backup(db, cmd, o),
        Command::Reminder(cmd) => return care::reminder(db, cmd, o),
        Command::Interaction(cmd) => return care::interaction(db, cmd, o),
        Command::Template(cmd) => return care::template(db, cmd, o),
        Command::Survey(cmd) => return care::survey(db, cmd, o),
        Command::Warranty(cmd) => return care::warranty(db, cmd, o),
        Command::Ticket(cmd) => return care::ticket(db, cmd, o),
        Command::Report(cmd) => return report::report(db, cmd, o),
        Command::Audit(cmd) => return audit::audit(db, cmd, o),
        Command::Staff(cmd) => return staff::staff(db, cmd, o),
        Command::Purchase(cmd) => match cmd {
            PurchaseCmd::Add {
                customer,
                amount,
                at,
                items,
                payment,
                note,
                staff,
                redeem,
                client_id,
            } => {
                let customer_id = db.resolve_customer(&customer)?;
                let items = items
                    .iter()
                    .map(|s| ItemInput::parse_spec(s))
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let r = db.add_purchase(PurchaseInput {
                    customer_id,
                    amount,
                    at,
                    items,
                    payment_method: payment,
                    note,
                    staff,
                    redeem,
                    client_id,
                })?;
                o.print(&r, || r.purchase.id.to_string())?;
            }
            PurchaseCmd::Refund {
                purchase_id,
                amount,
            } => {
                let r = db.refund(purchase_id, amount.as_deref(), None)?;
                o.print(&r, || {
                    format!(
                        "{} #{}: {}\n{}: -{} / +{} ({}: {})\n{}",
                        o.t("cli.refunded"),
                        r.refund.purchase_id,
                        r.refund.amount,
                        o.t("cli.points"),
                        r.points_reversed,
                        r.points_returned,
                        o.t("cli.shortfall"),
                        r.shortfall,
                        loyalty_text(o, &r.loyalty)
                    )
                })?;
            }
            PurchaseCmd::List { customer, limit } => {
                let id = db.resolve_customer(&customer)?;
                let list = db.purchases_of(id, limit)?;
                o.print(&list, || {
                    list.iter()
                        .map(purchase_line)
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
            }
        },
        Command::Settings(cmd) => match cmd {
            SettingsCmd::Get { key } => {
                let v = db.setting(&key)?;
                o.print(&serde_json::json!({ key.as_str(): v }), || v.clone())?;
            }
            SettingsCmd::Set { key, value } => {
                let s = db.set_setting(&key, &value)?;
                let v = db.setting(&key)?;
                o.print(&s, || format!("{key} = {v}"))?;
            }
        },
        Command::Loyalty(cmd) => match cmd {
            LoyaltyCmd::Show => {
                let c = db.loyalty_config()?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Set { pairs } => {
                let parsed = pairs
                    .iter()
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => Ok((k.trim().to_owned(), v.trim().to_owned())),
                        None => Err(CoreError::InvalidInput(format!("{p:?}: KEY=VALUE"))),
                    })
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let c = db.set_loyalty_rules(&parsed)?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Tiers(TiersCmd::Set { tiers }) => {
                let input = tiers
                    .iter()
                    .map(|t| parse_tier(t))
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let c = db.set_tiers(&input)?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Run { as_of } => {
                let r = db.loyalty_maintenance(as_of.as_deref())?;
                o.print(&r, || {
                    format!(
                        "{}: {}\n{}: {} ({})\n{}: {}\n{}: {}",
                        o.t("cli.as_of"),
                        r.as_of,
                        o.t("cli.expired"),
                        r.expired_points,
                        r.expired_customers,
                        o.t("cli.birthday_bonuses"),
                        r.birthday_bonuses,
                        o.t("cli.tier_moves"),
                        r.tier_moves
                    )
                })?;
            }
        },
        Command::Points(cmd) => match cmd {
            PointsCmd::Show { reference } => {
                let id = db.resolve_customer(&reference)?;
                let v = db.points(id, 1000)?;
                o.print(&v, || {
                    let mut lines = vec![loyalty_text(o, &v.loyalty), String::new()];
                    lines.extend(v.ledger.iter().map(ledger_line));
                    lines.join("\n")
                })?;
            }
            PointsCmd::Adjust {
                reference,
                delta,
                reason,
            } => {
                let id = db.resolve_customer(&reference)?;
                let r = db.adjust_points(id, delta, &reason, None)?;
                o.print(&r, || {
                    format!("{}\n{}", ledger_line(&r.entry), loyalty_text(o, &r.loyalty))
                })?;
            }
            PointsCmd::Expire { as_of } => {
                let r = db.expire_points(as_of.as_deref())?;
                o.print(&r, || {
                    format!(
                        "{}: {}\n{}: {} ({})",
                        o.t("cli.as_of"),
                        r.as_of,
                        o.t("cli.expired"),
                        r.expired_points,
                        r.expired_customers
                    )
                })?;
            }
        },
        Command::Db(DbCmd::Check) => {
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
        }
        Command::Import(cmd) => return import_cmd(db, cmd, o),
        Command::Export { what, file } => {
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
        }
        Command::Demo {
            customers,
            purchases,
            seed,
        } => {
            let label = o.t("cli.demo_progress");
            let mut progress = |done: u64, total: u64| {
                if !o.json {
                    err!("\r{label} {}%", done * 100 / total.max(1));
                }
            };
            let r = db.create_demo(customers, purchases, seed, &mut progress)?;
            if !o.json {
                errln!();
            }
            o.print(&r, || {
                format!(
                    "{}: {} / {}",
                    o.t("cli.demo_done"),
                    r.customers,
                    r.purchases
                )
            })?;
        }
    }
    Ok(0)
}

/// The technical detail behind a one-sentence error (a library's or the system's words)
/// goes to `khachquen.log` in the data folder, never to the owner's message. The log starts
/// over once it passes 1 MB; a log that cannot be opened is simply not written.
fn init_log(data_dir: &std::path::Path) {
    // The data folder may not exist yet on a first run (opening the store makes it anyway).
    let _ = std::fs::create_dir_all(data_dir);
    let path = data_dir.join("khachquen.log");
    let big = std::fs::metadata(&path).is_ok_and(|m| m.len() > 1024 * 1024);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(!big)
        .write(true)
        .truncate(big)
        .open(&path);
    if let Ok(file) = file {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
            .try_init();
    }
}
