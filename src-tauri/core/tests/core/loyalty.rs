//! Loyalty: exact scenarios in VND and a 2-decimal currency, and ledger invariants.

use khachquen_core::model::{CustomerInput, PurchaseInput, PurchaseResult, TierInput};
use khachquen_core::{money, CoreError, Store};
use proptest::prelude::*;

fn shop() -> (Store, i64) {
    let s = Store::open_in_memory().unwrap();
    let c = s
        .add_customer(CustomerInput {
            name: Some("Trần Thị Mai".into()),
            phone: Some("0987654321".into()),
            birthday: Some("--03-15".into()),
            ..Default::default()
        })
        .unwrap();
    (s, c.id)
}

fn buy(
    s: &Store,
    id: i64,
    amount: &str,
    redeem: i64,
    at: Option<&str>,
) -> Result<PurchaseResult, CoreError> {
    s.add_purchase(PurchaseInput {
        customer_id: id,
        amount: amount.into(),
        redeem: (redeem != 0).then_some(redeem),
        at: at.map(str::to_owned),
        ..Default::default()
    })
}

fn ledger_len(s: &Store, id: i64) -> usize {
    s.points(id, 10_000).unwrap().ledger.len()
}

#[test]
fn earn_tiers_and_redeem_in_vnd() {
    let (s, id) = shop();
    // 10.000 ₫ a point, rounded down; the first tier multiplies by 1.
    let r = buy(&s, id, "259000", 0, None).unwrap();
    assert_eq!(r.points_earned, 25);
    assert_eq!(r.loyalty.tier.as_deref(), Some("Thành viên"));
    assert_eq!(r.loyalty.next_tier.as_deref(), Some("Bạc"));
    assert_eq!(r.loyalty.needed_for_next.unwrap().to_string(), "2741000");
    // Crossing 3.000.000 ₫ in 12 months moves her to Bạc (×1.2) after this bill.
    let r = buy(&s, id, "2741000", 0, None).unwrap();
    assert_eq!(r.points_earned, 274);
    assert!(r.tier_changed);
    assert_eq!(r.loyalty.tier.as_deref(), Some("Bạc"));
    let r = buy(&s, id, "100000", 0, None).unwrap();
    assert_eq!(r.points_earned, 12, "×1.2");
    assert_eq!(r.loyalty.balance, 311);

    // Redeem 100 points = 100.000 ₫ on a 300.000 ₫ bill; only the 200.000 ₫ paid earns.
    let q = s
        .quote(&PurchaseInput {
            customer_id: id,
            amount: "300000".into(),
            redeem: Some(100),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (
            q.discount.to_string().as_str(),
            q.pay.to_string().as_str(),
            q.points_to_earn,
            q.max_points
        ),
        ("100000", "200000", 24, 150)
    );
    let r = buy(&s, id, "300000", 100, None).unwrap();
    assert_eq!(
        (
            r.points_redeemed,
            r.points_earned,
            r.discount.to_string().as_str()
        ),
        (100, 24, "100000")
    );
    assert_eq!(r.loyalty.balance, 311 - 100 + 24);
    assert_eq!(
        r.purchase.total.to_string(),
        "300000",
        "the bill stays whole; the discount is separate"
    );

    // Every broken rule is refused and records nothing.
    let before = ledger_len(&s, id);
    for (redeem, code) in [
        (5, "loyalty.redeem_below_minimum"),
        (1000, "loyalty.redeem_over_balance"),
        (200, "loyalty.redeem_over_cap"),
        (-3, "loyalty.redeem_invalid"),
    ] {
        assert_eq!(
            buy(&s, id, "300000", redeem, None).unwrap_err().code(),
            code,
            "{redeem}"
        );
    }
    assert_eq!(ledger_len(&s, id), before);
    assert_eq!(s.customer_stats(id).unwrap().visits, 4);
    let history = s.points(id, 100).unwrap().tier_history;
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[0].from.as_deref(), history[0].to.as_deref()),
        (Some("Thành viên"), Some("Bạc"))
    );
}

