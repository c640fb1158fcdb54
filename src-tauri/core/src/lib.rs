//! Khách Quen core: customers, purchases and the shop's data on one SQLite file.
//! No Tauri here: the window and the CLI both call this crate.
//!
//! # The house
//!
//! Modules are arranged in layers, and an arrow (a `use` or a path) only ever points to the
//! same module or a layer below; `tests/core/layers.rs` fails on any other.
//!
//! 1. **Leaves**, which know nothing of the shop: [`error`], [`text`], [`money`], [`phone`],
//!    [`time`], [`limits`], [`files`], [`csvfile`], and [`model`] with every DTO that more
//!    than one feature shares. A leaf may use another leaf, without a cycle.
//! 2. **[`db`]**: all SQL, one file per feature, on leaves only.
//! 3. **[`store`]**: the handle every feature works through: the connections, who acts and
//!    may they ([`store::session`], [`store::access`]), the audit recorder and the chain
//!    ([`store::audit`], [`store::seal`]) and the shop's settings ([`store::settings`]).
//! 4. **Features**, one folder each, in this order; a feature may use the ones before it:
//!    [`staff`] (accounts, sign-in, the audit viewer), [`loyalty`], [`customers`] (with
//!    merging), [`vouchers`] (programmes, codes, the checks a bill makes), [`purchases`],
//!    [`analytics`], [`care`] (interactions, reminders, templates), [`campaigns`]
//!    (appreciation campaigns with a holdout), [`cards`] (loyalty card numbers and sheets),
//!    [`outbox`] (a counter's bills kept while its server is away), [`transfer`] (import
//!    and export), [`backup`], [`upgrade`] (opening an older file: backup, migration, audit), [`demo`], [`scheduled`], the app's own hourly work over
//!    all of them, and [`support`] (the log's place and size, the About facts, log export).
//!
//! Features reach each other's data through `db` and each other's services through the
//! `Store` methods they define; no file imports one above it, and no files import one
//! another in a circle.

/// An item public only to tests and benches (the `internals` feature), crate-private in
/// the app: `internal! { /// doc\n fn name(...) {...} }`, also inside an `impl`.
macro_rules! internal {
    ($(#[$m:meta])* fn $($rest:tt)*) => {
        #[cfg(feature = "internals")]
        $(#[$m])*
        pub fn $($rest)*
        #[cfg(not(feature = "internals"))]
        $(#[$m])*
        #[allow(dead_code)]
        pub(crate) fn $($rest)*
    };
}

pub mod analytics;
pub mod backup;
pub mod campaigns;
pub mod cards;
pub mod care;
pub mod connection;
pub mod csvfile;
pub mod customers;
#[cfg(feature = "internals")]
pub mod db;
#[cfg(not(feature = "internals"))]
mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod limits;
pub mod loyalty;
pub mod model;
pub mod money;
pub mod outbox;
pub mod phone;
pub mod purchases;
pub mod scheduled;
pub mod staff;
pub mod store;
pub mod support;
pub mod text;
pub mod time;
pub mod transfer;
pub mod upgrade;
pub mod vouchers;

pub use error::{CoreError, Result};
pub use store::Store;
