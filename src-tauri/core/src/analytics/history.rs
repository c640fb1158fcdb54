//! The purchase history as the reports see it: per customer, sorted, with the spells in
//! which they were an active customer under the "lost after N days" rule.
//!
//! The shop-level reports read one compact [`Ledger`] (24 bytes a purchase, 16 a customer),
//! loaded by one walk of the covering (customer, time) index (two at once, one per half of
//! the customers, when the store has a second report connection free) and kept by the
//! store until anything is committed, so the Reports screen's several reports and repeat
//! views share one pass. [`History`] is the per-customer view of the same facts that the
//! scores use.

use crate::db::{self, analytics::PurchaseFact};
use crate::error::{CoreError, Result};
use crate::store::Store;
use crate::time;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
use std::ops::Deref;
use std::sync::Arc;

pub const DAY: i64 = 86_400;

/// One customer's purchases, oldest first: a window into the shared facts, read as a slice.
#[derive(Clone)]
pub struct Purchases {
    all: Arc<Vec<PurchaseFact>>,
    start: usize,
    end: usize,
}

impl Deref for Purchases {
    type Target = [PurchaseFact];
    fn deref(&self) -> &[PurchaseFact] {
        &self.all[self.start..self.end]
    }
}

impl<'a> IntoIterator for &'a Purchases {
    type Item = &'a PurchaseFact;
    type IntoIter = std::slice::Iter<'a, PurchaseFact>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<Vec<PurchaseFact>> for Purchases {
    /// One customer's own purchases, oldest first.
    fn from(v: Vec<PurchaseFact>) -> Purchases {
        let end = v.len();
        Purchases {
            all: Arc::new(v),
            start: 0,
            end,
        }
    }
}

impl std::fmt::Debug for Purchases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One customer's purchases (oldest first) and active spells.
#[derive(Debug, Clone)]
pub struct CustomerHistory {
    pub id: i64,
    pub purchases: Purchases,
    /// [start, end): from a purchase until `inactive_days` after the last one of a run of
    /// purchases each within that many days of the previous. An end may lie in the future.
    pub spells: Vec<(i64, i64)>,
}

impl CustomerHistory {
    pub fn first(&self) -> i64 {
        self.purchases.first().map_or(0, |p| p.at)
    }

    pub fn last(&self) -> i64 {
        self.purchases.last().map_or(0, |p| p.at)
    }

    pub fn active_at(&self, t: i64) -> bool {
        active_at(&self.spells, t)
    }
}

pub(crate) fn active_at(spells: &[(i64, i64)], t: i64) -> bool {
    spells.iter().any(|&(s, e)| s <= t && t < e)
}

pub struct History {
    pub customers: Vec<CustomerHistory>,
    pub staff: Vec<String>,
    pub inactive_days: i64,
}

/// Merge purchases closer than `window` into spells of activity, into `out` (cleared first).
pub(crate) fn spells_into(purchases: &[PurchaseFact], window: i64, out: &mut Vec<(i64, i64)>) {
    out.clear();
    for p in purchases {
        match out.last_mut() {
            Some(s) if p.at < s.1 => s.1 = p.at + window,
            _ => out.push((p.at, p.at + window)),
        }
    }
}

fn spells(purchases: &[PurchaseFact], window: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    spells_into(purchases, window, &mut out);
    out
}

/// The ledger up to `until` with `then` read on the same snapshot of `conn` (the store's
/// report reader): two scans at once when the second report connection and the write lock
/// are free (a large shop's cold report is mostly the scan), one scan otherwise.
pub(crate) fn scan<T>(
    s: &Store,
    conn: &Connection,
    until: i64,
    with_staff: bool,
    then: impl FnOnce(&Connection) -> Result<T>,
) -> Result<(Ledger, T)> {
    if let Some((mut twin, writer)) = s.report_twin() {
        if db::analytics::twin_snapshots(&writer, conn, &twin) {
            drop(writer);
            let out = Ledger::load_twin(conn, &mut twin, until, with_staff)
                .and_then(|l| Ok((l, then(conn)?)));
            db::analytics::end_read(conn);
            db::analytics::end_read(&twin);
            return out;
        }
    }
    db::analytics::in_snapshot(conn, |conn| {
        Ok((Ledger::load(conn, until, with_staff)?, then(conn)?))
    })
}

