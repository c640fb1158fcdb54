//! Customer care: reminder rules on a crafted history, Today, the care log, templates,
//! surveys, warranties, tickets and referrals.

use super::item;
use khachquen_core::model::{
    CareLog, CustomerFilter, CustomerInput, InteractionInput, PurchaseInput, ReminderInput,
    SurveyInput, TicketInput,
};
use khachquen_core::{CoreError, Store};

fn add(s: &Store, name: &str, phone: &str, birthday: Option<&str>, gender: Option<&str>) -> i64 {
    s.add_customer(CustomerInput {
        name: Some(name.into()),
        phone: Some(phone.into()),
        birthday: birthday.map(str::to_owned),
        gender: gender.map(str::to_owned),
        ..Default::default()
    })
    .unwrap()
    .id
}

fn buy(s: &Store, id: i64, at: &str, amount: &str) -> i64 {
    s.add_purchase(PurchaseInput {
        customer_id: id,
        amount: amount.into(),
        at: Some(at.into()),
        ..Default::default()
    })
    .unwrap()
    .purchase
    .id
}

struct Shop {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    s: Store,
    ids: std::collections::HashMap<&'static str, i64>,
}

/// A history crafted so that generating each day from 2026-06-09 to 06-15 (the shop last
/// ran on 06-08) creates exactly one reminder per named case, and nothing for the near
/// misses.
fn crafted() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    let s = Store::open(&path).unwrap();
    let mut ids = std::collections::HashMap::new();
    // Thank-you: first purchase 06-12, due 06-13. Below the check-in amount.
    let a = add(&s, "Trần Thị Mai", "0901000001", None, Some("female"));
    buy(&s, a, "2026-06-12T10:00", "200000");
    ids.insert("thank_you", a);
    // Check-in: 600.000 ₫ on 06-05, due 06-12; the 06-10 purchase is due 06-17 (after).
    let b = add(&s, "Lê Văn Hùng", "0901000002", None, Some("male"));
    buy(&s, b, "2026-05-01T09:00", "100000");
    buy(&s, b, "2026-06-05T09:00", "600000");
    buy(&s, b, "2026-06-10T09:00", "900000");
    ids.insert("check_in", b);
    // Birthday 06-17, due 06-14; near misses due 06-17 and 06-08.
    ids.insert(
        "birthday",
        add(&s, "Phạm Thu Hà", "0901000003", Some("1990-06-17"), None),
    );
    add(&s, "Đỗ Minh", "0901000004", Some("--06-20"), None);
    add(&s, "Vũ Lan", "0901000005", Some("1985-06-11"), None);
    // Warranty: 12 months from 2025-06-25 ends 2026-06-25, due 06-11; the 24-month item not.
    let f = add(&s, "Hoàng Nam", "0901000006", None, None);
    s.add_purchase(PurchaseInput {
        customer_id: f,
        amount: "400000".into(),
        at: Some("2025-06-25T15:00".into()),
        items: vec![item("Tai nghe;1;300000;12"), item("Sạc nhanh;1;100000;24")],
        ..Default::default()
    })
    .unwrap();
    ids.insert("warranty", f);
    // Win-back: usual gap 20 days, threshold 40, last visit 05-03: due 06-13.
    let g = add(&s, "Bùi Thị Gấm", "0901000007", None, None);
    for d in ["2026-03-24", "2026-04-13", "2026-05-03"] {
        buy(&s, g, d, "150000");
    }
    ids.insert("win_back", g);
    // Win-back at the 30-day floor: gap 5 days, last visit 05-09: due 06-09.
    let h = add(&s, "Ngô Văn Hải", "0901000008", None, None);
    buy(&s, h, "2026-05-04", "120000");
    buy(&s, h, "2026-05-09", "120000");
    ids.insert("win_back_floor", h);
    // A near miss: last visit 04-25 with a 5-day gap is due 05-26.
    let h2 = add(&s, "Lý Thị Hoa", "0901000009", None, None);
    buy(&s, h2, "2026-04-20", "120000");
    buy(&s, h2, "2026-04-25", "120000");
    // Stale: details last confirmed 2025-06-12, due 2026-06-12.
    let st = add(&s, "Trịnh Quang", "0901000010", None, None);
    ids.insert("stale", st);
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // 2025-06-12 10:00 in Hồ Chí Minh City.
    conn.execute(
        "UPDATE customers SET created_at = 1749697200 WHERE id = ?1",
        [st],
    )
    .unwrap();
    // The reminders of 06-08 and before were made on their day.
    conn.execute(
        "INSERT INTO settings (key, value) VALUES ('care.generated_through', '2026-06-08')",
        [],
    )
    .unwrap();
    drop(conn);
    let s = Store::open(&path).unwrap();
    Shop {
        _dir: dir,
        path,
        s,
        ids,
    }
}

