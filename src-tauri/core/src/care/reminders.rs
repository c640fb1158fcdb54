//! Follow-up reminders: manual ones, the rules that generate them, and the Today list.

use crate::care::interactions::{active_customer, record_interaction};
use crate::db::{self, reminders::NewReminder, reminders::ReminderRec};
use crate::error::{CoreError, Result};
use crate::model::{
    CareLog, CheckInRule, DaysRule, GenerateCounts, GenerateReport, Reminder, ReminderCustomer,
    ReminderGroup, ReminderInput, ReminderRow, ReminderRules, StaleRule, TodayView, WinBackRule,
    RULE_KINDS, WEEK_DAYS,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{money, phone, time};
use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

/// A day the app was closed is caught up: generating for D creates what fell due in the
/// `CATCH_UP_DAYS` days up to and including D.
///
/// Catch-up must not flood Today with work the app itself just found late. A rule's
/// reminder that fell due before the run's day is, by kind:
/// - thank_you: created up to [`THANK_YOU_LATE_DAYS`] days late, else skipped (thanks a
///   week after the first purchase read as an afterthought);
/// - check_in: up to [`CHECK_IN_LATE_DAYS`] days late, else skipped;
/// - birthday: until the birthday itself, then skipped (no greeting after the day);
/// - warranty: until the warranty ends, then skipped (nothing left to remind of);
/// - win_back: up to [`WIN_BACK_LATE_DAYS`] days late, else skipped (the long-lapsed stay
///   in the reports' at-risk list instead of piling up here);
/// - stale: always (asking to confirm details does not go out of date).
///
/// What is created late is due on the run's day, not overdue: nobody missed it. Its
/// detail keeps the date it first fell due as `late_from`.
pub const CATCH_UP_DAYS: u64 = 7;
pub const THANK_YOU_LATE_DAYS: i64 = 2;
pub const CHECK_IN_LATE_DAYS: i64 = 3;
pub const WIN_BACK_LATE_DAYS: i64 = 3;
/// The most reminders one bulk snooze or cancel takes.
pub const BULK_MAX: usize = 1000;

pub const RULE_SETTING_KEYS: &[&str] = &[
    "thank_you.enabled",
    "thank_you.days",
    "check_in.enabled",
    "check_in.days",
    "check_in.min_amount",
    "birthday.enabled",
    "birthday.days",
    "warranty.enabled",
    "warranty.days",
    "win_back.enabled",
    "win_back.factor",
    "win_back.min_days",
    "stale.enabled",
    "stale.months",
];

fn setting_key(key: &str) -> String {
    format!("care.{key}")
}

fn default_value(key: &str, exp: u32) -> String {
    match key {
        "thank_you.days" => "1".into(),
        "check_in.days" => "7".into(),
        // 500.000 ₫; 50 units of a currency with cents.
        "check_in.min_amount" => (if exp == 0 { "500000" } else { "50" }).into(),
        "birthday.days" => "3".into(),
        "warranty.days" => "14".into(),
        "win_back.factor" => "2".into(),
        "win_back.min_days" => "30".into(),
        "stale.months" => "12".into(),
        _ => "true".into(),
    }
}

/// Validate one rule value and return the text to store.
fn valid_rule_value(key: &str, value: &str, code: &str, exp: u32) -> Result<String> {
    let v = value.trim();
    let bad = || CoreError::CareRuleInvalid {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    if key.ends_with(".enabled") {
        return match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "yes" => Ok("true".into()),
            "false" | "0" | "off" | "no" => Ok("false".into()),
            _ => Err(bad()),
        };
    }
    match key {
        "check_in.min_amount" => {
            let d = money::parse_amount(v, code, exp).map_err(|_| bad())?;
            if d < Decimal::ZERO {
                return Err(bad());
            }
            Ok(d.to_string())
        }
        "win_back.factor" => {
            let d = Decimal::from_str(v).map_err(|_| bad())?;
            if d < Decimal::ONE || d > Decimal::from(20) {
                return Err(bad());
            }
            Ok(d.normalize().to_string())
        }
        _ => {
            let n: i64 = v.parse().map_err(|_| bad())?;
            let (lo, hi) = match key {
                "stale.months" => (1, 120),
                "win_back.min_days" => (1, 3650),
                _ => (0, 365),
            };
            if !(lo..=hi).contains(&n) {
                return Err(bad());
            }
            Ok(n.to_string())
        }
    }
}

pub(crate) fn rules<'a>(conn: impl Into<db::Conn<'a>>) -> Result<ReminderRules> {
    let conn = conn.into();
    let (code, exp) = currency(conn)?;
    let raw = |key: &str| -> Result<String> {
        let stored = db::settings::get(conn, &setting_key(key))?;
        // A stored value that no longer validates (e.g. after a currency change) falls back.
        Ok(stored
            .and_then(|v| valid_rule_value(key, &v, &code, exp).ok())
            .unwrap_or_else(|| default_value(key, exp)))
    };
    let flag = |key: &str| -> Result<bool> { Ok(raw(key)? == "true") };
    let num = |key: &str| -> Result<i64> { Ok(raw(key)?.parse().unwrap_or(0)) };
    let dec =
        |key: &str| -> Result<Decimal> { Ok(Decimal::from_str(&raw(key)?).unwrap_or_default()) };
    Ok(ReminderRules {
        thank_you: DaysRule {
            enabled: flag("thank_you.enabled")?,
            days: num("thank_you.days")?,
        },
        check_in: CheckInRule {
            enabled: flag("check_in.enabled")?,
            days: num("check_in.days")?,
            min_amount: dec("check_in.min_amount")?,
        },
        birthday: DaysRule {
            enabled: flag("birthday.enabled")?,
            days: num("birthday.days")?,
        },
        warranty: DaysRule {
            enabled: flag("warranty.enabled")?,
            days: num("warranty.days")?,
        },
        win_back: WinBackRule {
            enabled: flag("win_back.enabled")?,
            factor: dec("win_back.factor")?,
            min_days: num("win_back.min_days")?,
        },
        stale: StaleRule {
            enabled: flag("stale.enabled")?,
            months: num("stale.months")?,
        },
    })
}

