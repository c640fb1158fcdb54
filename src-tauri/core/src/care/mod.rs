//! Customer care beyond reminders: the care log, satisfaction surveys, warranties and
//! after-sales tickets, referrals, and the profile's timeline that brings them together.

pub mod interactions;
pub mod reminders;
pub mod templates;

use crate::care::interactions::{active_customer, record_interaction};
use crate::care::reminders::{reminder_view, Clock};
use crate::db;
use crate::error::{CoreError, Result};
use crate::model::{
    CustomerCare, CustomerRef, Interaction, InteractionInput, NpsSummary, Referrals, Satisfaction,
    ScoreSummary, Survey, SurveyInput, Ticket, TicketInput, TimelineEvent, Warranty, WarrantyView,
    TICKET_STATUSES,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{customers, loyalty, time};
use chrono::{Months, Utc};
use rust_decimal::Decimal;

const TIMELINE_MAX: usize = 200;

fn survey_range(kind: &str) -> Result<(i64, i64)> {
    match kind {
        "csat" => Ok((1, 5)),
        "nps" => Ok((0, 10)),
        other => Err(CoreError::SurveyKindInvalid(other.to_owned())),
    }
}

/// Average to one decimal.
fn average(scores: &[i64]) -> Option<Decimal> {
    if scores.is_empty() {
        return None;
    }
    let sum: i64 = scores.iter().sum();
    Some((Decimal::from(sum) / Decimal::from(scores.len() as i64)).round_dp(1))
}

pub(crate) fn satisfaction(surveys: &[Survey]) -> Satisfaction {
    // Newest first, so the first of a kind is the latest.
    let of = |k: &str| -> Vec<i64> {
        surveys
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| s.score)
            .collect()
    };
    let csat = of("csat");
    let nps = of("nps");
    let nps_score = (!nps.is_empty()).then(|| {
        let promoters = nps.iter().filter(|s| **s >= 9).count() as i64;
        let detractors = nps.iter().filter(|s| **s <= 6).count() as i64;
        let n = nps.len() as i64;
        // Rounded half away from zero, in whole percent.
        let diff = (promoters - detractors) * 100;
        (diff + diff.signum() * n / 2) / n
    });
    Satisfaction {
        csat: ScoreSummary {
            count: csat.len() as i64,
            latest: csat.first().copied(),
            average: average(&csat),
        },
        nps: NpsSummary {
            count: nps.len() as i64,
            latest: nps.first().copied(),
            average: average(&nps),
            score: nps_score,
        },
    }
}

fn warranties(conn: db::Conn, customer_id: i64) -> Result<Vec<Warranty>> {
    let tz = timezone(conn)?;
    let today = time::today(tz);
    let mut out: Vec<Warranty> = db::care::warranty_items(conn, customer_id)?
        .into_iter()
        .map(|(item_id, purchase_id, product, at, months)| {
            let bought = time::local_date(at, tz);
            let ends = bought
                .checked_add_months(Months::new(months))
                .unwrap_or(bought);
            Warranty {
                item_id,
                purchase_id,
                product,
                purchased_at: time::from_unix(at),
                months,
                ends: ends.to_string(),
                active: ends >= today,
                days_left: (ends - today).num_days(),
            }
        })
        .collect();
    // Active first (soonest to end first), then ended ones, newest first.
    out.sort_by(|a, b| {
        b.active.cmp(&a.active).then_with(|| {
            if a.active {
                a.ends.cmp(&b.ends)
            } else {
                b.ends.cmp(&a.ends)
            }
        })
    });
    Ok(out)
}

fn valid_ticket_status(s: &str) -> Result<&'static str> {
    let v = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    TICKET_STATUSES
        .iter()
        .copied()
        .find(|t| *t == v)
        .ok_or_else(|| CoreError::TicketStatusInvalid(s.to_owned()))
}

fn event(kind: &'static str, at: chrono::DateTime<Utc>) -> TimelineEvent {
    TimelineEvent {
        kind,
        at,
        purchase: None,
        entry: None,
        reminder: None,
        interaction: None,
        survey: None,
        ticket: None,
        tier_move: None,
    }
}

