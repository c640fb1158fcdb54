//! Counter search (issue 15 items 2 and 3): who is most likely standing there comes first,
//! the number of matches comes with the rows, and a name query may carry phone digits.

use khachquen_core::model::{ListQuery, PurchaseInput};
use khachquen_core::Store;

fn add(s: &Store, name: &str, phone: &str) -> i64 {
    s.add_customer(crate::customer(name, phone)).unwrap().id
}

fn buy(s: &Store, id: i64, at: &str) {
    s.add_purchase(PurchaseInput {
        customer_id: id,
        amount: "100000".into(),
        at: Some(at.into()),
        ..Default::default()
    })
    .unwrap();
}

fn ids(s: &Store, q: &str, limit: u32) -> (Vec<i64>, i64) {
    let r = s.find_customers(q, limit).unwrap();
    (r.rows.iter().map(|r| r.id).collect(), r.total)
}

/// What a ranking scenario checks once its shop is built: run on the shop as built, and again
/// on the same shop copied to a PostgreSQL server (engines::the_search_ranking_is_the_same_on_both_engines).
pub type Checks = Box<dyn Fn(&Store)>;

fn on_memory(scenario: fn(&Store) -> Checks) {
    let s = Store::open_in_memory().unwrap();
    scenario(&s)(&s);
}

/// Every ranking scenario, for the run on both engines.
pub const SCENARIOS: &[fn(&Store) -> Checks] = &[
    suffix_ranking,
    equal_visits,
    regulars_first,
    marks_and_exact_names,
    crate::counter_shop,
];

fn suffix_ranking(s: &Store) -> Checks {
    // Added first (lowest id) but never bought: the old order put them on top.
    let never = add(s, "Khách Mới", "0901 111 234");
    let old = add(s, "Khách Cũ", "0902 221 234");
    let recent = add(s, "Khách Quen", "0903 331 234");
    let other = add(s, "Người Khác", "0904 445 678");
    buy(s, old, "2025-01-10");
    buy(s, old, "2025-02-10");
    buy(s, recent, "2025-06-01");
    Box::new(move |s| {
        assert_eq!(ids(s, "1234", 20), (vec![recent, old, never], 3));
        // Truncated: the total still counts all of them.
        assert_eq!(ids(s, "1234", 2), (vec![recent, old], 3));
        assert_eq!(ids(s, "5678", 20), (vec![other], 1));
        assert_eq!(ids(s, "9999", 20), (vec![], 0));
        // An exact number beats the likelier suffix matches.
        assert_eq!(ids(s, "0902221234", 20).0[0], old);
    })
}

#[test]
fn a_phone_suffix_ranks_the_latest_visitor_first_and_counts_every_match() {
    on_memory(suffix_ranking);
}

fn equal_visits(s: &Store) -> Checks {
    let a = add(s, "An", "0911 000 555");
    let b = add(s, "Bình", "0912 000 555");
    let c = add(s, "Chi", "0913 000 555");
    buy(s, a, "2025-03-01T10:00");
    buy(s, b, "2025-01-01T10:00");
    buy(s, b, "2025-03-01T10:00");
    buy(s, c, "2025-03-01T10:00");
    // b and a/c share the latest visit; b has two visits; a before c by id.
    Box::new(move |s| assert_eq!(ids(s, "555", 20), (vec![b, a, c], 3)))
}

#[test]
fn equal_last_visits_rank_by_visits_then_id() {
    on_memory(equal_visits);
}

fn regulars_first(s: &Store) -> Checks {
    let mut never = Vec::new();
    for i in 0..5 {
        never.push(add(s, "Nguyễn Thị Hà", &format!("0988 000 0{i:02}")));
    }
    let regular = add(s, "Nguyễn Thị Hồng", "0977 112 022");
    for m in 1..=9 {
        buy(s, regular, &format!("2025-0{m}-15"));
    }
    let once = add(s, "Nguyễn Thị Huệ", "0966 000 111");
    buy(s, once, "2024-05-01");
    Box::new(move |s| {
        let (found, total) = ids(s, "nguyen thi h", 3);
        assert_eq!(total, 7);
        assert_eq!(found, vec![regular, once, never[0]]);
        // Name plus digits of the phone: "hong 2022" is the regular only, however phrased.
        assert_eq!(ids(s, "hong 2022", 20), (vec![regular], 1));
        assert_eq!(ids(s, "nguyen 1120", 20), (vec![regular], 1));
        assert_eq!(ids(s, "hong 9999", 20), (vec![], 0));
    })
}

#[test]
fn a_name_query_ranks_regulars_above_never_bought_and_counts_them() {
    let s = Store::open_in_memory().unwrap();
    regulars_first(&s)(&s);
    let regular = ids(&s, "hong 2022", 20).0[0];
    // The customer list's search takes the same query.
    let page = s
        .list_customers(&ListQuery {
            search: Some("hong 2022".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (
            page.total,
            page.rows.iter().map(|r| r.id).collect::<Vec<_>>()
        ),
        (1, vec![regular])
    );
}

fn marks_and_exact_names(s: &Store) -> Checks {
    let huong = add(s, "Nguyễn Thị Hương", "0987 654 321");
    let huong2 = add(s, "Nguyễn Thị Hường", "0903 111 222");
    buy(s, huong, "2025-05-01");
    let le = add(s, "Lê Hương", "0912 999 000");
    Box::new(move |s| {
        // The typed marks say which one is meant, whoever came last.
        assert_eq!(ids(s, "hường", 20).0, vec![huong2, huong, le]);
        // Unmarked: the likelier one first.
        assert_eq!(ids(s, "huong", 20).0, vec![huong, huong2, le]);
        assert_eq!(ids(s, "le huong", 20).0[0], le);
    })
}

#[test]
fn typed_marks_and_exact_names_still_come_before_likelier_customers() {
    on_memory(marks_and_exact_names);
}
