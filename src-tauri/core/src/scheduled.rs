//! The app's own hourly work, done as the app itself (audited as "system", not as whoever
//! is signed in): the day's loyalty work (expiry, birthday bonuses, tier moves), the day's
//! reminders, the scores behind the lists, and the daily automatic backup.

use crate::error::CoreError;
use crate::store::session::as_system;
use crate::store::Store;

impl Store {
    /// One pass of the scheduled work. Each step runs even when one before it failed; the
    /// failures come back named by step, for the log (the backup's also lands in the backup
    /// status Settings shows). Every step is idempotent, so a pass may run at any time.
    pub fn scheduled_pass(&self) -> Vec<(&'static str, CoreError)> {
        as_system(|| {
            let steps: [(&'static str, &dyn Fn() -> crate::Result<()>); 4] = [
                ("loyalty maintenance", &|| {
                    self.loyalty_maintenance(None).map(drop)
                }),
                ("reminder generation", &|| {
                    self.generate_reminders(None).map(drop)
                }),
                // Skipped when the window's own refresh of stale scores is running.
                ("analytics", &|| self.refresh_once().map(drop)),
                ("automatic backup", &|| self.auto_backup_if_due().map(drop)),
            ];
            steps
                .into_iter()
                .filter_map(|(name, step)| {
                    let start = std::time::Instant::now();
                    let out = step();
                    let millis = start.elapsed().as_millis() as u64;
                    match &out {
                        Ok(()) => tracing::info!(step = name, millis, "background pass"),
                        // A shop on a server: this step is not ported there yet (issue 20),
                        // which is no failure of the pass.
                        Err(CoreError::NotOnServer) => {
                            tracing::info!(step = name, "background pass: not on a server yet");
                            return None;
                        }
                        Err(e) => {
                            tracing::warn!(
                                step = name,
                                millis,
                                code = e.code(),
                                "background pass failed"
                            )
                        }
                    }
                    out.err().map(|e| (name, e))
                })
                .collect()
        })
    }
}