pub(crate) fn parse_date(s: &str, field: &'static str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| CoreError::ReminderDateInvalid {
        value: s.to_owned(),
        field,
    })
}

fn valid_time(s: Option<String>) -> Result<Option<String>> {
    let Some(t) = s.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    NaiveTime::parse_from_str(&t, "%H:%M")
        .map(|t| Some(t.format("%H:%M").to_string()))
        .map_err(|_| CoreError::ReminderTimeInvalid(t))
}

fn as_of_date<'a>(conn: impl Into<db::Conn<'a>>, as_of: Option<&str>) -> Result<(NaiveDate, Tz)> {
    let tz = timezone(conn)?;
    let d = match as_of {
        Some(s) => parse_date(s, "as_of")?,
        None => time::today(tz),
    };
    Ok((d, tz))
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
    .unwrap_or(d)
}

fn add_months(d: NaiveDate, n: i64) -> NaiveDate {
    let m = Months::new(n.unsigned_abs() as u32);
    if n >= 0 {
        d.checked_add_months(m)
    } else {
        d.checked_sub_months(m)
    }
    .unwrap_or(d)
}

/// Whether a reminder is past due at `now` (a timed one from its time on the due day).
fn is_overdue(due_date: &str, due_time: Option<&str>, today: NaiveDate, now: NaiveTime) -> bool {
    let Ok(d) = NaiveDate::parse_from_str(due_date, "%Y-%m-%d") else {
        return false;
    };
    d < today
        || (d == today
            && due_time
                .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
                .is_some_and(|t| t < now))
}

pub(crate) struct Clock {
    today: NaiveDate,
    now: NaiveTime,
}

impl Clock {
    pub(crate) fn of<'a>(conn: impl Into<db::Conn<'a>>, as_of: Option<NaiveDate>) -> Result<Clock> {
        let tz = timezone(conn)?;
        let now = Utc::now().with_timezone(&tz);
        Ok(match as_of {
            // A chosen day is looked at from its start: only earlier days are overdue.
            Some(d) if d != now.date_naive() => Clock {
                today: d,
                now: NaiveTime::MIN,
            },
            _ => Clock {
                today: now.date_naive(),
                now: now.time(),
            },
        })
    }
}

pub(crate) fn reminder_view(r: ReminderRec, clock: &Clock) -> Reminder {
    Reminder {
        overdue: r.status == "open"
            && is_overdue(&r.due_date, r.due_time.as_deref(), clock.today, clock.now),
        detail: serde_json::from_str(&r.detail).unwrap_or_else(|_| json!({})),
        id: r.id,
        customer_id: r.customer_id,
        kind: r.kind,
        due_date: r.due_date,
        due_time: r.due_time,
        title: r.title,
        note: r.note,
        assignee: r.assignee,
        status: r.status,
        snoozed_from: r.snoozed_from,
        created_at: time::from_unix(r.created_at),
        closed_at: r.closed_at.map(time::from_unix),
        interaction_id: r.interaction_id,
    }
}

