//! Purchases on the command line: record, refund and list.

use super::loyalty::loyalty_text;
use super::out::{lines, Out};
use clap::Subcommand;
use khachquen_core::model::{ItemInput, Purchase, PurchaseInput, PurchaseResult, RefundResult};
use khachquen_core::outbox::{self, Recorded};
use khachquen_core::{limits, CoreError, Store};
use std::path::Path;

#[derive(Subcommand)]
pub enum Cmd {
    /// Record and list purchases
    #[command(subcommand)]
    Purchase(PurchaseCmd),
}

#[derive(Subcommand)]
pub enum PurchaseCmd {
    Add(AddArgs),
    /// Refund a purchase in full, or --amount of it
    Refund {
        purchase_id: i64,
        #[arg(long, allow_negative_numbers = true)]
        amount: Option<String>,
    },
    List {
        #[arg(long, value_name = "REF")]
        customer: String,
        #[arg(long, default_value_t = limits::PURCHASE_ROWS)]
        limit: u32,
    },
}

/// Record a bill. At a counter whose server cannot be reached, a bill without points or a
/// voucher, for a customer typed by phone or card number, waits in this computer's queue
#[derive(clap::Args)]
pub struct AddArgs {
    #[arg(long, value_name = "REF")]
    pub customer: String,
    #[arg(long, allow_negative_numbers = true)]
    pub amount: String,
    /// YYYY-MM-DD[THH:MM] in the shop's time zone (default: now)
    #[arg(long)]
    pub at: Option<String>,
    /// "product;qty;unit price[;warranty months]"; repeat for several
    #[arg(long = "item", value_name = "ITEM")]
    pub items: Vec<String>,
    /// cash, card, transfer, ewallet or other
    #[arg(long)]
    pub payment: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long)]
    pub staff: Option<String>,
    /// Points to redeem on this bill
    #[arg(long, value_name = "POINTS", allow_negative_numbers = true)]
    pub redeem: Option<i64>,
    /// A client-generated id: recording the same id twice records it once
    #[arg(long = "id", value_name = "CLIENT_ID")]
    pub client_id: Option<String>,
    /// A voucher code: taken off first, points then pay on what remains
    #[arg(long, value_name = "CODE")]
    pub voucher: Option<String>,
}

/// The commands on a shop: `counter` is the data folder of a counter on a server, whose
/// bills wait in its outbox when the server cannot be reached.
pub fn run(
    db: &Store,
    Cmd::Purchase(cmd): Cmd,
    o: &Out,
    counter: Option<&Path>,
) -> khachquen_core::Result<i32> {
    match cmd {
        PurchaseCmd::Add(add) => {
            let (reference, input) = bill(add)?;
            match counter {
                Some(dir) => {
                    return recorded(o, outbox::record(dir, Ok(db), None, &reference, input)?)
                }
                None => {
                    let input = PurchaseInput {
                        customer_id: db.resolve_customer(&reference)?,
                        ..input
                    };
                    let r = db.add_purchase(input)?;
                    o.print(&r, || purchase_text(o, &r))?;
                }
            }
        }
        PurchaseCmd::Refund {
            purchase_id,
            amount,
        } => {
            let r = db.refund(purchase_id, amount.as_deref(), None)?;
            o.print(&r, || refund_text(o, &r))?;
        }
        PurchaseCmd::List { customer, limit } => {
            let list = db.purchases_of(db.resolve_customer(&customer)?, limit)?;
            o.print(&list, || lines(list.iter().map(purchase_line)))?;
        }
    }
    Ok(0)
}

/// `purchase add` at the counter named `counter` whose server did not answer
/// (`unreachable`): kept in the outbox of `dir` when it may wait; any other command fails
/// with `unreachable`.
pub fn add_offline(
    unreachable: CoreError,
    dir: &Path,
    counter: Option<&str>,
    Cmd::Purchase(cmd): Cmd,
    o: &Out,
) -> khachquen_core::Result<i32> {
    match cmd {
        PurchaseCmd::Add(add) => {
            let (reference, input) = bill(add)?;
            let kept = outbox::record(dir, Err(unreachable), counter, &reference, input)?;
            recorded(o, kept)
        }
        _ => Err(unreachable),
    }
}

/// Whether a command records a bill, which a counter may keep while its server is away.
pub fn records_a_bill(Cmd::Purchase(cmd): &Cmd) -> bool {
    matches!(cmd, PurchaseCmd::Add(_))
}

