//! The Khách Quen window (Tauri) over khachquen-core. The command line is khachquen-cli,
//! which links no GUI library; its message catalog is shared here.

pub mod commands;
pub use khachquen_cli::{cli, i18n};

use commands::AppState;
use khachquen_core::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Builder, Runtime};

/// Register every command; shared by the real app and the mock-runtime tests.
pub fn build_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::app::app_startup,
            commands::app::app_about,
            commands::app::app_open_folder,
            commands::app::logs_export,
            commands::app::debug_panic,
            commands::app::demo_create,
            commands::app::demo_leave,
            commands::app::app_reconnect,
            commands::app::server_connect,
            commands::app::server_disconnect,
            commands::settings::settings_get,
            commands::settings::settings_set,
            commands::customers::customer_search,
            commands::customers::customer_list,
            commands::customers::customer_tags,
            commands::customers::customer_get,
            commands::customers::customer_add,
            commands::customers::customer_update,
            commands::customers::customer_archive,
            commands::purchases::purchase_add,
            commands::purchases::purchase_keep,
            commands::purchases::queue_list,
            commands::purchases::queue_send,
            commands::purchases::queue_drop,
            commands::loyalty::loyalty_get,
            commands::loyalty::loyalty_set,
            commands::loyalty::loyalty_set_tiers,
            commands::loyalty::purchase_quote,
            commands::purchases::purchase_refund,
            commands::purchases::customer_vouchers,
            commands::customers::card_print,
            commands::promotions::program_overview,
            commands::promotions::program_add,
            commands::promotions::program_end,
            commands::promotions::voucher_issue,
            commands::promotions::campaign_overview,
            commands::promotions::campaign_add,
            commands::promotions::campaign_launch,
            commands::loyalty::points_adjust,
            commands::transfer::import_preview,
            commands::transfer::import_run,
            commands::transfer::export_run,
            commands::backup::backup_create,
            commands::backup::backup_list,
            commands::backup::backup_status,
            commands::backup::backup_configure,
            commands::backup::backup_verify,
            commands::backup::backup_restore,
            commands::customers::customer_duplicates,
            commands::customers::customer_merge,
            commands::care::reminder_today,
            commands::care::reminder_list,
            commands::care::reminder_add,
            commands::care::reminder_add_bulk,
            commands::care::reminder_done,
            commands::care::reminder_snooze,
            commands::care::reminder_cancel,
            commands::care::reminder_generate,
            commands::care::reminder_rules_get,
            commands::care::reminder_rules_set,
            commands::care::interaction_add,
            commands::care::survey_add,
            commands::care::customer_care,
            commands::care::customer_confirm_details,
            commands::care::warranty_list,
            commands::care::ticket_add,
            commands::care::ticket_set_status,
            commands::care::template_list,
            commands::care::template_save,
            commands::care::template_delete,
            commands::care::template_render,
            commands::care::template_preview,
            commands::care::template_export,
            commands::analytics::report_summary,
            commands::analytics::report_churn,
            commands::analytics::report_cohorts,
            commands::analytics::report_rfm,
            commands::analytics::report_lifecycle,
            commands::analytics::report_clv,
            commands::analytics::report_at_risk,
            commands::analytics::report_staff,
            commands::analytics::report_counters,
            commands::analytics::report_export,
            commands::analytics::analytics_refresh,
            commands::analytics::analytics_refresh_stale,
            commands::analytics::analytics_get_rules,
            commands::analytics::analytics_set_rules,
            commands::staff::auth_status,
            commands::staff::auth_setup,
            commands::staff::auth_sign_in,
            commands::staff::auth_lock,
            commands::staff::staff_list,
            commands::staff::staff_add,
            commands::staff::staff_update,
            commands::staff::staff_set_active,
            commands::audit::audit_list,
            commands::audit::audit_verify,
            commands::care::reminder_snooze_bulk,
            commands::care::reminder_cancel_bulk,
        ])
}

pub fn app_state(store: Store, data_dir: PathBuf) -> AppState {
    store.set_interface(khachquen_core::store::audit::Via::Window);
    let home = Arc::new(store);
    AppState {
        current: std::sync::RwLock::new(Arc::clone(&home)),
        started_on: Arc::clone(&home),
        home: Arc::new(std::sync::RwLock::new(home)),
        data_dir,
    }
}

