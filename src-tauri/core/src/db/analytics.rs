//! Reads behind the retention reports, and the per-customer scores table.

use crate::error::Result;
use crate::model::{why, Scores};
use crate::{money, time};
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::ops::{Bound, RangeBounds};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

/// One purchase as the reports see it: net of refunds. 24 bytes: a million-customer shop's
/// five million purchases are 120 MB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PurchaseFact {
    pub at: i64,
    pub net_minor: i64,
    /// Index into the staff names loaded alongside (0 = not recorded).
    pub staff: u32,
    /// The shop-local day, filled in by the history loader.
    pub day: chrono::NaiveDate,
}

/// Takes the purchases of a scan one row at a time: (id, customer_id, at, total_minor,
/// staff trimmed, "" when not recorded or not asked for).
pub trait PurchaseSink {
    fn row(&mut self, id: i64, customer_id: i64, at: i64, total_minor: i64, staff: &str);
}

/// Hands each row of an aggregate to the sink, which it borrows from `slot` for the scan.
struct Scan<S>(Arc<Mutex<Option<S>>>);

impl<S: PurchaseSink + 'static> Aggregate<AssertUnwindSafe<S>, i64> for Scan<S> {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<AssertUnwindSafe<S>> {
        let sink = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        sink.map(AssertUnwindSafe)
            .ok_or_else(|| rusqlite::Error::UserFunctionError("scan without a sink".into()))
    }

    fn step(&self, ctx: &mut Context<'_>, sink: &mut AssertUnwindSafe<S>) -> rusqlite::Result<()> {
        let int = |i| match ctx.get_raw(i) {
            ValueRef::Integer(v) => v,
            _ => 0,
        };
        let staff = match ctx.get_raw(4) {
            ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or("").trim(),
            _ => "",
        };
        sink.row(int(0), int(1), int(2), int(3), staff);
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut Context<'_>,
        sink: Option<AssertUnwindSafe<S>>,
    ) -> rusqlite::Result<i64> {
        if let Some(AssertUnwindSafe(sink)) = sink {
            *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
        }
        Ok(0)
    }
}

/// Every purchase up to `until`, in (customer, time, id) order, into `sink`; the sink back.
/// One walk of the covering index (migration 013), so the rows come grouped by customer with
/// no table page read and nothing to sort after, handed over inside SQLite by an aggregate
/// function: a third cheaper than stepping out for each row.
pub fn each_purchase<S: PurchaseSink + 'static>(
    conn: &Connection,
    until: i64,
    with_staff: bool,
    customers: impl RangeBounds<i64>,
    sink: S,
) -> Result<S> {
    const NAME: &str = "kq_purchase_scan";
    let lo = match customers.start_bound() {
        Bound::Included(&c) => c,
        Bound::Excluded(&c) => c.saturating_add(1),
        Bound::Unbounded => i64::MIN,
    };
    let hi = match customers.end_bound() {
        Bound::Included(&c) => c,
        Bound::Excluded(&c) => c.saturating_sub(1),
        Bound::Unbounded => i64::MAX,
    };
    let slot = Arc::new(Mutex::new(Some(sink)));
    conn.create_aggregate_function(NAME, 5, FunctionFlags::SQLITE_UTF8, Scan(Arc::clone(&slot)))?;
    let sql = if with_staff {
        "SELECT kq_purchase_scan(id, customer_id, at, total_minor, staff)
         FROM purchases INDEXED BY purchases_customer_at
         WHERE customer_id BETWEEN ?2 AND ?3 AND at <= ?1"
    } else {
        "SELECT kq_purchase_scan(id, customer_id, at, total_minor, NULL)
         FROM purchases INDEXED BY purchases_customer_at
         WHERE customer_id BETWEEN ?2 AND ?3 AND at <= ?1"
    };
    let out = conn.query_row(sql, params![until, lo, hi], |r| r.get::<_, i64>(0));
    conn.remove_function(NAME, 5)?;
    out?;
    let sink = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    sink.ok_or_else(|| rusqlite::Error::UserFunctionError("scan lost its sink".into()).into())
}

