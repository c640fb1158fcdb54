//! Customers on the command line: add, edit, archive, find, show, duplicates and merge.

use super::loyalty::loyalty_text;
use super::out::{lines, or_dash, phone_or_dash, Out};
use super::purchases::purchase_line;
use clap::{Args, Subcommand};
use khachquen_core::customers::merge::{Duplicates, MergeResult};
use khachquen_core::model::{Customer, CustomerInput, CustomerRow, Profile, Stats};
use khachquen_core::{limits, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Add, edit, archive, find and show customers
    #[command(subcommand)]
    Customer(CustomerCmd),
}

#[derive(Args, Default)]
pub struct Details {
    /// Shop code (mã khách hàng)
    #[arg(long)]
    code: Option<String>,
    /// YYYY-MM-DD, or --MM-DD when the year is unknown
    #[arg(long, allow_hyphen_values = true)]
    birthday: Option<String>,
    /// male, female or other
    #[arg(long)]
    gender: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    note: Option<String>,
    /// A tag; repeat for several (on edit, replaces the tags)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// The referring customer: id, phone or code
    #[arg(long, value_name = "REF")]
    referred_by: Option<String>,
    /// walk_in, facebook, zalo, referral or other
    #[arg(long)]
    source: Option<String>,
}

impl Details {
    fn into_input(self, name: Option<String>, phone: Option<String>) -> CustomerInput {
        CustomerInput {
            name,
            phone,
            code: self.code,
            birthday: self.birthday,
            gender: self.gender,
            email: self.email,
            address: self.address,
            note: self.note,
            tags: (!self.tags.is_empty()).then_some(self.tags),
            referred_by: self.referred_by,
            source: self.source,
        }
    }
}

#[derive(Subcommand)]
pub enum CustomerCmd {
    Add {
        #[arg(long)]
        name: String,
        /// Optional: a regular may be known by name or card code (--code) alone
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        details: Details,
    },
    Edit {
        /// Customer id, phone or shop code
        reference: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        details: Details,
    },
    Archive {
        reference: String,
    },
    Find {
        query: String,
        #[arg(long, default_value_t = limits::FIND_ROWS)]
        limit: u32,
    },
    Show {
        reference: String,
    },
    /// Probable duplicates: same phone, or same name with the same birthday or email
    Duplicates {
        #[arg(long, default_value_t = limits::DUPLICATE_GROUPS)]
        limit: u32,
    },
    /// Merge OTHER into KEEP: purchases, points and referrals move to KEEP; OTHER is archived
    Merge {
        /// The customer to keep: id, phone or code
        keep: String,
        /// The duplicate to fold into KEEP: id, phone or code
        other: String,
    },
}

pub fn run(db: &Store, Cmd::Customer(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        CustomerCmd::Add {
            name,
            phone,
            details,
        } => {
            let c = db.add_customer(details.into_input(Some(name), phone))?;
            o.print(&c, || saved(o, "cli.customer_added", &c))?;
        }
        CustomerCmd::Edit {
            reference,
            name,
            phone,
            details,
        } => {
            let id = db.resolve_customer(&reference)?;
            let c = db.update_customer(id, details.into_input(name, phone))?;
            o.print(&c, || saved(o, "cli.customer_saved", &c))?;
        }
        CustomerCmd::Archive { reference } => {
            let c = db.archive_customer(db.resolve_customer(&reference)?)?;
            o.print(&c, || {
                format!("{} #{}: {}", o.t("cli.customer_archived"), c.id, c.name)
            })?;
        }
        CustomerCmd::Find { query, limit } => {
            let rows = db.search(&query, limit)?;
            o.print(&rows, || found_text(o, &rows))?;
        }
        CustomerCmd::Show { reference } => {
            let id = db.resolve_customer(&reference)?;
            let p = db.profile(id, limits::PROFILE_PURCHASES)?;
            o.print(&p, || profile_text(o, &p))?;
        }
        CustomerCmd::Duplicates { limit } => {
            let d = db.duplicates(limit)?;
            o.print(&d, || duplicates_text(o, &d))?;
        }
        CustomerCmd::Merge { keep, other } => {
            let (keep, other) = (db.resolve_customer(&keep)?, db.resolve_customer(&other)?);
            let r = db.merge_customers(keep, other)?;
            o.print(&r, || merge_text(o, &r))?;
        }
    }
    Ok(0)
}

fn saved(o: &Out, key: &str, c: &Customer) -> String {
    format!(
        "{} #{}: {} ({})",
        o.t(key),
        c.id,
        c.name,
        phone_or_dash(&c.phone_display)
    )
}