/// The window's program (`khachquen-window`): the folder and language options of
/// `khachquen`, which starts it when given no command; exit code 0 ok, 1 error, 2 usage.
pub fn window_main() -> i32 {
    #[derive(clap::Parser)]
    #[command(name = "khachquen-window", version, about = "Khách Quen: the window")]
    struct Args {
        /// Folder holding khachquen.db (default: the user data folder/khachquen)
        #[arg(long, env = "KHACHQUEN_DATA_DIR", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Language of messages before the window opens (default: the system locale)
        #[arg(long, value_parser = ["vi", "en"])]
        lang: Option<String>,
        /// A backup to offer for restore once someone signs in (a double-clicked .kqbackup)
        #[arg(long, value_name = "FILE")]
        restore: Option<PathBuf>,
        /// The shop on a PostgreSQL server (postgres://…) instead of the one Settings
        /// connected, or this computer's file
        #[arg(
            long,
            env = "KHACHQUEN_DATABASE_URL",
            value_name = "URL",
            hide_env_values = true
        )]
        database: Option<String>,
        /// This counter's name on a server (default: the saved one, else the computer's)
        #[arg(long, env = "KHACHQUEN_COUNTER", value_name = "NAME")]
        counter: Option<String>,
    }
    let args = match <Args as clap::Parser>::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let lang = cli::language(args.lang.as_deref());
    let Some(data_dir) = cli::data_dir(lang, args.data_dir) else {
        return 1;
    };
    khachquen_cli::log::init(&data_dir, "window");
    let restore_file = args
        .restore
        .map(|f| std::path::absolute(&f).unwrap_or(f).display().to_string());
    // A server named here, else the one Settings connected, else this computer's file.
    let server = match args.database {
        Some(url) => Some((url, args.counter)),
        None => match khachquen_core::connection::saved(&data_dir) {
            Ok(saved) => saved.map(|s| (s.url, Some(args.counter.unwrap_or(s.counter)))),
            Err(e) => return cli::fail(lang, &e),
        },
    };
    let start = match server {
        Some((url, counter)) => {
            match khachquen_core::connection::open(&data_dir, &url, counter.as_deref()) {
                Ok(store) => Start::Open(Box::new(store)),
                // The window says why and offers to try again: a counter is never left blank.
                Err(e) => Start::Server {
                    url,
                    counter,
                    error: commands::IpcError::in_lang(lang, e),
                    lang,
                },
            }
        }
        None => {
            let path = khachquen_core::store::db_path(&data_dir);
            // A newer or foreign file is refused before any window, as before; an older one
            // opens the window at once, which shows the backup and the migration as they go.
            let pending = match khachquen_core::upgrade::pending(&path) {
                Ok(p) => p,
                Err(e) => return cli::fail(lang, &e),
            };
            match pending {
                None => match cli::open(lang, &data_dir) {
                    Ok(store) => Start::Open(Box::new(store)),
                    Err(code) => return code,
                },
                Some((from, to)) => Start::Upgrade { from, to, lang },
            }
        }
    };
    match run_window(start, data_dir, restore_file) {
        Ok(()) => 0,
        Err(e) => {
            note(format_args!("{e}"));
            1
        }
    }
}

/// How the window starts: on a shop already open, on an older file still to upgrade, or on
/// a server that could not be opened (the window says why and tries again when asked).
pub enum Start {
    Open(Box<Store>),
    Server {
        url: String,
        counter: Option<String>,
        error: commands::IpcError,
        lang: i18n::Lang,
    },
    Upgrade {
        from: i64,
        to: i64,
        lang: i18n::Lang,
    },
}

/// Open the window. The day's loyalty work (expiry, birthday bonuses, tier moves) and the
/// day's reminders run in the background at start-up and then every hour, so a counter left
/// open for days never shows points that have expired. An older file is upgraded on a
/// thread while the window shows its progress; the shop's commands answer once it is open.
pub fn run_window(
    start: Start,
    data_dir: PathBuf,
    restore_file: Option<String>,
) -> Result<(), tauri::Error> {
    use commands::app::{Startup, StartupStatus};
    let builder = build_app(Builder::default());
    match start {
        Start::Open(store) => {
            let state = app_state(*store, data_dir);
            background(Arc::clone(&state.home));
            builder
                .manage(Startup::new(StartupStatus {
                    state: "ready",
                    restore_file,
                    ..Default::default()
                }))
                .manage(state)
                .run(tauri::generate_context!())
        }
        Start::Server {
            url,
            counter,
            error,
            lang,
        } => builder
            .manage(Startup::new(StartupStatus {
                state: "server_failed",
                error: Some(error),
                restore_file,
                ..Default::default()
            }))
            .manage(commands::app::Reconnect::new(url, counter, data_dir, lang))
            .run(tauri::generate_context!()),
        Start::Upgrade { from, to, lang } => builder
            .manage(Startup::new(StartupStatus {
                state: "upgrading",
                from: Some(from),
                to: Some(to),
                restore_file,
                ..Default::default()
            }))
            .setup(move |app| {
                let handle = app.handle().clone();
                std::thread::spawn(move || upgrade_then_serve(handle, data_dir, lang));
                Ok(())
            })
            .run(tauri::generate_context!()),
    }
}