impl Store {
    pub fn add_interaction(&self, input: InteractionInput) -> Result<Interaction> {
        let actor = self.require(Perm::Serve)?;
        let staff = actor.attribution(input.staff.as_deref());
        self.write_any(|conn| {
            let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => time::parse_instant(s, timezone(conn)?)?,
                None => time::now(),
            };
            let id = record_interaction(
                conn,
                input.customer_id,
                &input.channel,
                input.direction.as_deref(),
                &input.summary,
                input.outcome,
                at,
                staff.as_deref(),
                None,
            )?;
            let i = db::care::interaction(conn, id)?
                .ok_or_else(|| CoreError::Internal("interaction vanished".into()))?;
            audit::record(
                conn,
                &actor
                    .entry("interaction.add", "interaction")
                    .entity_id(id)
                    .customer(i.customer_id)
                    .after(audit::snapshot(&i)?),
            )?;
            Ok(i)
        })
    }

    pub fn interactions(&self, customer_id: i64, limit: u32) -> Result<Vec<Interaction>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            db::customers::existing(conn, customer_id)?;
            db::care::interactions_of(conn, customer_id, limit)
        })
    }

    pub fn add_survey(&self, input: SurveyInput) -> Result<Survey> {
        let actor = self.require(Perm::Serve)?;
        let kind = input.kind.trim().to_ascii_lowercase();
        let (min, max) = survey_range(&kind)?;
        if !(min..=max).contains(&input.score) {
            return Err(CoreError::SurveyScoreInvalid {
                kind,
                score: input.score,
                min,
                max,
            });
        }
        let comment = customers::check_len(input.comment)?;
        self.write_any(|conn| {
            active_customer(conn, input.customer_id)?;
            if let Some(pid) = input.purchase_id {
                match db::purchases::owner_and_total(conn, pid)? {
                    Some((owner, _)) if owner == input.customer_id => {}
                    _ => return Err(CoreError::PurchaseNotFound(pid)),
                }
            }
            let mut s = Survey {
                id: 0,
                customer_id: input.customer_id,
                purchase_id: input.purchase_id,
                kind,
                score: input.score,
                comment,
                at: time::from_unix(time::now()),
                staff: actor.attribution(input.staff.as_deref()),
            };
            s.id = db::care::insert_survey(conn, &s)?;
            audit::record(
                conn,
                &actor
                    .entry("survey.add", "survey")
                    .entity_id(s.id)
                    .customer(s.customer_id)
                    .after(audit::snapshot(&s)?),
            )?;
            Ok(s)
        })
    }

    /// A customer's warranties and tickets, found by phone, id or code.
    pub fn warranty_lookup(&self, reference: &str) -> Result<WarrantyView> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let id = customers::resolve(conn, reference)?;
            let exp = currency(conn)?.1;
            let customer = db::customers::rows(conn, &[id], exp)?
                .into_iter()
                .next()
                .ok_or_else(|| CoreError::CustomerNotFound(reference.to_owned()))?;
            Ok(WarrantyView {
                customer,
                warranties: warranties(conn, id)?,
                tickets: db::care::tickets_of(conn, id)?,
            })
        })
    }

    pub fn add_ticket(&self, input: TicketInput) -> Result<Ticket> {
        let actor = self.require(Perm::Serve)?;
        let staff = actor.attribution(input.staff.as_deref());
        let title = input.title.trim().to_owned();
        if title.is_empty() {
            return Err(CoreError::TicketTitleRequired);
        }
        let title = customers::check_len(Some(title))?.unwrap_or_default();
        let note = customers::check_len(input.note)?;
        self.write_any(|conn| {
            active_customer(conn, input.customer_id)?;
            if let Some(item) = input.item_id {
                match db::care::item_owner(conn, item)? {
                    Some((owner, _)) if owner == input.customer_id => {}
                    _ => return Err(CoreError::WarrantyItemNotFound(item)),
                }
            }
            let id = db::care::insert_ticket(
                conn,
                input.customer_id,
                input.item_id,
                &title,
                note.as_deref(),
                staff.as_deref(),
                time::now(),
            )?;
            let t = db::care::ticket(conn, id)?.ok_or(CoreError::TicketNotFound(id))?;
            audit::record(
                conn,
                &actor
                    .entry("ticket.add", "ticket")
                    .entity_id(id)
                    .customer(t.customer_id)
                    .after(audit::snapshot(&t)?),
            )?;
            Ok(t)
        })
    }

    pub fn set_ticket_status(&self, id: i64, status: &str) -> Result<Ticket> {
        let actor = self.require(Perm::Serve)?;
        let status = valid_ticket_status(status)?;
        self.write_any(|conn| {
            let before = db::care::ticket(conn, id)?.ok_or(CoreError::TicketNotFound(id))?;
            db::care::set_ticket_status(conn, id, status, time::now())?;
            let after = db::care::ticket(conn, id)?.ok_or(CoreError::TicketNotFound(id))?;
            audit::record_change(
                conn,
                actor
                    .entry("ticket.status", "ticket")
                    .about(id, after.customer_id),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }

    /// Record that the customer confirmed their contact details today.
    pub fn confirm_details(&self, id: i64) -> Result<crate::model::Customer> {
        let actor = self.require(Perm::Serve)?;
        self.write_any(|conn| {
            active_customer(conn, id)?;
            db::care::confirm_details(conn, id, time::now())?;
            let c = db::customers::existing(conn, id)?;
            audit::record(
                conn,
                &actor
                    .entry("customer.confirm_details", "customer")
                    .entity_id(id)
                    .customer(id)
                    .after(serde_json::json!({"details_confirmed": true})),
            )?;
            Ok(c)
        })
    }

    /// Everything the profile shows about caring for this customer.
    pub fn customer_care(&self, id: i64) -> Result<CustomerCare> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let customer = db::customers::existing(conn, id)?;
            let exp = currency(conn)?.1;
            let clock = Clock::of(conn, None)?;
            let mut timeline: Vec<TimelineEvent> = Vec::new();
            let limit = TIMELINE_MAX as u32;
            for p in db::purchases::for_customer(conn, id, limit, exp)? {
                let mut e = event("purchase", p.at);
                e.purchase = Some(p);
                timeline.push(e);
            }
            for entry in loyalty::ledger(conn, id, limit)? {
                // Earn and redeem entries are part of their purchase's event.
                if entry.purchase_id.is_some() && matches!(entry.kind.as_str(), "earn" | "redeem") {
                    continue;
                }
                let mut e = event("points", entry.at);
                e.entry = Some(entry);
                timeline.push(e);
            }
            for m in loyalty::tier_history(conn, id, exp)? {
                let mut e = event("tier", m.at);
                e.tier_move = Some(m);
                timeline.push(e);
            }
            let tz = timezone(conn)?;
            let mut open_reminders = Vec::new();
            for r in db::reminders::reminders_of(conn, id, limit)? {
                let view = reminder_view(r, &clock);
                let at = match view.closed_at {
                    Some(t) => t,
                    None => chrono::NaiveDate::parse_from_str(&view.due_date, "%Y-%m-%d")
                        .map(|d| time::from_unix(time::day_start(d, tz)))
                        .unwrap_or(view.created_at),
                };
                if view.status == "open" {
                    open_reminders.push(view.clone());
                }
                let mut e = event("reminder", at);
                e.reminder = Some(view);
                timeline.push(e);
            }
            open_reminders.sort_by(|a, b| {
                (&a.due_date, &a.due_time, a.id).cmp(&(&b.due_date, &b.due_time, b.id))
            });
            for i in db::care::interactions_of(conn, id, limit)? {
                let mut e = event("interaction", i.at);
                e.interaction = Some(i);
                timeline.push(e);
            }
            let surveys = db::care::surveys_of(conn, id)?;
            for s in surveys.iter().take(TIMELINE_MAX) {
                let mut e = event("survey", s.at);
                e.survey = Some(s.clone());
                timeline.push(e);
            }
            let tickets = db::care::tickets_of(conn, id)?;
            for t in tickets.iter().take(TIMELINE_MAX) {
                let mut e = event("ticket", t.created_at);
                e.ticket = Some(t.clone());
                timeline.push(e);
            }
            // Newest first; a stable sort keeps each source's own order for equal times.
            timeline.sort_by_key(|e| std::cmp::Reverse(e.at));
            timeline.truncate(TIMELINE_MAX);
            let (count, referred) = db::care::referrals(conn, id, 20)?;
            let referred_by = match (customer.referred_by, customer.referred_by_name) {
                (Some(rid), Some(name)) => Some(CustomerRef { id: rid, name }),
                _ => None,
            };
            Ok(CustomerCare {
                timeline,
                open_reminders,
                satisfaction: satisfaction(&surveys),
                warranties: warranties(conn, id)?,
                tickets,
                referred_by,
                referrals: Referrals {
                    count,
                    customers: referred
                        .into_iter()
                        .map(|(id, name)| CustomerRef { id, name })
                        .collect(),
                },
                details_confirmed_at: time::from_unix(
                    db::care::details_confirmed_at(conn, id)?.unwrap_or_default(),
                ),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(kind: &str, score: i64) -> Survey {
        Survey {
            id: 0,
            customer_id: 1,
            purchase_id: None,
            kind: kind.into(),
            score,
            comment: None,
            at: Utc::now(),
            staff: None,
        }
    }

    #[test]
    fn satisfaction_latest_average_and_nps() {
        let s = satisfaction(&[
            survey("nps", 10),
            survey("csat", 4),
            survey("nps", 9),
            survey("nps", 3),
            survey("csat", 5),
        ]);
        assert_eq!(s.csat.latest, Some(4));
        assert_eq!(s.csat.average, Some(Decimal::new(45, 1)));
        assert_eq!(s.nps.count, 3);
        assert_eq!(s.nps.latest, Some(10));
        // 2 promoters, 1 detractor of 3: 33%.
        assert_eq!(s.nps.score, Some(33));
        assert_eq!(satisfaction(&[]).nps.score, None);
    }
}
