use super::{run, run_open, AppState, IpcResult};
use khachquen_core::demo::DemoReport;
use khachquen_core::model::Settings;
use serde::Serialize;
use std::sync::Arc;
use tauri::State;

#[derive(Serialize)]
pub struct AppInfo {
    version: &'static str,
    data_dir: String,
    db_path: String,
    customers: i64,
    settings: Settings,
    /// The window works on the demo shop (in its own folder), not the owner's.
    demo: bool,
    /// The server this counter works on (`host:port/database`), when it is on one.
    server: Option<String>,
    /// This counter's name on a server.
    counter: Option<String>,
    /// The name Settings offers a counter about to connect: the computer's.
    counter_default: Option<String>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> IpcResult<AppInfo> {
    let data_dir = state.data_dir.display().to_string();
    run_open(&state, move |s| {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            db_path: s
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            data_dir,
            customers: s.customer_count()?,
            settings: s.settings()?,
            demo: s.is_demo()?,
            server: s.server(),
            counter: s.counter(),
            counter_default: khachquen_core::connection::counter_name(None)?,
        })
    })
    .await
}

/// Open the demo shop in its own folder beside the owner's (made on first use) and work on
/// it from now on; the owner's shop is not touched. The sizes are the CLI's; the window
/// passes none.
#[tauri::command]
pub async fn demo_create(
    state: State<'_, AppState>,
    customers: Option<u64>,
    purchases: Option<u64>,
) -> IpcResult<Option<DemoReport>> {
    let home = state.home();
    if !Arc::ptr_eq(&state.store(), &home) {
        return Ok(None); // already on the demo shop
    }
    let data_dir = state.data_dir.clone();
    let (default_c, default_p) = khachquen_core::demo::WINDOW_DEMO;
    let (demo, report) = run(&state, move |_| {
        home.open_demo(
            &data_dir,
            customers.unwrap_or(default_c),
            purchases.unwrap_or(default_p),
        )
    })
    .await?;
    demo.set_interface(khachquen_core::store::audit::Via::Window);
    state.switch_to(Arc::new(demo));
    Ok(report)
}

/// Back to the owner's shop (as whoever is signed in on the demo); with `delete`, the demo
/// shop's folder goes too.
#[tauri::command]
pub async fn demo_leave(state: State<'_, AppState>, delete: bool) -> IpcResult<()> {
    let home = state.home();
    let on_demo = !Arc::ptr_eq(&state.store(), &home);
    let back = Arc::clone(&home);
    run(&state, move |current| current.leave_demo(&back)).await?;
    if on_demo {
        state.switch_to(home);
    }
    if delete {
        let data_dir = state.data_dir.clone();
        run(&state, move |s| s.delete_demo(&data_dir)).await?;
    }
    Ok(())
}

/// The owner connects this computer to a server's shop (Settings): saved for the next
/// starts, and worked on from the next command on, where its own staff sign in.
#[tauri::command]
pub async fn server_connect(
    state: State<'_, AppState>,
    url: String,
    counter: String,
) -> IpcResult<()> {
    let data_dir = state.data_dir.clone();
    let server = run(&state, move |s| s.connect_server(&data_dir, &url, &counter)).await?;
    state.move_home(Arc::new(server)).await;
    Ok(())
}

/// The owner takes this computer off the server: back on its own file.
#[tauri::command]
pub async fn server_disconnect(state: State<'_, AppState>) -> IpcResult<()> {
    let data_dir = state.data_dir.clone();
    let started_on = Some(Arc::clone(&state.started_on));
    let local = run(&state, move |s| s.disconnect_server(&data_dir, started_on)).await?;
    state.move_home(local).await;
    Ok(())
}

/// A server the window could not open at start, kept to try again.
pub struct Reconnect {
    url: String,
    counter: Option<String>,
    data_dir: std::path::PathBuf,
    lang: crate::i18n::Lang,
    busy: std::sync::Mutex<()>,
}

impl Reconnect {
    pub fn new(
        url: String,
        counter: Option<String>,
        data_dir: std::path::PathBuf,
        lang: crate::i18n::Lang,
    ) -> Self {
        Reconnect {
            url,
            counter,
            data_dir,
            lang,
            busy: std::sync::Mutex::new(()),
        }
    }
}

