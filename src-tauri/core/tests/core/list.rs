//! The customers list at a million customers (issue 17): bounded counts and index walks
//! give exactly the page the plain query (every match counted, fetched and sorted) gives,
//! for every sort key and direction, every filter and paging, on random shops full of ties.

use khachquen_core::customers::lookup;
use khachquen_core::db::customers::{self, list_plain, list_tuned, words_match, Record, Tuning};
use khachquen_core::db::{self};
use khachquen_core::model::{ListQuery, SortKey};
use proptest::prelude::*;
use rusqlite::{params, Connection};

const NAMES: &[&str] = &[
    "Nguyễn Văn An",
    "Nguyễn Thị Lan",
    "Nguyễn Thị-Lan",
    "Trần Ngọc Ánh",
    "Trần Văn Nam",
    "Lê Ngân",
    "Ngô Nguyệt",
    "an nguyen",
    "Anh",
    "Phạm Thu Hà",
    "Ørsted Nam",
    "李小龙",
    "Đặng Ánh 2022",
    "O'Neil Ng",
    "Vũ",
    "Bùi Thị Nhung",
    "Vũ ſơn",
];
const SOURCES: &[&str] = &["walk_in", "facebook", "zalo"];
const TAGS: &[&str] = &["vip", "si", "le"];
const SEGMENTS: &[&str] = &["champions", "at_risk"];
const STAGES: &[&str] = &["retain", "grow"];
const SEARCHES: &[&str] = &[
    "", "n", "ng", "ngu", "nguyen v", "an", "a", "thi-l", "x", "90", "123", "0912", "c7", "ørs",
    "李", "2022", "ánh", "nam 09", "s", "so",
];
const SORTS: &[SortKey] = &[
    SortKey::Name,
    SortKey::LastVisit,
    SortKey::TotalSpent,
    SortKey::Visits,
    SortKey::Created,
];

/// One customer of a random shop: name, phone?, code?, tags, source, (visits, total, last)
/// from small ranges (so sort keys tie), archived?, scores (segment, stage, at risk)?
type Spec = (
    usize,
    Option<u16>,
    Option<u8>,
    Vec<usize>,
    usize,
    (i64, i64, Option<i64>),
    bool,
    Option<(usize, usize, bool)>,
);

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..NAMES.len(),
        prop::option::of(0u16..400),
        prop::option::weighted(0.2, 0u8..10),
        prop::collection::vec(0..TAGS.len(), 0..3),
        0..SOURCES.len(),
        (0i64..4, 0i64..3, prop::option::weighted(0.8, 0i64..4)),
        prop::bool::weighted(0.15),
        prop::option::weighted(0.6, (0..SEGMENTS.len(), 0..STAGES.len(), any::<bool>())),
    )
}

fn shop(specs: &[Spec]) -> Connection {
    let conn = db::open_memory().unwrap();
    for (i, (name, phone, code, tags, source, (visits, total, last), archived, scores)) in
        specs.iter().enumerate()
    {
        let mut tags: Vec<String> = tags.iter().map(|t| TAGS[*t].to_owned()).collect();
        tags.dedup();
        let rec = Record {
            name: NAMES[*name].to_owned(),
            // Unique among active customers: the row number in front.
            phone: phone.map(|p| format!("09{:04}{:04}", i, p)),
            code: code.map(|c| format!("C{c}{i}")),
            tags,
            source: SOURCES[*source].to_owned(),
            ..Default::default()
        };
        let id = customers::insert(&conn, &rec, 1_700_000_000).unwrap();
        if let Some(last) = last {
            let at = 1_700_000_000 + last * 86_400;
            customers::add_purchases_stats(&conn, id, visits + 1, total * 50_000, at, at).unwrap();
        }
        if let Some((seg, stage, risk)) = scores {
            conn.execute(
                "INSERT INTO customer_scores (customer_id, r, f, m, segment, stage, at_risk,
                    monetary_minor, computed_at) VALUES (?1, 1, 1, 1, ?2, ?3, ?4, 0, 0)",
                params![id, SEGMENTS[*seg], STAGES[*stage], risk],
            )
            .unwrap();
        }
        if *archived {
            customers::archive(&conn, id, 1_700_000_001).unwrap();
        }
    }
    conn
}

