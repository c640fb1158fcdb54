//! Integration tests of the app package, one binary with a module per area.

mod cli;
mod counters;
mod crash;
mod e2e;
mod i18n;
mod ipc;
mod support_cli;
mod support_driver;
mod upgrade;
mod vouchers;
