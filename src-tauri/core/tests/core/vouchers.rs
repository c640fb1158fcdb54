//! Vouchers: every benefit kind with exact figures, limits, validity, refunds, the fixed
//! order with points, and a property test that no limit is ever passed.

use chrono::{Days, NaiveDate};
use khachquen_core::model::{
    CustomerFilter, CustomerInput, ProgramInput, PurchaseInput, PurchaseResult,
};
use khachquen_core::{time, CoreError, Store};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

fn today() -> NaiveDate {
    time::today(time::parse_tz("Asia/Ho_Chi_Minh").unwrap())
}

fn day(offset: i64) -> String {
    let t = today();
    let d = if offset >= 0 {
        t.checked_add_days(Days::new(offset as u64))
    } else {
        t.checked_sub_days(Days::new((-offset) as u64))
    };
    d.unwrap().to_string()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A shop with three customers: Lan, Huệ and Khoa.
fn shop() -> (Store, [i64; 3]) {
    shop_at(Store::open_in_memory().unwrap())
}

fn shop_at(s: Store) -> (Store, [i64; 3]) {
    let add = |name: &str, phone: &str| {
        s.add_customer(CustomerInput {
            name: Some(name.into()),
            phone: Some(phone.into()),
            ..Default::default()
        })
        .unwrap()
        .id
    };
    let ids = [
        add("Nguyễn Thị Lan", "0912000001"),
        add("Trần Thị Huệ", "0912000002"),
        add("Lê Văn Khoa", "0912000003"),
    ];
    (s, ids)
}

fn program(name: &str, kind: &str, value: Option<&str>) -> ProgramInput {
    ProgramInput {
        name: name.into(),
        kind: kind.into(),
        value: value.map(str::to_owned),
        until: Some(day(30)),
        ..Default::default()
    }
}

fn bill(customer_id: i64, amount: &str, voucher: Option<&str>, redeem: i64) -> PurchaseInput {
    PurchaseInput {
        customer_id,
        amount: amount.into(),
        voucher: voucher.map(str::to_owned),
        redeem: (redeem != 0).then_some(redeem),
        ..Default::default()
    }
}

fn buy(s: &Store, c: i64, amount: &str, voucher: Option<&str>, redeem: i64) -> PurchaseResult {
    s.add_purchase(bill(c, amount, voucher, redeem)).unwrap()
}

fn refused(s: &Store, c: i64, amount: &str, voucher: &str) -> String {
    s.add_purchase(bill(c, amount, Some(voucher), 0))
        .unwrap_err()
        .code()
        .to_owned()
}

/// The personal code of a customer for a programme.
fn code_of(s: &Store, customer: i64, program: i64) -> String {
    s.vouchers_of(customer)
        .unwrap()
        .into_iter()
        .find(|v| v.program_id == program)
        .unwrap()
        .code
}

fn everyone() -> CustomerFilter {
    CustomerFilter::default()
}

/// An amount off with a minimum bill, then points on what remains under their 50% cap.
#[test]
fn amount_off_comes_first_then_points_under_their_cap() {
    let (s, [lan, hue, _]) = shop();
    // 2.000.000 ₫ earns Lan 200 points (one per 10.000 ₫).
    assert_eq!(buy(&s, lan, "2000000", None, 0).points_earned, 200);
    let p = s
        .add_program(&ProgramInput {
            min_bill: Some("200000".into()),
            ..program("Giảm 50k", "amount", Some("50000"))
        })
        .unwrap();
    let issued = s.issue_vouchers(&p.id.to_string(), &everyone()).unwrap();
    assert_eq!((issued.issued, issued.skipped), (3, 0));
    // Issuing again to the same list changes nothing.
    let again = s.issue_vouchers("Giảm 50k", &everyone()).unwrap();
    assert_eq!((again.issued, again.skipped), (0, 3));
    let code = code_of(&s, lan, p.id);
    assert_eq!(code.len(), 9);

    // 300.000 − 50.000 = 250.000; points may pay 50% of that: 125 points at most.
    let over = s
        .add_purchase(bill(lan, "300000", Some(&code), 130))
        .unwrap_err();
    assert!(
        matches!(
            over,
            CoreError::RedeemOverCap {
                max: 125,
                percent: 50
            }
        ),
        "{over:?}"
    );
    let quote = s.quote(&bill(lan, "300000", Some(&code), 100)).unwrap();
    assert_eq!(quote.voucher.as_ref().unwrap().discount, dec("50000"));
    assert_eq!((quote.discount, quote.pay), (dec("100000"), dec("150000")));
    assert_eq!(quote.max_points, 125);
    // Typed in lower case with a dash and spaces, as a cashier might.
    let typed = format!(" {}-{} ", &code[..4].to_lowercase(), &code[4..]);
    let r = buy(&s, lan, "300000", Some(&typed), 100);
    let v = r.voucher.as_ref().unwrap();
    assert_eq!((v.code.as_str(), v.discount), (code.as_str(), dec("50000")));
    assert_eq!(r.discount, dec("100000"));
    assert_eq!(r.points_redeemed, 100);
    // Points are earned on what was paid in money: 150.000 ₫ → 15.
    assert_eq!(r.points_earned, 15);
    assert_eq!(r.purchase.discount, dec("150000"));
    assert_eq!(r.purchase.paid, dec("150000"));
    assert_eq!(r.purchase.voucher.as_deref(), Some(code.as_str()));
    assert_eq!(r.purchase.voucher_discount, dec("50000"));
    assert_eq!(r.loyalty.balance, 200 - 100 + 15);

    assert_eq!(refused(&s, lan, "300000", &code), "voucher.used");
    assert_eq!(refused(&s, hue, "300000", &code), "voucher.not_yours");
    let hue_code = code_of(&s, hue, p.id);
    assert_eq!(
        refused(&s, hue, "199999", &hue_code),
        "voucher.below_minimum"
    );
    // A voucher larger than the bill takes the bill to zero, never below.
    assert_eq!(
        buy(&s, hue, "200000", Some(&hue_code), 0).purchase.paid,
        dec("150000")
    );
    let lan_list = s.vouchers_of(lan).unwrap();
    assert_eq!(lan_list[0].status, "used");
    assert_eq!(lan_list[0].uses, 1);
}

/// A percent off with a cap, on one shared code with per-customer and total limits.
#[test]
fn a_shared_percent_code_keeps_its_cap_and_limits() {
    let (s, [lan, hue, khoa]) = shop();
    let p = s
        .add_program(&ProgramInput {
            cap: Some("20000".into()),
            per_customer: Some(2),
            quantity: Some(3),
            shared_code: Some("sale10".into()),
            ..program("Giảm 10%", "percent", Some("10"))
        })
        .unwrap();
    assert_eq!(p.shared_code.as_deref(), Some("SALE10"));
    let d = |r: PurchaseResult| r.voucher.unwrap().discount;
    assert_eq!(d(buy(&s, lan, "150000", Some("SALE10"), 0)), dec("15000"));
    assert_eq!(d(buy(&s, lan, "500000", Some("sale10"), 0)), dec("20000"));
    assert_eq!(
        refused(&s, lan, "100000", "SALE10"),
        "voucher.customer_limit"
    );
    assert_eq!(d(buy(&s, hue, "99999", Some("SALE10"), 0)), dec("9999"));
    assert_eq!(refused(&s, khoa, "100000", "SALE10"), "voucher.sold_out");
    // A shared programme issues no personal codes.
    let e = s.issue_vouchers("Giảm 10%", &everyone()).unwrap_err();
    assert_eq!(e.code(), "voucher.program_shared");
    let r = s.program_results("Giảm 10%").unwrap();
    assert_eq!((r.issued, r.redeemed, r.customers), (1, 3, 2));
    assert_eq!(r.discount, dec("44999"));
    assert_eq!(r.revenue, dec("749999"));
    assert_eq!(r.redemption_rate, None);
    // The owner's own code cannot be taken twice, nor be a code of another shape.
    let taken = s
        .add_program(&ProgramInput {
            shared_code: Some("SALE-10".into()),
            ..program("Lặp", "percent", Some("5"))
        })
        .unwrap_err();
    assert_eq!(taken.code(), "voucher.code_taken");
    for bad in ["Á1234", "AB", "SALE10SALE10SALE10SALE10"] {
        let e = s
            .add_program(&ProgramInput {
                shared_code: Some(bad.into()),
                ..program("Sai", "percent", Some("5"))
            })
            .unwrap_err();
        assert_eq!(e.code(), "voucher.program_invalid", "{bad}");
    }
}

/// A gift costs nothing off the bill, counts its cost against the budget and the results.
#[test]
fn a_gift_spends_its_cost_from_the_budget() {
    let (s, [lan, hue, khoa]) = shop();
    s.add_program(&ProgramInput {
        gift: Some("Móc khóa".into()),
        gift_cost: Some("20000".into()),
        budget: Some("40000".into()),
        shared_code: Some("QUA".into()),
        ..program("Quà tri ân", "gift", None)
    })
    .unwrap_err();
    // A shared code needs 4 characters at least.
    let p = s
        .add_program(&ProgramInput {
            gift: Some("Móc khóa".into()),
            gift_cost: Some("20000".into()),
            budget: Some("40000".into()),
            shared_code: Some("QUATANG".into()),
            ..program("Quà tri ân", "gift", None)
        })
        .unwrap();
    let r = buy(&s, lan, "100000", Some("QUATANG"), 0);
    let v = r.voucher.unwrap();
    assert_eq!(
        (v.discount, v.benefit.gift.as_deref()),
        (dec("0"), Some("Móc khóa"))
    );
    assert_eq!(r.purchase.paid, dec("100000"));
    assert_eq!(r.points_earned, 10);
    buy(&s, hue, "50000", Some("QUATANG"), 0);
    assert_eq!(
        refused(&s, khoa, "50000", "QUATANG"),
        "voucher.budget_spent"
    );
    let res = s.program_results(&p.id.to_string()).unwrap();
    assert_eq!(
        (res.redeemed, res.gift_cost, res.budget_left),
        (2, dec("40000"), Some(dec("0")))
    );
}

/// Bonus points: a multiplier of what the bill earns (tier included), or a fixed number.
#[test]
fn bonus_points_multiply_or_add() {
    let (s, [lan, hue, _]) = shop();
    let x2 = s
        .add_program(&program("Nhân đôi điểm", "multiplier", Some("2")))
        .unwrap();
    let plus = s
        .add_program(&program("Tặng 500 điểm", "points", Some("500")))
        .unwrap();
    s.issue_vouchers(&x2.id.to_string(), &everyone()).unwrap();
    s.issue_vouchers(&plus.id.to_string(), &everyone()).unwrap();
    let r = buy(&s, lan, "300000", Some(&code_of(&s, lan, x2.id)), 0);
    assert_eq!((r.points_earned, r.voucher.unwrap().bonus_points), (60, 30));
    let r = buy(&s, hue, "100000", Some(&code_of(&s, hue, plus.id)), 0);
    assert_eq!(
        (r.points_earned, r.voucher.unwrap().bonus_points),
        (510, 500)
    );
    assert_eq!(r.purchase.paid, dec("100000"));
    let res = s.program_results("Tặng 500 điểm").unwrap();
    assert_eq!((res.bonus_points, res.redeemed, res.issued), (500, 1, 3));
    assert!((res.redemption_rate.unwrap() - 1.0 / 3.0).abs() < 1e-9);
}

/// Validity at the bill's time, an ended programme, and mistyped or unknown codes.
#[test]
fn validity_end_and_typing_mistakes_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    let s = Store::open(&path).unwrap();
    let lan = s
        .add_customer(CustomerInput {
            name: Some("Lan".into()),
            phone: Some("0912000001".into()),
            ..Default::default()
        })
        .unwrap()
        .id;
    let p = s
        .add_program(&ProgramInput {
            from: Some(day(-10)),
            ..program("Tháng này", "amount", Some("10000"))
        })
        .unwrap();
    s.issue_vouchers("Tháng này", &everyone()).unwrap();
    let code = code_of(&s, lan, p.id);
    // A bill dated before the first valid day.
    let early = s
        .add_purchase(PurchaseInput {
            at: Some(day(-11)),
            ..bill(lan, "100000", Some(&code), 0)
        })
        .unwrap_err();
    assert_eq!(early.code(), "voucher.not_yet");
    // One character wrong is caught by the check character; a foreign code is unknown.
    let wrong = {
        let mut b = code.clone().into_bytes();
        b[3] = if b[3] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    assert_eq!(refused(&s, lan, "100000", &wrong), "voucher.mistyped");
    assert_eq!(refused(&s, lan, "100000", "NOPE"), "voucher.not_found");
    assert_eq!(
        refused(&s, lan, "100000", &"X".repeat(500)),
        "voucher.not_found"
    );
    // Expired: the window closed a second ago.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE vouchers SET valid_until = strftime('%s','now') - 1",
            [],
        )
        .unwrap();
    }
    assert_eq!(refused(&s, lan, "100000", &code), "voucher.expired");
    assert_eq!(s.vouchers_of(lan).unwrap()[0].status, "expired");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("UPDATE vouchers SET valid_until = valid_until + 86400", [])
            .unwrap();
    }
    let ended = s.end_program("Tháng này").unwrap();
    assert_eq!(ended.status, "ended");
    assert_eq!(refused(&s, lan, "100000", &code), "voucher.ended");
    assert_eq!(
        s.issue_vouchers("Tháng này", &everyone())
            .unwrap_err()
            .code(),
        "voucher.program_closed"
    );
    // Nothing was recorded by the refused bills.
    assert!(s.purchases_of(lan, 10).unwrap().is_empty());
}