/// [`each_purchase`] on a server: the rows streamed in (customer, time, id) order, every
/// customer at once (a server has no second scan to split with).
pub fn each_purchase_pg<S: PurchaseSink>(
    link: &super::pg::Link,
    until: i64,
    with_staff: bool,
    mut sink: S,
) -> Result<S> {
    let staff = if with_staff { "staff" } else { "NULL::text" };
    let sql = format!(
        "SELECT id, customer_id, at, total_minor, {staff} FROM purchases WHERE at <= $1
         ORDER BY customer_id, at, id"
    );
    link.with(|c| {
        c.for_each(&sql, &[&until], |r| {
            let staff: Option<&str> = r.get(4);
            sink.row(
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                staff.unwrap_or("").trim(),
            );
            std::ops::ControlFlow::Continue(())
        })
    })?;
    Ok(sink)
}

/// The customer id halfway between the lowest and highest that bought (two index seeks):
/// where two scans split the purchases. None with fewer than two such customers.
pub fn middle_customer(conn: &Connection) -> Result<Option<i64>> {
    let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT min(customer_id) FROM purchases), (SELECT max(customer_id) FROM purchases)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(match (lo, hi) {
        (Some(lo), Some(hi)) if lo < hi => Some(lo + (hi - lo) / 2 + 1),
        _ => None,
    })
}

/// Begin read transactions on `a` and `b` that see the same committed state: both begun
/// while `writer` holds the database's write lock, so no commit from any process can land
/// between them. False, with nothing begun, when that lock cannot be had (a write is
/// running) or a connection is already in a transaction; end each with [`end_read`].
pub fn twin_snapshots(writer: &Connection, a: &Connection, b: &Connection) -> bool {
    if !(writer.is_autocommit() && a.is_autocommit() && b.is_autocommit()) {
        return false;
    }
    if writer.execute_batch("BEGIN IMMEDIATE").is_err() {
        return false;
    }
    let begin = |c: &Connection| -> rusqlite::Result<()> {
        c.execute_batch("BEGIN")?;
        // The first read takes the snapshot.
        c.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
    };
    let begun = begin(a).and_then(|()| begin(b));
    let released = writer.execute_batch("ROLLBACK");
    if begun.is_err() || released.is_err() {
        end_read(a);
        end_read(b);
        return false;
    }
    true
}

/// End a read transaction begun by [`twin_snapshots`] (nothing to keep: it only read).
pub fn end_read(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// (purchase id, amount refunded), by purchase id.
pub fn refunded<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Vec<(i64, i64)>> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        // PostgreSQL sums BIGINTs as NUMERIC: cast back, whole.
        pg => {
            return super::rows(
                pg,
                "SELECT purchase_id, sum(amount_minor)::bigint FROM refunds
                 GROUP BY purchase_id ORDER BY purchase_id",
                &[],
            )
        }
    };
    let mut stmt = conn.prepare(
        "SELECT purchase_id, total(amount_minor) FROM refunds
         GROUP BY purchase_id ORDER BY purchase_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, crate::limits::from_total(r.get(1)?)))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The first and last purchase times up to `until` (an index lookup each).
pub fn purchase_span<'a>(
    conn: impl Into<super::Conn<'a>>,
    until: i64,
) -> Result<Option<(i64, i64)>> {
    let (lo, hi): (Option<i64>, Option<i64>) = super::first(
        conn.into(),
        "SELECT (SELECT min(at) FROM purchases), (SELECT max(at) FROM purchases WHERE at <= ?1)",
        &[&until],
    )?
    .unwrap_or((None, None));
    Ok(lo.zip(hi).filter(|(lo, hi)| lo <= hi))
}

/// The earliest purchase time after `until`, if any (dated in the future when recorded).
pub fn next_purchase_after<'a>(
    conn: impl Into<super::Conn<'a>>,
    until: i64,
) -> Result<Option<i64>> {
    super::one(
        conn.into(),
        "SELECT min(at) FROM purchases WHERE at > ?1",
        &[&until],
    )
}