#[test]
fn two_decimal_currency() {
    let s = Store::open_in_memory().unwrap();
    s.set_setting("currency", "USD").unwrap();
    let id = s
        .add_customer(CustomerInput {
            name: Some("Amy".into()),
            phone: Some("0912345678".into()),
            ..Default::default()
        })
        .unwrap()
        .id;
    s.set_tiers(&[
        TierInput {
            name: "Member".into(),
            threshold: "0".into(),
            multiplier: "1".into(),
        },
        TierInput {
            name: "Gold".into(),
            threshold: "500.00".into(),
            multiplier: "2".into(),
        },
    ])
    .unwrap();
    let cfg = s.loyalty_config().unwrap();
    assert_eq!(
        (
            cfg.rules.earn_per.to_string().as_str(),
            cfg.rules.point_value.to_string().as_str()
        ),
        ("1.00", "0.01")
    );
    assert_eq!(buy(&s, id, "12.50", 0, None).unwrap().points_earned, 12);
    // 10 points = 0.10 USD off a 12.50 bill; 12.40 paid earns 12.
    let r = buy(&s, id, "12.50", 10, None).unwrap();
    assert_eq!(
        (r.discount.to_string().as_str(), r.points_earned),
        ("0.10", 12)
    );
    assert_eq!(r.loyalty.balance, 14);
    assert_eq!(r.loyalty.needed_for_next.unwrap().to_string(), "475.00");
    assert_eq!(
        s.set_loyalty_rules(&[("point_value".into(), "0.001".into())])
            .unwrap_err()
            .code(),
        "loyalty.invalid_rule"
    );
}

#[test]
fn refunds_reverse_and_return_in_proportion() {
    let (s, id) = shop();
    buy(&s, id, "1000000", 0, None).unwrap(); // 100 points
    let p = buy(&s, id, "400000", 100, None).unwrap(); // discount 100.000, earns 30
    assert_eq!((p.points_redeemed, p.points_earned), (100, 30));
    let pid = p.purchase.id;
    // Half of the 300.000 ₫ paid in money undoes half the bill.
    let half = s.refund(pid, Some("150000"), None).unwrap();
    assert_eq!(
        (half.points_reversed, half.points_returned, half.shortfall),
        (15, 50, 0)
    );
    assert_eq!(half.refund.amount.to_string(), "150000");
    assert_eq!(
        s.refund(pid, Some("150001"), None).unwrap_err().code(),
        "purchase.refund_too_large"
    );
    let rest = s.refund(pid, None, None).unwrap();
    assert_eq!((rest.points_reversed, rest.points_returned), (15, 50));
    assert_eq!(rest.refund.amount.to_string(), "150000");
    assert_eq!(
        s.refund(pid, None, None).unwrap_err().code(),
        "purchase.fully_refunded"
    );
    // Fully refunded: the bill left no points behind, and its spend is gone.
    assert_eq!(rest.loyalty.balance, 100);
    assert_eq!(rest.loyalty.spend_12m.to_string(), "1000000");
    assert_eq!(
        s.customer_stats(id).unwrap().total_spent.to_string(),
        "1000000"
    );
    let bill = s.purchase(pid).unwrap();
    assert_eq!(
        (bill.refunded.to_string(), bill.refundable.to_string()),
        ("300000".to_owned(), "0".to_owned())
    );
}

#[test]
fn a_refund_never_takes_the_balance_below_zero() {
    let (s, id) = shop();
    let p = buy(&s, id, "3000000", 0, None).unwrap(); // 300 points, then tier Bạc
    s.adjust_points(id, -300, "đổi quà tặng", None).unwrap();
    let r = s.refund(p.purchase.id, None, None).unwrap();
    assert_eq!(
        (r.points_reversed, r.shortfall, r.loyalty.balance),
        (0, 300, 0)
    );
    // The refund counted against tier spend: she is back to the first tier.
    assert_eq!(r.loyalty.tier.as_deref(), Some("Thành viên"));
}

#[test]
fn the_same_bill_id_records_once() {
    let (s, id) = shop();
    let input = PurchaseInput {
        customer_id: id,
        amount: "150000".into(),
        client_id: Some("bill-7f3a".into()),
        ..Default::default()
    };
    let a = s.add_purchase(input.clone()).unwrap();
    let b = s.add_purchase(input.clone()).unwrap();
    assert_eq!(a.purchase.id, b.purchase.id);
    assert_eq!((b.points_earned, b.loyalty.balance), (15, 15));
    assert_eq!(s.customer_stats(id).unwrap().visits, 1);
    let other = PurchaseInput {
        amount: "99000".into(),
        ..input
    };
    assert_eq!(
        s.add_purchase(other).unwrap_err().code(),
        "purchase.client_id_conflict"
    );
}