/// The shop open every day from 06-09 to `last`: each day's run makes that day's reminders.
fn open_daily(s: &Store, last: u32) -> khachquen_core::model::GenerateCounts {
    let mut c = khachquen_core::model::GenerateCounts::default();
    for day in 9..=last {
        let r = s
            .generate_reminders(Some(&format!("2026-06-{day:02}")))
            .unwrap();
        assert_eq!(
            r.skipped, 0,
            "nothing is late when the shop opens every day"
        );
        c.thank_you += r.created.thank_you;
        c.check_in += r.created.check_in;
        c.birthday += r.created.birthday;
        c.warranty += r.created.warranty;
        c.win_back += r.created.win_back;
        c.stale += r.created.stale;
    }
    c
}

fn open_kinds(s: &Store) -> Vec<(String, i64, String)> {
    let mut v: Vec<_> = s
        .list_reminders(Some("all"), Some("2026-06-15"), None, 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.reminder.kind, r.customer.id, r.reminder.due_date))
        .collect();
    v.sort();
    v
}

#[test]
fn rules_create_exactly_the_expected_reminders_once() {
    let shop = crafted();
    let (s, ids) = (&shop.s, &shop.ids);
    let c = open_daily(s, 15);
    assert_eq!(
        (
            c.thank_you,
            c.check_in,
            c.birthday,
            c.warranty,
            c.win_back,
            c.stale
        ),
        (1, 1, 1, 1, 2, 1)
    );
    let mut expected = vec![
        (
            "birthday".to_string(),
            ids["birthday"],
            "2026-06-14".to_string(),
        ),
        ("check_in".into(), ids["check_in"], "2026-06-12".into()),
        ("stale".into(), ids["stale"], "2026-06-12".into()),
        ("thank_you".into(), ids["thank_you"], "2026-06-13".into()),
        ("warranty".into(), ids["warranty"], "2026-06-11".into()),
        ("win_back".into(), ids["win_back"], "2026-06-13".into()),
        (
            "win_back".into(),
            ids["win_back_floor"],
            "2026-06-09".into(),
        ),
    ];
    expected.sort();
    assert_eq!(open_kinds(s), expected);

    // The details say why each is there.
    let rows = s
        .list_reminders(Some("all"), Some("2026-06-15"), None, 100)
        .unwrap();
    let of = |kind: &str| {
        rows.iter()
            .find(|r| r.reminder.kind == kind)
            .unwrap()
            .reminder
            .detail
            .clone()
    };
    assert_eq!(of("warranty")["product"], "Tai nghe");
    assert_eq!(of("warranty")["ends"], "2026-06-25");
    assert_eq!(of("check_in")["amount"], "600000");
    assert_eq!(of("birthday")["birthday"], "2026-06-17");
    let wb = rows
        .iter()
        .find(|r| r.customer.id == ids["win_back"])
        .unwrap();
    assert_eq!(wb.reminder.detail["usual_gap_days"], 20);
    assert_eq!(wb.reminder.detail["threshold_days"], 40);
    assert_eq!(wb.reminder.detail["last_visit"], "2026-05-03");

    // Re-running creates nothing, also after some were closed.
    assert_eq!(s.generate_reminders(Some("2026-06-15")).unwrap().total, 0);
    let first = rows[0].reminder.id;
    s.complete_reminder(first, None, None).unwrap();
    s.cancel_reminder(rows[1].reminder.id, None).unwrap();
    let again = s.generate_reminders(Some("2026-06-15")).unwrap();
    assert_eq!(again.total, 0);
    assert_eq!(open_kinds(s).len(), 5);

    // Turning a rule off stops it; a later day creates only what newly fell due.
    s.set_reminder_rules(&[("check_in.enabled".into(), "false".into())])
        .unwrap();
    let next = s.generate_reminders(Some("2026-06-17")).unwrap();
    // 06-17: Đỗ Minh's birthday (06-20) is due; the 06-10 check-in is off.
    assert_eq!(next.created.birthday, 1);
    assert_eq!(next.created.check_in, 0);
    assert_eq!(next.total, 1);
    // A customer who comes back no longer needs winning back.
    buy(s, ids["win_back"], "2026-06-16", "150000");
    s.generate_reminders(Some("2026-06-17")).unwrap();
    assert!(!open_kinds(s)
        .iter()
        .any(|(k, c, _)| k == "win_back" && *c == ids["win_back"]));
    // Archiving a customer closes their reminders.
    assert!(open_kinds(s).iter().any(|(_, c, _)| *c == ids["stale"]));
    s.archive_customer(ids["stale"]).unwrap();
    assert!(!open_kinds(s).iter().any(|(_, c, _)| *c == ids["stale"]));
    let _ = &shop.path;
}

