//! The audit log: filters, and the hash chain catching edits made with plain SQL.

use khachquen_core::model::CustomerInput;
use khachquen_core::staff::audit::AuditFilter;
use khachquen_core::store::audit::{self, BreakReason, BrokenEntry, NewAuditEntry, Via, GENESIS};
use khachquen_core::Store;
use proptest::prelude::*;
use rusqlite::types::Value;
use rusqlite::Connection;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Shop-local (+07:00) wall time as unix seconds.
fn at(local: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&format!("{local}+07:00"))
        .unwrap()
        .timestamp()
}

fn entry(actor: &str, action: &str, when: &str) -> NewAuditEntry {
    let entity = action.split('.').next().unwrap_or("x");
    NewAuditEntry::new(actor, Via::Window, action, entity).at(at(when))
}

fn customer(s: &Store, name: &str, phone: &str) -> i64 {
    s.add_customer(crate::customer(name, phone)).unwrap().id
}

/// The entries matching `f`, newest first, among those dated 2020 (so entries the app itself
/// records, stamped now, never interfere).
fn ids(s: &Store, mut f: AuditFilter) -> Vec<i64> {
    f.until.get_or_insert_with(|| "2020-12-31".into());
    s.audit_list(&f)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn list_filters_by_staff_action_customer_and_day() {
    let s = Store::open_in_memory().unwrap();
    let (mai, duc) = (
        customer(&s, "Trần Thị Mai", "0987654321"),
        customer(&s, "Nguyễn Văn Đức", "0912345678"),
    );
    let entries = [
        entry("Lan", "customer.update", "2020-03-01T08:00:00")
            .customer(mai)
            .entity_id(mai)
            .before(json!({"phone": "0987654320"}))
            .after(json!({"phone": "0987654321"})),
        entry("Lan", "purchase.add", "2020-03-01T23:59:59")
            .customer(mai)
            .entity_id(17),
        entry("Minh", "purchase.add", "2020-03-02T00:00:00").customer(duc),
        entry("Owner", "export.run", "2020-03-03T09:00:00")
            .after(json!({"kind": "customers", "rows": 2})),
        entry("system", "backup.create", "2020-03-04T02:00:00"),
    ];
    let id: Vec<i64> = entries.iter().map(|e| s.audit_append(e).unwrap()).collect();
    let pick = |which: &[usize]| -> Vec<i64> { which.iter().map(|&i| id[i - 1]).collect() };
    assert!(id.windows(2).all(|w| w[1] == w[0] + 1), "consecutive ids");
    // Newest first.
    assert_eq!(ids(&s, AuditFilter::default()), pick(&[5, 4, 3, 2, 1]));
    let staff = |name: &str| AuditFilter {
        staff: Some(name.into()),
        ..Default::default()
    };
    assert_eq!(ids(&s, staff("lan")), pick(&[2, 1]), "case-insensitive");
    assert_eq!(ids(&s, staff(" Minh ")), pick(&[3]));
    assert!(ids(&s, staff("Nobody")).is_empty());
    let action = |a: &str| AuditFilter {
        action: Some(a.into()),
        ..Default::default()
    };
    assert_eq!(ids(&s, action("purchase.add")), pick(&[3, 2]));
    assert_eq!(
        ids(&s, action("customer")),
        pick(&[1]),
        "a prefix before the dot"
    );
    assert!(
        ids(&s, action("purchase.ad")).is_empty(),
        "not a bare prefix"
    );
    let cust = |id: i64| AuditFilter {
        customer_id: Some(id),
        ..Default::default()
    };
    assert_eq!(ids(&s, cust(mai)), pick(&[2, 1]));
    // Shop-local days: 23:59:59 belongs to the 1st, midnight to the 2nd.
    let days = |since: Option<&str>, until: Option<&str>| AuditFilter {
        since: since.map(Into::into),
        until: until.map(Into::into),
        ..Default::default()
    };
    assert_eq!(
        ids(&s, days(Some("2020-03-01"), Some("2020-03-01"))),
        pick(&[2, 1])
    );
    assert_eq!(ids(&s, days(Some("2020-03-02"), None)), pick(&[5, 4, 3]));
    assert_eq!(ids(&s, days(None, Some("2020-03-02"))), pick(&[3, 2, 1]));
    assert_eq!(
        ids(&s, days(Some("2020-03-01T12:00"), Some("2020-03-03T09:00"))),
        pick(&[4, 3, 2]),
        "instants as well as days"
    );
    // Filters combine; the total counts every match, the page holds `limit` of them.
    let f = AuditFilter {
        action: Some("purchase".into()),
        since: Some("2020-03-01".into()),
        until: Some("2020-12-31".into()),
        limit: Some(1),
        ..Default::default()
    };
    let page = s.audit_list(&f).unwrap();
    assert_eq!((page.total, page.entries.len()), (2, 1));
    assert_eq!(page.entries[0].id, id[2]);
    let next = s.audit_list(&AuditFilter { offset: 1, ..f }).unwrap();
    assert_eq!(next.entries[0].id, id[1]);
    // The wire form: before/after as JSON values, the via as a word.
    let first = &s.audit_list(&action("customer.update")).unwrap().entries[0];
    assert_eq!(first.before, Some(json!({"phone": "0987654320"})));
    assert_eq!(first.via, "window");
    if id[0] == 1 {
        assert_eq!(first.prev_hash, GENESIS);
    }
    let wire = serde_json::to_value(first).unwrap();
    assert_eq!(wire["after"]["phone"], "0987654321");
    assert_eq!(wire["at"], "2020-03-01T01:00:00Z");
    // Bad dates are refused with the filter's name.
    for (since, until) in [(Some("2026-13-01"), None), (None, Some("yesterday"))] {
        let err = s.audit_list(&days(since, until)).unwrap_err();
        assert_eq!(err.code(), "filter.invalid");
    }
    // After a merge, the kept customer's log includes the merged one's entries.
    s.merge_customers(mai, duc).unwrap();
    assert_eq!(ids(&s, cust(mai)), pick(&[3, 2, 1]));
    assert!(s.audit_verify().unwrap().ok);
}

/// A store on a temp file holding `n` entries, closed again.
fn file_with(n: i64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    let s = Store::open(&path).unwrap();
    for i in 0..n {
        s.audit_append(
            &NewAuditEntry::new("Lan", Via::Cli, "points.adjust", "points")
                .at(1_772_000_000 + i * 60)
                .actor_id(1)
                .entity_id(100 + i)
                .customer(i % 3 + 1)
                .before(json!({"balance": i * 10}))
                .after(json!({"balance": i * 10 + 5, "reason": "Tết"})),
        )
        .unwrap();
    }
    let v = s.audit_verify().unwrap();
    assert!(v.ok && v.entries == n, "{v:?}");
    (dir, path)
}

/// A raw connection as an attacker would open it: the append-only triggers dropped.
fn attacker(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_append_only_update;
         DROP TRIGGER IF EXISTS audit_log_append_only_delete;
         PRAGMA ignore_check_constraints = ON;",
    )
    .unwrap();
    conn
}

