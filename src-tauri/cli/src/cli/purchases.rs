//! Purchases on the command line: record, refund and list.

use super::loyalty::loyalty_text;
use super::out::{lines, Out};
use clap::Subcommand;
use khachquen_core::model::{ItemInput, Purchase, PurchaseInput, PurchaseResult, RefundResult};
use khachquen_core::{limits, CoreError, Store};

#[derive(Subcommand)]
pub enum Cmd {
    /// Record and list purchases
    #[command(subcommand)]
    Purchase(PurchaseCmd),
}

#[derive(Subcommand)]
pub enum PurchaseCmd {
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
        /// A voucher code: taken off first, points then pay on what remains
        #[arg(long, value_name = "CODE")]
        voucher: Option<String>,
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
        #[arg(long, default_value_t = limits::PURCHASE_ROWS)]
        limit: u32,
    },
}

pub fn run(db: &Store, Cmd::Purchase(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
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
            voucher,
        } => {
            let customer_id = db.resolve_customer(&customer)?;
            let items = items
                .iter()
                .map(|s| parse_item(s))
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
                voucher,
            })?;
            o.print(&r, || purchase_text(o, &r))?;
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
