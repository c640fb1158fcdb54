//! A customer-list filter (segment, stage, tier, tag, at risk, birthday month...) checked
//! and turned into what the db layer selects on: the one audience of bulk reminders,
//! message lists and campaigns.

use crate::db::{self, filter::FilterSql};
use crate::error::{CoreError, Result};
use crate::model::{CustomerFilter, SEGMENTS, SOURCES, STAGES, WEEK_DAYS};
use crate::store::settings::timezone;
use crate::{phone, text, time};
use chrono::Days;

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn filter_sql<'a>(
    conn: impl Into<db::Conn<'a>>,
    f: &CustomerFilter,
) -> Result<FilterSql> {
    let conn = conn.into();
    let bad = |key: &str, value: String| CoreError::FilterInvalid {
        key: key.to_owned(),
        value,
    };
    let mut out = FilterSql::default();
    if let Some(s) = nonempty(&f.search) {
        match phone::query_digits(s).filter(|d| d.len() >= 3) {
            Some(d) => out.digits = Some(d),
            None => {
                let tokens = text::tokens(&text::fold(s));
                if tokens.is_empty() {
                    return Err(bad("search", s.to_owned()));
                }
                out.words = tokens;
            }
        }
    }
    out.tag = nonempty(&f.tag).map(str::to_owned);
    if let Some(s) = nonempty(&f.source) {
        let v = text::fold(s).replace(['-', ' '], "_");
        if !SOURCES.contains(&v.as_str()) {
            return Err(bad("source", s.to_owned()));
        }
        out.source = Some(v);
    }
    out.tier = nonempty(&f.tier).map(str::to_owned);
    if let Some(v) = f.min_visits {
        if v < 0 {
            return Err(bad("min_visits", v.to_string()));
        }
        out.min_visits = Some(v);
    }
    let tz = timezone(conn)?;
    let today = time::today(tz);
    if let Some(d) = f.inactive_days {
        if !(1..=36_500).contains(&d) {
            return Err(bad("inactive_days", d.to_string()));
        }
        let since = today
            .checked_sub_days(Days::new(d as u64 - 1))
            .unwrap_or(today);
        out.inactive_since = Some(time::day_start(since, tz));
    }
    if let Some(m) = f.birthday_month {
        if !(1..=12).contains(&m) {
            return Err(bad("birthday_month", m.to_string()));
        }
        out.birthday_month = Some(format!("{m:02}"));
    }
    if let Some(due) = nonempty(&f.has_reminder) {
        let week = today
            .checked_add_days(Days::new(WEEK_DAYS))
            .unwrap_or(today);
        let yesterday = today.pred_opt().unwrap_or(today);
        out.reminder_due = Some(match due {
            "overdue" => (None, yesterday.to_string()),
            "today" => (Some(today.to_string()), today.to_string()),
            "week" => (None, week.to_string()),
            other => return Err(bad("has_reminder", other.to_owned())),
        });
    }
    if let Some(seg) = nonempty(&f.segment) {
        if !SEGMENTS.contains(&seg) {
            return Err(bad("segment", seg.to_owned()));
        }
        out.segment = Some(seg.to_owned());
    }
    if let Some(stage) = nonempty(&f.stage) {
        if !STAGES.contains(&stage) {
            return Err(bad("stage", stage.to_owned()));
        }
        out.stage = Some(stage.to_owned());
    }
    out.at_risk = f.at_risk.unwrap_or(false);
    Ok(out)
}