fn rows_of<'a>(
    conn: impl Into<db::Conn<'a>>,
    recs: Vec<ReminderRec>,
    clock: &Clock,
) -> Result<Vec<ReminderRow>> {
    let conn = conn.into();
    let exp = currency(conn)?.1;
    let mut out = Vec::with_capacity(recs.len());
    for r in recs {
        let Some((name, phone_no, visits, total, last, tier, points)) =
            db::reminders::customer_brief(conn, r.customer_id)?
        else {
            continue;
        };
        out.push(ReminderRow {
            customer: ReminderCustomer {
                id: r.customer_id,
                name,
                phone_display: phone::display_opt(phone_no.as_deref()),
                phone: phone_no,
                tier,
                points,
                visits,
                total_spent: money::from_minor(total, exp),
                last_purchase_at: last.map(time::from_unix),
            },
            reminder: reminder_view(r, clock),
        });
    }
    Ok(out)
}

fn load_open(conn: db::Conn, id: i64) -> Result<ReminderRec> {
    let r = db::reminders::reminder(conn, id)?.ok_or(CoreError::ReminderNotFound(id))?;
    if r.status != "open" {
        return Err(CoreError::ReminderClosed {
            id,
            status: r.status,
        });
    }
    Ok(r)
}

fn get_view<'a>(conn: impl Into<db::Conn<'a>>, id: i64) -> Result<Reminder> {
    let conn = conn.into();
    let r = db::reminders::reminder(conn, id)?.ok_or(CoreError::ReminderNotFound(id))?;
    Ok(reminder_view(r, &Clock::of(conn, None)?))
}

