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
mod logs;
mod loyalty;
mod out;
mod purchases;
mod queue;
mod report;
mod settings;
mod staff;
mod transfer;
mod vouchers;

use crate::i18n::{self, t, Lang};
use clap::{Parser, Subcommand};
use khachquen_core::{store, upgrade, CoreError, Store};
use out::Out;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "khachquen",
    about = "Khách Quen: the CRM for a shop's regulars"
)]
struct Cli {
    /// Folder holding khachquen.db (default: the user data folder/khachquen)
    #[arg(long, global = true, env = "KHACHQUEN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The shop on a PostgreSQL server, postgres://user[:password]@host[:port]/database
    /// (default: the file in the data folder). KHACHQUEN_DATABASE_URL keeps a password out
    /// of the process list
    #[arg(
        long,
        global = true,
        env = "KHACHQUEN_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,
    /// This counter's name, recorded on its bills, reminders and audit entries (default on
    /// a server: the computer's name)
    #[arg(long, global = true, env = "KHACHQUEN_COUNTER", value_name = "NAME")]
    counter: Option<String>,
    /// Language of messages (default: the system locale)
    #[arg(long, global = true, value_parser = ["vi", "en"])]
    lang: Option<String>,
    /// Print one JSON document on stdout
    #[arg(long, global = true)]
    json: bool,
    /// A backup (.kqbackup) to open in the window, which offers to restore it
    #[arg(value_name = "BACKUP")]
    backup: Option<PathBuf>,
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
    Queue(queue::Cmd),
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
    #[command(flatten)]
    Logs(logs::Cmd),
}

/// The owner's PIN, for commands that change or export data once staff exist.
pub const PIN_VAR: &str = "KHACHQUEN_PIN";

/// Parse, run, print; returns the exit code (0 ok, 1 error, 2 usage).
pub fn main() -> i32 {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let parsed = Cli::command()
        .version(version())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
        // A word that is neither a command nor a file is a mistyped command, not a backup.
        if let Some(b) = cli.backup.as_deref().filter(|b| !b.is_file()) {
            errln!(
                "{}",
                t(lang, "cli.not_a_command").replace("{word}", &b.display().to_string())
            );
            return 2;
        }
        return open_window(lang, &cli, &data_dir);
    };
    let out = Out {
        lang,
        json: cli.json,
    };
    let server = cli.database.as_deref();
    let command = match command {
        // What waits in this computer's outbox is read without the shop.
        Command::Queue(cmd) if queue::needs_no_store(&cmd) => {
            crate::log::init(&data_dir, "cli");
            return match queue::list(&data_dir, &out) {
                Ok(code) => code,
                Err(e) => fail(lang, &e),
            };
        }
        // Backing up, restoring and exporting a server's shop need no file of this machine.
        Command::Db(cmd) if db::on_server_alone(&cmd) => {
            crate::log::init(&data_dir, "cli");
            return match db::run_on_server(cmd, server, &out) {
                Ok(code) => code,
                Err(e) => fail(lang, &e),
            };
        }
        other => other,
    };
    let server = match &command {
        // Copying a file to a server reads the file, whichever shop the variable names.
        Command::Db(cmd) if db::reads_the_file(cmd) => None,
        _ => server,
    };
    let db = match server {
        Some(url) => {
            crate::log::init(&data_dir, "cli");
            match Store::open_server(url) {
                Ok(s) => {
                    s.keep_clear_of(&data_dir);
                    s
                }
                Err(e) => {
                    return match command {
                        // A counter's bill waits in its outbox while the server is away.
                        Command::Purchases(cmd)
                            if matches!(e, CoreError::ServerUnreachable { .. })
                                && purchases::records_a_bill(&cmd) =>
                        {
                            // Kept with the counter's name, which the server records.
                            let counter =
                                khachquen_core::connection::counter_name(cli.counter.as_deref());
                            match counter.and_then(|c| {
                                purchases::add_offline(e, &data_dir, c.as_deref(), cmd, &out)
                            }) {
                                Ok(code) => code,
                                Err(e) => fail(lang, &e),
                            }
                        }
                        _ => fail(lang, &e),
                    };
                }
            }
        }
        None => match open(lang, &data_dir) {
            Ok(s) => s,
            Err(code) => return code,
        },
    };
    // On a server every bill carries a counter's name (this computer's unless given); a
    // shop's own file names one only when asked.
    let counter = match (&cli.counter, server) {
        (given, Some(_)) => khachquen_core::connection::counter_name(given.as_deref()),
        (given, None) => Ok(given.clone()),
    };
    if let Err(e) = counter.and_then(|c| db.set_counter(c.as_deref())) {
        return fail(lang, &e);
    }
    // Once staff exist, changes and exports need the owner's PIN; without it reads still work.
    if let Some(pin) = std::env::var(PIN_VAR).ok().filter(|p| !p.is_empty()) {
        if let Err(e) = db.sign_in_owner(&pin) {
            return fail(lang, &e);
        }
    }
    // A counter on a server sends the bills kept while it was away before anything else,
    // so they reach the server in the order they were made.
    let outbox_dir = server.map(|_| data_dir.as_path());
    if outbox_dir.is_some() && !matches!(command, Command::Queue(_)) {
        queue::send_waiting(&db, &data_dir, &out);
    }
    let ctx = Ctx {
        data_dir: &data_dir,
        server: cli.database.as_deref(),
        outbox_dir,
    };
    match run(&db, command, &out, &ctx) {
        Ok(code) => code,
        Err(e) => fail(lang, &e),
    }
}

