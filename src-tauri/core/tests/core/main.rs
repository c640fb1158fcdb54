//! Integration tests of khachquen-core: one binary, a module per area.

mod access;
mod analytics;
mod audit;
mod backup;
mod campaigns;
mod care;
mod clv;
mod engines;
mod import;
mod layers;
mod list;
mod loyalty;
mod no_phone;
mod reports_prop;
mod search;
mod vouchers;

use khachquen_core::model::{CustomerInput, ItemInput, ListQuery, PurchaseInput, SortKey};
use khachquen_core::{db, CoreError, Store};
use proptest::prelude::*;

fn customer(name: &str, phone: &str) -> CustomerInput {
    CustomerInput {
        name: Some(name.into()),
        phone: Some(phone.into()),
        ..Default::default()
    }
}

/// A bill line written "product;qty;unit price[;warranty months]".
fn item(spec: &str) -> ItemInput {
    let p: Vec<&str> = spec.split(';').collect();
    ItemInput {
        product: p[0].into(),
        quantity: p[1].into(),
        unit_price: p[2].into(),
        warranty_months: p.get(3).map(|w| w.parse().expect("months")),
    }
}

fn purchase(customer_id: i64, amount: &str) -> PurchaseInput {
    PurchaseInput {
        customer_id,
        amount: amount.into(),
        ..Default::default()
    }
}