/// A bulk action's selection: at most [`BULK_MAX`] ids, each once, in the order given.
fn bulk_ids(ids: &[i64]) -> Result<Vec<i64>> {
    if ids.len() > BULK_MAX {
        return Err(CoreError::ReminderBulkTooMany { max: BULK_MAX });
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

/// A manual reminder's fields, checked once whether it is for one customer or a list.
struct Manual {
    customer_id: i64,
    due_date: String,
    due_time: Option<String>,
    title: Option<String>,
    note: Option<String>,
    assignee: Option<String>,
}

impl Manual {
    fn check(input: ReminderInput) -> Result<Manual> {
        Ok(Manual {
            customer_id: input.customer_id,
            due_date: parse_date(&input.due_date, "due_date")?.to_string(),
            due_time: valid_time(input.due_time)?,
            title: crate::customers::check_len(input.title)?,
            note: crate::customers::check_len(input.note)?,
            assignee: crate::customers::check_len(input.assignee)?,
        })
    }

    fn insert(
        &self,
        conn: db::Conn,
        customer_id: i64,
        now: i64,
        counter: Option<&str>,
    ) -> Result<Option<i64>> {
        db::reminders::insert_reminder(
            conn,
            &NewReminder {
                customer_id,
                kind: "manual",
                rule_key: None,
                due_date: &self.due_date,
                due_time: self.due_time.as_deref(),
                title: self.title.as_deref(),
                note: self.note.as_deref(),
                assignee: self.assignee.as_deref(),
                detail: "{}",
                counter,
            },
            now,
        )
    }
}

/// What a generated reminder says about itself, for a care log entry made from it.
fn default_summary(r: &ReminderRec) -> String {
    r.title.clone().unwrap_or_else(|| r.kind.replace('_', " "))
}

// ---- generation ----

struct Generator<'a> {
    conn: db::Conn<'a>,
    tz: Tz,
    /// Due dates in [first, last] are created.
    first: NaiveDate,
    last: NaiveDate,
    now: i64,
    counts: GenerateCounts,
    /// Found too late to be of use (see [`CATCH_UP_DAYS`]).
    skipped: i64,
}

impl Generator<'_> {
    fn due_in_window(&self, d: NaiveDate) -> bool {
        d >= self.first && d <= self.last
    }

    fn start(&self, d: NaiveDate) -> i64 {
        time::day_start(d, self.tz)
    }

    /// Create a rule's reminder due on `due`, worth creating until `useful_until` (see
    /// [`CATCH_UP_DAYS`]): found late it is due today, found too late it is skipped.
    fn create(
        &mut self,
        kind: &'static str,
        customer_id: i64,
        key: String,
        (due, useful_until): (NaiveDate, NaiveDate),
        mut detail: serde_json::Value,
    ) -> Result<()> {
        // Purchase-driven candidates are not filtered by SQL; an archived customer gets none.
        if matches!(kind, "check_in" | "warranty")
            && !db::reminders::is_active(self.conn, customer_id)?
        {
            return Ok(());
        }
        let today = self.last;
        let due = if due >= today {
            due
        } else if useful_until < today {
            // Made on time on an earlier run, it stays; otherwise it is no use any more.
            if !db::reminders::rule_key_exists(self.conn, &key)? {
                self.skipped += 1;
            }
            return Ok(());
        } else {
            detail["late_from"] = json!(due.to_string());
            today
        };
        let created = db::reminders::insert_reminder(
            self.conn,
            &NewReminder {
                customer_id,
                kind,
                rule_key: Some(&key),
                due_date: &due.to_string(),
                due_time: None,
                title: None,
                note: None,
                assignee: None,
                detail: &detail.to_string(),
                counter: None,
            },
            self.now,
        )?;
        if created.is_some() {
            let c = &mut self.counts;
            *match kind {
                "thank_you" => &mut c.thank_you,
                "check_in" => &mut c.check_in,
                "birthday" => &mut c.birthday,
                "warranty" => &mut c.warranty,
                "win_back" => &mut c.win_back,
                _ => &mut c.stale,
            } += 1;
        }
        Ok(())
    }

    fn thank_you(&mut self, days: i64) -> Result<()> {
        let from = self.start(add_days(self.first, -days));
        let to = self.start(add_days(self.last, 1 - days));
        for (cid, first) in db::reminders::first_purchases_between(self.conn, from, to)? {
            let bought = time::local_date(first, self.tz);
            let due = add_days(bought, days);
            if self.due_in_window(due) {
                let detail = json!({"first_purchase": bought.to_string()});
                let when = (due, add_days(due, THANK_YOU_LATE_DAYS));
                self.create("thank_you", cid, format!("thank_you:{cid}"), when, detail)?;
            }
        }
        Ok(())
    }

    fn check_in(&mut self, days: i64, min_minor: i64) -> Result<()> {
        let from = self.start(add_days(self.first, -days));
        let to = self.start(add_days(self.last, 1 - days));
        let exp = currency(self.conn)?.1;
        for (pid, cid, at, total) in
            db::reminders::purchases_between(self.conn, from, to, min_minor)?
        {
            let bought = time::local_date(at, self.tz);
            let due = add_days(bought, days);
            if self.due_in_window(due) {
                let detail = json!({
                    "purchase_id": pid,
                    "purchase_date": bought.to_string(),
                    "amount": money::from_minor(total, exp).to_string(),
                });
                let when = (due, add_days(due, CHECK_IN_LATE_DAYS));
                self.create("check_in", cid, format!("check_in:{pid}"), when, detail)?;
            }
        }
        Ok(())
    }

    fn birthday(&mut self, days: i64) -> Result<()> {
        // Birthdays on [first + days, last + days]; 29 February is kept on the 28th in
        // other years.
        let mut wanted: Vec<(String, NaiveDate)> = Vec::new();
        let mut d = add_days(self.first, days);
        let end = add_days(self.last, days);
        while d <= end {
            wanted.push((d.format("%m-%d").to_string(), d));
            if d.month() == 2 && d.day() == 28 && NaiveDate::from_ymd_opt(d.year(), 2, 29).is_none()
            {
                wanted.push(("02-29".into(), d));
            }
            d = add_days(d, 1);
        }
        let keys: Vec<String> = wanted.iter().map(|(k, _)| k.clone()).collect();
        for (cid, birthday) in db::reminders::birthdays_on(self.conn, &keys)? {
            let md = &birthday[birthday.len().saturating_sub(5)..];
            for (k, day) in wanted.iter().filter(|(k, _)| k == md) {
                let due = add_days(*day, -days);
                if self.due_in_window(due) {
                    let detail = json!({"birthday": day.to_string(), "month_day": k});
                    let key = format!("birthday:{cid}:{}", day.year());
                    self.create("birthday", cid, key, (due, *day), detail)?;
                }
            }
        }
        Ok(())
    }

    fn warranty(&mut self, days: i64) -> Result<()> {
        // Ends on [first + days, last + days]; bought `months` earlier, with a few days of
        // slack because month arithmetic clamps at month ends; the exact end decides.
        let end_first = add_days(self.first, days);
        let end_last = add_days(self.last, days);
        for months in db::reminders::warranty_lengths(self.conn)? {
            let m = i64::from(months);
            let from = self.start(add_days(add_months(end_first, -m), -4));
            let to = self.start(add_days(add_months(end_last, -m), 4));
            for (item, pid, cid, product, at) in
                db::reminders::warranty_items_bought(self.conn, months, from, to)?
            {
                let ends = add_months(time::local_date(at, self.tz), m);
                let due = add_days(ends, -days);
                if self.due_in_window(due) {
                    let detail = json!({
                        "item_id": item,
                        "purchase_id": pid,
                        "product": product,
                        "ends": ends.to_string(),
                    });
                    let key = format!("warranty:{item}");
                    self.create("warranty", cid, key, (due, ends), detail)?;
                }
            }
        }
        Ok(())
    }

    fn win_back(&mut self, factor: Decimal, min_days: i64) -> Result<()> {
        let factor = factor.to_f64().unwrap_or(2.0);
        // The threshold is at least min_days, so only visits before last - min_days qualify.
        let before = self.start(add_days(self.last, 1 - min_days));
        for (cid, first, last, visits) in db::reminders::lapsing_candidates(self.conn, before)? {
            let gap_days = (last - first) as f64 / 86_400.0 / (visits - 1).max(1) as f64;
            let threshold = ((factor * gap_days).ceil() as i64).max(min_days);
            let last_day = time::local_date(last, self.tz);
            // "Longer than" the threshold: due the day after it is reached.
            let due = add_days(last_day, threshold + 1);
            if self.due_in_window(due) {
                let detail = json!({
                    "last_visit": last_day.to_string(),
                    "last_at": last,
                    "usual_gap_days": gap_days.round() as i64,
                    "threshold_days": threshold,
                });
                self.create(
                    "win_back",
                    cid,
                    format!("win_back:{cid}:{last}"),
                    (due, add_days(due, WIN_BACK_LATE_DAYS)),
                    detail,
                )?;
            }
        }
        Ok(())
    }

    fn stale(&mut self, months: i64) -> Result<()> {
        let from = self.start(add_days(add_months(self.first, -months), -4));
        let to = self.start(add_days(add_months(self.last, -months), 4));
        for (cid, confirmed) in db::reminders::confirmed_between(self.conn, from, to)? {
            let day = time::local_date(confirmed, self.tz);
            let due = add_months(day, months);
            if self.due_in_window(due) {
                let detail = json!({"confirmed": day.to_string()});
                self.create(
                    "stale",
                    cid,
                    format!("stale:{cid}:{confirmed}"),
                    (due, self.last),
                    detail,
                )?;
            }
        }
        Ok(())
    }
}