fn broken(path: &Path) -> Option<BrokenEntry> {
    let v = khachquen_core::store::session::as_system(|| Store::open(path).unwrap().audit_verify())
        .unwrap();
    assert_eq!(v.ok, v.first_broken.is_none());
    v.first_broken
}

fn at_entry(id: i64, reason: BreakReason) -> Option<BrokenEntry> {
    Some(BrokenEntry { id, reason })
}

#[test]
fn plain_sql_cannot_change_the_log_while_the_triggers_stand() {
    let (_dir, path) = file_with(3);
    let conn = Connection::open(&path).unwrap();
    let err = conn
        .execute("UPDATE audit_log SET actor_name = 'Owner' WHERE id = 2", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(conn
        .execute("DELETE FROM audit_log WHERE id = 3", [])
        .is_err());
    drop(conn);
    assert_eq!(broken(&path), None);
}

#[test]
fn verify_names_the_entry_edited_with_plain_sql() {
    let (_dir, path) = file_with(6);
    attacker(&path)
        .execute(
            r#"UPDATE audit_log SET after_json = '{"balance":99999}' WHERE id = 4"#,
            [],
        )
        .unwrap();
    let s = Store::open(&path).unwrap();
    let v = s.audit_verify().unwrap();
    assert!(!v.ok);
    assert_eq!(v.entries, 6);
    assert_eq!(v.first_broken, at_entry(4, BreakReason::HashMismatch));
    let err = v.error().unwrap();
    assert_eq!(err.code(), "audit.entry_altered");
    assert_eq!(err.params()["id"], 4);
    // The app keeps working, and the break stays named however much is added after it.
    s.audit_append(&NewAuditEntry::new(
        "Lan",
        Via::Window,
        "customer.add",
        "customer",
    ))
    .unwrap();
    let v = s.audit_verify().unwrap();
    assert_eq!(
        (v.entries, v.first_broken),
        (7, at_entry(4, BreakReason::HashMismatch))
    );
}

#[test]
fn verify_names_a_deleted_entry() {
    let (_dir, path) = file_with(6);
    attacker(&path)
        .execute("DELETE FROM audit_log WHERE id = 3", [])
        .unwrap();
    assert_eq!(broken(&path), at_entry(3, BreakReason::Missing));
    let v = Store::open(&path).unwrap().audit_verify().unwrap();
    assert_eq!(v.entries, 5);
    assert_eq!(v.error().unwrap().code(), "audit.entry_missing");
}

#[test]
fn deleting_the_newest_entries_shows_too() {
    let (_dir, path) = file_with(6);
    attacker(&path)
        .execute("DELETE FROM audit_log WHERE id >= 5", [])
        .unwrap();
    assert_eq!(broken(&path), at_entry(5, BreakReason::Missing));
    // A later entry never reuses the deleted ids, so the gap stays visible.
    let s = Store::open(&path).unwrap();
    let id = s
        .audit_append(&NewAuditEntry::new(
            "Lan",
            Via::Window,
            "customer.add",
            "customer",
        ))
        .unwrap();
    assert_eq!(id, 7);
    assert_eq!(
        s.audit_verify().unwrap().first_broken,
        at_entry(5, BreakReason::Missing)
    );
}

/// The columns in hash order, for building a forged row's hash the way the app does.
fn raw_fields(conn: &Connection, id: i64) -> Vec<Value> {
    conn.query_row(
        "SELECT id, at, actor_id, actor_name, via, action, entity, entity_id, customer_id,
                before_json, after_json, prev_hash FROM audit_log WHERE id = ?1",
        [id],
        |r| (0..12).map(|i| r.get(i)).collect(),
    )
    .unwrap()
}

fn hash_of(fields: &[Value]) -> String {
    let refs: Vec<rusqlite::types::ValueRef> = fields.iter().map(Into::into).collect();
    audit::entry_hash(&refs)
}

#[test]
fn a_forged_replacement_is_caught() {
    let (_dir, path) = file_with(6);
    let conn = attacker(&path);
    // A naive forgery: the row deleted and inserted again with its old hash kept.
    conn.execute_batch(
        r#"CREATE TEMP TABLE keep AS SELECT * FROM audit_log WHERE id = 3;
           DELETE FROM audit_log WHERE id = 3;
           UPDATE keep SET after_json = '{"balance":0}', actor_name = 'Minh';
           INSERT INTO audit_log SELECT * FROM keep;"#,
    )
    .unwrap();
    drop(conn);
    assert_eq!(broken(&path), at_entry(3, BreakReason::HashMismatch));
    // A careful one: the forged row's own hash recomputed with the public encoding. Its
    // hash holds, but not its seal, which needs the key outside the database.
    let conn = attacker(&path);
    let hash = hash_of(&raw_fields(&conn, 3));
    conn.execute("UPDATE audit_log SET hash = ?1 WHERE id = 3", [&hash])
        .unwrap();
    drop(conn);
    assert_eq!(broken(&path), at_entry(3, BreakReason::SealBroken));
    let v = Store::open(&path).unwrap().audit_verify().unwrap();
    assert_eq!(v.error().unwrap().code(), "audit.seal_broken");
}

#[test]
fn an_entry_slipped_in_is_caught() {
    let (_dir, path) = file_with(4);
    let conn = attacker(&path);
    // Renumber the newest entries up by one to make room, then insert a well-formed entry.
    conn.execute_batch(
        "UPDATE audit_log SET id = id + 100 WHERE id >= 3;
         UPDATE audit_log SET id = id - 99 WHERE id >= 100;",
    )
    .unwrap();
    let mut f = raw_fields(&conn, 2);
    f[0] = Value::Integer(3);
    f[11] = Value::Text(
        conn.query_row("SELECT hash FROM audit_log WHERE id = 2", [], |r| r.get(0))
            .unwrap(),
    );
    let h = hash_of(&f);
    let mut all = f.clone();
    all.push(Value::Text(h));
    all.extend([Value::Null, Value::Null, Value::Null]);
    conn.execute(
        "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                                       ?14, ?15, ?16)",
        rusqlite::params_from_iter(all),
    )
    .unwrap();
    drop(conn);
    // Entry 3 is now the forgery, chained and hashed correctly but unsealed after sealed
    // entries (and the old 3, now 4, still links to entry 2).
    assert_eq!(broken(&path), at_entry(3, BreakReason::Unsealed));
}

const COLUMNS: [&str; 13] = [
    "id",
    "at",
    "actor_id",
    "actor_name",
    "via",
    "action",
    "entity",
    "entity_id",
    "customer_id",
    "before_json",
    "after_json",
    "prev_hash",
    "hash",
];

/// A copy of a closed file holding `n` entries: building one costs a few fsyncs per entry,
/// so each size is built once and copied for every case.
fn copy_of(n: i64) -> (tempfile::TempDir, PathBuf) {
    static TEMPLATES: Mutex<Vec<(i64, tempfile::TempDir, PathBuf)>> = Mutex::new(Vec::new());
    let mut t = TEMPLATES.lock().unwrap_or_else(|p| p.into_inner());
    if !t.iter().any(|(m, ..)| *m == n) {
        let (dir, path) = file_with(n);
        t.push((n, dir, path));
    }
    let src = t
        .iter()
        .find(|(m, ..)| *m == n)
        .map(|(_, _, p)| p.clone())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    std::fs::copy(src, &path).unwrap();
    (dir, path)
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Integer),
        (-5i64..20).prop_map(Value::Integer),
        (-1.0e6f64..1.0e6).prop_map(Value::Real),
        "\\PC{0,16}".prop_map(Value::Text),
        "[0-9a-f]{64}".prop_map(Value::Text),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Blob),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Changing any one column of any one entry with plain SQL makes verify name that entry.
    #[test]
    fn any_single_field_change_is_named(
        n in 1i64..6,
        pick in 0i64..1000,
        col in 0usize..13,
        new in any_value(),
    ) {
        let (_dir, path) = copy_of(n);
        let k = pick % n + 1;
        let conn = attacker(&path);
        let column = COLUMNS[col];
        let old: Value = conn
            .query_row(&format!("SELECT {column} FROM audit_log WHERE id = ?1"), [k], |r| r.get(0))
            .unwrap();
        // Values the table refuses (NOT NULL, a non-integer id, a taken id) cannot be
        // written by an attacker either.
        prop_assume!(column != "id" || matches!(new, Value::Integer(_)));
        let changed = conn.execute(
            &format!("UPDATE audit_log SET {column} = ?1 WHERE id = ?2"),
            rusqlite::params![new, k],
        );
        prop_assume!(changed.is_ok());
        let new_id = if column == "id" { match new { Value::Integer(i) => i, _ => k } } else { k };
        let stored: Value = conn
            .query_row(&format!("SELECT {column} FROM audit_log WHERE id = ?1"), [new_id], |r| r.get(0))
            .unwrap();
        // Column affinity may store the same value again (the text '5' as the integer 5).
        prop_assume!(stored != old);
        let found = audit::verify(&conn).unwrap().first_broken;
        drop(conn);
        let expected = match column {
            "id" if new_id > n => at_entry(k, BreakReason::Missing),
            "id" => found.filter(|b| b.id == new_id),
            "prev_hash" => at_entry(k, BreakReason::PrevHashMismatch),
            _ => at_entry(k, BreakReason::HashMismatch),
        };
        prop_assert!(found.is_some());
        prop_assert_eq!(found, expected, "{} of entry {} set to {:?}", column, k, stored);
        // The Store reads the same file and agrees.
        prop_assert_eq!(broken(&path), found);
    }
}

