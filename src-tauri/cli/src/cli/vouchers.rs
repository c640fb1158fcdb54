//! Vouchers on the command line: programmes, issuing to a list, a customer's codes.

use super::care::parse_filters;
use super::out::{lines, or_dash, Out};
use clap::{Args, Subcommand};
use khachquen_core::model::{Benefit, ProgramInput, ProgramResults, Voucher, VoucherProgram};
use khachquen_core::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// Voucher programmes, issuing codes, a customer's vouchers
    #[command(subcommand)]
    Voucher(VoucherCmd),
}

#[derive(Subcommand)]
pub enum VoucherCmd {
    /// Create, list, show, end programmes and read their results
    #[command(subcommand)]
    Program(ProgramCmd),
    /// Give each customer of a list a personal code (customers who hold one are skipped)
    Issue {
        /// The programme's id or name
        program: String,
        /// key=value, as for bulk messages: segment, stage, tier, tag, at-risk,
        /// birthday-month, inactive-days, min-visits, source, search
        #[arg(long = "filter", value_name = "KEY=VALUE")]
        filters: Vec<String>,
    },
    /// A customer's vouchers, usable first
    List {
        #[arg(value_name = "REF")]
        customer: String,
    },
}

#[derive(Args)]
pub struct ProgramArgs {
    #[arg(long)]
    name: String,
    /// amount, percent, gift, multiplier or points
    #[arg(long)]
    kind: String,
    /// The amount off, the percent off, the points multiplier or the bonus points
    #[arg(long)]
    value: Option<String>,
    /// The most a percent off takes off one bill
    #[arg(long)]
    cap: Option<String>,
    #[arg(long)]
    gift: Option<String>,
    /// What one gift costs the shop
    #[arg(long)]
    gift_cost: Option<String>,
    #[arg(long)]
    min_bill: Option<String>,
    /// First valid day, YYYY-MM-DD (default today)
    #[arg(long)]
    from: Option<String>,
    /// Last valid day, YYYY-MM-DD
    #[arg(long)]
    until: String,
    /// Uses per customer (default 1; unlimited for a next-purchase rule)
    #[arg(long)]
    per_customer: Option<i64>,
    /// Uses in all
    #[arg(long)]
    quantity: Option<i64>,
    /// Discounts and gifts in all
    #[arg(long)]
    budget: Option<String>,
    /// One code anyone may type: your own (4-20 letters and digits) or "auto"
    #[arg(long, value_name = "CODE")]
    shared_code: Option<String>,
    /// Next-purchase rule: a bill of at least this earns a voucher...
    #[arg(long, value_name = "AMOUNT")]
    next_min: Option<String>,
    /// ...valid from the next day for this many days
    #[arg(long, value_name = "DAYS")]
    next_days: Option<i64>,
}

#[derive(Subcommand)]
pub enum ProgramCmd {
    Add(Box<ProgramArgs>),
    List,
    Show {
        program: String,
    },
    /// End a programme now: its codes stop working
    End {
        program: String,
    },
    /// Issued, redeemed, discounts, gifts and the revenue of the bills that used it
    Results {
        program: String,
    },
}