#[test]
fn a_catch_up_after_days_closed_adds_nothing_overdue_and_skips_what_is_past_use() {
    let shop = crafted();
    let (s, ids) = (&shop.s, &shop.ids);
    // Closed from 06-09 to 06-14: the 06-15 run catches the whole week up at once.
    let r = s.generate_reminders(Some("2026-06-15")).unwrap();
    assert_eq!(
        (
            r.created.thank_you,
            r.created.check_in,
            r.created.birthday,
            r.created.warranty,
            r.created.win_back,
            r.created.stale
        ),
        (1, 1, 1, 1, 1, 1)
    );
    // The 30-day win-back fell due on 06-09, six days before: no use any more.
    assert_eq!((r.total, r.skipped), (6, 1));
    assert!(!open_kinds(s)
        .iter()
        .any(|(_, c, _)| *c == ids["win_back_floor"]));
    // Nothing the app has just made is overdue: it is today's work, and says since when.
    let t = s.today(Some("2026-06-15"), 50).unwrap();
    assert_eq!((t.overdue.total, t.today.total), (0, 6));
    let thanks = t
        .today
        .rows
        .iter()
        .find(|r| r.reminder.kind == "thank_you")
        .unwrap();
    assert_eq!(thanks.reminder.due_date, "2026-06-15");
    assert_eq!(thanks.reminder.detail["late_from"], "2026-06-13");
    // Running again skips the same one and makes nothing twice.
    let again = s.generate_reminders(Some("2026-06-15")).unwrap();
    assert_eq!((again.total, again.skipped), (0, 1));
}

#[test]
fn a_longer_closure_skips_birthdays_already_past_and_old_thanks() {
    let shop = crafted();
    let (s, ids) = (&shop.s, &shop.ids);
    // Closed a week more, until 06-22: Hà's birthday (06-17) and Minh's (06-20) have
    // passed, the thank-you is 9 days late, the check-in 10, the win-backs 9 and 13; the
    // warranty (ends 06-25) and the stale details are still worth doing.
    let r = s.generate_reminders(Some("2026-06-22")).unwrap();
    assert_eq!(
        (
            r.created.thank_you,
            r.created.check_in,
            r.created.birthday,
            r.created.warranty,
            r.created.win_back,
            r.created.stale
        ),
        (0, 0, 0, 0, 0, 0),
        "06-22 only looks back 7 days: 06-16..06-22"
    );
    // What fell due in the 7 days looked at: Minh's birthday (due 06-17, birthday 06-20:
    // past) and the 06-10 purchase's check-in (due 06-17, 5 days late): both skipped.
    assert_eq!(r.skipped, 2);
    let t = s.today(Some("2026-06-22"), 50).unwrap();
    assert_eq!(t.overdue.total + t.today.total, 0, "no flood of stale work");
    let _ = ids;
}

#[test]
fn a_big_shop_first_run_puts_nothing_in_overdue() {
    let s = Store::open_in_memory().unwrap();
    s.create_demo(600, 3000, 11, &mut |_, _| {}).unwrap();
    let had: std::collections::HashSet<i64> = s
        .list_reminders(Some("all"), None, None, 100_000)
        .unwrap()
        .iter()
        .map(|r| r.reminder.id)
        .collect();
    // The first run looks back a whole week, as after a week closed.
    let r = s.generate_reminders(None).unwrap();
    assert!(r.total > 0, "{r:?}");
    let made: Vec<_> = s
        .list_reminders(Some("all"), None, None, 100_000)
        .unwrap()
        .into_iter()
        .filter(|x| !had.contains(&x.reminder.id))
        .collect();
    assert_eq!(made.len() as i64, r.total);
    for x in &made {
        assert!(!x.reminder.overdue, "made overdue: {:?}", x.reminder);
        if x.reminder.kind == "birthday" {
            let b = x.reminder.detail["birthday"].as_str().unwrap();
            assert!(b >= r.as_of.as_str(), "a greeting after the day: {b}");
        }
    }
}