#[test]
fn changes_backups_and_restores_are_logged_with_who_and_before_after() {
    use khachquen_core::store::session::{as_system, Perm};
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("khachquen.db")).unwrap();
    s.set_interface(Via::Window);
    s.setup_owner("Chị Lan", "1234").unwrap();
    let id = customer(&s, "Trần Thị Mai", "0987654321");
    s.update_customer(
        id,
        CustomerInput {
            name: Some("Trần Thị Mai".into()),
            note: Some("VIP".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let page = s
        .audit_list(&AuditFilter {
            action: Some("customer.update".into()),
            ..Default::default()
        })
        .unwrap();
    let e = &page.entries[0];
    assert_eq!(
        (e.actor_name.as_str(), e.via.as_str()),
        ("Chị Lan", "window")
    );
    assert_eq!(e.customer_id, Some(id));
    assert_eq!(e.before.as_ref().unwrap()["note"], json!(null));
    assert_eq!(e.after.as_ref().unwrap()["note"], "VIP");

    let file = dir.path().join("b.db");
    s.create_backup(Some(&file), false, &mut |_, _| {}).unwrap();
    // A change after the backup, which the restore will undo.
    customer(&s, "Lê Văn Tâm", "0912000111");
    // The app's own scheduled work is "system", whoever is signed in.
    let r = as_system(|| s.require(Perm::Maintenance)).unwrap();
    assert_eq!(r.name, "system");
    s.restore_backup(&file, &mut |_, _| {}).unwrap();
    // Whoever restored signs in again: the staff are the backup's now.
    assert!(s.current_actor().is_none());
    s.sign_in(1, "1234").unwrap();
    let actions: Vec<String> = s
        .audit_list(&AuditFilter::default())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    // The backup is a snapshot from before its own entry was written.
    assert_eq!(
        actions[..3],
        ["auth.sign_in", "backup.restore", "customer.update"]
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "customer.add").count(),
        1,
        "the restored log is the backup's, plus the restore itself"
    );
    assert!(s.audit_verify().unwrap().ok);
}

/// Many guessers at once, each on its own connection to one file (as separate processes
/// would be): the attempt is counted before the hash, so no more than five wrong PINs are
/// ever checked, and the right PIN is refused once the account is locked.
#[test]
fn parallel_wrong_pins_never_check_more_than_five() {
    use khachquen_core::staff::{StaffInput, MAX_ATTEMPTS};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    let cashier = {
        let s = Store::open(&path).unwrap();
        s.setup_owner("Chị Lan", "1234").unwrap();
        s.add_staff(
            StaffInput {
                name: "Minh".into(),
                role: Some("cashier".into()),
            },
            "1111",
        )
        .unwrap()
        .id
    };
    let guessers: Vec<Store> = (0..24).map(|_| Store::open(&path).unwrap()).collect();
    let barrier = std::sync::Barrier::new(guessers.len());
    let results: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = guessers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let pin = format!("{:04}", 2000 + i);
                    match s.sign_in(cashier, &pin) {
                        Ok(_) => "signed_in".to_owned(),
                        Err(e) => e.code().to_owned(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(!results.contains(&"signed_in".to_owned()), "{results:?}");
    let owner = Store::open(&path).unwrap();
    owner.sign_in(1, "1234").unwrap();
    let count = |action: &str| {
        owner
            .audit_list(&AuditFilter {
                action: Some(action.into()),
                ..Default::default()
            })
            .unwrap()
            .total
    };
    let checked = count("auth.failed") + count("auth.lockout");
    assert_eq!(checked, MAX_ATTEMPTS, "{results:?}");
    assert_eq!(count("auth.lockout"), 1);
    let locked = results
        .iter()
        .filter(|c| *c == "auth.account_locked")
        .count();
    assert_eq!(locked, guessers.len() - 4, "{results:?}");
    // Even the right PIN, tried by many at once, waits out the lock.
    let right: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = guessers
            .iter()
            .map(|s| scope.spawn(move || s.sign_in(cashier, "1111").err().map(|e| e.code())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap_or("signed_in").to_owned())
            .collect()
    });
    assert!(
        right.iter().all(|c| c == "auth.account_locked"),
        "{right:?}"
    );
    assert_eq!(count("auth.failed") + count("auth.lockout"), MAX_ATTEMPTS);
}

// ---- Seals and the anchor: the evidence kept with a key outside the database ----

use khachquen_core::store::session::as_system;

fn verify_of(path: &Path) -> audit::AuditVerify {
    let v = as_system(|| Store::open(path).unwrap().audit_verify()).unwrap();
    assert_eq!(v.ok, v.error().is_none(), "{v:?}");
    v
}

fn code_of(path: &Path) -> Option<&'static str> {
    verify_of(path).error().map(|e| e.code())
}

/// Recompute every hash from `from` onward, as someone knowing the public encoding would.
fn rehash_from(conn: &Connection, from: i64) {
    let last: i64 = conn
        .query_row("SELECT max(id) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    for id in from..=last {
        if id > 1 {
            let prev: String = conn
                .query_row("SELECT hash FROM audit_log WHERE id = ?1", [id - 1], |r| {
                    r.get(0)
                })
                .unwrap();
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?1 WHERE id = ?2",
                rusqlite::params![prev, id],
            )
            .unwrap();
        }
        let hash = hash_of(&raw_fields(conn, id));
        conn.execute(
            "UPDATE audit_log SET hash = ?1 WHERE id = ?2",
            rusqlite::params![hash, id],
        )
        .unwrap();
    }
}

