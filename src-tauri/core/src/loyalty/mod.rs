//! Loyalty: rules, tiers, the points ledger (balance = its sum), first-in first-out expiry,
//! birthday bonus, refunds and manual adjustments.

use crate::db::{self, loyalty::NewEntry, loyalty::TierRow};
use crate::error::{CoreError, Result};
use crate::model::{
    AdjustResult, CustomerLoyalty, LedgerEntry, LoyaltyConfig, LoyaltyRules, MaintenanceReport,
    PointsView, Tier, TierInput, TierMove,
};
use crate::store::audit;
use crate::store::session::{Actor, Perm};
use crate::store::settings::{currency, timezone, DEFAULT_CURRENCY};
use crate::store::Store;
use crate::{limits, money, text, time};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use rusqlite::Connection;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::str::FromStr;

pub const RULE_KEYS: &[&str] = &[
    "earn_per",
    "point_value",
    "min_redeem",
    "max_redeem_percent",
    "expiry_months",
    "birthday_bonus",
];

/// Rules in minor units, as the arithmetic uses them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rules {
    pub earn_per: i64,
    pub point_value: i64,
    pub min_redeem: i64,
    pub max_redeem_percent: i64,
    pub expiry_months: i64,
    pub birthday_bonus: i64,
}

fn rule_key(key: &str) -> String {
    format!("loyalty.{key}")
}

/// 10.000 ₫ per point and 1.000 ₫ a point in đồng; one unit and one cent elsewhere.
fn default_money(key: &str, exp: u32) -> i64 {
    match (key, exp) {
        ("earn_per", 0) => 10_000,
        ("point_value", 0) => 1_000,
        ("earn_per", e) => 10i64.pow(e),
        _ => 1,
    }
}

fn default_count(key: &str) -> i64 {
    match key {
        "min_redeem" => 10,
        "max_redeem_percent" => 50,
        "expiry_months" => 12,
        "birthday_bonus" => 50,
        _ => 0,
    }
}

fn is_money(key: &str) -> bool {
    matches!(key, "earn_per" | "point_value")
}

pub(crate) fn rules<'a>(conn: impl Into<db::Conn<'a>>) -> Result<Rules> {
    Ok(bill_settings(conn)?.1)
}

