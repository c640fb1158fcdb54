//! The CSV files the app writes (exports, reports, message lists): one escaping rule, a
//! BOM so Excel reads Vietnamese, and a sync before the file counts.

use crate::error::{CoreError, Result};
use crate::files;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// The one escaping rule for every CSV the app writes: a text cell starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it
/// as text instead of running it as a formula ("+84..." and "-5" included: a formula can
/// follow the digits). The importer takes the apostrophe off again. Numbers the app formats
/// itself (counts, money, points) are written as numbers: they cannot hold a formula.
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Write one record of text cells, each through [`csv_text`].
pub fn write_text_record<W: Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> Result<()> {
    for c in cells {
        w.write_field(csv_text(c.as_ref()).as_bytes())
            .map_err(csv_err)?;
    }
    w.write_record(None::<&[u8]>).map_err(csv_err)
}

/// A CSV writer Excel reads as Vietnamese: UTF-8 with a byte-order mark.
pub fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    // `path` is a fresh name in a private folder; create_new refuses anything already there.
    let mut file = BufWriter::new(files::create_new_private(path)?);
    file.write_all(b"\xEF\xBB\xBF")?;
    Ok(csv::Writer::from_writer(file))
}

/// Flush a CSV writer and sync its file to disk.
pub fn finish_csv(w: csv::Writer<BufWriter<File>>) -> Result<()> {
    let mut file = w.into_inner().map_err(|e| CoreError::Io(e.into_error()))?;
    file.flush()?;
    file.get_ref().sync_all()?;
    Ok(())
}

pub fn csv_err(e: csv::Error) -> CoreError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => CoreError::Io(io),
        other => CoreError::Internal(format!("{other:?}")),
    }
}