/// The customer as typed and the bill of `purchase add` (its customer id still 0).
fn bill(add: AddArgs) -> khachquen_core::Result<(String, PurchaseInput)> {
    let AddArgs {
        customer,
        amount,
        at,
        items,
        payment,
        note,
        staff,
        redeem,
        client_id,
        voucher,
    } = add;
    let items = items
        .iter()
        .map(|s| parse_item(s))
        .collect::<khachquen_core::Result<Vec<_>>>()?;
    let input = PurchaseInput {
        customer_id: 0,
        amount,
        at,
        items,
        payment_method: payment,
        note,
        staff,
        redeem,
        client_id,
        voucher,
    };
    Ok((customer, input))
}

/// A bill the server recorded, as any other; or one kept, said so.
fn recorded(o: &Out, r: Recorded) -> khachquen_core::Result<i32> {
    match &r {
        Recorded::Sent(p) => o.print(p, || purchase_text(o, p))?,
        Recorded::Queued(q) => o.print(&serde_json::json!({ "queued": q }), || {
            o.t("cli.queue_kept")
                .replace("{server}", &q.server)
                .replace("{seq}", &q.seq.to_string())
        })?,
    }
    Ok(0)
}

/// "product;qty;unit price[;warranty months]": the command line's way to write a bill line.
/// Only the split is done here; core checks the values as it does for the window's.
fn parse_item(spec: &str) -> khachquen_core::Result<ItemInput> {
    let parts: Vec<&str> = spec.split(';').map(str::trim).collect();
    let bad = || CoreError::InvalidInput(format!("--item {spec:?}"));
    let warranty_months = match parts.get(3) {
        Some(w) if !w.is_empty() => Some(w.parse().map_err(|_| bad())?),
        _ => None,
    };
    match parts.as_slice() {
        [product, qty, price] | [product, qty, price, _] => Ok(ItemInput {
            product: (*product).to_owned(),
            quantity: (*qty).to_owned(),
            unit_price: (*price).to_owned(),
            warranty_months,
        }),
        _ => Err(bad()),
    }
}

/// The bill's id on the first line (scripts read it), then what a voucher gave and earned.
fn purchase_text(o: &Out, r: &PurchaseResult) -> String {
    let mut out = vec![r.purchase.id.to_string()];
    if let Some(v) = &r.voucher {
        out.push(format!(
            "{} {}: -{} (+{} {})",
            o.t("cli.voucher"),
            v.code,
            v.discount,
            v.bonus_points,
            o.t("cli.points")
        ));
    }
    for v in &r.vouchers_issued {
        out.push(format!(
            "{} {} ({} – {})",
            o.t("cli.voucher_earned"),
            v.code,
            v.from.format("%d/%m/%Y"),
            v.until.format("%d/%m/%Y")
        ));
    }
    lines(out)
}

fn refund_text(o: &Out, r: &RefundResult) -> String {
    let voucher = r.voucher.as_ref().map(|v| {
        let key = if v.returned {
            "cli.voucher_returned"
        } else {
            "cli.voucher_kept"
        };
        format!("\n{} {}", o.t(key), v.code)
    });
    format!(
        "{} #{}: {}\n{}: -{} / +{} ({}: {})\n{}{}",
        o.t("cli.refunded"),
        r.refund.purchase_id,
        r.refund.amount,
        o.t("cli.points"),
        r.points_reversed,
        r.points_returned,
        o.t("cli.shortfall"),
        r.shortfall,
        loyalty_text(o, &r.loyalty),
        voucher.unwrap_or_default()
    )
}

pub fn purchase_line(p: &Purchase) -> String {
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

#[cfg(test)]
mod tests {
    use super::parse_item;

    #[test]
    fn an_item_spec_splits_into_its_three_or_four_parts() {
        let i = parse_item(" Tai nghe ; 1 ; 350000 ; 12 ").unwrap();
        assert_eq!(
            (
                i.product.as_str(),
                i.quantity.as_str(),
                i.unit_price.as_str()
            ),
            ("Tai nghe", "1", "350000")
        );
        assert_eq!(i.warranty_months, Some(12));
        assert_eq!(parse_item("Ốp lưng;2;75000").unwrap().warranty_months, None);
        assert_eq!(
            parse_item("Ốp lưng;2;75000;").unwrap().warranty_months,
            None
        );
        for bad in ["", "X;1", "X;1;2;3;4", "X;1;2;twelve", "X;1;2;-1"] {
            assert!(parse_item(bad).is_err(), "{bad:?}");
        }
    }
}
