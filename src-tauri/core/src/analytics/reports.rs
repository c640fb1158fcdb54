//! Shop-level reports: churn and retention per period, cohorts, the summary with the simple
//! CLV and the revenue split, and per-staff figures.

use super::history::{self, Ledger, DAY};
use super::{pct, rules, Rules};
use crate::db;
use crate::error::{CoreError, Result};
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{money, time};
use chrono::{Datelike, Months, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
}

impl Period {
    pub fn parse(s: &str) -> Result<Period> {
        match s.trim() {
            "month" => Ok(Period::Month),
            "quarter" => Ok(Period::Quarter),
            other => Err(CoreError::ReportInvalid {
                key: "period".into(),
                value: other.into(),
            }),
        }
    }

    fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
        }
    }

    fn start_of(self, d: NaiveDate) -> NaiveDate {
        let m0 = (d.month0() / self.months()) * self.months();
        NaiveDate::from_ymd_opt(d.year(), m0 + 1, 1).unwrap_or(d)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Range {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Local days [from, to], to = today and from = 11 months before to's month by default.
pub(crate) struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Instants: the start of `from`, and the end of `to` or of the second `now` is in,
    /// whichever is sooner (exclusive): a bill recorded this second counts.
    pub start: i64,
    pub end: i64,
}

fn parse_day(s: &str, key: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| CoreError::ReportInvalid {
        key: key.into(),
        value: s.into(),
    })
}

