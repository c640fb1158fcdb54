//! Customer care on the command line: reminders, the care log, templates, surveys,
//! warranties and tickets.

use super::out::{lines, Out};
use crate::i18n::{fill, lookup};
use clap::Subcommand;
use khachquen_core::model::{
    CareLog, CustomerFilter, GenerateReport, InteractionInput, Reminder, ReminderInput,
    ReminderRow, ReminderRules, SurveyInput, TicketInput,
};
use khachquen_core::{limits, CoreError, Store};
use serde_json::{Map, Value};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Follow-up reminders: add, list, done, snooze, generate from the rules
    #[command(subcommand)]
    Reminder(ReminderCmd),
    /// The care log: calls, messages and visits
    #[command(subcommand)]
    Interaction(InteractionCmd),
    /// Message templates: render for a customer, export for a list
    #[command(subcommand)]
    Template(TemplateCmd),
    /// Satisfaction surveys (CSAT, NPS)
    #[command(subcommand)]
    Survey(SurveyCmd),
    /// A customer's warranties, found by phone
    #[command(subcommand)]
    Warranty(WarrantyCmd),
    /// After-sales tickets (warranty and repair)
    #[command(subcommand)]
    Ticket(TicketCmd),
}

pub fn run(db: &Store, cmd: Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        Cmd::Reminder(cmd) => reminder(db, cmd, o)?,
        Cmd::Interaction(cmd) => interaction(db, cmd, o)?,
        Cmd::Template(cmd) => template(db, cmd, o)?,
        Cmd::Survey(cmd) => survey(db, cmd, o)?,
        Cmd::Warranty(cmd) => warranty(db, cmd, o)?,
        Cmd::Ticket(cmd) => ticket(db, cmd, o)?,
    }
    Ok(0)
}