/// The shop's currency (code and exponent, as `store::settings::currency` gives them) and
/// the loyalty rules, from one read of the settings: what every bill needs.
pub(crate) fn bill_settings<'a>(conn: impl Into<db::Conn<'a>>) -> Result<((String, u32), Rules)> {
    let stored = db::loyalty::bill_settings(conn)?;
    let find = |key: &str| {
        stored
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let code = find("currency").unwrap_or(DEFAULT_CURRENCY).to_owned();
    let exp = money::exponent(&code)?;
    let get = |key: &str| -> i64 {
        match (find(&rule_key(key)), is_money(key)) {
            (Some(v), true) => Decimal::from_str(v)
                .ok()
                .and_then(|d| money::to_minor(d, exp).ok())
                .unwrap_or_else(|| default_money(key, exp)),
            (Some(v), false) => v.parse().unwrap_or_else(|_| default_count(key)),
            (None, true) => default_money(key, exp),
            (None, false) => default_count(key),
        }
    };
    let rules = Rules {
        earn_per: get("earn_per"),
        point_value: get("point_value"),
        min_redeem: get("min_redeem"),
        max_redeem_percent: get("max_redeem_percent"),
        expiry_months: get("expiry_months"),
        birthday_bonus: get("birthday_bonus"),
    };
    Ok(((code, exp), rules))
}

/// Validate one KEY=VALUE and return the text to store.
fn valid_rule(key: &str, value: &str, currency_code: &str, exp: u32) -> Result<String> {
    let bad = || CoreError::RuleInvalid {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    let v = value.trim();
    if is_money(key) {
        let d = money::parse_amount(v, currency_code, exp).map_err(|_| bad())?;
        if d <= Decimal::ZERO {
            return Err(bad());
        }
        return Ok(d.to_string());
    }
    let n: i64 = v.parse().map_err(|_| bad())?;
    let max = match key {
        "max_redeem_percent" => 100,
        "expiry_months" => 120,
        "min_redeem" | "birthday_bonus" => limits::POINTS_ADJUST_MAX,
        _ => return Err(CoreError::UnknownSetting(key.to_owned())),
    };
    if !(0..=max).contains(&n) {
        return Err(bad());
    }
    Ok(n.to_string())
}

#[derive(Debug, Clone)]
pub(crate) struct TierDef {
    pub name: String,
    pub threshold: i64,
    pub multiplier: Decimal,
}

pub(crate) fn tiers<'a>(conn: impl Into<db::Conn<'a>>) -> Result<Vec<TierDef>> {
    Ok(db::loyalty::tiers(conn)?
        .into_iter()
        .map(|t| TierDef {
            multiplier: Decimal::from_str(&t.multiplier).unwrap_or(Decimal::ONE),
            name: t.name,
            threshold: t.threshold_minor,
        })
        .collect())
}

/// The highest tier whose threshold the spend reaches.
pub(crate) fn tier_for(tiers: &[TierDef], spend: i64) -> Option<&TierDef> {
    tiers.iter().rev().find(|t| spend >= t.threshold)
}

/// Points for money paid: round down, tier multiplier applied.
pub(crate) fn earn_points(paid_minor: i64, rules: &Rules, multiplier: Decimal) -> i64 {
    if rules.earn_per <= 0 || paid_minor <= 0 {
        return 0;
    }
    (Decimal::from(paid_minor) / Decimal::from(rules.earn_per) * multiplier)
        .floor()
        .to_i64()
        .unwrap_or(0)
}

/// The most points a bill may use: the balance, the percentage cap, the minimum.
pub(crate) fn max_points(total_minor: i64, balance: i64, rules: &Rules) -> i64 {
    if rules.point_value <= 0 {
        return 0;
    }
    let cap = total_minor.saturating_mul(rules.max_redeem_percent) / 100;
    let m = balance.min(cap / rules.point_value).max(0);
    if m < rules.min_redeem.max(1) {
        0
    } else {
        m
    }
}

/// The discount `points` give on a bill, or why they may not be used.
pub(crate) fn redeem_discount(
    points: i64,
    total_minor: i64,
    balance: i64,
    rules: &Rules,
) -> Result<i64> {
    if points < 0 {
        return Err(CoreError::RedeemInvalid(points.to_string()));
    }
    if points == 0 {
        return Ok(0);
    }
    if points < rules.min_redeem {
        return Err(CoreError::RedeemBelowMinimum {
            min: rules.min_redeem,
        });
    }
    if points > balance {
        return Err(CoreError::RedeemOverBalance { balance });
    }
    let discount = points
        .checked_mul(rules.point_value)
        .ok_or(CoreError::AmountTooLarge)?;
    if discount > total_minor.saturating_mul(rules.max_redeem_percent) / 100 {
        return Err(CoreError::RedeemOverCap {
            max: max_points(total_minor, balance, rules),
            percent: rules.max_redeem_percent,
        });
    }
    Ok(discount)
}

fn shift_months(ts: i64, months: i64) -> i64 {
    let t = time::from_unix(ts);
    let m = Months::new(months.unsigned_abs() as u32);
    let shifted = if months >= 0 {
        t.checked_add_months(m)
    } else {
        t.checked_sub_months(m)
    };
    shifted.map(|d| d.timestamp()).unwrap_or(ts)
}

/// First-in first-out: positive movements are lots that expire `months` after they were
/// earned; negative ones use the oldest lots first. Returns the lots due by `as_of` as
/// (expiry time, points still in them). Replaying a ledger that already has those expire
/// entries returns nothing, which makes expiry idempotent.
pub fn expiries_due(movements: &[(i64, i64)], months: i64, as_of: i64) -> Vec<(i64, i64)> {
    if months <= 0 {
        return Vec::new();
    }
    let mut due: Vec<(i64, i64)> = Vec::new();
    for (expires, left) in lots(movements, months) {
        if expires > as_of || left == 0 {
            continue;
        }
        match due.last_mut() {
            Some(last) if last.0 == expires => last.1 = last.1.saturating_add(left),
            _ => due.push((expires, left)),
        }
    }
    due
}

/// When the first lot still holding points expires (None: no points, or none expire).
/// Appending movements never brings it earlier, except a new lot when there was none.
pub(crate) fn next_expiry(movements: &[(i64, i64)], months: i64) -> Option<i64> {
    if months <= 0 {
        return None;
    }
    lots(movements, months)
        .into_iter()
        .find(|l| l.1 > 0)
        .map(|l| l.0)
}

/// When points earned at `at` expire.
pub(crate) fn lot_expiry(at: i64, months: i64) -> i64 {
    shift_months(at, months)
}

/// The lots left after replaying `movements` first-in first-out: (expiry, points left).
fn lots(movements: &[(i64, i64)], months: i64) -> VecDeque<(i64, i64)> {
    let mut lots: VecDeque<(i64, i64)> = VecDeque::new();
    for &(at, points) in movements {
        if points > 0 {
            lots.push_back((shift_months(at, months), points));
        } else {
            let mut need = points.saturating_neg();
            while need > 0 {
                let Some(front) = lots.front_mut() else { break };
                let used = need.min(front.1);
                front.1 -= used;
                need -= used;
                if front.1 == 0 {
                    lots.pop_front();
                }
            }
        }
    }
    lots
}

/// Record what has expired for one customer by `as_of`; returns the points expired.
pub(crate) fn apply_expiry<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    rules: &Rules,
    as_of: i64,
) -> Result<i64> {
    let conn = conn.into();
    if rules.expiry_months <= 0 {
        return Ok(0);
    }
    let due = expiries_due(
        &db::loyalty::movements(conn, customer_id)?,
        rules.expiry_months,
        as_of,
    );
    record_expiries(conn, customer_id, &due)
}