/// The ledger up to `until`, without the staff and not kept (a model's calibration end):
/// the file's fast scan, or a server's stream.
pub(crate) fn ledger_until(s: &Store, conn: db::Conn, until: i64) -> Result<Ledger> {
    match conn {
        db::Conn::Lite(c) => Ok(scan(s, c, until, false, |_| Ok(()))?.0),
        pg => Ledger::load(pg, until, false),
    }
}

/// Let go of the kept ledger: for work that commits right after reading it (a refresh), so
/// a stale copy does not sit in memory until the next report.
pub(crate) fn forget_ledger(s: &Store) {
    s.report_memo.put::<Cached>(None);
}

/// The ledger up to now that the reports and the score refresh read: the one kept from the
/// last read while nothing has been committed since and no purchase dated after it has
/// come due, else a fresh one (the old one let go first, so two never sit in memory).
pub(crate) fn ledger(s: &Store, conn: db::Conn, now: i64) -> Result<Arc<Ledger>> {
    // Taken before the read: a commit between the two can only make the stamp older than
    // what was read, never the other way.
    let changes = match conn {
        db::Conn::Lite(c) => Changes::File(db::analytics::change_stamp(c)?),
        // What another counter committed leaves no mark on this link; the snapshot moves
        // with any transaction begun or ended anywhere on the server.
        db::Conn::Pg(link) => Changes::Server(db::analytics::server_snapshot(link)?),
    };
    let stamp = Stamp {
        changes,
        tz: crate::store::settings::timezone(conn)?,
    };
    if let Some(l) = s
        .report_memo
        .get::<Cached>()
        .and_then(|c| c.get(&stamp, now))
    {
        return Ok(l);
    }
    s.report_memo.put::<Cached>(None);
    let (ledger, next_at) = match conn {
        db::Conn::Lite(c) => scan(s, c, now, true, |conn| {
            db::analytics::next_purchase_after(conn, now)
        })?,
        pg => (
            Ledger::load(pg, now, true)?,
            db::analytics::next_purchase_after(pg, now)?,
        ),
    };
    let ledger = Arc::new(ledger);
    s.report_memo.put(Some(Arc::new(Cached {
        stamp,
        until: now,
        next_at,
        ledger: Arc::clone(&ledger),
    })));
    Ok(ledger)
}

/// Local days by precomputed day starts: one time-zone conversion per calendar day instead
/// of one per purchase.
#[derive(Clone)]
pub struct Days {
    starts: Vec<i64>,
    first: NaiveDate,
}

impl Days {
    pub fn new(tz: Tz, from: i64, to: i64) -> Days {
        let first = time::local_date(from, tz);
        let last = time::local_date(to.max(from), tz);
        let mut starts = Vec::new();
        let mut d = first;
        while d <= last {
            starts.push(time::day_start(d, tz));
            d = d.succ_opt().unwrap_or(d);
            if d == NaiveDate::MAX {
                break;
            }
        }
        Days { starts, first }
    }

    /// The index of the day holding `at`: a guess from the 24-hour day, then a step or two
    /// (days of 23 or 25 hours) to the exact one.
    fn index(&self, at: i64) -> usize {
        let (Some(&s0), n) = (self.starts.first(), self.starts.len()) else {
            return 0;
        };
        let mut i = usize::try_from((at - s0).div_euclid(DAY))
            .unwrap_or(0)
            .min(n - 1);
        while i + 1 < n && self.starts[i + 1] <= at {
            i += 1;
        }
        while i > 0 && self.starts[i] > at {
            i -= 1;
        }
        i
    }

    pub fn date(&self, at: i64) -> NaiveDate {
        self.first + chrono::Duration::days(self.index(at) as i64)
    }
}

/// Every purchase up to a moment, net of refunds, archived customers left out, grouped by
/// customer and ordered by (customer, time, id): the facts the reports read.
pub struct Ledger {
    /// One part per scan, each a run of customers in id order after the part before it.
    parts: Vec<Part>,
    /// Staff names, indexed by `PurchaseFact::staff` ("" first).
    pub staff: Vec<String>,
}

/// The customers one scan met, in id order.
struct Part {
    facts: Arc<Vec<PurchaseFact>>,
    /// Per customer: id, and where their purchases start in `facts` (one more: the end).
    ids: Vec<i64>,
    starts: Vec<usize>,
}