/// The snapshot a server's read sees (its transaction's, in a report's REPEATABLE READ):
/// two reads that see the same one see the same rows, since no transaction began or ended
/// between them anywhere on the server.
pub fn server_snapshot(link: &super::pg::Link) -> Result<String> {
    link.with(|c| {
        Ok(c.query_one("SELECT pg_current_snapshot()::text", &[])?
            .get(0))
    })
}

/// How many purchase and customer rows there can be at most (from the row ids, at once):
/// what to reserve before a scan.
pub fn row_bounds<'a>(conn: impl Into<super::Conn<'a>>) -> Result<(usize, usize)> {
    let (p, c): (Option<i64>, Option<i64>) = super::first(
        conn.into(),
        "SELECT (SELECT max(id) - min(id) + 1 FROM purchases),
                (SELECT max(id) - min(id) + 1 FROM customers)",
        &[],
    )?
    .unwrap_or((None, None));
    let size = |n: Option<i64>| usize::try_from(n.unwrap_or(0).clamp(0, 1 << 28)).unwrap_or(0);
    Ok((size(p), size(c)))
}

/// `f` on one snapshot of the database (a read transaction, unless one is open already), so
/// a commit landing halfway through a long read cannot mix two states into one answer.
pub fn in_snapshot<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    let tx = conn.unchecked_transaction()?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// Changes the next time anything is committed to the database, by this connection or any
/// other: (PRAGMA data_version, total_changes()). Read it before a snapshot it stamps.
pub fn change_stamp(conn: &Connection) -> Result<(i64, i64)> {
    let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    let changes: i64 = conn.query_row("SELECT total_changes()", [], |r| r.get(0))?;
    Ok((version, changes))
}

/// Active customers (not archived), and how many have never bought.
pub fn customer_counts<'a>(conn: impl Into<super::Conn<'a>>) -> Result<(i64, i64)> {
    Ok(super::first(
        conn.into(),
        "SELECT count(*), count(*) FILTER (WHERE visits = 0) FROM customers
         WHERE archived_at IS NULL",
        &[],
    )?
    .unwrap_or((0, 0)))
}

/// Ids of archived customers, whom the reports leave out (from an index that holds
/// `archived_at`: a tenth of the table's pages).
pub fn archived_ids<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Vec<i64>> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        pg => {
            let ids: Vec<(i64,)> = super::rows(
                pg,
                "SELECT id FROM customers WHERE archived_at IS NOT NULL",
                &[],
            )?;
            return Ok(ids.into_iter().map(|(id,)| id).collect());
        }
    };
    let mut stmt = conn.prepare(
        "SELECT id FROM customers INDEXED BY customers_last_purchase WHERE archived_at IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many customers each customer referred.
pub fn referral_counts<'a>(conn: impl Into<super::Conn<'a>>) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = super::rows(
        conn.into(),
        "SELECT referred_by, count(*) FROM customers
         WHERE referred_by IS NOT NULL AND merged_into IS NULL GROUP BY referred_by",
        &[],
    )?;
    Ok(rows.into_iter().collect())
}

/// Each customer's latest NPS score.
pub fn latest_nps<'a>(conn: impl Into<super::Conn<'a>>) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = super::rows(
        conn.into(),
        "SELECT customer_id, score FROM surveys s WHERE kind = 'nps' AND id = (
             SELECT id FROM surveys WHERE customer_id = s.customer_id AND kind = 'nps'
             ORDER BY at DESC, id DESC LIMIT 1)",
        &[],
    )?;
    Ok(rows.into_iter().collect())
}

/// Reminders marked done in [from, to], by who closed them.
pub fn reminders_done_by<'a>(
    conn: impl Into<super::Conn<'a>>,
    from: i64,
    to: i64,
) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = super::rows(
        conn.into(),
        "SELECT coalesce(trim(closed_by), ''), count(*) FROM reminders
         WHERE status = 'done' AND closed_at >= ?1 AND closed_at <= ?2 GROUP BY 1",
        &[&from, &to],
    )?;
    Ok(rows.into_iter().collect())
}

