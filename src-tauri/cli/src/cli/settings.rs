//! Shop settings on the command line.

use super::out::Out;
use clap::Subcommand;
use khachquen_core::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// Read and change shop settings (shop_name, currency, timezone, language)
    #[command(subcommand)]
    Settings(SettingsCmd),
}

#[derive(Subcommand)]
pub enum SettingsCmd {
    Get { key: String },
    Set { key: String, value: String },
}

pub fn run(db: &Store, Cmd::Settings(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        SettingsCmd::Get { key } => {
            let v = db.setting(&key)?;
            o.print(&serde_json::json!({ key.as_str(): v }), || v.clone())?;
        }
        SettingsCmd::Set { key, value } => {
            let s = db.set_setting(&key, &value)?;
            let v = db.setting(&key)?;
            o.print(&s, || format!("{key} = {v}"))?;
        }
    }
    Ok(0)
}
