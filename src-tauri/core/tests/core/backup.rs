//! Backups (create, verify, rotate, restore, bad files, backups during writes) and merging
//! duplicate customers.

use khachquen_core::backup::{self, BackupInfo};
use khachquen_core::model::{CustomerInput, PurchaseInput};
use khachquen_core::{db, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn open(dir: &Path) -> Store {
    Store::open(&dir.join("khachquen.db")).unwrap()
}

fn customer(name: &str, phone: &str) -> CustomerInput {
    CustomerInput {
        name: Some(name.into()),
        phone: Some(phone.into()),
        ..Default::default()
    }
}

fn buy(s: &Store, id: i64, amount: &str) -> i64 {
    s.add_purchase(PurchaseInput {
        customer_id: id,
        amount: amount.into(),
        ..Default::default()
    })
    .unwrap()
    .purchase
    .id
}

fn demo_shop() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    s.create_demo(300, 1500, 7, &mut |_, _| {}).unwrap();
    (dir, s)
}

fn backup_now(s: &Store) -> BackupInfo {
    s.create_backup(None, false, &mut |_, _| {}).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What the owner would notice if the data changed.
fn fingerprint(s: &Store) -> (i64, i64, String) {
    let c = db::backup::counts(&rusqlite_conn(s)).unwrap();
    let page = s
        .list_customers(&khachquen_core::model::ListQuery {
            limit: 500,
            include_archived: true,
            ..Default::default()
        })
        .unwrap();
    (
        c.customers,
        c.purchases,
        serde_json::to_string(&page.rows).unwrap(),
    )
}

fn rusqlite_conn(s: &Store) -> rusqlite::Connection {
    rusqlite::Connection::open(s.path().unwrap()).unwrap()
}

#[test]
fn backup_is_online_verified_and_renamed_into_place() {
    let (dir, s) = demo_shop();
    let info = backup_now(&s);
    let folder = dir.path().join("backups");
    let names = files_in(&folder);
    assert_eq!(names.len(), 1, "no temp file left: {names:?}");
    assert!(
        names[0].starts_with("khachquen-")
            && names[0].len() == "khachquen-20261123-093000.kqbackup".len()
    );
    assert_eq!(info.counts.customers, 300);
    assert_eq!(info.counts.purchases, 1500);
    assert_eq!(info.schema_version, db::schema_version());
    assert_eq!(info.kind.as_deref(), Some("manual"));
    // Self-contained: a rollback-journal file, nothing beside it.
    let bytes = std::fs::read(&info.file).unwrap();
    assert_eq!((bytes[18], bytes[19]), (1, 1));
    let again = backup::verify(Path::new(&info.file)).unwrap();
    assert_eq!(again.counts, info.counts);
    assert_eq!(files_in(&folder).len(), 1, "verify leaves no -wal / -shm");
    let st = s.backup_status().unwrap();
    assert!(!st.due && st.folder_is_default && st.last_error.is_none());
    assert_eq!(st.last_file.as_deref(), Some(info.file.as_str()));
    assert!(st.age_seconds.unwrap() < 60);
    let list = s.list_backups().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].ok);
}

#[test]
fn restore_swaps_the_data_keeps_a_safety_copy_and_this_machines_settings() {
    let (dir, s) = demo_shop();
    let before = fingerprint(&s);
    let info = backup_now(&s);
    let id = s
        .add_customer(customer("Khách Mới", "0999 888 777"))
        .unwrap()
        .id;
    buy(&s, id, "500000");
    s.configure_backups(None, Some("5")).unwrap();
    let changed = fingerprint(&s);
    assert_ne!(changed, before);

    let r = s
        .restore_backup(Path::new(&info.file), &mut |_, _| {})
        .unwrap();
    assert!(r.check.ok, "{:?}", r.check);
    assert_eq!(r.upgraded_from, None);
    assert_eq!(fingerprint(&s), before, "the backup's data is back");
    assert!(
        s.search("khach moi", 5).unwrap().is_empty(),
        "readers see it too"
    );
    assert_eq!(s.backup_status().unwrap().keep, 5, "backup settings stay");
    // The data just replaced is in the safety copy.
    let safety = backup::verify(Path::new(&r.safety_copy)).unwrap();
    assert_eq!(safety.counts.customers, 301);
    assert!(r.safety_copy.ends_with("-before-restore.kqbackup"));
    assert!(files_in(&dir.path().join("backups")).len() == 2);
    // The store keeps working, and nothing of the manifest leaked into the live data.
    let c = s
        .add_customer(customer("Sau Khôi Phục", "0988 111 222"))
        .unwrap();
    buy(&s, c.id, "100000");
    assert!(s.check().unwrap().ok);
    drop(s);
    let s = open(dir.path());
    assert_eq!(s.search("sau khoi phuc", 5).unwrap().len(), 1);
    let conn = rusqlite_conn(&s);
    assert_eq!(
        db::backup::setting(&conn, db::backup::MANIFEST_KEY).unwrap(),
        None
    );
}

#[test]
fn an_older_backup_is_upgraded_on_the_way_in() {
    let old = tempfile::tempdir().unwrap();
    let file = old.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&file).unwrap();
        db::migrate_to(&mut conn, 1).unwrap();
        conn.execute_batch(
            "INSERT INTO customers (id, name, name_fold, phone, phone_rev, source, created_at,
                updated_at, visits, total_minor, first_purchase_at, last_purchase_at)
             VALUES (1, 'Nguyễn Văn Đức', 'nguyen van duc', '0912345678', '8765432190',
                'walk_in', 1700000000, 1700000000, 1, 250000, 1700000000, 1700000000);
             INSERT INTO customer_search (rowid, name_fold, name_marked)
             VALUES (1, 'nguyen van duc', 'nguyễn văn đức');
             INSERT INTO purchases (id, customer_id, at, total_minor, payment_method, created_at)
             VALUES (1, 1, 1700000000, 250000, 'cash', 1700000000);",
        )
        .unwrap();
    }
    assert_eq!(backup::verify(&file).unwrap().schema_version, 1);
    let (_dir, s) = demo_shop();
    let r = s.restore_backup(&file, &mut |_, _| {}).unwrap();
    assert_eq!(r.upgraded_from, Some(1));
    assert!(r.check.ok);
    assert_eq!(s.search("nguyen duc", 5).unwrap()[0].id, 1);
    assert_eq!(s.customer_count().unwrap(), 1);
    // The upgraded schema works: purchases earn points, merges can be recorded.
    buy(&s, 1, "100000");
    assert_eq!(s.points(1, 10).unwrap().loyalty.balance, 10);
}

#[test]
fn a_file_with_another_page_size_is_restored_too() {
    let other = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(other.path().join("khachquen.db")).unwrap();
        conn.execute_batch("PRAGMA page_size = 8192; VACUUM;")
            .unwrap();
    }
    let id = {
        let s = open(other.path());
        let id = s
            .add_customer(customer("Trang Giấy", "0912 000 999"))
            .unwrap()
            .id;
        buy(&s, id, "300000");
        id
    };
    let (dir, s) = demo_shop();
    let r = s
        .restore_backup(&other.path().join("khachquen.db"), &mut |_, _| {})
        .unwrap();
    assert!(r.check.ok);
    assert_eq!(s.search("trang giay", 5).unwrap()[0].id, id);
    assert_eq!(s.customer_stats(id).unwrap().visits, 1);
    let leftovers: Vec<String> = files_in(&dir.path().join("backups"))
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Valid backup bytes to damage.
fn good_backup() -> (tempfile::TempDir, Vec<u8>) {
    let (dir, s) = demo_shop();
    let info = backup_now(&s);
    let bytes = std::fs::read(&info.file).unwrap();
    (dir, bytes)
}