/// The last day generated with the current rules: a later day only looks at the days since.
const GENERATED_THROUGH: &str = "care.generated_through";

pub(crate) fn generate(conn: db::Conn, as_of: Option<&str>) -> Result<GenerateReport> {
    let (day, tz) = as_of_date(conn, as_of)?;
    let r = rules(conn)?;
    let exp = currency(conn)?.1;
    let through = db::settings::get(conn, GENERATED_THROUGH)?
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let mut first = add_days(day, 1 - CATCH_UP_DAYS as i64);
    // The same or an earlier day again looks at its whole window: found again and skipped.
    if let Some(t) = through.filter(|t| *t < day) {
        first = first.max(add_days(t, 1));
    }
    if through.is_none_or(|t| t < day) {
        db::settings::set(conn, GENERATED_THROUGH, &day.to_string())?;
    }
    let mut g = Generator {
        conn,
        tz,
        first,
        last: day,
        now: time::now(),
        counts: GenerateCounts::default(),
        skipped: 0,
    };
    for kind in RULE_KINDS {
        match *kind {
            "thank_you" if r.thank_you.enabled => g.thank_you(r.thank_you.days)?,
            "check_in" if r.check_in.enabled => {
                let min = money::to_minor(r.check_in.min_amount, exp)?;
                g.check_in(r.check_in.days, min)?
            }
            "birthday" if r.birthday.enabled => g.birthday(r.birthday.days)?,
            "warranty" if r.warranty.enabled => g.warranty(r.warranty.days)?,
            "win_back" if r.win_back.enabled => {
                g.win_back(r.win_back.factor, r.win_back.min_days)?
            }
            "stale" if r.stale.enabled => g.stale(r.stale.months)?,
            _ => {}
        }
    }
    // A customer who came back no longer needs winning back.
    db::reminders::close_returned_win_backs(conn, g.now)?;
    let c = g.counts;
    Ok(GenerateReport {
        as_of: day.to_string(),
        total: c.thank_you + c.check_in + c.birthday + c.warranty + c.win_back + c.stale,
        created: c,
        skipped: g.skipped,
    })
}

