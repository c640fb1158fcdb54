//! Retention reports on the command line (all with --json).

use super::Out;
use clap::Subcommand;
use khachquen_core::analytics::reports::Range;
use khachquen_core::Store;

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
        /// Only the N customers with the highest CLV
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
    /// Recompute every customer's scores (RFM, lifecycle, predictions)
    Refresh,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

pub fn report(db: &Store, cmd: ReportCmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        ReportCmd::Churn {
            period,
            range,
            inactive_days,
        } => {
            let r = db.report_churn(&period, &range.range(), inactive_days)?;
            o.print(&r, || {
                let mut lines = vec![format!(
                    "{} {}\nstart\tend\tat_start\tnew\treturned\tlost\tat_end\tchurn%\tretention%",
                    o.t("cli.lost_after_days"),
                    r.inactive_days
                )];
                lines.extend(r.periods.iter().map(|p| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        p.start,
                        p.end,
                        p.customers_at_start,
                        p.new,
                        p.returned,
                        p.lost,
                        p.customers_at_end,
                        opt(p.churn_rate),
                        opt(p.retention_rate)
                    )
                }));
                lines.join("\n")
            })?;
        }
        ReportCmd::Cohorts { range } => {
            let r = db.report_cohorts(&range.range())?;
            o.print(&r, || {
                r.cohorts
                    .iter()
                    .map(|c| {
                        let cells: Vec<String> =
                            c.retention.iter().map(|x| format!("{x:.1}")).collect();
                        format!("{}\t{}\t{}", c.month, c.size, cells.join("\t"))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ReportCmd::Clv {
            model,
            calibration_end,
            horizon_days,
            limit,
        } => {
            if model == "simple" {
                let s = db.report_summary(&Range::default())?;
                o.print(&s, || {
                    format!(
                        "{}: {} {} × {} {} × {} = {}",
                        o.t("cli.simple_clv"),
                        opt(s.lifespan_years),
                        o.t("cli.years"),
                        opt(s.frequency_per_year),
                        o.t("cli.per_year"),
                        opt(s.average_basket),
                        opt(s.simple_clv)
                    )
                })?;
            } else {
                let r = db.report_clv(calibration_end.as_deref(), horizon_days, limit)?;
                o.print(&r, || {
                    let b = &r.bgnbd;
                    let g = &r.gamma_gamma;
                    let mut lines = vec![
                        format!(
                            "BG/NBD: r = {:.3}, α = {:.3}, a = {:.3}, b = {:.3}",
                            b.r, b.alpha, b.a, b.b
                        ),
                        format!(
                            "Gamma-Gamma: p = {:.2}, q = {:.2}, γ = {:.2}",
                            g.p, g.q, g.gamma
                        ),
                        "id\tname\tp_alive\texpected_purchases_90d\texpected_spend\tclv".into(),
                    ];
                    lines.extend(r.customers.iter().map(|c| {
                        format!(
                            "{}\t{}\t{}\t{:.2}\t{}\t{}",
                            c.id,
                            c.name,
                            opt(c.p_alive.map(|p| format!("{p:.3}"))),
                            c.expected_purchases,
                            opt(c.expected_spend),
                            opt(c.clv)
                        )
                    }));
                    lines.join("\n")
                })?;
            }
        }
        ReportCmd::Rfm => {
            let r = db.report_rfm()?;
            o.print(&r, || {
                r.segments
                    .iter()
                    .map(|s| format!("{}\t{}\t{}", s.segment, s.count, opt(s.revenue)))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ReportCmd::Lifecycle => {
            let r = db.report_lifecycle()?;
            o.print(&r, || {
                r.stages
                    .iter()
                    .map(|s| format!("{}\t{}", s.stage, s.count))
                    .collect::<Vec<_>>()
                    .join("\n")
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
            let s = db.report_summary(&range.range())?;
            o.print(&s, || {
                format!(
                    "{} → {}\ncustomers\t{}\npurchases\t{}\nrevenue\t{}\nrepeat_rate\t{}\naverage_basket\t{}\nfrequency_per_year\t{}\nlifespan_years\t{}\nsimple_clv\t{}",
                    s.from,
                    s.to,
                    s.customers,
                    s.purchases,
                    opt(s.revenue),
                    opt(s.repeat_rate),
                    opt(s.average_basket),
                    opt(s.frequency_per_year),
                    opt(s.lifespan_years),
                    opt(s.simple_clv)
                )
            })?;
        }
        ReportCmd::Staff { range } => {
            let r = db.report_staff(&range.range())?;
            o.print(&r, || {
                let mut lines = vec![
                    "staff\tpurchases\trevenue\tnew\treminders\tserved\tlost\tchurn%".to_owned(),
                ];
                lines.extend(r.staff.iter().map(|s| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        if s.staff.is_empty() { "—" } else { &s.staff },
                        s.purchases,
                        s.revenue,
                        s.new_customers,
                        s.reminders_completed,
                        s.customers_served,
                        s.lost_customers,
                        opt(s.churn_rate)
                    )
                }));
                lines.join("\n")
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
