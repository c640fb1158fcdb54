//! Who is acting: the roles, what each may do, the signed-in session and the app's own
//! scheduled work. [`crate::store::access`] checks them on every call.

use crate::db;
use crate::error::{CoreError, Result};
use crate::store::audit::{NewAuditEntry, Via};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::time::{Duration, Instant};

pub const IDLE_DEFAULT_MINUTES: u32 = 10;
pub const IDLE_MAX_MINUTES: u32 = 240;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Cashier,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Cashier => "cashier",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "cashier" => Ok(Role::Cashier),
            _ => Err(CoreError::RoleInvalid(s.to_owned())),
        }
    }

    pub fn may(self, p: Perm) -> bool {
        match self {
            Role::Owner => true,
            Role::Cashier => matches!(p, Perm::View | Perm::Serve),
        }
    }
}

/// What an action needs. `View` and `Serve` are the counter's work; the rest is the owner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perm {
    /// Read customers, purchases, reminders and reports.
    View,
    /// Add customers, edit contact details, record purchases, redeem points, log
    /// interactions and surveys, complete and snooze reminders.
    Serve,
    ArchiveCustomer,
    MergeCustomers,
    Refund,
    AdjustPoints,
    LoyaltyRules,
    ReminderRules,
    CancelReminder,
    BulkReminders,
    Templates,
    Import,
    Export,
    Backup,
    Restore,
    ManageStaff,
    AuditLog,
    StaffReports,
    Settings,
    /// Scheduled work (expiry, reminders, analytics) started by hand.
    Maintenance,
    Demo,
    /// See the shop's money totals in reports (revenue, basket, CLV of the shop, revenue
    /// per segment); a cashier's reports come without them.
    ShopRevenue,
    /// Voucher programmes, appreciation campaigns and loyalty cards: create, end, issue,
    /// launch, print and read their results (applying a voucher on a bill is `Serve`).
    Promotions,
}

impl Perm {
    pub fn as_str(self) -> &'static str {
        match self {
            Perm::View => "view",
            Perm::Serve => "serve",
            Perm::ArchiveCustomer => "archive_customer",
            Perm::MergeCustomers => "merge_customers",
            Perm::Refund => "refund",
            Perm::AdjustPoints => "adjust_points",
            Perm::LoyaltyRules => "loyalty_rules",
            Perm::ReminderRules => "reminder_rules",
            Perm::CancelReminder => "cancel_reminder",
            Perm::BulkReminders => "bulk_reminders",
            Perm::Templates => "templates",
            Perm::Import => "import",
            Perm::Export => "export",
            Perm::Backup => "backup",
            Perm::Restore => "restore",
            Perm::ManageStaff => "manage_staff",
            Perm::AuditLog => "audit_log",
            Perm::StaffReports => "staff_reports",
            Perm::Settings => "settings",
            Perm::Maintenance => "maintenance",
            Perm::Demo => "demo",
            Perm::ShopRevenue => "shop_revenue",
            Perm::Promotions => "promotions",
        }
    }
}