#[derive(Subcommand)]
pub enum ReminderCmd {
    /// Add a follow-up reminder for a customer (REF: phone, id or code)
    Add {
        reference: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: String,
        /// Time of day, HH:MM
        #[arg(long, value_name = "HH:MM")]
        time: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
    },
    /// The same reminder for every customer a filter selects (e.g. --filter segment=at_risk)
    AddList {
        /// KEY=VALUE, repeatable, as for `template export`
        #[arg(long = "filter", value_name = "KEY=VALUE", required = true)]
        filters: Vec<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Open reminders, soonest first
    List {
        #[arg(long, value_parser = ["overdue", "today", "week", "all"], default_value = "all")]
        due: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Only this customer's
        #[arg(long, value_name = "REF")]
        customer: Option<String>,
    },
    /// Mark a reminder done, optionally logging what happened
    Done {
        id: i64,
        /// phone, zalo, sms, email, facebook, in_store or other
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, requires = "channel")]
        outcome: Option<String>,
        #[arg(long, requires = "channel")]
        summary: Option<String>,
        /// in or out (default out)
        #[arg(long, requires = "channel")]
        direction: Option<String>,
    },
    /// Move a reminder to a later day
    Snooze {
        id: i64,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
    },
    Cancel {
        id: i64,
    },
    /// Create the reminders the rules call for (idempotent); prints the count per rule
    Generate {
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
    /// Show the reminder rules, or change them: thank_you.days=2 win_back.enabled=false ...
    Rules {
        #[arg(value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum InteractionCmd {
    /// Log a call, message or visit in the customer's care history
    Add {
        reference: String,
        /// phone, zalo, sms, email, facebook, in_store or other
        #[arg(long)]
        channel: String,
        #[arg(long)]
        summary: String,
        #[arg(long)]
        outcome: Option<String>,
        /// in or out (default out)
        #[arg(long)]
        direction: Option<String>,
        /// When it happened (default now)
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        staff: Option<String>,
    },
    /// A customer's care history, newest first
    List {
        reference: String,
        #[arg(long, default_value_t = limits::INTERACTION_ROWS)]
        limit: u32,
    },
}

#[derive(Subcommand)]
pub enum TemplateCmd {
    List,
    /// Render a template for one customer
    Render {
        name: String,
        #[arg(long, value_name = "REF")]
        customer: String,
    },
    /// Write phone, name and message for a list of customers to FILE.csv
    Export {
        name: String,
        /// KEY=VALUE, repeatable: search, tag, source, tier, min_visits, inactive_days,
        /// birthday_month, has_reminder
        #[arg(long = "filter", value_name = "KEY=VALUE")]
        filters: Vec<String>,
        file: PathBuf,
    },
    /// Create or change a template
    Set {
        name: String,
        #[arg(long)]
        body: String,
    },
}

#[derive(Subcommand)]
pub enum SurveyCmd {
    /// Record a satisfaction score: CSAT 1-5 or NPS 0-10
    Add {
        reference: String,
        #[arg(long, conflicts_with = "nps", required_unless_present = "nps")]
        csat: Option<i64>,
        #[arg(long)]
        nps: Option<i64>,
        #[arg(long)]
        comment: Option<String>,
        /// The purchase it is about
        #[arg(long, value_name = "ID")]
        purchase: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum WarrantyCmd {
    /// A customer's warranties (active first) and after-sales tickets
    List { reference: String },
}

#[derive(Subcommand)]
pub enum TicketCmd {
    /// Open an after-sales ticket (warranty or repair)
    Add {
        reference: String,
        #[arg(long)]
        title: String,
        /// The purchased item it concerns
        #[arg(long, value_name = "ID")]
        item: Option<i64>,
        #[arg(long)]
        note: Option<String>,
    },
    /// open, in_progress or done
    Status { id: i64, status: String },
}

/// Why a reminder is there, in the user's language.
fn reason(o: &Out, r: &Reminder) -> String {
    if r.kind == "manual" {
        return r.title.clone().unwrap_or_default();
    }
    let mut params: Map<String, Value> = r.detail.as_object().cloned().unwrap_or_default();
    if let Some(last) = params.get("last_visit").and_then(Value::as_str) {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d") {
            let days = (chrono::Utc::now().date_naive() - d).num_days();
            params.insert("days".into(), Value::from(days));
        }
    }
    match lookup(o.lang, &format!("care.reason.{}", r.kind)) {
        Some(tpl) => fill(tpl, &params),
        None => r.kind.clone(),
    }
}

fn reminder_line(o: &Out, row: &ReminderRow) -> String {
    let r = &row.reminder;
    let due = match &r.due_time {
        Some(t) => format!("{} {t}", r.due_date),
        None => r.due_date.clone(),
    };
    format!(
        "#{}\t{}{}\t{}\t{} ({})\t{}",
        r.id,
        due,
        if r.overdue { " !" } else { "" },
        r.kind,
        row.customer.name,
        row.customer.phone_display,
        reason(o, r)
    )
}

fn rules_text(r: &ReminderRules) -> String {
    [
        format!("thank_you.enabled = {}", r.thank_you.enabled),
        format!("thank_you.days = {}", r.thank_you.days),
        format!("check_in.enabled = {}", r.check_in.enabled),
        format!("check_in.days = {}", r.check_in.days),
        format!("check_in.min_amount = {}", r.check_in.min_amount),
        format!("birthday.enabled = {}", r.birthday.enabled),
        format!("birthday.days = {}", r.birthday.days),
        format!("warranty.enabled = {}", r.warranty.enabled),
        format!("warranty.days = {}", r.warranty.days),
        format!("win_back.enabled = {}", r.win_back.enabled),
        format!("win_back.factor = {}", r.win_back.factor),
        format!("win_back.min_days = {}", r.win_back.min_days),
        format!("stale.enabled = {}", r.stale.enabled),
        format!("stale.months = {}", r.stale.months),
    ]
    .join("\n")
}

fn generated_text(o: &Out, r: &GenerateReport) -> String {
    let c = &r.created;
    format!(
        "{} {}: {}\nthank_you\t{}\ncheck_in\t{}\nbirthday\t{}\nwarranty\t{}\nwin_back\t{}\nstale\t{}\n{}: {}",
        o.t("cli.reminders_generated"),
        r.as_of,
        r.total,
        c.thank_you,
        c.check_in,
        c.birthday,
        c.warranty,
        c.win_back,
        c.stale,
        o.t("cli.reminders_skipped"),
        r.skipped
    )
}

fn pairs(specs: &[String]) -> khachquen_core::Result<Vec<(String, String)>> {
    specs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| CoreError::InvalidInput(format!("{p:?}: KEY=VALUE")))
        })
        .collect()
}

fn reminder(db: &Store, cmd: ReminderCmd, o: &Out) -> khachquen_core::Result<()> {
    match cmd {
        ReminderCmd::Add {
            reference,
            due,
            time,
            title,
            note,
            assignee,
        } => {
            let r = db.add_reminder(ReminderInput {
                customer_id: db.resolve_customer(&reference)?,
                due_date: due,
                due_time: time,
                title,
                note,
                assignee,
            })?;
            o.print(&r, || format!("{} #{}", o.t("cli.reminder_added"), r.id))?;
        }
        ReminderCmd::AddList {
            filters,
            due,
            title,
            note,
        } => add_list(db, o, &filters, due, title, note)?,
        ReminderCmd::List {
            due,
            as_of,
            customer,
        } => list(db, o, &due, as_of.as_deref(), customer.as_deref())?,
        ReminderCmd::Done {
            id,
            channel,
            outcome,
            summary,
            direction,
        } => {
            let log = channel.map(|channel| CareLog {
                channel,
                direction,
                summary,
                outcome,
            });
            let r = db.complete_reminder(id, log, None)?;
            o.print(&r, || format!("{} #{}", o.t("cli.reminder_done"), r.id))?;
        }
        ReminderCmd::Snooze { id, to } => {
            let r = db.snooze_reminder(id, &to)?;
            o.print(&r, || {
                format!("{} #{} → {}", o.t("cli.reminder_snoozed"), r.id, r.due_date)
            })?;
        }
        ReminderCmd::Cancel { id } => {
            let r = db.cancel_reminder(id, None)?;
            o.print(&r, || {
                format!("{} #{}", o.t("cli.reminder_cancelled"), r.id)
            })?;
        }
        ReminderCmd::Generate { as_of } => {
            let r = db.generate_reminders(as_of.as_deref())?;
            o.print(&r, || generated_text(o, &r))?;
        }
        ReminderCmd::Rules { pairs: specs } => {
            let rules = if specs.is_empty() {
                db.reminder_rules()?
            } else {
                db.set_reminder_rules(&pairs(&specs)?)?
            };
            o.print(&rules, || rules_text(&rules))?;
        }
    }
    Ok(())
}

