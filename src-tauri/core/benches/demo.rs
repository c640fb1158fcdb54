//! `cargo bench -p khachquen-core --bench demo`: the demo generator's time and the bytes it
//! writes to disk (from /proc/self/io on Linux), on a fresh file. Size: KQ_BENCH_CUSTOMERS /
//! KQ_BENCH_PURCHASES (default 100,000 / 500,000).

use khachquen_core::Store;
use std::time::Instant;

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes this process has caused to be written to storage, where the OS says.
fn written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
}

fn main() {
    let customers = env_u64("KQ_BENCH_CUSTOMERS", 100_000);
    let purchases = env_u64("KQ_BENCH_PURCHASES", 500_000);
    let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("temp dir");
    let store = Store::open(&dir.path().join("khachquen.db")).expect("open");
    let before = written();
    let start = Instant::now();
    store
        .create_demo(customers, purchases, 1, &mut |_, _| {})
        .expect("demo");
    let took = start.elapsed();
    drop(store);
    let bytes = written().zip(before).map(|(a, b)| a - b);
    println!("| work | time | written |");
    println!("|---|---|---|");
    println!(
        "| demo {customers} customers / {purchases} purchases | {:.1} s | {} |",
        took.as_secs_f64(),
        bytes.map_or("n/a".into(), |b| format!("{:.2} GB", b as f64 / 1e9))
    );
}
