//! Customer-level figures: RFM scores and segments, the lifecycle stage, and BG/NBD with
//! Gamma-Gamma predictions. Statistical estimates are f64; money leaves as Decimal.

use super::clv::{self, BgNbd, FitError, GammaGamma};
use super::history::{self, CustomerHistory, History, DAY};
use super::rules;
use crate::db::{self, analytics::ScoreRow};
use crate::error::{CoreError, Result};
use crate::model::{segment, Scores, AT_RISK_P_ALIVE, SEGMENTS, STAGES};
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{money, time};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Retain: this many purchase days over at least `RETAIN_SPAN_DAYS`, and not lost.
pub const RETAIN_VISITS: usize = 4;
pub const RETAIN_SPAN_DAYS: i64 = 180;
/// Advocacy through satisfaction: a latest NPS of at least this.
pub const PROMOTER_NPS: i64 = 9;
const EXPECTED_WEEKS: f64 = 90.0 / 7.0;

/// 1-5 quintile scores; equal values always share a score. `higher_is_better` = false
/// scores the smallest values 5 (recency in days).
///
/// The sorted runs of equal values are cut into min(5, runs) groups as near n/5 in size as
/// the runs allow, each group taking at least one run, so a large tie can no longer swallow
/// a neighbouring score while other scores stay empty. With fewer than five distinct values
/// the groups spread over 1..5 (two values score 1 and 5), the lowest value scoring 1.
pub fn quintiles(values: &[f64], higher_is_better: bool) -> Vec<i64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    // Runs of equal values, as [start, end) in `order`.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && values[order[j]].total_cmp(&values[order[i]]).is_eq() {
            j += 1;
        }
        runs.push((i, j));
        i = j;
    }
    let groups = runs.len().min(5);
    let mut out = vec![0i64; n];
    let mut next = 0; // the first run not yet placed
    for g in 0..groups {
        let left_groups = groups - g;
        let remaining = n - runs.get(next).map_or(n, |r| r.0);
        let target = remaining as f64 / left_groups as f64;
        // Runs this group may take while leaving one for every later group.
        let last_allowed = runs.len() - (left_groups - 1);
        let mut end = next + 1;
        let mut size = (runs[next].1 - runs[next].0) as f64;
        while end < last_allowed {
            let more = size + (runs[end].1 - runs[end].0) as f64;
            if (more - target).abs() <= (size - target).abs() {
                size = more;
                end += 1;
            } else {
                break;
            }
        }
        if g == groups - 1 {
            end = runs.len();
        }
        let q = if groups == 1 {
            1
        } else {
            1 + ((g * 4) as f64 / (groups - 1) as f64).round() as i64
        };
        let score = if higher_is_better { q } else { 6 - q };
        for run in &runs[next..end] {
            for k in &order[run.0..run.1] {
                out[*k] = score;
            }
        }
        next = end;
    }
    out
}

/// The first rule that holds, from the top.
pub fn stage(
    days: usize,
    span_days: i64,
    lost: bool,
    referrals: i64,
    nps: Option<i64>,
) -> &'static str {
    if days == 0 {
        "reach"
    } else if referrals > 0 || nps.is_some_and(|s| s >= PROMOTER_NPS) {
        "advocacy"
    } else if days >= RETAIN_VISITS && span_days >= RETAIN_SPAN_DAYS && !lost {
        "retain"
    } else if days >= 2 {
        "develop"
    } else {
        "purchase"
    }
}

/// Where the top quarter of total spent begins (infinite when nobody bought).
fn top_quarter(totals: &[f64]) -> f64 {
    let mut sorted = totals.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get((sorted.len() * 3) / 4)
        .copied()
        .unwrap_or(f64::INFINITY)
}

/// Likely gone, and worth a lot: the list the owner should call first.
fn at_risk(p_alive: f64, total: f64, top_quarter: f64) -> bool {
    p_alive < AT_RISK_P_ALIVE && total >= top_quarter
}

/// A customer's purchase days up to `end` (local dates, spend per day in major units).
#[cfg(test)]
fn days_of(c: &CustomerHistory, end: i64, exp: u32) -> Vec<(NaiveDate, f64)> {
    let mut out: Vec<(NaiveDate, f64)> = Vec::new();
    let unit = 10f64.powi(exp as i32);
    for p in c.purchases.iter().filter(|p| p.at <= end) {
        let d = p.day;
        let v = p.net_minor as f64 / unit;
        match out.last_mut() {
            Some(last) if last.0 == d => last.1 += v,
            _ => out.push((d, v)),
        }
    }
    out
}

/// What [`summary_of`] says of [`days_of`], in one pass and without a list per customer:
/// the number of purchase days up to `end` and BG/NBD's view of them.
fn days_and_summary(
    c: &CustomerHistory,
    end: i64,
    exp: u32,
    end_day: NaiveDate,
) -> (usize, Option<clv::Summary>) {
    let unit = 10f64.powi(exp as i32);
    let mut days = 0usize;
    let (mut first, mut last) = (None::<NaiveDate>, None::<NaiveDate>);
    // Spend of every day but the first, each day summed in order as days_of does.
    let (mut repeat_spend, mut day_spend) = (0.0f64, 0.0f64);
    for p in c.purchases.iter().filter(|p| p.at <= end) {
        let v = p.net_minor as f64 / unit;
        if last == Some(p.day) {
            day_spend += v;
            continue;
        }
        if days > 1 {
            repeat_spend += day_spend;
        }
        days += 1;
        first.get_or_insert(p.day);
        last = Some(p.day);
        day_spend = v;
    }
    if days > 1 {
        repeat_spend += day_spend;
    }
    let summary = first.zip(last).map(|(first, last)| {
        let repeats = days - 1;
        clv::Summary {
            frequency: repeats as f64,
            recency: (last - first).num_days() as f64 / 7.0,
            age: ((end_day - first).num_days().max(0)) as f64 / 7.0,
            monetary: if repeats == 0 {
                0.0
            } else {
                repeat_spend / repeats as f64
            },
        }
    });
    (days, summary)
}