#[test]
fn bad_files_get_a_clear_error_and_change_nothing() {
    let (_src, good) = good_backup();
    let bad = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| -> PathBuf {
        let p = bad.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut corrupt = good.clone();
    // Wreck the b-tree headers of a run of pages in the middle, keeping page 1 intact.
    let page = 4096;
    let pages = good.len() / page;
    for n in pages / 3..pages / 3 + 8 {
        corrupt[n * page..n * page + 64].fill(0xA5);
    }
    let foreign = bad.path().join("other-app.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
    }
    let foreign_versioned = bad.path().join("other-app-v3.db");
    {
        let c = rusqlite::Connection::open(&foreign_versioned).unwrap();
        c.execute_batch("CREATE TABLE customers (x TEXT); PRAGMA user_version = 3;")
            .unwrap();
    }
    let newer = bad.path().join("newer.db");
    std::fs::write(&newer, &good).unwrap();
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", db::schema_version() + 1)
            .unwrap();
    }
    let tampered = bad.path().join("tampered.db");
    std::fs::write(&tampered, &good).unwrap();
    {
        let c = rusqlite::Connection::open(&tampered).unwrap();
        c.execute_batch(
            "UPDATE settings SET value = replace(value, '\"customers\":300', '\"customers\":301')
             WHERE key = 'backup.manifest'",
        )
        .unwrap();
    }
    let cases: Vec<(PathBuf, &str)> = vec![
        (put("empty.db", b""), "backup.empty"),
        (
            put(
                "notes.txt",
                "Sổ ghi chép, không phải cơ sở dữ liệu".as_bytes(),
            ),
            "backup.not_database",
        ),
        (put("tiny.db", b"SQLite format 3\0abc"), "backup.truncated"),
        (put("half.db", &good[..good.len() / 2]), "backup.truncated"),
        (
            put("ragged.db", &good[..good.len() - 100]),
            "backup.truncated",
        ),
        (put("corrupt.db", &corrupt), "backup.corrupt"),
        (foreign, "backup.foreign"),
        (foreign_versioned, "backup.foreign"),
        (newer, "backup.too_new"),
        (tampered, "backup.counts_mismatch"),
        (bad.path().join("missing.db"), "backup.not_found"),
        (bad.path().to_owned(), "backup.not_database"),
    ];
    let (live, s) = demo_shop();
    let before = fingerprint(&s);
    for (path, code) in &cases {
        let original = std::fs::read(path).ok();
        let e = backup::verify(path).unwrap_err();
        assert_eq!(e.code(), *code, "verify {}: {e}", path.display());
        let e = s.restore_backup(path, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.code(), *code, "restore {}: {e}", path.display());
        assert_eq!(
            std::fs::read(path).ok(),
            original,
            "{} left as it was",
            path.display()
        );
    }
    assert_eq!(fingerprint(&s), before, "the live database is untouched");
    assert!(s.check().unwrap().ok);
    assert!(
        files_in(&live.path().join("backups")).is_empty(),
        "a refused file is refused before any safety copy"
    );
    let live_db = s.path().unwrap().to_owned();
    assert_eq!(
        s.restore_backup(&live_db, &mut |_, _| {})
            .unwrap_err()
            .code(),
        "backup.is_live"
    );
}

#[test]
fn explicit_targets_refuse_to_overwrite_unless_asked() {
    let (dir, s) = demo_shop();
    let target = dir.path().join("copy.db");
    s.create_backup(Some(&target), false, &mut |_, _| {})
        .unwrap();
    let e = s
        .create_backup(Some(&target), false, &mut |_, _| {})
        .unwrap_err();
    assert_eq!(e.code(), "backup.file_exists");
    s.create_backup(Some(&target), true, &mut |_, _| {})
        .unwrap();
    let live = s.path().unwrap().to_owned();
    let e = s
        .create_backup(Some(&live), true, &mut |_, _| {})
        .unwrap_err();
    assert_eq!(e.code(), "backup.is_live");
    let e = s
        .create_backup(Some(&dir.path().join("nope/x.db")), false, &mut |_, _| {})
        .unwrap_err();
    assert_eq!(e.code(), "backup.folder_missing");
    // A folder as the target gets a dated file inside it.
    let usb = tempfile::tempdir().unwrap();
    let info = s
        .create_backup(Some(usb.path()), false, &mut |_, _| {})
        .unwrap();
    assert!(Path::new(&info.file).starts_with(usb.path()));
    assert!(
        s.backup_status().unwrap().last_error.is_none(),
        "refusals are not failures"
    );
}

#[test]
fn automatic_backups_run_once_a_day_and_keep_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(dir.path());
    assert!(
        s.auto_backup_if_due().unwrap().is_none(),
        "an empty shop has nothing to keep"
    );
    let id = s
        .add_customer(customer("Nguyễn Văn Đức", "0912345678"))
        .unwrap()
        .id;
    buy(&s, id, "250000");

    let usb = tempfile::tempdir().unwrap();
    let st = s
        .configure_backups(Some(&usb.path().display().to_string()), Some("3"))
        .unwrap();
    assert!(!st.folder_is_default && st.due && st.keep == 3);
    // Older backups already there, and files rotation must never touch.
    let seed = s
        .create_backup(Some(&usb.path().join("seed.db")), false, &mut |_, _| {})
        .unwrap();
    for name in [
        "khachquen-20250101-080000.db",
        "khachquen-20250102-080000.db",
        "khachquen-20250103-080000.db",
        "khachquen-20250103-080000-2.db",
        "khachquen-20250101-080000-before-restore.db",
    ] {
        std::fs::copy(&seed.file, usb.path().join(name)).unwrap();
    }
    // The manual copy above counts as today's backup; make it look like yesterday's.
    s.configure_backups(None, None).unwrap();
    let conn = rusqlite_conn(&s);
    conn.execute(
        "UPDATE settings SET value = CAST(value AS INTEGER) - 86400 * 2 WHERE key = 'backup.last_ok_at'",
        [],
    )
    .unwrap();
    assert!(s.backup_status().unwrap().due);
    let info = s.auto_backup_if_due().unwrap().expect("due");
    assert_eq!(info.kind.as_deref(), Some("auto"));
    assert!(s.auto_backup_if_due().unwrap().is_none(), "once a day");
    let names = files_in(usb.path());
    assert_eq!(
        names
            .iter()
            .filter(|n| !n.contains("before-restore") && *n != "seed.db")
            .count(),
        3
    );
    assert!(names.contains(&"khachquen-20250101-080000-before-restore.db".into()));
    assert!(names.contains(&"seed.db".into()));
    assert!(
        !names.contains(&"khachquen-20250101-080000.db".into()),
        "oldest went"
    );
    assert!(names.contains(&"khachquen-20250103-080000-2.db".into()));

    // The drive is unplugged: the failure is reported and shown, nothing is written elsewhere.
    drop(usb);
    conn.execute("DELETE FROM settings WHERE key = 'backup.last_ok_at'", [])
        .unwrap();
    let e = s.auto_backup_if_due().unwrap_err();
    assert_eq!(e.code(), "backup.folder_missing");
    let st = s.backup_status().unwrap();
    assert_eq!(st.last_error.unwrap().error.code, "backup.folder_missing");
    assert!(st.due);
    assert!(!dir.path().join("backups").exists());
    // Back to the default folder: it works again and the error clears.
    s.configure_backups(Some(""), None).unwrap();
    s.auto_backup_if_due().unwrap().expect("due");
    let st = s.backup_status().unwrap();
    assert!(st.folder_is_default && st.last_error.is_none() && !st.due);
    assert_eq!(s.list_backups().unwrap().len(), 1);

    // A restore while the chosen drive is away keeps its safety copy in the default folder.
    let usb = tempfile::tempdir().unwrap();
    let file = s
        .create_backup(Some(&usb.path().join("x.db")), false, &mut |_, _| {})
        .unwrap()
        .file;
    s.configure_backups(Some(&usb.path().display().to_string()), None)
        .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("x.db");
    std::fs::rename(&file, &moved).unwrap();
    drop(usb);
    let r = s.restore_backup(&moved, &mut |_, _| {}).unwrap();
    assert!(Path::new(&r.safety_copy).starts_with(dir.path().join("backups")));

    let e = s.configure_backups(None, Some("0")).unwrap_err();
    assert_eq!(e.code(), "backup.keep_invalid");
    let e = s
        .configure_backups(Some("/no/such/folder/anywhere"), None)
        .unwrap_err();
    assert_eq!(
        (e.code(), e.params()["field"].as_str()),
        ("backup.folder_missing", Some("folder"))
    );
}

