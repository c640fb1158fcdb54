//! Customers without a phone (issue 15 item 10): walk-in regulars known by name or card
//! code. Uniqueness still holds for the phones and codes that exist.

use khachquen_core::model::CustomerInput;
use khachquen_core::transfer::export::{ExportKind, Label};
use khachquen_core::transfer::import::{ImportOptions, Kind};
use khachquen_core::{db, CoreError, Store};

fn input(name: &str, phone: Option<&str>, code: Option<&str>) -> CustomerInput {
    CustomerInput {
        name: Some(name.into()),
        phone: phone.map(Into::into),
        code: code.map(Into::into),
        ..Default::default()
    }
}

#[test]
fn a_customer_needs_no_phone_and_is_found_by_name_or_code() {
    let s = Store::open_in_memory().unwrap();
    let a = s
        .add_customer(input("Cô Ba Bán Xôi", None, Some("THE-01")))
        .unwrap();
    assert_eq!((a.phone.as_deref(), a.phone_display.as_str()), (None, ""));
    // Two customers without a phone do not collide; an empty phone is no phone.
    let b = s.add_customer(input("Chú Tư", Some("  "), None)).unwrap();
    assert_eq!(b.phone, None);
    assert_eq!(s.search("co ba", 10).unwrap()[0].id, a.id);
    assert_eq!(s.search("the-01", 10).unwrap()[0].id, a.id);
    assert_eq!(s.resolve_customer("THE-01").unwrap(), a.id);
    // Existing phones and codes stay unique.
    s.add_customer(input("Có Số", Some("0912 345 678"), None))
        .unwrap();
    assert!(matches!(
        s.add_customer(input("Trùng Số", Some("0912345678"), None)),
        Err(CoreError::PhoneTaken { .. })
    ));
    assert!(matches!(
        s.add_customer(input("Trùng Mã", None, Some("the-01"))),
        Err(CoreError::CodeTaken { .. })
    ));
    // A phone can be added later, and cleared again with an empty string.
    let edit = |phone: &str| CustomerInput {
        phone: Some(phone.into()),
        ..Default::default()
    };
    let a2 = s.update_customer(a.id, edit("0987 000 111")).unwrap();
    assert_eq!(a2.phone.as_deref(), Some("0987000111"));
    assert_eq!(s.search("0111", 10).unwrap()[0].id, a.id);
    let a3 = s.update_customer(a.id, edit("")).unwrap();
    assert_eq!(a3.phone, None);
    assert!(s.search("0111", 10).unwrap().is_empty());
    // The list, the profile and Today's briefs read a missing phone.
    assert_eq!(s.customer_count().unwrap(), 3);
    assert_eq!(s.profile(a.id, 10).unwrap().customer.phone, None);
}

#[test]
fn no_phone_customers_are_not_duplicates_and_export_with_an_empty_phone() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("kq.db")).unwrap();
    s.add_customer(input("Khách A", None, None)).unwrap();
    s.add_customer(input("Khách B", None, None)).unwrap();
    let d = s.duplicates(50).unwrap();
    assert_eq!(d.total, 0, "two missing phones are not the same phone");
    let path = dir.path().join("c.csv");
    let label = |l: Label| format!("{l:?}");
    let r = s.export(ExportKind::Customers, &path, &label).unwrap();
    assert_eq!(r.rows, 2);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("Khách A") && text.contains("Khách B"),
        "{text}"
    );
}

#[test]
fn importing_purchases_creates_a_customer_from_a_card_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_in_memory().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(
        &path,
        "Mã KH,Khách hàng,Thời gian,Tổng tiền\nTHE-77,Bà Năm,2025-03-01 09:00,120000\nTHE-88,,2025-03-02 10:00,80000\nTHE-77,,2025-03-05 10:00,50000\n",
    )
    .unwrap();
    let create = ImportOptions {
        create_missing: true,
        ..Default::default()
    };
    let r = s
        .import(Kind::Purchases, &path, &create, &mut |_, _, _| {})
        .unwrap();
    assert!(r.committed, "{:?}", r.errors);
    assert_eq!((r.inserted, r.customers_created), (3, 2));
    let nam = s.customer(s.resolve_customer("THE-77").unwrap()).unwrap();
    assert_eq!((nam.name.as_str(), nam.phone.as_deref()), ("Bà Năm", None));
    assert_eq!(s.customer_stats(nam.id).unwrap().visits, 2);
    // No name in the file: the card code stands in until the shop edits it.
    let other = s.customer(s.resolve_customer("THE-88").unwrap()).unwrap();
    assert_eq!((other.name.as_str(), other.phone), ("THE-88", None));
}

#[test]
fn the_upgrade_keeps_every_customer_row_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        db::migrate_to(&mut conn, 10).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (id, code, name, name_fold, phone, phone_rev, created_at, updated_at)
                 VALUES (1, 'KH1', 'Cũ', 'cu', '0912345678', '8765432190', 1, 1),
                        (2, NULL, 'Hai', 'hai', '0987654321', '1234567890', 1, 1);
             INSERT INTO customer_search (rowid, name_fold, name_marked) VALUES (1, 'cu', 'cũ'), (2, 'hai', 'hai');
             INSERT INTO purchases (customer_id, at, total_minor, payment_method, created_at)
                 VALUES (1, 10, 5000, 'cash', 10);
             UPDATE customers SET visits = 1, total_minor = 5000, first_purchase_at = 10,
                 last_purchase_at = 10 WHERE id = 1;",
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let c = s.customer(1).unwrap();
    assert_eq!(
        (c.phone.as_deref(), c.code.as_deref()),
        (Some("0912345678"), Some("KH1"))
    );
    assert_eq!(s.customer_stats(1).unwrap().visits, 1);
    assert_eq!(s.search("5678", 5).unwrap()[0].id, 1);
    // The rebuilt table still refuses a taken phone and takes a missing one.
    assert!(s
        .add_customer(input("X", Some("0987654321"), None))
        .is_err());
    s.add_customer(input("Không Số", None, None)).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0);
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_list('purchases') WHERE \"table\" = 'customers'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1, "purchases still refer to customers");
}

#[test]
fn merging_a_card_only_regular_with_their_phone_record_keeps_the_phone() {
    let s = Store::open_in_memory().unwrap();
    let card = s
        .add_customer(input("Cô Ba", None, Some("THE-09")))
        .unwrap();
    let phone = s
        .add_customer(input("Cô Ba", Some("0912 888 999"), None))
        .unwrap();
    let r = s.merge_customers(card.id, phone.id).unwrap();
    assert_eq!(r.kept.phone.as_deref(), Some("0912888999"));
    assert_eq!(s.resolve_customer("0912888999").unwrap(), card.id);
    assert_eq!(s.find_customers("8999", 5).unwrap().rows[0].id, card.id);
}
