//! Retention reports on the command line (all with --json).

use super::out::Out;
use clap::Subcommand;
use khachquen_core::analytics::export::{cell_text, ReportArgs, Table};
use khachquen_core::analytics::reports::Range;
use khachquen_core::analytics::scores::ClvAnswer;
use khachquen_core::{limits, Store};
use serde::Serialize;

#[derive(clap::Args, Clone)]
pub struct RangeArgs {
    /// First day (YYYY-MM-DD; default: 11 months before this month)
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<String>,
    /// Last day (YYYY-MM-DD; default: today)
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<String>,
}

impl RangeArgs {
    fn range(&self) -> Range {
        Range {
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    fn args(&self) -> ReportArgs {
        ReportArgs {
            from: self.from.clone(),
            to: self.to.clone(),
            ..Default::default()
        }
    }
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Retention reports: churn, cohorts, CLV, RFM, lifecycle, revenue split, staff
    #[command(subcommand)]
    Report(ReportCmd),
}

#[derive(Subcommand)]
pub enum ReportCmd {
    /// Churn and retention per month or quarter
    Churn {
        #[arg(long, value_parser = ["month", "quarter"], default_value = "month")]
        period: String,
        #[command(flatten)]
        range: RangeArgs,
        /// A customer is lost after this many days without a purchase (default: the shop's rule)
        #[arg(long, value_name = "N")]
        inactive_days: Option<i64>,
    },
    /// Retention of each month's new customers in the months after
    Cohorts {
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Customer lifetime value: the simple formula or BG/NBD + Gamma-Gamma
    Clv {
        #[arg(long, value_parser = ["simple", "bgnbd"], default_value = "bgnbd")]
        model: String,
        /// Fit on purchases up to this day (default: today)
        #[arg(long, value_name = "YYYY-MM-DD")]
        calibration_end: Option<String>,
        /// How far ahead the CLV looks (default: the shop's rule, 365)
        #[arg(long, value_name = "N")]
        horizon_days: Option<i64>,
        /// Only the N customers with the highest CLV (default: 200)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// RFM scores and segments
    Rfm,
    /// Customers per lifecycle stage
    Lifecycle,
    /// Revenue from returning customers versus first purchases
    RevenueSplit {
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Repeat rate, basket, frequency, lifespan and the simple CLV
    Summary {
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Per staff member: purchases, revenue, new customers, reminders, churn
    Staff {
        #[command(flatten)]
        range: RangeArgs,
    },
    /// Per counter: bills, revenue after refunds and customers (on a server too)
    Counters {
        #[command(flatten)]
        range: RangeArgs,
        /// Only this counter's figures
        #[arg(long, value_name = "NAME")]
        at_counter: Option<String>,
    },
    /// Recompute every customer's scores (RFM, lifecycle, predictions)
    Refresh,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

pub fn run(db: &Store, Cmd::Report(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        ReportCmd::Churn {
            period,
            range,
            inactive_days,
        } => {
            let args = ReportArgs {
                period: Some(period.clone()),
                inactive_days,
                ..range.args()
            };
            table(db, o, "churn", &args, || {
                db.report_churn(&period, &range.range(), inactive_days)
            })?;
        }
        ReportCmd::Cohorts { range } => {
            table(db, o, "cohorts", &range.args(), || {
                db.report_cohorts(&range.range())
            })?;
        }
        ReportCmd::Clv {
            model,
            calibration_end,
            horizon_days,
            limit,
        } => clv(db, o, &model, calibration_end, horizon_days, limit)?,
        // No background here to refresh in: a shop without scores gets them computed first;
        // stale ones are shown with their time and a note, as in the window.
        ReportCmd::Rfm => {
            db.ensure_scores()?;
            table(db, o, "rfm", &ReportArgs::default(), || db.report_rfm())?;
        }
        ReportCmd::Lifecycle => {
            db.ensure_scores()?;
            table(db, o, "lifecycle", &ReportArgs::default(), || {
                db.report_lifecycle()
            })?;
        }
        ReportCmd::RevenueSplit { range } => {
            let s = db.report_summary(&range.range())?;
            let split = &s.revenue_split;
            o.print(split, || {
                format!(
                    "{}: {}\n{}: {}\n{}: {}%",
                    o.t("cli.revenue_first"),
                    opt(split.first),
                    o.t("cli.revenue_returning"),
                    opt(split.returning),
                    o.t("cli.returning_share"),
                    opt(split.returning_share)
                )
            })?;
        }
        ReportCmd::Summary { range } => {
            table(db, o, "summary", &range.args(), || {
                db.report_summary(&range.range())
            })?;
        }
        ReportCmd::Counters { range, at_counter } => {
            let args = ReportArgs {
                counter: at_counter.clone(),
                ..range.args()
            };
            table(db, o, "counters", &args, || {
                db.report_counters(&range.range(), at_counter.as_deref())
            })?;
        }
        ReportCmd::Staff { range } => {
            table(db, o, "staff", &range.args(), || {
                db.report_staff(&range.range())
            })?;
        }
        ReportCmd::Refresh => {
            let r = db.refresh_analytics()?;
            o.print(&r, || {
                format!(
                    "{}: {} ({} ms)",
                    o.t("cli.scores_refreshed"),
                    r.customers,
                    r.millis
                )
            })?;
        }
    }
    Ok(0)
}

/// With --json the report itself; else its table, the one the export writes, as
/// tab-separated lines under its notes and a header of column keys.
fn table<T: Serialize>(
    db: &Store,
    o: &Out,
    report: &str,
    args: &ReportArgs,
    json: impl FnOnce() -> khachquen_core::Result<T>,
) -> khachquen_core::Result<()> {
    if o.json {
        return o.print(&json()?, String::new);
    }
    let t = db.report_table(report, args)?;
    o.print(&(), || table_text(&t, o))
}

fn table_text(t: &Table, o: &Out) -> String {
    let mut lines: Vec<String> = t
        .notes
        .iter()
        .map(|(k, v)| match *k {
            // The churn rule in the user's words, as the command line always said it.
            "inactive_days" => format!("{} {v}", o.t("cli.lost_after_days")),
            "computed_at" => format!("{}: {v}", o.t("cli.scores_computed_at")),
            "stale" => o.t("cli.scores_stale"),
            _ => format!("{k}: {v}"),
        })
        .collect();
    lines.push(t.columns.join("\t"));
    lines.extend(t.rows.iter().map(|row| {
        row.iter()
            .map(|c| match cell_text(c) {
                s if s.is_empty() => "—".to_owned(),
                s => s,
            })
            .collect::<Vec<_>>()
            .join("\t")
    }));
    lines.join("\n")
}

fn clv(
    db: &Store,
    o: &Out,
    model: &str,
    calibration_end: Option<String>,
    horizon_days: Option<i64>,
    limit: Option<usize>,
) -> khachquen_core::Result<()> {
    if o.json || model == "simple" {
        let r = db.report_clv_of(Some(model), calibration_end.as_deref(), horizon_days, limit)?;
        return o.print(&r, || match &r {
            ClvAnswer::Simple(s) => format!(
                "{}: {} {} × {} {} × {} = {}",
                o.t("cli.simple_clv"),
                opt(s.lifespan_years),
                o.t("cli.years"),
                opt(s.frequency_per_year),
                o.t("cli.per_year"),
                opt(s.average_basket),
                opt(s.simple_clv)
            ),
            ClvAnswer::Bgnbd(_) => String::new(),
        });
    }
    let args = ReportArgs {
        calibration_end,
        horizon_days,
        limit: Some(limit.unwrap_or(limits::CLV_TOP)),
        ..Default::default()
    };
    table(db, o, "clv", &args, || Ok(()))
}
