//! Appreciation campaigns: the audience, a seeded holdout, one launch, and results with
//! exact figures and their 95% intervals.

use chrono::{Datelike, Days, NaiveDate};
use khachquen_core::campaigns::holdout_of;
use khachquen_core::model::{
    CampaignInput, CustomerFilter, CustomerInput, ProgramInput, PurchaseInput,
};
use khachquen_core::{time, Store};
use rust_decimal::Decimal;
use std::str::FromStr;

fn today() -> NaiveDate {
    time::today(time::parse_tz("Asia/Ho_Chi_Minh").unwrap())
}

fn days_ago(n: u64) -> String {
    today().checked_sub_days(Days::new(n)).unwrap().to_string()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Twenty customers; customer i spent (i + 1) × 100.000 ₫ 200 days ago.
fn shop() -> (Store, Vec<i64>) {
    let s = Store::open_in_memory().unwrap();
    let ids: Vec<i64> = (0..20)
        .map(|i| {
            let id = s
                .add_customer(CustomerInput {
                    name: Some(format!("Khách {i:02}")),
                    phone: Some(format!("09120000{i:02}")),
                    ..Default::default()
                })
                .unwrap()
                .id;
            s.add_purchase(PurchaseInput {
                customer_id: id,
                amount: format!("{}", (i + 1) * 100_000),
                at: Some(days_ago(200)),
                ..Default::default()
            })
            .unwrap();
            id
        })
        .collect();
    (s, ids)
}

fn buy(s: &Store, id: i64, voucher: Option<String>) {
    s.add_purchase(PurchaseInput {
        customer_id: id,
        amount: "300000".into(),
        voucher,
        ..Default::default()
    })
    .unwrap();
}

#[test]
fn a_campaign_launches_once_and_measures_against_its_holdout() {
    let (s, ids) = shop();
    let until = today().checked_add_days(Days::new(60)).unwrap().to_string();
    s.add_program(&ProgramInput {
        name: "Tri ân 100k".into(),
        kind: "amount".into(),
        value: Some("100000".into()),
        until: Some(until),
        ..Default::default()
    })
    .unwrap();
    let template = s.templates().unwrap().templates[0].name.clone();
    let c = s
        .add_campaign(&CampaignInput {
            name: "Tri ân cuối năm".into(),
            top: Some(10),
            program: Some("Tri ân 100k".into()),
            points: Some(100),
            template: Some(template),
            call_top: Some(3),
            holdout_percent: Some(20),
            seed: Some(43),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (c.from, c.until.to_string()),
        (today(), {
            today().checked_add_days(Days::new(29)).unwrap().to_string()
        })
    );
    assert!(c.launched_at.is_none());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tin.csv");
    let l = s.launch_campaign("Tri ân cuối năm", Some(&csv)).unwrap();
    assert!(l.launched_now);
    // The top 10 spenders are customers 11..20; seed 43 holds back two of them (11, 18).
    assert_eq!(
        (l.treated, l.holdout, l.vouchers, l.points, l.reminders),
        (8, 2, 8, 800, 3)
    );
    assert_eq!(l.messages.as_ref().unwrap().rows, 8);
    let top: Vec<i64> = ids[10..].to_vec();
    let held = holdout_of(&top, 20, 43);
    assert_eq!(held, [11, 18].into_iter().collect());
    assert!(held.iter().all(|id| top.contains(id)));
    for &id in &top {
        let has = !s.vouchers_of(id).unwrap().is_empty();
        assert_eq!(has, !held.contains(&id), "customer {id}");
        let balance = s.customer_loyalty(id).unwrap().balance;
        let bought = (ids.iter().position(|&x| x == id).unwrap() as i64 + 1) * 10;
        assert_eq!(balance, bought + if held.contains(&id) { 0 } else { 100 });
    }
    // The biggest treated spenders get the calls.
    let mut treated: Vec<i64> = top
        .iter()
        .copied()
        .filter(|id| !held.contains(id))
        .collect();
    treated.reverse();
    let calls = |id: i64| {
        s.customer_care(id)
            .unwrap()
            .open_reminders
            .iter()
            .filter(|r| r.title.as_deref() == Some("☎ Tri ân cuối năm"))
            .count()
    };
    for (k, &id) in treated.iter().enumerate() {
        assert_eq!(calls(id), usize::from(k < 3), "customer {id}");
    }
    // Launching again changes nothing.
    let again = s.launch_campaign("Tri ân cuối năm", Some(&csv)).unwrap();
    assert!(!again.launched_now);
    assert_eq!((again.treated, again.holdout, again.vouchers), (8, 2, 8));
    assert_eq!(s.program_results("Tri ân 100k").unwrap().issued, 8);

    // Six treated come back (three with their voucher); no one held back does.
    for (k, &id) in treated.iter().take(6).enumerate() {
        let code = (k < 3).then(|| s.vouchers_of(id).unwrap()[0].code.clone());
        buy(&s, id, code);
    }
    let r = s.campaign_results("Tri ân cuối năm").unwrap();
    assert_eq!((r.treated.customers, r.treated.returned), (8, 6));
    assert_eq!((r.holdout.customers, r.holdout.returned), (2, 0));
    assert_eq!(r.treated.revenue, dec("1800000"));
    assert_eq!(r.treated.revenue_per_customer, dec("225000"));
    assert!((r.return_rate_difference.value - 0.75).abs() < 1e-12);
    let half = 1.959_963_984_540_054 * (0.75f64 * 0.25 / 8.0).sqrt();
    assert!((r.return_rate_difference.low - (0.75 - half)).abs() < 1e-9);
    assert!((r.extra_customers.value - 6.0).abs() < 1e-9);
    assert_eq!(r.revenue_per_customer_difference.value, dec("225000"));
    // Sample variance of [300k × 6, 0 × 2] over n − 1, as a mean's over n.
    let var: f64 = (6.0 * 75_000f64.powi(2) + 2.0 * 225_000f64.powi(2)) / 7.0 / 8.0;
    let low = (225_000.0 - 1.959_963_984_540_054 * var.sqrt()).round();
    assert_eq!(
        r.revenue_per_customer_difference.low,
        Decimal::from(low as i64)
    );
    assert_eq!(r.extra_revenue.value, dec("1800000"));
    assert_eq!((r.issued, r.redeemed), (8, 3));
    assert_eq!(r.discounts, dec("300000"));
    assert_eq!(r.points_cost, dec("800000"));
    assert_eq!(r.cost, dec("1100000"));
}

#[test]
fn the_holdout_is_seeded_and_sized() {
    let ids: Vec<i64> = (1..=20_000).collect();
    let a = holdout_of(&ids, 10, 7);
    // A seeded lot per customer: about the share asked for (±3 standard deviations).
    assert!((1_870..=2_130).contains(&a.len()), "{}", a.len());
    // The same seed gives the same customers whatever the order or company they came in.
    let mut rev = ids.clone();
    rev.reverse();
    assert_eq!(holdout_of(&rev, 10, 7), a);
    let half: Vec<i64> = ids.iter().copied().filter(|i| i % 2 == 0).collect();
    assert_eq!(
        holdout_of(&half, 10, 7),
        a.iter().copied().filter(|i| i % 2 == 0).collect()
    );
    assert_ne!(holdout_of(&ids, 10, 8), a);
    assert!(holdout_of(&ids, 0, 7).is_empty());
    assert_eq!(holdout_of(&ids, 100, 7).len(), ids.len());
}

/// Each customer's first-purchase anniversary: only those whose first bill's day falls in
/// the window, in an earlier year.
#[test]
fn a_first_purchase_anniversary_picks_its_customers() {
    let s = Store::open_in_memory().unwrap();
    let add = |name: &str, phone: &str, at: String| {
        let id = s
            .add_customer(CustomerInput {
                name: Some(name.into()),
                phone: Some(phone.into()),
                ..Default::default()
            })
            .unwrap()
            .id;
        s.add_purchase(PurchaseInput {
            customer_id: id,
            amount: "100000".into(),
            at: Some(at),
            ..Default::default()
        })
        .unwrap();
        id
    };
    let t = today();
    let year_ago = NaiveDate::from_ymd_opt(t.year() - 1, t.month(), t.day().min(28)).unwrap();
    let a = add(
        "An",
        "0912000001",
        year_ago.checked_add_days(Days::new(3)).unwrap().to_string(),
    );
    add("Bình", "0912000002", days_ago(200));
    add("Chi", "0912000003", days_ago(1));
    let l = {
        s.add_campaign(&CampaignInput {
            name: "Kỷ niệm".into(),
            occasion: Some("first_purchase".into()),
            date: Some(year_ago.with_year(t.year()).unwrap().to_string()),
            window_days: Some(30),
            points: Some(50),
            holdout_percent: Some(0),
            filter: CustomerFilter::default(),
            ..Default::default()
        })
        .unwrap();
        s.launch_campaign("Kỷ niệm", None).unwrap()
    };
    assert_eq!((l.treated, l.holdout, l.points), (1, 0, 50));
    assert_eq!(s.customer_loyalty(a).unwrap().balance, 10 + 50);
}

#[test]
fn a_bad_campaign_names_its_field() {
    let (s, _) = shop();
    for (input, field) in [
        (
            CampaignInput {
                name: "".into(),
                ..Default::default()
            },
            "name",
        ),
        (
            CampaignInput {
                name: "x".into(),
                occasion: Some("birthday".into()),
                ..Default::default()
            },
            "occasion",
        ),
        (
            CampaignInput {
                name: "x".into(),
                holdout_percent: Some(95),
                ..Default::default()
            },
            "holdout_percent",
        ),
        (
            CampaignInput {
                name: "x".into(),
                window_days: Some(0),
                ..Default::default()
            },
            "window_days",
        ),
        (
            CampaignInput {
                name: "x".into(),
                date: Some("03/12/2026".into()),
                ..Default::default()
            },
            "date",
        ),
        (
            CampaignInput {
                name: "x".into(),
                top: Some(0),
                ..Default::default()
            },
            "top",
        ),
    ] {
        match s.add_campaign(&input) {
            Err(khachquen_core::CoreError::CampaignInvalid { key, .. }) => assert_eq!(key, field),
            other => panic!("{input:?}: {other:?}"),
        }
    }
    let e = s
        .add_campaign(&CampaignInput {
            name: "x".into(),
            program: Some("không có".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), "voucher.program_not_found");
    assert!(s.campaigns().unwrap().is_empty());
}

/// The demo shop comes with a past campaign: its members are the top spenders before it,
/// a seeded tenth held back, and the treated came back more than the held back.
#[test]
fn the_demo_has_a_past_campaign_with_a_holdout() {
    let s = Store::open_in_memory().unwrap();
    s.create_demo(6000, 36_000, 1, &mut |_, _| {}).unwrap();
    let list = s.campaigns().unwrap();
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert!(c.launched_at.is_some() && c.until < today());
    let r = s.campaign_results(&c.id.to_string()).unwrap();
    let n = r.treated.customers + r.holdout.customers;
    assert_eq!(Some(n), c.top);
    assert!(
        r.holdout.customers * 100 >= n * 5 && r.holdout.customers * 100 <= n * 15,
        "{r:?}"
    );
    assert!(r.return_rate_difference.value > 0.0, "{r:?}");
    assert!(r.redeemed > 0 && r.discounts > Decimal::ZERO, "{r:?}");
    assert_eq!(r.issued, r.treated.customers);
    // The members are exactly the holdout's seeded draw.
    assert_eq!(r.campaign.holdout_percent, 10);
    eprintln!(
        "demo campaign: {} members, treated {}/{} back, held {}/{} back, +{:.0} customers, +{} revenue, cost {}",
        n,
        r.treated.returned,
        r.treated.customers,
        r.holdout.returned,
        r.holdout.customers,
        r.extra_customers.value,
        r.extra_revenue.value,
        r.cost
    );
}

/// Two members of one campaign merged: the merge goes through, and the campaign keeps its
/// members as they were drawn.
#[test]
fn merging_two_members_keeps_the_campaign_whole() {
    let (s, ids) = shop();
    s.add_campaign(&CampaignInput {
        name: "Tất cả".into(),
        points: Some(10),
        holdout_percent: Some(0),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.launch_campaign("Tất cả", None).unwrap().treated, 20);
    s.merge_customers(ids[0], ids[1]).unwrap();
    let r = s.campaign_results("Tất cả").unwrap();
    assert_eq!(r.treated.customers, 20);
}