/// A full refund gives the voucher back (usable again); a partial one keeps it used; the
/// bill's retry id never redeems it twice.
#[test]
fn refunds_and_retries() {
    let (s, [lan, hue, _]) = shop();
    let p = s
        .add_program(&program("Giảm 30k", "amount", Some("30000")))
        .unwrap();
    s.issue_vouchers("Giảm 30k", &everyone()).unwrap();
    let code = code_of(&s, lan, p.id);
    let input = PurchaseInput {
        client_id: Some("bill-1".into()),
        ..bill(lan, "100000", Some(&code), 0)
    };
    let first = s.add_purchase(input.clone()).unwrap();
    let replay = s.add_purchase(input).unwrap();
    assert_eq!(first.purchase.id, replay.purchase.id);
    assert_eq!(replay.voucher, first.voucher);
    assert_eq!(replay.discount, first.discount);
    assert_eq!(s.program_results("Giảm 30k").unwrap().redeemed, 1);
    // Paid 70.000: a full refund pays back 70.000 and returns the voucher.
    let r = s.refund(first.purchase.id, None, None).unwrap();
    assert_eq!(r.refund.amount, dec("70000"));
    let v = r.voucher.unwrap();
    assert!(v.returned && v.code == code);
    assert_eq!(s.vouchers_of(lan).unwrap()[0].status, "usable");
    assert_eq!(s.program_results("Giảm 30k").unwrap().redeemed, 0);
    // Used again, then refunded in part: it stays used, also once the rest is refunded.
    let again = buy(&s, lan, "100000", Some(&code), 0);
    let part = s.refund(again.purchase.id, Some("20000"), None).unwrap();
    assert!(!part.voucher.unwrap().returned);
    let rest = s.refund(again.purchase.id, None, None).unwrap();
    assert!(rest.voucher.unwrap().returned);
    // Refunded in full after the programme ended: kept used.
    let hue_code = code_of(&s, hue, p.id);
    let b = buy(&s, hue, "100000", Some(&hue_code), 0);
    s.end_program("Giảm 30k").unwrap();
    let r = s.refund(b.purchase.id, None, None).unwrap();
    assert!(!r.voucher.unwrap().returned);
}