#[test]
fn expiry_is_first_in_first_out_and_idempotent() {
    let (s, id) = shop();
    buy(&s, id, "1000000", 0, Some("2024-01-10")).unwrap(); // 100 points, expire 2025-01-10
    buy(&s, id, "500000", 0, Some("2024-06-01")).unwrap(); // 50 points, expire 2025-06-01
                                                           // Redeeming 120 uses January's 100 and 20 of June's; the 180.000 ₫ paid earns 18.
    let r = buy(&s, id, "300000", 120, Some("2024-07-01")).unwrap();
    assert_eq!(r.points_earned, 18);
    assert_eq!(
        s.expire_points(Some("2025-01-09")).unwrap().expired_points,
        0
    );
    assert_eq!(
        s.expire_points(Some("2025-01-10")).unwrap().expired_points,
        0,
        "January's lot was spent"
    );
    let r = s.expire_points(Some("2025-06-01")).unwrap();
    assert_eq!((r.expired_points, r.expired_customers), (30, 1));
    assert_eq!(
        s.expire_points(Some("2025-06-01")).unwrap().expired_points,
        0,
        "idempotent"
    );
    assert_eq!(
        s.expire_points(Some("2025-07-01")).unwrap().expired_points,
        18
    );
    assert_eq!(s.expire_points(None).unwrap().expired_points, 0);
    assert_eq!(s.customer_loyalty(id).unwrap().balance, 0);
}

