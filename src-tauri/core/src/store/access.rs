//! The check at the top of every public [`Store`] method: who acts, and may they.

use super::audit::{self, Via};
use super::session::{idle_duration, Actor, Perm, Role, Session, ANONYMOUS, AS_SYSTEM};
use super::Store;
use crate::db;
use crate::error::{CoreError, Result};
use serde_json::json;
use std::cell::Cell;
use std::time::{Duration, Instant};

impl Store {
    pub(crate) fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Which interface this store serves: the window locks reads too, the CLI does not.
    pub fn set_interface(&self, via: Via) {
        self.session().via = via;
    }

    /// The idle time changed (settings): applies to the session at once.
    pub(crate) fn set_idle(&self, minutes: u32) {
        self.session().idle = idle_duration(minutes);
    }

    /// The actor allowed to do `perm` now, or the typed refusal (audited unless a mere read).
    pub fn require(&self, perm: Perm) -> Result<Actor> {
        if AS_SYSTEM.with(Cell::get) {
            return Ok(Actor::system());
        }
        let (via, current, counter) = {
            let mut s = self.session();
            let now = Instant::now();
            let expired = s.via == Via::Window && now.duration_since(s.last_active) > s.idle;
            if expired && s.actor.is_some() {
                s.actor = None;
            }
            if s.actor.is_some() {
                s.last_active = now;
            }
            (s.via, s.actor.clone(), s.counter.clone())
        };
        let current = current.map(|a| Actor {
            counter: counter.clone(),
            ..a
        });
        let unnamed = || Actor {
            counter: counter.clone(),
            ..Actor::unnamed(via)
        };
        match current {
            Some(a) if a.role.may(perm) => Ok(a),
            Some(a) => {
                self.deny(&a, perm);
                Err(CoreError::Forbidden {
                    permission: perm.as_str(),
                    role: a.role.as_str(),
                })
            }
            None => {
                if perm == Perm::View && via == Via::Cli {
                    return Ok(unnamed());
                }
                if !self.read(|c| db::staff::any(c))? {
                    return Ok(unnamed());
                }
                if perm != Perm::View {
                    self.deny(
                        &Actor {
                            staff_id: None,
                            name: ANONYMOUS.into(),
                            role: Role::Cashier,
                            via,
                            counter: counter.clone(),
                        },
                        perm,
                    );
                }
                Err(match via {
                    Via::Cli => CoreError::PinRequired,
                    _ => CoreError::NotSignedIn,
                })
            }
        }
    }

    /// Whether the one acting now may do `perm`, without refusing or logging anything: for
    /// reads that leave out what the actor may not see (a cashier's reports lose the
    /// revenue). Nobody signed in counts as allowed only while no staff account exists.
    pub fn may(&self, perm: Perm) -> Result<bool> {
        if AS_SYSTEM.with(Cell::get) {
            return Ok(true);
        }
        let actor = self.session().actor.clone();
        match actor {
            Some(a) => Ok(a.role.may(perm)),
            None => Ok(!self.read(|c| db::staff::any(c))?),
        }
    }

    /// Best effort: a refusal that cannot be logged (a full disk) is still a refusal.
    fn deny(&self, a: &Actor, perm: Perm) {
        let entry = a
            .entry("auth.denied", "permission")
            .entity_id(perm.as_str())
            .after(json!({"permission": perm.as_str(), "role": a.role.as_str()}));
        let _ = self.write_any(|conn| audit::record(conn, &entry));
    }

    /// Who is signed in, if anyone (and not idle past the limit).
    pub fn current_actor(&self) -> Option<Actor> {
        self.require(Perm::View)
            .ok()
            .filter(|a| a.staff_id.is_some())
    }

    /// Name this counter (None: unnamed); its bills, reminders and audit entries carry it.
    pub fn set_counter(&self, name: Option<&str>) -> Result<()> {
        let name = name.map(crate::limits::check_counter).transpose()?;
        self.session().counter = name.map(str::to_owned);
        Ok(())
    }

    /// This counter's name, if it has one.
    pub fn counter(&self) -> Option<String> {
        self.session().counter.clone()
    }

    /// Lock the window: the next action needs a PIN again.
    pub fn lock(&self) {
        self.session().actor = None;
    }

    internal! {
        /// Tests: pretend the session has been idle this long.
        fn age_session_for_tests(&self, by: Duration) {
            let mut s = self.session();
            s.last_active = s.last_active.checked_sub(by).unwrap_or(s.last_active);
        }
    }
}