/// Write expire entries for lots found due; returns the points expired.
pub(crate) fn record_expiries<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    due: &[(i64, i64)],
) -> Result<i64> {
    let conn = conn.into();
    let now = time::now();
    let mut total = 0;
    for &(at, points) in due {
        db::loyalty::insert_entry(
            conn,
            &NewEntry {
                customer_id,
                kind: "expire",
                points: -points,
                at,
                purchase_id: None,
                refund_id: None,
                staff: None,
                reason: Some("expired"),
            },
            now,
        )?;
        total = i64::saturating_add(total, points);
    }
    Ok(total)
}

pub(crate) fn year_ago(at: i64) -> i64 {
    shift_months(at, -12)
}

/// Bring a customer's recorded tier in line with their 12-month spend as of `at`.
/// Returns (tier before, tier after).
pub(crate) fn evaluate_tier<'a>(
    conn: impl Into<db::Conn<'a>>,
    tiers: &[TierDef],
    customer_id: i64,
    at: i64,
) -> Result<(Option<String>, Option<String>)> {
    let conn = conn.into();
    let spend = db::loyalty::spend(conn, customer_id, year_ago(at), at)?;
    let current = db::loyalty::current_tier(conn, customer_id)?;
    let target = tier_for(tiers, spend).map(|t| t.name.clone());
    if target != current {
        db::loyalty::insert_tier_move(
            conn,
            customer_id,
            at,
            current.as_deref(),
            target.as_deref(),
            spend,
        )?;
    }
    Ok((current, target))
}

pub(crate) fn view<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    exp: u32,
) -> Result<CustomerLoyalty> {
    let conn = conn.into();
    let now = time::now();
    let tiers = tiers(conn)?;
    Ok(view_of(
        &tiers,
        db::loyalty::balance(conn, customer_id)?,
        db::loyalty::current_tier(conn, customer_id)?,
        db::loyalty::spend(conn, customer_id, year_ago(now), now)?,
        exp,
    ))
}

/// The card as the counter shows it: balance, tier, and what the next tier still needs.
pub(crate) fn view_of(
    tiers: &[TierDef],
    balance: i64,
    tier: Option<String>,
    spend: i64,
    exp: u32,
) -> CustomerLoyalty {
    let multiplier = tier
        .as_ref()
        .and_then(|n| tiers.iter().find(|t| &t.name == n))
        .map_or(Decimal::ONE, |t| t.multiplier);
    let next = tiers.iter().find(|t| t.threshold > spend);
    CustomerLoyalty {
        balance,
        tier,
        multiplier,
        spend_12m: money::from_minor(spend, exp),
        next_tier: next.map(|t| t.name.clone()),
        next_threshold: next.map(|t| money::from_minor(t.threshold, exp)),
        needed_for_next: next.map(|t| money::from_minor(t.threshold.saturating_sub(spend), exp)),
    }
}

pub(crate) fn ledger<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    limit: u32,
) -> Result<Vec<LedgerEntry>> {
    Ok(db::loyalty::entries(conn, customer_id, limit)?
        .into_iter()
        .map(entry_view)
        .collect())
}