/// Names repeat: a few of them, so a short list beats hashing each row's name.
struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Names {
    fn new() -> Names {
        Names {
            names: vec![String::new()],
            index: HashMap::new(),
        }
    }

    fn get(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        if self.names.len() <= 16 {
            if let Some(k) = self.names.iter().position(|n| n == name) {
                return k as u32;
            }
        } else if let Some(k) = self.index.get(name) {
            return *k;
        }
        let k = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), k);
        k
    }
}

/// Archived customers, by id: a bitmap when ids are dense enough, else a set.
#[derive(Clone)]
enum Archived {
    Bits(Vec<u64>),
    Set(HashSet<i64>),
}

impl Archived {
    fn new(ids: Vec<i64>) -> Archived {
        let max = ids.iter().copied().max().unwrap_or(0);
        if (0..1 << 28).contains(&max) && ids.iter().all(|&i| i >= 0) {
            let mut bits = vec![0u64; (max as usize >> 6) + 1];
            for i in ids {
                bits[i as usize >> 6] |= 1 << (i & 63);
            }
            Archived::Bits(bits)
        } else {
            Archived::Set(ids.into_iter().collect())
        }
    }

    fn contains(&self, id: i64) -> bool {
        match self {
            Archived::Bits(b) => {
                id >= 0
                    && b.get(id as usize >> 6)
                        .is_some_and(|w| w >> (id & 63) & 1 == 1)
            }
            Archived::Set(s) => s.contains(&id),
        }
    }
}

/// The state of one scan: each row net of its refunds, its local day and its staff index,
/// grouped by customer while the rows come in (customer, time) order.
struct Loader {
    days: Days,
    archived: Archived,
    /// (purchase id, refunded), by purchase id; the next one the scan can meet.
    refunds: Vec<(i64, i64)>,
    next_refund: usize,
    last_id: i64,
    refunds_in_order: bool,
    names: Names,
    facts: Vec<PurchaseFact>,
    /// While in order: runs of one customer (id, first row).
    ids: Vec<i64>,
    starts: Vec<usize>,
    /// Once out of order: each row's customer.
    row_customer: Option<Rows>,
}

/// Each row's customer: 4 bytes a row while the ids fit (they are row ids), else 8.
enum Rows {
    Narrow(Vec<u32>),
    Wide(Vec<i64>),
}

impl Rows {
    fn push(&mut self, customer: i64) {
        match self {
            Rows::Narrow(v) => match u32::try_from(customer) {
                Ok(c) => v.push(c),
                Err(_) => {
                    let mut wide: Vec<i64> = Vec::with_capacity(v.capacity());
                    wide.extend(v.iter().map(|&c| i64::from(c)));
                    wide.push(customer);
                    *self = Rows::Wide(wide);
                }
            },
            Rows::Wide(v) => v.push(customer),
        }
    }
}

impl db::analytics::PurchaseSink for Loader {
    fn row(&mut self, id: i64, customer: i64, at: i64, total: i64, name: &str) {
        if self.archived.contains(customer) {
            return;
        }
        // Refunds are by purchase id, as is the scan: a merge, not a lookup.
        self.refunds_in_order &= id > self.last_id;
        self.last_id = id;
        let refunds = &self.refunds;
        let mut refunded = 0;
        if self.refunds_in_order {
            while self.next_refund < refunds.len() && refunds[self.next_refund].0 < id {
                self.next_refund += 1;
            }
            if refunds.get(self.next_refund).is_some_and(|r| r.0 == id) {
                refunded = refunds[self.next_refund].1;
            }
        } else if let Ok(k) = refunds.binary_search_by_key(&id, |r| r.0) {
            refunded = refunds[k].1;
        }
        let fact = PurchaseFact {
            at,
            net_minor: total.saturating_sub(refunded),
            staff: self.names.get(name),
            day: self.days.date(at),
        };
        match &mut self.row_customer {
            Some(rows) => rows.push(customer),
            None => match self.ids.last() {
                Some(&c) if c == customer && self.facts.last().is_some_and(|f| f.at <= at) => {}
                Some(&c) if c >= customer => {
                    // Out of order: from here on, note each row's customer.
                    let mut rows = Rows::Narrow(Vec::with_capacity(self.facts.capacity()));
                    for (k, c) in self.ids.iter().enumerate() {
                        let end = self.starts.get(k + 1).copied().unwrap_or(self.facts.len());
                        for _ in self.starts[k]..end {
                            rows.push(*c);
                        }
                    }
                    rows.push(customer);
                    self.row_customer = Some(rows);
                    self.ids = Vec::new();
                    self.starts = Vec::new();
                }
                _ => {
                    self.ids.push(customer);
                    self.starts.push(self.facts.len());
                }
            },
        }
        self.facts.push(fact);
    }
}

