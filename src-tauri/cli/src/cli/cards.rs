//! Loyalty cards on the command line: numbers, and a PDF sheet to print.

use super::care::parse_filters;
use super::out::Out;
use clap::Subcommand;
use khachquen_core::Store;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Cmd {
    /// Loyalty card numbers and printable card sheets
    #[command(subcommand)]
    Card(CardCmd),
}

#[derive(Subcommand)]
pub enum CardCmd {
    /// Give card numbers to a customer or a list (who has one keeps it)
    Assign {
        #[arg(value_name = "REF")]
        customer: Option<String>,
        /// key=value, as for bulk messages
        #[arg(long = "filter", value_name = "KEY=VALUE")]
        filters: Vec<String>,
    },
    /// Set a customer's own card number (a pre-printed card), or --clear it
    Set {
        #[arg(value_name = "REF")]
        customer: String,
        number: Option<String>,
        #[arg(long, conflicts_with = "number")]
        clear: bool,
    },
    /// A PDF sheet of 85.6 × 54 mm cards (10 per A4 page) for a customer or a list
    Print {
        /// The PDF to write
        file: PathBuf,
        #[arg(long, value_name = "REF")]
        customer: Option<String>,
        #[arg(long = "filter", value_name = "KEY=VALUE")]
        filters: Vec<String>,
    },
}

pub fn run(db: &Store, Cmd::Card(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        CardCmd::Assign { customer, filters } => {
            let r = db.assign_cards(customer.as_deref(), &parse_filters(&filters)?)?;
            o.print(&r, || {
                o.t("cli.cards_assigned")
                    .replace("{assigned}", &r.assigned.to_string())
                    .replace("{customers}", &r.customers.to_string())
            })?;
        }
        CardCmd::Set {
            customer,
            number,
            clear,
        } => {
            let id = db.resolve_customer(&customer)?;
            let number = if clear { None } else { number };
            if number.is_none() && !clear {
                return Err(khachquen_core::CoreError::CardInvalid(String::new()));
            }
            let c = db.set_card_number(id, number.as_deref())?;
            o.print(&c, || c.card_no.clone().unwrap_or_else(|| "—".into()))?;
        }
        CardCmd::Print {
            file,
            customer,
            filters,
        } => {
            let r = db.print_cards(
                customer.as_deref(),
                &parse_filters(&filters)?,
                &file,
                &o.t("cards.label"),
            )?;
            o.print(&r, || {
                o.t("cli.cards_printed")
                    .replace("{cards}", &r.cards.to_string())
                    .replace("{pages}", &r.pages.to_string())
                    .replace("{path}", &r.path)
            })?;
        }
    }
    Ok(0)
}