fn entry_view(e: db::loyalty::EntryRow) -> LedgerEntry {
    LedgerEntry {
        id: e.id,
        kind: e.kind,
        points: e.points,
        at: time::from_unix(e.at),
        purchase_id: e.purchase_id,
        staff: e.staff,
        reason: e.reason,
    }
}

pub(crate) fn tier_history<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    exp: u32,
) -> Result<Vec<TierMove>> {
    Ok(db::loyalty::tier_history(conn, customer_id, 100)?
        .into_iter()
        .map(|(at, from, to, spend)| TierMove {
            at: time::from_unix(at),
            from,
            to,
            spend_12m: money::from_minor(spend, exp),
        })
        .collect())
}

fn config<'a>(conn: impl Into<db::Conn<'a>>) -> Result<LoyaltyConfig> {
    let conn = conn.into();
    let (_, exp) = currency(conn)?;
    let r = rules(conn)?;
    Ok(LoyaltyConfig {
        rules: LoyaltyRules {
            earn_per: money::from_minor(r.earn_per, exp),
            point_value: money::from_minor(r.point_value, exp),
            min_redeem: r.min_redeem,
            max_redeem_percent: r.max_redeem_percent,
            expiry_months: r.expiry_months,
            birthday_bonus: r.birthday_bonus,
        },
        tiers: tiers(conn)?
            .into_iter()
            .map(|t| Tier {
                name: t.name,
                threshold: money::from_minor(t.threshold, exp),
                multiplier: t.multiplier,
            })
            .collect(),
    })
}

fn valid_tiers(input: &[TierInput], currency_code: &str, exp: u32) -> Result<Vec<TierRow>> {
    if input.is_empty() {
        return Err(CoreError::TiersEmpty);
    }
    let mut rows = Vec::with_capacity(input.len());
    let mut seen: Vec<String> = Vec::new();
    for t in input {
        let name = t.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(CoreError::TierNameRequired);
        }
        let key = text::fold(&name);
        if seen.contains(&key) {
            return Err(CoreError::TierDuplicate(name));
        }
        seen.push(key);
        let threshold = money::parse_amount(&t.threshold, currency_code, exp)
            .and_then(|d| money::to_minor(d, exp))
            .and_then(|m| limits::check_customer_total(0, m, exp))
            .map_err(|_| CoreError::TierThresholdInvalid {
                name: name.clone(),
                value: t.threshold.clone(),
            })?;
        let multiplier = Decimal::from_str(t.multiplier.trim())
            .ok()
            .filter(|m| *m >= Decimal::ZERO && *m <= Decimal::from(100) && m.scale() <= 2)
            .ok_or_else(|| CoreError::TierMultiplierInvalid {
                name: name.clone(),
                value: t.multiplier.clone(),
            })?;
        rows.push(TierRow {
            name,
            threshold_minor: threshold,
            multiplier: multiplier.normalize().to_string(),
        });
    }
    rows.sort_by_key(|r| r.threshold_minor);
    if rows[0].threshold_minor != 0 {
        return Err(CoreError::TierFirstNotZero);
    }
    if let Some(w) = rows
        .windows(2)
        .find(|w| w[0].threshold_minor == w[1].threshold_minor)
    {
        return Err(CoreError::TierThresholdInvalid {
            name: w[1].name.clone(),
            value: money::from_minor(w[1].threshold_minor, exp).to_string(),
        });
    }
    Ok(rows)
}

