//! Khách Quen without its window: the headless command line over khachquen-core, and the
//! message catalog it shares with the window. Nothing here links a GUI library, so a command
//! starts like a command; with no command, `khachquen` starts the window's own binary.

pub mod cli;
pub mod i18n;
pub mod log;

pub use cli::main;
