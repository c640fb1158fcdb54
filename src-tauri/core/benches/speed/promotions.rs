//! Promotions at a 100k-customer shop of its own (a fresh demo in a temp folder, so the main
//! shop is left as it is): issuing a personal voucher to each of 100,000 customers, and a
//! campaign's results over 100,000 members (launched with a 10% holdout over the same shop).
//! KQ_BENCH_PROMO_CUSTOMERS: the shop's size (default 100,000).

use super::{cell, env_u64, median, run, Ctx, Row};
use khachquen_core::model::{CampaignInput, CustomerFilter, ProgramInput};
use khachquen_core::Store;

pub fn rows(_ctx: &Ctx) -> Vec<Row> {
    let n = env_u64("KQ_BENCH_PROMO_CUSTOMERS", 100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("khachquen.db")).expect("open");
    store
        .create_demo(n, n * 5, 7, &mut |_, _| {})
        .expect("demo");
    let until = khachquen_core::time::today(
        khachquen_core::time::parse_tz("Asia/Ho_Chi_Minh").expect("tz"),
    )
    .checked_add_days(chrono::Days::new(60))
    .expect("date")
    .to_string();
    let program = |name: &str| ProgramInput {
        name: name.into(),
        kind: "percent".into(),
        value: Some("10".into()),
        cap: Some("100000".into()),
        until: Some(until.clone()),
        ..Default::default()
    };
    store
        .add_program(&program("Bench issue"))
        .expect("programme");
    let issue = run(|| {
        store
            .issue_vouchers("Bench issue", &CustomerFilter::default())
            .expect("issue")
    });
    store
        .add_program(&program("Bench campaign"))
        .expect("programme");
    store
        .add_campaign(&CampaignInput {
            name: "Bench".into(),
            program: Some("Bench campaign".into()),
            seed: Some(1),
            ..Default::default()
        })
        .expect("campaign");
    let launch = run(|| store.launch_campaign("Bench", None).expect("launch"));
    let results = median(5, || store.campaign_results("Bench").expect("results"));
    vec![
        Row::new(
            format!("issue a personal voucher to each of {n} customers"),
            cell(issue),
            "",
            "≤ 2 s",
        ),
        Row::new(
            format!("launch a campaign to {n} customers (10% held back, a voucher each)"),
            cell(launch),
            "",
            "",
        ),
        Row::new(
            format!("campaign results over {n} members (median of 5)"),
            cell(results),
            "",
            "≤ 1 s",
        ),
    ]
}