/// The next-purchase rule: a bill of at least the amount earns a voucher valid from the
/// next day for N days; a smaller bill earns none.
#[test]
fn a_big_bill_earns_a_voucher_for_the_next_purchase() {
    let (s, [lan, _, _]) = shop();
    let p = s
        .add_program(&ProgramInput {
            next_min: Some("1000000".into()),
            next_days: Some(14),
            ..program("Lần sau giảm 100k", "amount", Some("100000"))
        })
        .unwrap();
    assert_eq!(p.per_customer, None);
    assert!(buy(&s, lan, "999999", None, 0).vouchers_issued.is_empty());
    let r = buy(&s, lan, "1000000", None, 0);
    assert_eq!(r.vouchers_issued.len(), 1);
    let v = &r.vouchers_issued[0];
    assert_eq!(v.from.to_string(), day(1));
    assert_eq!(v.until.to_string(), day(14));
    assert_eq!(v.status, "not_yet");
    // Not usable on the day it was earned.
    assert_eq!(refused(&s, lan, "500000", &v.code), "voucher.not_yet");
    // A retry of the same bill says what it earned, and earns nothing more.
    let input = PurchaseInput {
        client_id: Some("big-1".into()),
        ..bill(lan, "2000000", None, 0)
    };
    let first = s.add_purchase(input.clone()).unwrap();
    let replay = s.add_purchase(input).unwrap();
    assert_eq!(replay.vouchers_issued, first.vouchers_issued);
    assert_eq!(s.vouchers_of(lan).unwrap().len(), 2);
    // Refunded in full, the bill takes back the voucher it earned (still unused).
    s.refund(first.purchase.id, None, None).unwrap();
    let code = &first.vouchers_issued[0].code;
    let after = s.vouchers_of(lan).unwrap();
    let earned = after.iter().find(|x| &x.code == code).unwrap();
    assert_eq!(earned.status, "expired");
    // The other bill's voucher is untouched.
    assert!(after
        .iter()
        .any(|x| x.code == v.code && x.status == "not_yet"));
    // A shared code cannot carry the rule, and the rule needs both halves.
    for bad in [
        ProgramInput {
            next_min: Some("1000000".into()),
            next_days: Some(14),
            shared_code: Some("auto".into()),
            ..program("x", "amount", Some("1000"))
        },
        ProgramInput {
            next_min: Some("1000000".into()),
            ..program("x", "amount", Some("1000"))
        },
    ] {
        assert_eq!(
            s.add_program(&bad).unwrap_err().code(),
            "voucher.program_invalid"
        );
    }
}