fn names(store: &Store, q: &str) -> Vec<String> {
    store
        .search(q, 20)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

fn shop() -> Store {
    let s = Store::open_in_memory().unwrap();
    fill_shop(&s);
    s
}

fn fill_shop(s: &Store) {
    for (n, p) in [
        ("Nguyễn Văn Đức", "0912 345 678"),
        ("Nguyễn Thị Hương", "0987-654-321"),
        ("Nguyễn Thị Hường", "+84 903 111 222"),
        ("Trần Đức Anh", "0358 000 678"),
        ("Lê Duc", "0701 234 567"),
    ] {
        s.add_customer(customer(n, p)).unwrap();
    }
}

/// The counter's search tests below on one shop, as one scenario of search::SCENARIOS.
fn counter_shop(s: &Store) -> search::Checks {
    fill_shop(s);
    let mut input = customer("Phạm Quốc Việt", "0933 222 111");
    input.code = Some("KH0042".into());
    s.add_customer(input).unwrap();
    Box::new(|s| {
        folds_and_prefixes(s);
        exact_and_marked_first(s);
        phone_in_any_format(s);
        code_is_exact(s);
    })
}

fn folds_and_prefixes(s: &Store) {
    for q in [
        "nguyen duc",
        "Nguyen Duc",
        "nguyễn đức",
        "NGUYỄN ĐỨC",
        "duc nguyen",
    ] {
        assert_eq!(
            names(s, q).first().map(String::as_str),
            Some("Nguyễn Văn Đức"),
            "{q}"
        );
    }
    assert!(names(s, "ngu hu").contains(&"Nguyễn Thị Hương".to_string()));
    assert!(names(s, "ngu hu").contains(&"Nguyễn Thị Hường".to_string()));
    assert!(!names(s, "ngu hu").contains(&"Nguyễn Văn Đức".to_string()));
    assert!(names(s, "zzz").is_empty());
    assert!(names(s, "  ").is_empty());
}

#[test]
fn vietnamese_search_folds_and_prefixes() {
    folds_and_prefixes(&shop());
}

fn exact_and_marked_first(s: &Store) {
    assert_eq!(names(s, "nguyễn thị hường")[0], "Nguyễn Thị Hường");
    assert_eq!(names(s, "nguyễn thị hương")[0], "Nguyễn Thị Hương");
    assert_eq!(names(s, "hường")[0], "Nguyễn Thị Hường");
    assert_eq!(names(s, "hương")[0], "Nguyễn Thị Hương");
    // An exact full-name match beats names that merely contain the words.
    assert_eq!(names(s, "le duc")[0], "Lê Duc");
    // Whole-word matches rank above prefix-only matches.
    assert_eq!(
        names(s, "duc")[0..2]
            .iter()
            .filter(|n| n.contains("Đức") || n.contains("Duc"))
            .count(),
        2
    );
}

#[test]
fn ranking_prefers_exact_and_matching_diacritics() {
    exact_and_marked_first(&shop());
}

fn phone_in_any_format(s: &Store) {
    for q in [
        "0912345678",
        "0912 345 678",
        "+84 912 345 678",
        "84912345678",
        "345678",
        "5678",
    ] {
        assert_eq!(names(s, q), vec!["Nguyễn Văn Đức"], "{q}");
    }
    // Three digits shared by two phones find both.
    let mut both = names(s, "678");
    both.sort();
    assert_eq!(both, vec!["Nguyễn Văn Đức", "Trần Đức Anh"]);
    assert!(
        names(s, "78").is_empty(),
        "fewer than 3 digits is too broad"
    );
}

#[test]
fn phone_search_by_full_number_or_suffix_in_any_format() {
    phone_in_any_format(&shop());
}

fn code_is_exact(s: &Store) {
    assert_eq!(names(s, "KH0042"), vec!["Phạm Quốc Việt"]);
    assert_eq!(names(s, "kh0042"), vec!["Phạm Quốc Việt"]);
    assert!(names(s, "KH004").is_empty());
}

#[test]
fn code_search_is_exact() {
    let s = shop();
    let mut input = customer("Phạm Quốc Việt", "0933 222 111");
    input.code = Some("KH0042".into());
    s.add_customer(input).unwrap();
    code_is_exact(&s);
}

#[test]
fn duplicate_active_phone_is_refused_naming_the_owner() {
    let s = shop();
    let err = s
        .add_customer(customer("Someone Else", "+84912345678"))
        .unwrap_err();
    match err {
        CoreError::PhoneTaken { name, .. } => assert_eq!(name, "Nguyễn Văn Đức"),
        other => panic!("{other:?}"),
    }
    // Once archived, the number can be reused.
    let id = s.resolve_customer("0912345678").unwrap();
    s.archive_customer(id).unwrap();
    assert!(
        names(&s, "nguyen van duc").is_empty(),
        "archived leave search"
    );
    s.add_customer(customer("Someone Else", "0912-345-678"))
        .unwrap();
}

#[test]
fn edit_validates_and_keeps_unset_fields() {
    let s = shop();
    let id = s.resolve_customer("0912345678").unwrap();
    let patch = CustomerInput {
        email: Some("Duc@Example.com".into()),
        birthday: Some("--05-12".into()),
        tags: Some(vec!["VIP".into(), " VIP ".into(), "sỉ".into()]),
        ..Default::default()
    };
    let c = s.update_customer(id, patch).unwrap();
    assert_eq!(c.email.as_deref(), Some("duc@example.com"));
    assert_eq!(c.birthday.as_deref(), Some("--05-12"));
    assert_eq!(c.tags, vec!["VIP", "sỉ"]);
    assert_eq!(c.name, "Nguyễn Văn Đức");
    for (bad, code) in [
        (
            CustomerInput {
                email: Some("nope".into()),
                ..Default::default()
            },
            "customer.email_invalid",
        ),
        (
            CustomerInput {
                birthday: Some("2030-01-01".into()),
                ..Default::default()
            },
            "customer.birthday_invalid",
        ),
        (
            CustomerInput {
                birthday: Some("--02-30".into()),
                ..Default::default()
            },
            "customer.birthday_invalid",
        ),
        (
            CustomerInput {
                phone: Some("12345".into()),
                ..Default::default()
            },
            "customer.phone_invalid",
        ),
        (
            CustomerInput {
                name: Some("   ".into()),
                ..Default::default()
            },
            "customer.name_required",
        ),
        (
            CustomerInput {
                referred_by: Some(id.to_string()),
                ..Default::default()
            },
            "customer.referred_by_self",
        ),
        (
            CustomerInput {
                gender: Some("x".into()),
                ..Default::default()
            },
            "customer.gender_invalid",
        ),
    ] {
        assert_eq!(s.update_customer(id, bad).unwrap_err().code(), code);
    }
    assert_eq!(s.customer(id).unwrap(), c, "refused edits change nothing");
}

#[test]
fn purchases_are_exact_in_minor_units() {
    let s = shop();
    let id = s.resolve_customer("0912345678").unwrap();
    s.add_purchase(purchase(id, "250000")).unwrap();
    let mut p = purchase(id, "500000");
    p.items = vec![item("Tai nghe;1;350000;12"), item("Ốp lưng;2;75000")];
    let r = s.add_purchase(p).unwrap();
    assert_eq!(r.purchase.items.len(), 2);
    assert_eq!(r.purchase.items[0].warranty_months, Some(12));
    assert_eq!(r.stats.visits, 2);
    assert_eq!(r.stats.total_spent.to_string(), "750000");
    assert_eq!(r.stats.average_basket.unwrap().to_string(), "375000");
    for (amount, code) in [
        ("-1", "purchase.amount_negative"),
        ("10.5", "purchase.amount_precision"),
        ("250.000", "purchase.amount_precision"),
        ("abc", "purchase.amount_invalid"),
    ] {
        assert_eq!(
            s.add_purchase(purchase(id, amount)).unwrap_err().code(),
            code,
            "{amount}"
        );
    }
    let mut bad = purchase(id, "100000");
    bad.items = vec![item("X;1;90000")];
    assert_eq!(
        s.add_purchase(bad).unwrap_err().code(),
        "purchase.items_mismatch"
    );
    assert_eq!(
        s.customer_stats(id).unwrap().visits,
        2,
        "refused purchases record nothing"
    );
    assert_eq!(
        s.set_setting("currency", "USD").unwrap_err().code(),
        "settings.currency_locked"
    );
}

#[test]
fn two_decimal_currency() {
    let s = Store::open_in_memory().unwrap();
    s.set_setting("currency", "USD").unwrap();
    let c = s.add_customer(customer("Amy", "0912345678")).unwrap();
    let mut p = purchase(c.id, "12.50");
    p.items = vec![item("Tea;2.5;5")];
    let r = s.add_purchase(p).unwrap();
    assert_eq!(r.purchase.total.to_string(), "12.50");
    assert_eq!(
        s.add_purchase(purchase(c.id, "1.234")).unwrap_err().code(),
        "purchase.amount_precision"
    );
}

#[test]
fn stats_give_first_last_and_average_gap() {
    let s = shop();
    let id = s.resolve_customer("0912345678").unwrap();
    for (at, amount) in [
        ("2026-01-01", "100000"),
        ("2026-01-11", "200000"),
        ("2026-01-31", "300000"),
    ] {
        let mut p = purchase(id, amount);
        p.at = Some(at.into());
        s.add_purchase(p).unwrap();
    }
    let st = s.customer_stats(id).unwrap();
    assert_eq!(st.visits, 3);
    assert_eq!(st.average_days_between_visits, Some(15.0));
    assert_eq!(
        st.first_purchase_at.unwrap().to_rfc3339(),
        "2026-01-01T05:00:00+00:00"
    );
    assert_eq!(
        st.last_purchase_at.unwrap().to_rfc3339(),
        "2026-01-31T05:00:00+00:00"
    );
    assert_eq!(st.average_basket.unwrap().to_string(), "200000");
}

#[test]
fn list_pages_sorts_and_filters() {
    let s = shop();
    let id = s.resolve_customer("0987654321").unwrap();
    s.add_purchase(purchase(id, "900000")).unwrap();
    s.update_customer(
        id,
        CustomerInput {
            tags: Some(vec!["VIP".into()]),
            source: Some("zalo".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let page = s
        .list_customers(&ListQuery {
            sort: SortKey::TotalSpent,
            desc: true,
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.rows[0].name, "Nguyễn Thị Hương");
    let vip = s
        .list_customers(&ListQuery {
            tag: Some("VIP".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(vip.total, 1);
    let zalo = s
        .list_customers(&ListQuery {
            source: Some("zalo".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(zalo.rows[0].id, id);
    let found = s
        .list_customers(&ListQuery {
            search: Some("nguyen thi".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.total, 2);
    let by_phone = s
        .list_customers(&ListQuery {
            search: Some("678".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_phone.total, 2);
    assert_eq!(s.customer_tags().unwrap(), vec!["VIP"]);
}

#[test]
fn file_database_uses_wal_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("khachquen.db");
    {
        let s = Store::open(&path).unwrap();
        s.add_customer(customer("Nguyễn Văn Đức", "0912345678"))
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.search("duc", 5).unwrap().len(), 1);
    assert!(s.check().unwrap().ok);
}

#[test]
fn newer_schema_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE x(a); PRAGMA user_version = {};",
            db::schema_version() + 5
        ))
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert_eq!(err.code(), "db.schema_too_new");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("khachquen.db-wal").exists());
}

#[test]
fn upgrades_from_every_earlier_schema_with_data() {
    for version in 1..db::schema_version() as usize {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("khachquen.db");
        db::old_shop(&path, version).unwrap();
        let s = Store::open(&path).unwrap();
        assert_eq!(
            s.setting("shop_name").unwrap(),
            "Tiệm cũ",
            "from v{version}"
        );
        assert_eq!(names(&s, "nguyen duc"), vec!["Nguyễn Văn Đức"]);
        assert_eq!(
            s.resolve_customer("KH001").unwrap(),
            1,
            "codes match case-insensitively"
        );
        assert_eq!(
            s.customer_stats(1).unwrap().total_spent.to_string(),
            "250000"
        );
        assert!(s.check().unwrap().ok);
    }
}

#[test]
fn check_finds_tampered_figures_and_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    {
        let s = Store::open(&path).unwrap();
        let id = s
            .add_customer(customer("Nguyễn Văn Đức", "0912345678"))
            .unwrap()
            .id;
        s.add_purchase(purchase(id, "250000")).unwrap();
        assert!(s.check().unwrap().ok);
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE customers SET visits = 7;
         INSERT INTO points_ledger (customer_id, kind, points, at, created_at) VALUES (1, 'adjust', -500, 0, 0);",
    )
    .unwrap();
    assert!(
        conn.execute("UPDATE points_ledger SET points = 1", [])
            .is_err(),
        "append-only"
    );
    assert!(
        conn.execute("DELETE FROM points_ledger", []).is_err(),
        "append-only"
    );
    drop(conn);
    let r = Store::open(&path).unwrap().check().unwrap();
    assert_eq!(
        (r.stats_mismatches, r.negative_balances, r.ok),
        (1, 1, false)
    );
}

#[test]
fn a_merged_customers_phone_and_code_find_the_kept_one() {
    let s = shop();
    let keep = s.resolve_customer("0912345678").unwrap();
    let mut other = customer("Nguyen Van Duc", "0933 000 111");
    other.code = Some("KH-OLD".into());
    let other = s.add_customer(other).unwrap().id;
    s.merge_customers(keep, other).unwrap();
    assert_eq!(s.resolve_customer("0933000111").unwrap(), keep);
    assert_eq!(s.resolve_customer("kh-old").unwrap(), keep);
    assert_eq!(
        s.resolve_customer(&format!("#{other}")).unwrap(),
        other,
        "an explicit id opens the archived record"
    );
    s.add_purchase(purchase(s.resolve_customer("0933000111").unwrap(), "50000"))
        .unwrap();
}

#[test]
fn a_non_database_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    std::fs::write(
        &path,
        b"this is not sqlite, just some text that is long enough",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert_eq!(Store::open(&path).err().unwrap().code(), "db.open_failed");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn demo_is_deterministic_and_realistic() {
    let make = || {
        let s = Store::open_in_memory().unwrap();
        let r = s.create_demo(500, 2500, 42, &mut |_, _| {}).unwrap();
        assert_eq!((r.customers, r.purchases), (500, 2500));
        s
    };
    let (a, b) = (make(), make());
    let page = |s: &Store| {
        s.list_customers(&ListQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap()
        .rows
    };
    assert_eq!(page(&a), page(&b));
    // The whole shop, not only the list: every purchase, item, points entry and tier.
    let dir = tempfile::tempdir().unwrap();
    let label = |l: khachquen_core::transfer::export::Label| format!("{l:?}");
    for kind in [
        khachquen_core::transfer::export::ExportKind::Customers,
        khachquen_core::transfer::export::ExportKind::Purchases,
        khachquen_core::transfer::export::ExportKind::Points,
    ] {
        let files = [("a", &a), ("b", &b)].map(|(name, s)| {
            let path = dir.path().join(format!("{name}-{kind:?}.csv"));
            assert!(s.export(kind, &path, &label).unwrap().rows > 0);
            std::fs::read(&path).unwrap()
        });
        assert!(files[0] == files[1], "{kind:?} differ between two runs");
    }
    let rows = page(&a);
    assert!(rows.iter().any(|r| r.name.contains('Đ')), "names use Đ");
    assert!(rows.iter().all(|r| r
        .phone
        .as_deref()
        .and_then(|p| khachquen_core::phone::normalize(p).ok())
        == r.phone));
    // Regulars, occasional and one-time buyers all exist.
    assert!(rows.iter().any(|r| r.visits == 1));
    assert!(rows.iter().any(|r| (2..=6).contains(&r.visits)));
    assert!(rows.iter().any(|r| r.visits >= 10));
    // Nobody who never bought has a tier, the same as a customer just added at the counter.
    assert!(rows.iter().any(|r| r.visits == 0));
    assert!(rows
        .iter()
        .filter(|r| r.visits == 0)
        .all(|r| r.tier.is_none()));
    a.add_customer(khachquen_core::model::CustomerInput {
        name: Some("Khách Mới".into()),
        phone: Some("0911222333".into()),
        ..Default::default()
    })
    .unwrap();
    let added = a
        .list_customers(&ListQuery {
            limit: 1000,
            ..Default::default()
        })
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.name == "Khách Mới")
        .unwrap();
    assert_eq!(added.tier, None);
    assert!(a.check().unwrap().ok);
    assert_eq!(
        a.create_demo(1, 1, 1, &mut |_, _| {}).unwrap_err().code(),
        "demo.not_empty"
    );
}

/// The demo drops the filled tables' indexes while it writes and builds them again at the
/// end: its file has exactly the schema of a fresh shop, and the indexes hold every row.
#[test]
fn demo_leaves_the_schema_of_a_fresh_shop() {
    let dir = tempfile::tempdir().unwrap();
    let schema = |path: &std::path::Path| -> Vec<(String, String, Option<String>)> {
        let c = rusqlite::Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap();
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    };
    let fresh = dir.path().join("fresh.db");
    drop(Store::open(&fresh).unwrap());
    let demo = dir.path().join("demo.db");
    let s = Store::open(&demo).unwrap();
    s.create_demo(300, 1500, 3, &mut |_, _| {}).unwrap();
    drop(s);
    let (a, b) = (schema(&fresh), schema(&demo));
    assert!(a
        .iter()
        .any(|(t, n, _)| t == "index" && n == "purchases_customer_at"));
    assert_eq!(a, b);
    let c = rusqlite::Connection::open(&demo).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // The counter's reads by index find what the table holds.
    let by_index: i64 = c
        .query_row(
            "SELECT count(*) FROM purchases INDEXED BY purchases_customer_at WHERE customer_id > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_index, 1500);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The per-customer figures kept in step with purchases always equal the purchases
    /// themselves, as `db check` recomputes them.
    #[test]
    fn cached_stats_match_purchases(ops in prop::collection::vec((0u8..3, 1u64..5_000_000, 0u8..4), 1..30)) {
        let s = Store::open_in_memory().unwrap();
        let ids: Vec<i64> = (0..3)
            .map(|i| s.add_customer(customer(&format!("Khách {i}"), &format!("091234560{i}"))).unwrap().id)
            .collect();
        for (who, amount, refund) in &ops {
            let r = s.add_purchase(purchase(ids[*who as usize], &amount.to_string())).unwrap();
            if *refund == 0 {
                s.refund(r.purchase.id, Some(&(amount / 2).max(1).to_string()), None).unwrap();
            }
        }
        let report = s.check().unwrap();
        prop_assert_eq!(report.stats_mismatches, 0);
        prop_assert!(report.ok);
    }

    /// Any formatting of a valid mobile number normalises to the same stored form.
    #[test]
    fn phone_formats_agree(prefix in prop::sample::select(vec!["090", "091", "032", "086", "070"]), rest in 0u32..10_000_000) {
        let plain = format!("{prefix}{rest:07}");
        let spaced = format!("{} {} {}", &plain[..4], &plain[4..7], &plain[7..]);
        let intl = format!("+84 {}", &plain[1..]);
        let n = khachquen_core::phone::normalize(&plain).unwrap();
        prop_assert_eq!(&khachquen_core::phone::normalize(&spaced).unwrap(), &n);
        prop_assert_eq!(&khachquen_core::phone::normalize(&intl).unwrap(), &n);
    }

    #[test]
    fn folding_is_idempotent(s in "\\PC{0,40}") {
        let once = khachquen_core::text::fold(&s);
        prop_assert_eq!(khachquen_core::text::fold(&once), once);
    }
}

// Issue 14: names that show nothing, and files from before the limits.

#[test]
fn names_of_invisible_or_control_characters_are_refused() {
    let s = shop();
    let add = |name: &str| s.add_customer(customer(name, "0977000111"));
    for name in [
        "\u{200B}",
        "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
        " \u{00AD}\u{200E} ",
    ] {
        let e = add(name).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            ("customer.name_invisible", Some("name")),
            "{name:?}"
        );
    }
    for name in [
        "Lan\u{0}",
        "Lan\tAnh",
        "Lan\u{85}",
        "\u{1B}[31mLan",
        "Lan\u{202E}hnA",
    ] {
        assert_eq!(
            add(name).unwrap_err().code(),
            "customer.name_control",
            "{name:?}"
        );
    }
    assert_eq!(add("   ").unwrap_err().code(), "customer.name_required");
    // Trimming takes the invisible characters off a real name; search finds it.
    let c = add("\u{FEFF}\u{200B}Võ Thị\u{200B} Lan\u{2060}").unwrap();
    assert_eq!(c.name, "Võ Thị Lan");
    assert_eq!(names(&s, "vo thi lan"), ["Võ Thị Lan"]);
    let e = s
        .update_customer(
            c.id,
            CustomerInput {
                name: Some("\u{200B}\u{200B}".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "customer.name_invisible");
    assert_eq!(s.customer(c.id).unwrap().name, "Võ Thị Lan");

    // Imported names too, row by row.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khach.csv");
    std::fs::write(
        &path,
        "Họ tên,Điện thoại\n\u{200B}\u{FEFF},0988000111\nAn\u{7}Bình,0988000222\n\u{200B}Mai Hoa,0988000333\n",
    )
    .unwrap();
    let o = khachquen_core::transfer::import::ImportOptions {
        skip_invalid: true,
        ..Default::default()
    };
    let r = s
        .import(
            khachquen_core::transfer::import::Kind::Customers,
            &path,
            &o,
            &mut |_, _, _| {},
        )
        .unwrap();
    let codes: Vec<&str> = r.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["customer.name_invisible", "customer.name_control"]);
    assert_eq!(names(&s, "mai hoa"), ["Mai Hoa"]);

    // Staff names go through the same rule.
    let s = Store::open_in_memory().unwrap();
    s.setup_owner("Chủ tiệm", "1234").unwrap();
    let staff = |name: &str| {
        s.add_staff(
            khachquen_core::staff::StaffInput {
                name: name.into(),
                role: Some("cashier".into()),
            },
            "5678",
        )
    };
    assert_eq!(
        staff("\u{200B}\u{FEFF}").unwrap_err().code(),
        "customer.name_invisible"
    );
    assert_eq!(
        staff("Hà\nLinh").unwrap_err().code(),
        "customer.name_control"
    );
    assert_eq!(staff("\u{200B}Hà Linh").unwrap().name, "Hà Linh");
}

#[test]
fn imported_bills_get_the_same_bounds() {
    use khachquen_core::transfer::import::{ImportOptions, Kind};
    let dir = tempfile::tempdir().unwrap();
    let s = shop();
    let id = s
        .add_customer(customer("Đỗ Văn Hùng", "0912000333"))
        .unwrap()
        .id;
    let mut csv = String::from("Ngày mua,Điện thoại,Tổng tiền\n");
    for _ in 0..10 {
        csv.push_str("15/03/2024,0912000333,\"999,999,999,999,999,999\"\n");
    }
    csv.push_str("01/01/0000,0912000333,100000\n");
    csv.push_str("31/12/1999,0912000333,100000\n");
    csv.push_str("01/03/2062,0912000333,100000\n");
    csv.push_str("15/03/2024,0912000333,250000\n");
    let path = dir.path().join("hoa-don.csv");
    std::fs::write(&path, csv).unwrap();
    let o = ImportOptions {
        skip_invalid: true,
        ..Default::default()
    };
    let r = s
        .import(Kind::Purchases, &path, &o, &mut |_, _, _| {})
        .unwrap();
    assert_eq!((r.inserted, r.rejected), (1, 13));
    let codes: Vec<&str> = r.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes[..10], ["limits.amount_over"; 10]);
    // Year 0 is not even a date to the importer; 1999 and 2062 are outside the window.
    assert_eq!(codes[10], "import.date_invalid");
    assert_eq!(codes[11..], ["limits.date_out_of_range"; 2]);
    assert_eq!(r.errors[0].line, 2);
    assert!(
        r.errors[0].message.contains("10000000000"),
        "{}",
        r.errors[0].message
    );
    assert_eq!(
        s.customer_stats(id).unwrap().total_spent.to_string(),
        "250000"
    );

    // The per-customer limit counts what is stored and what the file adds.
    let mut csv = String::from("Ngày mua,Điện thoại,Tổng tiền\n");
    for day in 0..1000 {
        csv.push_str(&format!(
            "{:02}/03/2024,0912000333,10000000000\n",
            1 + day % 28
        ));
    }
    let path = dir.path().join("lon.csv");
    std::fs::write(&path, csv).unwrap();
    let r = s
        .import(Kind::Purchases, &path, &o, &mut |_, _, _| {})
        .unwrap();
    assert_eq!((r.inserted, r.rejected), (999, 1));
    assert_eq!(r.errors[0].code, "limits.customer_total_over");
    assert!(s.check().unwrap().ok);
}

#[test]
fn an_old_file_with_values_past_the_limits_still_searches_shows_exports_and_checks() {
    use khachquen_core::transfer::export::{ExportKind, Label};
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("khachquen.db");
    let id = {
        let s = Store::open(&db_path).unwrap();
        let id = s
            .add_customer(customer("Lý Thị Huệ", "0935111222"))
            .unwrap()
            .id;
        s.add_purchase(purchase(id, "100000")).unwrap();
        id
    };
    // What an earlier version let in: ten bills of 999,999,999,999,999,999, a bill in year 0,
    // one in 2062, points of i64::MAX twice, and the wrapped total those left behind.
    {
        let conn = rusqlite::Connection::open(&db_path).unwrap();
        for n in 0..10 {
            conn.execute(
                "INSERT INTO purchases (client_id, customer_id, at, total_minor, payment_method,
                    created_at) VALUES (?1, ?2, 1710000000, 999999999999999999, 'cash', 0)",
                rusqlite::params![format!("old{n}"), id],
            )
            .unwrap();
        }
        for at in [-62_167_219_200i64, 2_908_000_000] {
            conn.execute(
                "INSERT INTO purchases (customer_id, at, total_minor, payment_method, created_at)
                 VALUES (?1, ?2, 5000, 'cash', 0)",
                rusqlite::params![id, at],
            )
            .unwrap();
        }
        for _ in 0..2 {
            conn.execute(
                "INSERT INTO points_ledger (customer_id, kind, points, at, created_at)
                 VALUES (?1, 'adjust', 9223372036854775807, 1710000000, 0)",
                [id],
            )
            .unwrap();
        }
        conn.execute(
            "UPDATE customers SET total_minor = -8446744073709451616, visits = 13 WHERE id = ?1",
            [id],
        )
        .unwrap();
    }
    let s = Store::open(&db_path).unwrap();
    assert_eq!(s.search("huệ", 10).unwrap().len(), 1);
    assert_eq!(s.list_customers(&ListQuery::default()).unwrap().total, 1);
    let p = s.profile(id, 100).unwrap();
    assert_eq!(p.purchases.len(), 13);
    s.points(id, 100).unwrap();
    s.customer_stats(id).unwrap();
    let label = |l: Label| match l {
        Label::Column(c) | Label::Gender(c) | Label::Source(c) | Label::Payment(c) => c.to_owned(),
        Label::PointsKind(c) => c.to_owned(),
    };
    for kind in [
        ExportKind::Customers,
        ExportKind::Purchases,
        ExportKind::Points,
    ] {
        for ext in ["csv", "xlsx"] {
            let out = dir.path().join(format!("out-{kind:?}.{ext}"));
            s.export(kind, &out, &label).unwrap();
        }
    }
    let check = s.check().unwrap();
    assert!(!check.ok, "the wrapped total is reported, not a failure");
    let all = khachquen_core::analytics::reports::Range {
        from: Some("2024-01-01".into()),
        to: None,
    };
    s.report_summary(&all).unwrap();
    s.report_staff(&all).unwrap();
    s.refresh_analytics().unwrap();
    // New bills for her are refused by the limit, not by an overflow.
    assert_eq!(
        s.add_purchase(purchase(id, "1000")).unwrap_err().code(),
        "limits.customer_total_over"
    );
}
