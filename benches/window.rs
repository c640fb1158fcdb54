//! The window on the 1M-customer demo shop, in a real window (run under xvfb-run):
//!   xvfb-run -a -s "-screen 0 1280x800x24" cargo bench --bench window
//! Needs the database the core bench builds (cargo bench -p khachquen-core), or KQ_BENCH_DB.
//! Prints launch time, search keystroke-to-render (through IPC, as the counter does it), and
//! idle memory. (A bare invoke timed from a WebDriver script is slowed by that script
//! context, so it is not measured.)

// Shared with the end-to-end tests, which use the helpers this bench does not.
#[allow(dead_code)]
#[path = "../tests/support_driver.rs"]
mod support_driver;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support_driver::{start, Session, R};

const QUERIES: &[&str] = &[
    "ng",
    "nguy",
    "nguyen van",
    "tran thi h",
    "hu",
    "duc",
    "le hoang",
    "678",
    "4567",
    "0912",
    "pham quoc",
    "ngu hu",
];

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

/// When the app process started, in ms since the epoch (from /proc, so the WebDriver
/// session's own start-up is not counted).
fn process_start_ms(app: &str) -> Option<f64> {
    let ticks = 100.0; // USER_HZ on Linux
    let btime: f64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())?;
    let mut newest: Option<f64> = None;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = e.file_name().to_string_lossy().to_string();
        let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
            continue;
        };
        if exe.to_string_lossy() != app {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let start: f64 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(19)?
            .parse()
            .ok()?;
        let ms = (btime + start / ticks) * 1000.0;
        newest = Some(newest.map_or(ms, |n: f64| n.max(ms)));
    }
    newest
}

/// Resident memory of the app and of the WebKit processes it started, in MiB.
fn memory(app: &str) -> (f64, f64) {
    let rss = |pid: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    let procs: Vec<(String, String, String)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().to_string();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat
                .rsplit(')')
                .next()?
                .split_whitespace()
                .nth(1)?
                .to_owned();
            let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()?
                .to_string_lossy()
                .to_string();
            Some((pid, ppid, exe))
        })
        .collect();
    let Some((app_pid, _, _)) = procs.iter().find(|p| p.2 == app) else {
        return (0.0, 0.0);
    };
    let own = rss(app_pid);
    let children: f64 = procs
        .iter()
        .filter(|p| &p.1 == app_pid)
        .map(|p| rss(&p.0))
        .sum();
    (own, own + children)
}

/// (keystroke -> rendered, search start after the debounce -> rendered), in ms.
async fn search_once(s: &Session, q: &str) -> R<(f64, f64)> {
    // Clear first, so the next query is always a fresh render.
    s.client
        .execute_async(
            "const cb = arguments[arguments.length - 1]; const i = document.getElementById('counter-search');
             i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}));
             const wait = () => { const l = document.getElementById('search-results');
               const n = document.getElementById('new-customer-name');
               (!n && (!l || !l.dataset.query)) ? cb(0) : setTimeout(wait, 5); }; wait();",
            vec![],
        )
        .await?;
    let v = s
        .client
        .execute_async(
            "const q = arguments[0], cb = arguments[arguments.length - 1];
             const i = document.getElementById('counter-search'); const t0 = performance.now();
             // Rendered: the result list for q, or the add form prefilled with q when nobody matches.
             const done = () => { const l = document.getElementById('search-results');
               const n = document.getElementById('new-customer-name'), p = document.getElementById('new-customer-phone');
               const added = (n && n.value === q) || (p && p.value === q);
               if ((l && l.dataset.query === q) || added) {
                 obs.disconnect();
                 const m = performance.getEntriesByName('kq-search').pop();
                 cb([performance.now() - t0, performance.now() - (m ? m.startTime : t0)]); return true; }
               return false; };
             const obs = new MutationObserver(done); obs.observe(document.body, {childList: true, subtree: true, attributes: true});
             i.value = q; i.dispatchEvent(new Event('input', {bubbles: true})); done();",
            vec![json!(q)],
        )
        .await?;
    let at = |i: usize| v.get(i).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
    Ok((at(0), at(1)))
}

#[tokio::main]
async fn main() -> R<()> {
    let db = std::env::var("KQ_BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/demo-1000000-5000000.db")
        });
    if !db.exists() {
        eprintln!(
            "{} is missing: run `cargo bench -p khachquen-core` first, or set KQ_BENCH_DB",
            db.display()
        );
        std::process::exit(1);
    }
    let app = env!("CARGO_BIN_EXE_khachquen");
    let link = |d: &Path| {
        std::fs::hard_link(&db, d.join("khachquen.db")).expect("link the bench database")
    };
    println!("database: {}\napp: {app}", db.display());

    let mut launches = Vec::new();
    let mut session = None;
    for i in 0..3 {
        let s = start(4600 + i * 10, link).await?;
        // The ready mark as wall-clock time, against the process's own start.
        let ready = s
            .client
            .execute(
                "const m = performance.getEntriesByName('kq-ready')[0];
                 return m ? performance.timeOrigin + m.startTime : null",
                vec![],
            )
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        let started = process_start_ms(app).unwrap_or(f64::NAN);
        let in_page = s
            .client
            .execute(
                "return performance.getEntriesByName('kq-ready')[0]?.startTime ?? null",
                vec![],
            )
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        launches.push((ready - started, in_page));
        if let Some(old) = session.replace(s) {
            old.close().await?;
        }
    }
    let s = session.ok_or("no session")?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (own, total_mem) = memory(app);

    let (mut typed, mut render) = (Vec::new(), Vec::new());
    for round in 0..10 {
        for q in QUERIES {
            let (t, r) = search_once(&s, q).await?;
            if round > 0 {
                typed.push(t);
                render.push(r);
            }
        }
    }
    s.screenshot("bench-counter").await?;
    s.close().await?;

    println!(
        "\n{:<58} {:>9} {:>9}",
        "window on the 1M-customer demo shop", "p50/avg", "p99/max"
    );
    let l_total: Vec<f64> = launches.iter().map(|l| l.0).collect();
    let l_page: Vec<f64> = launches.iter().map(|l| l.1).collect();
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    println!(
        "{:<58} {:>9.0} {:>9.0}",
        "process start -> counter usable, ms",
        avg(&l_total),
        max(&l_total)
    );
    println!(
        "{:<58} {:>9.0} {:>9.0}",
        "page start -> counter usable, ms (in page)",
        avg(&l_page),
        max(&l_page)
    );
    println!(
        "{:<58} {:>9.1} {:>9.1}",
        "keystroke -> rendered list, ms (incl. 120 ms debounce)",
        pct(&mut typed, 0.5),
        pct(&mut typed, 0.99)
    );
    println!(
        "{:<58} {:>9.1} {:>9.1}",
        "search started (after debounce) -> rendered list, ms",
        pct(&mut render, 0.5),
        pct(&mut render, 0.99)
    );
    println!(
        "{:<58} {:>9.0} {:>9.0}",
        "idle memory, MiB (app / app + WebKit processes)", own, total_mem
    );
    Ok(())
}
