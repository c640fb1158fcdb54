#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
//! `khachquen-window`: the window, started by `khachquen` with no command.

fn main() {
    std::process::exit(khachquen_app::window_main());
}
