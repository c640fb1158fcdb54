//! The demo shop on the command line.

use super::out::Out;
use clap::{Args, Subcommand};
use khachquen_core::demo::WINDOW_DEMO;
use khachquen_core::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// Fill an empty database with a realistic demo shop
    Demo(DemoArgs),
}

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = WINDOW_DEMO.0)]
    customers: u64,
    #[arg(long, default_value_t = WINDOW_DEMO.1)]
    purchases: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(db: &Store, Cmd::Demo(a): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    let r = db.create_demo(
        a.customers,
        a.purchases,
        a.seed,
        &mut o.progress("cli.demo_progress"),
    )?;
    o.end_progress();
    o.print(&r, || {
        format!(
            "{}: {} / {}",
            o.t("cli.demo_done"),
            r.customers,
            r.purchases
        )
    })?;
    Ok(0)
}