impl Store {
    pub fn reminder_rules(&self) -> Result<ReminderRules> {
        self.require(Perm::View)?;
        self.read(|c| rules(c))
    }

    /// Change some rule values ("thank_you.days" = "2"); all are checked before any is stored.
    pub fn set_reminder_rules(&self, pairs: &[(String, String)]) -> Result<ReminderRules> {
        let actor = self.require(Perm::ReminderRules)?;
        self.write_any(|conn| {
            let before = rules(conn)?;
            let (code, exp) = currency(conn)?;
            let mut checked = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                if !RULE_SETTING_KEYS.contains(&k.as_str()) {
                    return Err(CoreError::UnknownSetting(k.clone()));
                }
                checked.push((setting_key(k), valid_rule_value(k, v, &code, exp)?));
            }
            for (k, v) in checked {
                db::settings::set(conn, &k, &v)?;
            }
            // New numbers may put reminders in days already generated: catch the week up.
            db::settings::delete(conn, GENERATED_THROUGH)?;
            let after = rules(conn)?;
            audit::record_change(
                conn,
                actor.entry("reminder.rules", "reminder_rules"),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }

    /// Create the reminders the rules call for, falling due up to `as_of` (default today).
    pub fn generate_reminders(&self, as_of: Option<&str>) -> Result<GenerateReport> {
        let actor = self.require(Perm::Maintenance)?;
        if self.on_server() {
            // On a server each reminder commits on its own: a reminder's key to its customer
            // holds that row until commit, and a bill at a counter must not wait for the
            // whole pass. Every rule reminder has its key, so a second counter's pass (or
            // this one run again) adds nothing twice.
            let report = self.each_committed(|conn| generate(conn, as_of))?;
            if report.total > 0 {
                self.write_any(|conn| {
                    audit::record(
                        conn,
                        &actor
                            .entry("reminder.generate", "reminder")
                            .after(audit::snapshot(&report)?),
                    )
                })?;
            }
            return Ok(report);
        }
        self.write(|conn| {
            let report = generate(conn.into(), as_of)?;
            // One entry per run that added reminders: most hourly runs add none.
            if report.total > 0 {
                audit::record(
                    conn,
                    &actor
                        .entry("reminder.generate", "reminder")
                        .after(audit::snapshot(&report)?),
                )?;
            }
            Ok(report)
        })
    }

    pub fn add_reminder(&self, input: ReminderInput) -> Result<Reminder> {
        let actor = self.require(Perm::Serve)?;
        let m = Manual::check(input)?;
        self.write_any(|conn| {
            active_customer(conn, m.customer_id)?;
            let id = m
                .insert(conn, m.customer_id, time::now(), actor.counter.as_deref())?
                .ok_or_else(|| CoreError::Internal("reminder not inserted".into()))?;
            let r = get_view(conn, id)?;
            audit::record(
                conn,
                &actor
                    .entry("reminder.add", "reminder")
                    .entity_id(id)
                    .customer(r.customer_id)
                    .after(audit::snapshot(&r)?),
            )?;
            Ok(r)
        })
    }

    /// The same manual reminder for every customer a list filter selects (a segment from the
    /// reports, a tag...), in one transaction; `input.customer_id` is not used. Returns how
    /// many were added.
    pub fn add_reminders_for(
        &self,
        filter: &crate::model::CustomerFilter,
        input: ReminderInput,
    ) -> Result<i64> {
        let actor = self.require(Perm::BulkReminders)?;
        let m = Manual::check(input)?;
        self.write_any(|conn| {
            let ids =
                db::filter::filter_ids(conn, &crate::customers::filter::filter_sql(conn, filter)?)?;
            let now = time::now();
            for id in &ids {
                m.insert(conn, *id, now, actor.counter.as_deref())?;
            }
            audit::record(
                conn,
                &actor
                    .entry("reminder.add_bulk", "reminder")
                    .after(json!({"filter": audit::snapshot(filter)?, "customers": ids.len()})),
            )?;
            Ok(ids.len() as i64)
        })
    }

    /// Close a reminder as done; with a log, the interaction is recorded with it.
    pub fn complete_reminder(
        &self,
        id: i64,
        log: Option<CareLog>,
        staff: Option<&str>,
    ) -> Result<Reminder> {
        let actor = self.require(Perm::Serve)?;
        let staff = actor.attribution(staff);
        let staff = staff.as_deref();
        self.write_any(|conn| {
            let r = load_open(conn, id)?;
            let before = get_view(conn, id)?;
            let now = time::now();
            let interaction = match log {
                Some(log) => {
                    let summary = log
                        .summary
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| default_summary(&r));
                    Some(record_interaction(
                        conn,
                        r.customer_id,
                        &log.channel,
                        log.direction.as_deref(),
                        &summary,
                        log.outcome,
                        now,
                        staff,
                        Some(id),
                    )?)
                }
                None => None,
            };
            db::reminders::close_reminder(conn, id, "done", now, staff, interaction)?;
            let after = get_view(conn, id)?;
            audit::record(
                conn,
                &actor
                    .entry("reminder.done", "reminder")
                    .entity_id(id)
                    .customer(after.customer_id)
                    .before(audit::snapshot(&before)?)
                    .after(json!({"reminder": audit::snapshot(&after)?, "interaction_id": interaction})),
            )?;
            Ok(after)
        })
    }

    pub fn snooze_reminder(&self, id: i64, to: &str) -> Result<Reminder> {
        let actor = self.require(Perm::Serve)?;
        let to_day = parse_date(to, "to")?;
        self.write_any(|conn| {
            load_open(conn, id)?;
            if to_day < time::today(timezone(conn)?) {
                return Err(CoreError::SnoozePast(to_day.to_string()));
            }
            snooze_one(conn, &actor, id, to_day)
        })
    }

    pub fn cancel_reminder(&self, id: i64, staff: Option<&str>) -> Result<Reminder> {
        let actor = self.require(Perm::CancelReminder)?;
        let staff = actor.attribution(staff);
        self.write_any(|conn| cancel_one(conn, &actor, id, time::now(), staff.as_deref()))
    }

    /// Snooze every selected reminder to `to`, in one transaction: each must exist and be
    /// open, else nothing changes. One audit entry per reminder, as a single snooze makes.
    /// Returns how many were snoozed (0 for an empty selection, which changes nothing).
    pub fn snooze_reminders(&self, ids: &[i64], to: &str) -> Result<i64> {
        let actor = self.require(Perm::Serve)?;
        let ids = bulk_ids(ids)?;
        let to_day = parse_date(to, "to")?;
        if ids.is_empty() {
            return Ok(0);
        }
        self.write_any(|conn| {
            if to_day < time::today(timezone(conn)?) {
                return Err(CoreError::SnoozePast(to_day.to_string()));
            }
            for &id in &ids {
                load_open(conn, id)?;
                snooze_one(conn, &actor, id, to_day)?;
            }
            Ok(ids.len() as i64)
        })
    }

    /// Cancel every selected reminder, in one transaction: each must exist and be open,
    /// else nothing changes. One audit entry per reminder, as a single cancel makes.
    pub fn cancel_reminders(&self, ids: &[i64], staff: Option<&str>) -> Result<i64> {
        let actor = self.require(Perm::CancelReminder)?;
        let staff = actor.attribution(staff);
        let ids = bulk_ids(ids)?;
        if ids.is_empty() {
            return Ok(0);
        }
        self.write_any(|conn| {
            let now = time::now();
            for &id in &ids {
                cancel_one(conn, &actor, id, now, staff.as_deref())?;
            }
            Ok(ids.len() as i64)
        })
    }

    pub fn reminder(&self, id: i64) -> Result<Reminder> {
        self.require(Perm::View)?;
        self.read(|c| get_view(c, id))
    }

    /// Overdue, due on `as_of` (default today) and due in the 7 days after; each ranked by
    /// what is at stake and cut at `limit` rows.
    pub fn today(&self, as_of: Option<&str>, limit: u32) -> Result<TodayView> {
        self.require(Perm::View)?;
        self.read(|conn| today_in(conn, as_of, limit))
    }

    /// Open reminders, soonest first: "overdue", "today", "week" (today and the 7 days
    /// after, overdue included) or "all".
    pub fn list_reminders(
        &self,
        due: Option<&str>,
        as_of: Option<&str>,
        customer_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ReminderRow>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let (day, _) = as_of_date(conn, as_of)?;
            let clock = Clock::of(conn, Some(day))?;
            let (from, to) = match due.unwrap_or("all") {
                "overdue" => (None, Some(add_days(day, -1))),
                "today" => (Some(day), Some(day)),
                "week" => (None, Some(add_days(day, WEEK_DAYS as i64))),
                "all" => (None, None),
                other => {
                    return Err(CoreError::FilterInvalid {
                        key: "due".into(),
                        value: other.into(),
                    })
                }
            };
            let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
            let recs = db::reminders::open_by_date(
                conn,
                from.as_deref(),
                to.as_deref(),
                customer_id,
                limit.clamp(1, 100_000),
            )?;
            rows_of(conn, recs, &clock)
        })
    }
}

