//! Staff accounts, PINs, signing in and the first run. Roles, the session and the check
//! every method makes are in [`crate::store::session`] and [`crate::store::access`].
//!
//! Every changing method of [`Store`] starts with [`Store::require`], so a cashier's session
//! is refused the owner's work however the call arrives (window, IPC, CLI). Before any staff
//! account exists nothing is locked: the first run creates the owner, and the CLI works as
//! it always did. Once staff exist:
//! - the window needs a signed-in session, which locks itself after the idle time;
//! - the CLI needs the owner's PIN for anything that changes or exports data;
//! - the app's own scheduled work runs in [`crate::store::session::as_system`].
//!
//! A refused action changes nothing and is written to the audit log as `auth.denied`.

pub mod audit;

use crate::db;
use crate::db::staff::StaffRow;
use crate::error::{CoreError, Result};
use crate::store::audit::{record, snapshot, Via};
use crate::store::session::{idle_duration, idle_minutes, Actor, Perm, Role};
use crate::store::Store;
use crate::time;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Instant;

/// Wrong PINs in a row before an account locks.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_SECS: i64 = 5 * 60;
const NAME_MAX: usize = 60;

/// One staff account as the owner's staff screen and `staff list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// Set while five wrong PINs keep the account locked.
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A name on the lock screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// What the window needs before anything else: set up, locked, or who is signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// No staff account yet: the first run asks for the owner's name and PIN.
    pub needs_setup: bool,
    /// Active accounts, for the lock screen.
    pub staff: Vec<Badge>,
    pub current: Option<Actor>,
    pub idle_lock_minutes: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffInput {
    pub name: String,
    pub role: Option<String>,
}

fn valid_pin(pin: &str) -> Result<()> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CoreError::PinInvalid)
    }
}

fn hash_pin(pin: &str) -> Result<String> {
    valid_pin(pin)?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(e.to_string()))
}

fn pin_matches(pin: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn valid_name(name: &str) -> Result<String> {
    use crate::text::{clean_name, NameFault};
    let n = clean_name(name).map_err(|f| match f {
        NameFault::Empty => CoreError::StaffNameInvalid,
        NameFault::Invisible => CoreError::NameInvisible,
        NameFault::Control => CoreError::NameControl,
    })?;
    if n.chars().count() > NAME_MAX {
        return Err(CoreError::StaffNameInvalid);
    }
    Ok(n)
}

fn role_of(r: &StaffRow) -> Role {
    Role::parse(&r.role).unwrap_or(Role::Cashier)
}

fn actor_of(r: &StaffRow, via: Via) -> Actor {
    Actor {
        staff_id: Some(r.id),
        name: r.name.clone(),
        role: role_of(r),
        via,
        counter: None,
    }
}

fn staff_of(r: &StaffRow) -> Staff {
    let now = time::now();
    Staff {
        id: r.id,
        name: r.name.clone(),
        role: role_of(r),
        active: r.active,
        locked_until: r.locked_until.filter(|&t| t > now).map(time::from_unix),
        created_at: time::from_unix(r.created_at),
    }
}

fn load<'a>(conn: impl Into<db::Conn<'a>>, id: i64) -> Result<StaffRow> {
    db::staff::get(conn, id)?.ok_or_else(|| CoreError::StaffNotFound(id.to_string()))
}

fn name_free(conn: db::Conn, name: &str, except: Option<i64>) -> Result<()> {
    match db::staff::id_by_name(conn, name)? {
        Some(other) if Some(other) != except => Err(CoreError::StaffNameTaken(name.to_owned())),
        _ => Ok(()),
    }
}

fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now) + 59) / 60
}

/// One PIN check paid for in advance: the attempt was counted (and, for the last one
/// allowed, the lock set) in a write transaction before the hash runs, so however many
/// processes guess at once, at most [`MAX_ATTEMPTS`] PINs are ever checked per lock period.
struct Ticket {
    id: i64,
    pin_hash: String,
    /// 1 ..= MAX_ATTEMPTS within the current lock period.
    attempt: i64,
    /// Set when this attempt was the last one allowed and locked the account.
    locked_until: Option<i64>,
}