/// Try the server again after a failed start: once it opens, the shop is served and the
/// start-up status says "ready"; otherwise it says why, as before.
#[tauri::command]
pub async fn app_reconnect<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> StartupStatus {
    use tauri::Manager;
    let handle = app.clone();
    let joined = tauri::async_runtime::spawn_blocking(move || {
        let startup = handle.state::<Startup>();
        let Some(again) = handle.try_state::<Reconnect>() else {
            return startup.get();
        };
        // One attempt at a time; a second click waits for the first's answer.
        let _one = again.busy.lock().unwrap_or_else(|p| p.into_inner());
        if handle.try_state::<AppState>().is_some() {
            return startup.get();
        }
        match khachquen_core::connection::open(
            &again.data_dir,
            &again.url,
            again.counter.as_deref(),
        ) {
            Ok(store) => {
                let state = crate::app_state(store, again.data_dir.clone());
                crate::background(std::sync::Arc::clone(&state.home));
                handle.manage(state);
                startup.update(|s| {
                    s.state = "ready";
                    s.error = None;
                });
            }
            Err(e) => {
                startup.update(|s| s.error = Some(super::IpcError::in_lang(again.lang, e)));
            }
        }
        startup.get()
    });
    joined
        .await
        .unwrap_or_else(|_| app.state::<Startup>().get())
}

/// How the window's start is going: "ready", "upgrading" (an older file is being backed up
/// and migrated: the UI shows `progress`) or "failed" (the reason in `error`, the file as it
/// was). `upgraded` tells what an upgrade did; `restore_file` is a backup the window was
/// opened with (a double-clicked .kqbackup), offered for restore once someone signs in.
#[derive(Clone, Serialize, Default)]
pub struct StartupStatus {
    pub state: &'static str,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub progress: Option<khachquen_core::upgrade::Progress>,
    pub upgraded: Option<khachquen_core::upgrade::Upgraded>,
    pub error: Option<super::IpcError>,
    pub restore_file: Option<String>,
}

pub struct Startup(pub std::sync::Mutex<StartupStatus>);

impl Startup {
    pub fn new(status: StartupStatus) -> Self {
        Startup(std::sync::Mutex::new(status))
    }

    pub fn update(&self, f: impl FnOnce(&mut StartupStatus)) {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }

    pub fn get(&self) -> StartupStatus {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[tauri::command]
pub fn app_startup(startup: State<'_, Startup>) -> StartupStatus {
    startup.get()
}

/// Version, schema, data and log folders (Settings → About).
#[tauri::command]
pub async fn app_about(state: State<'_, AppState>) -> IpcResult<khachquen_core::support::About> {
    let data_dir = state.data_dir.clone();
    run(&state, move |s| s.about(&data_dir)).await
}

/// Show the data folder ("data") or the log folder ("logs") in the system's file manager.
#[tauri::command]
pub async fn app_open_folder(state: State<'_, AppState>, which: String) -> IpcResult<()> {
    let data_dir = state.data_dir.clone();
    run(&state, move |s| {
        let about = s.about(&data_dir)?;
        let dir = match which.as_str() {
            "data" => about.data_dir,
            "logs" => about.log_dir,
            other => {
                return Err(khachquen_core::CoreError::InvalidInput(format!(
                    "unknown folder {other:?}"
                )))
            }
        };
        std::fs::create_dir_all(&dir)?;
        opener::open(&dir).map_err(|e| khachquen_core::CoreError::FolderOpenFailed {
            path: dir.clone(),
            detail: e.to_string(),
        })
    })
    .await
}

/// Gather the logs into one text file for support ("Xuất nhật ký"); the bytes written.
#[tauri::command]
pub async fn logs_export(state: State<'_, AppState>, path: String) -> IpcResult<u64> {
    let data_dir = state.data_dir.clone();
    run(&state, move |s| {
        s.export_logs(&data_dir, std::path::Path::new(&path))
    })
    .await
}

/// The variable that lets `debug_panic` panic: set by the end-to-end tests only.
pub const TEST_PANIC_VAR: &str = "KHACHQUEN_TEST_PANIC";

/// For the tests of the panic guard: panics inside a command when the window was started
/// with KHACHQUEN_TEST_PANIC=1; otherwise refused.
#[tauri::command]
pub async fn debug_panic(state: State<'_, AppState>) -> IpcResult<()> {
    let armed = std::env::var(TEST_PANIC_VAR).is_ok_and(|v| v == "1");
    run(&state, move |_| {
        if armed {
            panic!("debug_panic: the test asked for a panic");
        }
        Err(khachquen_core::CoreError::InvalidInput(
            "debug_panic is for tests".into(),
        ))
    })
    .await
}