/// What every scan of one load shares: read once, on the first connection.
struct Inputs {
    days: Days,
    archived: Archived,
    refunds: Vec<(i64, i64)>,
    max_purchases: usize,
    max_customers: usize,
}

impl Inputs {
    fn read<'a>(conn: impl Into<db::Conn<'a>>, until: i64) -> Result<Inputs> {
        let conn = conn.into();
        let tz = crate::store::settings::timezone(conn)?;
        let days = match db::analytics::purchase_span(conn, until)? {
            Some((lo, hi)) => Days::new(tz, lo, hi),
            None => Days::new(tz, 0, 0),
        };
        let (max_purchases, max_customers) = db::analytics::row_bounds(conn)?;
        Ok(Inputs {
            days,
            archived: Archived::new(db::analytics::archived_ids(conn)?),
            refunds: db::analytics::refunded(conn)?,
            max_purchases,
            max_customers,
        })
    }

    /// A loader for a scan expected to meet `share` (out of 16) of the rows.
    fn loader(&self, share: usize) -> Loader {
        let part = |n: usize| {
            if share >= 16 {
                n
            } else {
                n / 16 * share + n / 32
            }
        };
        Loader {
            days: self.days.clone(),
            archived: self.archived.clone(),
            refunds: self.refunds.clone(),
            next_refund: 0,
            last_id: i64::MIN,
            refunds_in_order: true,
            names: Names::new(),
            facts: Vec::with_capacity(part(self.max_purchases)),
            ids: Vec::with_capacity(part(self.max_customers)),
            starts: Vec::with_capacity(part(self.max_customers) + 1),
            row_customer: None,
        }
    }
}

impl Loader {
    /// The scanned rows as one part, in (customer, time, id) order, and the staff names.
    fn finish(self) -> (Part, Vec<String>) {
        let Loader {
            mut facts,
            mut ids,
            mut starts,
            row_customer,
            names,
            ..
        } = self;
        match row_customer {
            Some(Rows::Narrow(rows)) => (ids, starts) = group(&mut facts, rows),
            Some(Rows::Wide(rows)) => (ids, starts) = group(&mut facts, rows),
            None => {}
        }
        starts.push(facts.len());
        facts.shrink_to_fit();
        ids.shrink_to_fit();
        starts.shrink_to_fit();
        let part = Part {
            facts: Arc::new(facts),
            ids,
            starts,
        };
        (part, names.names)
    }
}

impl Ledger {
    /// One scan of the purchases up to `until`, in (customer, time, id) order by the
    /// covering index; rows met out of that order (a stored order the index does not give)
    /// are put in order after, in place, by a stable counting sort on the customer.
    pub fn load<'a>(conn: impl Into<db::Conn<'a>>, until: i64, with_staff: bool) -> Result<Ledger> {
        let conn = conn.into();
        let inputs = Inputs::read(conn, until)?;
        let loader = inputs.loader(16);
        drop(inputs);
        let (part, staff) = match conn {
            db::Conn::Lite(c) => db::analytics::each_purchase(c, until, with_staff, .., loader)?,
            db::Conn::Pg(p) => db::analytics::each_purchase_pg(p, until, with_staff, loader)?,
        }
        .finish();
        Ok(Ledger {
            parts: vec![part],
            staff,
        })
    }

    /// As `load`, in two scans at once: customers below the middle id on `a`, the rest on
    /// `b`. The two connections must read one snapshot (db::analytics::twin_snapshots).
    pub fn load_twin(
        a: &Connection,
        b: &mut Connection,
        until: i64,
        with_staff: bool,
    ) -> Result<Ledger> {
        let inputs = Inputs::read(a, until)?;
        let Some(mid) = db::analytics::middle_customer(a)? else {
            return Ledger::load(a, until, with_staff);
        };
        let (low, high) = (inputs.loader(8), inputs.loader(8));
        drop(inputs);
        let (low, high) = std::thread::scope(|sc| {
            // `&mut` moves to the thread (a shared `&Connection` may not).
            let high =
                sc.spawn(move || db::analytics::each_purchase(&*b, until, with_staff, mid.., high));
            let low = db::analytics::each_purchase(a, until, with_staff, ..mid, low);
            let high = high
                .join()
                .unwrap_or_else(|_| Err(CoreError::Internal("report scan failed".into())));
            (low, high)
        });
        let ((low, mut staff), (mut high, high_staff)) = (low?.finish(), high?.finish());
        // The second scan numbered its staff names on its own: renumber into the first's.
        if high_staff.len() > 1 {
            let mut names = Names::new();
            for n in &staff[1..] {
                names.get(n);
            }
            let map: Vec<u32> = high_staff.iter().map(|n| names.get(n)).collect();
            if let Some(facts) = Arc::get_mut(&mut high.facts) {
                for f in facts.iter_mut() {
                    f.staff = map[f.staff as usize];
                }
            }
            staff = names.names;
        }
        Ok(Ledger {
            parts: vec![low, high],
            staff,
        })
    }

    pub fn customers(&self) -> usize {
        self.parts.iter().map(|p| p.ids.len()).sum()
    }

    /// Each customer's id and purchases (oldest first, never empty), in id order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[PurchaseFact])> + '_ {
        self.parts.iter().flat_map(|p| {
            (0..p.ids.len()).map(move |i| (p.ids[i], &p.facts[p.starts[i]..p.starts[i + 1]]))
        })
    }

    /// The per-customer view, with the spells under `inactive_days` (sharing the facts).
    pub fn history(&self, inactive_days: i64) -> History {
        let window = inactive_days * DAY;
        let customers = self
            .parts
            .iter()
            .flat_map(|p| {
                (0..p.ids.len()).map(move |i| {
                    let purchases = Purchases {
                        all: Arc::clone(&p.facts),
                        start: p.starts[i],
                        end: p.starts[i + 1],
                    };
                    CustomerHistory {
                        id: p.ids[i],
                        spells: spells(&purchases, window),
                        purchases,
                    }
                })
            })
            .collect();
        History {
            customers,
            staff: self.staff.clone(),
            inactive_days,
        }
    }
}

