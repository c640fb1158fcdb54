//! The audit log as the owner reads it: the viewer's pages with names resolved, and the
//! chain check with the anchor. The recorder and the chain itself are in
//! [`crate::store::audit`].

use crate::db;
use crate::db::audit::{AuditRow, Where};
use crate::error::{CoreError, Result};
use crate::store::audit::{record, verify, AuditEntry, AuditVerify, NewAuditEntry};
use crate::store::session::Perm;
use crate::store::settings::timezone;
use crate::store::Store;
use crate::time;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A page of the viewer when the caller names no limit, and the most one page may hold.
const PAGE_DEFAULT: u32 = 100;
const PAGE_MAX: u32 = 1000;

/// The viewer's filters; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFilter {
    /// The actor's name (case-insensitive).
    pub staff: Option<String>,
    /// The actor's staff account id.
    pub actor_id: Option<i64>,
    /// An action ("customer.update"), or everything under a prefix ("customer").
    pub action: Option<String>,
    /// This customer, including entries about customers merged into it.
    pub customer_id: Option<i64>,
    /// From this shop-local day (YYYY-MM-DD) or instant.
    pub since: Option<String>,
    /// Up to and including this shop-local day (YYYY-MM-DD) or instant.
    pub until: Option<String>,
    /// Only entries written at this counter.
    pub counter: Option<String>,
    /// Entries per page (default 100, at most 1000).
    pub limit: Option<u32>,
    pub offset: u32,
}

/// One page of entries, newest first, and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub total: i64,
    pub entries: Vec<AuditEntry>,
}

fn parse_json(s: Option<String>) -> Option<Value> {
    s.map(|s| serde_json::from_str(&s).unwrap_or(Value::String(s)))
}

fn entry_from(r: AuditRow) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: time::from_unix(r.at),
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        via: r.via,
        action: r.action,
        entity: r.entity,
        entity_id: r.entity_id,
        customer_id: r.customer_id,
        before: parse_json(r.before_json),
        after: parse_json(r.after_json),
        prev_hash: r.prev_hash,
        hash: r.hash,
        counter: r.counter,
        customer_name: None,
        entity_name: None,
    }
}

/// The id an entry's `entity_id` names, when its entity is a customer or a staff member.
fn entity_key(e: &AuditEntry, entity: &str) -> Option<i64> {
    (e.entity == entity)
        .then(|| e.entity_id.as_deref()?.parse().ok())
        .flatten()
}

/// Fill in the names the viewer shows instead of "#4066": from the customers and staff
/// tables, else (a template since deleted) the `name` the entry's own data recorded.
fn resolve_names(conn: db::Conn, entries: &mut [AuditEntry]) -> Result<()> {
    let mut customers: Vec<i64> = entries
        .iter()
        .flat_map(|e| [e.customer_id, entity_key(e, "customer")])
        .flatten()
        .collect();
    customers.sort_unstable();
    customers.dedup();
    let mut staff: Vec<i64> = entries
        .iter()
        .filter_map(|e| entity_key(e, "staff"))
        .collect();
    staff.sort_unstable();
    staff.dedup();
    let customers = db::audit::customer_names(conn, &customers)?;
    let staff = db::audit::staff_names(conn, &staff)?;
    for e in entries.iter_mut() {
        e.customer_name = e.customer_id.and_then(|id| customers.get(&id).cloned());
        let recorded = || {
            [&e.after, &e.before]
                .into_iter()
                .find_map(|v| v.as_ref()?.get("name")?.as_str().map(str::to_owned))
        };
        e.entity_name = match e.entity.as_str() {
            "customer" => entity_key(e, "customer").and_then(|id| customers.get(&id).cloned()),
            "staff" => entity_key(e, "staff").and_then(|id| staff.get(&id).cloned()),
            _ => None,
        }
        .or_else(|| {
            matches!(e.entity.as_str(), "customer" | "staff" | "template")
                .then(recorded)
                .flatten()
        });
    }
    Ok(())
}

/// A day (YYYY-MM-DD, shop-local) or an instant; `end` gives the first second after it.
fn bound(key: &str, s: &str, tz: Tz, end: bool) -> Result<i64> {
    let bad = || CoreError::FilterInvalid {
        key: key.to_owned(),
        value: s.to_owned(),
    };
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let d = if end {
            d.succ_opt().ok_or_else(bad)?
        } else {
            d
        };
        return Ok(time::day_start(d, tz));
    }
    let at = time::parse_instant(t, tz).map_err(|_| bad())?;
    Ok(if end { at + 1 } else { at })
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn resolve(conn: db::Conn, f: &AuditFilter) -> Result<Where> {
    let tz = timezone(conn)?;
    Ok(Where {
        actor_name: non_empty(&f.staff).map(str::to_owned),
        actor_id: f.actor_id,
        action: non_empty(&f.action).map(str::to_owned),
        customer_id: f.customer_id,
        since: non_empty(&f.since)
            .map(|s| bound("since", s, tz, false))
            .transpose()?,
        until: non_empty(&f.until)
            .map(|s| bound("until", s, tz, true))
            .transpose()?,
        counter: non_empty(&f.counter).map(str::to_owned),
    })
}

impl Store {
    internal! {
        /// Append one entry in a transaction of its own, with any actor and time: tests
        /// forge and replay entries with it. The app records each change with [`record`]
        /// inside the change's own transaction.
        fn audit_append(&self, e: &NewAuditEntry) -> Result<i64> {
            self.write_any(|conn| record(conn, e))
        }
    }

    /// One page of the log, newest first, with the number of entries matching `f`.
    pub fn audit_list(&self, f: &AuditFilter) -> Result<AuditPage> {
        self.require(Perm::AuditLog)?;
        self.read(|conn| {
            let w = resolve(conn, f)?;
            let limit = f.limit.unwrap_or(PAGE_DEFAULT).min(PAGE_MAX);
            let (total, rows) = db::audit::list(conn, &w, limit, f.offset)?;
            let mut entries: Vec<AuditEntry> = rows.into_iter().map(entry_from).collect();
            resolve_names(conn, &mut entries)?;
            Ok(AuditPage { total, entries })
        })
    }

    /// Walk the whole chain (on the reports' reader, in one read snapshot) and name the
    /// first broken entry.
    pub fn audit_verify(&self) -> Result<AuditVerify> {
        self.require(Perm::AuditLog)?;
        if self.on_server() {
            return self.read(|conn| match conn {
                db::Conn::Pg(link) => crate::store::audit::verify_server(link),
                db::Conn::Lite(_) => Err(CoreError::Internal("a server's store".into())),
            });
        }
        let mut conn = self.report_reader()?;
        let tx = conn.transaction()?;
        let mut v = verify(&tx)?;
        // Bring the anchor up to this snapshot first: it only ever moves forward over an
        // intact log (or to this process's restore), so this hides nothing.
        self.sealer()?.follow(&tx)?;
        self.sealer()?.compare_anchor(&tx, &mut v)?;
        tx.finish()?;
        Ok(v)
    }
}
