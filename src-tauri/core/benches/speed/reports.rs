//! The reports rows of the speed table: each history report on a store that has just been
//! opened (the ledger loaded for it: the honest figure), and one report on a store that
//! already holds it, beside the bare per-customer GROUP BY over the purchases.

use super::{cell, median, run, Ctx, Row, Run};
use khachquen_core::analytics::reports::Range;
use khachquen_core::Store;
use rusqlite::{Connection, OpenFlags};

const TARGET: &str = "≤ 1 s, ≤ 200 MB";

/// The median time and the largest heap of some runs, as `median` gives them.
fn med(mut runs: Vec<Run>) -> Run {
    let heap = runs.iter().map(|r| r.heap).max().unwrap_or(0);
    runs.sort_by_key(|r| r.time);
    Run {
        time: runs[runs.len() / 2].time,
        heap,
    }
}

/// `n` runs of `f`, each on a freshly opened store (opening it is not timed), each right
/// after a run of the bare query: on a shared machine both see the same load.
/// (product, bare).
fn cold<T>(ctx: &Ctx, conn: &Connection, n: usize, f: impl Fn(&Store) -> T) -> (Run, Run) {
    let (mut product, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..n {
        bare.push(run(|| bare_group_by(conn)));
        let store = Store::open(&ctx.path).expect("open");
        product.push(run(|| f(&store)));
        drop(store);
    }
    (med(product), med(bare))
}

/// What every history report needs at least: each customer's count, total, first and last
/// purchase, fully stepped.
fn bare_group_by(conn: &Connection) -> usize {
    let mut stmt = conn
        .prepare(
            "SELECT customer_id, count(*), sum(total_minor), min(at), max(at)
             FROM purchases GROUP BY customer_id",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while let Some(r) = rows.next().expect("step") {
        n += usize::from(r.get::<_, i64>(1).expect("count") > 0);
    }
    n
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let conn = Connection::open_with_flags(&ctx.path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open bare");
    let all = Range::default();
    let mut rows = Vec::new();
    let mut row = |work: &str, (product, bare): (Run, Run)| {
        rows.push(Row::new(work, cell(product), cell(bare), TARGET));
    };
    row(
        "churn report (month), store just opened",
        cold(ctx, &conn, 3, |s| {
            s.report_churn("month", &all, None).expect("churn")
        }),
    );
    row(
        "churn report (quarter), store just opened",
        cold(ctx, &conn, 3, |s| {
            s.report_churn("quarter", &all, None).expect("churn")
        }),
    );
    row(
        "cohorts report, store just opened",
        cold(ctx, &conn, 3, |s| s.report_cohorts(&all).expect("cohorts")),
    );
    row(
        "summary + revenue split, store just opened",
        cold(ctx, &conn, 3, |s| s.report_summary(&all).expect("summary")),
    );
    row(
        "staff report, store just opened",
        cold(ctx, &conn, 3, |s| s.report_staff(&all).expect("staff")),
    );
    // Not a history report (the range's bills counted as read, no ledger), beside the same
    // bare GROUP BY.
    row(
        "counters report, store just opened",
        cold(ctx, &conn, 3, |s| {
            s.report_counters(&all, None).expect("counters")
        }),
    );
    // The Reports screen asks for several in a row: the first loads, the rest reuse.
    ctx.store.report_summary(&all).expect("summary");
    let bare = median(3, || bare_group_by(&conn));
    row(
        "summary again, nothing committed since (ledger kept)",
        (
            median(3, || ctx.store.report_summary(&all).expect("summary")),
            bare,
        ),
    );
    row(
        "churn (month) again, nothing committed since (ledger kept)",
        (
            median(3, || {
                ctx.store.report_churn("month", &all, None).expect("churn")
            }),
            bare,
        ),
    );
    rows
}