#[test]
fn normal_use_verifies_sealed_and_anchored() {
    let (dir, path) = file_with(5);
    let v = verify_of(&path);
    assert!(
        v.ok && v.sealed && !v.key_missing && !v.anchor_missing,
        "{v:?}"
    );
    let head = v.head.clone().unwrap();
    assert_eq!(head.id, 5);
    assert_eq!(v.anchor.as_ref(), Some(&head));
    assert_eq!(head.fingerprint.len(), 19, "{}", head.fingerprint);
    assert_eq!(v.rows, Some(Default::default()));
    // The key and the anchor are this user's only.
    #[cfg(unix)]
    for name in ["audit.key", "audit.head"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let key = std::fs::read_to_string(dir.path().join("audit.key")).unwrap();
    let db = std::fs::read(&path).unwrap();
    assert!(
        !db.windows(64).any(|w| w == key.trim().as_bytes()),
        "the key is not in the database"
    );
}

#[test]
fn the_full_rewrite_attack_is_reported() {
    let (_dir, path) = file_with(6);
    let conn = attacker(&path);
    conn.execute(
        r#"UPDATE audit_log SET after_json = '{"balance":999999}' WHERE id = 3"#,
        [],
    )
    .unwrap();
    rehash_from(&conn, 3);
    drop(conn);
    // Every hash holds again: the chain alone would pass. The seal does not.
    assert_eq!(broken(&path), at_entry(3, BreakReason::SealBroken));
    // Stripping the seals as well leaves the anchor outside the database.
    attacker(&path)
        .execute("UPDATE audit_log SET mac_key = NULL, mac = NULL", [])
        .unwrap();
    assert_eq!(broken(&path), at_entry(6, BreakReason::AnchorMismatch));
    assert_eq!(code_of(&path), Some("audit.anchor_mismatch"));
    // And without the anchor file, its absence is reported.
    std::fs::remove_file(path.with_file_name("audit.head")).unwrap();
    assert_eq!(code_of(&path), Some("audit.anchor_missing"));
}

#[test]
fn cutting_off_the_newest_entries_is_reported_by_the_anchor() {
    let (_dir, path) = file_with(6);
    attacker(&path)
        .execute_batch(
            "DELETE FROM audit_log WHERE id >= 5;
             UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit_log';",
        )
        .unwrap();
    assert_eq!(broken(&path), at_entry(6, BreakReason::Truncated));
    assert_eq!(code_of(&path), Some("audit.truncated"));
    // The app writing on does not move the anchor back over the cut.
    let s = Store::open(&path).unwrap();
    for _ in 0..3 {
        s.audit_append(&NewAuditEntry::new(
            "Lan",
            Via::Window,
            "customer.add",
            "customer",
        ))
        .unwrap();
    }
    drop(s);
    assert_eq!(broken(&path), at_entry(6, BreakReason::AnchorMismatch));
}

/// A file shop with an owner, a cashier and a customer holding points.
fn staffed_shop() -> (tempfile::TempDir, PathBuf, i64) {
    use khachquen_core::staff::StaffInput;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khachquen.db");
    let s = Store::open(&path).unwrap();
    s.setup_owner("Chị Lan", "1234").unwrap();
    s.add_staff(
        StaffInput {
            name: "Minh".into(),
            role: Some("cashier".into()),
        },
        "1111",
    )
    .unwrap();
    let c = customer(&s, "Nguyễn Văn An", "0912345678");
    s.adjust_points(c, 500, "khai trương", None).unwrap();
    s.adjust_points(c, -100, "đổi quà", None).unwrap();
    assert!(s.audit_verify().unwrap().ok);
    assert!(s.check().unwrap().ok);
    (dir, path, c)
}

fn rows_of(path: &Path) -> (khachquen_core::db::seal::RowCheck, bool) {
    let s = Store::open(path).unwrap();
    let v = as_system(|| s.audit_verify()).unwrap();
    let check = s.check().unwrap();
    assert!(!check.ok, "{check:?}");
    assert_eq!(check.sealed_rows, v.rows);
    (v.rows.unwrap(), v.ok)
}

#[test]
fn a_staff_role_or_pin_edited_with_sql_is_reported() {
    let (_dir, path, _) = staffed_shop();
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE staff SET role = 'owner' WHERE id = 2", [])
        .unwrap();
    drop(conn);
    let (rows, ok) = rows_of(&path);
    assert_eq!((rows.staff_altered, ok), (vec![2], false));
    assert_eq!(code_of(&path), Some("audit.row_altered"));
    let (_dir, path, _) = staffed_shop();
    let conn = Connection::open(&path).unwrap();
    let owners: String = conn
        .query_row("SELECT pin_hash FROM staff WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    conn.execute("UPDATE staff SET pin_hash = ?1 WHERE id = 2", [&owners])
        .unwrap();
    drop(conn);
    assert_eq!(rows_of(&path).0.staff_altered, vec![2]);
}

#[test]
fn ledger_rows_inserted_edited_or_deleted_with_sql_are_reported() {
    // Slipped in.
    let (_dir, path, c) = staffed_shop();
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO points_ledger (customer_id, kind, points, at, created_at)
         VALUES (?1, 'bonus', 100000, 0, 0)",
        [c],
    )
    .unwrap();
    let slipped = conn.last_insert_rowid();
    drop(conn);
    let (rows, ok) = rows_of(&path);
    assert!(!ok);
    assert_eq!(rows.points_altered, vec![slipped]);
    assert_eq!(rows.totals_altered, vec!["points_ledger"]);
    // Edited (the append-only trigger dropped first).
    let (_dir, path, _) = staffed_shop();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER points_ledger_append_only_update;
         UPDATE points_ledger SET points = 50000 WHERE points = 500;",
    )
    .unwrap();
    drop(conn);
    let rows = rows_of(&path).0;
    assert_eq!(rows.points_altered.len(), 1);
    assert_eq!(rows.totals_altered, vec!["points_ledger"], "the sum moved");
    // Deleted: no row left to fail its seal, but the sealed count shows it.
    let (_dir, path, _) = staffed_shop();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER points_ledger_append_only_delete;
         DELETE FROM points_ledger WHERE points < 0;",
    )
    .unwrap();
    drop(conn);
    let rows = rows_of(&path).0;
    assert!(rows.points_altered.is_empty());
    assert_eq!(rows.totals_altered, vec!["points_ledger"]);
    assert_eq!(code_of(&path), Some("audit.totals_altered"));
    // And the shop's own next purchase of points does not paper over it.
    let s = Store::open(&path).unwrap();
    s.sign_in_owner("1234").unwrap();
    let c = s.resolve_customer("0912345678").unwrap();
    s.adjust_points(c, 10, "quà", None).unwrap();
    assert!(!s.check().unwrap().ok);
}

