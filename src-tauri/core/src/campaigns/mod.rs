//! Appreciation campaigns (chương trình tri ân): an occasion, an audience, a benefit (a
//! voucher programme, bonus points or a gift), an optional message list and call reminders,
//! and a seeded random holdout that gets nothing. Launching happens once; the results set
//! the treated against the holdout over the campaign's window, with 95% intervals.

use crate::customers::filter::filter_sql;
use crate::db::{self, campaigns::CampaignRow, loyalty::NewEntry, reminders::NewReminder};
use crate::error::{CoreError, Result};
use crate::model::{
    Campaign, CampaignInput, CampaignResults, CustomerFilter, Estimate, GroupFigures, LaunchResult,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{limits, loyalty, money, text, time, vouchers};
use chrono::{Datelike, Days, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;

pub const HOLDOUT_DEFAULT: i64 = 10;
pub const HOLDOUT_MAX: i64 = 90;
pub const WINDOW_DEFAULT: i64 = 30;
pub const WINDOW_MAX: i64 = 366;
const NAME_MAX: usize = 80;
/// The normal quantile of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

fn invalid(key: &str, value: impl Into<String>) -> CoreError {
    // Said back to the owner: a hostile value is cut, never echoed whole.
    let value: String = value.into();
    CoreError::CampaignInvalid {
        key: key.to_owned(),
        value: value.chars().take(80).collect(),
    }
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn checked(conn: db::Conn, input: &CampaignInput, now: i64) -> Result<CampaignRow> {
    let tz = timezone(conn)?;
    let name = text::clean_name(&input.name).map_err(|_| invalid("name", &input.name))?;
    if name.chars().count() > NAME_MAX {
        return Err(invalid("name", &input.name));
    }
    let occasion = given(&input.occasion)
        .unwrap_or("date")
        .to_ascii_lowercase();
    if !["date", "first_purchase"].contains(&occasion.as_str()) {
        return Err(invalid("occasion", occasion));
    }
    let start = match given(&input.date) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| *d >= limits::date_floor() && *d <= limits::date_ceiling())
            .ok_or_else(|| invalid("date", s))?,
        None => time::today(tz),
    };
    let days = input.window_days.unwrap_or(WINDOW_DEFAULT);
    if !(1..=WINDOW_MAX).contains(&days) {
        return Err(invalid("window_days", days.to_string()));
    }
    let end = start
        .checked_add_days(Days::new(days as u64))
        .ok_or_else(|| invalid("window_days", days.to_string()))?;
    // The filter is checked now, so a launch never fails on it.
    filter_sql(conn, &input.filter)?;
    let count = |key: &str, v: Option<i64>, max: i64| match v {
        Some(n) if !(1..=max).contains(&n) => Err(invalid(key, n.to_string())),
        other => Ok(other),
    };
    let program_id = match given(&input.program) {
        Some(r) => Some(vouchers::issuable(conn, r, now)?.id),
        None => None,
    };
    let points = count("points", input.points, vouchers::POINTS_MAX)?;
    let gift = match given(&input.gift) {
        Some(g) => Some(
            text::clean_name(g)
                .ok()
                .filter(|g| g.chars().count() <= NAME_MAX)
                .ok_or_else(|| invalid("gift", g))?,
        ),
        None => None,
    };
    let template = match given(&input.template) {
        Some(t) => Some(crate::care::templates::by_name(conn, t)?.name),
        None => None,
    };
    let holdout_percent = input.holdout_percent.unwrap_or(HOLDOUT_DEFAULT);
    if !(0..=HOLDOUT_MAX).contains(&holdout_percent) {
        return Err(invalid("holdout_percent", holdout_percent.to_string()));
    }
    let seed = input.seed.unwrap_or_else(rand::random);
    Ok(CampaignRow {
        id: 0,
        name,
        occasion,
        starts_at: time::day_start(start, tz),
        ends_at: time::day_start(end, tz),
        filter: serde_json::to_string(&input.filter)
            .map_err(|e| CoreError::Internal(e.to_string()))?,
        top_n: count("top", input.top, i64::from(i32::MAX))?,
        program_id,
        points,
        gift,
        template,
        call_top: count("call_top", input.call_top, 10_000)?,
        holdout_percent,
        // Stored as the same 64 bits.
        seed: seed as i64,
        created_at: now,
        launched_at: None,
    })
}

fn view(conn: db::Conn, c: &CampaignRow, tz: Tz) -> Result<Campaign> {
    let program = match c.program_id {
        Some(id) => db::vouchers::program(conn, id)?.map(|p| p.name),
        None => None,
    };
    Ok(Campaign {
        id: c.id,
        name: c.name.clone(),
        occasion: c.occasion.clone(),
        from: time::local_date(c.starts_at, tz),
        until: time::local_date(c.ends_at.saturating_sub(1), tz),
        filter: serde_json::from_str(&c.filter).unwrap_or_default(),
        top: c.top_n,
        program_id: c.program_id,
        program,
        points: c.points,
        gift: c.gift.clone(),
        template: c.template.clone(),
        call_top: c.call_top,
        holdout_percent: c.holdout_percent,
        seed: c.seed as u64,
        created_at: time::from_unix(c.created_at),
        launched_at: c.launched_at.map(time::from_unix),
    })
}

fn resolve(conn: db::Conn, reference: &str) -> Result<CampaignRow> {
    let r = reference.trim();
    let not_found = || CoreError::CampaignNotFound(r.to_owned());
    if let Ok(id) = r.trim_start_matches('#').parse::<i64>() {
        if let Some(c) = db::campaigns::get(conn, id)? {
            return Ok(c);
        }
    }
    let id = *db::campaigns::ids_named(conn, r)?
        .first()
        .ok_or_else(not_found)?;
    db::campaigns::get(conn, id)?.ok_or_else(not_found)
}

/// The audience of a campaign, in customer order: the filter, then (for a first-purchase
/// occasion) those whose first purchase's day falls in the window in an earlier year, then
/// the top N by 12-month spend before the window.
fn audience(conn: db::Conn, c: &CampaignRow, tz: Tz) -> Result<(Vec<i64>, Vec<i64>)> {
    let filter: CustomerFilter = serde_json::from_str(&c.filter)
        .map_err(|e| CoreError::Internal(format!("campaign filter: {e}")))?;
    let mut ids = db::filter::filter_ids(conn, &filter_sql(conn, &filter)?)?;
    if c.occasion == "first_purchase" {
        let start = time::local_date(c.starts_at, tz);
        let days: HashSet<(u32, u32)> = start
            .iter_days()
            .take_while(|d| time::day_start(*d, tz) < c.ends_at)
            .map(|d| (d.month(), d.day()))
            .collect();
        let firsts = db::campaigns::first_purchases(conn)?;
        ids.retain(|id| {
            firsts.get(id).is_some_and(|&at| {
                let d = time::local_date(at, tz);
                d.year() < start.year() && days.contains(&(d.month(), d.day()))
            })
        });
    }
    let spend = db::campaigns::spend_between(conn, loyalty::year_ago(c.starts_at), c.starts_at)?;
    // Biggest spenders first: the order of `top` and of the call reminders.
    let mut by_spend = ids.clone();
    by_spend.sort_by_key(|id| (std::cmp::Reverse(spend.get(id).copied().unwrap_or(0)), *id));
    if let Some(n) = c.top_n {
        by_spend.truncate(n as usize);
        let keep: HashSet<i64> = by_spend.iter().copied().collect();
        ids.retain(|id| keep.contains(id));
    }
    Ok((ids, by_spend))
}

/// Whether a customer is held back: a seeded hash of the customer, below `percent` of its
/// range. Each customer's lot depends only on the seed and their id, never on who else is
/// in the audience or in what order, so the split can be drawn while customers stream by
/// (the demo) and redrawn by anyone who has the seed.
pub fn held_back(seed: u64, customer_id: i64, percent: i64) -> bool {
    // splitmix64: a well-mixed 64-bit hash of (seed, id).
    let mut z = seed ^ (customer_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % 10_000) < (percent.clamp(0, 100) as u64) * 100
}

/// The held-back share of an audience ([`held_back`] for each).
pub fn holdout_of(ids: &[i64], percent: i64, seed: u64) -> HashSet<i64> {
    ids.iter()
        .copied()
        .filter(|&id| held_back(seed, id, percent))
        .collect()
}

/// The share `x` of `n` with its 95% interval (normal approximation).
fn rate(x: i64, n: i64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let p = x as f64 / n as f64;
    (p, p * (1.0 - p) / n as f64)
}

/// Mean and variance of the mean of `values` (minor units).
fn mean(values: &[i64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let m = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var / n)
}

fn estimate(value: f64, var: f64) -> Estimate<f64> {
    let half = Z95 * var.max(0.0).sqrt();
    Estimate {
        value,
        low: value - half,
        high: value + half,
    }
}

/// Money from an estimate in minor units, rounded to the currency's unit.
fn money_of(minor: f64, exp: u32) -> Decimal {
    Decimal::from_f64(minor.round())
        .map(|d| money::from_minor(d.try_into().unwrap_or(0), exp))
        .unwrap_or_default()
}

fn group(figures: &[&db::campaigns::MemberFigures], exp: u32) -> GroupFigures {
    let n = figures.len() as i64;
    let returned = figures.iter().filter(|f| f.bills > 0).count() as i64;
    let revenue: i64 = figures.iter().map(|f| f.revenue_minor).sum();
    GroupFigures {
        customers: n,
        returned,
        return_rate: rate(returned, n).0,
        revenue: money::from_minor(revenue, exp),
        revenue_per_customer: if n > 0 {
            (money::from_minor(revenue, exp) / Decimal::from(n)).round_dp(exp)
        } else {
            Decimal::ZERO
        },
    }
}

impl Store {
    pub fn add_campaign(&self, input: &CampaignInput) -> Result<Campaign> {
        let actor = self.require(Perm::Promotions)?;
        let staff = actor.attribution(None);
        self.write_any(|conn| {
            let row = checked(conn, input, time::now())?;
            let id = db::campaigns::insert(conn, &row, staff.as_deref())?;
            let c = db::campaigns::get(conn, id)?
                .ok_or_else(|| CoreError::Internal("campaign vanished".into()))?;
            let v = view(conn, &c, timezone(conn)?)?;
            audit::record(
                conn,
                &actor
                    .entry("campaign.add", "campaign")
                    .entity_id(id)
                    .after(audit::snapshot(&v)?),
            )?;
            Ok(v)
        })
    }

    pub fn campaigns(&self) -> Result<Vec<Campaign>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let tz = timezone(conn)?;
            db::campaigns::all(conn)?
                .iter()
                .map(|c| view(conn, c, tz))
                .collect()
        })
    }

    /// Launch once: choose the audience and the holdout, give the treated their benefit,
    /// add the call reminders, then write the messages (when a template and `messages` are
    /// given). Launching again changes nothing and says so.
    pub fn launch_campaign(
        &self,
        reference: &str,
        messages: Option<&Path>,
    ) -> Result<LaunchResult> {
        let actor = self.require(Perm::Promotions)?;
        let staff = actor.attribution(None);
        let staff = staff.as_deref();
        let mut out = self.write_any(|conn| {
            let c = resolve(conn, reference)?;
            // Held on a server, then read again: two owners launching it at once launch it
            // once (the second finds it launched).
            db::campaigns::hold(conn, c.id)?;
            let c = db::campaigns::get(conn, c.id)?
                .ok_or_else(|| CoreError::Internal("campaign vanished".into()))?;
            let tz = timezone(conn)?;
            if c.launched_at.is_some() {
                let (treated, holdout, vouchers) = db::campaigns::member_counts(conn, c.id)?;
                return Ok(LaunchResult {
                    campaign: view(conn, &c, tz)?,
                    launched_now: false,
                    treated,
                    holdout,
                    vouchers,
                    points: 0,
                    reminders: 0,
                    messages: None,
                });
            }
            let now = time::now();
            let program = match c.program_id {
                Some(id) => Some(vouchers::issuable(conn, &id.to_string(), now)?),
                None => None,
            };
            let (ids, by_spend) = audience(conn, &c, tz)?;
            let held = holdout_of(&ids, c.holdout_percent, c.seed as u64);
            let mut rng = rand::rng();
            let (mut issued, mut points) = (0i64, 0i64);
            for &id in &ids {
                let holdout = held.contains(&id);
                let voucher = match (&program, holdout) {
                    (Some(p), false) => {
                        issued += 1;
                        Some(vouchers::issue_one(conn, &mut rng, p, id, now)?)
                    }
                    _ => None,
                };
                if let (Some(n), false) = (c.points, holdout) {
                    let balance = db::loyalty::balance(conn, id)?;
                    if limits::check_balance(balance, n).is_ok() {
                        db::loyalty::insert_entry(
                            conn,
                            &NewEntry {
                                customer_id: id,
                                kind: "bonus",
                                points: n,
                                at: now,
                                purchase_id: None,
                                refund_id: None,
                                staff,
                                reason: Some(&c.name),
                            },
                            now,
                        )?;
                        points += n;
                    }
                }
                db::campaigns::insert_member(conn, c.id, id, holdout, voucher)?;
            }
            let mut reminders = 0i64;
            if let Some(k) = c.call_top {
                let due = time::local_date(c.starts_at.max(now), tz).to_string();
                let title = format!("☎ {}", c.name);
                for &id in by_spend
                    .iter()
                    .filter(|id| !held.contains(id))
                    .take(k as usize)
                {
                    let r = NewReminder {
                        customer_id: id,
                        kind: "manual",
                        rule_key: None,
                        due_date: &due,
                        due_time: None,
                        title: Some(&title),
                        note: c.gift.as_deref(),
                        assignee: None,
                        detail: "{}",
                        counter: actor.counter.as_deref(),
                    };
                    if db::reminders::insert_reminder(conn, &r, now)?.is_some() {
                        reminders += 1;
                    }
                }
            }
            db::campaigns::set_launched(conn, c.id, now)?;
            let launched = db::campaigns::get(conn, c.id)?
                .ok_or_else(|| CoreError::Internal("campaign vanished".into()))?;
            let out = LaunchResult {
                campaign: view(conn, &launched, tz)?,
                launched_now: true,
                treated: (ids.len() - held.len()) as i64,
                holdout: held.len() as i64,
                vouchers: issued,
                points,
                reminders,
                messages: None,
            };
            audit::record(
                conn,
                &actor
                    .entry("campaign.launch", "campaign")
                    .entity_id(c.id)
                    .after(json!({
                        "treated": out.treated,
                        "holdout": out.holdout,
                        "vouchers": issued,
                        "points": points,
                        "reminders": reminders,
                        "seed": c.seed as u64,
                    })),
            )?;
            Ok(out)
        })?;
        if let (Some(path), Some(template), true) =
            (messages, out.campaign.template.clone(), out.launched_now)
        {
            let ids = self.read(|c| db::campaigns::treated(c, out.campaign.id))?;
            let (_, export) = self.write_messages(&template, &ids, path)?;
            self.audit_append(
                &actor
                    .entry("template.export", "export")
                    .entity_id(&template)
                    .after(json!({"file": export.path, "rows": export.rows, "campaign": out.campaign.id})),
            )?;
            out.messages = Some(export);
        }
        Ok(out)
    }

    /// Every campaign, newest first, with its results once launched.
    pub fn campaign_overview(&self) -> Result<Vec<(Campaign, Option<CampaignResults>)>> {
        self.require(Perm::Promotions)?;
        self.campaigns()?
            .into_iter()
            .map(|c| {
                let r = match c.launched_at {
                    Some(_) => Some(self.campaign_results(&c.id.to_string())?),
                    None => None,
                };
                Ok((c, r))
            })
            .collect()
    }

    /// The treated against the holdout over the window so far: return rates, revenue per
    /// customer, their differences with 95% intervals, and what the benefit cost.
    pub fn campaign_results(&self, reference: &str) -> Result<CampaignResults> {
        self.require(Perm::Promotions)?;
        self.read(|conn| {
            let (tz, exp) = (timezone(conn)?, currency(conn)?.1);
            let c = resolve(conn, reference)?;
            // Up to and including this second; never before the window's start.
            let until = c
                .ends_at
                .min(time::now().saturating_add(1))
                .max(c.starts_at + 1);
            let figures = db::campaigns::member_figures(conn, c.id, c.starts_at, until)?;
            let (treated, holdout): (Vec<_>, Vec<_>) = figures.iter().partition(|f| !f.holdout);
            let (t, h) = (group(&treated, exp), group(&holdout, exp));
            let (pt, vt) = rate(t.returned, t.customers);
            let (ph, vh) = rate(h.returned, h.customers);
            let d = estimate(pt - ph, vt + vh);
            let nt = t.customers as f64;
            let rev = |g: &[&db::campaigns::MemberFigures]| {
                mean(&g.iter().map(|f| f.revenue_minor).collect::<Vec<_>>())
            };
            let ((mt, wt), (mh, wh)) = (rev(&treated), rev(&holdout));
            let r = estimate(mt - mh, wt + wh);
            let m = |e: &Estimate<f64>, k: f64| Estimate {
                value: money_of(e.value * k, exp),
                low: money_of(e.low * k, exp),
                high: money_of(e.high * k, exp),
            };
            let (_, _, issued) = db::campaigns::member_counts(conn, c.id)?;
            let (redeemed, discounts, gifts) = db::campaigns::redemptions(conn, c.id)?;
            let point_value = loyalty::rules(conn)?.point_value;
            let points_minor = c
                .points
                .unwrap_or(0)
                .saturating_mul(t.customers)
                .saturating_mul(point_value);
            Ok(CampaignResults {
                campaign: view(conn, &c, tz)?,
                as_of: time::local_date(until - 1, tz),
                extra_customers: Estimate {
                    value: d.value * nt,
                    low: d.low * nt,
                    high: d.high * nt,
                },
                return_rate_difference: d,
                revenue_per_customer_difference: m(&r, 1.0),
                extra_revenue: m(&r, nt),
                treated: t,
                holdout: h,
                issued,
                redeemed,
                redemption_rate: (issued > 0).then(|| redeemed as f64 / issued as f64),
                discounts: money::from_minor(discounts, exp),
                gift_cost: money::from_minor(gifts, exp),
                points_cost: money::from_minor(points_minor, exp),
                cost: money::from_minor(
                    discounts.saturating_add(gifts).saturating_add(points_minor),
                    exp,
                ),
            })
        })
    }
}