#[test]
fn a_backup_taken_while_purchases_are_written_restores_consistent() {
    let (dir, s) = demo_shop();
    let s = Arc::new(s);
    let id = s
        .add_customer(customer("Khách Quen", "0912 000 111"))
        .unwrap()
        .id;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let writer = {
        let (s, stop, acked) = (Arc::clone(&s), Arc::clone(&stop), Arc::clone(&acked));
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let r = s
                    .add_purchase(PurchaseInput {
                        customer_id: id,
                        amount: "120000".into(),
                        redeem: n.is_multiple_of(4).then_some(10),
                        client_id: Some(format!("bill-{n}")),
                        ..Default::default()
                    })
                    .unwrap();
                acked.lock().unwrap().push(r.purchase.id);
            }
        })
    };
    let mut taken = Vec::new();
    for _ in 0..3 {
        while acked.lock().unwrap().len() < taken.len() * 20 + 10 {
            std::thread::yield_now();
        }
        let before: Vec<i64> = acked.lock().unwrap().clone();
        let info = s.create_backup(None, false, &mut |_, _| {}).unwrap();
        taken.push((info, before));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        acked.lock().unwrap().len() > taken.last().unwrap().1.len(),
        "writes went on"
    );
    for (info, before) in taken {
        let target = tempfile::tempdir().unwrap();
        let t = open(target.path());
        let r = t
            .restore_backup(Path::new(&info.file), &mut |_, _| {})
            .unwrap();
        assert!(r.check.ok, "{:?}", r.check);
        assert_eq!(r.restored.counts, info.counts);
        for pid in &before {
            assert!(
                t.purchase(*pid).is_ok(),
                "purchase {pid} acknowledged before the backup"
            );
        }
        // Every purchase in the snapshot came with its points: one earn entry each.
        let v = t.points(id, 100_000).unwrap();
        let bills = t.purchases_of(id, 100_000).unwrap();
        let earns = v.ledger.iter().filter(|e| e.kind == "earn").count();
        assert_eq!(earns, bills.len());
        assert_eq!(
            v.loyalty.balance,
            v.ledger.iter().map(|e| e.points).sum::<i64>()
        );
        assert!(v.loyalty.balance >= 0);
    }
    drop(dir);
}

mod merge {
    use super::*;
    use khachquen_core::model::TierInput;

    fn tier(name: &str, threshold: &str) -> TierInput {
        TierInput {
            name: name.into(),
            threshold: threshold.into(),
            multiplier: "1".into(),
        }
    }

    #[test]
    fn merge_moves_history_and_keeps_the_figures_right() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        s.set_tiers(&[tier("Thành viên", "0"), tier("Vàng", "1000000")])
            .unwrap();
        let keep = s
            .add_customer(CustomerInput {
                tags: Some(vec!["VIP".into()]),
                note: Some("thích màu xanh".into()),
                ..customer("Nguyễn Văn Đức", "0912 345 678")
            })
            .unwrap()
            .id;
        let other = s
            .add_customer(CustomerInput {
                email: Some("duc@example.com".into()),
                birthday: Some("1990-05-12".into()),
                code: Some("KH9".into()),
                tags: Some(vec!["sỉ".into(), "VIP".into()]),
                note: Some("hay mua quà".into()),
                ..customer("Nguyen Van Duc", "0987 000 111")
            })
            .unwrap()
            .id;
        let friend = s
            .add_customer(CustomerInput {
                referred_by: Some(other.to_string()),
                ..customer("Bạn Của Đức", "0903 222 333")
            })
            .unwrap()
            .id;
        buy(&s, keep, "600000");
        buy(&s, other, "300000");
        let redeem = s
            .add_purchase(PurchaseInput {
                customer_id: other,
                amount: "200000".into(),
                redeem: Some(10),
                ..Default::default()
            })
            .unwrap();
        // 47.500 ₫ of the 190.000 ₫ paid in money undoes 50.000 ₫ of the bill.
        s.refund(redeem.purchase.id, Some("47500"), None).unwrap();
        let balance = s.points(keep, 1000).unwrap().loyalty.balance
            + s.points(other, 1000).unwrap().loyalty.balance;
        assert_eq!(
            s.points(keep, 10).unwrap().loyalty.tier.as_deref(),
            Some("Thành viên")
        );

        let r = s.merge_customers(keep, other).unwrap();
        assert_eq!(r.moved["purchases"], 2);
        assert_eq!(
            r.moved["points_ledger"], 5,
            "earn; redeem, earn; refund back and reversed"
        );
        assert_eq!(r.moved["referrals"], 1);
        assert_eq!(r.stats.visits, 3);
        assert_eq!(r.stats.total_spent.to_string(), "1050000");
        assert_eq!(r.loyalty.balance, balance);
        assert_eq!(
            r.loyalty.tier.as_deref(),
            Some("Vàng"),
            "tier follows the combined spend"
        );
        assert!(r.merged.archived_at.is_some());
        let k = &r.kept;
        assert_eq!(k.email.as_deref(), Some("duc@example.com"));
        assert_eq!(k.birthday.as_deref(), Some("1990-05-12"));
        assert_eq!(k.code.as_deref(), Some("KH9"));
        assert_eq!(k.tags, vec!["VIP", "sỉ"]);
        assert_eq!(k.note.as_deref(), Some("thích màu xanh\nhay mua quà"));
        assert_eq!(s.customer(friend).unwrap().referred_by, Some(keep));
        assert_eq!(s.resolve_customer("KH9").unwrap(), keep);
        assert_eq!(s.customer_stats(other).unwrap().visits, 0);
        assert_eq!(s.points(other, 10).unwrap().loyalty.balance, 0);
        let check = s.check().unwrap();
        assert!(check.ok, "{check:?}");
        let conn = rusqlite_conn(&s);
        let into: Option<i64> = conn
            .query_row(
                "SELECT merged_into FROM customers WHERE id = ?1",
                [other],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(into, Some(keep));
        // Refunding a moved purchase works on the kept customer's card.
        s.refund(redeem.purchase.id, None, None).unwrap();
        assert!(s.check().unwrap().ok);

        assert_eq!(
            s.merge_customers(keep, keep).unwrap_err().code(),
            "customer.merge_same"
        );
        assert_eq!(
            s.merge_customers(keep, other).unwrap_err().code(),
            "customer.already_merged"
        );
        assert_eq!(
            s.merge_customers(other, friend).unwrap_err().code(),
            "customer.archived"
        );
        assert_eq!(
            s.merge_customers(keep, 9999).unwrap_err().code(),
            "customer.not_found"
        );
    }

