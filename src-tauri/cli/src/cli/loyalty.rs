//! Loyalty on the command line: the rules and tiers, a customer's points, the daily run.

use super::out::{or_dash, Out};
use clap::Subcommand;
use khachquen_core::model::{CustomerLoyalty, LedgerEntry, LoyaltyConfig, TierInput};
use khachquen_core::{limits, CoreError, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Loyalty rules and tiers
    #[command(subcommand)]
    Loyalty(LoyaltyCmd),
    /// A customer's points: balance, ledger, adjustments, expiry
    #[command(subcommand)]
    Points(PointsCmd),
}

#[derive(Subcommand)]
pub enum LoyaltyCmd {
    /// Print the rules and tiers
    Show,
    /// Change rules: earn_per, point_value, min_redeem, max_redeem_percent, expiry_months,
    /// birthday_bonus
    Set {
        #[arg(value_name = "KEY=VALUE", required = true)]
        pairs: Vec<String>,
    },
    #[command(subcommand)]
    Tiers(TiersCmd),
    /// The daily loyalty work: expiry, birthday bonuses, tier moves (idempotent)
    Run {
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TiersCmd {
    /// Replace the tiers: "NAME:THRESHOLD:MULTIPLIER"...
    Set {
        #[arg(value_name = "NAME:THRESHOLD:MULTIPLIER", required = true)]
        tiers: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum PointsCmd {
    /// Balance, tier and ledger
    Show { reference: String },
    /// A signed manual change with a reason
    Adjust {
        reference: String,
        #[arg(long, allow_negative_numbers = true)]
        delta: i64,
        #[arg(long)]
        reason: String,
    },
    /// Expire points due by the end of a day (default: now); idempotent
    Expire {
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
}

pub fn run(db: &Store, cmd: Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        Cmd::Loyalty(cmd) => loyalty(db, cmd, o)?,
        Cmd::Points(cmd) => points(db, cmd, o)?,
    }
    Ok(0)
}

fn loyalty(db: &Store, cmd: LoyaltyCmd, o: &Out) -> khachquen_core::Result<()> {
    let c = match cmd {
        LoyaltyCmd::Show => db.loyalty_config()?,
        LoyaltyCmd::Set { pairs } => {
            let parsed = pairs
                .iter()
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => Ok((k.trim().to_owned(), v.trim().to_owned())),
                    None => Err(CoreError::InvalidInput(format!("{p:?}: KEY=VALUE"))),
                })
                .collect::<khachquen_core::Result<Vec<_>>>()?;
            db.set_loyalty_rules(&parsed)?
        }
        LoyaltyCmd::Tiers(TiersCmd::Set { tiers }) => {
            let input = tiers
                .iter()
                .map(|t| parse_tier(t))
                .collect::<khachquen_core::Result<Vec<_>>>()?;
            db.set_tiers(&input)?
        }
        LoyaltyCmd::Run { as_of } => {
            let r = db.loyalty_maintenance(as_of.as_deref())?;
            return o.print(&r, || {
                format!(
                    "{}: {}\n{}: {} ({})\n{}: {}\n{}: {}",
                    o.t("cli.as_of"),
                    r.as_of,
                    o.t("cli.expired"),
                    r.expired_points,
                    r.expired_customers,
                    o.t("cli.birthday_bonuses"),
                    r.birthday_bonuses,
                    o.t("cli.tier_moves"),
                    r.tier_moves
                )
            });
        }
    };
    o.print(&c, || config_text(o, &c))
}

fn points(db: &Store, cmd: PointsCmd, o: &Out) -> khachquen_core::Result<()> {
    match cmd {
        PointsCmd::Show { reference } => {
            let id = db.resolve_customer(&reference)?;
            let v = db.points(id, limits::LEDGER_ROWS)?;
            o.print(&v, || {
                let mut lines = vec![loyalty_text(o, &v.loyalty), String::new()];
                lines.extend(v.ledger.iter().map(ledger_line));
                lines.join("\n")
            })
        }
        PointsCmd::Adjust {
            reference,
            delta,
            reason,
        } => {
            let id = db.resolve_customer(&reference)?;
            let r = db.adjust_points(id, delta, &reason, None)?;
            o.print(&r, || {
                format!("{}\n{}", ledger_line(&r.entry), loyalty_text(o, &r.loyalty))
            })
        }
        PointsCmd::Expire { as_of } => {
            let r = db.expire_points(as_of.as_deref())?;
            o.print(&r, || {
                format!(
                    "{}: {}\n{}: {} ({})",
                    o.t("cli.as_of"),
                    r.as_of,
                    o.t("cli.expired"),
                    r.expired_points,
                    r.expired_customers
                )
            })
        }
    }
}

pub fn loyalty_text(o: &Out, l: &CustomerLoyalty) -> String {
    let mut s = format!(
        "{}: {}\n{}: {}\n{}: {}",
        o.t("cli.points"),
        l.balance,
        o.t("cli.tier"),
        or_dash(l.tier.as_ref()),
        o.t("cli.spend_12m"),
        l.spend_12m
    );
    if let (Some(next), Some(need)) = (&l.next_tier, l.needed_for_next) {
        s.push_str(&format!("\n{}: {next} (+{need})", o.t("cli.next_tier")));
    }
    s
}

fn ledger_line(e: &LedgerEntry) -> String {
    format!(
        "{}\t{:+}\t{}\t{}\t{}",
        e.at.to_rfc3339(),
        e.points,
        e.kind,
        e.purchase_id.map(|p| format!("#{p}")).unwrap_or_default(),
        e.reason.as_deref().unwrap_or("")
    )
}

fn config_text(o: &Out, c: &LoyaltyConfig) -> String {
    let r = &c.rules;
    let mut lines = vec![
        format!("earn_per = {}", r.earn_per),
        format!("point_value = {}", r.point_value),
        format!("min_redeem = {}", r.min_redeem),
        format!("max_redeem_percent = {}", r.max_redeem_percent),
        format!("expiry_months = {}", r.expiry_months),
        format!("birthday_bonus = {}", r.birthday_bonus),
        String::new(),
        o.t("cli.tiers_heading"),
    ];
    lines.extend(
        c.tiers
            .iter()
            .map(|t| format!("{}:{}:{}", t.name, t.threshold, t.multiplier)),
    );
    lines.join("\n")
}

/// "NAME:THRESHOLD:MULTIPLIER"; the name may itself contain colons.
fn parse_tier(spec: &str) -> khachquen_core::Result<TierInput> {
    let mut parts = spec.rsplitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(n)) => Ok(TierInput {
            name: n.to_owned(),
            threshold: t.to_owned(),
            multiplier: m.to_owned(),
        }),
        _ => Err(CoreError::InvalidInput(format!("{spec:?}"))),
    }
}