/// A list query: search, sort, direction, filters, paging.
type Ask = (usize, usize, bool, u8, u8, bool, (u32, u32));

fn ask() -> impl Strategy<Value = Ask> {
    (
        0..SEARCHES.len(),
        0..SORTS.len(),
        any::<bool>(),
        0u8..8,
        0u8..4,
        prop::bool::weighted(0.3),
        (
            prop::sample::select(vec![0u32, 1, 3, 7, 40]),
            prop::sample::select(vec![1u32, 2, 5, 50]),
        ),
    )
}

fn query((search, sort, desc, filters, more, archived, (offset, limit)): Ask) -> ListQuery {
    ListQuery {
        search: Some(SEARCHES[search].to_owned()).filter(|s| !s.is_empty()),
        sort: SORTS[sort],
        desc,
        tag: (filters & 1 == 1).then(|| TAGS[usize::from(more) % TAGS.len()].to_owned()),
        source: (filters & 2 == 2).then(|| SOURCES[usize::from(more) % SOURCES.len()].to_owned()),
        segment: (filters & 4 == 4 && more < 2).then(|| SEGMENTS[usize::from(more)].to_owned()),
        stage: (filters & 4 == 4 && more >= 2)
            .then(|| ["retain", "reach"][usize::from(more) - 2].to_owned()),
        at_risk: filters == 7,
        include_archived: archived,
        offset,
        limit,
    }
}

/// The fast list against the plain one, with the given edges.
fn same_page(conn: &Connection, q: &ListQuery, tuning: Tuning) -> Result<(), TestCaseError> {
    let l = q.search.as_deref().and_then(lookup);
    let fast = list_tuned(conn, q, l.as_ref(), 0, tuning).unwrap();
    let (total, rows) = list_plain(conn, q, l.as_ref(), 0).unwrap();
    let ids = |r: &[khachquen_core::model::CustomerRow]| r.iter().map(|r| r.id).collect::<Vec<_>>();
    prop_assert_eq!(ids(&fast.rows), ids(&rows), "{:?} {:?}", q, tuning);
    prop_assert_eq!(&fast.rows, &rows);
    let bound = tuning
        .count_max
        .max(i64::from(q.offset) + i64::from(q.limit.clamp(1, 500)));
    prop_assert_eq!(fast.total, total.min(bound), "{:?} {:?}", q, tuning);
    prop_assert_eq!(fast.capped, total > bound, "{:?} {:?}", q, tuning);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_fast_list_gives_the_plain_lists_page(
        specs in prop::collection::vec(spec(), 1..60),
        asks in prop::collection::vec(ask(), 12),
    ) {
        let conn = shop(&specs);
        for a in asks {
            let q = query(a);
            // Every path: always split (a name sort of one word) else walk, always walk,
            // always sort, in between, the app's edges; tiny count bounds.
            for tuning in [
                Tuning { count_max: 2, walk_from: 0, split_below: i64::MAX },
                Tuning { count_max: 5, walk_from: 0, split_below: 0 },
                Tuning { count_max: 1_000_000, walk_from: i64::MAX, split_below: 0 },
                Tuning { count_max: 5, walk_from: 3, split_below: 3 },
                Tuning::APP,
            ] {
                same_page(&conn, &q, tuning)?;
            }
        }
    }
}