/// Put `facts` (in id order, `rows` their customers) in (customer, time, id) order in place;
/// the customers' ids and where each one's purchases start.
fn group<C: Copy + Into<i64>>(facts: &mut [PurchaseFact], rows: Vec<C>) -> (Vec<i64>, Vec<usize>) {
    let (lo, hi) = rows.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &c| {
        let c: i64 = c.into();
        (lo.min(c), hi.max(c))
    });
    // Each customer's slot: straight from the id when ids are dense (they are row ids),
    // by a search of the sorted distinct ids otherwise.
    let dense = rows.is_empty()
        || hi
            .checked_sub(lo)
            .and_then(|span| usize::try_from(span).ok())
            .is_some_and(|span| span <= 2 * rows.len() + (1 << 20));
    let (ids, slots): (Vec<i64>, Vec<u32>) = if dense && !rows.is_empty() {
        let mut seen = vec![u32::MAX; (hi - lo) as usize + 1];
        for &c in &rows {
            seen[(c.into() - lo) as usize] = 0;
        }
        let mut ids = Vec::new();
        for (k, s) in seen.iter_mut().enumerate() {
            if *s == 0 {
                *s = ids.len() as u32;
                ids.push(lo + k as i64);
            }
        }
        (ids, seen)
    } else {
        let mut ids: Vec<i64> = rows.iter().map(|&c| c.into()).collect();
        ids.sort_unstable();
        ids.dedup();
        (ids, Vec::new())
    };
    let slot = |c: i64| -> usize {
        if slots.is_empty() {
            ids.binary_search(&c).unwrap_or(0)
        } else {
            slots[(c - lo) as usize] as usize
        }
    };
    let mut next = vec![0usize; ids.len()];
    for &c in &rows {
        next[slot(c.into())] += 1;
    }
    let mut at = 0;
    for n in next.iter_mut() {
        let count = *n;
        *n = at;
        at += count;
    }
    let starts = next.clone();
    // Each row's destination: its customer's start plus the rows of theirs before it, so
    // one customer's rows keep their id order.
    let mut dest: Vec<u32> = Vec::with_capacity(rows.len());
    for &c in &rows {
        let k = slot(c.into());
        dest.push(next[k] as u32);
        next[k] += 1;
    }
    drop(rows);
    drop(next);
    drop(slots);
    // Follow the permutation's cycles, swapping each fact into place.
    for i in 0..facts.len() {
        while dest[i] as usize != i {
            let d = dest[i] as usize;
            facts.swap(i, d);
            dest.swap(i, d);
        }
    }
    drop(dest);
    // Within a customer, by time; a stable sort keeps same-second purchases in id order.
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(facts.len());
        let part = &mut facts[s..e];
        if !part.is_sorted_by_key(|f| f.at) {
            part.sort_by_key(|f| f.at);
        }
    }
    (ids, starts)
}