/// One customer's stored scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub customer_id: i64,
    pub r: i64,
    pub f: i64,
    pub m: i64,
    /// Borrowed from core's names when computed (no allocation per row), owned when read.
    pub segment: std::borrow::Cow<'static, str>,
    pub stage: std::borrow::Cow<'static, str>,
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub expected_spend_minor: Option<i64>,
    pub clv_minor: Option<i64>,
    pub at_risk: bool,
    pub next_visit: Option<String>,
    /// Total spent when computed, for the segments' revenue.
    pub monetary_minor: i64,
    pub computed_at: i64,
}

impl ScoreRow {
    /// The scores as the profile shows them, money in the shop's currency.
    pub fn view(self, exp: u32) -> Scores {
        let s = self;
        let why = why(&s.segment, s.p_alive, s.expected_purchases.is_some());
        Scores {
            r: s.r,
            f: s.f,
            m: s.m,
            segment: s.segment.into_owned(),
            stage: s.stage.into_owned(),
            p_alive: s.p_alive,
            expected_purchases: s.expected_purchases,
            expected_spend: s.expected_spend_minor.map(|m| money::from_minor(m, exp)),
            clv: s.clv_minor.map(|m| money::from_minor(m, exp)),
            at_risk: s.at_risk,
            next_visit: s.next_visit,
            why,
            computed_at: time::from_unix(s.computed_at),
        }
    }
}

const SCORE_COLS: &str = "customer_id, r, f, m, segment, stage, p_alive, expected_purchases,
    expected_spend_minor, clv_minor, at_risk, next_visit, monetary_minor, computed_at";

/// [`SCORE_COLS`] for PostgreSQL, where at risk is stored as a number and read as a flag.
const SCORE_COLS_PG: &str = "customer_id, r, f, m, segment, stage, p_alive, expected_purchases,
    expected_spend_minor, clv_minor, at_risk <> 0, next_visit, monetary_minor, computed_at";

fn score_from(r: &impl super::Row) -> crate::error::Result<ScoreRow> {
    Ok(ScoreRow {
        customer_id: r.col(0)?,
        r: r.col(1)?,
        f: r.col(2)?,
        m: r.col(3)?,
        segment: std::borrow::Cow::Owned(r.col(4)?),
        stage: std::borrow::Cow::Owned(r.col(5)?),
        p_alive: r.col(6)?,
        expected_purchases: r.col(7)?,
        expected_spend_minor: r.col(8)?,
        clv_minor: r.col(9)?,
        at_risk: r.col(10)?,
        next_visit: r.col(11)?,
        monetary_minor: r.col(12)?,
        computed_at: r.col(13)?,
    })
}

/// Drop these customers' scores (they no longer qualify).
pub fn delete_scores<'a>(conn: impl Into<super::Conn<'a>>, ids: &[i64]) -> Result<()> {
    let conn = conn.into();
    for id in ids {
        super::execute(
            conn,
            "DELETE FROM customer_scores WHERE customer_id = ?1",
            &[id],
        )?;
    }
    Ok(())
}

/// Insert new rows, or rewrite every column of rows whose segment, stage or at-risk flag
/// changed (the others go through [`update_score_values`]).
pub fn put_scores<'a>(conn: impl Into<super::Conn<'a>>, rows: &[&ScoreRow]) -> Result<()> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        pg => {
            for s in rows {
                super::execute(
                    pg,
                    &format!(
                        "INSERT INTO customer_scores ({SCORE_COLS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                         ON CONFLICT (customer_id) DO UPDATE SET r = ?2, f = ?3, m = ?4,
                             segment = ?5, stage = ?6, p_alive = ?7, expected_purchases = ?8,
                             expected_spend_minor = ?9, clv_minor = ?10, at_risk = ?11,
                             next_visit = ?12, monetary_minor = ?13, computed_at = ?14"
                    ),
                    &[
                        &s.customer_id,
                        &s.r,
                        &s.f,
                        &s.m,
                        &s.segment.as_ref(),
                        &s.stage.as_ref(),
                        &s.p_alive,
                        &s.expected_purchases,
                        &s.expected_spend_minor,
                        &s.clv_minor,
                        // Stored as a number on a server (at_risk BIGINT).
                        &i64::from(s.at_risk),
                        &s.next_visit,
                        &s.monetary_minor,
                        &s.computed_at,
                    ],
                )?;
            }
            return Ok(());
        }
    };
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO customer_scores ({SCORE_COLS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (customer_id) DO UPDATE SET r = ?2, f = ?3, m = ?4, segment = ?5,
             stage = ?6, p_alive = ?7, expected_purchases = ?8, expected_spend_minor = ?9,
             clv_minor = ?10, at_risk = ?11, next_visit = ?12, monetary_minor = ?13,
             computed_at = ?14"
    ))?;
    for s in rows {
        stmt.execute(params![
            s.customer_id,
            s.r,
            s.f,
            s.m,
            s.segment,
            s.stage,
            s.p_alive,
            s.expected_purchases,
            s.expected_spend_minor,
            s.clv_minor,
            s.at_risk,
            s.next_visit,
            s.monetary_minor,
            s.computed_at
        ])?;
    }
    Ok(())
}

