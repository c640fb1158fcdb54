//! The counter's durable purchase with points: `Store::add_purchase` (bill, points ledger
//! rows and their seals, tier, customer figures, audit entry, one IMMEDIATE transaction
//! committed with synchronous=FULL) beside a bare INSERT + COMMIT of the same bill on its own
//! connection (synchronous=FULL, no autocheckpoint, as in benches/core.rs), in alternating
//! runs on the same file so both see the same disk. Then the same with a voucher (a shared
//! code, checked against its limits and budget, its redemption recorded) and 10 points.
//! KQ_BENCH_PURCHASES_N: how many of each (default 2000, enough for a stable p99).
//! The shop's `audit.key` must sit beside the database file (copy it with the file): without
//! it a sealed shop opens without its key and the purchase skips every seal.

use super::{ms, quantile, Ctx, Row};
use khachquen_core::db::purchases::{insert, NewPurchase};
use khachquen_core::model::{ProgramInput, PurchaseInput};
use rusqlite::{Connection, TransactionBehavior};
use std::time::{Duration, Instant};

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// Bills by `input(customer, i)` through the store and bare INSERT + COMMITs of the same
/// bill, alternating in runs: (store times, bare times).
fn measure(
    ctx: &Ctx,
    n: usize,
    ids: &[i64],
    input: impl Fn(i64) -> PurchaseInput,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut w = Connection::open(&ctx.path).expect("bare writer");
    w.pragma_update(None, "synchronous", "FULL")
        .expect("pragma");
    // Like the store's writer: checkpoints happen on the store's background thread.
    w.pragma_update(None, "wal_autocheckpoint", 0)
        .expect("pragma");
    let product = |i: usize| {
        let t = Instant::now();
        ctx.store
            .add_purchase(input(ids[i % ids.len()]))
            .expect("purchase");
        t.elapsed()
    };
    let mut bare = |i: usize| {
        let t = Instant::now();
        let tx = w
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("tx");
        let p = NewPurchase {
            client_id: None,
            customer_id: ids[i % ids.len()],
            at: 1_700_000_000,
            total_minor: 150_000,
            payment_method: "cash",
            note: None,
            staff: None,
            discount_minor: 0,
            counter: None,
        };
        insert(&tx, &p, &[], 1_700_000_000).expect("insert");
        tx.commit().expect("commit");
        t.elapsed()
    };
    for i in 0..20 {
        // warm the page cache and both statement caches
        product(i);
        bare(i);
    }
    // In alternating runs of BLOCK, so both see the same disk and CPU conditions over
    // time, yet each writer keeps its page cache between its own bills as the counter's
    // only writer does: a commit by the other connection makes SQLite drop a connection's
    // whole cache, and bill by bill interleaving would time that reload on every bill.
    const BLOCK: usize = 50;
    let (mut core, mut raw) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        if (start / BLOCK).is_multiple_of(2) {
            core.extend((start..end).map(&product));
            raw.extend((start..end).map(&mut bare));
        } else {
            raw.extend((start..end).map(&mut bare));
            core.extend((start..end).map(&product));
        }
    }
    (core, raw)
}

fn table(
    what: &str,
    n: usize,
    target: &str,
    (mut core, mut raw): (Vec<Duration>, Vec<Duration>),
) -> Vec<Row> {
    let (c99, b99) = (quantile(&mut core, 0.99), quantile(&mut raw, 0.99));
    let (c50, b50) = (quantile(&mut core, 0.5), quantile(&mut raw, 0.5));
    vec![
        Row::new(
            format!("{what}, p99 ({n} bills)"),
            format!("{} ({:.2}× bare)", ms(c99), ratio(c99, b99)),
            format!("{} (bare INSERT + COMMIT, synchronous=FULL)", ms(b99)),
            target,
        ),
        Row::new(
            format!("{what}, p50 ({n} bills)"),
            format!("{} ({:.2}× bare)", ms(c50), ratio(c50, b50)),
            format!("{} (bare INSERT + COMMIT, synchronous=FULL)", ms(b50)),
            "(the target is on p99)",
        ),
    ]
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let n: usize = std::env::var("KQ_BENCH_PURCHASES_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // Regulars with a history, points and (some) a tier, as at the counter.
    let ids: Vec<i64> = ctx
        .store
        .search("nguyen", 50)
        .expect("customers")
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(!ids.is_empty(), "no customer to sell to");
    let plain = |id| PurchaseInput {
        customer_id: id,
        amount: "150000".into(),
        ..Default::default()
    };
    let mut out = table(
        "durable purchase with points",
        n,
        "≤ 1.5× bare",
        measure(ctx, n, &ids, plain),
    );
    // A shared code with no practical per-customer limit, a quantity and a budget to check.
    let until = khachquen_core::time::today(
        khachquen_core::time::parse_tz("Asia/Ho_Chi_Minh").expect("tz"),
    )
    .checked_add_days(chrono::Days::new(365))
    .expect("date")
    .to_string();
    let program = ctx
        .store
        .add_program(&ProgramInput {
            name: "Bench".into(),
            kind: "amount".into(),
            value: Some("10000".into()),
            until: Some(until),
            per_customer: Some(i64::from(i32::MAX)),
            quantity: Some(i64::from(i32::MAX)),
            budget: Some("1000000000".into()),
            shared_code: Some("auto".into()),
            ..Default::default()
        })
        .expect("programme");
    let code = program.shared_code.expect("shared code");
    let with_voucher = |id| PurchaseInput {
        voucher: Some(code.clone()),
        redeem: Some(10),
        ..plain(id)
    };
    // Customers who can pay 10 points on such a bill, enough for every bill to run.
    let payers: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|&id| {
            ctx.store
                .customer_loyalty(id)
                .is_ok_and(|l| l.balance >= 10 * (n as i64 / 40 + 30))
        })
        .collect();
    assert!(!payers.is_empty(), "no customer with points to redeem");
    out.extend(table(
        "durable purchase with a voucher and 10 points",
        n,
        "≤ 2× bare",
        measure(ctx, n, &payers, with_voucher),
    ));
    out
}