    #[test]
    fn the_ledger_may_be_reparented_but_never_edited() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let a = s.add_customer(customer("A", "0912 345 678")).unwrap().id;
        let b = s.add_customer(customer("B", "0912 345 679")).unwrap().id;
        buy(&s, a, "100000");
        let conn = rusqlite_conn(&s);
        conn.execute("UPDATE points_ledger SET customer_id = ?1", [b])
            .unwrap();
        for sql in [
            "UPDATE points_ledger SET points = points + 1",
            "UPDATE points_ledger SET kind = 'bonus'",
            "UPDATE points_ledger SET at = at + 1",
            "UPDATE points_ledger SET customer_id = customer_id, reason = 'x'",
            "DELETE FROM points_ledger",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql}");
        }
    }

    #[test]
    fn probable_duplicates_by_phone_name_and_birthday_or_email() {
        let s = Store::open_in_memory().unwrap();
        let old = s
            .add_customer(customer("Trần Thị Mai", "0912 345 678"))
            .unwrap()
            .id;
        s.archive_customer(old).unwrap();
        let mai = s
            .add_customer(customer("Tran Thi Mai", "+84 912 345 678"))
            .unwrap()
            .id;
        let with_bday = |name: &str, phone: &str, b: &str| {
            s.add_customer(CustomerInput {
                birthday: Some(b.into()),
                ..customer(name, phone)
            })
            .unwrap()
            .id
        };
        let an1 = with_bday("Nguyễn Văn An", "0901 000 001", "1990-05-12");
        let an2 = with_bday("Nguyen Van An", "0901 000 002", "1990-05-12");
        let an3 = with_bday("Nguyễn Văn An", "0901 000 003", "--05-12");
        let _other_year = with_bday("Nguyễn Văn An", "0901 000 004", "1985-06-12");
        let with_email = |name: &str, phone: &str| {
            s.add_customer(CustomerInput {
                email: Some("hoa@example.com".into()),
                ..customer(name, phone)
            })
            .unwrap()
            .id
        };
        let h1 = with_email("Lê Hoa", "0902 000 001");
        let h2 = with_email("Le Hoa", "0902 000 002");
        let _not_same_name = with_email("Lê Hoà Bình", "0902 000 003");

        let d = s.duplicates(100).unwrap();
        let sets: Vec<(Vec<String>, Vec<i64>)> = d
            .groups
            .iter()
            .map(|g| {
                (
                    g.reasons.clone(),
                    g.customers.iter().map(|c| c.id).collect(),
                )
            })
            .collect();
        assert_eq!(
            sets,
            vec![
                (vec!["phone".to_string()], vec![old, mai]),
                (vec!["name_email".to_string()], vec![h1, h2]),
                // Last: it only holds together through a birthday without a year.
                (vec!["name_birthday".to_string()], vec![an1, an2, an3]),
            ]
        );
        assert_eq!(d.total, 3);
        assert_eq!(d.groups[0].suggested_keep, mai, "the active one");
        assert_eq!(d.groups[0].keys, vec!["0912 345 678"]);
        // Merged customers are settled: they no longer show.
        s.merge_customers(mai, old).unwrap();
        s.merge_customers(an1, an2).unwrap();
        let d = s.duplicates(100).unwrap();
        assert_eq!(d.total, 2);
        assert_eq!(
            d.groups[1]
                .customers
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![an1, an3]
        );
        assert_eq!(s.duplicates(1).unwrap().groups.len(), 1);
    }
}

/// Backups with a passphrase (issue 9): age files, no plain byte on the drive.
mod encrypted {
    use super::*;
    use khachquen_core::backup::{crypto, PassphraseChange};

    const PASS: &str = "mật khẩu cửa hàng 2026";
    const PHONE: &str = "0987654321";

    /// A shop with one customer whose phone, name and birthday must never show on a drive;
    /// the scrypt work factor is cheap in this test binary only.
    fn secret_shop() -> (tempfile::TempDir, Store) {
        crypto::set_work_factor_for_tests(4);
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let id = s
            .add_customer(CustomerInput {
                birthday: Some("1987-11-23".into()),
                email: Some("bi.mat@example.com".into()),
                ..customer("Trần Thị Bí Mật", "0987 654 321")
            })
            .unwrap()
            .id;
        buy(&s, id, "450000");
        s.add_customer(customer("Lê Văn Hai", "0911 222 333"))
            .unwrap();
        (dir, s)
    }

