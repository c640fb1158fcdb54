//! The audit log on the command line: list with filters, verify the chain and its seals.

use super::out::Out;
use clap::Subcommand;
use khachquen_core::staff::audit::AuditFilter;
use khachquen_core::store::audit::AuditEntry;
use khachquen_core::Store;

#[derive(Subcommand)]
pub enum Cmd {
    /// The audit log: who changed what, and a check that nobody edited it
    #[command(subcommand)]
    Audit(AuditCmd),
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Entries, newest first
    List {
        /// Only this staff member's entries (their name)
        #[arg(long, value_name = "NAME")]
        staff: Option<String>,
        /// Only this action (customer.update), or all under a prefix (customer)
        #[arg(long)]
        action: Option<String>,
        /// Only entries about this customer (id, phone or code)
        #[arg(long, value_name = "REF")]
        customer: Option<String>,
        /// From this day (YYYY-MM-DD, shop time)
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        /// Up to and including this day (YYYY-MM-DD, shop time)
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: Option<String>,
        /// Only entries written at this counter
        #[arg(long, value_name = "NAME")]
        at_counter: Option<String>,
        /// At most this many entries (default: 100; at most 1000)
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Walk the hash chain and check the seals against the key and anchor outside the
    /// database; exit 1 naming the first problem
    Verify,
}

fn entry_line(o: &Out, e: &AuditEntry) -> String {
    let mut what = e.entity.clone();
    if let Some(id) = &e.entity_id {
        what = format!("{what} #{id}");
    }
    if let Some(c) = e.customer_id.filter(|_| e.entity != "customer") {
        what = format!("{what} ({} #{c})", o.t("cli.audit_customer"));
    }
    format!(
        "#{}\t{}\t{} ({})\t{}\t{}",
        e.id,
        e.at.to_rfc3339(),
        e.actor_name,
        e.via,
        e.action,
        what
    )
}

pub fn run(db: &Store, Cmd::Audit(cmd): Cmd, o: &Out) -> khachquen_core::Result<i32> {
    match cmd {
        AuditCmd::List {
            staff,
            action,
            customer,
            since,
            until,
            at_counter,
            limit,
            offset,
        } => {
            let customer_id = customer.map(|c| db.resolve_customer(&c)).transpose()?;
            let page = db.audit_list(&AuditFilter {
                staff,
                action,
                customer_id,
                since,
                until,
                counter: at_counter,
                limit,
                offset,
                ..Default::default()
            })?;
            o.print(&page, || {
                if page.entries.is_empty() {
                    return o.t("cli.audit_none");
                }
                let mut lines = vec![format!("{}: {}", o.t("cli.audit_total"), page.total)];
                lines.extend(page.entries.iter().map(|e| entry_line(o, e)));
                lines.join("\n")
            })?;
        }
        AuditCmd::Verify => {
            let v = db.audit_verify()?;
            o.print(&v, || {
                if !v.ok {
                    return String::new();
                }
                let mut s = format!(
                    "{} ({} {})",
                    o.t("cli.audit_intact"),
                    v.entries,
                    o.t("cli.audit_entries")
                );
                if let Some(h) = &v.last_hash {
                    s.push_str(&format!("\n{}: {h}", o.t("cli.audit_last_hash")));
                }
                if let Some(h) = &v.head {
                    s.push_str(&format!(
                        "\n{}: #{} {}",
                        o.t("cli.audit_head"),
                        h.id,
                        h.fingerprint
                    ));
                }
                s
            })?;
            if let Some(e) = v.error() {
                return Ok(super::fail(o.lang, &e));
            }
        }
    }
    Ok(0)
}