/// Count an attempt on `r`, or refuse it while the account is locked. Call inside a write
/// transaction (BEGIN IMMEDIATE) on a freshly read row.
fn reserve(conn: db::Conn, r: &StaffRow, now: i64) -> Result<Ticket> {
    if let Some(until) = r.locked_until.filter(|&t| t > now) {
        return Err(CoreError::AccountLocked {
            minutes: minutes_left(until, now),
        });
    }
    // An expired lock starts a new period.
    let used = if r.locked_until.is_some() {
        0
    } else {
        r.failed_attempts.max(0)
    };
    let attempt = used + 1;
    let locked_until = (attempt >= MAX_ATTEMPTS).then_some(now + LOCKOUT_SECS);
    let count = if locked_until.is_some() { 0 } else { attempt };
    db::staff::set_attempts(conn, r.id, count, locked_until)?;
    Ok(Ticket {
        id: r.id,
        pin_hash: r.pin_hash.clone(),
        attempt,
        locked_until,
    })
}

/// Give an attempt back (a PIN reserved against several owners matched another one).
fn release(conn: db::Conn, t: &Ticket) -> Result<()> {
    let r = load(conn, t.id)?;
    match t.locked_until {
        Some(until) if r.locked_until == Some(until) => {
            db::staff::set_attempts(conn, t.id, MAX_ATTEMPTS - 1, None)
        }
        Some(_) => Ok(()),
        None if r.locked_until.is_none() && r.failed_attempts > 0 => {
            db::staff::set_attempts(conn, t.id, r.failed_attempts - 1, None)
        }
        None => Ok(()),
    }
}

/// Audit one wrong PIN (already counted by [`reserve`]); the error to show.
fn failed_attempt(conn: db::Conn, t: &Ticket, who: &Actor, now: i64) -> Result<CoreError> {
    match t.locked_until {
        Some(until) => {
            record(
                conn,
                &who.entry("auth.lockout", "staff")
                    .entity_id(t.id)
                    .after(json!({"attempts": t.attempt, "locked_until": time::from_unix(until)})),
            )?;
            Ok(CoreError::AccountLocked {
                minutes: minutes_left(until, now),
            })
        }
        None => {
            record(
                conn,
                &who.entry("auth.failed", "staff")
                    .entity_id(t.id)
                    .after(json!({"attempts": t.attempt})),
            )?;
            Ok(CoreError::PinWrong {
                left: MAX_ATTEMPTS - t.attempt,
            })
        }
    }
}

impl Store {
    pub fn session_info(&self) -> Result<SessionInfo> {
        let (needs_setup, staff, idle_lock_minutes) = self.read(|conn| {
            let staff = db::staff::all(conn)?
                .iter()
                .filter(|r| r.active)
                .map(|r| Badge {
                    id: r.id,
                    name: r.name.clone(),
                    role: role_of(r),
                })
                .collect::<Vec<_>>();
            Ok((!db::staff::any(conn)?, staff, idle_minutes(conn)?))
        })?;
        Ok(SessionInfo {
            needs_setup,
            staff,
            current: if needs_setup {
                None
            } else {
                self.current_actor()
            },
            idle_lock_minutes,
        })
    }

    fn open_session(&self, r: &StaffRow, idle: u32) -> Actor {
        let mut s = self.session();
        let actor = actor_of(r, s.via);
        s.actor = Some(actor.clone());
        s.last_active = Instant::now();
        s.idle = idle_duration(idle);
        actor
    }

    /// Sign in here as `actor` is signed in on another shop file holding a copy of this
    /// account (the demo shop beside the real one). Refused unless the same active account,
    /// with the same name and role, is here.
    pub fn carry_session(&self, actor: &Actor) -> Result<Actor> {
        let id = actor
            .staff_id
            .ok_or_else(|| CoreError::StaffNotFound(actor.name.clone()))?;
        let (row, idle) = {
            let conn = self.reader()?;
            (load(&conn, id)?, idle_minutes(&conn)?)
        };
        if !row.active || row.name != actor.name || role_of(&row) != actor.role {
            return Err(CoreError::StaffNotFound(actor.name.clone()));
        }
        Ok(self.open_session(&row, idle))
    }

    /// The first run: create the owner account and sign in. Refused once any account exists.
    pub fn setup_owner(&self, name: &str, pin: &str) -> Result<Actor> {
        self.setup_shop(None, name, pin)
    }

