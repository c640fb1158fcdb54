//! Khách Quen core: customers, purchases and the shop's data on one SQLite file.
//! No Tauri here: the window and the CLI both call this crate.

pub mod analytics;
pub mod audit;
pub mod backup;
pub mod care;
pub mod customers;
pub mod db;
pub mod demo;
pub mod error;
pub mod export;
pub mod files;
pub mod import;
pub mod limits;
pub mod loyalty;
pub mod merge;
pub mod model;
pub mod money;
pub mod phone;
pub mod purchases;
pub mod reminders;
pub mod seal;
pub mod settings;
pub mod staff;
pub mod store;
pub mod templates;
pub mod text;
pub mod time;

pub use error::{CoreError, Result};
pub use store::Store;