/// `khachquen --version`: the app's version and the schema its data files are at. (Made
/// once per process; clap keeps a `'static` string.)
fn version() -> &'static str {
    let text = format!(
        "{} (schema {})",
        env!("CARGO_PKG_VERSION"),
        upgrade::schema_version()
    );
    Box::leak(text.into_boxed_str())
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
/// An older file is backed up and upgraded first, its progress on stderr.
pub fn open(lang: Lang, data_dir: &Path) -> Result<Store, i32> {
    // First, so that why the data file would not open is in the log too.
    crate::log::init(data_dir, "cli");
    let path = store::db_path(data_dir);
    let mut shown = None;
    let opened = upgrade::open(&path, &mut |p| {
        let (key, done, total) = match p {
            upgrade::Progress::Backup { done, total } => ("cli.upgrade_backup", done, total),
            upgrade::Progress::Migrate { done, total } => ("cli.upgrade_migrate", done, total),
        };
        let percent = done * 100 / total.max(1);
        if shown.map(|(k, _)| k) != Some(key) {
            if shown.is_some() {
                errln!();
            }
        } else if shown == Some((key, percent)) {
            return; // once per percent: stderr may be a log file
        }
        shown = Some((key, percent));
        err!("\r{} {percent}%", t(lang, key));
    });
    let (store, upgraded) = opened.map_err(|e| {
        if shown.is_some() {
            errln!();
        }
        fail(lang, &e)
    })?;
    if let Some(u) = upgraded {
        errln!();
        errln!(
            "{}",
            t(lang, "cli.upgraded")
                .replace("{from}", &u.from.to_string())
                .replace("{to}", &u.to.to_string())
                .replace("{backup}", &u.backup)
        );
    }
    Ok(store)
}

/// The window's own program, beside this one.
pub const WINDOW_BIN: &str = "khachquen-window";

fn bin_name() -> String {
    format!("{WINDOW_BIN}{}", std::env::consts::EXE_SUFFIX)
}

/// With no command: become the window's program, with the same folder and language. The
/// window lives in its own binary so that commands never load the GUI libraries.
fn open_window(lang: Lang, cli: &Cli, data_dir: &Path) -> i32 {
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
    if let Some(l) = &cli.lang {
        cmd.args(["--lang", l]);
    }
    if let Some(b) = &cli.backup {
        cmd.arg("--restore").arg(b);
    }
    // A server's address goes by the environment, never the command line others can read.
    if let Some(url) = &cli.database {
        cmd.env("KHACHQUEN_DATABASE_URL", url);
    }
    if let Some(name) = &cli.counter {
        cmd.env("KHACHQUEN_COUNTER", name);
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

/// Where a command runs: the data folder, the server named on the command line, and (for
/// a counter on a server) the folder of its outbox.
struct Ctx<'a> {
    data_dir: &'a Path,
    server: Option<&'a str>,
    outbox_dir: Option<&'a Path>,
}

fn run(db: &Store, command: Command, o: &Out, ctx: &Ctx) -> khachquen_core::Result<i32> {
    match command {
        Command::Customers(cmd) => customers::run(db, cmd, o),
        Command::Purchases(cmd) => purchases::run(db, cmd, o, ctx.outbox_dir),
        Command::Queue(cmd) => queue::run(db, ctx.data_dir, cmd, o),
        Command::Settings(cmd) => settings::run(db, cmd, o),
        Command::Db(cmd) => db::run(db, cmd, o, ctx.server),
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
        Command::Logs(cmd) => logs::run(db, ctx.data_dir, cmd, o),
    }
}