pub fn run(db: &Store, Cmd::Voucher(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        VoucherCmd::Program(ProgramCmd::Add(a)) => {
            let a = *a;
            let p = db.add_program(&ProgramInput {
                name: a.name,
                kind: a.kind,
                value: a.value,
                cap: a.cap,
                gift: a.gift,
                gift_cost: a.gift_cost,
                min_bill: a.min_bill,
                from: a.from,
                until: Some(a.until),
                per_customer: a.per_customer,
                quantity: a.quantity,
                budget: a.budget,
                shared_code: a.shared_code,
                next_min: a.next_min,
                next_days: a.next_days,
            })?;
            o.print(&p, || program_text(o, &p))?;
        }
        VoucherCmd::Program(ProgramCmd::List) => {
            let list = db.programs()?;
            o.print(&list, || lines(list.iter().map(|p| program_line(o, p))))?;
        }
        VoucherCmd::Program(ProgramCmd::Show { program }) => {
            let p = db.program(&program)?;
            o.print(&p, || program_text(o, &p))?;
        }
        VoucherCmd::Program(ProgramCmd::End { program }) => {
            let p = db.end_program(&program)?;
            o.print(&p, || program_line(o, &p))?;
        }
        VoucherCmd::Program(ProgramCmd::Results { program }) => {
            let r = db.program_results(&program)?;
            o.print(&r, || results_text(o, &r))?;
        }
        VoucherCmd::Issue { program, filters } => {
            let r = db.issue_vouchers(&program, &parse_filters(&filters)?)?;
            o.print(&r, || {
                format!(
                    "{}: {} ({}: {})",
                    o.t("cli.vouchers_issued"),
                    r.issued,
                    o.t("cli.vouchers_skipped"),
                    r.skipped
                )
            })?;
        }
        VoucherCmd::List { customer } => {
            let list = db.vouchers_of(db.resolve_customer(&customer)?)?;
            o.print(&list, || lines(list.iter().map(|v| voucher_line(o, v))))?;
        }
    }
    Ok(0)
}

/// "-50000", "-10% (≤ 100000)", "🎁 name", "×2", "+500": the benefit in a few characters.
pub fn benefit_text(o: &Out, b: &Benefit) -> String {
    match b.kind.as_str() {
        "amount" => format!("-{}", or_dash(b.amount)),
        "percent" => match b.cap {
            Some(c) => format!("-{}% (≤ {c})", or_dash(b.percent)),
            None => format!("-{}%", or_dash(b.percent)),
        },
        "gift" => format!(
            "{}: {}",
            o.t("cli.gift"),
            b.gift.clone().unwrap_or_default()
        ),
        "multiplier" => format!("×{} {}", or_dash(b.multiplier), o.t("cli.points")),
        _ => format!("+{} {}", or_dash(b.points), o.t("cli.points")),
    }
}

fn status(o: &Out, s: &str) -> String {
    o.t(&format!("vouchers.status.{s}"))
}

fn program_line(o: &Out, p: &VoucherProgram) -> String {
    format!(
        "#{}\t{}\t{}\t{} – {}\t{}",
        p.id,
        p.name,
        benefit_text(o, &p.benefit),
        p.from.format("%d/%m/%Y"),
        p.until.format("%d/%m/%Y"),
        status(o, p.status)
    )
}

fn program_text(o: &Out, p: &VoucherProgram) -> String {
    let mut out = vec![program_line(o, p)];
    if !p.min_bill.is_zero() {
        out.push(format!("{}: {}", o.t("cli.min_bill"), p.min_bill));
    }
    if let Some(c) = &p.shared_code {
        out.push(format!("{}: {c}", o.t("cli.shared_code")));
    }
    if let Some(r) = &p.next_purchase {
        out.push(format!(
            "{}: ≥ {} → {} {}",
            o.t("cli.next_purchase"),
            r.min_bill,
            r.days,
            o.t("cli.days")
        ));
    }
    lines(out)
}

fn results_text(o: &Out, r: &ProgramResults) -> String {
    let rate = r
        .redemption_rate
        .map(|x| format!(" ({:.1}%)", x * 100.0))
        .unwrap_or_default();
    lines([
        program_line(o, &r.program),
        format!("{}: {}", o.t("cli.vouchers_issued"), r.issued),
        format!("{}: {}{rate}", o.t("cli.vouchers_redeemed"), r.redeemed),
        format!("{}: {}", o.t("cli.voucher_discounts"), r.discount),
        format!("{}: {}", o.t("cli.gift_cost"), r.gift_cost),
        format!("{}: {}", o.t("cli.voucher_revenue"), r.revenue),
    ])
}

fn voucher_line(o: &Out, v: &Voucher) -> String {
    format!(
        "{}\t{}\t{}\t{} – {}\t{}",
        v.code,
        v.program,
        benefit_text(o, &v.benefit),
        v.from.format("%d/%m/%Y"),
        v.until.format("%d/%m/%Y"),
        status(o, v.status)
    )
}
