//! `cargo bench -p khachquen-core --bench reports`: every retention report, the BG/NBD +
//! Gamma-Gamma fit and the per-customer scores on a demo shop, as a table. Size:
//! KQ_BENCH_CUSTOMERS / KQ_BENCH_PURCHASES (default 100,000 / 1,000,000); the database is
//! generated once under target/bench-data and reused.

use khachquen_core::analytics::reports::Range;
use khachquen_core::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median and worst of `n` runs.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..n)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(f());
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[t.len() / 2], t[t.len() - 1])
}

fn main() {
    let customers = env_u64("KQ_BENCH_CUSTOMERS", 100_000);
    let purchases = env_u64("KQ_BENCH_PURCHASES", 1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("demo-{customers}-{purchases}.db"));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let store = Store::open(&tmp).expect("open");
        store
            .create_demo(customers, purchases, 1, &mut |d, n| {
                eprint!("\rdemo {}%", d * 100 / n)
            })
            .expect("demo");
        drop(store);
        std::fs::rename(&tmp, &path).expect("rename");
        eprintln!();
    }
    let s = Store::open(&path).expect("open");
    let all = Range::default();
    let rows: Vec<(&str, (Duration, Duration))> = vec![
        (
            "report churn (month, 12 periods)",
            time(3, || s.report_churn("month", &all, None).expect("churn")),
        ),
        (
            "report churn (quarter)",
            time(3, || s.report_churn("quarter", &all, None).expect("churn")),
        ),
        (
            "report cohorts",
            time(3, || s.report_cohorts(&all).expect("cohorts")),
        ),
        (
            "report summary + revenue split",
            time(3, || s.report_summary(&all).expect("summary")),
        ),
        (
            "report staff",
            time(3, || s.report_staff(&all).expect("staff")),
        ),
        (
            "refresh: RFM, stages, BG/NBD + GG fit, all scores",
            time(3, || s.refresh_analytics().expect("refresh")),
        ),
        (
            "report rfm (from scores)",
            time(3, || s.report_rfm().expect("rfm")),
        ),
        (
            "report lifecycle (from scores)",
            time(3, || s.report_lifecycle().expect("lifecycle")),
        ),
        (
            "report clv (bgnbd fit + every customer)",
            time(3, || s.report_clv(None, None, None).expect("clv")),
        ),
    ];
    println!(
        "\n{customers} customers, {purchases} purchases ({})",
        path.display()
    );
    println!("{:<52} {:>10} {:>10}", "operation", "median ms", "max ms");
    for (name, (med, max)) in rows {
        println!(
            "{:<52} {:>10.1} {:>10.1}",
            name,
            med.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0
        );
    }
    let r = s.refresh_analytics().expect("refresh");
    println!("fit: {:?}", r.fit);
}
