//! The support log, `<data dir>/logs/khachquen.log` (`khachquen_core::support` says where
//! and how large): start-ups, upgrades, background passes with their durations, and every
//! error with its code. It rolls over at 1 MB and each day, keeping the last few files, so
//! it stays under a few MB. A log that cannot be opened is simply not written.

use khachquen_core::support::{log_dir, LOG_FILE, LOG_KEEP, LOG_MAX_BYTES};
use rolling_file::{BasicRollingFileAppender, RollingConditionBasic};
use std::path::Path;
use std::sync::Mutex;

/// Start the log for this process (`interface`: "cli" or "window"); the first call wins.
pub fn init(data_dir: &Path, interface: &'static str) {
    let dir = log_dir(data_dir);
    if private_dir(&dir).is_err() {
        return;
    }
    let Ok(file) = appender(&dir) else {
        return;
    };
    let installed = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(
            interface,
            version = env!("CARGO_PKG_VERSION"),
            schema = khachquen_core::upgrade::schema_version(),
            os = std::env::consts::OS,
            "start"
        );
        install_panic_hook();
    }
}

/// The log file in `dir`, rolled over at LOG_MAX_BYTES and at each day's start, LOG_KEEP
/// older files kept.
pub fn appender(dir: &Path) -> std::io::Result<BasicRollingFileAppender> {
    let condition = RollingConditionBasic::new().daily().max_size(LOG_MAX_BYTES);
    // Unbuffered: a command's process ends without dropping the global writer.
    BasicRollingFileAppender::new_with_buffer_capacity(dir.join(LOG_FILE), condition, LOG_KEEP, 0)
}

/// The log folder, readable by the user only (it names the data folder and files).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

/// A panic is logged with its backtrace before the usual report: in the window nobody reads
/// stderr.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        let thread = std::thread::current();
        tracing::error!(
            thread = thread.name().unwrap_or("unnamed"),
            "panic: {info}\n{backtrace}"
        );
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn the_log_stays_under_a_few_megabytes_however_much_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = appender(dir.path()).unwrap();
        let line = format!("{}\n", "x".repeat(1023));
        for _ in 0..(8 * 1024) {
            log.write_all(line.as_bytes()).unwrap();
        }
        log.flush().unwrap();
        let files = khachquen_core::support::log_files(dir.path());
        let total: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        assert_eq!(files.len(), LOG_KEEP + 1, "{files:?}");
        assert!(total <= (LOG_KEEP as u64 + 1) * LOG_MAX_BYTES, "{total}");
        assert!(
            total >= LOG_KEEP as u64 * LOG_MAX_BYTES,
            "the newest kept: {total}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), LOG_KEEP + 1);
    }
}