#[test]
fn without_the_key_file_verify_says_it_cannot_check() {
    let (dir, path, _) = staffed_shop();
    std::fs::remove_file(dir.path().join("audit.key")).unwrap();
    let s = Store::open(&path).unwrap();
    assert!(
        !dir.path().join("audit.key").exists(),
        "a sealed shop's lost key is not made anew"
    );
    let v = as_system(|| s.audit_verify()).unwrap();
    assert!(!v.ok && v.key_missing && !v.sealed, "{v:?}");
    assert_eq!(v.error().unwrap().code(), "audit.key_missing");
    // The shop keeps working meanwhile.
    s.sign_in_owner("1234").unwrap();
    customer(&s, "Trần Thị Bình", "0987654321");
    assert!(s.check().unwrap().sealed_rows.is_none());
}

#[test]
fn a_log_from_before_seals_is_sealed_on_the_first_open_with_a_key() {
    let (dir, path, _) = staffed_shop();
    // Back to how an upgraded shop looks: nothing sealed, no key, no anchor.
    let conn = attacker(&path);
    conn.execute_batch(
        "UPDATE audit_log SET mac_key = NULL, mac = NULL;
         DELETE FROM row_seals; DELETE FROM seal_totals;",
    )
    .unwrap();
    drop(conn);
    std::fs::remove_file(dir.path().join("audit.key")).unwrap();
    std::fs::remove_file(dir.path().join("audit.head")).unwrap();
    let entries: i64 = Connection::open(&path)
        .unwrap()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    let s = Store::open(&path).unwrap();
    s.sign_in_owner("1234").unwrap();
    let v = s.audit_verify().unwrap();
    assert!(v.ok && v.sealed, "{v:?}");
    assert_eq!(v.entries, entries + 1);
    let last = s
        .audit_list(&AuditFilter {
            limit: Some(1),
            ..Default::default()
        })
        .unwrap()
        .entries
        .remove(0);
    assert_eq!(
        (last.action.as_str(), last.actor_name.as_str()),
        ("audit.seal", "system")
    );
    assert!(s.check().unwrap().ok);
    drop(s);
    // From here on, an edit before the seal entry is caught by it.
    let conn = attacker(&path);
    conn.execute("UPDATE audit_log SET actor_name = 'X' WHERE id = 2", [])
        .unwrap();
    rehash_from(&conn, 2);
    drop(conn);
    assert_eq!(code_of(&path), Some("audit.seal_broken"));
}