/// Open reminders, soonest first.
fn list(
    db: &Store,
    o: &Out,
    due: &str,
    as_of: Option<&str>,
    customer: Option<&str>,
) -> khachquen_core::Result<()> {
    let customer = customer.map(|c| db.resolve_customer(c)).transpose()?;
    let rows = db.list_reminders(Some(due), as_of, customer, limits::REMINDER_ROWS)?;
    o.print(&rows, || {
        if rows.is_empty() {
            return o.t("cli.no_reminders");
        }
        lines(rows.iter().map(|r| reminder_line(o, r)))
    })
}

/// The same reminder for every customer the filters select.
fn add_list(
    db: &Store,
    o: &Out,
    filters: &[String],
    due: String,
    title: Option<String>,
    note: Option<String>,
) -> khachquen_core::Result<()> {
    let input = ReminderInput {
        customer_id: 0,
        due_date: due,
        due_time: None,
        title,
        note,
        assignee: None,
    };
    let n = db.add_reminders_for(&parse_filters(filters)?, input)?;
    o.print(&serde_json::json!({ "added": n }), || {
        format!("{}: {n}", o.t("cli.reminders_added"))
    })
}

fn interaction(db: &Store, cmd: InteractionCmd, o: &Out) -> khachquen_core::Result<()> {
    match cmd {
        InteractionCmd::Add {
            reference,
            channel,
            summary,
            outcome,
            direction,
            at,
            staff,
        } => {
            let customer_id = db.resolve_customer(&reference)?;
            let i = db.add_interaction(InteractionInput {
                customer_id,
                channel,
                direction,
                summary,
                outcome,
                at,
                staff,
            })?;
            o.print(&i, || format!("{} #{}", o.t("cli.interaction_added"), i.id))?;
        }
        InteractionCmd::List { reference, limit } => {
            let id = db.resolve_customer(&reference)?;
            let list = db.interactions(id, limit)?;
            o.print(&list, || {
                list.iter()
                    .map(|i| {
                        format!(
                            "#{}\t{}\t{}\t{}\t{}\t{}",
                            i.id,
                            i.at.to_rfc3339(),
                            i.channel,
                            i.direction,
                            i.summary,
                            i.outcome.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
    }
    Ok(())
}

fn template(db: &Store, cmd: TemplateCmd, o: &Out) -> khachquen_core::Result<()> {
    match cmd {
        TemplateCmd::List => {
            let list = db.templates()?;
            o.print(&list, || {
                list.templates
                    .iter()
                    .map(|t| format!("{}\t{}", t.name, t.body))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        TemplateCmd::Render { name, customer } => {
            let id = db.resolve_customer(&customer)?;
            let r = db.render_template(&name, id)?;
            o.print(&r, || {
                let mut s = format!("{}\n{}", r.phone_display, r.text);
                if !r.missing.is_empty() {
                    s.push_str(&format!(
                        "\n({}: {})",
                        o.t("cli.missing_fields"),
                        r.missing.join(", ")
                    ));
                }
                s
            })?;
            if !o.json && !r.missing.is_empty() {
                // The note goes to stderr too, so a script piping the text sees it.
                errln!("{}: {}", o.t("cli.missing_fields"), r.missing.join(", "));
            }
        }
        TemplateCmd::Export {
            name,
            filters,
            file,
        } => {
            let filter = parse_filters(&filters)?;
            let r = db.export_template(&name, &filter, &file)?;
            o.print(&r, || {
                let mut s = format!("{} {}: {}", o.t("cli.messages_exported"), r.path, r.rows);
                for (f, n) in &r.missing {
                    s.push_str(&format!("\n{}: {f} × {n}", o.t("cli.missing_fields")));
                }
                s
            })?;
        }
        TemplateCmd::Set { name, body } => {
            let existing = db
                .templates()?
                .templates
                .into_iter()
                .find(|t| t.name == name.trim())
                .map(|t| t.id);
            let t = db.save_template(existing, &name, &body)?;
            o.print(&t, || format!("{} {}", o.t("cli.template_saved"), t.name))?;
        }
    }
    Ok(())
}

fn survey(db: &Store, cmd: SurveyCmd, o: &Out) -> khachquen_core::Result<()> {
    let SurveyCmd::Add {
        reference,
        csat,
        nps,
        comment,
        purchase,
    } = cmd;
    let customer_id = db.resolve_customer(&reference)?;
    let (kind, score) = match (csat, nps) {
        (Some(s), _) => ("csat", s),
        (None, Some(s)) => ("nps", s),
        (None, None) => return Err(CoreError::SurveyKindInvalid(String::new())),
    };
    let s = db.add_survey(SurveyInput {
        customer_id,
        kind: kind.into(),
        score,
        comment,
        purchase_id: purchase,
        staff: None,
    })?;
    o.print(&s, || format!("{} #{}", o.t("cli.survey_added"), s.id))?;
    Ok(())
}

fn warranty(db: &Store, cmd: WarrantyCmd, o: &Out) -> khachquen_core::Result<()> {
    let WarrantyCmd::List { reference } = cmd;
    let w = db.warranty_lookup(&reference)?;
    o.print(&w, || {
        let mut lines = vec![format!(
            "#{} {} ({})",
            w.customer.id, w.customer.name, w.customer.phone_display
        )];
        if w.warranties.is_empty() {
            lines.push(o.t("cli.no_warranties"));
        }
        for x in &w.warranties {
            lines.push(format!(
                "{}\t#{}\t{}\t{} → {}\t{}",
                if x.active { "✔" } else { "✘" },
                x.item_id,
                x.product,
                x.purchased_at.date_naive(),
                x.ends,
                x.days_left
            ));
        }
        for t in &w.tickets {
            lines.push(format!(
                "{} #{}\t{}\t{}",
                o.t("cli.ticket"),
                t.id,
                t.status,
                t.title
            ));
        }
        lines.join("\n")
    })?;
    Ok(())
}

fn ticket(db: &Store, cmd: TicketCmd, o: &Out) -> khachquen_core::Result<()> {
    let t = match cmd {
        TicketCmd::Add {
            reference,
            title,
            item,
            note,
        } => {
            let customer_id = db.resolve_customer(&reference)?;
            db.add_ticket(TicketInput {
                customer_id,
                item_id: item,
                title,
                note,
                staff: None,
            })?
        }
        TicketCmd::Status { id, status } => db.set_ticket_status(id, &status)?,
    };
    o.print(&t, || {
        format!("{} #{}: {}", o.t("cli.ticket"), t.id, t.status)
    })?;
    Ok(())
}

/// The command line's filters: "key=value", keys as in CustomerFilter (dashes allowed).
/// Core checks the values (`FilterInvalid`) when the filter is used.
pub(super) fn parse_filters(specs: &[String]) -> khachquen_core::Result<CustomerFilter> {
    let mut f = CustomerFilter::default();
    for spec in specs {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| CoreError::FilterInvalid {
                key: spec.clone(),
                value: String::new(),
            })?;
        let key = k.trim().replace('-', "_");
        let v = v.trim().to_owned();
        let bad = || CoreError::FilterInvalid {
            key: key.clone(),
            value: v.clone(),
        };
        match key.as_str() {
            "search" => f.search = Some(v),
            "tag" => f.tag = Some(v),
            "source" => f.source = Some(v),
            "tier" => f.tier = Some(v),
            "min_visits" => f.min_visits = Some(v.parse().map_err(|_| bad())?),
            "inactive_days" => f.inactive_days = Some(v.parse().map_err(|_| bad())?),
            "birthday_month" => f.birthday_month = Some(v.parse().map_err(|_| bad())?),
            "has_reminder" => f.has_reminder = Some(v),
            "segment" => f.segment = Some(v),
            "stage" => f.stage = Some(v),
            "at_risk" => {
                f.at_risk = Some(match v.as_str() {
                    "1" | "true" | "yes" => true,
                    "0" | "false" | "no" => false,
                    _ => return Err(bad()),
                })
            }
            _ => return Err(bad()),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::parse_filters;

    #[test]
    fn cli_filters_parse() {
        let f = parse_filters(&["tag=VIP".into(), "inactive-days=60".into()]).unwrap();
        assert_eq!(f.tag.as_deref(), Some("VIP"));
        assert_eq!(f.inactive_days, Some(60));
        assert!(parse_filters(&["colour=red".into()]).is_err());
        assert!(parse_filters(&["min_visits=many".into()]).is_err());
    }
}
