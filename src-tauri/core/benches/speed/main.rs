//! `cargo bench -p khachquen-core --bench speed`: the speed table of the README, each figure
//! beside its bare-SQLite equivalent measured in the same run, as Markdown rows.
//! Size: KQ_BENCH_CUSTOMERS / KQ_BENCH_PURCHASES (default 1,000,000 / 5,000,000); the demo shop
//! is generated once under target/bench-data and reused (KQ_BENCH_DB=FILE uses that file).
//! `scripts/bench/speed` runs it at 1M / 5M and at 100k / 1M.
//! Each section lives in its own file and returns its rows.

mod cli;
mod counter;
mod customers;
mod demo;
mod promotions;
mod purchase;
mod reports;
mod scores;
mod server;

use khachquen_core::Store;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, so a row can say how much memory its work took.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One run's time and the heap it took above what was live before it (SQLite's page cache
/// included: it allocates through the same allocator).
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub time: Duration,
    pub heap: usize,
}

/// Run `f` once, timing it and measuring the peak heap above the starting point.
pub fn run<T>(f: impl FnOnce() -> T) -> Run {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    std::hint::black_box(f());
    let time = t.elapsed();
    Run {
        time,
        heap: PEAK.load(Ordering::Relaxed).saturating_sub(base),
    }
}

/// The median run of `n` by time, with the largest heap any of them took.
pub fn median<T>(n: usize, mut f: impl FnMut() -> T) -> Run {
    let mut runs: Vec<Run> = (0..n.max(1)).map(|_| run(&mut f)).collect();
    let heap = runs.iter().map(|r| r.heap).max().unwrap_or(0);
    runs.sort_by_key(|r| r.time);
    Run {
        time: runs[runs.len() / 2].time,
        heap,
    }
}

/// The q-quantile (0..=1) of some latencies.
pub fn quantile(t: &mut [Duration], q: f64) -> Duration {
    t.sort();
    t[((t.len() as f64 * q) as usize).min(t.len() - 1)]
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        // One decimal: a p99 next to a 10 ms target is not rounded onto it.
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

pub fn mb(bytes: usize) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// Time and memory of one run, as a cell.
pub fn cell(r: Run) -> String {
    format!("{}, {}", ms(r.time), mb(r.heap))
}

/// One row of the table.
pub struct Row {
    pub work: String,
    pub product: String,
    pub bare: String,
    pub target: String,
}

impl Row {
    pub fn new(
        work: impl Into<String>,
        product: impl Into<String>,
        bare: impl Into<String>,
        target: impl Into<String>,
    ) -> Row {
        Row {
            work: work.into(),
            product: product.into(),
            bare: bare.into(),
            target: target.into(),
        }
    }
}

/// The shop every section measures, and its size.
pub struct Ctx {
    pub path: PathBuf,
    pub customers: u64,
    pub purchases: u64,
    pub store: Store,
}

/// A section of the table: its rows on the shop.
type Section = fn(&Ctx) -> Vec<Row>;

pub fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let customers = env_u64("KQ_BENCH_CUSTOMERS", 1_000_000);
    let purchases = env_u64("KQ_BENCH_PURCHASES", 5_000_000);
    let path = match std::env::var_os("KQ_BENCH_DB") {
        Some(p) => PathBuf::from(p),
        None => {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
            std::fs::create_dir_all(&dir).expect("bench dir");
            dir.join(format!("demo-{customers}-{purchases}.db"))
        }
    };
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
    let ctx = Ctx {
        store: Store::open(&path).expect("open"),
        path,
        customers,
        purchases,
    };
    let mut rows = Vec::new();
    let only = std::env::var("KQ_BENCH_ONLY").unwrap_or_default();
    let sections: [(&str, Section); 9] = [
        ("reports", reports::rows),
        ("scores", scores::rows),
        ("customers", customers::rows),
        ("counter", counter::rows),
        ("purchase", purchase::rows),
        ("promotions", promotions::rows),
        ("cli", cli::rows),
        ("demo", demo::rows),
        ("server", server::rows),
    ];
    for (name, f) in sections {
        if only.is_empty() || only.split(',').any(|s| s == name) {
            eprintln!("{name}…");
            rows.extend(f(&ctx));
        }
    }
    println!(
        "\n{} customers / {} purchases ({})\n",
        ctx.customers,
        ctx.purchases,
        ctx.path.display()
    );
    println!("| work | Khách Quen | bare SQLite | target |");
    println!("|---|---|---|---|");
    for r in rows {
        println!("| {} | {} | {} | {} |", r.work, r.product, r.bare, r.target);
    }
}
