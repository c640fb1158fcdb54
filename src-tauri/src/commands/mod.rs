//! Tauri commands: each one delegates to khachquen-core and maps its error.

pub mod analytics;
pub mod app;
pub mod audit;
pub mod backup;
pub mod care;
pub mod customers;
pub mod loyalty;
pub mod promotions;
pub mod purchases;
pub mod settings;
pub mod staff;
pub mod transfer;

use crate::i18n::{self, Lang};
use khachquen_core::store::session::Perm;
use khachquen_core::{CoreError, Store};
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub struct AppState {
    /// The shop opened at start-up, or the server's shop Settings connected since; shared
    /// with the hourly pass, which follows it (`crate::background`).
    pub home: Arc<RwLock<Arc<Store>>>,
    /// The shop the window works on: the home shop, or the demo shop beside it.
    pub current: RwLock<Arc<Store>>,
    /// The shop this process opened first, kept so that leaving a server goes back to it
    /// rather than opening its file a second time.
    pub started_on: Arc<Store>,
    pub data_dir: PathBuf,
}

impl AppState {
    pub fn store(&self) -> Arc<Store> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn home(&self) -> Arc<Store> {
        Arc::clone(&self.home.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Work on `store` as the home shop from the next command on (a counter connected to a
    /// server, or back on this computer's file). The shops left are closed on a blocking
    /// thread: closing a server's connection blocks, which an async command's thread may not.
    pub async fn move_home(&self, store: Arc<Store>) {
        let old_home = std::mem::replace(
            &mut *self.home.write().unwrap_or_else(|p| p.into_inner()),
            Arc::clone(&store),
        );
        let old_current = std::mem::replace(
            &mut *self.current.write().unwrap_or_else(|p| p.into_inner()),
            store,
        );
        let _ = tauri::async_runtime::spawn_blocking(move || drop((old_home, old_current))).await;
    }

    /// Work on `store` from the next command on.
    pub fn switch_to(&self, store: Arc<Store>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = store;
    }
}

/// What the UI receives on failure: a stable code, a translated sentence, and parameters.
#[derive(Debug, Clone, Serialize)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    pub params: Map<String, Value>,
}

impl IpcError {
    fn from_core(store: &Store, e: CoreError) -> Self {
        let lang = store
            .setting("language")
            .ok()
            .and_then(|l| Lang::parse(&l))
            .unwrap_or(Lang::Vi);
        Self::in_lang(lang, e)
    }

    /// Before the shop is open (an upgrade failed), in the language the window started in.
    pub(crate) fn in_lang(lang: Lang, e: CoreError) -> Self {
        IpcError {
            code: e.code().to_owned(),
            message: i18n::core_error(lang, &e),
            params: e.params(),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

/// Run a core call on the blocking pool so the window never waits on SQLite. Once staff
/// exist, a locked (or idle) window may not read either; core checks each change itself.
pub(crate) async fn run<T, F>(state: &AppState, f: F) -> IpcResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> khachquen_core::Result<T> + Send + 'static,
{
    run_open(state, move |s| {
        s.require(Perm::View)?;
        f(s)
    })
    .await
}

/// `run` for what the lock screen itself needs: who may sign in, the shop's name and
/// language.
pub(crate) async fn run_open<T, F>(state: &AppState, f: F) -> IpcResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> khachquen_core::Result<T> + Send + 'static,
{
    let store = state.store();
    let joined = tauri::async_runtime::spawn_blocking(move || {
        // A panic (logged with its backtrace by the hook) becomes one sentence for the
        // window, which carries on: its transaction, if any, rolled back as it unwound.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&store)))
            .unwrap_or(Err(CoreError::Panicked));
        out.map_err(|e| IpcError::from_core(&store, e))
    })
    .await;
    joined.unwrap_or_else(|_| Err(IpcError::from_core(&state.store(), CoreError::Panicked)))
}
