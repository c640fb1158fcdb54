//! The command line's start: the release `khachquen` binary run as a script would run it,
//! beside the sqlite3 shell doing the same read. `cargo build --release` first (the
//! `scripts/bench/speed` command does); KQ_BENCH_BIN names another binary.

use super::{ms, quantile, Ctx, Row};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 50;

/// Median wall time of `RUNS` runs of a command that must succeed.
fn median_of(mut make: impl FnMut() -> Command) -> Option<Duration> {
    let mut t = Vec::with_capacity(RUNS);
    for _ in 0..RUNS + 3 {
        let start = Instant::now();
        let ok = make()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        t.push(start.elapsed());
    }
    t.drain(..3); // the first runs warm the page cache
    Some(quantile(&mut t, 0.5))
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let bin = std::env::var_os("KQ_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/khachquen")
        });
    if !bin.is_file() {
        eprintln!("{} is missing: cargo build --release", bin.display());
        return vec![Row::new(
            "CLI start",
            "n/a (no release build)",
            "",
            "≤ 15 ms",
        )];
    }
    // The shop as a data folder of its own: a hard link, so the command opens the same file.
    let dir = tempfile::tempdir_in(ctx.path.parent().unwrap_or(&ctx.path)).expect("temp dir");
    std::fs::hard_link(&ctx.path, dir.path().join("khachquen.db")).expect("link the shop");
    let sqlite3 = |sql: &'static str| {
        let path = ctx.path.clone();
        move || {
            let mut c = Command::new("sqlite3");
            c.arg(&path).arg(sql);
            c
        }
    };
    let kq = |args: &'static [&'static str]| {
        let (bin, dir) = (bin.clone(), dir.path().to_owned());
        move || {
            let mut c = Command::new(&bin);
            c.arg("--data-dir").arg(&dir).args(args);
            c
        }
    };
    let bare = |d: Option<Duration>| d.map_or("n/a (no sqlite3 shell)".into(), ms);
    let product = |d: Option<Duration>| d.map_or("failed".into(), ms);
    vec![
        Row::new(
            "CLI start: `khachquen --version` (process start, no data)",
            product(median_of(kq(&["--version"]))),
            bare(median_of(sqlite3(".version"))),
            "≤ 15 ms",
        ),
        Row::new(
            "CLI: `khachquen settings get currency` (start, open the shop, one read)",
            product(median_of(kq(&["settings", "get", "currency"]))),
            bare(median_of(sqlite3(
                "SELECT value FROM settings WHERE key = 'currency'",
            ))),
            "≤ 15 ms",
        ),
    ]
}
