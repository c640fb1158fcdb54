//! The scores rows of the speed table: the RFM and lifecycle views with stale scores (they
//! no longer recompute), the refresh (nothing changed since the last one, and every row new),
//! and the BG/NBD CLV report with its fit.

use super::{cell, mb, median, ms, run, Ctx, Row};
use rusqlite::Connection;

fn bare(ctx: &Ctx) -> Connection {
    Connection::open(&ctx.path).expect("bare connection")
}

/// Make the stored scores look two hours old, as the views find them after a quiet spell.
fn age_scores(ctx: &Ctx) -> i64 {
    let at = chrono::Utc::now().timestamp() - 7200;
    bare(ctx)
        .execute(
            "INSERT INTO settings (key, value) VALUES ('analytics.scores_computed_at', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [at.to_string()],
        )
        .expect("age scores");
    at
}

/// The per-customer pass over every purchase that the refresh and CLV cannot do with less:
/// purchase days, first and last purchase, total, per customer.
fn per_customer(c: &Connection) -> usize {
    let mut stmt = c
        .prepare(
            "SELECT customer_id, count(DISTINCT at / 86400), min(at), max(at), sum(total_minor)
             FROM purchases GROUP BY customer_id",
        )
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while let Some(r) = rows.next().expect("row") {
        std::hint::black_box(r.get::<_, i64>(4).expect("sum"));
        n += 1;
    }
    n
}

fn count_rows(c: &Connection, sql: &str) -> usize {
    let mut stmt = c.prepare(sql).expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while rows.next().expect("row").is_some() {
        n += 1;
    }
    n
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let s = &ctx.store;
    let mut out = Vec::new();
    // Scores to show: the shop's own, or a first refresh.
    if s.report_rfm().expect("rfm").computed_at.is_none() {
        s.refresh_analytics().expect("first refresh");
    }
    let at = age_scores(ctx);
    let c = bare(ctx);
    let rfm = median(5, || s.report_rfm().expect("rfm"));
    let after = s.report_rfm().expect("rfm");
    assert!(after.stale && after.computed_at.map(|t| t.timestamp()) == Some(at));
    let rfm_bare = median(5, || {
        count_rows(
            &c,
            "SELECT r, f, count(*) FROM customer_scores GROUP BY r, f",
        ) + count_rows(
            &c,
            "SELECT segment, count(*), sum(monetary_minor) FROM customer_scores GROUP BY segment",
        )
    });
    out.push(Row::new(
        "RFM view, scores 2 h old (no recompute)",
        cell(rfm),
        cell(rfm_bare),
        "never waits for a recompute",
    ));
    let life = median(5, || s.report_lifecycle().expect("lifecycle"));
    let life_bare = median(5, || {
        count_rows(
            &c,
            "SELECT stage, count(*) FROM customer_scores GROUP BY stage",
        )
    });
    out.push(Row::new(
        "lifecycle view, scores 2 h old (no recompute)",
        cell(life),
        cell(life_bare),
        "never waits for a recompute",
    ));

    let group = median(3, || per_customer(&c));
    let fit_of = |r: &khachquen_core::analytics::scores::RefreshReport| match (&r.fit, &r.fit_error)
    {
        (Some(f), _) => format!(
            "r = {}, α = {}, a = {}, b = {}",
            f.bgnbd.r, f.bgnbd.alpha, f.bgnbd.a, f.bgnbd.b
        ),
        (None, Some(e)) => format!("no fit: {} {:?}", e.code, e.params),
        _ => String::new(),
    };
    // The first refresh of a shop: every row inserted.
    c.execute("DELETE FROM customer_scores", [])
        .expect("clear scores");
    let mut report = None;
    let first = run(|| report = Some(s.refresh_analytics().expect("refresh")));
    let r = report.take().expect("refresh report");
    out.push(Row::new(
        format!(
            "`refresh_analytics`, first (every row inserted: {}; {})",
            r.written,
            fit_of(&r)
        ),
        cell(first),
        format!("{} (per-customer GROUP BY)", cell(group)),
        "≤ 3 s",
    ));
    // The first refresh of a day: every prediction moved, every row updated.
    c.execute("UPDATE customer_scores SET expected_purchases = -1", [])
        .expect("move scores");
    let daily = run(|| report = Some(s.refresh_analytics().expect("refresh")));
    let r = report.take().expect("refresh report");
    out.push(Row::new(
        format!(
            "`refresh_analytics`, every row changed ({} updated)",
            r.written
        ),
        cell(daily),
        format!("{} (per-customer GROUP BY)", cell(group)),
        "≤ 3 s",
    ));
    let same = run(|| report = Some(s.refresh_analytics().expect("refresh")));
    let r = report.take().expect("refresh report");
    out.push(Row::new(
        format!(
            "`refresh_analytics`, again the same day ({} rows changed)",
            r.written
        ),
        cell(same),
        format!("{} (per-customer GROUP BY)", cell(group)),
        "≤ 3 s",
    ));
    let all = first;

    let mut answer = None;
    let clv = median(3, || answer = Some(s.report_clv(None, None, Some(200))));
    let fit = match answer.expect("clv") {
        Ok(r) => format!(
            "fit r = {}, α = {}, a = {}, b = {}; p = {}, q = {}, γ = {}",
            r.bgnbd.r,
            r.bgnbd.alpha,
            r.bgnbd.a,
            r.bgnbd.b,
            r.gamma_gamma.p,
            r.gamma_gamma.q,
            r.gamma_gamma.gamma
        ),
        Err(e) => format!("refused: {} {:?}", e.code(), e.params()),
    };
    out.push(Row::new(
        format!("`report_clv` (BG/NBD, default horizon; {fit})"),
        cell(clv),
        format!("{} (per-customer GROUP BY)", cell(group)),
        "≤ 2 s, ≤ 300 MB, fit inside the bounds",
    ));
    eprintln!(
        "scores: rfm {} {}, refresh(all) {}, clv {}",
        ms(rfm.time),
        mb(rfm.heap),
        ms(all.time),
        ms(clv.time)
    );
    out
}
