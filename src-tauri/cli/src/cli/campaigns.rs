//! Appreciation campaigns on the command line: create, launch once, read the results.

use super::care::parse_filters;
use super::out::{lines, or_dash, Out};
use clap::{Args, Subcommand};
use khachquen_core::model::{Campaign, CampaignInput, CampaignResults, LaunchResult};
use khachquen_core::Store;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Appreciation campaigns (tri ân) with a holdout that measures what they brought
    #[command(subcommand)]
    Campaign(CampaignCmd),
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    /// date (default: one day for everyone) or first-purchase (each customer's anniversary)
    #[arg(long)]
    occasion: Option<String>,
    /// The window's first day, YYYY-MM-DD (default today)
    #[arg(long)]
    date: Option<String>,
    /// Days the benefit runs and the results are read (default 30)
    #[arg(long)]
    days: Option<i64>,
    /// key=value, as for bulk messages: segment, stage, tier, tag, at-risk...
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    filters: Vec<String>,
    /// Only the top N of the list by 12-month spend
    #[arg(long, value_name = "N")]
    top: Option<i64>,
    /// A voucher programme (id or name) with personal codes
    #[arg(long, value_name = "PROGRAM")]
    program: Option<String>,
    /// Bonus points for each treated customer
    #[arg(long)]
    points: Option<i64>,
    #[arg(long)]
    gift: Option<String>,
    /// A message template: `campaign launch --messages FILE.csv` writes the messages
    #[arg(long)]
    template: Option<String>,
    /// Call reminders for the N biggest spenders among the treated
    #[arg(long, value_name = "N")]
    call_top: Option<i64>,
    /// The share held back that gets nothing (default 10)
    #[arg(long, value_name = "PERCENT")]
    holdout: Option<i64>,
    /// The holdout's seed (default: drawn and recorded)
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Subcommand)]
pub enum CampaignCmd {
    Add(Box<AddArgs>),
    List,
    /// Issue the benefits, add the reminders and write the messages, once
    Launch {
        campaign: String,
        /// The treated customers' messages (phone, name, message), as CSV
        #[arg(long, value_name = "FILE")]
        messages: Option<PathBuf>,
    },
    /// The treated against the holdout: customers and revenue brought back, and the cost
    Results {
        campaign: String,
    },
}

pub fn run(db: &Store, Cmd::Campaign(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        CampaignCmd::Add(a) => {
            let a = *a;
            let c = db.add_campaign(&CampaignInput {
                name: a.name,
                occasion: a.occasion.map(|s| s.replace('-', "_")),
                date: a.date,
                window_days: a.days,
                filter: parse_filters(&a.filters)?,
                top: a.top,
                program: a.program,
                points: a.points,
                gift: a.gift,
                template: a.template,
                call_top: a.call_top,
                holdout_percent: a.holdout,
                seed: a.seed,
            })?;
            o.print(&c, || campaign_line(&c))?;
        }
        CampaignCmd::List => {
            let list = db.campaigns()?;
            o.print(&list, || lines(list.iter().map(campaign_line)))?;
        }
        CampaignCmd::Launch { campaign, messages } => {
            let r = db.launch_campaign(&campaign, messages.as_deref())?;
            o.print(&r, || launch_text(o, &r))?;
        }
        CampaignCmd::Results { campaign } => {
            let r = db.campaign_results(&campaign)?;
            o.print(&r, || results_text(o, &r))?;
        }
    }
    Ok(0)
}

fn campaign_line(c: &Campaign) -> String {
    format!(
        "#{}\t{}\t{} – {}\t{}",
        c.id,
        c.name,
        c.from.format("%d/%m/%Y"),
        c.until.format("%d/%m/%Y"),
        or_dash(c.launched_at.map(|t| t.format("%d/%m/%Y").to_string()))
    )
}

fn launch_text(o: &Out, r: &LaunchResult) -> String {
    let mut out = vec![campaign_line(&r.campaign)];
    if !r.launched_now {
        out.push(o.t("cli.campaign_already_launched"));
    }
    out.push(
        o.t("cli.campaign_launched")
            .replace("{treated}", &r.treated.to_string())
            .replace("{holdout}", &r.holdout.to_string())
            .replace("{vouchers}", &r.vouchers.to_string())
            .replace("{points}", &r.points.to_string())
            .replace("{reminders}", &r.reminders.to_string()),
    );
    if let Some(m) = &r.messages {
        out.push(format!(
            "{}: {} ({})",
            o.t("cli.messages_written"),
            m.path,
            m.rows
        ));
    }
    lines(out)
}

fn results_text(o: &Out, r: &CampaignResults) -> String {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let d = &r.return_rate_difference;
    lines([
        campaign_line(&r.campaign),
        format!(
            "{}: {}/{} ({}) · {}: {}/{} ({})",
            o.t("cli.campaign_treated"),
            r.treated.returned,
            r.treated.customers,
            pct(r.treated.return_rate),
            o.t("cli.campaign_holdout"),
            r.holdout.returned,
            r.holdout.customers,
            pct(r.holdout.return_rate)
        ),
        format!(
            "{}: {} [{} … {}]",
            o.t("cli.campaign_difference"),
            pct(d.value),
            pct(d.low),
            pct(d.high)
        ),
        o.t("cli.campaign_summary")
            .replace("{customers}", &format!("{:.0}", r.extra_customers.value))
            .replace(
                "{customers_range}",
                &format!(
                    "{:.0} … {:.0}",
                    r.extra_customers.low, r.extra_customers.high
                ),
            )
            .replace("{revenue}", &r.extra_revenue.value.to_string())
            .replace(
                "{revenue_range}",
                &format!("{} … {}", r.extra_revenue.low, r.extra_revenue.high),
            )
            .replace("{cost}", &r.cost.to_string()),
        format!(
            "{}: {}/{} · {}: {} · {}: {} · {}: {}",
            o.t("cli.vouchers_redeemed"),
            r.redeemed,
            r.issued,
            o.t("cli.voucher_discounts"),
            r.discounts,
            o.t("cli.gift_cost"),
            r.gift_cost,
            o.t("cli.points_cost"),
            r.points_cost
        ),
    ])
}