    /// The first run with the shop's name: both, or neither, are saved.
    pub fn setup_shop(&self, shop_name: Option<&str>, name: &str, pin: &str) -> Result<Actor> {
        let shop_name = shop_name
            .map(crate::store::settings::valid_shop_name)
            .transpose()?;
        let name = valid_name(name)?;
        let hash = hash_pin(pin)?;
        let via = self.session().via;
        let (row, idle) = self.write_any(|conn| {
            db::staff::hold_all(conn)?;
            if db::staff::any(conn)? {
                return Err(CoreError::StaffSetupDone);
            }
            if let Some(shop) = &shop_name {
                db::settings::set(conn, "shop_name", shop)?;
            }
            let id = db::staff::insert(conn, &name, Role::Owner.as_str(), &hash, time::now())?;
            let row = load(conn, id)?;
            let actor = actor_of(&row, via);
            let mut after = snapshot(&staff_of(&row))?;
            if let (Some(shop), Some(obj)) = (&shop_name, after.as_object_mut()) {
                obj.insert("shop_name".into(), shop.clone().into());
            }
            record(
                conn,
                &actor
                    .entry("staff.setup", "staff")
                    .entity_id(id)
                    .after(after),
            )?;
            Ok((row, idle_minutes(conn)?))
        })?;
        Ok(self.open_session(&row, idle))
    }

    /// Sign in with a PIN (the lock screen: tap your name, type your PIN).
    pub fn sign_in(&self, staff_id: i64, pin: &str) -> Result<Actor> {
        let via = self.session().via;
        let now = time::now();
        let ticket = self.write_any(|conn| {
            let r = load(conn, staff_id)?;
            if !r.active {
                return Err(CoreError::StaffInactive(r.name));
            }
            reserve(conn, &r, now)
        })?;
        // The slow hash runs outside the writer lock: the counter keeps selling meanwhile.
        let ok = pin_matches(pin, &ticket.pin_hash);
        self.settle(&[(ticket, ok)], via, now)
    }

    /// Record how the reserved attempts came out, in one write transaction: a right PIN
    /// signs in and clears the count; each wrong one is audited (it was counted already).
    fn settle(&self, outcomes: &[(Ticket, bool)], via: Via, now: i64) -> Result<Actor> {
        let hit = outcomes.iter().find(|(_, ok)| *ok).map(|(t, _)| t);
        let (outcome, idle) = self.write_any(|conn| {
            let idle = idle_minutes(conn)?;
            if let Some(t) = hit {
                let id = t.id;
                let r = load(conn, id)?;
                // Deactivated, or given a new PIN, while the hash ran: the PIN checked is
                // no longer the account's, so nobody signs in with it.
                if !r.active {
                    return Ok((Err(CoreError::StaffInactive(r.name)), idle));
                }
                if r.pin_hash != t.pin_hash {
                    let left = (MAX_ATTEMPTS - r.failed_attempts).clamp(0, MAX_ATTEMPTS);
                    return Ok((Err(CoreError::PinWrong { left }), idle));
                }
                // Within the attempts this period allows, so it clears the count and any
                // lock its own or a later reservation set.
                db::staff::set_attempts(conn, id, 0, None)?;
                // Other owners this PIN was reserved against get their attempt back.
                for (t, _) in outcomes.iter().filter(|(t, _)| t.id != id) {
                    release(conn, t)?;
                }
                // Every CLI command signs in: its own entry already names the owner and "cli".
                if via != Via::Cli {
                    let who = actor_of(&r, via);
                    record(conn, &who.entry("auth.sign_in", "staff").entity_id(id))?;
                }
                return Ok((Ok(r), idle));
            }
            let mut errors = Vec::new();
            for (t, _) in outcomes {
                let who = actor_of(&load(conn, t.id)?, via);
                errors.push(failed_attempt(conn, t, &who, now)?);
            }
            let worst = errors
                .into_iter()
                .min_by_key(|e| match e {
                    CoreError::PinWrong { left } => *left,
                    _ => 0,
                })
                .unwrap_or(CoreError::PinRequired);
            Ok((Err(worst), idle))
        })?;
        outcome.map(|r| self.open_session(&r, idle))
    }