#[test]
fn bulk_snooze_and_cancel_are_all_or_nothing() {
    let shop = crafted();
    let s = &shop.s;
    open_daily(s, 15);
    let rows = s
        .list_reminders(Some("all"), Some("2026-06-15"), None, 100)
        .unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r.reminder.id).collect();
    assert_eq!(ids.len(), 7);
    let before = open_kinds(s);
    // An unknown id refuses the whole list: nothing moved.
    let far = "2099-01-01";
    let err = s.snooze_reminders(&[ids[0], 999_999], far).unwrap_err();
    assert_eq!(err.code(), "reminder.not_found");
    assert_eq!(open_kinds(s), before);
    assert_eq!(s.snooze_reminders(&[], far).unwrap(), 0);
    assert_eq!(
        s.snooze_reminders(&vec![ids[0]; 1001], far)
            .unwrap_err()
            .code(),
        "reminder.bulk_too_many"
    );
    assert_eq!(open_kinds(s), before);
    // Duplicates count once.
    assert_eq!(
        s.snooze_reminders(&[ids[0], ids[1], ids[0]], far).unwrap(),
        2
    );
    assert_eq!(s.reminder(ids[1]).unwrap().due_date, far);
    // A closed one in the list refuses it all.
    s.complete_reminder(ids[2], None, None).unwrap();
    let err = s.cancel_reminders(&[ids[3], ids[2]], None).unwrap_err();
    assert_eq!(err.code(), "reminder.closed");
    assert_eq!(s.reminder(ids[3]).unwrap().status, "open");
    assert_eq!(s.cancel_reminders(&ids[3..], None).unwrap(), 4);
    assert!(s
        .list_reminders(Some("all"), Some("2026-06-15"), None, 100)
        .unwrap()
        .iter()
        .all(|r| r.reminder.id == ids[0] || r.reminder.id == ids[1]));
}

#[test]
fn rule_values_are_validated_and_nothing_changes_on_error() {
    let s = Store::open_in_memory().unwrap();
    let before = s.reminder_rules().unwrap();
    assert_eq!(before.thank_you.days, 1);
    assert_eq!(before.check_in.days, 7);
    assert_eq!(before.check_in.min_amount.to_string(), "500000");
    assert_eq!(before.birthday.days, 3);
    assert_eq!(before.warranty.days, 14);
    assert_eq!(before.win_back.factor.to_string(), "2");
    assert_eq!(before.win_back.min_days, 30);
    assert_eq!(before.stale.months, 12);
    let err = s
        .set_reminder_rules(&[
            ("thank_you.days".into(), "2".into()),
            ("win_back.factor".into(), "abc".into()),
        ])
        .unwrap_err();
    assert_eq!(err.code(), "care.rule_invalid");
    assert_eq!(err.params()["field"], "win_back.factor");
    assert_eq!(s.reminder_rules().unwrap(), before);
    assert!(matches!(
        s.set_reminder_rules(&[("colour".into(), "1".into())]),
        Err(CoreError::UnknownSetting(_))
    ));
}