/// Update rows in place whose segment, stage and at-risk flag are unchanged: those columns
/// are left out of the SET, so SQLite leaves their indexes alone (setting an indexed column,
/// even to its own value, rewrites its index entry: about three times the cost per row).
pub fn update_score_values<'a>(conn: impl Into<super::Conn<'a>>, rows: &[&ScoreRow]) -> Result<()> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        // Every value, indexed or not, on a server: [`put_scores`] writes the whole row.
        pg => return put_scores(pg, rows),
    };
    let mut stmt = conn.prepare_cached(
        "UPDATE customer_scores SET r = ?2, f = ?3, m = ?4, p_alive = ?5,
             expected_purchases = ?6, expected_spend_minor = ?7, clv_minor = ?8,
             next_visit = ?9, monetary_minor = ?10, computed_at = ?11
         WHERE customer_id = ?1",
    )?;
    for s in rows {
        stmt.execute(params![
            s.customer_id,
            s.r,
            s.f,
            s.m,
            s.p_alive,
            s.expected_purchases,
            s.expected_spend_minor,
            s.clv_minor,
            s.next_visit,
            s.monetary_minor,
            s.computed_at
        ])?;
    }
    Ok(())
}

/// What a refresh must write: of `rows` (by index), those whose indexed values (segment,
/// stage, at-risk) moved or that are new, to upsert; those where only other values moved,
/// to update in place; and the stored customers no longer in `rows`, to delete.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScoreChanges {
    pub upsert: Vec<usize>,
    pub update: Vec<usize>,
    pub gone: Vec<i64>,
}

/// Compare `rows` with the stored scores, value by value (not the time they were computed),
/// in one walk of the table in customer order beside the rows in the same order.
pub fn score_changes<'a>(
    conn: impl Into<super::Conn<'a>>,
    rows: &[ScoreRow],
) -> Result<ScoreChanges> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        pg => return score_changes_pg(pg, rows),
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if !rows.windows(2).all(|w| w[0].customer_id < w[1].customer_id) {
        order.sort_by_key(|&i| rows[i].customer_id);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT {SCORE_COLS} FROM customer_scores ORDER BY customer_id"
    ))?;
    let mut stored = stmt.query([])?;
    let mut out = ScoreChanges::default();
    let mut next = order.iter().copied().peekable();
    while let Some(r) = stored.next()? {
        let id: i64 = r.get(0)?;
        // New customers before this stored one.
        while let Some(&i) = next.peek() {
            if rows[i].customer_id >= id {
                break;
            }
            out.upsert.push(i);
            next.next();
        }
        let Some(&i) = next.peek().filter(|&&i| rows[i].customer_id == id) else {
            out.gone.push(id);
            continue;
        };
        next.next();
        let row = &rows[i];
        let text =
            |k: usize| -> rusqlite::Result<Option<&str>> { Ok(r.get_ref(k)?.as_str_or_null()?) };
        let bits = |v: Option<f64>| v.map(f64::to_bits);
        let indexed = text(4)? == Some(&*row.segment)
            && text(5)? == Some(&*row.stage)
            && r.get::<_, bool>(10)? == row.at_risk;
        if !indexed {
            out.upsert.push(i);
            continue;
        }
        let same = r.get::<_, i64>(1)? == row.r
            && r.get::<_, i64>(2)? == row.f
            && r.get::<_, i64>(3)? == row.m
            && bits(r.get(6)?) == bits(row.p_alive)
            && bits(r.get(7)?) == bits(row.expected_purchases)
            && r.get::<_, Option<i64>>(8)? == row.expected_spend_minor
            && r.get::<_, Option<i64>>(9)? == row.clv_minor
            && text(11)? == row.next_visit.as_deref()
            && r.get::<_, i64>(12)? == row.monetary_minor;
        if !same {
            out.update.push(i);
        }
    }
    out.upsert.extend(next);
    Ok(out)
}

