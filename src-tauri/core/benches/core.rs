//! `cargo bench -p khachquen-core --bench core`: phone-suffix search, reminder generation
//! and Today latency on the demo shop, as a table. Name search and the durable purchase,
//! beside bare SQLite, are in the speed table (`--bench speed`).
//! Size: KQ_BENCH_CUSTOMERS / KQ_BENCH_PURCHASES (default 1,000,000 / 5,000,000); the
//! database is generated once under target/bench-data and reused.

use khachquen_core::Store;
use rusqlite::Connection;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Row {
    name: String,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn measure(name: &str, n: usize, mut f: impl FnMut(usize)) -> Row {
    for i in 0..n.min(20) {
        f(i); // warm the page cache
    }
    let t: Vec<Duration> = (0..n)
        .map(|i| {
            let s = Instant::now();
            f(i);
            s.elapsed()
        })
        .collect();
    summarize(name, t)
}

fn summarize(name: &str, mut t: Vec<Duration>) -> Row {
    t.sort();
    let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)];
    Row {
        name: name.into(),
        p50: at(0.5),
        p99: at(0.99),
        max: t[t.len() - 1],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let customers = env_u64("KQ_BENCH_CUSTOMERS", 1_000_000);
    let purchases = env_u64("KQ_BENCH_PURCHASES", 5_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("demo-{customers}-{purchases}.db"));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let store = Store::open(&tmp).expect("open");
        let t = Instant::now();
        store
            .create_demo(customers, purchases, 1, &mut |d, n| {
                eprint!("\rdemo {}%", d * 100 / n)
            })
            .expect("demo");
        drop(store);
        println!(
            "\ndemo shop generated: {customers} customers, {purchases} purchases in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        std::fs::rename(&tmp, &path).expect("rename");
    }
    let store = Store::open(&path).expect("open");
    let raw = Connection::open(&path).expect("raw");

    let phones = ["678", "4567", "12345", "090", "0912", "98765", "321", "555"];
    let mut rows = Vec::new();
    rows.push(measure("search: phone suffix (core)", 2000, |i| {
        std::hint::black_box(store.search(phones[i % phones.len()], 20).expect("search"));
    }));

    // Care: a day's reminders, then the Today list. Start from no reminders so every run
    // measures the same work; the first day catches up a week, the next ones one day each.
    raw.execute_batch(
        "DELETE FROM reminders; DELETE FROM settings WHERE key = 'care.generated_through';",
    )
    .expect("reset reminders");
    let days: Vec<String> = (1..=15).map(|d| format!("2026-11-{d:02}")).collect();
    let t = Instant::now();
    let first = store.generate_reminders(Some(&days[0])).expect("generate");
    let catch_up = t.elapsed();
    let mut per_day = Vec::new();
    let mut created = 0;
    for d in &days[1..] {
        let t = Instant::now();
        created += store.generate_reminders(Some(d)).expect("generate").total;
        per_day.push(t.elapsed());
    }
    let catch_up_row = Row {
        name: format!("reminders: first run, 7-day catch-up ({})", first.total),
        p50: catch_up,
        p99: catch_up,
        max: catch_up,
    };
    rows.push(summarize(
        &format!(
            "reminders: generate one day (~{} each)",
            created / per_day.len() as i64
        ),
        per_day,
    ));
    rows.push(catch_up_row);
    let last = days[days.len() - 1].clone();
    rows.push(measure("Today: overdue, today, 7 days (core)", 200, |_| {
        std::hint::black_box(store.today(Some(&last), 50).expect("today"));
    }));

    println!(
        "\n{customers} customers, {purchases} purchases ({})",
        path.display()
    );
    println!(
        "{:<42} {:>10} {:>10} {:>10}",
        "operation", "p50 ms", "p99 ms", "max ms"
    );
    for r in &rows {
        println!(
            "{:<42} {:>10} {:>10} {:>10}",
            r.name,
            ms(r.p50),
            ms(r.p99),
            ms(r.max)
        );
    }
}
