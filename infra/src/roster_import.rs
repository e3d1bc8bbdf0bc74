//! Streaming roster import: CSV in, batches upserted, memory flat however long the file.

use chrono::Utc;
use std::io::Read;

use crate::db::roster::DbRoster;
use domain::members::roster::{ImportReport, RosterEntry};

pub const BATCH: usize = 20_000;

/// Reads `input` to the end. Bad rows are reported by line, not fatal; a database failure is.
/// `progress` is called with the number of data lines read after each batch. Blocking.
pub fn import_csv(input: impl Read, roster: &DbRoster, mut progress: impl FnMut(u64)) -> anyhow::Result<ImportReport> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::None).from_reader(input);
    let today = Utc::now().date_naive();
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    let mut lines = 0u64;
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let fields: Vec<&str> = record.iter().collect();
                if line == 1 && RosterEntry::is_header(&fields) {
                    continue;
                }
                lines += 1;
                match RosterEntry::parse(&fields, today) {
                    Ok(entry) => batch.push(entry),
                    Err(reason) => report.reject(line, reason),
                }
            }
            // A broken line (bad quoting, not UTF-8) is that line's problem, not the file's.
            Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                lines += 1;
                report.reject(line, format!("unreadable CSV: {e}"));
            }
            Err(e) => return Err(e.into()),
        }
        if batch.len() >= BATCH {
            flush(roster, &mut batch, &mut report)?;
            progress(lines);
        }
    }
    flush(roster, &mut batch, &mut report)?;
    progress(lines);
    Ok(report)
}

fn flush(roster: &DbRoster, batch: &mut Vec<RosterEntry>, report: &mut ImportReport) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let (inserted, updated) = roster.upsert_batch(batch, Utc::now())?;
    report.inserted += inserted;
    report.updated += updated;
    batch.clear();
    Ok(())
}
