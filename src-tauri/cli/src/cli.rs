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
mod backup;
mod campaigns;
mod cards;
mod care;
mod customers;
mod db;
mod demo;
mod loyalty;
mod out;
mod purchases;
mod report;
mod settings;
mod staff;
mod transfer;
mod vouchers;

use crate::i18n::{self, t, Lang};
use clap::{Parser, Subcommand};
use khachquen_core::{store, CoreError, Store};
use out::Out;
use std::path::{Path, PathBuf};

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

/// Each feature's commands, in the order `--help` lists them.
#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Customers(customers::Cmd),
    #[command(flatten)]
    Purchases(purchases::Cmd),
    #[command(flatten)]
    Settings(settings::Cmd),
    #[command(flatten)]
    Db(db::Cmd),
    #[command(flatten)]
    Loyalty(loyalty::Cmd),
    #[command(flatten)]
    Vouchers(vouchers::Cmd),
    #[command(flatten)]
    Campaigns(campaigns::Cmd),
    #[command(flatten)]
    Cards(cards::Cmd),
    #[command(flatten)]
    Backup(backup::Cmd),
    #[command(flatten)]
    Transfer(transfer::Cmd),
    #[command(flatten)]
    Care(care::Cmd),
    #[command(flatten)]
    Report(report::Cmd),
    #[command(flatten)]
    Audit(audit::Cmd),
    #[command(flatten)]
    Staff(staff::Cmd),
    #[command(flatten)]
    Demo(demo::Cmd),
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
    let lang = language(cli.lang.as_deref());
    let Some(data_dir) = data_dir(lang, cli.data_dir.clone()) else {
        return 1;
    };
    let Some(command) = cli.command else {
        return open_window(lang, cli.lang.as_deref(), &data_dir);
    };
    let db = match open(lang, &data_dir) {
        Ok(s) => s,
        Err(code) => return code,
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

/// `--lang`, else the system locale.
pub fn language(lang: Option<&str>) -> Lang {
    lang.and_then(Lang::parse).unwrap_or_else(Lang::from_env)
}

/// `--data-dir` (or its variable), else the user data folder; None, said on stderr, when the
/// system has no such folder.
pub fn data_dir(lang: Lang, given: Option<PathBuf>) -> Option<PathBuf> {
    let dir = given.or_else(store::default_data_dir);
    if dir.is_none() {
        errln!("{}", t(lang, "cli.no_data_dir"));
    }
    dir
}

/// Start the log, then open the shop; on failure the exit code, the reason said on stderr.
pub fn open(lang: Lang, data_dir: &Path) -> Result<Store, i32> {
    // First, so that why the data file would not open is in the log too.
    init_log(data_dir);
    Store::open(&store::db_path(data_dir)).map_err(|e| fail(lang, &e))
}

/// The window's own program, beside this one.
pub const WINDOW_BIN: &str = "khachquen-window";

fn bin_name() -> String {
    format!("{WINDOW_BIN}{}", std::env::consts::EXE_SUFFIX)
}

/// With no command: become the window's program, with the same folder and language. The
/// window lives in its own binary so that commands never load the GUI libraries.
fn open_window(lang: Lang, given_lang: Option<&str>, data_dir: &Path) -> i32 {
    let bin = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(WINDOW_BIN)))
        .map(|p| p.with_extension(std::env::consts::EXE_EXTENSION));
    let Some(bin) = bin.filter(|p| p.is_file()) else {
        errln!(
            "{}",
            t(lang, "cli.window_missing").replace("{bin}", &bin_name())
        );
        return 1;
    };
    let mut cmd = std::process::Command::new(&bin);
    cmd.arg("--data-dir").arg(data_dir);
    if let Some(l) = given_lang {
        cmd.args(["--lang", l]);
    }
    #[cfg(unix)]
    {
        // Replace this process: the same pid, signals and exit code as before the split.
        use std::os::unix::process::CommandExt as _;
        let e = cmd.exec();
        errln!("{}: {e}", bin.display());
        1
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            errln!("{}: {e}", bin.display());
            1
        }
    }
}

pub fn fail(lang: Lang, e: &CoreError) -> i32 {
    errln!("{}", i18n::core_error(lang, e));
    1
}

fn run(db: &Store, command: Command, o: &Out) -> khachquen_core::Result<i32> {
    match command {
        Command::Customers(cmd) => customers::run(db, cmd, o),
        Command::Purchases(cmd) => purchases::run(db, cmd, o),
        Command::Settings(cmd) => settings::run(db, cmd, o),
        Command::Db(cmd) => db::run(db, cmd, o),
        Command::Loyalty(cmd) => loyalty::run(db, cmd, o),
        Command::Vouchers(cmd) => vouchers::run(db, cmd, o),
        Command::Campaigns(cmd) => campaigns::run(db, cmd, o),
        Command::Cards(cmd) => cards::run(db, cmd, o),
        Command::Backup(cmd) => backup::run(db, cmd, o),
        Command::Transfer(cmd) => transfer::run(db, cmd, o),
        Command::Care(cmd) => care::run(db, cmd, o),
        Command::Report(cmd) => report::run(db, cmd, o),
        Command::Audit(cmd) => audit::run(db, cmd, o),
        Command::Staff(cmd) => staff::run(db, cmd, o),
        Command::Demo(cmd) => demo::run(db, cmd, o),
    }
}

/// The technical detail behind a one-sentence error (a library's or the system's words)
/// goes to `khachquen.log` in the data folder, never to the owner's message. The log starts
/// over once it passes 1 MB; a log that cannot be opened is simply not written.
fn init_log(data_dir: &Path) {
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
