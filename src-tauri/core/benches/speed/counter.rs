//! The counter rows of the speed table: the name search as the cashier types (the names of
//! benches/core.rs), through core, beside the bare equivalent on plain rusqlite: the FTS5
//! match, the same "most likely" order, LIMIT 20.

use super::{ms, quantile, Ctx, Row};
use khachquen_core::{db, text};
use rusqlite::Connection;
use std::time::{Duration, Instant};

pub(super) const NAMES: &[&str] = &[
    "n",
    "ng",
    "nguy",
    "nguyen v",
    "nguyen van d",
    "tran thi h",
    "hu",
    "le hoang yen",
    "pham quoc",
    "duc",
    "ngu hu",
    "nguyễn thị hương",
];
pub(super) const LIMIT: u32 = 20;
pub(super) const ROUNDS: usize = 240;

fn bare(raw: &Connection, name: &str) -> usize {
    let expr = db::customers::fts_query(&text::tokens(&text::fold(name)));
    let mut stmt = raw
        .prepare_cached(
            "SELECT c.id FROM customers c WHERE c.id IN
                (SELECT rowid FROM customer_search WHERE customer_search MATCH ?1)
             ORDER BY c.last_purchase_at DESC NULLS LAST, c.visits DESC, c.id LIMIT ?2",
        )
        .expect("bare");
    let ids: Vec<i64> = stmt
        .query_map(rusqlite::params![expr, LIMIT], |r| r.get(0))
        .expect("bare")
        .collect::<Result<_, _>>()
        .expect("bare");
    ids.len()
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let raw = Connection::open(&ctx.path).expect("raw");
    let s = &ctx.store;
    for n in NAMES {
        s.find_customers(n, LIMIT).expect("search");
        bare(&raw, n);
    }
    let (mut product, mut plain) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        let n = NAMES[i % NAMES.len()];
        let t = Instant::now();
        std::hint::black_box(s.find_customers(n, LIMIT).expect("search"));
        product.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(bare(&raw, n));
        plain.push(t.elapsed());
    }
    let p = |t: &mut Vec<Duration>, q| quantile(t, q);
    let (p50, p99) = (p(&mut product, 0.5), p(&mut product, 0.99));
    let (b50, b99) = (p(&mut plain, 0.5), p(&mut plain, 0.99));
    vec![Row::new(
        format!(
            "counter name search as you type, first {LIMIT} with the count ({} names × {})",
            NAMES.len(),
            ROUNDS / NAMES.len()
        ),
        format!(
            "p50 {}, p99 {} ({:.2}× bare)",
            ms(p50),
            ms(p99),
            p99.as_secs_f64() / b99.as_secs_f64()
        ),
        format!(
            "FTS5 match + same order + LIMIT: p50 {}, p99 {}",
            ms(b50),
            ms(b99)
        ),
        "p99 ≤ 2× bare",
    )]
}