/// A programme is checked before it is stored: every refusal names the field.
#[test]
fn a_bad_programme_names_its_field_and_stores_nothing() {
    let (s, _) = shop();
    let cases: Vec<(ProgramInput, &str)> = vec![
        (program("", "amount", Some("1000")), "name"),
        (program("x", "coupon", Some("1000")), "kind"),
        (program("x", "amount", None), "value"),
        (program("x", "amount", Some("-5")), "value"),
        (program("x", "amount", Some("0")), "value"),
        (program("x", "amount", Some("99999999999999")), "value"),
        (program("x", "percent", Some("101")), "value"),
        (program("x", "percent", Some("0")), "value"),
        (program("x", "multiplier", Some("1")), "value"),
        (program("x", "multiplier", Some("11")), "value"),
        (program("x", "points", Some("1000001")), "value"),
        (program("x", "gift", None), "gift"),
        (
            ProgramInput {
                cap: Some("1000".into()),
                ..program("x", "amount", Some("1000"))
            },
            "cap",
        ),
        (
            ProgramInput {
                until: Some(day(-1)),
                ..program("x", "amount", Some("1000"))
            },
            "until",
        ),
        (
            ProgramInput {
                from: Some(day(5)),
                until: Some(day(4)),
                ..program("x", "amount", Some("1000"))
            },
            "until",
        ),
        (
            ProgramInput {
                until: Some("31/12/2026".into()),
                ..program("x", "amount", Some("1000"))
            },
            "until",
        ),
        (
            ProgramInput {
                per_customer: Some(0),
                ..program("x", "amount", Some("1000"))
            },
            "per_customer",
        ),
    ];
    for (input, field) in cases {
        match s.add_program(&input) {
            Err(CoreError::ProgramInvalid { key, .. }) => assert_eq!(key, field, "{input:?}"),
            other => panic!("{input:?}: {other:?}"),
        }
    }
    assert!(s.programs().unwrap().is_empty());
    // A megabyte of name is refused, and said back cut short.
    let huge = "A".repeat(1 << 20);
    match s.add_program(&program(&huge, "amount", Some("1000"))) {
        Err(CoreError::ProgramInvalid { key, value }) => {
            assert_eq!((key.as_str(), value.chars().count()), ("name", 80))
        }
        other => panic!("{other:?}"),
    }
}