/// [`Store::today`] on one connection.
fn today_in(conn: db::Conn, as_of: Option<&str>, limit: u32) -> Result<TodayView> {
    {
        let (day, _) = as_of_date(conn, as_of)?;
        let clock = Clock::of(conn, Some(day))?;
        let yesterday = add_days(day, -1).to_string();
        let today = day.to_string();
        let tomorrow = add_days(day, 1).to_string();
        let week_end = add_days(day, WEEK_DAYS as i64).to_string();
        let limit = limit.clamp(1, 1000);
        let group = |from: Option<&str>, to: &str| -> Result<ReminderGroup> {
            let total = db::reminders::count_open(conn, from, Some(to))?;
            Ok(ReminderGroup {
                total,
                rows: rows_of(
                    conn,
                    db::reminders::open_ranked(conn, from, Some(to), total, limit)?,
                    &clock,
                )?,
            })
        };
        Ok(TodayView {
            as_of: today.clone(),
            overdue: group(None, &yesterday)?,
            today: group(Some(&today), &today)?,
            week: group(Some(&tomorrow), &week_end)?,
        })
    }
}

/// Snooze one open reminder (checked by the caller) to `to_day`, with its audit entry.
fn snooze_one(
    conn: db::Conn,
    actor: &crate::store::session::Actor,
    id: i64,
    to_day: NaiveDate,
) -> Result<Reminder> {
    change_one(conn, actor, id, "reminder.snooze", || {
        db::reminders::snooze_reminder(conn, id, &to_day.to_string())
    })
}