#[test]
fn a_restored_backup_from_another_computer_verifies_and_re_anchors() {
    // The backup: another shop folder (its own key), with a shorter log.
    let (_other_dir, other, _) = staffed_shop();
    let (_dir, path) = file_with(40);
    let s = Store::open(&path).unwrap();
    let r = s.restore_backup(&other, &mut |_, _| {}).unwrap();
    assert!(r.check.ok, "{:?}", r.check);
    let v = as_system(|| s.audit_verify()).unwrap();
    assert!(v.ok, "{v:?}");
    assert!(v.head.as_ref().unwrap().id < 40, "a shorter log: {v:?}");
    assert_eq!(v.anchor, v.head);
    assert!(s.check().unwrap().ok);
    drop(s);
    // The restored staff are sealed here now: an edit to them shows.
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE staff SET role = 'owner' WHERE id = 2", [])
        .unwrap();
    drop(conn);
    assert_eq!(code_of(&path), Some("audit.row_altered"));
}

#[test]
fn a_backup_of_this_shop_keeps_its_seals_and_mends_the_ones_that_do_not_hold() {
    let (dir, path, _) = staffed_shop();
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let seals = |p: &Path| -> Vec<(String, i64, String)> {
        let c = Connection::open(p).unwrap();
        let mut st = c
            .prepare("SELECT tbl, row_id, mac FROM row_seals ORDER BY tbl, row_id")
            .unwrap();
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        rows
    };
    let before = seals(&path);
    // Inside the backup (rows and schema untouched): a seal that no longer holds, one
    // missing, and one for a row that is not there.
    let c = Connection::open(&copy).unwrap();
    c.execute_batch(
        "UPDATE row_seals SET mac = 'forged' WHERE tbl = 'points_ledger'
             AND row_id = (SELECT min(id) FROM points_ledger);
         DELETE FROM row_seals WHERE tbl = 'staff' AND row_id = 2;
         INSERT INTO row_seals (tbl, row_id, mac) VALUES ('points_ledger', 999999, 'gone');",
    )
    .unwrap();
    drop(c);
    let s = Store::open(&path).unwrap();
    s.sign_in_owner("1234").unwrap();
    s.restore_backup(&copy, &mut |_, _| {}).unwrap();
    let check = as_system(|| s.check()).unwrap();
    assert!(check.ok, "{check:?}");
    drop(s);
    // Every row sealed once, by the same MACs as before (one per row, nothing left over).
    assert_eq!(seals(&path), before);
}