/// What each of the window's commands needs once staff exist: the one table that the UI's
/// role table (`ui/lib/roles.js`, which hides what a cashier cannot use) and the IPC role
/// matrix are tested against. `None` is the lock screen's own (open to anyone); a cashier
/// may do what needs `View` or `Serve`; the rest is the owner's. Each command's core
/// method makes the check itself (`Store::require`); this table names it for the adapters.
pub const COMMANDS: &[(&str, Option<Perm>)] = &[
    ("app_info", None),
    ("app_startup", None),
    ("app_about", Some(Perm::View)),
    ("app_open_folder", Some(Perm::View)),
    ("logs_export", Some(Perm::View)),
    ("debug_panic", Some(Perm::View)),
    ("settings_get", None),
    ("auth_status", None),
    ("auth_setup", None),
    ("auth_sign_in", None),
    ("auth_lock", None),
    ("demo_create", Some(Perm::Demo)),
    ("demo_leave", Some(Perm::Demo)),
    ("settings_set", Some(Perm::Settings)),
    ("app_reconnect", None),
    ("server_connect", Some(Perm::Settings)),
    ("server_disconnect", Some(Perm::Settings)),
    ("customer_search", Some(Perm::View)),
    ("customer_list", Some(Perm::View)),
    ("customer_tags", Some(Perm::View)),
    ("customer_get", Some(Perm::View)),
    ("customer_add", Some(Perm::Serve)),
    ("customer_update", Some(Perm::Serve)),
    ("customer_archive", Some(Perm::ArchiveCustomer)),
    ("purchase_add", Some(Perm::Serve)),
    ("purchase_keep", Some(Perm::Serve)),
    ("queue_list", Some(Perm::View)),
    ("queue_send", Some(Perm::Serve)),
    ("queue_drop", Some(Perm::Refund)),
    ("loyalty_get", Some(Perm::View)),
    ("loyalty_set", Some(Perm::LoyaltyRules)),
    ("loyalty_set_tiers", Some(Perm::LoyaltyRules)),
    ("purchase_quote", Some(Perm::View)),
    ("purchase_refund", Some(Perm::Refund)),
    ("customer_vouchers", Some(Perm::View)),
    ("card_print", Some(Perm::Promotions)),
    ("program_overview", Some(Perm::Promotions)),
    ("program_add", Some(Perm::Promotions)),
    ("program_end", Some(Perm::Promotions)),
    ("voucher_issue", Some(Perm::Promotions)),
    ("campaign_overview", Some(Perm::Promotions)),
    ("campaign_add", Some(Perm::Promotions)),
    ("campaign_launch", Some(Perm::Promotions)),
    ("points_adjust", Some(Perm::AdjustPoints)),
    ("import_preview", Some(Perm::Import)),
    ("import_run", Some(Perm::Import)),
    ("export_run", Some(Perm::Export)),
    ("backup_create", Some(Perm::Backup)),
    ("backup_list", Some(Perm::View)),
    ("backup_status", Some(Perm::View)),
    ("backup_configure", Some(Perm::Backup)),
    ("backup_verify", Some(Perm::Backup)),
    ("backup_restore", Some(Perm::Restore)),
    ("customer_duplicates", Some(Perm::View)),
    ("customer_merge", Some(Perm::MergeCustomers)),
    ("reminder_today", Some(Perm::View)),
    ("reminder_list", Some(Perm::View)),
    ("reminder_add", Some(Perm::Serve)),
    ("reminder_add_bulk", Some(Perm::BulkReminders)),
    ("reminder_done", Some(Perm::Serve)),
    ("reminder_snooze", Some(Perm::Serve)),
    ("reminder_cancel", Some(Perm::CancelReminder)),
    ("reminder_generate", Some(Perm::Maintenance)),
    ("reminder_rules_get", Some(Perm::View)),
    ("reminder_rules_set", Some(Perm::ReminderRules)),
    ("interaction_add", Some(Perm::Serve)),
    ("survey_add", Some(Perm::Serve)),
    ("customer_care", Some(Perm::View)),
    ("customer_confirm_details", Some(Perm::Serve)),
    ("warranty_list", Some(Perm::View)),
    ("ticket_add", Some(Perm::Serve)),
    ("ticket_set_status", Some(Perm::Serve)),
    ("template_list", Some(Perm::View)),
    ("template_save", Some(Perm::Templates)),
    ("template_delete", Some(Perm::Templates)),
    ("template_render", Some(Perm::View)),
    ("template_preview", Some(Perm::View)),
    ("template_export", Some(Perm::Export)),
    ("report_summary", Some(Perm::View)),
    ("report_churn", Some(Perm::View)),
    ("report_cohorts", Some(Perm::View)),
    ("report_rfm", Some(Perm::View)),
    ("report_lifecycle", Some(Perm::View)),
    ("report_clv", Some(Perm::View)),
    ("report_at_risk", Some(Perm::View)),
    ("report_staff", Some(Perm::StaffReports)),
    ("report_counters", Some(Perm::StaffReports)),
    ("report_export", Some(Perm::Export)),
    ("analytics_refresh", Some(Perm::Maintenance)),
    ("analytics_refresh_stale", Some(Perm::View)),
    ("analytics_get_rules", Some(Perm::View)),
    ("analytics_set_rules", Some(Perm::Settings)),
    ("staff_list", Some(Perm::ManageStaff)),
    ("staff_add", Some(Perm::ManageStaff)),
    ("staff_update", Some(Perm::ManageStaff)),
    ("staff_set_active", Some(Perm::ManageStaff)),
    ("audit_list", Some(Perm::AuditLog)),
    ("audit_verify", Some(Perm::AuditLog)),
    ("reminder_snooze_bulk", Some(Perm::Serve)),
    ("reminder_cancel_bulk", Some(Perm::CancelReminder)),
];