/// [`score_changes`] on a server: the stored rows read whole (a server's shop of a million
/// customers holds them in about 150 MB for the comparison), then compared the same way.
fn score_changes_pg(conn: super::Conn, rows: &[ScoreRow]) -> Result<ScoreChanges> {
    let stored: Vec<StoredScore> = super::rows(
        conn,
        &format!("SELECT {SCORE_COLS_PG} FROM customer_scores ORDER BY customer_id"),
        &[],
    )?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].customer_id);
    let mut out = ScoreChanges::default();
    let mut next = order.iter().copied().peekable();
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    for StoredScore(s) in stored {
        while let Some(&i) = next.peek() {
            if rows[i].customer_id >= s.customer_id {
                break;
            }
            out.upsert.push(i);
            next.next();
        }
        let Some(&i) = next
            .peek()
            .filter(|&&i| rows[i].customer_id == s.customer_id)
        else {
            out.gone.push(s.customer_id);
            continue;
        };
        next.next();
        let row = &rows[i];
        if s.segment != row.segment || s.stage != row.stage || s.at_risk != row.at_risk {
            out.upsert.push(i);
            continue;
        }
        let same = s.r == row.r
            && s.f == row.f
            && s.m == row.m
            && bits(s.p_alive) == bits(row.p_alive)
            && bits(s.expected_purchases) == bits(row.expected_purchases)
            && s.expected_spend_minor == row.expected_spend_minor
            && s.clv_minor == row.clv_minor
            && s.next_visit == row.next_visit
            && s.monetary_minor == row.monetary_minor;
        if !same {
            out.update.push(i);
        }
    }
    out.upsert.extend(next);
    Ok(out)
}

struct StoredScore(ScoreRow);

impl super::Columns for StoredScore {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(StoredScore(score_from(r)?))
    }
}

const SCORES_STAMP: &str = "analytics.scores_computed_at";

/// When the scores were last computed as a whole (rows a refresh left unchanged keep the
/// time they were written).
pub fn set_scores_computed_at<'a>(conn: impl Into<super::Conn<'a>>, at: i64) -> Result<()> {
    crate::db::settings::set(conn, SCORES_STAMP, &at.to_string())
}

pub fn score<'a>(conn: impl Into<super::Conn<'a>>, customer_id: i64) -> Result<Option<ScoreRow>> {
    match conn.into() {
        super::Conn::Lite(c) => c
            .prepare_cached(&format!(
                "SELECT {SCORE_COLS} FROM customer_scores WHERE customer_id = ?1"
            ))?
            .query_and_then([customer_id], |r| score_from(r))?
            .next()
            .transpose(),
        super::Conn::Pg(p) => Ok(p
            .with_rows(
                &format!("SELECT {SCORE_COLS_PG} FROM customer_scores WHERE customer_id = $1"),
                &[&customer_id],
                score_from,
            )?
            .into_iter()
            .next()),
    }
}

/// Archiving a customer drops their scores (the next refresh would anyway).
pub fn delete_score<'a>(conn: impl Into<super::Conn<'a>>, customer_id: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "DELETE FROM customer_scores WHERE customer_id = ?1",
        &[&customer_id],
    )?;
    Ok(())
}