/// Back up and migrate the older file, telling the window as it goes; then serve the shop.
fn upgrade_then_serve<R: Runtime>(
    handle: tauri::AppHandle<R>,
    data_dir: PathBuf,
    lang: i18n::Lang,
) {
    use commands::app::Startup;
    use tauri::Manager;
    let startup = handle.state::<Startup>();
    let path = khachquen_core::store::db_path(&data_dir);
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        khachquen_core::upgrade::open(&path, &mut |p| startup.update(|s| s.progress = Some(p)))
    }))
    .unwrap_or(Err(khachquen_core::CoreError::Panicked));
    match opened {
        Ok((store, upgraded)) => {
            let state = app_state(store, data_dir);
            background(Arc::clone(&state.home));
            handle.manage(state);
            startup.update(|s| {
                s.upgraded = upgraded;
                s.state = "ready";
            });
        }
        Err(e) => {
            // Said in the window (and logged by the translation): the file is as it was.
            let err = commands::IpcError::in_lang(lang, e);
            startup.update(|s| {
                s.error = Some(err);
                s.state = "failed";
            });
        }
    }
}

/// The hourly background work on the window's home shop, each pass guarded so that a panic
/// (logged with its backtrace) never ends the loop. It follows `home`: a counter connected
/// to its server from Settings (or taken off it) has its pass there within a few seconds,
/// not at the next start.
pub(crate) fn background(home: Arc<std::sync::RwLock<Arc<Store>>>) {
    use std::time::{Duration, Instant};
    // Let the window paint first: on a large shop a pass scans every customer.
    const TICK: Duration = Duration::from_secs(5);
    const EVERY: Duration = Duration::from_secs(3600);
    std::thread::spawn(move || {
        lower_priority();
        // (the home shop, the store its passes run on) and when the next pass is due.
        let mut on: Option<(Arc<Store>, Arc<Store>)> = None;
        let mut next = Instant::now();
        loop {
            std::thread::sleep(TICK);
            let now_home = Arc::clone(&home.read().unwrap_or_else(|p| p.into_inner()));
            if !on.as_ref().is_some_and(|(h, _)| Arc::ptr_eq(h, &now_home)) {
                // On a server the pass has a link of its own: the counter's commands never
                // queue behind it (each customer it works on is held only for its own rows).
                let runs_on = match now_home.open_again() {
                    Ok(Some(own)) => Arc::new(own),
                    _ => Arc::clone(&now_home),
                };
                on = Some((now_home, runs_on));
                next = Instant::now();
            }
            let Some((_, store)) = &on else { continue };
            if Instant::now() < next {
                continue;
            }
            let pass =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.scheduled_pass()));
            for (step, e) in pass.unwrap_or_default() {
                note(format_args!("{step}: {e}"));
            }
            next = Instant::now() + EVERY;
        }
    });
}

/// A background pass's failure, on stderr when there is one: a closed stderr (the window
/// started from a launcher) must not panic the pass, as `eprintln!` would.
fn note(msg: std::fmt::Arguments) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Background work (loyalty, the daily backup) yields the CPU to the counter: on a 2-core
/// laptop a 1 GB backup otherwise slows every search the cashier types.
/// (Elsewhere, e.g. macOS, where `setpriority` would lower the whole process, it is left
/// as it is.)
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its arguments; on Linux `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
    // Below normal, not background mode: that also lowers the thread's I/O priority while
    // it may hold SQLite's write lock, which would stall the counter. (Not compiled here:
    // this machine cannot build for Windows.)
    #[cfg(windows)]
    // SAFETY: GetCurrentThread returns a pseudo-handle that needs no closing.
    unsafe {
        use windows_sys::Win32::System::Threading::{
            GetCurrentThread, SetThreadPriority, THREAD_PRIORITY_BELOW_NORMAL,
        };
        SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL);
    }
}