#[test]
fn expired_points_cannot_be_redeemed_even_before_expiry_runs() {
    let (s, id) = shop();
    buy(&s, id, "1000000", 0, Some("2024-01-10")).unwrap();
    let q = s
        .quote(&PurchaseInput {
            customer_id: id,
            amount: "500000".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(q.balance, 0);
    assert_eq!(
        buy(&s, id, "500000", 50, None).unwrap_err().code(),
        "loyalty.redeem_over_balance"
    );
}

#[test]
fn birthday_bonus_once_a_year_in_the_birthday_month() {
    let (s, id) = shop();
    buy(&s, id, "100000", 0, None).unwrap();
    assert_eq!(
        s.loyalty_maintenance(Some("2026-02-28"))
            .unwrap()
            .birthday_bonuses,
        0
    );
    assert_eq!(
        s.loyalty_maintenance(Some("2026-03-02"))
            .unwrap()
            .birthday_bonuses,
        1
    );
    assert_eq!(
        s.loyalty_maintenance(Some("2026-03-20"))
            .unwrap()
            .birthday_bonuses,
        0
    );
    assert_eq!(
        s.loyalty_maintenance(Some("2027-03-01"))
            .unwrap()
            .birthday_bonuses,
        1
    );
    let bonus: i64 = s
        .points(id, 100)
        .unwrap()
        .ledger
        .iter()
        .filter(|e| e.kind == "bonus")
        .map(|e| e.points)
        .sum();
    assert_eq!(bonus, 100);
}

#[test]
fn tiers_fall_when_spend_leaves_the_window() {
    let (s, id) = shop();
    buy(&s, id, "3500000", 0, None).unwrap();
    assert_eq!(s.customer_loyalty(id).unwrap().tier.as_deref(), Some("Bạc"));
    let next_year = (chrono::Utc::now() + chrono::Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();
    let r = s.loyalty_maintenance(Some(&next_year)).unwrap();
    assert_eq!(r.tier_moves, 1);
    let h = s.points(id, 10).unwrap().tier_history;
    assert_eq!(
        (h[0].from.as_deref(), h[0].to.as_deref()),
        (Some("Bạc"), Some("Thành viên"))
    );
}

#[test]
fn rules_and_tiers_are_validated() {
    let (s, _) = shop();
    for (k, v) in [
        ("earn_per", "0"),
        ("earn_per", "10.5"),
        ("max_redeem_percent", "101"),
        ("expiry_months", "-1"),
        ("min_redeem", "x"),
    ] {
        let e = s.set_loyalty_rules(&[(k.into(), v.into())]).unwrap_err();
        assert_eq!(e.code(), "loyalty.invalid_rule", "{k}={v}");
        assert_eq!(e.params()["field"], k);
    }
    assert_eq!(
        s.set_loyalty_rules(&[("colour".into(), "1".into())])
            .unwrap_err()
            .code(),
        "settings.unknown_key"
    );
    let t = |n: &str, th: &str, m: &str| TierInput {
        name: n.into(),
        threshold: th.into(),
        multiplier: m.into(),
    };
    assert_eq!(s.set_tiers(&[]).unwrap_err().code(), "loyalty.tiers_empty");
    assert_eq!(
        s.set_tiers(&[t("A", "100", "1")]).unwrap_err().code(),
        "loyalty.tier_first_not_zero"
    );
    assert_eq!(
        s.set_tiers(&[t("A", "0", "1"), t("a", "5", "1")])
            .unwrap_err()
            .code(),
        "loyalty.tier_duplicate"
    );
    assert_eq!(
        s.set_tiers(&[t("A", "0", "1"), t("B", "0", "1")])
            .unwrap_err()
            .code(),
        "loyalty.tier_threshold_invalid"
    );
    assert_eq!(
        s.set_tiers(&[t("A", "0", "-1")]).unwrap_err().code(),
        "loyalty.tier_multiplier_invalid"
    );
    let cfg = s
        .set_tiers(&[t("Vàng", "10000000", "1.5"), t("Thường", "0", "1")])
        .unwrap();
    assert_eq!(cfg.tiers[0].name, "Thường", "sorted by threshold");
    let cfg = s
        .set_loyalty_rules(&[
            ("earn_per".into(), "20000".into()),
            ("expiry_months".into(), "0".into()),
        ])
        .unwrap();
    assert_eq!(
        (
            cfg.rules.earn_per.to_string().as_str(),
            cfg.rules.expiry_months
        ),
        ("20000", 0)
    );
}

#[test]
fn adjustments_need_a_reason_and_keep_the_balance_non_negative() {
    let (s, id) = shop();
    assert_eq!(
        s.adjust_points(id, 10, "  ", None).unwrap_err().code(),
        "loyalty.adjust_reason_required"
    );
    assert_eq!(
        s.adjust_points(id, 0, "x", None).unwrap_err().code(),
        "loyalty.adjust_zero"
    );
    assert_eq!(
        s.adjust_points(id, -1, "x", None).unwrap_err().code(),
        "loyalty.adjust_below_zero"
    );
    let r = s
        .adjust_points(id, 40, "khách giới thiệu bạn", None)
        .unwrap();
    assert_eq!(
        (
            r.entry.kind.as_str(),
            r.entry.reason.as_deref(),
            r.loyalty.balance
        ),
        ("adjust", Some("khách giới thiệu bạn"), 40)
    );
}

#[derive(Debug, Clone)]
enum Op {
    Buy {
        amount: u32,
        redeem_pct: u8,
        replay: bool,
    },
    Refund {
        which: usize,
        pct: u8,
    },
    Adjust {
        delta: i16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..5_000, 0u8..=100, prop::bool::weighted(0.2)).prop_map(|(a, r, replay)| Op::Buy { amount: a * 1000, redeem_pct: r, replay }),
        1 => (0usize..50, 1u8..=100).prop_map(|(which, pct)| Op::Refund { which, pct }),
        1 => (-200i16..200).prop_map(|delta| Op::Adjust { delta }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ledger_invariants(ops in prop::collection::vec(op(), 1..40)) {
        let (s, id) = shop();
        let mut bills: Vec<(i64, i64)> = Vec::new(); // (purchase id, total)
        let mut shortfall: std::collections::HashMap<i64, i64> = Default::default();
        let mut last: Option<PurchaseInput> = None;
        for (n, op) in ops.iter().enumerate() {
            let before = s.points(id, 10_000).unwrap();
            match op {
                Op::Buy { amount, redeem_pct, replay } => {
                    if let (true, Some(prev)) = (*replay, last.clone()) {
                        let count = before.ledger.len();
                        let r = s.add_purchase(prev).unwrap();
                        prop_assert_eq!(r.purchase.id, bills.last().unwrap().0);
                        prop_assert_eq!(s.points(id, 10_000).unwrap().ledger.len(), count, "a replay records nothing");
                        continue;
                    }
                    let max = s.quote(&PurchaseInput { customer_id: id, amount: amount.to_string(), ..Default::default() }).unwrap().max_points;
                    let redeem = max * i64::from(*redeem_pct) / 100;
                    let input = PurchaseInput { customer_id: id, amount: amount.to_string(), redeem: Some(redeem), client_id: Some(format!("c{n}")), ..Default::default() };
                    match s.add_purchase(input.clone()) {
                        Ok(r) => {
                            bills.push((r.purchase.id, i64::from(*amount)));
                            last = Some(input);
                        }
                        Err(e) => {
                            prop_assert_eq!(e.code(), "loyalty.redeem_below_minimum");
                            prop_assert_eq!(s.points(id, 10_000).unwrap().ledger.len(), before.ledger.len());
                        }
                    }
                }
                Op::Refund { which, pct } => {
                    if bills.is_empty() { continue; }
                    let (pid, total) = bills[which % bills.len()];
                    let amount = (total * i64::from(*pct) / 100 / 1000).max(1) * 1000;
                    match s.refund(pid, Some(&amount.to_string()), None) {
                        Ok(r) => {
                            prop_assert!(r.points_reversed >= 0 && r.points_returned >= 0 && r.shortfall >= 0);
                            *shortfall.entry(pid).or_default() += r.shortfall;
                            // What a refund gives back is at most what the bill took in points.
                            let redeemed: i64 = before.ledger.iter().filter(|e| e.purchase_id == Some(pid) && e.kind == "redeem").map(|e| -e.points).sum();
                            prop_assert!(r.points_returned <= redeemed);
                        }
                        Err(e) => prop_assert!(matches!(e.code(), "purchase.refund_too_large" | "purchase.fully_refunded")),
                    }
                }
                Op::Adjust { delta } => {
                    let _ = s.adjust_points(id, i64::from(*delta), "thử", None);
                }
            }
            let v = s.points(id, 10_000).unwrap();
            let sum: i64 = v.ledger.iter().map(|e| e.points).sum();
            prop_assert_eq!(v.loyalty.balance, sum, "balance is the ledger sum");
            prop_assert!(v.loyalty.balance >= 0, "never negative");
        }
        // Fully refunded bills leave no points behind, but for what could not be taken back
        // without a negative balance (the recorded shortfall).
        let v = s.points(id, 10_000).unwrap();
        for (pid, _) in &bills {
            let p = s.purchase(*pid).unwrap();
            if p.refundable.is_zero() {
                let net: i64 = v.ledger.iter().filter(|e| e.purchase_id == Some(*pid)).map(|e| e.points).sum();
                let short = shortfall.get(pid).copied().unwrap_or(0);
                prop_assert!(net <= short, "purchase {} kept {} points, shortfall {}", pid, net, short);
            }
        }
        // Tier spend = purchases minus refunds over the window (all of these are recent).
        let spent: rust_decimal::Decimal = bills.iter().map(|(pid, _)| {
            let p = s.purchase(*pid).unwrap();
            let minor = |d: rust_decimal::Decimal| money::to_minor(d, 0).unwrap();
            p.total - rust_decimal::Decimal::from(money::refund_share(minor(p.total), minor(p.paid), minor(p.refunded)))
        }).sum();
        prop_assert_eq!(v.loyalty.spend_12m, spent);
    }
}

// Issue 14: refunds pay back money only up to what was paid; limits on amounts, points
// and dates.

/// A customer with 100 points and a 300.000 ₫ bill paid with 200.000 ₫ and those 100 points.
fn bill_paid_with_points() -> (Store, i64, i64) {
    let (s, id) = shop();
    s.adjust_points(id, 100, "khách quen", None).unwrap();
    let p = buy(&s, id, "300000", 100, None).unwrap();
    assert_eq!(
        (
            p.discount.to_string().as_str(),
            p.points_redeemed,
            p.points_earned
        ),
        ("100000", 100, 20),
        "100 points at 1.000 ₫; the 200.000 ₫ paid earns 20"
    );
    assert_eq!(p.purchase.paid.to_string(), "200000");
    assert_eq!(p.purchase.refundable.to_string(), "200000");
    assert_eq!(p.purchase.points_back, 100);
    (s, id, p.purchase.id)
}

#[test]
fn a_full_refund_pays_back_the_money_paid_and_the_points_redeemed() {
    let (s, id, pid) = bill_paid_with_points();
    assert_eq!(
        s.refund(pid, Some("200001"), None).unwrap_err().code(),
        "purchase.refund_too_large"
    );
    let r = s.refund(pid, None, None).unwrap();
    assert_eq!(r.refund.amount.to_string(), "200000", "not 300.000 ₫");
    assert_eq!(
        (r.points_returned, r.points_reversed, r.shortfall),
        (100, 20, 0)
    );
    assert_eq!(r.loyalty.balance, 100, "back to the 100 points she had");
    let p = s.purchase(pid).unwrap();
    assert_eq!(
        (
            p.refunded.to_string(),
            p.refundable.to_string(),
            p.points_back
        ),
        ("200000".to_owned(), "0".to_owned(), 0)
    );
    // The whole bill is undone: nothing left in her spend or total.
    assert_eq!(r.loyalty.spend_12m.to_string(), "0");
    assert_eq!(s.customer_stats(id).unwrap().total_spent.to_string(), "0");
    assert_eq!(
        s.refund(pid, None, None).unwrap_err().code(),
        "purchase.fully_refunded"
    );
    assert!(s.check().unwrap().ok);
}

#[test]
fn partial_refunds_are_proportional_and_never_exceed_the_totals() {
    let (s, id, pid) = bill_paid_with_points();
    // Four refunds of 50.000 ₫: each a quarter of the money, a quarter of the points.
    for n in 1..=4 {
        let r = s.refund(pid, Some("50000"), None).unwrap();
        assert_eq!(
            (
                r.refund.amount.to_string().as_str(),
                r.points_returned,
                r.points_reversed
            ),
            ("50000", 25, 5),
            "refund {n}"
        );
        let p = s.purchase(pid).unwrap();
        assert_eq!(p.refunded.to_string(), (50_000 * n).to_string());
        assert_eq!(p.points_back, 100 - 25 * n);
    }
    assert_eq!(
        s.refund(pid, Some("1"), None).unwrap_err().code(),
        "purchase.fully_refunded"
    );
    assert_eq!(s.points(id, 100).unwrap().loyalty.balance, 100);

    // Amounts that do not divide evenly: 70.001 + 70.001 + the rest. Each step rounds the
    // cumulative share, so the totals come out exact: 200.000 ₫ and 100 points, no more.
    let (s, _, pid) = bill_paid_with_points();
    let a = s.refund(pid, Some("70001"), None).unwrap();
    let b = s.refund(pid, Some("70001"), None).unwrap();
    assert_eq!(
        s.refund(pid, Some("59999"), None).unwrap_err().code(),
        "purchase.refund_too_large",
        "59.998 ₫ is left"
    );
    let c = s.refund(pid, None, None).unwrap();
    assert_eq!(c.refund.amount.to_string(), "59998");
    // 35.0005 points each, rounded on the running total: 35, 35, then the 30 left.
    assert_eq!(
        (a.points_returned, b.points_returned, c.points_returned),
        (35, 35, 30)
    );
    assert_eq!(
        a.points_reversed + b.points_reversed + c.points_reversed,
        20
    );
}

#[test]
fn a_bill_paid_wholly_with_points_gives_its_points_back() {
    let (s, id) = shop();
    s.set_loyalty_rules(&[("max_redeem_percent".into(), "100".into())])
        .unwrap();
    s.adjust_points(id, 50, "quà", None).unwrap();
    let p = buy(&s, id, "50000", 50, None).unwrap();
    assert_eq!(p.purchase.refundable.to_string(), "0");
    let pid = p.purchase.id;
    assert_eq!(
        s.refund(pid, Some("1000"), None).unwrap_err().code(),
        "purchase.refund_too_large"
    );
    let r = s.refund(pid, None, None).unwrap();
    assert_eq!(
        (r.refund.amount.to_string().as_str(), r.points_returned),
        ("0", 50)
    );
    assert_eq!(r.loyalty.balance, 50);
}

#[test]
fn amounts_and_points_past_the_limits_are_refused() {
    let (s, id) = shop();
    let before = s.profile(id, 100).unwrap();
    for amount in [
        "9223372036854775807",
        "10000000001",
        "99999999999999999999999",
    ] {
        let e = buy(&s, id, amount, 0, None).unwrap_err();
        assert_eq!(e.code(), "limits.amount_over", "{amount}");
        assert_eq!(e.params()["max"], "10000000000");
    }
    for delta in [i64::MAX, i64::MIN, 10_000_001, -10_000_001] {
        let e = s.adjust_points(id, delta, "thử", None).unwrap_err();
        assert_eq!(
            (e.code(), &e.params()["max"]),
            ("limits.points_over", &serde_json::json!(10_000_000))
        );
    }
    assert_eq!(
        serde_json::to_value(s.profile(id, 100).unwrap()).unwrap(),
        serde_json::to_value(before).unwrap(),
        "nothing changed"
    );
    // The limits themselves are allowed.
    assert_eq!(
        buy(&s, id, "10000000000", 0, None).unwrap().points_earned,
        1_000_000
    );
    s.adjust_points(id, 10_000_000, "thử", None).unwrap();
    // A unit price past the limit is refused even when the line is small.
    let e = s
        .add_purchase(PurchaseInput {
            customer_id: id,
            amount: "10".into(),
            items: vec![khachquen_core::model::ItemInput {
                product: "vít".into(),
                quantity: "0.001".into(),
                unit_price: "10000000001".into(),
                warranty_months: None,
            }],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), "limits.amount_over");
}

#[test]
fn a_customers_bills_add_up_to_at_most_the_limit() {
    let (s, id) = shop();
    for _ in 0..999 {
        buy(&s, id, "10000000000", 0, None).unwrap();
    }
    buy(&s, id, "9999999999", 0, None).unwrap();
    let e = buy(&s, id, "2", 0, None).unwrap_err();
    assert_eq!(e.code(), "limits.customer_total_over");
    assert_eq!(e.params()["max"], "10000000000000");
    buy(&s, id, "1", 0, None).unwrap();
    let stats = s.customer_stats(id).unwrap();
    assert_eq!(stats.total_spent.to_string(), "10000000000000");
    assert!(s.check().unwrap().ok);
}

#[test]
fn purchase_dates_stay_between_2000_and_tomorrow_unless_the_owner_says_otherwise() {
    let (s, id) = shop();
    for at in ["0000-06-01", "1999-12-31T23:59", "2062-03-01"] {
        let e = buy(&s, id, "100000", 0, Some(at)).unwrap_err();
        assert_eq!(e.code(), "limits.date_out_of_range", "{at}");
        assert_eq!(e.params()["field"], "at");
    }
    let e = buy(&s, id, "100000", 0, Some("2062-03-01")).unwrap_err();
    assert_eq!(
        (e.params()["value"].as_str(), e.params()["from"].as_str()),
        (Some("2062-03-01"), Some("2000-01-01"))
    );
    buy(&s, id, "100000", 0, Some("2000-01-01")).unwrap();
    assert_eq!(
        s.set_setting("purchase_dates", "sometimes")
            .unwrap_err()
            .code(),
        "settings.value_invalid"
    );
    s.set_setting("purchase_dates", "any").unwrap();
    assert_eq!(s.setting("purchase_dates").unwrap(), "any");
    buy(&s, id, "100000", 0, Some("1995-05-05")).unwrap();
    assert_eq!(
        buy(&s, id, "100000", 0, Some("0000-06-01"))
            .unwrap_err()
            .code(),
        "limits.date_out_of_range",
        "year 0 never"
    );
    // A bill mistyped as 2062 does not freeze her tier: the next real bill still moves it.
    let r = buy(&s, id, "5000000", 0, Some("2062-03-01")).unwrap();
    assert_eq!(r.loyalty.tier.as_deref(), Some("Thành viên"));
    let r = buy(&s, id, "3000000", 0, None).unwrap();
    assert_eq!(r.loyalty.tier.as_deref(), Some("Bạc"));
    assert_eq!(s.customer_loyalty(id).unwrap().tier.as_deref(), Some("Bạc"));
    let r = buy(&s, id, "7000000", 0, None).unwrap();
    assert_eq!(
        s.customer_loyalty(id).unwrap().tier.as_deref(),
        Some("Vàng")
    );
    assert!(r.tier_changed);
    s.set_setting("purchase_dates", "recent").unwrap();
    assert_eq!(
        s.loyalty_maintenance(Some("0000-01-01"))
            .unwrap_err()
            .code(),
        "limits.date_out_of_range",
        "maintenance dates are stored as ledger times too"
    );
    assert_eq!(
        buy(&s, id, "100000", 0, Some("1995-05-05"))
            .unwrap_err()
            .code(),
        "limits.date_out_of_range"
    );
}

#[derive(Debug, Clone)]
enum Wild {
    Buy { amount: i64, redeem: i64 },
    Refund { which: usize, amount: Option<i64> },
    Adjust { delta: i64 },
}

fn wild() -> impl Strategy<Value = Wild> {
    let amount = prop_oneof![
        1i64..2_000_000,
        9_000_000_000i64..11_000_000_000,
        Just(i64::MAX),
        any::<i64>(),
    ];
    let points = prop_oneof![
        -500i64..500,
        Just(i64::MAX),
        Just(i64::MIN),
        any::<i64>(),
        9_999_000i64..10_001_000
    ];
    prop_oneof![
        4 => (amount.clone(), points.clone()).prop_map(|(amount, redeem)| Wild::Buy { amount, redeem }),
        2 => (0usize..20, prop::option::of(amount)).prop_map(|(which, amount)| Wild::Refund { which, amount }),
        2 => points.prop_map(|delta| Wild::Adjust { delta }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Within and beyond the limits: no panic, no overflow, balance = ledger sum >= 0, each
    /// refund pays back at most what is left of the money paid, and `db check` stays ok.
    #[test]
    fn wild_numbers_never_break_the_ledger(ops in prop::collection::vec(wild(), 1..30)) {
        let (s, id) = shop();
        let mut bills: Vec<i64> = Vec::new();
        for op in &ops {
            match op {
                Wild::Buy { amount, redeem } => {
                    match buy(&s, id, &amount.to_string(), *redeem, None) {
                        Ok(r) => {
                            prop_assert!(*amount <= 10_000_000_000);
                            prop_assert!(r.points_earned <= 10_000_000);
                            bills.push(r.purchase.id);
                        }
                        Err(e) => prop_assert!(
                            e.code().starts_with("loyalty.redeem") || matches!(e.code(),
                                "limits.amount_over" | "limits.customer_total_over" | "purchase.amount_negative"),
                            "{}", e.code()
                        ),
                    }
                }
                Wild::Refund { which, amount } => {
                    if bills.is_empty() { continue; }
                    let pid = bills[which % bills.len()];
                    let before = s.purchase(pid).unwrap();
                    let amount = amount.map(|a| a.to_string());
                    match s.refund(pid, amount.as_deref(), None) {
                        Ok(r) => {
                            prop_assert!(r.refund.amount <= before.refundable);
                            prop_assert!(r.points_returned <= before.points_back);
                            let after = s.purchase(pid).unwrap();
                            prop_assert!(after.refunded <= after.paid);
                            prop_assert_eq!(after.refunded - before.refunded, r.refund.amount);
                        }
                        Err(e) => prop_assert!(matches!(e.code(),
                            "purchase.refund_too_large" | "purchase.fully_refunded" | "purchase.amount_invalid"
                            | "purchase.amount_negative" | "limits.amount_over"), "{}", e.code()),
                    }
                }
                Wild::Adjust { delta } => {
                    if let Err(e) = s.adjust_points(id, *delta, "thử", None) {
                        prop_assert!(matches!(e.code(),
                            "limits.points_over" | "loyalty.adjust_below_zero" | "loyalty.adjust_zero"
                            | "limits.balance_over"), "{}", e.code());
                    }
                }
            }
            let v = s.points(id, 100_000).unwrap();
            let sum = v.ledger.iter().try_fold(0i64, |a, e| a.checked_add(e.points));
            prop_assert_eq!(Some(v.loyalty.balance), sum, "balance is the ledger sum");
            prop_assert!(v.loyalty.balance >= 0);
        }
        prop_assert!(s.check().unwrap().ok);
        s.profile(id, 100).unwrap();
    }
}