pub(crate) fn span(tz: Tz, range: &Range, now: i64) -> Result<Span> {
    let today = time::today(tz);
    let to = match range.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_day(s, "to")?.min(today),
        None => today,
    };
    let from = match range.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_day(s, "from")?,
        None => Period::Month
            .start_of(to)
            .checked_sub_months(Months::new(11))
            .unwrap_or(to),
    };
    if from > to {
        return Err(CoreError::ReportInvalid {
            key: "from".into(),
            value: from.to_string(),
        });
    }
    let end = time::day_start(to.succ_opt().unwrap_or(to), tz).min(now + 1);
    Ok(Span {
        from,
        to,
        start: time::day_start(from, tz),
        end,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChurnPeriod {
    pub start: String,
    pub end: String,
    pub customers_at_start: i64,
    pub new: i64,
    pub returned: i64,
    pub lost: i64,
    pub customers_at_end: i64,
    pub churn_rate: Option<f64>,
    pub retention_rate: Option<f64>,
    /// The period is still running (it ends after now): its figures are so far.
    pub partial: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChurnReport {
    pub period: &'static str,
    pub inactive_days: i64,
    pub periods: Vec<ChurnPeriod>,
}

/// Churn per period from the customers' active spells. Lost counts where the N days run
/// out; only spells that have ended by `now` count as lost. One pass over the customers,
/// each one's spells made once and counted into every period.
pub(crate) fn churn(
    l: &Ledger,
    inactive_days: i64,
    tz: Tz,
    sp: &Span,
    period: Period,
    now: i64,
) -> ChurnReport {
    // (first day, day after, start instant, end instant) of each period.
    let mut bounds = Vec::new();
    let mut p_start = period.start_of(sp.from);
    while p_start <= sp.to {
        let next = p_start
            .checked_add_months(Months::new(period.months()))
            .unwrap_or(p_start);
        let s = time::day_start(p_start, tz);
        // Through the second `now` is in, as the span: a bill recorded this second is new.
        let e = time::day_start(next, tz).min(now + 1);
        bounds.push((p_start, next, s, e));
        if next == p_start {
            break;
        }
        p_start = next;
    }
    // at_start, new, returned, lost, at_end, kept
    let mut counts = vec![[0i64; 6]; bounds.len()];
    let window = inactive_days * DAY;
    let mut spells = Vec::new();
    for (_, purchases) in l.iter() {
        history::spells_into(purchases, window, &mut spells);
        for (k, &(_, _, s, e)) in bounds.iter().enumerate() {
            let n = &mut counts[k];
            let start_active = history::active_at(&spells, s);
            let end_active = history::active_at(&spells, e);
            n[0] += i64::from(start_active);
            n[4] += i64::from(end_active);
            n[5] += i64::from(start_active && end_active);
            for (i, &(a, b)) in spells.iter().enumerate() {
                if a >= s && a < e {
                    n[if i == 0 { 1 } else { 2 }] += 1;
                }
                if b > s && b <= e {
                    n[3] += 1;
                }
            }
        }
    }
    let periods = bounds
        .iter()
        .zip(&counts)
        .map(|(&(p_start, next, _, _), n)| {
            let [at_start, new, returned, lost, at_end, kept] = *n;
            let last_day = next.pred_opt().unwrap_or(next).min(sp.to.max(p_start));
            ChurnPeriod {
                start: p_start.to_string(),
                end: last_day.to_string(),
                customers_at_start: at_start,
                new,
                returned,
                lost,
                customers_at_end: at_end,
                churn_rate: pct(lost, at_start),
                retention_rate: pct(kept, at_start),
                partial: time::day_start(next, tz) > now,
            }
        })
        .collect();
    ChurnReport {
        period: match period {
            Period::Month => "month",
            Period::Quarter => "quarter",
        },
        inactive_days,
        periods,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cohort {
    pub month: String,
    pub size: i64,
    pub retention: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CohortReport {
    pub cohorts: Vec<Cohort>,
}

fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

/// By the month of the first purchase (within the range): the share buying again k months on.
pub(crate) fn cohorts(l: &Ledger, sp: &Span) -> CohortReport {
    let last = month_index(sp.to);
    let first = month_index(sp.from);
    let mut by_cohort: HashMap<i32, (i64, Vec<i64>)> = HashMap::new();
    for (_, purchases) in l.iter() {
        let m0 = month_index(purchases[0].day);
        if m0 < first || m0 > last {
            continue;
        }
        let entry = by_cohort
            .entry(m0)
            .or_insert_with(|| (0, vec![0; (last - m0 + 1) as usize]));
        entry.0 += 1;
        // Oldest first, so each month's purchases are together: count a month once.
        let mut prev = None;
        for p in purchases {
            let m = month_index(p.day);
            if prev == Some(m) {
                continue;
            }
            prev = Some(m);
            if m >= m0 && m <= last {
                entry.1[(m - m0) as usize] += 1;
            }
        }
    }
    let mut keys: Vec<i32> = by_cohort.keys().copied().collect();
    keys.sort_unstable();
    CohortReport {
        cohorts: keys
            .into_iter()
            .map(|k| {
                let (size, counts) = &by_cohort[&k];
                Cohort {
                    month: format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1),
                    size: *size,
                    retention: counts
                        .iter()
                        .map(|n| pct(*n, *size).unwrap_or(0.0))
                        .collect(),
                }
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RevenueSplit {
    pub first: Option<Decimal>,
    pub returning: Option<Decimal>,
    pub returning_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub from: String,
    pub to: String,
    pub inactive_days: i64,
    pub customers: i64,
    pub purchases: i64,
    /// The money figures are None when the one asking may not see the shop's revenue
    /// (`revenue_hidden`), e.g. a cashier.
    pub revenue: Option<Decimal>,
    pub revenue_hidden: bool,
    pub repeat_rate: Option<f64>,
    pub average_basket: Option<Decimal>,
    pub frequency_per_year: Option<f64>,
    pub lifespan_years: Option<f64>,
    pub simple_clv: Option<Decimal>,
    pub revenue_split: RevenueSplit,
}

impl Summary {
    fn hide_revenue(&mut self) {
        self.revenue = None;
        self.revenue_hidden = true;
        self.average_basket = None;
        self.simple_clv = None;
        self.revenue_split = RevenueSplit {
            first: None,
            returning: None,
            returning_share: None,
        };
    }
}

const YEAR: f64 = 365.25 * DAY as f64;

fn round(x: f64, dp: i32) -> f64 {
    let f = 10f64.powi(dp);
    (x * f).round() / f
}

pub(crate) fn summary(l: &Ledger, inactive_days: i64, sp: &Span, exp: u32) -> Summary {
    let (mut customers, mut purchases, mut revenue, mut repeaters) = (0i64, 0i64, 0i64, 0i64);
    let (mut first_rev, mut lifespan_sum) = (0i64, 0f64);
    let window = inactive_days * DAY;
    for (_, all) in l.iter() {
        // Oldest first: the range is one stretch of them.
        let lo = all.partition_point(|p| p.at < sp.start);
        let hi = lo + all[lo..].partition_point(|p| p.at < sp.end);
        let in_range = &all[lo..hi];
        if in_range.is_empty() {
            continue;
        }
        customers += 1;
        purchases += in_range.len() as i64;
        repeaters += i64::from(in_range.len() >= 2);
        for p in in_range {
            revenue = revenue.saturating_add(p.net_minor);
        }
        if lo == 0 {
            first_rev = first_rev.saturating_add(all[0].net_minor);
        }
        // A customer from their first purchase until lost (the last spell runs out
        // `inactive_days` after the last purchase), or until the end of the range.
        let lost_at = (all[all.len() - 1].at + window).min(sp.end);
        lifespan_sum += (lost_at - all[0].at).max(0) as f64 / YEAR;
    }
    let years = ((sp.end - sp.start).max(DAY)) as f64 / YEAR;
    let average_basket =
        (purchases > 0).then(|| (Decimal::from(revenue) / Decimal::from(purchases)).round_dp(0));
    let frequency = (customers > 0).then(|| purchases as f64 / customers as f64 / years);
    let lifespan = (customers > 0).then(|| lifespan_sum / customers as f64);
    let simple_clv = match (lifespan, frequency, average_basket) {
        (Some(l), Some(f), Some(b)) => Decimal::from_f64_retain(l * f)
            .map(|lf| money::from_minor((lf * b).round_dp(0).try_into().unwrap_or(0), exp)),
        _ => None,
    };
    Summary {
        from: sp.from.to_string(),
        to: sp.to.to_string(),
        inactive_days,
        customers,
        purchases,
        revenue: Some(money::from_minor(revenue, exp)),
        revenue_hidden: false,
        repeat_rate: pct(repeaters, customers),
        average_basket: average_basket.map(|b| money::from_minor(b.try_into().unwrap_or(0), exp)),
        frequency_per_year: frequency.map(|f| round(f, 2)),
        lifespan_years: lifespan.map(|l| round(l, 2)),
        simple_clv,
        revenue_split: RevenueSplit {
            first: Some(money::from_minor(first_rev, exp)),
            returning: Some(money::from_minor(revenue.saturating_sub(first_rev), exp)),
            returning_share: pct(revenue.saturating_sub(first_rev), revenue),
        },
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StaffRow {
    pub staff: String,
    pub purchases: i64,
    pub revenue: Decimal,
    pub new_customers: i64,
    pub reminders_completed: i64,
    pub customers_served: i64,
    pub lost_customers: i64,
    pub churn_rate: Option<f64>,
}

/// One counter's bills over a report's range.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CounterRow {
    /// The counter's name; empty for bills of no named counter.
    pub counter: String,
    pub purchases: i64,
    /// After refunds, as every report counts revenue.
    pub revenue: Decimal,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CounterReport {
    pub from: String,
    pub to: String,
    pub counters: Vec<CounterRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffReport {
    pub staff: Vec<StaffRow>,
}

pub(crate) fn staff(
    l: &Ledger,
    inactive_days: i64,
    sp: &Span,
    exp: u32,
    done: &HashMap<String, i64>,
) -> StaffReport {
    #[derive(Default)]
    struct Acc {
        purchases: i64,
        revenue: i64,
        new: i64,
        served: i64,
        lost: i64,
    }
    let mut acc: HashMap<u32, Acc> = HashMap::new();
    let window = inactive_days * DAY;
    let mut served: Vec<u32> = Vec::new();
    for (_, all) in l.iter() {
        // Lost by the end of the range: the last spell ran out before it.
        let lost = all[all.len() - 1].at + window <= sp.end;
        let lo = all.partition_point(|p| p.at < sp.start);
        let hi = lo + all[lo..].partition_point(|p| p.at < sp.end);
        served.clear();
        for (i, p) in all[lo..hi].iter().enumerate() {
            let a = acc.entry(p.staff).or_default();
            a.purchases += 1;
            a.revenue = a.revenue.saturating_add(p.net_minor);
            a.new += i64::from(lo + i == 0);
            if !served.contains(&p.staff) {
                served.push(p.staff);
                a.served += 1;
                a.lost += i64::from(lost);
            }
        }
    }
    let mut rows: Vec<StaffRow> = acc
        .into_iter()
        .map(|(k, a)| {
            let name = l.staff.get(k as usize).cloned().unwrap_or_default();
            StaffRow {
                reminders_completed: done.get(&name).copied().unwrap_or(0),
                staff: name,
                purchases: a.purchases,
                revenue: money::from_minor(a.revenue, exp),
                new_customers: a.new,
                customers_served: a.served,
                lost_customers: a.lost,
                churn_rate: pct(a.lost, a.served),
            }
        })
        .collect();
    for (name, n) in done {
        if !rows.iter().any(|r| &r.staff == name) {
            rows.push(StaffRow {
                staff: name.clone(),
                purchases: 0,
                revenue: Decimal::ZERO,
                new_customers: 0,
                reminders_completed: *n,
                customers_served: 0,
                lost_customers: 0,
                churn_rate: None,
            });
        }
    }
    rows.sort_by(|a, b| {
        b.revenue
            .cmp(&a.revenue)
            .then_with(|| a.staff.cmp(&b.staff))
    });
    StaffReport { staff: rows }
}

/// A report's inputs: the ledger, the rules (the inactive days overridden if asked), the
/// time zone and the currency's decimals. Read on the report connection, held by `conn`.
fn load(
    s: &Store,
    conn: db::Conn,
    inactive_days: Option<i64>,
    now: i64,
) -> Result<(Arc<Ledger>, Rules, Tz, u32)> {
    let mut r = rules(conn)?;
    if let Some(n) = inactive_days {
        r.inactive_days = super::valid_inactive_days(n)?;
    }
    let l = history::ledger(s, conn, now)?;
    Ok((l, r, timezone(conn)?, currency(conn)?.1))
}

impl Store {
    pub fn report_churn(
        &self,
        period: &str,
        range: &Range,
        inactive_days: Option<i64>,
    ) -> Result<ChurnReport> {
        self.require(Perm::View)?;
        let period = Period::parse(period)?;
        let now = time::now();
        self.report_read(|conn| {
            let (l, r, tz, _) = load(self, conn, inactive_days, now)?;
            let sp = span(tz, range, now)?;
            Ok(churn(&l, r.inactive_days, tz, &sp, period, now))
        })
    }

    pub fn report_cohorts(&self, range: &Range) -> Result<CohortReport> {
        self.require(Perm::View)?;
        let now = time::now();
        self.report_read(|conn| {
            let (l, _, tz, _) = load(self, conn, None, now)?;
            Ok(cohorts(&l, &span(tz, range, now)?))
        })
    }

    /// Without the shop's money figures for one who may not see them (a cashier): the
    /// rule is core's, so no window or script can show what the answer never held.
    pub fn report_summary(&self, range: &Range) -> Result<Summary> {
        self.require(Perm::View)?;
        let now = time::now();
        let mut s = self.report_read(|conn| {
            let (l, r, tz, exp) = load(self, conn, None, now)?;
            Ok(summary(&l, r.inactive_days, &span(tz, range, now)?, exp))
        })?;
        if !self.may(Perm::ShopRevenue)? {
            s.hide_revenue();
        }
        Ok(s)
    }

    /// Bills, revenue and customers per counter over a range, the biggest first; with
    /// `counter`, that counter's alone. On a shop file and on a server alike, on the
    /// reports' own connection: a year of bills takes most of a second at 1M customers,
    /// which the counter's link would spend away from its bills.
    pub fn report_counters(&self, range: &Range, counter: Option<&str>) -> Result<CounterReport> {
        self.require(Perm::StaffReports)?;
        let only = counter.map(crate::limits::check_counter).transpose()?;
        self.report_read(|conn| {
            let tz = timezone(conn)?;
            // The span the ledger's reports read: through this second, not bills dated
            // later today, so the two agree.
            let sp = span(tz, range, time::now())?;
            let exp = currency(conn)?.1;
            let counters = db::analytics::counters(conn, sp.start, sp.end, only)?
                .into_iter()
                .map(|(counter, purchases, revenue, customers)| CounterRow {
                    counter,
                    purchases,
                    revenue: money::from_minor(revenue, exp),
                    customers,
                })
                .collect();
            Ok(CounterReport {
                from: sp.from.to_string(),
                to: sp.to.to_string(),
                counters,
            })
        })
    }

    pub fn report_staff(&self, range: &Range) -> Result<StaffReport> {
        self.require(Perm::StaffReports)?;
        let now = time::now();
        self.report_read(|conn| {
            let (l, r, tz, exp) = load(self, conn, None, now)?;
            let sp = span(tz, range, now)?;
            let done = db::analytics::reminders_done_by(conn, sp.start, sp.end)?;
            Ok(staff(&l, r.inactive_days, &sp, exp, &done))
        })
    }
}
