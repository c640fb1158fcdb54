//! The PostgreSQL rows of the speed table (KQ_BENCH_ONLY=server; needs KHACHQUEN_TEST_PG_URL,
//! e.g. from `scripts/pg start DIR`): the bench shop copied into a new database on the
//! server and exported back to a file, each checked as the commands check them, and a bare
//! INSERT + COMMIT on the same server, the base a durable purchase there is held against; and
//! the counter's name search through a store on the server (the names of the counter rows),
//! and the counter's durable purchase with points there, alternating with the bare commit.

use super::counter::{LIMIT, NAMES, ROUNDS};
use super::{cell, median, ms, quantile, run, Ctx, Row, Run};
use khachquen_core::analytics::reports::Range;
use khachquen_core::db::pg;
use khachquen_core::model::PurchaseInput;
use khachquen_core::transfer::server::export_sqlite;
use khachquen_core::Store;
use std::time::{Duration, Instant};

const BARE_ROUNDS: usize = 2000;

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let Ok(admin) = std::env::var("KHACHQUEN_TEST_PG_URL") else {
        eprintln!("server: KHACHQUEN_TEST_PG_URL is not set (scripts/pg start DIR); skipped");
        return Vec::new();
    };
    let name = format!("kq_bench_{}", std::process::id());
    let mut a = pg::Server::parse(&admin)
        .expect("url")
        .connect()
        .expect("server");
    a.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let (base, _) = admin.rsplit_once('/').expect("url");
    let url = format!("{base}/{name}");

    let t = Instant::now();
    let moved = ctx.store.migrate_to(&url, &mut |_, _| {}).expect("copy");
    let copy = t.elapsed();
    let per_s = moved.rows as f64 / copy.as_secs_f64();

    let file = std::env::temp_dir().join(format!("{name}.db"));
    let _ = std::fs::remove_file(&file);
    let t = Instant::now();
    export_sqlite(&url, &file, &mut |_, _| {}).expect("export");
    let back = t.elapsed();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&file);

    // The counter on the server: the same names as the SQLite row, through core.
    let server = Store::open_server(&url).expect("open on the server");
    for n in NAMES {
        server.find_customers(n, LIMIT).expect("search");
    }
    let mut search: Vec<Duration> = Vec::with_capacity(ROUNDS);
    let mut slowest = (Duration::ZERO, "");
    for i in 0..ROUNDS {
        let n = NAMES[i % NAMES.len()];
        let t = Instant::now();
        std::hint::black_box(server.find_customers(n, LIMIT).expect("search"));
        let took = t.elapsed();
        slowest = slowest.max((took, n));
        search.push(took);
    }
    let (s50, s99) = (quantile(&mut search, 0.5), quantile(&mut search, 0.99));

    // The durable purchase at a counter on the server beside a bare INSERT + COMMIT of a
    // row on the same server, in alternating runs (synchronous_commit on: both wait for
    // the WAL flush).
    let mut c = pg::Server::parse(&url)
        .expect("url")
        .connect()
        .expect("server");
    c.batch_execute(
        "CREATE TABLE bare (id BIGSERIAL PRIMARY KEY, customer_id BIGINT, total BIGINT)",
    )
    .expect("bare");
    // Active customers, as the counter finds them.
    let ids: Vec<i64> = server
        .find_customers("nguyen", 100)
        .expect("search")
        .rows
        .iter()
        .map(|r| r.id)
        .collect();
    let mut bills = Vec::with_capacity(BARE_ROUNDS);
    let mut times = Vec::with_capacity(BARE_ROUNDS);
    for run in 0..BARE_ROUNDS / 100 {
        for i in 0..100 {
            let id = ids[(run * 100 + i) % ids.len()];
            let t = Instant::now();
            server
                .add_purchase(PurchaseInput {
                    customer_id: id,
                    amount: "150000".into(),
                    ..Default::default()
                })
                .expect("purchase on the server");
            bills.push(t.elapsed());
        }
        for i in 0..100i64 {
            let t = Instant::now();
            let mut tx = c.transaction().expect("tx");
            tx.execute(
                "INSERT INTO bare (customer_id, total) VALUES ($1, $2)",
                &[&(i % 1000), &150_000i64],
            )
            .expect("insert");
            tx.commit().expect("commit");
            times.push(t.elapsed());
        }
    }
    drop(server);
    let (b50, b99) = (quantile(&mut bills, 0.5), quantile(&mut bills, 0.99));

    // Each report on a store just opened on the server (its own report link, the purchases
    // streamed in one snapshot), beside the bare per-customer GROUP BY on the same server.
    let bare = median(3, || {
        c.query(
            "SELECT customer_id, count(*), sum(total_minor), min(at), max(at)
             FROM purchases GROUP BY customer_id",
            &[],
        )
        .expect("bare group by")
        .len()
    });
    let all = Range::default();
    let cold = |f: &dyn Fn(&Store)| -> Run {
        let runs: Vec<Run> = (0..3)
            .map(|_| {
                let s = Store::open_server(&url).expect("open on the server");
                run(|| f(&s))
            })
            .collect();
        let mut sorted = runs.clone();
        sorted.sort_by_key(|r| r.time);
        Run {
            heap: runs.iter().map(|r| r.heap).max().unwrap_or(0),
            ..sorted[1]
        }
    };
    let churn = |s: &Store| drop(s.report_churn("month", &all, None).expect("churn"));
    let cohorts = |s: &Store| drop(s.report_cohorts(&all).expect("cohorts"));
    let staff = |s: &Store| drop(s.report_staff(&all).expect("staff"));
    let reports: Vec<(&str, Run)> = vec![
        ("churn (month)", cold(&churn)),
        ("cohorts", cold(&cohorts)),
        (
            "summary + revenue split",
            cold(&|s| drop(s.report_summary(&all).expect("summary"))),
        ),
        ("staff", cold(&staff)),
        (
            "counters",
            cold(&|s| drop(s.report_counters(&all, None).expect("counters"))),
        ),
        ("RFM", cold(&|s| drop(s.report_rfm().expect("rfm")))),
        (
            "lifecycle",
            cold(&|s| drop(s.report_lifecycle().expect("lifecycle"))),
        ),
        ("Today", cold(&|s| drop(s.today(None, 50).expect("today")))),
    ];
    // The Reports screen's next report on the same store: the purchases read for the one
    // before are kept while nothing is committed anywhere on the server.
    let warm = |f: &dyn Fn(&Store)| -> Run {
        let s = Store::open_server(&url).expect("open on the server");
        s.report_summary(&all).expect("the report before");
        median(3, || f(&s))
    };
    let next_reports: Vec<(&str, Run)> = vec![
        ("churn (month)", warm(&churn)),
        ("cohorts", warm(&cohorts)),
        ("staff", warm(&staff)),
    ];
    let p50 = quantile(&mut times, 0.5);
    let p99 = quantile(&mut times, 0.99);
    drop(c);
    a.batch_execute(&format!("DROP DATABASE {name}"))
        .expect("drop");

    let mut rows = vec![
        Row::new(
            format!(
                "shop copied to PostgreSQL, checked (db migrate-to: {} rows by COPY, counts, money sums, {} balances)",
                moved.rows, moved.balances
            ),
            format!("{}, {:.0} rows/s", ms(copy), per_s),
            "",
            "",
        ),
        Row::new(
            "the same shop exported back to a new SQLite file, checked (db export-sqlite)",
            format!("{}, {:.0} MB file", ms(back), size as f64 / 1e6),
            "",
            "",
        ),
        Row::new(
            format!(
                "counter name search on the server, first {LIMIT} with the count ({} names × {})",
                NAMES.len(),
                ROUNDS / NAMES.len()
            ),
            format!(
                "p50 {}, p99 {} (slowest: “{}” {})",
                ms(s50),
                ms(s99),
                slowest.1,
                ms(slowest.0)
            ),
            "",
            "p99 ≤ 10 ms",
        ),
        Row::new(
            format!(
                "durable purchase with points at a counter on the server, p50 / p99 \
                 ({BARE_ROUNDS} bills)"
            ),
            format!(
                "{} / {} ({:.2}× bare p99)",
                ms(b50),
                ms(b99),
                b99.as_secs_f64() / p99.as_secs_f64().max(1e-9)
            ),
            format!("bare INSERT + COMMIT on the same server: {} / {}", ms(p50), ms(p99)),
            "p99 ≤ 2× bare",
        ),
    ];
    for (name, r) in reports {
        rows.push(Row::new(
            format!("{name} report on the server, store just opened"),
            cell(r),
            format!("GROUP BY customer on the server: {}", ms(bare.time)),
            "≤ 1 s",
        ));
    }
    for (name, r) in next_reports {
        rows.push(Row::new(
            format!("{name} report on the server, after another report, nothing committed since"),
            cell(r),
            "",
            "≤ 1 s",
        ));
    }
    rows
}