    fn set(s: &Store, p: &str) -> khachquen_core::backup::BackupStatus {
        s.configure_backups_with(None, None, Some(PassphraseChange::Set(p)))
            .unwrap()
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn no_staging_left(dir: &Path) {
        let left: Vec<String> = files_in(dir)
            .into_iter()
            .filter(|n| n.starts_with(".backup-staging") || n.starts_with(".khachquen-"))
            .collect();
        assert!(left.is_empty(), "plain copies left behind: {left:?}");
    }

    /// Everything that could hold the passphrase in the clear: the database and its WAL.
    fn database_bytes(s: &Store) -> Vec<u8> {
        let db = s.path().unwrap();
        let mut bytes = std::fs::read(db).unwrap();
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        bytes.extend(std::fs::read(PathBuf::from(wal)).unwrap_or_default());
        bytes
    }

    #[test]
    fn round_trip_with_nothing_readable_on_the_drive() {
        let (dir, s) = secret_shop();
        let usb = tempfile::tempdir().unwrap();
        s.configure_backups(Some(&usb.path().display().to_string()), None)
            .unwrap();
        assert_eq!(s.backup_status().unwrap().encryption, "off");
        let older = tempfile::tempdir().unwrap();
        let older_plain = older.path().join("before-the-passphrase.db");
        s.create_backup(Some(&older_plain), false, &mut |_, _| {})
            .unwrap();
        let st = set(&s, PASS);
        assert_eq!(st.encryption, "on");
        // The database holds a check value and a sealed copy, never the passphrase.
        assert!(!contains(&database_bytes(&s), PASS.as_bytes()));
        assert!(dir.path().join(crypto::KEY_FILE).is_file());

        let before = fingerprint(&s);
        let info = backup_now(&s);
        assert!(info.encrypted);
        assert!(info.file.ends_with(".kqbackup.age"), "{}", info.file);
        assert!(Path::new(&info.file).starts_with(usb.path()));
        assert_eq!((info.counts.customers, info.counts.purchases), (2, 1));
        assert_eq!(
            files_in(usb.path()).len(),
            1,
            "no temp or plain file beside it"
        );
        no_staging_left(dir.path());
        let bytes = std::fs::read(&info.file).unwrap();
        assert_eq!(bytes.len() as u64, info.size);
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
        for needle in [
            PHONE,
            "987654321",
            "Bí Mật",
            "bi mat",
            "1987-11-23",
            "bi.mat@example.com",
            "SQLite format 3",
            PASS,
        ] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle:?} readable in the backup"
            );
        }
        // ...while a plain backup of the same shop shows the phone, as the test expects.
        let plain_dir = tempfile::tempdir().unwrap();
        let plain_shop = open(plain_dir.path());
        plain_shop
            .add_customer(customer("Trần Thị Bí Mật", "0987 654 321"))
            .unwrap();
        let plain = plain_shop
            .create_backup(Some(&plain_dir.path().join("p.db")), false, &mut |_, _| {})
            .unwrap();
        assert!(contains(
            &std::fs::read(&plain.file).unwrap(),
            PHONE.as_bytes()
        ));

        // The list shows it as encrypted; its content needs the passphrase.
        let list = s.list_backups().unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].encrypted && list[0].ok && list[0].info.is_none());
        // Verify: with the passphrase set here, with the right one, never with a wrong one.
        let file = Path::new(&info.file);
        let v = s.verify_backup(file, None).unwrap();
        assert!(v.encrypted && v.counts == info.counts && v.size == info.size);
        assert_eq!(
            s.verify_backup(file, Some(PASS)).unwrap().counts,
            info.counts
        );
        let e = s
            .verify_backup(file, Some("not the passphrase"))
            .unwrap_err();
        assert_eq!(
            (e.code(), e.params()["field"].as_str()),
            ("backup.passphrase_wrong", Some("passphrase"))
        );
        assert_eq!(
            backup::verify(file).unwrap_err().code(),
            "backup.passphrase_needed",
            "no passphrase: needed, not a bad file"
        );
        no_staging_left(dir.path());

        // Restore asks for the passphrase, then brings the data back.
        let id = s
            .add_customer(customer("Khách Mới", "0999 888 777"))
            .unwrap()
            .id;
        buy(&s, id, "100000");
        let changed = fingerprint(&s);
        assert_eq!(
            s.restore_backup(file, &mut |_, _| {}).unwrap_err().code(),
            "backup.passphrase_needed"
        );
        assert_eq!(fingerprint(&s), changed, "asking changes nothing");
        let r = s
            .restore_backup_with(file, Some(PASS), false, &mut |_, _| {})
            .unwrap();
        assert!(r.check.ok && r.restored.encrypted);
        assert_eq!(fingerprint(&s), before, "the backup's data is back");
        // The copy of what was there before is a backup like any other: encrypted.
        assert!(r.safety_copy.ends_with("-before-restore.kqbackup.age"));
        assert!(crypto::is_encrypted(Path::new(&r.safety_copy)));
        let safety = s
            .verify_backup(Path::new(&r.safety_copy), Some(PASS))
            .unwrap();
        assert_eq!(safety.counts.customers, 3);
        for name in files_in(usb.path()) {
            assert!(
                name.ends_with(".kqbackup.age"),
                "plain file on the drive: {name}"
            );
        }
        no_staging_left(dir.path());
        // This machine's passphrase survives the restore; the store keeps working.
        assert_eq!(s.backup_status().unwrap().encryption, "on");
        assert!(s.check().unwrap().ok);
        let again = backup_now(&s);
        assert!(again.encrypted);
        // A plain backup from before the passphrase still restores, without one; the copy
        // of what it replaces is encrypted all the same.
        assert_eq!(
            s.restore_backup(&older_plain, &mut |_, _| {})
                .unwrap_err()
                .code(),
            "backup.plain_needs_confirm",
            "a plain file only when the owner confirms"
        );
        let r = s
            .restore_backup_with(&older_plain, None, true, &mut |_, _| {})
            .unwrap();
        assert!(!r.restored.encrypted && r.check.ok);
        assert!(crypto::is_encrypted(Path::new(&r.safety_copy)));
        assert_eq!(fingerprint(&s), before);
        for name in files_in(usb.path()) {
            assert!(
                name.ends_with(".kqbackup.age"),
                "plain file on the drive: {name}"
            );
        }
        no_staging_left(dir.path());
    }

    #[test]
    fn a_wrong_passphrase_or_a_damaged_file_changes_nothing() {
        let (dir, s) = secret_shop();
        set(&s, PASS);
        let info = backup_now(&s);
        let good = std::fs::read(&info.file).unwrap();
        let folder = dir.path().join("backups");
        let bad = tempfile::tempdir().unwrap();
        let put = |name: &str, bytes: &[u8]| -> PathBuf {
            let p = bad.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let mut flipped = good.clone();
        let at = good.len() - 40;
        flipped[at] ^= 0x01;
        let header_end = good
            .windows(4)
            .position(|w| w == b"\n---")
            .expect("age header");
        let cases: Vec<(PathBuf, &str, &str)> = vec![
            (
                put("good.db.age", &good),
                "not the passphrase",
                "backup.passphrase_wrong",
            ),
            (
                put("half.db.age", &good[..good.len() / 2]),
                PASS,
                "backup.encrypted_damaged",
            ),
            (
                put("short.db.age", &good[..good.len() - 10]),
                PASS,
                "backup.encrypted_damaged",
            ),
            (
                put("header-only.db.age", &good[..header_end + 20]),
                PASS,
                "backup.encrypted_damaged",
            ),
            (
                put("cut-in-header.db.age", &good[..40]),
                PASS,
                "backup.encrypted_damaged",
            ),
            (
                put("flipped.db.age", &flipped),
                PASS,
                "backup.encrypted_damaged",
            ),
        ];
        let s2_dir = tempfile::tempdir().unwrap();
        let s2 = open(s2_dir.path());
        s2.add_customer(customer("Chủ Cửa Hàng Khác", "0933 444 555"))
            .unwrap();
        // The shop that made them, and one without a passphrase of its own (fewer cases:
        // each try costs a key derivation).
        for (store, cases) in [(&s, &cases[..]), (&s2, &cases[..2])] {
            let before = fingerprint(store);
            let copies = files_in(&folder);
            for (path, pass, code) in cases {
                let e = store
                    .restore_backup_with(path, Some(pass), false, &mut |_, _| {})
                    .unwrap_err();
                assert_eq!(e.code(), *code, "restore {}: {e}", path.display());
                let e = store.verify_backup(path, Some(pass)).unwrap_err();
                assert_eq!(e.code(), *code, "verify {}: {e}", path.display());
            }
            assert_eq!(fingerprint(store), before, "the live data is untouched");
            assert!(store.check().unwrap().ok);
            assert_eq!(files_in(&folder), copies, "refused before any safety copy");
            no_staging_left(store.path().unwrap().parent().unwrap());
        }
        // A truncated file still shows in the list, and its header is fine or not.
        let list = s.list_backups().unwrap();
        assert!(list.iter().all(|e| e.encrypted));
        // The list's quick look catches a file cut inside its header.
        std::fs::copy(
            bad.path().join("cut-in-header.db.age"),
            folder.join("khachquen-20250101-080000.db.age"),
        )
        .unwrap();
        let list = s.list_backups().unwrap();
        let cut = list
            .iter()
            .find(|e| e.name == "khachquen-20250101-080000.db.age")
            .unwrap();
        assert!(!cut.ok && cut.encrypted);
        assert_eq!(cut.error.as_ref().unwrap().code, "backup.encrypted_damaged");
    }

    #[test]
    fn automatic_backups_are_encrypted_and_wait_for_the_passphrase() {
        let (dir, s) = secret_shop();
        let e = s
            .configure_backups_with(None, None, Some(PassphraseChange::Set("short")))
            .unwrap_err();
        assert_eq!(
            (
                e.code(),
                e.params()["min"].as_u64(),
                e.params()["field"].as_str()
            ),
            ("backup.passphrase_too_short", Some(8), Some("passphrase"))
        );
        assert_eq!(s.backup_status().unwrap().encryption, "off", "nothing set");
        set(&s, PASS);
        let auto = s.auto_backup_if_due().unwrap().expect("due");
        assert!(auto.encrypted && auto.file.ends_with(".kqbackup.age"));
        assert_eq!(auto.kind.as_deref(), Some("auto"));
        let v = s.verify_backup(Path::new(&auto.file), None).unwrap();
        assert_eq!(v.kind.as_deref(), Some("auto"));
        let folder = dir.path().join("backups");
        let make_due = || {
            rusqlite_conn(&s)
                .execute("DELETE FROM settings WHERE key = 'backup.last_ok_at'", [])
                .unwrap();
        };

        // The machine key is lost (or the database moved to another computer): backups
        // pause, say so, and write nothing in the clear.
        std::fs::remove_file(dir.path().join(crypto::KEY_FILE)).unwrap();
        assert_eq!(s.backup_status().unwrap().encryption, "paused");
        make_due();
        let e = s.auto_backup_if_due().unwrap_err();
        assert_eq!(e.code(), "backup.passphrase_paused");
        let st = s.backup_status().unwrap();
        assert_eq!(
            st.last_error.unwrap().error.code,
            "backup.passphrase_paused"
        );
        assert!(st.due);
        assert_eq!(files_in(&folder).len(), 1, "no plain backup instead");
        // A manual backup with the passphrase given works meanwhile; a wrong one does not.
        let e = s
            .create_backup_with(None, false, false, Some("wrong passphrase"), &mut |_, _| {})
            .unwrap_err();
        assert_eq!(e.code(), "backup.passphrase_mismatch");
        let given = s
            .create_backup_with(None, false, false, Some(PASS), &mut |_, _| {})
            .unwrap();
        assert!(given.encrypted);
        // Entering it again resumes; a wrong one is refused and changes nothing.
        let e = s
            .configure_backups_with(None, None, Some(PassphraseChange::Unlock("wrong one!")))
            .unwrap_err();
        assert_eq!(e.code(), "backup.passphrase_mismatch");
        assert_eq!(s.backup_status().unwrap().encryption, "paused");
        let st = s
            .configure_backups_with(None, None, Some(PassphraseChange::Unlock(PASS)))
            .unwrap();
        assert_eq!(st.encryption, "on");
        make_due();
        assert!(s.auto_backup_if_due().unwrap().expect("due").encrypted);

        // A copy of the database elsewhere reveals nothing and cannot encrypt on its own.
        let elsewhere = tempfile::tempdir().unwrap();
        let copy = elsewhere.path().join("khachquen.db");
        s.create_backup(Some(&elsewhere.path().join("x.db")), false, &mut |_, _| {})
            .unwrap();
        s.restore_backup_with(
            &elsewhere.path().join("x.db.age"),
            Some(PASS),
            false,
            &mut |_, _| {},
        )
        .unwrap();
        std::fs::copy(s.path().unwrap(), &copy).unwrap();
        drop(s);
        let moved = open(elsewhere.path());
        assert_eq!(moved.backup_status().unwrap().encryption, "paused");
        let s = open(dir.path());

        // Cleared: backups are plain again (older ones stay encrypted).
        let st = s
            .configure_backups_with(None, None, Some(PassphraseChange::Clear))
            .unwrap();
        assert_eq!(st.encryption, "off");
        let plain = backup_now(&s);
        assert!(!plain.encrypted && plain.file.ends_with(".kqbackup"));
        // --encrypt with no passphrase anywhere is refused; with one it is used.
        let e = s
            .create_backup_with(None, false, true, None, &mut |_, _| {})
            .unwrap_err();
        assert_eq!(e.code(), "backup.passphrase_missing");
        let once = s
            .create_backup_with(None, false, true, Some("một lần thôi"), &mut |_, _| {})
            .unwrap();
        assert!(once.encrypted);
        assert_eq!(
            s.verify_backup(Path::new(&once.file), None)
                .unwrap_err()
                .code(),
            "backup.passphrase_needed"
        );
        s.verify_backup(Path::new(&once.file), Some("một lần thôi"))
            .unwrap();
        // Rotation counts plain and encrypted backups together.
        s.configure_backups(None, Some("2")).unwrap();
        backup_now(&s);
        let left: Vec<String> = files_in(&folder)
            .into_iter()
            .filter(|n| !n.contains("before-restore"))
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        no_staging_left(dir.path());
    }

    #[test]
    fn an_in_memory_store_encrypts_with_a_key_of_its_own() {
        crypto::set_work_factor_for_tests(4);
        let s = Store::open_in_memory().unwrap();
        s.add_customer(customer("Bộ Nhớ", "0912 111 000")).unwrap();
        let usb = tempfile::tempdir().unwrap();
        s.configure_backups(Some(&usb.path().display().to_string()), None)
            .unwrap();
        assert_eq!(set(&s, PASS).encryption, "on");
        let info = backup_now(&s);
        assert!(info.encrypted);
        assert_eq!(
            s.verify_backup(Path::new(&info.file), None)
                .unwrap()
                .counts
                .customers,
            1
        );
        assert_eq!(files_in(usb.path()).len(), 1);
    }
}

