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

fn fit(summaries: &[clv::Summary]) -> Result<Model> {
    let bgnbd = clv::fit_bgnbd(summaries).map_err(fit_error)?;
    let gg = clv::fit_gamma_gamma(summaries).map_err(fit_error)?;
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

impl Model {
    fn predict(&self, s: &clv::Summary, end_day: NaiveDate, horizon_weeks: f64) -> Prediction {
        let p_alive = self.bgnbd.p_alive(s);
        let expected_purchases = self.bgnbd.expected_purchases(s, EXPECTED_WEEKS);
        let expected_spend = self.gg.expected_spend(s);
        let horizon = self.bgnbd.expected_purchases(s, horizon_weeks);
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
    let days: Vec<Vec<(NaiveDate, f64)>> =
        h.customers.iter().map(|c| days_of(c, now, exp)).collect();
    let summaries: Vec<Option<clv::Summary>> =
        days.iter().map(|d| summary_of(d, end_day)).collect();
    let fit_input: Vec<clv::Summary> = summaries.iter().flatten().copied().collect();
    let model = fit(&fit_input);
    let recency: Vec<f64> = h
        .customers
        .iter()
        .map(|c| ((now - c.last()) / DAY) as f64)
        .collect();
    let freq: Vec<f64> = days.iter().map(|d| d.len() as f64).collect();
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
    let rows = h
        .customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let lost = c.spells.last().is_some_and(|s| s.1 <= now);
            let span = (c.last() - c.first()) / DAY;
            let pred = match (&model, &summaries[i]) {
                (Ok(m), Some(s)) => Some(m.predict(s, end_day, horizon_weeks)),
                _ => None,
            };
            let unit = 10f64.powi(exp as i32);
            let minor = |x: f64| x.is_finite().then(|| (x * unit).round() as i64);
            ScoreRow {
                customer_id: c.id,
                r: rq[i],
                f: fq[i],
                m: mq[i],
                segment: segment(rq[i], fq[i]).to_owned(),
                stage: stage(
                    days[i].len(),
                    span,
                    lost,
                    referrals.get(&c.id).copied().unwrap_or(0),
                    nps.get(&c.id).copied(),
                )
                .to_owned(),
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
    pub computed_at: Option<chrono::DateTime<chrono::Utc>>,
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

impl Store {
    /// Recompute every customer's scores; a fit refused for thin data still stores RFM and
    /// lifecycle, and says why there are no predictions.
    pub fn refresh_analytics(&self) -> Result<RefreshReport> {
        self.require(Perm::Maintenance)?;
        let started = Instant::now();
        let now = time::now();
        let (rows, fit) = {
            let conn = self.report_reader();
            let r = rules(&conn)?;
            let tz = timezone(&conn)?;
            let exp = currency(&conn)?.1;
            let h = history::load(&conn, now, r.inactive_days)?;
            let referrals = db::analytics::referral_counts(&conn)?;
            let nps = db::analytics::latest_nps(&conn)?;
            compute(&h, tz, exp, now, r.horizon_days, &referrals, &nps)
        };
        for chunk in rows.chunks(WRITE_CHUNK) {
            self.write(|conn| db::analytics::put_scores(conn, chunk))?;
        }
        self.write(|conn| db::analytics::clear_scores_before(conn, now))?;
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
            computed_at: time::from_unix(now),
            fit,
            fit_error,
            millis: started.elapsed().as_millis() as u64,
        })
    }

    /// Scores older than an hour (or none) are recomputed first, as the app's scheduled
    /// work: a cashier opening Reports is not refused (nor logged) for the owner's button.
    fn fresh_scores(&self) -> Result<()> {
        let at = db::analytics::computed_at(&self.report_reader())?;
        if at.is_none_or(|t| time::now() - t > 3600) {
            crate::store::session::as_system(|| self.refresh_analytics())?;
        }
        Ok(())
    }

    /// Customers flagged at risk, those who spent most first.
    pub fn at_risk_customers(&self, limit: u32) -> Result<Vec<crate::model::CustomerRow>> {
        self.require(Perm::View)?;
        let conn = self.report_reader();
        let exp = currency(&conn)?.1;
        let ids = db::analytics::at_risk_ids(&conn, limit.clamp(1, 1000))?;
        db::customers::rows(&conn, &ids, exp)
    }

    pub fn customer_scores(&self, id: i64) -> Result<Option<Scores>> {
        self.require(Perm::View)?;
        let conn = self.reader();
        let exp = currency(&conn)?.1;
        Ok(db::analytics::score(&conn, id)?.map(|s| s.view(exp)))
    }

    pub fn report_rfm(&self) -> Result<RfmReport> {
        self.require(Perm::View)?;
        self.fresh_scores()?;
        // Asked before the report connection is held: may() reads, and in memory both
        // readers are the one writer connection.
        let revenue = self.may(Perm::ShopRevenue)?;
        let conn = self.report_reader();
        let exp = currency(&conn)?.1;
        let mut counts: HashMap<(i64, i64), i64> = HashMap::new();
        for (r, f, n) in db::analytics::rfm_grid(&conn)? {
            *counts.entry((r, f)).or_default() += n;
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
        let totals: BTreeMap<String, (i64, i64)> = db::analytics::segment_totals(&conn)?
            .into_iter()
            .map(|(s, n, m)| (s, (n, m)))
            .collect();
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
            computed_at: db::analytics::computed_at(&conn)?.map(time::from_unix),
            customers: grid.iter().map(|c| c.count).sum(),
            grid,
            segments,
        })
    }

    pub fn report_lifecycle(&self) -> Result<LifecycleReport> {
        self.require(Perm::View)?;
        self.fresh_scores()?;
        let conn = self.report_reader();
        let counts: HashMap<String, i64> =
            db::analytics::stage_counts(&conn)?.into_iter().collect();
        let (_, never) = db::analytics::customer_counts(&conn)?;
        Ok(LifecycleReport {
            computed_at: db::analytics::computed_at(&conn)?.map(time::from_unix),
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
        let conn = self.report_reader();
        let r = rules(&conn)?;
        let horizon_days = horizon_days
            .map(super::valid_horizon_days)
            .transpose()?
            .unwrap_or(r.horizon_days);
        let tz = timezone(&conn)?;
        let exp = currency(&conn)?.1;
        let end_day = match calibration_end.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| CoreError::ReportInvalid {
                    key: "calibration_end".into(),
                    value: s.into(),
                })?
            }
            None => time::today(tz),
        };
        let end = time::day_start(end_day.succ_opt().unwrap_or(end_day), tz) - 1;
        let h = history::load(&conn, end, r.inactive_days)?;
        let mut summaries = Vec::with_capacity(h.customers.len());
        let mut totals = Vec::with_capacity(h.customers.len());
        for c in &h.customers {
            let d = days_of(c, end, exp);
            if let Some(s) = summary_of(&d, end_day) {
                summaries.push((c.id, s));
                totals.push(c.purchases.iter().map(|p| p.net_minor as f64).sum::<f64>());
            }
        }
        let inputs: Vec<clv::Summary> = summaries.iter().map(|(_, s)| *s).collect();
        let model = fit(&inputs)?;
        let p75 = top_quarter(&totals);
        let horizon_weeks = horizon_days as f64 / 7.0;
        let mut preds: Vec<(i64, Prediction, bool)> = summaries
            .iter()
            .zip(&totals)
            .map(|((id, s), total)| {
                let p = model.predict(s, end_day, horizon_weeks);
                let risk = p.known_alive().is_some_and(|a| at_risk(a, *total, p75));
                (*id, p, risk)
            })
            .collect();
        let distribution = histogram(&preds.iter().map(|p| p.1.clv).collect::<Vec<_>>(), exp);
        preds.sort_by(|a, b| b.1.clv.total_cmp(&a.1.clv).then(a.0.cmp(&b.0)));
        preds.truncate(limit.unwrap_or(usize::MAX));
        // Every customer's name in one scan when the answer is long; one by one when short.
        let all = if preds.len() > 1000 {
            Some(db::analytics::names(&conn)?)
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
                None => match db::customers::get(&conn, id)? {
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