/// Cancel one reminder, refused unless it is open, with its audit entry.
fn cancel_one(
    conn: db::Conn,
    actor: &crate::store::session::Actor,
    id: i64,
    now: i64,
    staff: Option<&str>,
) -> Result<Reminder> {
    load_open(conn, id)?;
    change_one(conn, actor, id, "reminder.cancel", || {
        db::reminders::close_reminder(conn, id, "cancelled", now, staff, None)
    })
}

/// Apply `change` to reminder `id` and record `action` with the reminder before and after.
fn change_one(
    conn: db::Conn,
    actor: &crate::store::session::Actor,
    id: i64,
    action: &str,
    change: impl FnOnce() -> Result<()>,
) -> Result<Reminder> {
    let before = get_view(conn, id)?;
    change()?;
    let after = get_view(conn, id)?;
    audit::record_change(
        conn,
        actor.entry(action, "reminder").about(id, after.customer_id),
        &before,
        &after,
    )?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_values_are_checked() {
        assert_eq!(
            valid_rule_value("thank_you.enabled", "off", "VND", 0).unwrap(),
            "false"
        );
        assert!(valid_rule_value("thank_you.days", "-1", "VND", 0).is_err());
        assert!(valid_rule_value("win_back.factor", "0.5", "VND", 0).is_err());
        assert_eq!(
            valid_rule_value("win_back.factor", "1.50", "VND", 0).unwrap(),
            "1.5"
        );
        assert_eq!(
            valid_rule_value("check_in.min_amount", "500000", "VND", 0).unwrap(),
            "500000"
        );
        assert!(valid_rule_value("stale.months", "0", "VND", 0).is_err());
    }

    #[test]
    fn overdue_counts_the_time_of_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert!(is_overdue("2026-11-22", None, today, noon));
        assert!(!is_overdue("2026-11-23", None, today, noon));
        assert!(is_overdue("2026-11-23", Some("09:30"), today, noon));
        assert!(!is_overdue("2026-11-23", Some("15:00"), today, noon));
    }
}
