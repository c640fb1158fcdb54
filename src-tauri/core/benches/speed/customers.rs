//! The customers rows of the speed table: the Customers screen's search as you type (first
//! page of 50), beside bare FTS5 `MATCH ... LIMIT 50` on the same file.

use super::{ms, quantile, Ctx, Row};
use khachquen_core::customers::lookup;
use khachquen_core::db;
use khachquen_core::model::{ListQuery, SortKey};
use rusqlite::Connection;
use std::time::{Duration, Instant};

/// What a cashier types into the Customers search, one to three letters.
pub const KEYS: &[&str] = &[
    "n", "ng", "ngu", "t", "tr", "tra", "h", "hu", "huo", "l", "le", "p", "ph", "pha", "v", "vu",
    "d", "du", "duc", "m", "mi", "min", "th", "thi", "a", "an", "anh", "k", "kh", "x",
];

/// Keystrokes measured per row.
const ROUNDS: usize = 300;

fn query(key: &str, sort: SortKey, desc: bool) -> ListQuery {
    ListQuery {
        search: Some(key.to_owned()),
        sort,
        desc,
        limit: 50,
        ..Default::default()
    }
}

fn p50_p99(mut t: Vec<Duration>) -> String {
    let p50 = quantile(&mut t, 0.5);
    let p99 = quantile(&mut t, 0.99);
    format!("p50 {}, p99 {}", ms(p50), ms(p99))
}

/// Bare FTS5: the first 50 matches in rowid order, nothing else.
fn bare(raw: &Connection, key: &str) -> usize {
    let expr = db::customers::fts_query(&[key.to_owned()]);
    let mut stmt = raw
        .prepare_cached("SELECT rowid FROM customer_search WHERE customer_search MATCH ?1 LIMIT 50")
        .expect("bare");
    let ids: Vec<i64> = stmt
        .query_map([expr], |r| r.get(0))
        .expect("bare")
        .collect::<Result<_, _>>()
        .expect("bare");
    ids.len()
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let raw = Connection::open(&ctx.path).expect("raw");
    let reader = db::open_reader(&ctx.path).expect("reader");
    let s = &ctx.store;
    // Warm the page cache for both.
    for k in KEYS {
        s.list_customers(&query(k, SortKey::Name, false))
            .expect("list");
        bare(&raw, k);
    }
    let mut out = Vec::new();
    let target = "p99 ≤ 50 ms through IPC";
    let sorts = [
        ("name ↑ (the screen's default)", SortKey::Name, false),
        ("name ↓", SortKey::Name, true),
        ("last visit ↓", SortKey::LastVisit, true),
        ("last visit ↑", SortKey::LastVisit, false),
        ("total spent ↓", SortKey::TotalSpent, true),
        ("visits ↓", SortKey::Visits, true),
        ("created ↓", SortKey::Created, true),
    ];
    for (label, sort, desc) in sorts {
        // Interleaved keystroke by keystroke, so both see the same machine.
        let (mut product, mut plain) = (Vec::new(), Vec::new());
        for i in 0..ROUNDS {
            let k = KEYS[i % KEYS.len()];
            let q = query(k, sort, desc);
            // The page as the window gets it: listed, then serialised to JSON as IPC does.
            let t = Instant::now();
            let page = s.list_customers(&q).expect("list");
            std::hint::black_box(serde_json::to_vec(&page).expect("json"));
            product.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(bare(&raw, k));
            plain.push(t.elapsed());
        }
        out.push(Row::new(
            format!(
                "Customers search as you type, 1–3 letters, first 50 + JSON, sort {label} ({} keys × {})",
                KEYS.len(),
                ROUNDS / KEYS.len()
            ),
            p50_p99(product),
            format!("FTS5 MATCH LIMIT 50: {}", p50_p99(plain)),
            target,
        ));
    }
    // The list as it was (every match counted and sorted), once per key: the "before".
    if std::env::var_os("KQ_BENCH_BEFORE").is_some() {
        let mut before = Vec::new();
        for k in KEYS {
            let l = lookup(k).expect("lookup");
            let q = query(k, SortKey::Name, false);
            let t = Instant::now();
            std::hint::black_box(db::customers::list_plain(&reader, &q, Some(&l), 0).expect("old"));
            before.push(t.elapsed());
        }
        out.push(Row::new(
            "the same search, before (count and sort every match), once per key",
            p50_p99(before),
            "",
            "",
        ));
    }
    out.push(index_cost(ctx));
    out
}

/// What the last-visit index (migration 012) adds to each purchase: the UPDATE of a
/// customer's last visit, 2,000 times in a transaction that is rolled back, with the index
/// and with it dropped inside the transaction (rolled back too: the file is unchanged).
fn index_cost(ctx: &Ctx) -> Row {
    let mut c = Connection::open(&ctx.path).expect("raw");
    let max: i64 = c
        .query_row("SELECT max(id) FROM customers", [], |r| r.get(0))
        .expect("max");
    let ids: Vec<i64> = (0..2000).map(|i| 1 + (i * 7919) % max).collect();
    let mut timed = |drop: bool| {
        let tx = c.transaction().expect("tx");
        if drop {
            tx.execute("DROP INDEX customers_last_visit", [])
                .expect("drop");
        }
        let t = Instant::now();
        for id in &ids {
            tx.execute(
                "UPDATE customers SET last_purchase_at = coalesce(last_purchase_at, 0) + 86400
                 WHERE id = ?1",
                [id],
            )
            .expect("update");
        }
        let d = t.elapsed();
        tx.rollback().expect("rollback");
        d
    };
    let (mut with, mut without) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        without = without.min(timed(true));
        with = with.min(timed(false));
    }
    let per = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6 / ids.len() as f64);
    Row::new(
        "write cost of the last-visit index: one purchase's UPDATE of last visit (in cache, \
         before the commit)",
        format!("{} with the index", per(with)),
        format!("{} without", per(without)),
        "small beside a durable commit (ms)",
    )
}