/// Re-evaluate every customer with spend or a recorded tier (after the tiers change, or an
/// import of purchase history).
pub(crate) fn evaluate_all_tiers<'a>(conn: impl Into<db::Conn<'a>>, as_of: i64) -> Result<i64> {
    let conn = conn.into();
    db::loyalty::hold_spend(conn)?;
    let tiers = tiers(conn)?;
    let spend = db::loyalty::spend_all(conn, year_ago(as_of), as_of)?;
    let current = db::loyalty::current_tiers_all(conn)?;
    let mut ids: Vec<i64> = spend.keys().chain(current.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut moves = 0;
    for id in ids {
        let s = spend.get(&id).copied().unwrap_or(0);
        let now_tier = current.get(&id).cloned().flatten();
        let target = tier_for(&tiers, s).map(|t| t.name.clone());
        if target != now_tier {
            db::loyalty::insert_tier_move(
                conn,
                id,
                as_of,
                now_tier.as_deref(),
                target.as_deref(),
                s,
            )?;
            moves += 1;
        }
    }
    Ok(moves)
}

/// The end of a local date in the shop's time zone, or now.
fn as_of_instant<'a>(
    conn: impl Into<db::Conn<'a>>,
    date: Option<&str>,
) -> Result<(i64, NaiveDate)> {
    let tz = timezone(conn)?;
    match date {
        None => {
            let now = Utc::now();
            Ok((now.timestamp(), now.with_timezone(&tz).date_naive()))
        }
        Some(d) => {
            let day = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| CoreError::TimeInvalid(d.to_owned()))?;
            if day < limits::date_floor() || day > limits::date_ceiling() {
                return Err(CoreError::DateOutOfRange {
                    value: day.to_string(),
                    from: limits::date_floor().to_string(),
                    to: limits::date_ceiling().to_string(),
                });
            }
            let end = day
                .and_hms_opt(23, 59, 59)
                .and_then(|n| tz.from_local_datetime(&n).earliest())
                .ok_or_else(|| CoreError::TimeInvalid(d.to_owned()))?;
            Ok((end.timestamp(), day))
        }
    }
}

fn setting_i64<'a>(conn: impl Into<db::Conn<'a>>, key: &str) -> Result<Option<i64>> {
    Ok(db::settings::get(conn, key)?.and_then(|v| v.parse().ok()))
}

/// Expire due points for every customer whose lots may have reached expiry by `as_of`.
fn expire_all(conn: &Connection, rules: &Rules, as_of: i64) -> Result<(i64, i64)> {
    if rules.expiry_months <= 0 {
        return Ok((0, 0));
    }
    // Lots earned before the last run's cut-off were handled then, unless we go back in time.
    let last = setting_i64(conn, "loyalty.expired_until")?;
    let from = match last {
        Some(l) if l <= as_of => shift_months(l, -rules.expiry_months),
        _ => i64::MIN,
    };
    let to = shift_months(as_of, -rules.expiry_months);
    let (mut points, mut customers) = (0, 0);
    for id in db::loyalty::customers_with_lots(conn, from, to)? {
        let p = apply_expiry(conn, id, rules, as_of)?;
        if p > 0 {
            points += p;
            customers += 1;
        }
    }
    db::settings::set(
        conn,
        "loyalty.expired_until",
        &last.unwrap_or(as_of).max(as_of).to_string(),
    )?;
    Ok((points, customers))
}

fn birthday_bonuses(conn: &Connection, rules: &Rules, as_of: i64, day: NaiveDate) -> Result<i64> {
    if rules.birthday_bonus <= 0 {
        return Ok(0);
    }
    let (month, year_start) = birthday_window(timezone(conn)?, day);
    let ids = db::loyalty::birthday_candidates(conn, &month, year_start, None)?;
    let now = time::now();
    for &id in &ids {
        db::loyalty::insert_entry(conn, &birthday_entry(id, rules.birthday_bonus, as_of), now)?;
    }
    Ok(ids.len() as i64)
}

/// The month whose birthdays get their bonus on `day`, and the start of its year: a bonus
/// since then was this year's.
fn birthday_window(tz: chrono_tz::Tz, day: NaiveDate) -> (String, i64) {
    let year_start = NaiveDate::from_ymd_opt(day.year(), 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map_or(0, |d: DateTime<_>| d.timestamp());
    (format!("{:02}", day.month()), year_start)
}

/// A birthday bonus entry.
fn birthday_entry(customer_id: i64, points: i64, at: i64) -> NewEntry<'static> {
    NewEntry {
        customer_id,
        kind: "bonus",
        points,
        at,
        purchase_id: None,
        refund_id: None,
        staff: None,
        reason: Some("birthday"),
    }
}

/// Tier moves for customers whose purchases left the 12-month window since the last run.
fn tiers_catch_up(conn: &Connection, as_of: i64) -> Result<i64> {
    let last = setting_i64(conn, "loyalty.tiers_until")?;
    let moves = match last {
        None => evaluate_all_tiers(conn, as_of)?,
        Some(l) if l >= as_of => 0,
        Some(l) => {
            let tiers = tiers(conn)?;
            let mut moves = 0;
            for id in db::loyalty::customers_with_spend(conn, year_ago(l), year_ago(as_of))? {
                let (before, after) = evaluate_tier(conn, &tiers, id, as_of)?;
                moves += i64::from(before != after);
            }
            moves
        }
    };
    if last.is_none_or(|l| l < as_of) {
        db::settings::set(conn, "loyalty.tiers_until", &as_of.to_string())?;
    }
    Ok(moves)
}