/// A cashier applies vouchers but may not create programmes or issue them.
#[test]
fn a_cashier_applies_but_does_not_create() {
    let (s, [lan, _, _]) = shop();
    let p = s
        .add_program(&program("Giảm 5k", "amount", Some("5000")))
        .unwrap();
    s.issue_vouchers("Giảm 5k", &everyone()).unwrap();
    let code = code_of(&s, lan, p.id);
    s.setup_owner("Chủ", "1234").unwrap();
    let cashier = s
        .add_staff(
            khachquen_core::staff::StaffInput {
                name: "Thu ngân".into(),
                role: Some("cashier".into()),
            },
            "5678",
        )
        .unwrap()
        .id;
    s.sign_in(cashier, "5678").unwrap();
    let e = s
        .add_program(&program("y", "amount", Some("5000")))
        .unwrap_err();
    assert_eq!(e.code(), "auth.forbidden");
    assert_eq!(
        s.issue_vouchers("Giảm 5k", &everyone()).unwrap_err().code(),
        "auth.forbidden"
    );
    assert_eq!(
        buy(&s, lan, "50000", Some(&code), 0)
            .voucher
            .unwrap()
            .discount,
        dec("5000")
    );
}

#[derive(Debug, Clone)]
enum Op {
    /// Customer (0-2) buys an amount with the shared code (true) or their own.
    Buy(usize, i64, bool),
    /// Refund the n-th bill so far in full (true) or by a third.
    Refund(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3, 1i64..400, any::<bool>()).prop_map(|(c, a, s)| Op::Buy(c, a * 1000, s)),
        1 => (0usize..20, any::<bool>()).prop_map(|(n, f)| Op::Refund(n, f)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the bills and refunds, no programme is ever redeemed past its quantity,
    /// per-customer limit or budget, and no personal voucher more than once at a time.
    #[test]
    fn no_voucher_is_redeemed_past_its_limits(
        per_customer in 1i64..4,
        quantity in 1i64..6,
        budget in 10i64..200,
        ops in proptest::collection::vec(op(), 1..30),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("khachquen.db");
        let (s, ids) = shop_at(Store::open(&path).unwrap());
        let db = rusqlite::Connection::open(&path).unwrap();
        let shared = s.add_program(&ProgramInput {
            per_customer: Some(per_customer),
            quantity: Some(quantity),
            budget: Some(format!("{}", budget * 1000)),
            shared_code: Some("CHUNG".into()),
            ..program("Chung", "amount", Some("20000"))
        }).unwrap();
        let own = s.add_program(&ProgramInput {
            budget: Some(format!("{}", budget * 1000)),
            ..program("Riêng", "percent", Some("15"))
        }).unwrap();
        s.issue_vouchers("Riêng", &everyone()).unwrap();
        let mut bills: Vec<i64> = Vec::new();
        for o in ops {
            match o {
                Op::Buy(c, amount, use_shared) => {
                    let code = if use_shared { "CHUNG".to_owned() } else { code_of(&s, ids[c], own.id) };
                    match s.add_purchase(bill(ids[c], &amount.to_string(), Some(&code), 0)) {
                        Ok(r) => bills.push(r.purchase.id),
                        Err(e) => prop_assert!(e.code().starts_with("voucher."), "{e:?}"),
                    }
                }
                Op::Refund(n, full) => {
                    if let Some(&b) = bills.get(n) {
                        let left = s.purchase(b).unwrap().refundable;
                        let amount = (!full).then(|| (left / Decimal::from(3)).floor().to_string());
                        let _ = s.refund(b, amount.as_deref().filter(|a| *a != "0"), None);
                    }
                }
            }
            let r = s.program_results("Chung").unwrap();
            prop_assert!(r.redeemed <= quantity);
            prop_assert!(r.discount <= Decimal::from(budget * 1000));
            let r = s.program_results("Riêng").unwrap();
            prop_assert!(r.discount <= Decimal::from(budget * 1000));
            for &c in &ids {
                for v in s.vouchers_of(c).unwrap() {
                    prop_assert!(v.uses <= 1, "{v:?}");
                }
            }
            // Per customer, from the redemptions themselves.
            let most: i64 = db.query_row(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM voucher_redemptions
                 WHERE program_id = ?1 AND returned_at IS NULL GROUP BY customer_id)",
                [shared.id],
                |r| r.get(0),
            ).unwrap();
            prop_assert!(most <= per_customer, "{most} > {per_customer}");
            // The counters a bill checks agree with the redemptions they count.
            let off: i64 = db.query_row(
                "SELECT (SELECT count(*) FROM voucher_programs p WHERE p.uses <> (SELECT count(*)
                           FROM voucher_redemptions r WHERE r.program_id = p.id AND r.returned_at IS NULL)
                         OR p.spent_minor <> (SELECT coalesce(sum(discount_minor + gift_cost_minor), 0)
                           FROM voucher_redemptions r WHERE r.program_id = p.id AND r.returned_at IS NULL))
                      + (SELECT count(*) FROM vouchers v WHERE v.uses <> (SELECT count(*)
                           FROM voucher_redemptions r WHERE r.voucher_id = v.id AND r.returned_at IS NULL))",
                [],
                |r| r.get(0),
            ).unwrap();
            prop_assert_eq!(off, 0);
        }
    }
}