    /// The CLI: sign in as whichever active owner has this PIN. A wrong PIN counts against
    /// every active owner, since it was tried on each.
    pub fn sign_in_owner(&self, pin: &str) -> Result<Actor> {
        let via = self.session().via;
        let now = time::now();
        let tickets = self.write_any(|conn| {
            let owners: Vec<StaffRow> = db::staff::all(conn)?
                .into_iter()
                .filter(|r| r.active && role_of(r) == Role::Owner)
                .collect();
            let mut tickets = Vec::new();
            let mut locked: Option<i64> = None;
            for r in &owners {
                match reserve(conn, r, now) {
                    Ok(t) => tickets.push(t),
                    Err(CoreError::AccountLocked { minutes }) => {
                        locked = Some(locked.map_or(minutes, |m| m.min(minutes)));
                    }
                    Err(e) => return Err(e),
                }
            }
            if tickets.is_empty() {
                return Err(match locked {
                    Some(minutes) => CoreError::AccountLocked { minutes },
                    None => CoreError::PinRequired,
                });
            }
            Ok(tickets)
        })?;
        let outcomes: Vec<(Ticket, bool)> = tickets
            .into_iter()
            .map(|t| {
                let ok = pin_matches(pin, &t.pin_hash);
                (t, ok)
            })
            .collect();
        self.settle(&outcomes, via, now)
    }

    pub fn staff_list(&self) -> Result<Vec<Staff>> {
        self.require(Perm::ManageStaff)?;
        Ok(self
            .read(|c| db::staff::all(c))?
            .iter()
            .map(staff_of)
            .collect())
    }

    /// Add an account. Before any exists, only an owner may be first.
    pub fn add_staff(&self, input: StaffInput, pin: &str) -> Result<Staff> {
        let actor = self.require(Perm::ManageStaff)?;
        let name = valid_name(&input.name)?;
        let role = Role::parse(input.role.as_deref().unwrap_or("cashier"))?;
        let hash = hash_pin(pin)?;
        self.write_any(|conn| {
            db::staff::hold_all(conn)?;
            if role != Role::Owner && db::staff::active_owners(conn)? == 0 {
                return Err(CoreError::StaffFirstOwner);
            }
            name_free(conn, &name, None)?;
            let id = db::staff::insert(conn, &name, role.as_str(), &hash, time::now())?;
            let s = staff_of(&load(conn, id)?);
            record(
                conn,
                &actor
                    .entry("staff.add", "staff")
                    .entity_id(id)
                    .after(snapshot(&s)?),
            )?;
            Ok(s)
        })
    }

    /// Rename, change role, or set a new PIN (which also lifts a lockout).
    pub fn update_staff(&self, id: i64, input: StaffInput, new_pin: Option<&str>) -> Result<Staff> {
        let actor = self.require(Perm::ManageStaff)?;
        let name = valid_name(&input.name)?;
        let hash = new_pin.map(hash_pin).transpose()?;
        self.write_any(|conn| {
            db::staff::hold_all(conn)?;
            let before_row = load(conn, id)?;
            let before = staff_of(&before_row);
            let role = match input.role.as_deref() {
                Some(r) => Role::parse(r)?,
                None => before.role,
            };
            name_free(conn, &name, Some(id))?;
            if before.active
                && before.role == Role::Owner
                && role != Role::Owner
                && db::staff::active_owners(conn)? <= 1
            {
                return Err(CoreError::StaffLastOwner);
            }
            let now = time::now();
            db::staff::update(conn, id, &name, role.as_str(), now)?;
            if let Some(h) = &hash {
                db::staff::set_pin(conn, id, h, now)?;
            }
            let after = staff_of(&load(conn, id)?);
            let mut after_json = snapshot(&after)?;
            if hash.is_some() {
                after_json["pin_changed"] = json!(true);
            }
            record(
                conn,
                &actor
                    .entry("staff.update", "staff")
                    .entity_id(id)
                    .before(snapshot(&before)?)
                    .after(after_json),
            )?;
            Ok(after)
        })
        .inspect(|s| self.refresh_session_of(s))
    }

    /// Deactivate (or reactivate) an account. The last active owner stays.
    pub fn set_staff_active(&self, id: i64, active: bool) -> Result<Staff> {
        let actor = self.require(Perm::ManageStaff)?;
        self.write_any(|conn| {
            db::staff::hold_all(conn)?;
            let before = staff_of(&load(conn, id)?);
            if before.active
                && !active
                && before.role == Role::Owner
                && db::staff::active_owners(conn)? <= 1
            {
                return Err(CoreError::StaffLastOwner);
            }
            db::staff::set_active(conn, id, active, time::now())?;
            let after = staff_of(&load(conn, id)?);
            let action = if active {
                "staff.reactivate"
            } else {
                "staff.deactivate"
            };
            record(
                conn,
                &actor
                    .entry(action, "staff")
                    .entity_id(id)
                    .before(snapshot(&before)?)
                    .after(snapshot(&after)?),
            )?;
            Ok(after)
        })
        .inspect(|s| self.refresh_session_of(s))
    }

