//! Staff accounts on the command line. New PINs come from KHACHQUEN_NEW_PIN, never argv,
//! so they stay out of the shell history and the process list.

use super::out::Out;
use crate::i18n::fill;
use clap::Subcommand;
use khachquen_core::staff::{Staff, StaffInput};
use khachquen_core::store::session::Role;
use khachquen_core::{CoreError, Store};
use serde_json::json;

pub const NEW_PIN_VAR: &str = "KHACHQUEN_NEW_PIN";

#[derive(Subcommand)]
pub enum Cmd {
    /// Staff accounts (owner, cashiers) and their PINs
    #[command(subcommand)]
    Staff(StaffCmd),
}

#[derive(Subcommand)]
pub enum StaffCmd {
    /// Add an owner or a cashier; the PIN (4 to 8 digits) is read from KHACHQUEN_NEW_PIN
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["owner", "cashier"], default_value = "cashier")]
        role: String,
    },
    /// Every account, active ones first
    List,
    /// Rename, change the role, or (with --new-pin) set the PIN from KHACHQUEN_NEW_PIN
    Edit {
        /// Staff id or name
        staff: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = ["owner", "cashier"])]
        role: Option<String>,
        /// Take a new PIN from KHACHQUEN_NEW_PIN (this also lifts a lockout)
        #[arg(long)]
        new_pin: bool,
    },
    /// Stop an account from signing in (its history stays)
    Deactivate {
        /// Staff id or name
        staff: String,
    },
    /// Let a deactivated account sign in again
    Reactivate {
        /// Staff id or name
        staff: String,
    },
}

fn new_pin(o: &Out) -> Option<String> {
    let pin = std::env::var(NEW_PIN_VAR).ok().filter(|p| !p.is_empty());
    if pin.is_none() {
        errln!("{}", o.t("cli.staff_new_pin_missing"));
    }
    pin
}

fn find(db: &Store, reference: &str) -> khachquen_core::Result<Staff> {
    let all = db.staff_list()?;
    let r = reference.trim().trim_start_matches('#');
    all.into_iter()
        .find(|s| r.parse::<i64>().ok() == Some(s.id) || s.name.eq_ignore_ascii_case(r))
        .ok_or_else(|| CoreError::StaffNotFound(reference.to_owned()))
}

fn role(o: &Out, r: Role) -> String {
    o.t(match r {
        Role::Owner => "cli.role_owner",
        Role::Cashier => "cli.role_cashier",
    })
}

fn said(o: &Out, key: &str, s: &Staff) -> String {
    let role = role(o, s.role);
    let params = json!({"id": s.id, "name": s.name, "role": role});
    fill(&o.t(key), params.as_object().unwrap_or(&Default::default()))
}

pub fn run(db: &Store, Cmd::Staff(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        StaffCmd::Add { name, role } => {
            let Some(pin) = new_pin(o) else { return Ok(1) };
            let input = StaffInput {
                name,
                role: Some(role),
            };
            let s = db.add_staff(input, &pin)?;
            o.print(&s, || said(o, "cli.staff_added", &s))?;
        }
        StaffCmd::List => {
            let all = db.staff_list()?;
            o.print(&all, || {
                if all.is_empty() {
                    return o.t("cli.staff_none");
                }
                let mut lines = vec![format!(
                    "#\t{}\t{}\t{}\t{}",
                    o.t("cli.col_staff_name"),
                    o.t("cli.col_role"),
                    o.t("cli.col_active"),
                    o.t("cli.col_locked_until")
                )];
                lines.extend(all.iter().map(|s| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}",
                        s.id,
                        s.name,
                        role(o, s.role),
                        o.t(if s.active { "cli.yes" } else { "cli.no" }),
                        s.locked_until
                            .map_or_else(|| "-".into(), |t| t.to_rfc3339())
                    )
                }));
                lines.join("\n")
            })?;
        }
        StaffCmd::Edit {
            staff,
            name,
            role,
            new_pin: wants_pin,
        } => {
            let pin = match wants_pin {
                true => match new_pin(o) {
                    Some(p) => Some(p),
                    None => return Ok(1),
                },
                false => None,
            };
            let current = find(db, &staff)?;
            let input = StaffInput {
                name: name.unwrap_or(current.name),
                role,
            };
            let s = db.update_staff(current.id, input, pin.as_deref())?;
            o.print(&s, || said(o, "cli.staff_updated", &s))?;
        }
        StaffCmd::Deactivate { staff } => {
            let s = db.set_staff_active(find(db, &staff)?.id, false)?;
            o.print(&s, || said(o, "cli.staff_deactivated", &s))?;
        }
        StaffCmd::Reactivate { staff } => {
            let s = db.set_staff_active(find(db, &staff)?.id, true)?;
            o.print(&s, || said(o, "cli.staff_reactivated", &s))?;
        }
    }
    Ok(0)
}