#[test]
fn every_sort_key_and_direction_walks_like_it_sorts_on_one_shop() {
    let specs: Vec<Spec> = (0..80)
        .map(|i| {
            (
                i % NAMES.len(),
                (i % 3 != 0).then_some((i * 7 % 400) as u16),
                (i % 5 == 0).then_some((i % 10) as u8),
                vec![i % TAGS.len()],
                i % SOURCES.len(),
                (
                    (i % 4) as i64,
                    (i % 3) as i64,
                    (i % 4 != 0).then_some((i % 4) as i64),
                ),
                i % 9 == 0,
                (i % 2 == 0).then_some((i % 2, i % 2, i % 4 == 0)),
            )
        })
        .collect();
    let conn = shop(&specs);
    for search in SEARCHES {
        for sort in SORTS {
            for desc in [false, true] {
                for offset in [0, 10] {
                    let q = ListQuery {
                        search: Some(search.to_string()).filter(|s| !s.is_empty()),
                        sort: *sort,
                        desc,
                        offset,
                        limit: 7,
                        ..Default::default()
                    };
                    for split_below in [0, i64::MAX] {
                        let tuning = Tuning {
                            count_max: 3,
                            walk_from: 0,
                            split_below,
                        };
                        same_page(&conn, &q, tuning).unwrap();
                    }
                }
            }
        }
    }
}

#[test]
fn words_match_answers_like_the_fts_index_for_ascii_names_and_defers_the_rest() {
    assert_eq!(words_match("nguyen van an", "ngu"), Some(true));
    assert_eq!(words_match("nguyen van an", "an ng"), Some(true));
    assert_eq!(words_match("nguyen van an", "guy"), Some(false));
    assert_eq!(words_match("thi-lan", "lan"), Some(true));
    assert_eq!(words_match("o'neil", "neil"), Some(true));
    assert_eq!(words_match("an2022", "2022"), Some(false));
    assert_eq!(words_match("an 2022", "20"), Some(true));
    assert_eq!(words_match("an", "anh"), Some(false));
    assert_eq!(words_match("orsted", "ørs"), Some(false));
    assert_eq!(words_match("ørsted", "rs"), None);
    assert_eq!(words_match("李小龙", "李"), None);
}

#[test]
fn counts_stop_at_a_thousand_and_say_more() {
    let conn = db::open_memory().unwrap();
    for i in 0..1005 {
        let rec = Record {
            name: format!("Nguyễn Văn {}", if i % 2 == 0 { "An" } else { "Bình" }),
            source: "walk_in".into(),
            ..Default::default()
        };
        customers::insert(&conn, &rec, 1_700_000_000 + i).unwrap();
    }
    let search = |q: &str, limit| customers::search(&conn, &lookup(q).unwrap(), limit).unwrap();
    // The counter: a full page counts, up to 1,000.
    let (ids, total, more) = search("nguyen", 20);
    assert_eq!((ids.len(), total, more), (20, 1000, true));
    let (ids, total, more) = search("an", 20);
    assert_eq!((ids.len(), total, more), (20, 503, false));
    // Fewer than the page: those are all.
    let (ids, total, more) = search("an", 600);
    assert_eq!((ids.len(), total, more), (503, 503, false));
    let (ids, total, more) = search("xyz", 20);
    assert_eq!((ids.len(), total, more), (0, 0, false));
    // The list: up to 1,000, or to the end of the page asked for.
    let page = |q: &str, offset| {
        let lq = ListQuery {
            search: Some(q.into()).filter(|s: &String| !s.is_empty()),
            offset,
            limit: 50,
            ..Default::default()
        };
        let l = lq.search.as_deref().and_then(lookup);
        let p = customers::list(&conn, &lq, l.as_ref(), 0).unwrap();
        (p.rows.len(), p.total, p.capped)
    };
    assert_eq!(page("", 0), (50, 1000, true));
    assert_eq!(page("nguyen", 0), (50, 1000, true));
    assert_eq!(page("nguyen", 980), (25, 1005, false));
    assert_eq!(page("nguyen", 950), (50, 1000, true));
    assert_eq!(page("binh", 0), (50, 502, false));
}