#[test]
fn the_log_names_customers_and_staff_even_archived_or_merged() {
    use khachquen_core::staff::StaffInput;
    let s = Store::open_in_memory().unwrap();
    let anh = customer(&s, "Võ Thị Ánh", "0977123456");
    let dup = customer(&s, "Vo Thi Anh", "0977123457");
    let gone = customer(&s, "Lê Văn Tám", "0909000111");
    // Before the first account: afterwards the store asks who is signed in.
    s.archive_customer(gone).unwrap();
    s.merge_customers(anh, dup).unwrap();
    let lan = s
        .add_staff(
            StaffInput {
                name: "Chị Lan".into(),
                role: Some("owner".into()),
            },
            "2468",
        )
        .unwrap();
    s.sign_in(lan.id, "2468").unwrap();
    let entries = [
        entry("Lan", "customer.update", "2020-03-01T08:00:00")
            .customer(dup)
            .entity_id(dup),
        entry("Lan", "purchase.add", "2020-03-01T09:00:00")
            .customer(gone)
            .entity_id(17),
        entry("Owner", "staff.update", "2020-03-01T10:00:00").entity_id(lan.id),
        entry("Owner", "template.delete", "2020-03-01T11:00:00")
            .entity_id(99)
            .before(json!({"name": "khuyen-mai", "body": "x"})),
        entry("Owner", "purchase.add", "2020-03-01T12:00:00").entity_id(18),
    ];
    for e in &entries {
        s.audit_append(e).unwrap();
    }
    let page = s
        .audit_list(&AuditFilter {
            until: Some("2020-12-31".into()),
            ..Default::default()
        })
        .unwrap();
    let by_action = |a: &str| {
        page.entries
            .iter()
            .find(|e| e.action == a && e.at.timestamp() > 0)
            .unwrap()
    };
    let merged = page
        .entries
        .iter()
        .find(|e| e.action == "customer.update")
        .unwrap();
    assert_eq!(
        merged.customer_name.as_deref(),
        Some("Vo Thi Anh"),
        "a merged customer keeps the name it had"
    );
    assert_eq!(merged.entity_name.as_deref(), Some("Vo Thi Anh"));
    let archived = page
        .entries
        .iter()
        .find(|e| e.entity_id.as_deref() == Some("17"))
        .unwrap();
    assert_eq!(
        archived.customer_name.as_deref(),
        Some("Lê Văn Tám"),
        "an archived customer too"
    );
    assert_eq!(archived.entity_name, None, "a purchase has no name");
    assert_eq!(
        by_action("staff.update").entity_name.as_deref(),
        Some("Chị Lan")
    );
    assert_eq!(
        by_action("template.delete").entity_name.as_deref(),
        Some("khuyen-mai"),
        "a deleted template: the name its entry recorded"
    );
    let anonymous = page
        .entries
        .iter()
        .find(|e| e.entity_id.as_deref() == Some("18"))
        .unwrap();
    assert_eq!(
        (
            anonymous.customer_name.as_deref(),
            anonymous.entity_name.as_deref()
        ),
        (None, None)
    );
    // The names are for reading only: the chain still verifies.
    assert!(s.audit_verify().unwrap().ok);
}