/// One entry per run that changed something: the hourly run mostly changes nothing.
fn record_maintenance<'a>(
    conn: impl Into<db::Conn<'a>>,
    actor: &Actor,
    r: &MaintenanceReport,
) -> Result<()> {
    if r.expired_points + r.birthday_bonuses + r.tier_moves > 0 {
        audit::record(
            conn,
            &actor
                .entry("points.maintenance", "points")
                .after(audit::snapshot(r)?),
        )?;
    }
    Ok(())
}

fn adjust_reason(reason: &str) -> Result<String> {
    let r = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if r.is_empty() {
        Err(CoreError::AdjustReasonRequired)
    } else {
        Ok(r)
    }
}

impl Store {
    pub fn loyalty_config(&self) -> Result<LoyaltyConfig> {
        self.require(Perm::View)?;
        self.read(|conn| config(conn))
    }

    /// Change some rules; all are checked before any is stored.
    pub fn set_loyalty_rules(&self, pairs: &[(String, String)]) -> Result<LoyaltyConfig> {
        let actor = self.require(Perm::LoyaltyRules)?;
        self.write_any(|conn| {
            let before = config(conn)?;
            let (code, exp) = currency(conn)?;
            let mut checked = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                if !RULE_KEYS.contains(&k.as_str()) {
                    return Err(CoreError::UnknownSetting(k.clone()));
                }
                checked.push((rule_key(k), valid_rule(k, v, &code, exp)?));
            }
            for (k, v) in checked {
                db::settings::set(conn, &k, &v)?;
            }
            let after = config(conn)?;
            audit::record_change(
                conn,
                actor.entry("loyalty.rules", "loyalty"),
                &before.rules,
                &after.rules,
            )?;
            Ok(after)
        })
    }

    /// Replace the tiers and move every customer to the tier their spend now earns.
    pub fn set_tiers(&self, input: &[TierInput]) -> Result<LoyaltyConfig> {
        let actor = self.require(Perm::LoyaltyRules)?;
        self.write_any(|conn| {
            let (code, exp) = currency(conn)?;
            let rows = valid_tiers(input, &code, exp)?;
            let before = config(conn)?;
            db::loyalty::replace_tiers(conn, &rows)?;
            let moves = evaluate_all_tiers(conn, time::now())?;
            let after = config(conn)?;
            audit::record(
                conn,
                &actor
                    .entry("loyalty.tiers", "loyalty")
                    .before(audit::snapshot(&before.tiers)?)
                    .after(json!({"tiers": audit::snapshot(&after.tiers)?, "tier_moves": moves})),
            )?;
            Ok(after)
        })
    }

    pub fn customer_loyalty(&self, customer_id: i64) -> Result<CustomerLoyalty> {
        self.require(Perm::View)?;
        self.read(|conn| {
            db::customers::existing(conn, customer_id)?;
            view(conn, customer_id, currency(conn)?.1)
        })
    }

    pub fn points(&self, customer_id: i64, limit: u32) -> Result<PointsView> {
        self.require(Perm::View)?;
        self.read(|conn| {
            db::customers::existing(conn, customer_id)?;
            let exp = currency(conn)?.1;
            Ok(PointsView {
                customer_id,
                loyalty: view(conn, customer_id, exp)?,
                ledger: ledger(conn, customer_id, limit)?,
                tier_history: tier_history(conn, customer_id, exp)?,
            })
        })
    }

    /// A signed manual change with a mandatory reason, as its own ledger entry.
    pub fn adjust_points(
        &self,
        customer_id: i64,
        delta: i64,
        reason: &str,
        staff: Option<&str>,
    ) -> Result<AdjustResult> {
        let actor = self.require(Perm::AdjustPoints)?;
        let staff = actor.attribution(staff);
        let staff = staff.as_deref();
        let reason = adjust_reason(reason)?;
        if delta == 0 {
            return Err(CoreError::AdjustZero);
        }
        limits::check_adjust(delta)?;
        self.write_any(|conn| {
            // Taken with the customer's bills, so a redemption at another counter cannot
            // spend what this check counted.
            db::customers::hold(conn, customer_id)?;
            db::customers::existing(conn, customer_id)?;
            let rules = rules(conn)?;
            let now = time::now();
            apply_expiry(conn, customer_id, &rules, now)?;
            let balance = db::loyalty::balance(conn, customer_id)?;
            let after = limits::check_balance(balance, delta)?;
            if after < 0 {
                return Err(CoreError::AdjustBelowZero { balance });
            }
            let id = db::loyalty::insert_entry(
                conn,
                &NewEntry {
                    customer_id,
                    kind: "adjust",
                    points: delta,
                    at: now,
                    purchase_id: None,
                    refund_id: None,
                    staff,
                    reason: Some(&reason),
                },
                now,
            )?;
            let entry = db::loyalty::entry(conn, id)?
                .map(entry_view)
                .ok_or_else(|| CoreError::Internal("entry vanished".into()))?;
            audit::record(
                conn,
                &actor
                    .entry("points.adjust", "points")
                    .entity_id(id)
                    .customer(customer_id)
                    .before(json!({"balance": balance}))
                    .after(json!({"balance": after, "delta": delta, "reason": reason})),
            )?;
            Ok(AdjustResult {
                entry,
                loyalty: view(conn, customer_id, currency(conn)?.1)?,
            })
        })
    }

    /// Expire due points (first in, first out) as of the end of `date`, or now.
    pub fn expire_points(&self, date: Option<&str>) -> Result<MaintenanceReport> {
        let actor = self.require(Perm::Maintenance)?;
        if self.on_server() {
            return self.maintenance_by_customer(&actor, date, true);
        }
        self.write(|conn| {
            let (as_of, day) = as_of_instant(conn, date)?;
            let (expired_points, expired_customers) = expire_all(conn, &rules(conn)?, as_of)?;
            let report = MaintenanceReport {
                as_of: day.to_string(),
                expired_points,
                expired_customers,
                ..Default::default()
            };
            record_maintenance(conn, &actor, &report)?;
            Ok(report)
        })
    }

    /// The daily loyalty work, idempotent: expiry, birthday bonuses, tier moves.
    pub fn loyalty_maintenance(&self, date: Option<&str>) -> Result<MaintenanceReport> {
        let actor = self.require(Perm::Maintenance)?;
        if self.on_server() {
            return self.maintenance_by_customer(&actor, date, false);
        }
        self.write(|conn| {
            let (as_of, day) = as_of_instant(conn, date)?;
            let rules = rules(conn)?;
            let (expired_points, expired_customers) = expire_all(conn, &rules, as_of)?;
            let report = MaintenanceReport {
                as_of: day.to_string(),
                expired_points,
                expired_customers,
                birthday_bonuses: birthday_bonuses(conn, &rules, as_of, day)?,
                tier_moves: tiers_catch_up(conn, as_of)?,
            };
            record_maintenance(conn, &actor, &report)?;
            Ok(report)
        })
    }

    /// [`Store::loyalty_maintenance`] on a server, where counters keep selling meanwhile:
    /// the candidates are read first, then each customer is worked on in a transaction of
    /// their own that holds their row, as a bill does. A bill waits at most for one
    /// customer's few rows, never for the pass; and each step is computed again under that
    /// hold, so a redemption, a bill or another counter's pass in between is counted, not
    /// overwritten (expiry and tier moves find nothing left to do; a birthday bonus is
    /// given once).
    /// With `expiry_only`, the expiry step alone ([`Store::expire_points`]).
    fn maintenance_by_customer(
        &self,
        actor: &Actor,
        date: Option<&str>,
        expiry_only: bool,
    ) -> Result<MaintenanceReport> {
        let (as_of, day, rules, tz, expired_until, tiers_until) = self.read(|c| {
            let (as_of, day) = as_of_instant(c, date)?;
            Ok((
                as_of,
                day,
                rules(c)?,
                timezone(c)?,
                setting_i64(c, "loyalty.expired_until")?,
                setting_i64(c, "loyalty.tiers_until")?,
            ))
        })?;
        let mut report = MaintenanceReport {
            as_of: day.to_string(),
            ..Default::default()
        };
        if rules.expiry_months > 0 {
            let from = match expired_until {
                Some(l) if l <= as_of => shift_months(l, -rules.expiry_months),
                _ => i64::MIN,
            };
            let to = shift_months(as_of, -rules.expiry_months);
            for id in self.read(|c| db::loyalty::customers_with_lots(c, from, to))? {
                let p = self.write_any(|c| {
                    db::customers::hold(c, id)?;
                    apply_expiry(c, id, &rules, as_of)
                })?;
                if p > 0 {
                    report.expired_points += p;
                    report.expired_customers += 1;
                }
            }
            let until = expired_until.unwrap_or(as_of).max(as_of);
            self.write_any(|c| db::settings::set(c, "loyalty.expired_until", &until.to_string()))?;
        }
        if rules.birthday_bonus > 0 && !expiry_only {
            let (month, year_start) = birthday_window(tz, day);
            let ids =
                self.read(|c| db::loyalty::birthday_candidates(c, &month, year_start, None))?;
            for id in ids {
                report.birthday_bonuses += self.write_any(|c| {
                    db::customers::hold(c, id)?;
                    // Still owed under the hold: another counter's pass may have given it.
                    if db::loyalty::birthday_candidates(c, &month, year_start, Some(id))?.is_empty()
                    {
                        return Ok(0);
                    }
                    let entry = birthday_entry(id, rules.birthday_bonus, as_of);
                    db::loyalty::insert_entry(c, &entry, time::now())?;
                    Ok(1)
                })?;
            }
        }
        if tiers_until.is_none_or(|l| l < as_of) && !expiry_only {
            let (tiers, ids) = self.read(|c| {
                let ids = match tiers_until {
                    Some(l) => db::loyalty::customers_with_spend(c, year_ago(l), year_ago(as_of))?,
                    None => {
                        let spend = db::loyalty::spend_all(c, year_ago(as_of), as_of)?;
                        let current = db::loyalty::current_tiers_all(c)?;
                        let mut ids: Vec<i64> =
                            spend.keys().chain(current.keys()).copied().collect();
                        ids.sort_unstable();
                        ids.dedup();
                        ids
                    }
                };
                Ok((tiers(c)?, ids))
            })?;
            for id in ids {
                let (before, after) = self.write_any(|c| {
                    db::customers::hold(c, id)?;
                    evaluate_tier(c, &tiers, id, as_of)
                })?;
                report.tier_moves += i64::from(before != after);
            }
            self.write_any(|c| db::settings::set(c, "loyalty.tiers_until", &as_of.to_string()))?;
        }
        self.write_any(|c| record_maintenance(c, actor, &report))?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn fifo_expiry_uses_oldest_lots_first() {
        let jan = 1_704_067_200; // 2024-01-01
        let moves = [(jan, 100), (jan + 40 * DAY, 50), (jan + 60 * DAY, -120)];
        // The redemption used all of January's 100 and 20 of February's 50.
        let due = expiries_due(&moves, 12, jan + 500 * DAY);
        assert_eq!(due.iter().map(|d| d.1).sum::<i64>(), 30);
        // Nothing is due before the first lot's anniversary.
        assert!(expiries_due(&moves, 12, jan + 300 * DAY).is_empty());
        // Replaying with the expiry recorded finds nothing more: idempotent.
        let mut with = moves.to_vec();
        with.extend(due.iter().map(|&(at, p)| (at, -p)));
        assert!(expiries_due(&with, 12, jan + 900 * DAY).is_empty());
        assert!(expiries_due(&moves, 0, i64::MAX).is_empty());
    }

    #[test]
    fn earn_rounds_down_with_multiplier() {
        let r = Rules {
            earn_per: 10_000,
            point_value: 1_000,
            min_redeem: 10,
            max_redeem_percent: 50,
            expiry_months: 12,
            birthday_bonus: 50,
        };
        assert_eq!(earn_points(259_000, &r, Decimal::ONE), 25);
        assert_eq!(earn_points(259_000, &r, Decimal::new(15, 1)), 38);
        assert_eq!(earn_points(9_999, &r, Decimal::ONE), 0);
        assert_eq!(max_points(100_000, 500, &r), 50);
        assert_eq!(max_points(100_000, 5, &r), 0, "under the minimum");
        assert_eq!(redeem_discount(50, 100_000, 500, &r).unwrap(), 50_000);
        assert_eq!(
            redeem_discount(51, 100_000, 500, &r).unwrap_err().code(),
            "loyalty.redeem_over_cap"
        );
        assert_eq!(
            redeem_discount(5, 100_000, 500, &r).unwrap_err().code(),
            "loyalty.redeem_below_minimum"
        );
        assert_eq!(
            redeem_discount(40, 100_000, 20, &r).unwrap_err().code(),
            "loyalty.redeem_over_balance"
        );
    }
}