/// What `command` needs, if it is one of [`COMMANDS`]; `Some(None)` for an open one.
pub fn command_permission(command: &str) -> Option<Option<Perm>> {
    COMMANDS
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, p)| *p)
}

/// Who is acting: a staff member, or before staff exist the shop itself, or the app's
/// scheduled work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub staff_id: Option<i64>,
    pub name: String,
    pub role: Role,
    pub via: Via,
    /// The counter (computer) acting, when it has a name: recorded on its bills, reminders
    /// and audit entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
}

/// The actor's name in the audit log before any staff account exists.
pub const NO_STAFF: &str = "owner";
pub const SYSTEM: &str = "system";
/// A refused action with nobody signed in (a locked window, a CLI call without the PIN).
pub const ANONYMOUS: &str = "anonymous";

impl Actor {
    pub(crate) fn unnamed(via: Via) -> Actor {
        Actor {
            staff_id: None,
            name: NO_STAFF.into(),
            role: Role::Owner,
            via,
            counter: None,
        }
    }

    pub fn system() -> Actor {
        Actor {
            staff_id: None,
            name: SYSTEM.into(),
            role: Role::Owner,
            via: Via::System,
            counter: None,
        }
    }

    /// An audit entry made by this actor.
    pub fn entry(&self, action: &str, entity: &str) -> NewAuditEntry {
        let mut e = NewAuditEntry::new(self.name.clone(), self.via, action, entity);
        e.counter = self.counter.clone();
        match self.staff_id {
            Some(id) => e.actor_id(id),
            None => e,
        }
    }

    /// The name recorded on a purchase, reminder or interaction: the signed-in staff
    /// member, whatever the caller claimed; before staff exist, what the caller gave.
    pub fn attribution(&self, claimed: Option<&str>) -> Option<String> {
        match self.staff_id {
            Some(_) => Some(self.name.clone()),
            None => claimed
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        }
    }
}

/// The store's session: who is signed in through this interface, and since when idle.
pub(crate) struct Session {
    pub(crate) via: Via,
    pub(crate) actor: Option<Actor>,
    pub(crate) last_active: Instant,
    pub(crate) idle: Duration,
    /// This counter's name, given by the app (store::access::set_counter).
    pub(crate) counter: Option<String>,
}

impl Session {
    pub(crate) fn new() -> Session {
        Session {
            via: Via::Cli,
            actor: None,
            last_active: Instant::now(),
            idle: idle_duration(IDLE_DEFAULT_MINUTES),
            counter: None,
        }
    }
}

pub(crate) fn idle_duration(minutes: u32) -> Duration {
    Duration::from_secs(u64::from(minutes) * 60)
}

thread_local! {
    pub(crate) static AS_SYSTEM: Cell<bool> = const { Cell::new(false) };
}

internal! {
    /// Run `f` as the app's own scheduled work: allowed everything, audited as "system".
    /// Only core's own entry points (the hourly pass, the demo, a stale score refresh) use
    /// it; the app asks for that work through them.
    fn as_system<T>(f: impl FnOnce() -> T) -> T {
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                AS_SYSTEM.with(|s| s.set(self.0));
            }
        }
        let _reset = Reset(AS_SYSTEM.with(|s| s.replace(true)));
        f()
    }
}

/// The idle lock setting, in minutes.
pub(crate) fn idle_minutes<'a>(conn: impl Into<db::Conn<'a>>) -> Result<u32> {
    Ok(db::settings::get(conn, "idle_lock_minutes")?
        .and_then(|v| v.parse().ok())
        .filter(|m| (1..=IDLE_MAX_MINUTES).contains(m))
        .unwrap_or(IDLE_DEFAULT_MINUTES))
}

pub(crate) fn parse_idle_minutes(value: &str) -> Result<u32> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=IDLE_MAX_MINUTES).contains(m))
        .ok_or_else(|| CoreError::IdleLockInvalid(value.to_owned()))
}