    /// The signed-in account was edited: a new name or role applies now, deactivation
    /// signs it out.
    fn refresh_session_of(&self, s: &Staff) {
        let mut sess = self.session();
        if sess.actor.as_ref().and_then(|a| a.staff_id) == Some(s.id) {
            if s.active {
                if let Some(a) = sess.actor.as_mut() {
                    a.name = s.name.clone();
                    a.role = s.role;
                }
            } else {
                sess.actor = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomerInput, PurchaseInput};
    use crate::staff::audit::AuditFilter;
    use crate::store::session::as_system;
    use std::time::Duration;

    fn shop() -> (Store, i64) {
        let s = Store::open_in_memory().unwrap();
        s.set_interface(Via::Window);
        s.setup_owner("Chị Lan", "1234").unwrap();
        let cashier = s
            .add_staff(
                StaffInput {
                    name: "Minh".into(),
                    role: Some("cashier".into()),
                },
                "1111",
            )
            .unwrap();
        (s, cashier.id)
    }

    fn customer(s: &Store) -> i64 {
        s.add_customer(CustomerInput {
            name: Some("Nguyễn Văn An".into()),
            phone: Some("0912345678".into()),
            ..Default::default()
        })
        .unwrap()
        .id
    }

    fn actions(s: &Store) -> Vec<String> {
        as_system(|| s.audit_list(&AuditFilter::default()))
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    #[test]
    fn pins_are_hashed_and_checked_for_shape() {
        let s = Store::open_in_memory().unwrap();
        for bad in ["123", "123456789", "12a4", ""] {
            assert!(matches!(
                s.setup_owner("Lan", bad),
                Err(CoreError::PinInvalid)
            ));
        }
        s.setup_owner("Lan", "20261123").unwrap();
        let row = db::staff::all(&s.reader().unwrap()).unwrap().remove(0);
        assert!(row.pin_hash.starts_with("$argon2id$"), "{}", row.pin_hash);
        assert!(!row.pin_hash.contains("20261123"));
        assert!(matches!(
            s.setup_owner("Other", "5555"),
            Err(CoreError::StaffSetupDone)
        ));
    }

    #[test]
    fn a_cashier_serves_but_is_refused_the_owners_work_and_the_refusal_is_logged() {
        let (s, cashier) = shop();
        let id = customer(&s);
        s.lock();
        s.sign_in(cashier, "1111").unwrap();
        let r = s
            .add_purchase(PurchaseInput {
                customer_id: id,
                amount: "120000".into(),
                staff: Some("somebody else".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(r.purchase.staff.as_deref(), Some("Minh"), "attributed");
        let before = s.customer(id).unwrap();
        match s.archive_customer(id) {
            Err(CoreError::Forbidden { permission, role }) => {
                assert_eq!((permission, role), ("archive_customer", "cashier"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.customer(id).unwrap(), before, "nothing changed");
        assert!(matches!(
            s.refund(r.purchase.id, None, None),
            Err(CoreError::Forbidden { .. })
        ));
        assert!(matches!(
            s.adjust_points(id, 50, "gift", None),
            Err(CoreError::Forbidden { .. })
        ));
        assert!(matches!(
            s.audit_list(&AuditFilter::default()),
            Err(CoreError::Forbidden { .. })
        ));
        let log = actions(&s);
        assert_eq!(log.iter().filter(|a| *a == "auth.denied").count(), 4);
        assert!(log.contains(&"purchase.add".to_string()));
        let page = as_system(|| {
            s.audit_list(&AuditFilter {
                action: Some("purchase.add".into()),
                ..Default::default()
            })
        })
        .unwrap();
        assert_eq!(page.entries[0].actor_name, "Minh");
        assert_eq!(page.entries[0].actor_id, Some(cashier));
        assert_eq!(page.entries[0].via, "window");
    }

    #[test]
    fn five_wrong_pins_lock_the_account_and_that_is_audited() {
        let (s, cashier) = shop();
        s.lock();
        for left in (1..MAX_ATTEMPTS).rev() {
            match s.sign_in(cashier, "0000") {
                Err(CoreError::PinWrong { left: l }) => assert_eq!(l, left),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            s.sign_in(cashier, "0000"),
            Err(CoreError::AccountLocked { minutes: 5 })
        ));
        // Even the right PIN waits out the lock.
        assert!(matches!(
            s.sign_in(cashier, "1111"),
            Err(CoreError::AccountLocked { .. })
        ));
        assert!(s.current_actor().is_none());
        let log = actions(&s);
        assert_eq!(log.iter().filter(|a| *a == "auth.failed").count(), 4);
        assert_eq!(log.iter().filter(|a| *a == "auth.lockout").count(), 1);
        // The owner's new PIN lifts the lock.
        s.sign_in(1, "1234").unwrap();
        s.update_staff(
            cashier,
            StaffInput {
                name: "Minh".into(),
                role: None,
            },
            Some("2222"),
        )
        .unwrap();
        s.lock();
        assert_eq!(s.sign_in(cashier, "2222").unwrap().name, "Minh");
    }

    #[test]
    fn a_right_pin_resets_the_count() {
        let (s, cashier) = shop();
        for _ in 0..4 {
            assert!(s.sign_in(cashier, "9999").is_err());
        }
        s.sign_in(cashier, "1111").unwrap();
        for _ in 0..4 {
            assert!(matches!(
                s.sign_in(cashier, "9999"),
                Err(CoreError::PinWrong { .. })
            ));
        }
    }

    #[test]
    fn an_idle_window_locks_itself() {
        let (s, _) = shop();
        let id = customer(&s);
        s.set_setting("idle_lock_minutes", "2").unwrap();
        s.age_session_for_tests(Duration::from_secs(60));
        assert!(s.require(Perm::View).is_ok(), "one idle minute is fine");
        s.age_session_for_tests(Duration::from_secs(121));
        assert!(matches!(s.require(Perm::View), Err(CoreError::NotSignedIn)));
        assert!(matches!(
            s.update_customer(
                id,
                CustomerInput {
                    name: Some("X".into()),
                    ..Default::default()
                }
            ),
            Err(CoreError::NotSignedIn)
        ));
        assert!(s.session_info().unwrap().current.is_none());
        assert!(matches!(
            s.set_setting("idle_lock_minutes", "0"),
            Err(CoreError::NotSignedIn)
        ));
        s.sign_in(1, "1234").unwrap();
        for bad in ["0", "241", "ten"] {
            assert!(matches!(
                s.set_setting("idle_lock_minutes", bad),
                Err(CoreError::IdleLockInvalid(_))
            ));
        }
    }

    #[test]
    fn the_cli_reads_freely_but_changes_need_the_owners_pin() {
        let s = Store::open_in_memory().unwrap();
        s.setup_owner("Lan", "1234").unwrap();
        s.lock();
        assert!(s.require(Perm::View).is_ok());
        assert!(matches!(
            s.add_customer(CustomerInput::default()),
            Err(CoreError::PinRequired)
        ));
        assert!(matches!(
            s.sign_in_owner("4321"),
            Err(CoreError::PinWrong { left: 4 })
        ));
        let a = s.sign_in_owner("1234").unwrap();
        assert_eq!((a.name.as_str(), a.via), ("Lan", Via::Cli));
        customer(&s);
    }

    #[test]
    fn the_shop_keeps_an_owner_and_names_stay_unique() {
        let (s, cashier) = shop();
        let input = |n: &str, r: &str| StaffInput {
            name: n.into(),
            role: Some(r.into()),
        };
        assert!(matches!(
            s.add_staff(input("minh", "cashier"), "3333"),
            Err(CoreError::StaffNameTaken(_))
        ));
        assert!(matches!(
            s.set_staff_active(1, false),
            Err(CoreError::StaffLastOwner)
        ));
        assert!(matches!(
            s.update_staff(1, input("Chị Lan", "cashier"), None),
            Err(CoreError::StaffLastOwner)
        ));
        s.set_staff_active(cashier, false).unwrap();
        s.lock();
        assert!(matches!(
            s.sign_in(cashier, "1111"),
            Err(CoreError::StaffInactive(_))
        ));
        let names: Vec<String> = s
            .session_info()
            .unwrap()
            .staff
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names, ["Chị Lan"]);
    }

    #[test]
    fn before_any_staff_nothing_is_locked_and_the_first_account_is_an_owner() {
        let s = Store::open_in_memory().unwrap();
        s.set_interface(Via::Window);
        assert!(s.session_info().unwrap().needs_setup);
        customer(&s);
        assert!(matches!(
            s.add_staff(
                StaffInput {
                    name: "Minh".into(),
                    role: Some("cashier".into())
                },
                "1111"
            ),
            Err(CoreError::StaffFirstOwner)
        ));
    }
}
