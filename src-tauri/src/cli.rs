//! The headless command line: the same core calls as the window.

use crate::i18n::{self, t, Lang};
use clap::{Args, Parser, Subcommand};
use khachquen_core::model::{
    CustomerInput, CustomerLoyalty, ItemInput, LedgerEntry, LoyaltyConfig, Purchase, PurchaseInput,
    Stats, TierInput,
};
use khachquen_core::{store, CoreError, Store};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "khachquen",
    version,
    about = "Khách Quen: the CRM for a shop's regulars"
)]
struct Cli {
    /// Folder holding khachquen.db (default: the user data folder/khachquen)
    #[arg(long, global = true, env = "KHACHQUEN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Language of messages (default: the system locale)
    #[arg(long, global = true, value_parser = ["vi", "en"])]
    lang: Option<String>,
    /// Print one JSON document on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Add, edit, archive, find and show customers
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Record and list purchases
    #[command(subcommand)]
    Purchase(PurchaseCmd),
    /// Read and change shop settings (shop_name, currency, timezone, language)
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Database maintenance
    #[command(subcommand)]
    Db(DbCmd),
    /// Loyalty rules and tiers
    #[command(subcommand)]
    Loyalty(LoyaltyCmd),
    /// A customer's points: balance, ledger, adjustments, expiry
    #[command(subcommand)]
    Points(PointsCmd),
    /// Fill an empty database with a realistic demo shop
    Demo {
        #[arg(long, default_value_t = 300)]
        customers: u64,
        #[arg(long, default_value_t = 1500)]
        purchases: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args, Default)]
struct Details {
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
enum CustomerCmd {
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
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
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    Show {
        reference: String,
    },
}

#[derive(Subcommand)]
enum PurchaseCmd {
    Add {
        #[arg(long, value_name = "REF")]
        customer: String,
        #[arg(long, allow_negative_numbers = true)]
        amount: String,
        /// YYYY-MM-DD[THH:MM] in the shop's time zone (default: now)
        #[arg(long)]
        at: Option<String>,
        /// "product;qty;unit price[;warranty months]"; repeat for several
        #[arg(long = "item", value_name = "ITEM")]
        items: Vec<String>,
        /// cash, card, transfer, ewallet or other
        #[arg(long)]
        payment: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        staff: Option<String>,
        /// Points to redeem on this bill
        #[arg(long, value_name = "POINTS", allow_negative_numbers = true)]
        redeem: Option<i64>,
        /// A client-generated id: recording the same id twice records it once
        #[arg(long = "id", value_name = "CLIENT_ID")]
        client_id: Option<String>,
    },
    /// Refund a purchase in full, or --amount of it
    Refund {
        purchase_id: i64,
        #[arg(long, allow_negative_numbers = true)]
        amount: Option<String>,
    },
    List {
        #[arg(long, value_name = "REF")]
        customer: String,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum SettingsCmd {
    Get { key: String },
    Set { key: String, value: String },
}

#[derive(Subcommand)]
enum LoyaltyCmd {
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
enum TiersCmd {
    /// Replace the tiers: "NAME:THRESHOLD:MULTIPLIER"...
    Set {
        #[arg(value_name = "NAME:THRESHOLD:MULTIPLIER", required = true)]
        tiers: Vec<String>,
    },
}

#[derive(Subcommand)]
enum PointsCmd {
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

#[derive(Subcommand)]
enum DbCmd {
    /// integrity_check and foreign_key_check; exits 0 only when clean
    Check,
}

/// Parse, run, print; returns the exit code (0 ok, 1 error, 2 usage).
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let lang = cli
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(Lang::from_env);
    let data_dir = match cli.data_dir.clone().or_else(store::default_data_dir) {
        Some(d) => d,
        None => {
            eprintln!("{}", t(lang, "cli.no_data_dir"));
            return 1;
        }
    };
    let db = match Store::open(&store::db_path(&data_dir)) {
        Ok(s) => s,
        Err(e) => return fail(lang, &e),
    };
    let Some(command) = cli.command else {
        return match crate::run_window(db, data_dir) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        };
    };
    let out = Out {
        lang,
        json: cli.json,
    };
    match run(&db, command, &out) {
        Ok(code) => code,
        Err(e) => fail(lang, &e),
    }
}

fn fail(lang: Lang, e: &CoreError) -> i32 {
    eprintln!("{}", i18n::core_error(lang, e));
    1
}

struct Out {
    lang: Lang,
    json: bool,
}

impl Out {
    /// JSON when asked for, else the human text.
    fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> khachquen_core::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            let s = serde_json::to_string_pretty(value)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            writeln!(stdout, "{s}")?;
        } else {
            let h = human();
            if !h.is_empty() {
                writeln!(stdout, "{h}")?;
            }
        }
        Ok(())
    }

    fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

fn stats_text(o: &Out, s: &Stats) -> String {
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

fn loyalty_text(o: &Out, l: &CustomerLoyalty) -> String {
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

fn purchase_line(p: &Purchase) -> String {
    let items: Vec<String> = p
        .items
        .iter()
        .map(|i| format!("{} × {} @ {}", i.quantity, i.product, i.unit_price))
        .collect();
    format!(
        "#{}\t{}\t{}\t{}\t{}",
        p.id,
        p.at.to_rfc3339(),
        p.total,
        p.payment_method,
        items.join(", ")
    )
}

fn run(db: &Store, command: Command, o: &Out) -> khachquen_core::Result<i32> {
    match command {
        Command::Customer(cmd) => match cmd {
            CustomerCmd::Add {
                name,
                phone,
                details,
            } => {
                let c = db.add_customer(details.into_input(Some(name), Some(phone)))?;
                o.print(&c, || {
                    format!(
                        "{} #{}: {} ({})",
                        o.t("cli.customer_added"),
                        c.id,
                        c.name,
                        c.phone_display
                    )
                })?;
            }
            CustomerCmd::Edit {
                reference,
                name,
                phone,
                details,
            } => {
                let id = db.resolve_customer(&reference)?;
                let c = db.update_customer(id, details.into_input(name, phone))?;
                o.print(&c, || {
                    format!(
                        "{} #{}: {} ({})",
                        o.t("cli.customer_saved"),
                        c.id,
                        c.name,
                        c.phone_display
                    )
                })?;
            }
            CustomerCmd::Archive { reference } => {
                let id = db.resolve_customer(&reference)?;
                let c = db.archive_customer(id)?;
                o.print(&c, || {
                    format!("{} #{}: {}", o.t("cli.customer_archived"), c.id, c.name)
                })?;
            }
            CustomerCmd::Find { query, limit } => {
                let rows = db.search(&query, limit)?;
                o.print(&rows, || {
                    if rows.is_empty() {
                        return o.t("cli.no_match");
                    }
                    rows.iter()
                        .map(|r| {
                            format!(
                                "{}\t{}\t{}\t{}",
                                r.id,
                                r.code.as_deref().unwrap_or("-"),
                                r.name,
                                r.phone_display
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
            }
            CustomerCmd::Show { reference } => {
                let id = db.resolve_customer(&reference)?;
                let p = db.profile(id, 1000)?;
                o.print(&p, || {
                    let c = &p.customer;
                    let mut lines = vec![
                        format!("#{} {} ({})", c.id, c.name, c.phone_display),
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
                })?;
            }
        },
        Command::Purchase(cmd) => match cmd {
            PurchaseCmd::Add {
                customer,
                amount,
                at,
                items,
                payment,
                note,
                staff,
                redeem,
                client_id,
            } => {
                let customer_id = db.resolve_customer(&customer)?;
                let items = items
                    .iter()
                    .map(|s| ItemInput::parse_spec(s))
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let r = db.add_purchase(PurchaseInput {
                    customer_id,
                    amount,
                    at,
                    items,
                    payment_method: payment,
                    note,
                    staff,
                    redeem,
                    client_id,
                })?;
                o.print(&r, || r.purchase.id.to_string())?;
            }
            PurchaseCmd::Refund {
                purchase_id,
                amount,
            } => {
                let r = db.refund(purchase_id, amount.as_deref(), None)?;
                o.print(&r, || {
                    format!(
                        "{} #{}: {}\n{}: -{} / +{} ({}: {})\n{}",
                        o.t("cli.refunded"),
                        r.refund.purchase_id,
                        r.refund.amount,
                        o.t("cli.points"),
                        r.points_reversed,
                        r.points_returned,
                        o.t("cli.shortfall"),
                        r.shortfall,
                        loyalty_text(o, &r.loyalty)
                    )
                })?;
            }
            PurchaseCmd::List { customer, limit } => {
                let id = db.resolve_customer(&customer)?;
                let list = db.purchases_of(id, limit)?;
                o.print(&list, || {
                    list.iter()
                        .map(purchase_line)
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
            }
        },
        Command::Settings(cmd) => match cmd {
            SettingsCmd::Get { key } => {
                let v = db.setting(&key)?;
                o.print(&serde_json::json!({ key.as_str(): v }), || v.clone())?;
            }
            SettingsCmd::Set { key, value } => {
                let s = db.set_setting(&key, &value)?;
                let v = db.setting(&key)?;
                o.print(&s, || format!("{key} = {v}"))?;
            }
        },
        Command::Loyalty(cmd) => match cmd {
            LoyaltyCmd::Show => {
                let c = db.loyalty_config()?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Set { pairs } => {
                let parsed = pairs
                    .iter()
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => Ok((k.trim().to_owned(), v.trim().to_owned())),
                        None => Err(CoreError::InvalidInput(format!("{p:?}: KEY=VALUE"))),
                    })
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let c = db.set_loyalty_rules(&parsed)?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Tiers(TiersCmd::Set { tiers }) => {
                let input = tiers
                    .iter()
                    .map(|t| parse_tier(t))
                    .collect::<khachquen_core::Result<Vec<_>>>()?;
                let c = db.set_tiers(&input)?;
                o.print(&c, || config_text(o, &c))?;
            }
            LoyaltyCmd::Run { as_of } => {
                let r = db.loyalty_maintenance(as_of.as_deref())?;
                o.print(&r, || {
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
                })?;
            }
        },
        Command::Points(cmd) => match cmd {
            PointsCmd::Show { reference } => {
                let id = db.resolve_customer(&reference)?;
                let v = db.points(id, 1000)?;
                o.print(&v, || {
                    let mut lines = vec![loyalty_text(o, &v.loyalty), String::new()];
                    lines.extend(v.ledger.iter().map(ledger_line));
                    lines.join("\n")
                })?;
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
                })?;
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
                })?;
            }
        },
        Command::Db(DbCmd::Check) => {
            let report = db.check()?;
            o.print(&report, || {
                if report.ok {
                    return "ok".into();
                }
                let mut lines: Vec<String> = report
                    .integrity
                    .iter()
                    .filter(|l| *l != "ok")
                    .cloned()
                    .collect();
                lines.extend(report.foreign_key_violations.iter().cloned());
                if report.negative_balances > 0 {
                    lines.push(format!(
                        "{}: {}",
                        o.t("cli.negative_balances"),
                        report.negative_balances
                    ));
                }
                if report.stats_mismatches > 0 {
                    lines.push(format!(
                        "{}: {}",
                        o.t("cli.stats_mismatches"),
                        report.stats_mismatches
                    ));
                }
                lines.join("\n")
            })?;
            if !report.ok {
                eprintln!("{}", o.t("cli.check_failed"));
                return Ok(1);
            }
        }
        Command::Demo {
            customers,
            purchases,
            seed,
        } => {
            let label = o.t("cli.demo_progress");
            let mut progress = |done: u64, total: u64| {
                if !o.json {
                    eprint!("\r{label} {}%", done * 100 / total.max(1));
                }
            };
            let r = db.create_demo(customers, purchases, seed, &mut progress)?;
            if !o.json {
                eprintln!();
            }
            o.print(&r, || {
                format!(
                    "{}: {} / {}",
                    o.t("cli.demo_done"),
                    r.customers,
                    r.purchases
                )
            })?;
        }
    }
    Ok(0)
}