/// Issue 14: hostile files around backups and restores, long paths, leftovers, permissions.
mod hostile {
    use super::*;
    use khachquen_core::backup::{crypto, PassphraseChange};
    use khachquen_core::files;
    use khachquen_core::staff::audit::AuditFilter;

    const PASS: &str = "mật khẩu cửa hàng 2026";

    /// Every file in `dir` (recursively), with its mode.
    #[cfg(unix)]
    fn modes(dir: &Path) -> Vec<(String, u32)> {
        use std::os::unix::fs::PermissionsExt;
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_file() {
                out.push((
                    e.file_name().to_string_lossy().into_owned(),
                    m.permissions().mode() & 0o777,
                ));
            }
        }
        out
    }

    /// A copy of a good backup with `sql` run on it (behind the app's back).
    fn altered(good: &Path, dir: &Path, name: &str, sql: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::copy(good, &p).unwrap();
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch(sql).unwrap();
        p
    }

    #[cfg(unix)]
    #[test]
    fn planted_links_at_every_old_temporary_name_are_never_followed() {
        use std::os::unix::fs::symlink;
        let (dir, s) = demo_shop();
        let live = s.path().unwrap().to_owned();
        let before = fingerprint(&s);
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("copy.db");
        let plant = |folder: &Path, names: &[String]| {
            for n in names {
                let _ = std::fs::remove_file(folder.join(n));
                symlink(&live, folder.join(n)).unwrap();
            }
        };
        let old_names = |base: &str| -> Vec<String> {
            ["", "-journal", "-wal", "-shm"]
                .iter()
                .flat_map(|j| {
                    [
                        format!("{base}.tmp{j}"),
                        format!("{base}.age.tmp{j}"),
                        format!("{base}.repage.tmp{j}"),
                        format!(".{base}.partial{j}"),
                    ]
                })
                .collect()
        };
        // Planted before, and again while the copy runs (someone watching the folder): the
        // journal SQLite opens when the copy is sealed used to follow such a link.
        let watch = |folder: &Path| {
            for e in std::fs::read_dir(folder).unwrap().flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.ends_with(".tmp") && !n.starts_with('.') {
                    let j = folder.join(format!("{n}-journal"));
                    if std::fs::symlink_metadata(&j).is_err() {
                        symlink(&live, &j).unwrap();
                    }
                }
            }
        };
        plant(out.path(), &old_names("copy.db"));
        s.create_backup(Some(&target), false, &mut |_, _| {
            plant(out.path(), &old_names("copy.db"));
            watch(out.path());
        })
        .unwrap();
        assert!(!std::fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink());
        let folder = dir.path().join("backups");
        std::fs::create_dir_all(&folder).unwrap();
        s.create_backup(None, false, &mut |_, _| watch(&folder))
            .unwrap();
        assert_eq!(fingerprint(&s), before, "the live data is as it was");
        // A backup aimed at the live database or its companions is refused.
        for name in ["khachquen.db", "khachquen.db-wal", "khachquen.db-shm"] {
            let e = s
                .create_backup(Some(&dir.path().join(name)), true, &mut |_, _| {})
                .unwrap_err();
            assert_eq!(e.code(), "backup.is_live", "{name}");
        }
        // A restore whose page size differs went through `<safety>.repage.tmp` before.
        let other = tempfile::tempdir().unwrap();
        {
            let c = rusqlite::Connection::open(other.path().join("khachquen.db")).unwrap();
            c.execute_batch("PRAGMA page_size = 8192; VACUUM;").unwrap();
        }
        open(other.path())
            .add_customer(customer("Trang Giấy", "0912 000 999"))
            .unwrap();
        // Every name a safety copy could get in the next seconds, with each old suffix.
        let stamp = |d: i64| {
            (chrono::Utc::now() + chrono::Duration::seconds(d))
                .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                .format("%Y%m%d-%H%M%S")
                .to_string()
        };
        for d in 0..20 {
            for base in [
                format!("khachquen-{}-before-restore.db", stamp(d)),
                format!("khachquen-{}.db", stamp(d)),
            ] {
                plant(&folder, &old_names(&base));
            }
        }
        plant(dir.path(), &old_names("khachquen.db"));
        let r = s
            .restore_backup(&other.path().join("khachquen.db"), &mut |_, _| {
                watch(&folder)
            })
            .unwrap();
        assert!(r.check.ok);
        // Encrypted backups and restores name their temporaries the same safe way.
        crypto::set_work_factor_for_tests(4);
        s.configure_backups_with(None, None, Some(PassphraseChange::Set(PASS)))
            .unwrap();
        plant(out.path(), &old_names("sealed.db"));
        let sealed = s
            .create_backup(Some(&out.path().join("sealed.db")), false, &mut |_, _| {})
            .unwrap();
        s.restore_backup_with(Path::new(&sealed.file), Some(PASS), false, &mut |_, _| {})
            .unwrap();
        // The live database is still a database holding the restored shop, never a copy
        // written through a link.
        drop(s);
        let s = open(dir.path());
        assert!(s.check().unwrap().ok);
        assert_eq!(s.search("trang giay", 5).unwrap().len(), 1);
        assert_ne!(fingerprint(&s), before);
    }

    #[test]
    fn a_backup_whose_schema_differs_is_refused_by_name() {
        let (src, s) = demo_shop();
        // Staff, so the attack has a cashier to promote.
        let good = backup_now(&s);
        let good = Path::new(&good.file);
        let bad = tempfile::tempdir().unwrap();
        let some_index: String = rusqlite_conn(&s)
            .query_row(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
                 AND tbl_name = 'customers' ORDER BY name LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let cases = [
            (
                altered(
                    good,
                    bad.path(),
                    "trigger.db",
                    "CREATE TRIGGER loyal_forever AFTER INSERT ON purchases BEGIN
                         UPDATE staff SET role = 'owner' WHERE role = 'cashier';
                         INSERT INTO points_ledger (customer_id, kind, points, at, created_at)
                         VALUES (NEW.customer_id, 'bonus', 100000, NEW.at, NEW.at);
                     END;",
                ),
                "backup.schema_extra",
                "loyal_forever",
            ),
            (
                altered(good, bad.path(), "view.db", "CREATE VIEW peek AS SELECT 1;"),
                "backup.schema_extra",
                "peek",
            ),
            (
                altered(
                    good,
                    bad.path(),
                    "index.db",
                    "CREATE INDEX sneaky ON customers(note);",
                ),
                "backup.schema_extra",
                "sneaky",
            ),
            (
                altered(
                    good,
                    bad.path(),
                    "dropped.db",
                    &format!("DROP INDEX {some_index};"),
                ),
                "backup.schema_missing",
                some_index.as_str(),
            ),
            (
                altered(
                    good,
                    bad.path(),
                    "column.db",
                    "ALTER TABLE customers RENAME COLUMN note TO remark;",
                ),
                "backup.schema_altered",
                "customers",
            ),
            (
                altered(
                    good,
                    bad.path(),
                    "added.db",
                    "ALTER TABLE staff ADD COLUMN master_key TEXT;",
                ),
                "backup.schema_altered",
                "staff",
            ),
        ];
        let before = fingerprint(&s);
        for (path, code, name) in &cases {
            let e = backup::verify(path).unwrap_err();
            assert_eq!(
                (e.code(), e.params()["name"].as_str()),
                (*code, Some(*name)),
                "verify {}: {e}",
                path.display()
            );
            let e = s.restore_backup(path, &mut |_, _| {}).unwrap_err();
            assert_eq!(e.code(), *code, "restore {}: {e}", path.display());
            // The list shows it unusable too.
        }
        assert_eq!(fingerprint(&s), before, "nothing restored");
        assert_eq!(
            files_in(&src.path().join("backups")).len(),
            1,
            "no safety copy"
        );
        // The untouched file still restores.
        s.restore_backup(good, &mut |_, _| {}).unwrap();
    }

    #[test]
    fn a_backup_with_a_tampered_audit_entry_is_refused() {
        let (_dir, s) = demo_shop();
        let id = s
            .add_customer(customer("Khách Quen", "0912 000 111"))
            .unwrap()
            .id;
        buy(&s, id, "250000");
        let good = backup_now(&s);
        let bad = tempfile::tempdir().unwrap();
        let file = bad.path().join("tampered.db");
        std::fs::copy(&good.file, &file).unwrap();
        {
            // Edit an entry the way someone with the file would: triggers off, edit, triggers
            // back exactly as they were, so the schema still matches.
            let c = rusqlite::Connection::open(&file).unwrap();
            let triggers: Vec<String> = c
                .prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'audit_log'")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(!triggers.is_empty());
            c.execute_batch(
                "DROP TRIGGER audit_log_append_only_update;
                 DROP TRIGGER audit_log_append_only_delete;
                 UPDATE audit_log SET actor_name = 'Someone else'
                 WHERE id = (SELECT min(id) FROM audit_log);",
            )
            .unwrap();
            for t in triggers {
                c.execute_batch(&t).unwrap();
            }
        }
        let e = backup::verify(&file).unwrap_err();
        assert_eq!(
            (e.code(), e.params()["entry"].as_i64()),
            ("backup.audit_broken", Some(1))
        );
        let before = fingerprint(&s);
        let e = s.restore_backup(&file, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.code(), "backup.audit_broken");
        assert_eq!(fingerprint(&s), before);
        backup::verify(Path::new(&good.file)).unwrap();
    }

    #[test]
    fn a_shop_with_a_passphrase_restores_a_plain_file_only_when_confirmed() {
        crypto::set_work_factor_for_tests(4);
        let (dir, s) = demo_shop();
        let plain = dir.path().join("plain.db");
        s.create_backup(Some(&plain), false, &mut |_, _| {})
            .unwrap();
        let id = s
            .add_customer(customer("Sau Sao Lưu", "0912 000 222"))
            .unwrap()
            .id;
        buy(&s, id, "100000");
        // Without a passphrase a plain file restores as before.
        let other_dir = tempfile::tempdir().unwrap();
        open(other_dir.path())
            .restore_backup(&plain, &mut |_, _| {})
            .unwrap();
        s.configure_backups_with(None, None, Some(PassphraseChange::Set(PASS)))
            .unwrap();
        let before = fingerprint(&s);
        let copies = files_in(&dir.path().join("backups"));
        let e = s.restore_backup(&plain, &mut |_, _| {}).unwrap_err();
        assert_eq!(
            (e.code(), e.params()["file"].as_str()),
            ("backup.plain_needs_confirm", plain.to_str())
        );
        assert_eq!(fingerprint(&s), before, "asking changes nothing");
        assert_eq!(
            files_in(&dir.path().join("backups")),
            copies,
            "no safety copy"
        );
        let r = s
            .restore_backup_with(&plain, None, true, &mut |_, _| {})
            .unwrap();
        assert!(!r.restored.encrypted);
        assert!(crypto::is_encrypted(Path::new(&r.safety_copy)));
        assert!(s.search("sau sao luu", 5).unwrap().is_empty());
    }

    /// A folder path of at least `len` characters under `root`.
    fn deep(root: &Path, len: usize) -> PathBuf {
        let mut p = root.to_owned();
        let mut n = 0;
        while p.display().to_string().chars().count() < len {
            n += 1;
            p = p.join(format!("thư-mục-sao-lưu-rất-dài-{n:02}"));
        }
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    fn entries(s: &Store, action: &str) -> Vec<khachquen_core::store::audit::AuditEntry> {
        s.audit_list(&AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        })
        .unwrap()
        .entries
    }

    #[test]
    fn long_paths_record_success_and_restore_whole() {
        for len in [120, 320] {
            let (_dir, s) = demo_shop();
            let root = tempfile::tempdir().unwrap();
            let folder = deep(root.path(), len);
            s.configure_backups(Some(&folder.display().to_string()), None)
                .unwrap();
            let auto = s.auto_backup_if_due().unwrap().expect("due");
            assert!(auto.file.chars().count() > len);
            let st = s.backup_status().unwrap();
            assert!(st.last_error.is_none(), "{:?}", st.last_error);
            assert!(
                !st.due,
                "a good backup counts, so the next hour does not redo it"
            );
            assert_eq!(st.last_file.as_deref(), Some(auto.file.as_str()));
            let made = entries(&s, "backup.create");
            assert_eq!(made[0].after.as_ref().unwrap()["file"], auto.file.as_str());
            // Rotation sees it as today's: a second manual backup and keep=1 leave one.
            s.configure_backups(None, Some("1")).unwrap();
            let manual = backup_now(&s);
            assert_eq!(
                files_in(&folder)
                    .into_iter()
                    .filter(|n| n.starts_with("khachquen-"))
                    .count(),
                1
            );
            // Restore from the long path: the data and its audit entry go in together.
            let id = s
                .add_customer(customer("Khách Mới", "0999 888 777"))
                .unwrap()
                .id;
            buy(&s, id, "500000");
            let mut seen = Vec::new();
            let r = s
                .restore_backup(Path::new(&manual.file), &mut |d, t| seen.push((d, t)))
                .unwrap();
            assert!(r.check.ok);
            assert!(s.search("khach moi", 5).unwrap().is_empty());
            let restored = entries(&s, "backup.restore");
            assert_eq!(restored.len(), 1);
            let after = restored[0].after.as_ref().unwrap();
            assert_eq!(after["file"], manual.file.as_str());
            assert_eq!(after["safety_copy"], r.safety_copy.as_str());
            assert!(s.audit_verify().unwrap().ok);
            // Progress rose to the end.
            assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
            let (d, t) = *seen.last().unwrap();
            assert_eq!(d, t);
        }
    }

    /// What a backup killed at each step leaves behind, in this version and older ones.
    #[test]
    fn the_next_start_removes_what_killed_backups_left() {
        crypto::set_work_factor_for_tests(4);
        let (dir, s) = demo_shop();
        s.configure_backups_with(None, None, Some(PassphraseChange::Set(PASS)))
            .unwrap();
        let good = backup_now(&s);
        let folder = dir.path().join("backups");
        let plain_bytes = std::fs::read(s.path().unwrap()).unwrap();
        // This version: held private folders whose process is gone (the lock went with it),
        // one with a half-written backup, one with the plain copy of an encrypted backup.
        for (at, name) in [
            (&folder, "khachquen-x.db.age"),
            (&dir.path().to_owned(), "snapshot.db"),
        ] {
            let d = at.join(format!("{}killed", files::TEMP_PREFIX));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join(".held"), b"").unwrap();
            std::fs::write(d.join(name), &plain_bytes).unwrap();
        }
        // Older versions: a full-size `.db.tmp` beside the backups (and its journal), and a
        // plain snapshot in a staging folder.
        std::fs::write(
            folder.join("khachquen-20250101-080000.db.tmp"),
            &plain_bytes,
        )
        .unwrap();
        std::fs::write(
            folder.join("khachquen-20250101-080000.db.tmp-journal"),
            b"j",
        )
        .unwrap();
        let staging = dir.path().join(".backup-staging-AbC123");
        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join("snapshot.db"), &plain_bytes).unwrap();
        // Another process's backup in progress right now: left alone.
        let busy = files::held_private_dir_in(&folder).unwrap();
        std::fs::write(busy.path().join("in-progress.db"), b"x").unwrap();
        drop(s);

        let s = open(dir.path());
        assert!(s.auto_backup_if_due().unwrap().is_none(), "done today");
        let left: Vec<String> = files_in(&folder)
            .into_iter()
            .chain(files_in(dir.path()))
            .filter(|n| n.starts_with('.') || n.ends_with(".tmp") || n.ends_with("-journal"))
            .collect();
        let busy_name = busy
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(left, vec![busy_name], "only the live one stays");
        assert!(busy.path().join("in-progress.db").exists());
        drop(busy);
        // What is left in the backup folder: the good backup, and it still checks.
        assert_eq!(
            files_in(&folder),
            vec![Path::new(&good.file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()]
        );
        s.verify_backup(Path::new(&good.file), None).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn backups_and_safety_copies_are_readable_by_their_owner_only() {
        crypto::set_work_factor_for_tests(4);
        let (dir, s) = demo_shop();
        // A permissive umask must not matter.
        // SAFETY: umask only changes this process's default file mode.
        let old = unsafe { libc::umask(0o022) };
        let usb = tempfile::tempdir().unwrap();
        s.auto_backup_if_due().unwrap().expect("due");
        let manual = backup_now(&s);
        s.create_backup(Some(&usb.path().join("explicit.db")), false, &mut |_, _| {})
            .unwrap();
        s.restore_backup(Path::new(&manual.file), &mut |_, _| {})
            .unwrap();
        s.configure_backups_with(None, None, Some(PassphraseChange::Set(PASS)))
            .unwrap();
        let sealed = backup_now(&s);
        s.restore_backup_with(Path::new(&sealed.file), Some(PASS), false, &mut |_, _| {})
            .unwrap();
        unsafe { libc::umask(old) };
        let all: Vec<(String, u32)> = modes(&dir.path().join("backups"))
            .into_iter()
            .chain(modes(usb.path()))
            .collect();
        // auto, manual, before-restore, encrypted, encrypted before-restore, explicit.
        assert_eq!(all.len(), 6, "{all:?}");
        for (name, mode) in all {
            assert_eq!(mode, 0o600, "{name}");
        }
    }
}

/// Every backup carries the audit chain's sealed head, the same one `audit verify` shows
/// the owner; verifying the file later reads it back from the file itself.
#[test]
fn a_backup_carries_the_audit_chain_head_shown_to_the_owner() {
    let (_dir, s) = demo_shop();
    let b = backup_now(&s);
    let head = s.audit_verify().unwrap().head.expect("a sealed head");
    // The backup's own entry is written after the snapshot: the file's head is the one before.
    let carried = b.audit_head.clone().expect("the backup carries a head");
    assert!(carried.starts_with('#'), "{carried}");
    assert!(
        head.id
            >= carried[1..]
                .split(' ')
                .next()
                .unwrap()
                .parse::<i64>()
                .unwrap()
    );
    let again = s.verify_backup(Path::new(&b.file), None).unwrap();
    assert_eq!(again.audit_head, b.audit_head);
    // A fresh shop's head, once backed up, matches what verify shows right before.
    let before = s.audit_verify().unwrap().head.unwrap();
    let b2 = backup_now(&s);
    assert_eq!(
        b2.audit_head,
        Some(format!("#{} {}", before.id, before.fingerprint))
    );
}