fn found_text(o: &Out, rows: &[CustomerRow]) -> String {
    if rows.is_empty() {
        return o.t("cli.no_match");
    }
    lines(rows.iter().map(|r| {
        format!(
            "{}\t{}\t{}\t{}",
            r.id,
            r.code.as_deref().unwrap_or("-"),
            r.name,
            phone_or_dash(&r.phone_display)
        )
    }))
}

fn profile_text(o: &Out, p: &Profile) -> String {
    let c = &p.customer;
    let mut lines = vec![
        format!("#{} {} ({})", c.id, c.name, phone_or_dash(&c.phone_display)),
        format!("{}: {}", o.t("cli.code"), or_dash(c.code.as_ref())),
        format!("{}: {}", o.t("cli.birthday"), or_dash(c.birthday.as_ref())),
        format!("{}: {}", o.t("cli.email"), or_dash(c.email.as_ref())),
        format!("{}: {}", o.t("cli.address"), or_dash(c.address.as_ref())),
        format!("{}: {}", o.t("cli.tags"), c.tags.join(", ")),
        format!("{}: {}", o.t("cli.source"), c.source),
        format!(
            "{}: {}",
            o.t("cli.referred_by"),
            or_dash(c.referred_by_name.as_ref())
        ),
        format!("{}: {}", o.t("cli.note"), or_dash(c.note.as_ref())),
    ];
    if let Some(a) = c.archived_at {
        lines.push(format!("{}: {}", o.t("cli.archived"), a.to_rfc3339()));
    }
    lines.push(String::new());
    lines.push(stats_text(o, &p.stats));
    if !p.purchases.is_empty() {
        lines.push(String::new());
        lines.push(o.t("cli.purchases"));
        lines.extend(p.purchases.iter().map(purchase_line));
    }
    lines.join("\n")
}

fn merge_text(o: &Out, r: &MergeResult) -> String {
    let moved: Vec<String> = r
        .moved
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    format!(
        "{} #{} {} → #{} {}\n{}: {}\n{}\n{}",
        o.t("cli.merged"),
        r.merged.id,
        r.merged.name,
        r.kept.id,
        r.kept.name,
        o.t("cli.moved"),
        or_dash((!moved.is_empty()).then(|| moved.join(", "))),
        stats_text(o, &r.stats),
        loyalty_text(o, &r.loyalty)
    )
}

pub fn stats_text(o: &Out, s: &Stats) -> String {
    [
        format!("{}: {}", o.t("cli.visits"), s.visits),
        format!("{}: {}", o.t("cli.total_spent"), s.total_spent),
        format!(
            "{}: {}",
            o.t("cli.average_basket"),
            or_dash(s.average_basket)
        ),
        format!(
            "{}: {}",
            o.t("cli.first_purchase"),
            or_dash(s.first_purchase_at.map(|d| d.to_rfc3339()))
        ),
        format!(
            "{}: {}",
            o.t("cli.last_purchase"),
            or_dash(s.last_purchase_at.map(|d| d.to_rfc3339()))
        ),
        format!(
            "{}: {}",
            o.t("cli.average_days"),
            or_dash(s.average_days_between_visits)
        ),
    ]
    .join("\n")
}

fn duplicates_text(o: &Out, d: &Duplicates) -> String {
    if d.groups.is_empty() {
        return o.t("cli.duplicates_none");
    }
    let mut lines = vec![format!(
        "{}: {} / {}",
        o.t("cli.duplicates_found"),
        d.groups.len(),
        d.total
    )];
    for g in &d.groups {
        let reasons: Vec<String> = g
            .reasons
            .iter()
            .zip(&g.keys)
            .map(|(r, k)| {
                let label = match r.as_str() {
                    "phone" => o.t("cli.reason_phone"),
                    "name_birthday" => o.t("cli.reason_name_birthday"),
                    _ => o.t("cli.reason_name_email"),
                };
                format!("{label} ({k})")
            })
            .collect();
        lines.push(String::new());
        lines.push(reasons.join("; "));
        for c in &g.customers {
            let mut flags = Vec::new();
            if c.id == g.suggested_keep {
                flags.push(o.t("cli.suggested_keep"));
            }
            if c.archived {
                flags.push(o.t("cli.archived_short"));
            }
            lines.push(format!(
                "  #{}\t{}\t{}\t{} {}\t{}",
                c.id,
                c.name,
                phone_or_dash(&c.phone_display),
                c.visits,
                o.t("cli.visits_count"),
                flags.join(", ")
            ));
        }
    }
    lines.join("\n")
}