/// (r, f, count, total spent) for every (r, f) present, in one scan of the table summed
/// here (a GROUP BY would sort a million rows, and the segment index would add a lookup
/// per row for the money).
pub fn rfm_cells<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Vec<(i64, i64, i64, i64)>> {
    let conn = match conn.into() {
        super::Conn::Lite(c) => c,
        pg => {
            return super::rows(
                pg,
                "SELECT r, f, count(*), coalesce(sum(monetary_minor), 0)::bigint
                 FROM customer_scores GROUP BY r, f ORDER BY r, f",
                &[],
            )
        }
    };
    let mut cells = [[(0i64, 0i64); 6]; 6];
    let mut stmt = conn.prepare("SELECT r, f, monetary_minor FROM customer_scores NOT INDEXED")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (r, f): (i64, i64) = (row.get(0)?, row.get(1)?);
        let cell = &mut cells[r.clamp(0, 5) as usize][f.clamp(0, 5) as usize];
        cell.0 += 1;
        cell.1 = cell.1.saturating_add(row.get(2)?);
    }
    let mut out = Vec::new();
    for (r, row) in cells.iter().enumerate() {
        for (f, &(n, spent)) in row.iter().enumerate() {
            if n > 0 {
                out.push((r as i64, f as i64, n, spent));
            }
        }
    }
    Ok(out)
}

/// (stage, count).
pub fn stage_counts<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Vec<(String, i64)>> {
    super::rows(
        conn.into(),
        "SELECT stage, count(*) FROM customer_scores GROUP BY stage",
        &[],
    )
}

/// (code, name) of every customer, for a report over all of them.
pub fn names<'a>(
    conn: impl Into<super::Conn<'a>>,
) -> Result<HashMap<i64, (Option<String>, String)>> {
    let rows: Vec<(i64, Option<String>, String)> =
        super::rows(conn.into(), "SELECT id, code, name FROM customers", &[])?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect())
}

/// When the scores were last computed: the refresh's stamp, or (scores from before the
/// stamp existed) the newest row's time; None when there are none.
pub fn computed_at<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Option<i64>> {
    let conn = conn.into();
    let stamp = crate::db::settings::get(conn, SCORES_STAMP)?.and_then(|v| v.parse::<i64>().ok());
    if stamp.is_some() {
        return Ok(stamp);
    }
    super::one(conn, "SELECT max(computed_at) FROM customer_scores", &[])
}

/// Customers flagged at risk, highest predicted value first.
pub fn at_risk_ids<'a>(conn: impl Into<super::Conn<'a>>, limit: u32) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = super::rows(
        conn.into(),
        "SELECT s.customer_id FROM customer_scores s JOIN customers c ON c.id = s.customer_id
         WHERE s.at_risk = 1 AND c.archived_at IS NULL
         ORDER BY c.total_minor DESC, s.customer_id LIMIT ?1",
        &[&i64::from(limit)],
    )?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// WHERE conditions on `customers c` for the analytics filters of the customer list and the
/// bulk-message filter; values go to `args` as numbered parameters.
pub fn score_conditions(
    segment: Option<&str>,
    stage: Option<&str>,
    at_risk: bool,
    arg: &mut dyn FnMut(String) -> String,
) -> Vec<String> {
    let mut wh = Vec::new();
    if let Some(seg) = segment {
        wh.push(format!(
            "c.id IN (SELECT customer_id FROM customer_scores WHERE segment = {})",
            arg(seg.to_owned())
        ));
    }
    match stage {
        // Customers who never bought have no scores row.
        Some("reach") => wh.push("c.visits = 0".into()),
        Some(stage) => {
            wh.push(format!(
                "c.id IN (SELECT customer_id FROM customer_scores WHERE stage = {})",
                arg(stage.to_owned())
            ));
        }
        None => {}
    }
    if at_risk {
        wh.push("c.id IN (SELECT customer_id FROM customer_scores WHERE at_risk = 1)".into());
    }
    wh
}