/// What a cached ledger was loaded from: it answers only while all of it still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub changes: Changes,
    pub tz: Tz,
}

/// Nothing committed since the read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Changes {
    /// The file's change counters (db::analytics::change_stamp).
    File((i64, i64)),
    /// The server's snapshot (db::analytics::server_snapshot).
    Server(String),
}

/// A loaded ledger and when it stops being true on its own: at the first purchase dated
/// after the moment it was loaded up to.
pub(crate) struct Cached {
    pub stamp: Stamp,
    pub until: i64,
    pub next_at: Option<i64>,
    pub ledger: Arc<Ledger>,
}

impl Cached {
    /// The ledger, if it holds for `stamp` up to `now`.
    pub fn get(&self, stamp: &Stamp, now: i64) -> Option<Arc<Ledger>> {
        let fresh =
            self.stamp == *stamp && now >= self.until && self.next_at.is_none_or(|t| now < t);
        fresh.then(|| Arc::clone(&self.ledger))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(at: i64) -> PurchaseFact {
        PurchaseFact {
            at,
            net_minor: 1,
            staff: 0,
            day: NaiveDate::MIN,
        }
    }

    #[test]
    fn spells_merge_purchases_within_the_window() {
        let purchases = [fact(0), fact(10 * DAY), fact(200 * DAY)];
        let c = CustomerHistory {
            id: 1,
            spells: spells(&purchases, 90 * DAY),
            purchases: Purchases {
                all: Arc::new(purchases.to_vec()),
                start: 0,
                end: 3,
            },
        };
        assert_eq!(c.spells, vec![(0, 100 * DAY), (200 * DAY, 290 * DAY)]);
        assert!(c.active_at(99 * DAY) && !c.active_at(100 * DAY));
        assert_eq!((c.first(), c.last()), (0, 200 * DAY));
        assert_eq!(c.purchases[2].at, 200 * DAY);
        assert_eq!((&c.purchases).into_iter().count(), 3);
    }

    #[test]
    fn days_match_the_time_zone() {
        for zone in ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York"] {
            let tz = time::parse_tz(zone).unwrap();
            let from = time::parse_instant("2025-03-01T00:30", tz).unwrap();
            let to = time::parse_instant("2026-11-10T23:59", tz).unwrap();
            let days = Days::new(tz, from, to);
            let mut at = from;
            while at <= to {
                assert_eq!(days.date(at), time::local_date(at, tz), "{zone} {at}");
                at += 3541;
            }
            assert_eq!(days.date(to), time::local_date(to, tz));
        }
    }

    #[test]
    fn grouping_out_of_order_rows_keeps_id_order_within_a_second() {
        // Rows in id order; customers 7 and 3 interleaved, two of 3's at the same second.
        let rows = vec![7, 3, 7, 3, 3, 9];
        let mut facts: Vec<PurchaseFact> = [50, 40, 20, 40, 10, 5]
            .iter()
            .enumerate()
            .map(|(i, &at)| PurchaseFact {
                net_minor: i as i64,
                ..fact(at)
            })
            .collect();
        let (ids, starts) = group(&mut facts, rows.clone());
        assert_eq!(ids, vec![3, 7, 9]);
        assert_eq!(starts, vec![0, 3, 5]);
        let order: Vec<(i64, i64)> = facts.iter().map(|f| (f.at, f.net_minor)).collect();
        assert_eq!(
            order,
            vec![(10, 4), (40, 1), (40, 3), (20, 2), (50, 0), (5, 5)]
        );
        // The same with ids that need 8 bytes, and with ids too sparse for a table.
        for (offset, want_starts) in [(1i64 << 40, [0, 3, 5]), (-(1 << 40), [0, 1, 3])] {
            let mut again: Vec<PurchaseFact> =
                [50, 40, 20, 40, 10, 5].iter().map(|&at| fact(at)).collect();
            let wide: Vec<i64> = rows.iter().map(|&c| c * offset).collect();
            let (ids, starts) = group(&mut again, wide);
            assert_eq!(starts, want_starts.to_vec());
            let mut want = vec![3 * offset, 7 * offset, 9 * offset];
            want.sort_unstable();
            assert_eq!(ids, want);
        }
    }
}
