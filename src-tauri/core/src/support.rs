//! What support needs from a shop: where the log lives, how large it may grow, and the
//! logs gathered into one file the owner can send. The log holds start-ups, upgrades,
//! background passes and error codes, never a customer's phone number or a PIN.

use crate::error::Result;
use crate::store::session::Perm;
use crate::store::Store;
use crate::{db, time};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The log's file name inside [`log_dir`]; older ones are `khachquen.log.1` … `.N`.
pub const LOG_FILE: &str = "khachquen.log";
/// A log file rolls over at this size (and at the start of each day).
pub const LOG_MAX_BYTES: u64 = 1024 * 1024;
/// Rolled files kept beside the current one: at most (1 + this) × LOG_MAX_BYTES in all.
pub const LOG_KEEP: usize = 4;

/// `<data dir>/logs`.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The log files in `dir`, oldest first.
pub fn log_files(dir: &Path) -> Vec<PathBuf> {
    (0..=LOG_KEEP)
        .rev()
        .map(|n| match n {
            0 => dir.join(LOG_FILE),
            n => dir.join(format!("{LOG_FILE}.{n}")),
        })
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .collect()
}

/// What the About section shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct About {
    pub version: &'static str,
    pub schema_version: i64,
    pub data_dir: String,
    pub db_path: String,
    pub log_dir: String,
}

impl Store {
    pub fn about(&self, data_dir: &Path) -> Result<About> {
        self.require(Perm::View)?;
        Ok(About {
            version: env!("CARGO_PKG_VERSION"),
            schema_version: db::schema_version(),
            data_dir: data_dir.display().to_string(),
            db_path: self
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            log_dir: log_dir(data_dir).display().to_string(),
        })
    }

    /// The logs of `data_dir`, oldest first, in one text file at `target` for support (at
    /// most (1 + LOG_KEEP) × LOG_MAX_BYTES: each file is read up to its cap). The bytes
    /// written.
    pub fn export_logs(&self, data_dir: &Path, target: &Path) -> Result<u64> {
        self.require(Perm::View)?;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Khách Quen {} · schema {} · {} {} · {}",
            env!("CARGO_PKG_VERSION"),
            db::schema_version(),
            std::env::consts::OS,
            std::env::consts::ARCH,
            time::from_unix(time::now()).to_rfc3339()
        );
        for f in log_files(&log_dir(data_dir)) {
            let mut bytes = Vec::new();
            // A log another process is writing may grow meanwhile: read no more than a cap.
            std::fs::File::open(&f)?
                .take(LOG_MAX_BYTES * 2)
                .read_to_end(&mut bytes)?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            let _ = writeln!(text, "\n==> {} <==", name.unwrap_or_default());
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        let len = text.len() as u64;
        self.write_user_file(target, |tmp| Ok(std::fs::write(tmp, text.as_bytes())?))?;
        tracing::info!(bytes = len, "logs exported");
        Ok(len)
    }
}