/// Per counter (`""` for bills of no named counter), the bills made in `[start, end)`, their
/// revenue after refunds and the customers they were for; one counter when `only` names it.
pub fn counters<'a>(
    conn: impl Into<super::Conn<'a>>,
    start: i64,
    end: i64,
    only: Option<&str>,
) -> Result<Vec<(String, i64, i64, i64)>> {
    let conn = conn.into();
    let big = super::sum_cast(conn);
    let (only_sql, params): (&str, Vec<&dyn super::Param>) = match &only {
        Some(c) => ("AND p.counter = ?3", vec![&start, &end, c]),
        None => ("", vec![&start, &end]),
    };
    // Refunds are few: summed per counter apart, read from the refunds first.
    let join = super::ordered_join(conn);
    let refunds_sql = format!(
        "SELECT p.counter AS counter, sum(r.amount_minor) AS a
         FROM refunds r {join} purchases p ON p.id = r.purchase_id
         WHERE p.at >= ?1 AND p.at < ?2 {only_sql}
         GROUP BY p.counter"
    );
    if let super::Conn::Lite(c) = conn {
        return counters_counted(c, (start, end), only, &refunds_sql, &params);
    }
    // On a server: bills and takings per (counter, customer) first, so each counter's
    // customers are its rows: one sort of the range's bills, where count(DISTINCT) sorted
    // them again after grouping (1.12 s against 0.95 s for a year of 5M bills).
    super::rows(
        conn,
        &format!(
            "WITH g AS (SELECT p.counter AS counter, count(*) AS n, sum(p.total_minor) AS t
                        FROM purchases p
                        WHERE p.at >= ?1 AND p.at < ?2 {only_sql}
                        GROUP BY p.counter, p.customer_id),
                  r AS ({refunds_sql})
             SELECT coalesce(g.counter, ''), sum(g.n){big},
                    (sum(g.t) - coalesce((SELECT r.a FROM r
                        WHERE coalesce(r.counter, '') = coalesce(g.counter, '')), 0)){big},
                    count(*)
             FROM g
             GROUP BY g.counter
             ORDER BY 3 DESC, 1"
        ),
        &params,
    )
}

/// [`counters`] on a shop file: the range's bills read once from the time index, which holds
/// each bill's counter, customer and amount (schema 20), and counted here. SQLite's GROUP
/// BY sorted them first: 1.46 s for a year of bills at 1M customers, against 0.70 s. Memory:
/// one id per counter and customer, 14 MB for the half million customers of that year.
fn counters_counted(
    c: &Connection,
    (start, end): (i64, i64),
    only: Option<&str>,
    refunds_sql: &str,
    params: &[&dyn super::Param],
) -> Result<Vec<(String, i64, i64, i64)>> {
    #[derive(Default)]
    struct Tally {
        bills: i64,
        takings: i64,
        customers: std::collections::HashSet<i64>,
    }
    let too_big = || crate::error::CoreError::AmountTooLarge;
    let mut by: HashMap<String, Tally> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT coalesce(counter, ''), customer_id, total_minor FROM purchases
         WHERE at >= ?1 AND at < ?2 AND (?3 IS NULL OR counter = ?3)",
    )?;
    let mut rows = stmt.query(params![start, end, only])?;
    while let Some(r) = rows.next()? {
        let counter = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        let t = match by.get_mut(counter) {
            Some(t) => t,
            None => by.entry(counter.to_owned()).or_default(),
        };
        t.bills += 1;
        t.takings = t.takings.checked_add(r.get(2)?).ok_or_else(too_big)?;
        t.customers.insert(r.get(1)?);
    }
    let refunds: Vec<(Option<String>, i64)> =
        super::rows(super::Conn::Lite(c), refunds_sql, params)?;
    for (counter, amount) in refunds {
        if let Some(t) = by.get_mut(counter.as_deref().unwrap_or("")) {
            t.takings = t.takings.checked_sub(amount).ok_or_else(too_big)?;
        }
    }
    let mut out: Vec<(String, i64, i64, i64)> = by
        .into_iter()
        .map(|(counter, t)| (counter, t.bills, t.takings, t.customers.len() as i64))
        .collect();
    // As the server orders them: the biggest takings first, then by name.
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}