/// BG/NBD's view of one customer: repeat days, and weeks from the first purchase day.
pub fn summary_of(days: &[(NaiveDate, f64)], end_day: NaiveDate) -> Option<clv::Summary> {
    let (first, _) = *days.first()?;
    let (last, _) = *days.last()?;
    let repeat = &days[1..];
    let monetary = if repeat.is_empty() {
        0.0
    } else {
        repeat.iter().map(|d| d.1).sum::<f64>() / repeat.len() as f64
    };
    Some(clv::Summary {
        frequency: repeat.len() as f64,
        recency: (last - first).num_days() as f64 / 7.0,
        age: ((end_day - first).num_days().max(0)) as f64 / 7.0,
        monetary,
    })
}

fn fit_error(e: FitError) -> CoreError {
    match e {
        FitError::TooThin {
            customers,
            repeaters,
            min_customers,
            min_repeaters,
        } => CoreError::AnalyticsTooThin {
            customers,
            repeaters,
            min_customers,
            min_repeaters,
        },
        FitError::NoConvergence => CoreError::AnalyticsNoConvergence,
        FitError::AtBound { param, value } => CoreError::AnalyticsFitAtBound {
            param: param.into(),
            value: format!("{value:.4}"),
        },
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Fit {
    pub bgnbd: BgNbdParams,
    pub gamma_gamma: GammaGammaParams,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn params(b: &BgNbd, g: &GammaGamma) -> Fit {
    Fit {
        bgnbd: BgNbdParams {
            r: round4(b.r),
            alpha: round4(b.alpha),
            a: round4(b.a),
            b: round4(b.b),
        },
        gamma_gamma: GammaGammaParams {
            p: round4(g.p),
            q: round4(g.q),
            gamma: round4(g.gamma),
        },
    }
}

fn to_money(x: f64, exp: u32) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    Decimal::from_f64(x).map(|d| d.round_dp(exp))
}

/// One customer's predictions.
#[derive(Debug, Clone)]
struct Prediction {
    /// Repeat purchase days the model saw (x).
    repeats: f64,
    p_alive: f64,
    expected_purchases: f64,
    expected_spend: f64,
    clv: f64,
    next_visit: Option<NaiveDate>,
}

struct Model {
    bgnbd: BgNbd,
    gg: GammaGamma,
}

/// Both models, refusing a fit on a parameter bound: its predictions would say more than
/// the data do (the owner sees why instead).
fn fit(summaries: &[clv::Summary]) -> Result<Model> {
    let bgnbd = clv::fit_bgnbd_checked(summaries).map_err(fit_error)?;
    let gg = clv::fit_gamma_gamma_checked(summaries).map_err(fit_error)?;
    Ok(Model { bgnbd, gg })
}

impl Prediction {
    /// P(alive), or None without a repeat purchase: BG/NBD then says 1 by construction
    /// (nobody can drop out before a second purchase), which would call a one-time buyer
    /// from two years ago certainly active. The owner sees "not enough data" instead.
    fn known_alive(&self) -> Option<f64> {
        (self.repeats > 0.0).then_some(self.p_alive)
    }
}

/// BG/NBD's answers for one (x, t_x, T): one-time buyers share a few hundred (day
/// resolution), and the expectations sum series, so each of those is computed once.
type BgMemo = HashMap<[u64; 3], (f64, f64, f64)>;

impl Model {
    fn predict(
        &self,
        s: &clv::Summary,
        end_day: NaiveDate,
        horizon_weeks: f64,
        memo: &mut BgMemo,
    ) -> Prediction {
        let key = [s.frequency.to_bits(), s.recency.to_bits(), s.age.to_bits()];
        let answer = || {
            (
                self.bgnbd.p_alive(s),
                self.bgnbd.expected_purchases(s, EXPECTED_WEEKS),
                self.bgnbd.expected_purchases(s, horizon_weeks),
            )
        };
        // Only one-time buyers repeat their history often enough to be worth remembering
        // (a few hundred distinct first days); repeat buyers' triples are mostly distinct.
        let (p_alive, expected_purchases, horizon) = if s.frequency == 0.0 {
            *memo.entry(key).or_insert_with(answer)
        } else {
            answer()
        };
        let expected_spend = self.gg.expected_spend(s);
        // The posterior mean purchase rate of a customer still active, in days between visits.
        let b = &self.bgnbd;
        let rate = (b.r + s.frequency) / (b.alpha + s.age);
        let next_visit =
            (p_alive >= AT_RISK_P_ALIVE && rate > 0.0 && s.frequency > 0.0).then(|| {
                let gap_days = (7.0 / rate).round() as i64;
                let last =
                    end_day - chrono::Duration::days(((s.age - s.recency) * 7.0).round() as i64);
                (last + chrono::Duration::days(gap_days)).max(end_day + chrono::Duration::days(1))
            });
        Prediction {
            repeats: s.frequency,
            p_alive,
            expected_purchases,
            expected_spend,
            clv: horizon * expected_spend,
            next_visit,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    pub customers: i64,
    /// Rows whose values changed, the only ones written.
    pub written: i64,
    pub computed_at: chrono::DateTime<chrono::Utc>,
    pub fit: Option<Fit>,
    pub fit_error: Option<FitErrorView>,
    pub millis: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FitErrorView {
    pub code: &'static str,
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// Compute every purchasing customer's scores from one history.
fn compute(
    h: &History,
    tz: Tz,
    exp: u32,
    now: i64,
    horizon_days: i64,
    referrals: &HashMap<i64, i64>,
    nps: &HashMap<i64, i64>,
) -> (Vec<ScoreRow>, std::result::Result<Fit, CoreError>) {
    let end_day = time::local_date(now, tz);
    let (days, summaries): (Vec<usize>, Vec<Option<clv::Summary>>) = h
        .customers
        .iter()
        .map(|c| days_and_summary(c, now, exp, end_day))
        .unzip();
    let fit_input: Vec<clv::Summary> = summaries.iter().flatten().copied().collect();
    let model = fit(&fit_input);
    drop(fit_input);
    let recency: Vec<f64> = h
        .customers
        .iter()
        .map(|c| ((now - c.last()) / DAY) as f64)
        .collect();
    let freq: Vec<f64> = days.iter().map(|d| *d as f64).collect();
    let totals: Vec<f64> = h
        .customers
        .iter()
        .map(|c| c.purchases.iter().map(|p| p.net_minor as f64).sum::<f64>())
        .collect();
    let (rq, fq, mq) = (
        quintiles(&recency, false),
        quintiles(&freq, true),
        quintiles(&totals, true),
    );
    let p75 = top_quarter(&totals);
    let horizon_weeks = horizon_days as f64 / 7.0;
    let mut memo = BgMemo::new();
    let rows = h
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let lost = c.spells.last().is_some_and(|s| s.1 <= now);
            let span = (c.last() - c.first()) / DAY;
            let pred = match (&model, &summaries[i]) {
                (Ok(m), Some(s)) => Some(m.predict(s, end_day, horizon_weeks, &mut memo)),
                _ => None,
            };
            let unit = 10f64.powi(exp as i32);
            let minor = |x: f64| x.is_finite().then(|| (x * unit).round() as i64);
            ScoreRow {
                customer_id: c.id,
                r: rq[i],
                f: fq[i],
                m: mq[i],
                segment: segment(rq[i], fq[i]).into(),
                stage: stage(
                    days[i],
                    span,
                    lost,
                    referrals.get(&c.id).copied().unwrap_or(0),
                    nps.get(&c.id).copied(),
                )
                .into(),
                at_risk: pred
                    .as_ref()
                    .and_then(|p| p.known_alive())
                    .is_some_and(|a| at_risk(a, totals[i], p75)),
                p_alive: pred
                    .as_ref()
                    .and_then(|p| p.known_alive())
                    .map(|a| (a * 1000.0).round() / 1000.0),
                expected_purchases: pred
                    .as_ref()
                    .map(|p| (p.expected_purchases * 100.0).round() / 100.0),
                expected_spend_minor: pred.as_ref().and_then(|p| minor(p.expected_spend)),
                clv_minor: pred.as_ref().and_then(|p| minor(p.clv)),
                next_visit: pred
                    .as_ref()
                    .and_then(|p| p.next_visit)
                    .map(|d| d.to_string()),
                monetary_minor: totals[i] as i64,
                computed_at: now,
            }
        })
        .collect();
    let fit = model.map(|m| params(&m.bgnbd, &m.gg));
    (rows, fit)
}

/// Rows written per transaction (~0.1 s of the write lock), so the counter's purchases slip
/// in between.
const WRITE_CHUNK: usize = 20_000;
/// The page cache a chunk is written with: the table's and its three indexes' pages being
/// written stay in memory between rows instead of going back and forth to the WAL.
const WRITE_CACHE_KIB: i64 = 64 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct GridCell {
    pub r: i64,
    pub f: i64,
    pub count: i64,
    pub segment: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentTotal {
    pub segment: &'static str,
    pub count: i64,
    /// None for one who may not see the shop's revenue (a cashier).
    pub revenue: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RfmReport {
    /// When the scores shown were computed; None before the first refresh.
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Older than [`STALE_AFTER_SECS`] or missing: a refresh is due (the window starts one).
    pub stale: bool,
    pub customers: i64,
    pub grid: Vec<GridCell>,
    pub segments: Vec<SegmentTotal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageCount {
    pub stage: &'static str,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LifecycleReport {
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub stale: bool,
    pub stages: Vec<StageCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClvCustomer {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    /// None without a repeat purchase (not enough data).
    pub p_alive: Option<f64>,
    pub expected_purchases: f64,
    pub expected_spend: Option<Decimal>,
    pub clv: Option<Decimal>,
    pub at_risk: bool,
    pub next_visit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub from: Decimal,
    pub to: Decimal,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClvReport {
    pub calibration_end: String,
    pub horizon_days: i64,
    pub bgnbd: BgNbdParams,
    pub gamma_gamma: GammaGammaParams,
    pub distribution: Vec<Bucket>,
    pub customers: Vec<ClvCustomer>,
}

/// Ten equal-width buckets from 0 to the 99th percentile, the last open-ended.
fn histogram(values: &[f64], exp: u32) -> Vec<Bucket> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let top = v[((v.len() * 99) / 100).min(v.len() - 1)].max(1.0);
    let width = top / 10.0;
    let mut counts = [0i64; 10];
    for x in &v {
        let i = ((x / width) as usize).min(9);
        counts[i] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| Bucket {
            from: to_money(width * i as f64, exp).unwrap_or_default(),
            to: to_money(width * (i + 1) as f64, exp).unwrap_or_default(),
            count: *c,
        })
        .collect()
}

/// Scores older than this are stale: a view says so, and the window asks for a refresh.
pub const STALE_AFTER_SECS: i64 = 3600;

/// Stores whose scores are being refreshed right now (by address): a second request while
/// one runs (the window's, the hourly pass's) returns at once instead of doing it twice.
static REFRESHING: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// Holds a store's place in [`REFRESHING`] while its refresh runs.
struct Refreshing(usize);

impl Refreshing {
    fn claim(store: &Store) -> Option<Refreshing> {
        let key = store as *const Store as usize;
        let mut busy = REFRESHING.lock().unwrap_or_else(|e| e.into_inner());
        if busy.contains(&key) {
            return None;
        }
        busy.push(key);
        Some(Refreshing(key))
    }
}

impl Drop for Refreshing {
    fn drop(&mut self) {
        let mut busy = REFRESHING.lock().unwrap_or_else(|e| e.into_inner());
        busy.retain(|k| *k != self.0);
    }
}

fn is_stale(computed_at: Option<i64>, now: i64) -> bool {
    computed_at.is_none_or(|t| now - t > STALE_AFTER_SECS)
}

impl Store {
    /// Recompute every customer's scores; a fit refused for thin data (or one that ends on
    /// a parameter bound) still stores RFM and lifecycle, and says why there are no
    /// predictions. Only rows whose values changed are written: within a day most do not.
    pub fn refresh_analytics(&self) -> Result<RefreshReport> {
        self.require(Perm::Maintenance)?;
        let started = Instant::now();
        let now = time::now();
        let (rows, fit, changes) = self.report_read(|conn| {
            let r = rules(conn)?;
            let tz = timezone(conn)?;
            let exp = currency(conn)?.1;
            // The reports' kept ledger when it still holds; a fresh one is kept for them.
            let h = history::ledger(self, conn, now)?.history(r.inactive_days);
            let referrals = db::analytics::referral_counts(conn)?;
            let nps = db::analytics::latest_nps(conn)?;
            let (rows, fit) = compute(&h, tz, exp, now, r.horizon_days, &referrals, &nps);
            drop(h);
            let changes = db::analytics::score_changes(conn, &rows)?;
            Ok((rows, fit, changes))
        })?;
        // The writes below date the kept ledger whatever they change: free it now.
        history::forget_ledger(self);
        // Unchanged rows are left alone; changed ones whose indexed values held are updated
        // without touching the indexes; the rest (new customers, moved segments) upserted.
        let upsert: Vec<&ScoreRow> = changes.upsert.iter().map(|&i| &rows[i]).collect();
        let update: Vec<&ScoreRow> = changes.update.iter().map(|&i| &rows[i]).collect();
        let gone = changes.gone;
        for chunk in upsert.chunks(WRITE_CHUNK) {
            self.write_bulk_any(WRITE_CACHE_KIB, |conn| {
                db::analytics::put_scores(conn, chunk)
            })?;
        }
        for chunk in update.chunks(WRITE_CHUNK) {
            self.write_bulk_any(WRITE_CACHE_KIB, |conn| {
                db::analytics::update_score_values(conn, chunk)
            })?;
        }
        self.write_any(|conn| {
            db::analytics::delete_scores(conn, &gone)?;
            db::analytics::set_scores_computed_at(conn, now)
        })?;
        let (fit, fit_error) = match fit {
            Ok(f) => (Some(f), None),
            Err(e) => (
                None,
                Some(FitErrorView {
                    code: e.code(),
                    params: e.params(),
                }),
            ),
        };
        Ok(RefreshReport {
            customers: rows.len() as i64,
            written: (upsert.len() + update.len()) as i64,
            computed_at: time::from_unix(now),
            fit,
            fit_error,
            millis: started.elapsed().as_millis() as u64,
        })
    }

    /// When the scores were computed and whether that is too long ago (or never).
    fn scores_age(&self, conn: db::Conn) -> Result<(Option<i64>, bool)> {
        let at = db::analytics::computed_at(conn)?;
        Ok((at, is_stale(at, time::now())))
    }

    /// The refresh as the app's own work, skipped when one is already running for this
    /// store: None then.
    pub(crate) fn refresh_once(&self) -> Result<Option<RefreshReport>> {
        let Some(_claim) = Refreshing::claim(self) else {
            return Ok(None);
        };
        crate::store::session::as_system(|| self.refresh_analytics()).map(Some)
    }

    /// Refresh the scores if they are stale (or missing), as the app's own work: a cashier
    /// who opened Reports is not refused (nor logged) for the owner's button. The window
    /// asks for it after showing stale scores, on a thread of its own; the views never wait
    /// for it. None when the scores were fresh or a refresh was already running.
    pub fn refresh_stale_scores(&self) -> Result<Option<RefreshReport>> {
        self.require(Perm::View)?;
        if !self.report_read(|c| self.scores_age(c))?.1 {
            return Ok(None);
        }
        self.refresh_once()
    }

    /// For the command line, which has no background to refresh in: compute the scores
    /// when there are none at all, so `report rfm` on a new shop still answers. Stale scores
    /// are shown as they are (with their time and a note), as in the window.
    pub fn ensure_scores(&self) -> Result<()> {
        self.require(Perm::View)?;
        if self.report_read(|c| self.scores_age(c))?.0.is_none() {
            self.refresh_once()?;
        }
        Ok(())
    }

    /// Customers flagged at risk, those who spent most first.
    pub fn at_risk_customers(&self, limit: u32) -> Result<Vec<crate::model::CustomerRow>> {
        self.require(Perm::View)?;
        self.report_read(|conn| {
            let exp = currency(conn)?.1;
            let ids = db::analytics::at_risk_ids(conn, limit.clamp(1, 1000))?;
            db::customers::rows(conn, &ids, exp)
        })
    }

    pub fn customer_scores(&self, id: i64) -> Result<Option<Scores>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let exp = currency(conn)?.1;
            let Some(mut row) = db::analytics::score(conn, id)? else {
                return Ok(None);
            };
            // A row a refresh found unchanged keeps the time it was written; it is as
            // current as that refresh.
            if let Some(at) = db::analytics::computed_at(conn)? {
                row.computed_at = row.computed_at.max(at);
            }
            Ok(Some(row.view(exp)))
        })
    }

    /// The RFM grid from the stored scores, at once: stale scores come with `stale` set
    /// (the window then asks for [`Store::refresh_stale_scores`]), none at all with
    /// `computed_at` None.
    pub fn report_rfm(&self) -> Result<RfmReport> {
        self.require(Perm::View)?;
        // Asked before the report connection is held: may() reads, and in memory both
        // readers are the one writer connection.
        let revenue = self.may(Perm::ShopRevenue)?;
        let (exp, cells, (at, stale)) = self.report_read(|conn| {
            Ok((
                currency(conn)?.1,
                db::analytics::rfm_cells(conn)?,
                self.scores_age(conn)?,
            ))
        })?;
        // One pass over the scores: the segment is a function of (r, f), so the grid's
        // cells carry the segments' counts and revenue too.
        let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
        let mut totals: BTreeMap<&'static str, (i64, i64)> = BTreeMap::new();
        for (r, f, n, spent) in cells {
            *counts.entry((r, f)).or_default() += n;
            let t = totals.entry(segment(r, f)).or_default();
            t.0 += n;
            t.1 = t.1.saturating_add(spent);
        }
        let grid = (1..=5)
            .rev()
            .flat_map(|r| (1..=5).map(move |f| (r, f)))
            .map(|(r, f)| GridCell {
                r,
                f,
                count: counts.get(&(r, f)).copied().unwrap_or(0),
                segment: segment(r, f),
            })
            .collect::<Vec<_>>();
        let segments = SEGMENTS
            .iter()
            .map(|s| {
                let (count, rev) = totals.get(*s).copied().unwrap_or((0, 0));
                SegmentTotal {
                    segment: s,
                    count,
                    revenue: revenue.then(|| money::from_minor(rev, exp)),
                }
            })
            .collect();
        Ok(RfmReport {
            computed_at: at.map(time::from_unix),
            stale,
            customers: grid.iter().map(|c| c.count).sum(),
            grid,
            segments,
        })
    }

    /// Customers per stage from the stored scores, at once (see [`Store::report_rfm`]).
    pub fn report_lifecycle(&self) -> Result<LifecycleReport> {
        self.require(Perm::View)?;
        let (counts, never, (at, stale)) = self.report_read(|conn| {
            let counts: HashMap<String, i64> =
                db::analytics::stage_counts(conn)?.into_iter().collect();
            Ok((
                counts,
                db::analytics::customer_counts(conn)?.1,
                self.scores_age(conn)?,
            ))
        })?;
        Ok(LifecycleReport {
            computed_at: at.map(time::from_unix),
            stale,
            stages: STAGES
                .iter()
                .map(|s| StageCount {
                    stage: s,
                    count: if *s == "reach" {
                        never
                    } else {
                        counts.get(*s).copied().unwrap_or(0)
                    },
                })
                .collect(),
        })
    }

    /// BG/NBD + Gamma-Gamma fitted on purchases up to `calibration_end` (default today),
    /// with every customer's predictions for the next `horizon_days`.
    pub fn report_clv(
        &self,
        calibration_end: Option<&str>,
        horizon_days: Option<i64>,
        limit: Option<usize>,
    ) -> Result<ClvReport> {
        self.require(Perm::View)?;
        self.report_read(|conn| {
            let r = rules(conn)?;
            let horizon_days = horizon_days
                .map(super::valid_horizon_days)
                .transpose()?
                .unwrap_or(r.horizon_days);
            let tz = timezone(conn)?;
            let exp = currency(conn)?.1;
            let end_day = match calibration_end.map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    CoreError::ReportInvalid {
                        key: "calibration_end".into(),
                        value: s.into(),
                    }
                })?,
                None => time::today(tz),
            };
            let end = time::day_start(end_day.succ_opt().unwrap_or(end_day), tz) - 1;
            let h = history::ledger_until(self, conn, end)?.history(r.inactive_days);
            // Ids apart from the summaries, so the fit reads them in place (no copy of 1M rows
            // beside the history at the peak).
            let mut ids = Vec::with_capacity(h.customers.len());
            let mut summaries = Vec::with_capacity(h.customers.len());
            let mut totals = Vec::with_capacity(h.customers.len());
            for c in &h.customers {
                if let (_, Some(s)) = days_and_summary(c, end, exp, end_day) {
                    ids.push(c.id);
                    summaries.push(s);
                    totals.push(c.purchases.iter().map(|p| p.net_minor as f64).sum::<f64>());
                }
            }
            drop(h);
            let model = fit(&summaries)?;
            let p75 = top_quarter(&totals);
            let horizon_weeks = horizon_days as f64 / 7.0;
            let mut memo = BgMemo::new();
            let mut preds: Vec<(i64, Prediction, bool)> = ids
                .iter()
                .zip(&summaries)
                .zip(&totals)
                .map(|((id, s), total)| {
                    let p = model.predict(s, end_day, horizon_weeks, &mut memo);
                    let risk = p.known_alive().is_some_and(|a| at_risk(a, *total, p75));
                    (*id, p, risk)
                })
                .collect();
            let distribution = histogram(&preds.iter().map(|p| p.1.clv).collect::<Vec<_>>(), exp);
            preds.sort_by(|a, b| b.1.clv.total_cmp(&a.1.clv).then(a.0.cmp(&b.0)));
            preds.truncate(limit.unwrap_or(usize::MAX));
            // Every customer's name in one scan when the answer is long; one by one when short.
            let all = if preds.len() > 1000 {
                Some(db::analytics::names(conn)?)
            } else {
                None
            };
            let mut customers = Vec::with_capacity(preds.len());
            for (id, p, at_risk) in preds {
                let (code, name) = match &all {
                    Some(map) => match map.get(&id) {
                        Some(v) => v.clone(),
                        None => continue,
                    },
                    None => match db::customers::get(conn, id)? {
                        Some(c) => (c.code, c.name),
                        None => continue,
                    },
                };
                customers.push(ClvCustomer {
                    id,
                    code,
                    name,
                    p_alive: p.known_alive().map(|a| (a * 1000.0).round() / 1000.0),
                    expected_purchases: (p.expected_purchases * 100.0).round() / 100.0,
                    expected_spend: to_money(p.expected_spend, exp),
                    clv: to_money(p.clv, exp),
                    at_risk,
                    next_visit: p.next_visit.map(|d| d.to_string()),
                });
            }
            let fit = params(&model.bgnbd, &model.gg);
            Ok(ClvReport {
                calibration_end: end_day.to_string(),
                horizon_days,
                bgnbd: fit.bgnbd,
                gamma_gamma: fit.gamma_gamma,
                distribution,
                customers,
            })
        })
    }
}

/// The CLV report of either model: "simple" is the summary's formula, anything else the
/// fitted BG/NBD + Gamma-Gamma.
#[derive(Serialize)]
#[serde(untagged)]
pub enum ClvAnswer {
    Simple(super::reports::Summary),
    Bgnbd(ClvReport),
}

impl Store {
    /// The CLV report as the window and the command line ask for it: the model (default
    /// BG/NBD) and, unless `limit` says otherwise, the top [`crate::limits::CLV_TOP`].
    pub fn report_clv_of(
        &self,
        model: Option<&str>,
        calibration_end: Option<&str>,
        horizon_days: Option<i64>,
        limit: Option<usize>,
    ) -> Result<ClvAnswer> {
        self.require(Perm::View)?;
        Ok(match model {
            Some("simple") => ClvAnswer::Simple(self.report_summary(&Default::default())?),
            _ => ClvAnswer::Bgnbd(self.report_clv(
                calibration_end,
                horizon_days,
                Some(limit.unwrap_or(crate::limits::CLV_TOP)),
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::why;

    #[test]
    fn grid_and_quintiles() {
        assert_eq!(segment(5, 5), "champions");
        assert_eq!(segment(5, 1), "new");
        assert_eq!(segment(1, 1), "lost");
        assert_eq!(segment(1, 5), "cant_lose");
        assert_eq!(segment(2, 3), "at_risk");
        let q = quintiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], true);
        assert_eq!(q, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let r = quintiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], false);
        assert_eq!(r, vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        // Ties share the score of the first of them.
        assert_eq!(
            quintiles(&[1.0, 1.0, 1.0, 1.0, 9.0], true),
            vec![1, 1, 1, 1, 5]
        );
        assert!(quintiles(&[], true).is_empty());
    }

    fn distinct(q: &[i64]) -> Vec<i64> {
        let mut d = q.to_vec();
        d.sort_unstable();
        d.dedup();
        d
    }

    #[test]
    fn a_long_tie_no_longer_leaves_a_score_empty() {
        // Before: the run of 2s started in the first fifth and took score 1 whole, so no
        // customer scored 2 although "five equal groups" were promised.
        let v = [1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(distinct(&quintiles(&v, true)), vec![1, 2, 3, 4, 5]);
        assert_eq!(distinct(&quintiles(&v, false)), vec![1, 2, 3, 4, 5]);
        // Many customers with the same recency (a demo day, a grand opening): the other
        // customers still fill every other score, and the tie shares one.
        let mut days: Vec<f64> = vec![30.0; 700];
        days.extend((0..300).map(|i| 100.0 + i as f64));
        let r = quintiles(&days, false);
        assert_eq!(distinct(&r), vec![1, 2, 3, 4, 5]);
        assert!(r[..700].iter().all(|&x| x == 5));
        // Two distinct values: the ends of the scale, not two neighbours.
        assert_eq!(
            distinct(&quintiles(&[1.0, 1.0, 1.0, 4.0], true)),
            vec![1, 5]
        );
        assert_eq!(quintiles(&[7.0, 7.0], true), vec![1, 1]);
        assert_eq!(quintiles(&[7.0, 7.0], false), vec![5, 5]);
    }

    proptest::proptest! {
        #[test]
        fn quintiles_keep_ties_order_and_fill_every_score_they_can(
            v in proptest::collection::vec(0u8..12, 1..300),
            higher in proptest::bool::ANY,
        ) {
            let values: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
            let q = quintiles(&values, higher);
            let kinds = distinct(&v.iter().map(|&x| i64::from(x)).collect::<Vec<_>>()).len();
            proptest::prop_assert_eq!(distinct(&q).len(), kinds.min(5));
            for i in 0..v.len() {
                proptest::prop_assert!((1..=5).contains(&q[i]));
                for j in 0..v.len() {
                    if v[i] == v[j] {
                        proptest::prop_assert_eq!(q[i], q[j]);
                    } else if (v[i] < v[j]) == higher {
                        proptest::prop_assert!(q[i] <= q[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn one_sentence_when_segment_and_p_alive_disagree() {
        assert_eq!(why("champions", None, true), Some("one_purchase"));
        assert_eq!(why("new", None, false), None); // no fit at all: nothing to reconcile
        assert_eq!(why("loyal", Some(0.1), true), Some("overdue"));
        assert_eq!(why("lost", Some(0.9), true), Some("slow_rhythm"));
        assert_eq!(why("champions", Some(0.9), true), None);
        assert_eq!(why("lost", Some(0.1), true), None);
    }

    #[test]
    fn one_pass_summary_matches_the_days() {
        use crate::db::analytics::PurchaseFact;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let fact = |at: i64, day: &str, net: i64| PurchaseFact {
            at,
            net_minor: net,
            staff: 0,
            day: d(day),
        };
        let end_day = d("2026-06-30");
        for purchases in [
            vec![],
            vec![fact(1, "2026-01-01", 5)],
            vec![fact(1, "2026-01-01", 5), fact(2, "2026-01-01", 7)],
            vec![
                fact(1, "2026-01-01", 5),
                fact(2, "2026-01-01", 7),
                fact(3, "2026-02-11", 130),
                fact(4, "2026-02-11", 1),
                fact(5, "2026-05-03", 99),
                fact(99, "2026-07-03", 1000), // after `end`
            ],
        ] {
            let c = CustomerHistory {
                id: 1,
                purchases: purchases.into(),
                spells: vec![],
            };
            for exp in [0, 2] {
                let days = days_of(&c, 50, exp);
                let (n, s) = days_and_summary(&c, 50, exp, end_day);
                assert_eq!(n, days.len());
                assert_eq!(s, summary_of(&days, end_day));
            }
        }
    }

    fn shop() -> Store {
        let s = Store::open_in_memory().unwrap();
        s.create_demo(80, 400, 3, &mut |_, _| {}).unwrap();
        s
    }

    fn age_scores(s: &Store, at: i64) {
        s.write(|c| {
            c.execute("UPDATE customer_scores SET computed_at = ?1", [at])?;
            db::analytics::set_scores_computed_at(c, at)
        })
        .unwrap();
    }

    fn buy_new(s: &Store) -> i64 {
        use crate::model::{CustomerInput, PurchaseInput};
        let id = s
            .add_customer(CustomerInput {
                name: Some("Khách mới".into()),
                phone: Some("0909000111".into()),
                ..Default::default()
            })
            .unwrap()
            .id;
        s.add_purchase(PurchaseInput {
            customer_id: id,
            amount: "150000".into(),
            ..Default::default()
        })
        .unwrap();
        id
    }

    /// A refresh compares each row's values with the stored ones: it writes a row whose
    /// value or indexed value moved and one that is missing, deletes one whose customer no
    /// longer has scores, and then has nothing left to write.
    #[test]
    fn a_refresh_rewrites_exactly_the_rows_that_differ() {
        let s = shop();
        s.refresh_analytics().unwrap();
        let (ids, never): (Vec<i64>, i64) = s
            .write(|c| {
                let ids = c
                    .prepare(
                        "SELECT customer_id FROM customer_scores ORDER BY customer_id LIMIT 3",
                    )?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let never = c.query_row(
                    "SELECT id FROM customers WHERE visits = 0 ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )?;
                Ok((ids, never))
            })
            .unwrap();
        s.write(|c| {
            c.execute(
                "UPDATE customer_scores SET monetary_minor = monetary_minor + 1
                 WHERE customer_id = ?1",
                [ids[0]],
            )?;
            c.execute(
                "UPDATE customer_scores SET segment = 'x' WHERE customer_id = ?1",
                [ids[1]],
            )?;
            c.execute(
                "DELETE FROM customer_scores WHERE customer_id = ?1",
                [ids[2]],
            )?;
            c.execute(
                "INSERT INTO customer_scores (customer_id, r, f, m, segment, stage, at_risk,
                     monetary_minor, computed_at)
                 SELECT ?1, r, f, m, segment, stage, at_risk, monetary_minor, computed_at
                 FROM customer_scores WHERE customer_id = ?2",
                [never, ids[0]],
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.refresh_analytics().unwrap().written, 3);
        assert!(s.customer_scores(never).unwrap().is_none());
        let row = |id| {
            db::analytics::score(&s.reader().unwrap(), id)
                .unwrap()
                .unwrap()
        };
        assert_ne!(row(ids[1]).segment, "x");
        assert_eq!(s.refresh_analytics().unwrap().written, 0);
    }

    /// A view never recomputes: stale scores come back at once, with their old time and
    /// the stale flag; the hourly pass (or the window's request) refreshes them.
    #[test]
    fn stale_scores_are_shown_at_once_and_refreshed_in_the_background() {
        let s = shop();
        let first = s.refresh_analytics().unwrap();
        // Right after, nothing changed: nothing is written again.
        assert_eq!(s.refresh_analytics().unwrap().written, 0);
        let old = time::now() - 2 * STALE_AFTER_SECS;
        age_scores(&s, old);
        let id = buy_new(&s);
        let rfm = s.report_rfm().unwrap();
        assert!(rfm.stale);
        assert_eq!(rfm.computed_at, Some(time::from_unix(old)));
        assert_eq!(rfm.customers, first.customers);
        let life = s.report_lifecycle().unwrap();
        assert!(life.stale);
        assert_eq!(life.computed_at, Some(time::from_unix(old)));
        assert!(s.customer_scores(id).unwrap().is_none());
        // The hourly pass.
        let failed = s.scheduled_pass();
        assert!(
            failed.iter().all(|(step, _)| *step != "analytics"),
            "{failed:?}"
        );
        let rfm = s.report_rfm().unwrap();
        assert!(!rfm.stale);
        assert!(rfm.computed_at.unwrap() > time::from_unix(old));
        assert_eq!(rfm.customers, first.customers + 1);
        assert!(s.customer_scores(id).unwrap().is_some());
        // The window's request: refreshes stale scores once, then has nothing to do.
        age_scores(&s, old);
        let r = s
            .refresh_stale_scores()
            .unwrap()
            .expect("stale scores are refreshed");
        assert_eq!(r.customers, first.customers + 1);
        assert!(s.refresh_stale_scores().unwrap().is_none());
        let life = s.report_lifecycle().unwrap();
        assert!(!life.stale);
    }

    /// No scores at all: the views say so (no recompute), the command line's
    /// ensure_scores computes them.
    #[test]
    fn missing_scores_are_flagged_and_the_cli_computes_them() {
        let s = shop();
        let rfm = s.report_rfm().unwrap();
        assert!(rfm.stale && rfm.computed_at.is_none() && rfm.customers == 0);
        s.ensure_scores().unwrap();
        let rfm = s.report_rfm().unwrap();
        assert!(!rfm.stale && rfm.computed_at.is_some() && rfm.customers > 0);
    }

    /// Identical histories identify no spread at all: the fit ends on a bound, and that is
    /// reported with its code instead of used.
    #[test]
    fn a_fit_on_a_bound_is_reported_with_its_code() {
        use crate::model::{CustomerInput, PurchaseInput};
        assert_eq!(
            fit_error(FitError::AtBound {
                param: "b",
                value: 1e4
            })
            .code(),
            "analytics.fit_at_bound"
        );
        let s = Store::open_in_memory().unwrap();
        for i in 0..30 {
            let id = s
                .add_customer(CustomerInput {
                    name: Some(format!("Khách {i}")),
                    phone: Some(format!("09{i:08}")),
                    ..Default::default()
                })
                .unwrap()
                .id;
            for at in ["2026-01-05T10:00", "2026-02-05T10:00", "2026-03-05T10:00"] {
                s.add_purchase(PurchaseInput {
                    customer_id: id,
                    amount: "100000".into(),
                    at: Some(at.into()),
                    ..Default::default()
                })
                .unwrap();
            }
        }
        let r = s.refresh_analytics().unwrap();
        assert!(r.fit.is_none());
        assert_eq!(r.fit_error.unwrap().code, "analytics.fit_at_bound");
        assert_eq!(
            s.report_clv(None, None, None).unwrap_err().code(),
            "analytics.fit_at_bound"
        );
        // RFM and lifecycle are still there.
        assert_eq!(s.report_rfm().unwrap().customers, 30);
    }

    #[test]
    fn lifecycle_rules_in_order() {
        assert_eq!(stage(0, 0, false, 3, Some(10)), "reach");
        assert_eq!(stage(1, 0, false, 1, None), "advocacy");
        assert_eq!(stage(2, 30, false, 0, Some(9)), "advocacy");
        assert_eq!(stage(5, 200, false, 0, Some(8)), "retain");
        assert_eq!(stage(5, 200, true, 0, None), "develop");
        assert_eq!(stage(2, 10, false, 0, None), "develop");
        assert_eq!(stage(1, 0, false, 0, None), "purchase");
    }
}