#[test]
fn today_groups_and_ranks_by_what_is_at_stake() {
    let shop = crafted();
    let s = &shop.s;
    open_daily(s, 15);
    let mai = shop.ids["thank_you"];
    let manual = |due: &str, title: &str| {
        s.add_reminder(ReminderInput {
            customer_id: mai,
            due_date: due.into(),
            title: Some(title.into()),
            ..Default::default()
        })
        .unwrap()
    };
    manual("2026-06-15", "Gọi báo hàng về");
    manual("2026-06-20", "Hỏi size áo");
    manual("2026-06-30", "Ngoài 7 ngày");
    let t = s.today(Some("2026-06-15"), 50).unwrap();
    assert_eq!(t.as_of, "2026-06-15");
    assert_eq!((t.overdue.total, t.today.total, t.week.total), (7, 1, 1));
    assert_eq!(
        t.today.rows[0].reminder.title.as_deref(),
        Some("Gọi báo hàng về")
    );
    assert!(t.overdue.rows.iter().all(|r| r.reminder.overdue));
    assert!(!t.today.rows[0].reminder.overdue);
    // Highest total spent first: Lê Văn Hùng has spent 1.600.000 ₫.
    let totals: Vec<_> = t
        .overdue
        .rows
        .iter()
        .map(|r| r.customer.total_spent)
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    assert_eq!(t.overdue.rows[0].customer.name, "Lê Văn Hùng");
    assert!(t.overdue.rows[0].customer.points > 0);
    assert!(t.overdue.rows[0].customer.tier.is_some());
    // A limit cuts rows, not totals.
    let small = s.today(Some("2026-06-15"), 2).unwrap();
    assert_eq!((small.overdue.total, small.overdue.rows.len()), (7, 2));
    // Bad input changes nothing.
    assert_eq!(
        s.today(Some("15/06/2026"), 50).unwrap_err().code(),
        "reminder.date_invalid"
    );
    let bad = s
        .add_reminder(ReminderInput {
            customer_id: mai,
            due_date: "2026-06-31".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.params()["field"], "due_date");
    let bad = s
        .add_reminder(ReminderInput {
            customer_id: mai,
            due_date: "2026-06-30".into(),
            due_time: Some("25:00".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.code(), "reminder.time_invalid");
    assert_eq!(
        s.today(Some("2026-06-15"), 50).unwrap().week.total,
        1,
        "refused reminders were not stored"
    );
}

#[test]
fn completing_a_reminder_logs_the_call_in_the_timeline() {
    let s = Store::open_in_memory().unwrap();
    let id = add(&s, "Nguyễn Thị Hương", "0987654321", None, Some("female"));
    let r = s
        .add_reminder(ReminderInput {
            customer_id: id,
            due_date: "2026-11-20".into(),
            due_time: Some("09:30".into()),
            title: Some("Hỏi thăm sau khi mua máy".into()),
            note: Some("Khách hỏi về pin".into()),
            assignee: Some("Lan".into()),
        })
        .unwrap();
    assert!(r.overdue);
    let done = s
        .complete_reminder(
            r.id,
            Some(CareLog {
                channel: "phone".into(),
                outcome: Some("Khách hài lòng".into()),
                ..Default::default()
            }),
            Some("Lan"),
        )
        .unwrap();
    assert_eq!(done.status, "done");
    let iid = done.interaction_id.unwrap();
    let care = s.customer_care(id).unwrap();
    let logged = care
        .timeline
        .iter()
        .find_map(|e| e.interaction.as_ref())
        .unwrap();
    assert_eq!(logged.id, iid);
    assert_eq!(logged.channel, "phone");
    assert_eq!(logged.direction, "out");
    assert_eq!(logged.summary, "Hỏi thăm sau khi mua máy");
    assert_eq!(logged.outcome.as_deref(), Some("Khách hài lòng"));
    assert_eq!(logged.reminder_id, Some(r.id));
    assert!(care
        .timeline
        .iter()
        .any(|e| e.reminder.as_ref().is_some_and(|x| x.status == "done")));
    assert!(care.open_reminders.is_empty());
    // Closed is closed; a bad channel changes nothing.
    assert_eq!(
        s.complete_reminder(r.id, None, None).unwrap_err().code(),
        "reminder.closed"
    );
    let r2 = s
        .add_reminder(ReminderInput {
            customer_id: id,
            due_date: "2030-01-01".into(),
            ..Default::default()
        })
        .unwrap();
    let err = s
        .complete_reminder(
            r2.id,
            Some(CareLog {
                channel: "pigeon".into(),
                ..Default::default()
            }),
            None,
        )
        .unwrap_err();
    assert_eq!(err.code(), "care.channel_invalid");
    assert_eq!(s.reminder(r2.id).unwrap().status, "open");
    // Snoozing keeps the first due date and refuses the past.
    assert_eq!(
        s.snooze_reminder(r2.id, "2020-01-01").unwrap_err().code(),
        "reminder.snooze_past"
    );
    let z = s.snooze_reminder(r2.id, "2030-02-01").unwrap();
    assert_eq!(
        (z.due_date.as_str(), z.snoozed_from.as_deref()),
        ("2030-02-01", Some("2030-01-01"))
    );
    let z = s.snooze_reminder(r2.id, "2030-03-01").unwrap();
    assert_eq!(z.snoozed_from.as_deref(), Some("2030-01-01"));
    assert_eq!(s.reminder(999).unwrap_err().code(), "reminder.not_found");
}

#[test]
fn interactions_surveys_tickets_and_referrals() {
    let s = Store::open_in_memory().unwrap();
    let a = add(&s, "Nguyễn Văn An", "0911000001", None, Some("male"));
    let b = s
        .add_customer(CustomerInput {
            name: Some("Trần Bình".into()),
            phone: Some("0911000002".into()),
            referred_by: Some("0911000001".into()),
            ..Default::default()
        })
        .unwrap()
        .id;
    let c = s
        .add_customer(CustomerInput {
            name: Some("Lê Chi".into()),
            phone: Some("0911000003".into()),
            referred_by: Some(a.to_string()),
            ..Default::default()
        })
        .unwrap()
        .id;
    let i = s
        .add_interaction(InteractionInput {
            customer_id: a,
            channel: "Zalo".into(),
            direction: Some("in".into()),
            summary: "Hỏi giá ốp lưng".into(),
            outcome: Some("Đã báo giá".into()),
            at: Some("2026-11-01T10:00".into()),
            staff: Some("Lan".into()),
        })
        .unwrap();
    assert_eq!((i.channel.as_str(), i.direction.as_str()), ("zalo", "in"));
    assert_eq!(i.at.to_rfc3339(), "2026-11-01T03:00:00+00:00");
    let err = s
        .add_interaction(InteractionInput {
            customer_id: a,
            channel: "phone".into(),
            summary: "  ".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.params()["field"], "summary");

    let pid = s
        .add_purchase(PurchaseInput {
            customer_id: a,
            amount: "1500000".into(),
            items: vec![item("Tai nghe;1;1000000;12"), item("Cáp;1;500000")],
            ..Default::default()
        })
        .unwrap()
        .purchase
        .id;
    for (kind, score) in [("csat", 4), ("csat", 5), ("nps", 10), ("nps", 6)] {
        s.add_survey(SurveyInput {
            customer_id: a,
            kind: kind.into(),
            score,
            comment: Some("Nhân viên nhiệt tình".into()),
            purchase_id: Some(pid),
            staff: None,
        })
        .unwrap();
    }
    let bad = s
        .add_survey(SurveyInput {
            customer_id: a,
            kind: "nps".into(),
            score: 11,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.code(), "survey.score_invalid");
    assert_eq!(bad.params()["max"], 10);
    let bad = s
        .add_survey(SurveyInput {
            customer_id: b,
            kind: "csat".into(),
            score: 3,
            purchase_id: Some(pid),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.code(), "purchase.not_found");

    let w = s.warranty_lookup("0911 000 001").unwrap();
    assert_eq!(w.customer.id, a);
    assert_eq!(w.warranties.len(), 1);
    assert_eq!(w.warranties[0].product, "Tai nghe");
    assert!(w.warranties[0].active);
    assert!(w.warranties[0].days_left > 300);
    let item = w.warranties[0].item_id;
    let t = s
        .add_ticket(TicketInput {
            customer_id: a,
            item_id: Some(item),
            title: "Tai nghe mất tiếng bên trái".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (t.status.as_str(), t.product.as_deref()),
        ("open", Some("Tai nghe"))
    );
    assert_eq!(
        s.set_ticket_status(t.id, "in progress").unwrap().status,
        "in_progress"
    );
    assert_eq!(
        s.set_ticket_status(t.id, "lost").unwrap_err().code(),
        "ticket.status_invalid"
    );
    assert_eq!(
        s.add_ticket(TicketInput {
            customer_id: b,
            item_id: Some(item),
            title: "x".into(),
            ..Default::default()
        })
        .unwrap_err()
        .code(),
        "warranty.item_not_found"
    );

    let care = s.customer_care(a).unwrap();
    assert_eq!(care.satisfaction.csat.latest, Some(5));
    assert_eq!(care.satisfaction.csat.average.unwrap().to_string(), "4.5");
    assert_eq!(care.satisfaction.nps.score, Some(0));
    assert_eq!(care.referrals.count, 2);
    let referred: Vec<i64> = care.referrals.customers.iter().map(|r| r.id).collect();
    assert_eq!(referred, vec![c, b]);
    let kinds: Vec<&str> = care.timeline.iter().map(|e| e.kind).collect();
    for k in ["purchase", "interaction", "survey", "ticket"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(care.timeline.windows(2).all(|w| w[0].at >= w[1].at));
    let care_b = s.customer_care(b).unwrap();
    assert_eq!(care_b.referred_by.unwrap().id, a);
    assert_eq!(care_b.referrals.count, 0);
}

#[test]
fn templates_render_every_field_and_leave_missing_ones_empty() {
    let s = Store::open_in_memory().unwrap();
    s.set_setting("shop_name", "Shop Hoa Mai").unwrap();
    let full = add(
        &s,
        "Nguyễn Thị Hương",
        "0987654321",
        Some("1992-03-08"),
        Some("nữ"),
    );
    buy(&s, full, "2026-11-02T10:00", "250000");
    let loyalty = s.customer_loyalty(full).unwrap();
    let tier = loyalty.tier.clone().unwrap();
    let r = s.render_template("sinh-nhat", full).unwrap();
    assert_eq!(
        r.text,
        format!(
            "Chúc mừng sinh nhật chị Hương (08/03)! Shop Hoa Mai gửi tặng chị điểm thưởng sinh nhật. Chị đang có {} điểm, hạng {tier}.",
            loyalty.balance
        )
    );
    assert!(r.missing.is_empty());
    assert_eq!(r.phone.as_deref(), Some("0987654321"));
    let r = s.render_template("moi-quay-lai", full).unwrap();
    assert!(r.text.contains("(lần cuối 02/11/2026)"), "{}", r.text);
    let r = s.render_template("diem-sap-het-han", full).unwrap();
    assert!(
        r.text
            .contains(&format!("{} điểm hết hạn ngày 02/11/2027", loyalty.balance)),
        "{}",
        r.text
    );
    let en = s.render_template("birthday", full).unwrap();
    assert!(
        en.text
            .starts_with("Happy birthday, Ms Nguyễn Thị Hương (08/03)!"),
        "{}",
        en.text
    );

    // No gender, birthday, purchases or points: nothing renders as "{...}".
    let bare = add(&s, "Lê Văn Tám", "0912000000", None, None);
    let r = s.render_template("sinh-nhat", bare).unwrap();
    assert!(
        !r.text.contains('{') && !r.text.contains("  "),
        "{}",
        r.text
    );
    assert!(r.text.starts_with("Chúc mừng sinh nhật Tám!"), "{}", r.text);
    assert_eq!(r.missing, vec!["xung_ho", "sinh_nhat", "hang"]);
    let r = s.render_template("diem-sap-het-han", bare).unwrap();
    assert!(r.missing.contains(&"han_diem"));

    // Saving checks names and fields; a custom template renders like the built-in ones.
    assert_eq!(
        s.save_template(None, "tri-an", "Chào {ten_kh}")
            .unwrap_err()
            .code(),
        "template.unknown_field"
    );
    assert_eq!(
        s.save_template(None, "cam-on", "x").unwrap_err().code(),
        "template.name_taken"
    );
    assert_eq!(
        s.save_template(None, " ", "x").unwrap_err().code(),
        "template.name_invalid"
    );
    let t = s
        .save_template(None, "tri-an", "Tri ân {xung_ho} {ten}: tặng {diem} điểm!")
        .unwrap();
    let t = s
        .save_template(Some(t.id), "tri-an-cuoi-nam", &t.body)
        .unwrap();
    assert_eq!(t.name, "tri-an-cuoi-nam");
    assert_eq!(
        s.render_template("tri-an-cuoi-nam", bare).unwrap().text,
        "Tri ân Tám: tặng 0 điểm!"
    );
    s.delete_template(t.id).unwrap();
    assert_eq!(
        s.render_template("tri-an-cuoi-nam", bare)
            .unwrap_err()
            .code(),
        "template.not_found"
    );
    let list = s.templates().unwrap();
    assert_eq!(list.templates.len(), 10);
    assert!(list.fields.contains(&"xung_ho"));
}

#[test]
fn bulk_messages_preview_and_export_a_filtered_list() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_in_memory().unwrap();
    let vip = |name: &str, phone: &str, gender: Option<&str>| {
        s.add_customer(CustomerInput {
            name: Some(name.into()),
            phone: Some(phone.into()),
            gender: gender.map(str::to_owned),
            tags: Some(vec!["VIP".into()]),
            ..Default::default()
        })
        .unwrap()
        .id
    };
    vip("Nguyễn Thị Hương", "0987654321", Some("female"));
    vip("Trần Văn Nam", "0912345678", None);
    add(&s, "Không Phải VIP", "0900000000", None, Some("male"));
    let filter = CustomerFilter {
        tag: Some("VIP".into()),
        ..Default::default()
    };
    let p = s.preview_template("cam-on", &filter).unwrap();
    assert_eq!(p.total, 2);
    assert_eq!(p.missing.get("xung_ho"), Some(&1));
    assert_eq!(p.lacking.len(), 1);
    assert_eq!(p.lacking[0].name, "Trần Văn Nam");
    let path = dir.path().join("tin-nhan.csv");
    let out = s.export_template("cam-on", &filter, &path).unwrap();
    assert_eq!(out.rows, 2);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rd.headers().unwrap(), vec!["phone", "name", "message"]);
    assert_eq!(&rows[0][0], "0987654321");
    assert!(rows[0][2].starts_with("Chào chị Hương, Khách Quen cảm ơn chị"));
    assert!(
        rows[1][2].starts_with("Chào Nam, Khách Quen cảm ơn đã mua hàng"),
        "{}",
        &rows[1][2]
    );
    // Bad filters and formats are refused before a file is written.
    let bad = CustomerFilter {
        birthday_month: Some(13),
        ..Default::default()
    };
    assert_eq!(
        s.preview_template("cam-on", &bad).unwrap_err().code(),
        "filter.invalid"
    );
    let xlsx = dir.path().join("x.xlsx");
    assert!(s.export_template("cam-on", &filter, &xlsx).is_err());
    assert!(!xlsx.exists());
    // Search by unaccented name works as in the list.
    let f = CustomerFilter {
        search: Some("nguyen huong".into()),
        ..Default::default()
    };
    assert_eq!(s.preview_template("cam-on", &f).unwrap().total, 1);
}

#[test]
fn merging_moves_care_history_to_the_kept_customer() {
    let s = Store::open_in_memory().unwrap();
    let keep = add(&s, "Nguyễn Thị Hương", "0987654321", None, None);
    let other = add(&s, "Nguyen Thi Huong", "0912345678", None, None);
    s.add_interaction(InteractionInput {
        customer_id: other,
        channel: "sms".into(),
        summary: "Gửi khuyến mãi".into(),
        ..Default::default()
    })
    .unwrap();
    s.add_reminder(ReminderInput {
        customer_id: other,
        due_date: "2030-01-01".into(),
        title: Some("Gọi lại".into()),
        ..Default::default()
    })
    .unwrap();
    s.merge_customers(keep, other).unwrap();
    let care = s.customer_care(keep).unwrap();
    assert_eq!(care.open_reminders.len(), 1);
    assert!(care.timeline.iter().any(|e| e.interaction.is_some()));
    assert!(s.check().unwrap().ok);
}

#[test]
fn editing_contact_details_counts_as_confirming_them() {
    let s = Store::open_in_memory().unwrap();
    let id = add(&s, "Nguyễn Thị Hương", "0987654321", None, None);
    let before = s.customer_care(id).unwrap().details_confirmed_at;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    s.update_customer(
        id,
        CustomerInput {
            note: Some("thích màu xanh".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.customer_care(id).unwrap().details_confirmed_at, before);
    s.update_customer(
        id,
        CustomerInput {
            address: Some("12 Lê Lợi, Q1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(s.customer_care(id).unwrap().details_confirmed_at > before);
    s.confirm_details(id).unwrap();
}

#[test]
fn the_window_lists_the_built_in_templates_of_the_shop_language_and_all_of_the_shops_own() {
    let s = Store::open_in_memory().unwrap();
    s.save_template(None, "Khuyến mãi Tết", "Chào {xung_ho} {ten}, Tết vui!")
        .unwrap();
    s.save_template(None, "Sale", "Hi {first_name}, our sale starts today.")
        .unwrap();
    let names = |l: &khachquen_core::model::TemplateList| -> Vec<(String, String)> {
        l.templates
            .iter()
            .map(|t| (t.name.clone(), t.language.clone().unwrap_or_default()))
            .collect()
    };
    let vi = s.shop_templates().unwrap();
    assert_eq!(vi.language.as_deref(), Some("vi"));
    let got = names(&vi);
    for slug in ["cam-on", "sinh-nhat", "moi-quay-lai", "diem-sap-het-han"] {
        assert!(got.contains(&(slug.into(), "vi".into())), "{slug}: {got:?}");
    }
    for slug in ["thank-you", "birthday", "win-back", "points-expiring"] {
        assert!(
            !got.iter().any(|(n, _)| n == slug),
            "English built-in {slug} in a Vietnamese shop: {got:?}"
        );
    }
    // The shop's own templates stay, in whatever language they are written.
    assert!(got.contains(&("Khuyến mãi Tết".into(), "vi".into())));
    assert!(got.contains(&("Sale".into(), "en".into())));

    s.set_setting("language", "en").unwrap();
    let got = names(&s.shop_templates().unwrap());
    assert!(got.contains(&("thank-you".into(), "en".into())), "{got:?}");
    assert!(!got.iter().any(|(n, _)| n == "cam-on"), "{got:?}");
    assert!(got.iter().any(|(n, _)| n == "Khuyến mãi Tết"));
    // The full list (the CLI's) still has every template, each with its language.
    let all = s.templates().unwrap();
    assert_eq!(all.templates.len(), 12);
    assert!(all.templates.iter().all(|t| t.language.is_some()));
}

#[test]
fn duplicate_groups_say_what_is_shared_in_the_owners_words() {
    let s = Store::open_in_memory().unwrap();
    add(&s, "Nguyễn Văn Đức", "0912345678", Some("1990-12-02"), None);
    add(&s, "Nguyen Van Duc", "0987654321", Some("1990-12-02"), None);
    let d = s.duplicates(50).unwrap();
    let g = &d.groups[0];
    assert_eq!(g.reasons, vec!["name_birthday"]);
    assert_eq!(
        g.shared,
        vec!["1990-12-02"],
        "the birthday alone, not the folded key"
    );
    assert!(
        g.keys[0].contains("nguyen van duc"),
        "the key is kept: {:?}",
        g.keys
    );
}
