//! Streaming roster import: CSV in, batches upserted, memory flat however long the file.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::io::Read;

use crate::db::roster::{BatchOutcome, DbRoster, SealedBatch};
use crate::import_text::{decoded, DecodeError};
use domain::members::roster::{ImportReport, Layout, Refusal, RosterEntry};
use domain::members::roster_import::ReadError;

pub const BATCH: usize = 20_000;

/// Reads `input` to the end, in whichever encoding staff saved it. Bad rows are reported by line,
/// not fatal; an unreadable file or header, or a database failure, is.
/// `progress` is called with the number of data lines read after each batch; `now` is the import's
/// time (birth dates must lie before it, rows are stamped with it). Blocking.
///
/// Parsing and sealing run on this thread while a second thread writes the previous batch, so the
/// database and the cipher work overlap; at most two batches are in memory at once.
pub fn import_csv(
    input: impl Read,
    roster: &DbRoster,
    now: DateTime<Utc>,
    progress: impl FnMut(u64),
) -> Result<ImportReport, ReadError> {
    let input = match decoded(input) {
        Ok(input) => input,
        Err(DecodeError::Refused(refusal)) => return Err(ReadError::File(refusal)),
        Err(DecodeError::Io(e)) => return Err(ReadError::Failed(e.into())),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<SealedBatch>(1);
    let writer_roster = roster.clone();
    let writer = std::thread::spawn(move || -> anyhow::Result<BatchOutcome> {
        let mut total = BatchOutcome::default();
        for batch in rx {
            let done = writer_roster.write_batch(&batch, now)?;
            total.inserted += done.inserted;
            total.updated += done.updated;
            total.unchanged += done.unchanged;
        }
        Ok(total)
    });
    let read = read_and_seal(input, roster, now, progress, &tx);
    drop(tx);
    let written = writer.join().map_err(|_| ReadError::Failed(anyhow::anyhow!("roster writer panicked")))?;
    // A database error ends the writer first, which makes the reader's send fail: report the cause.
    let total = written?;
    let mut report = read?;
    report.inserted = total.inserted;
    report.updated = total.updated;
    report.unchanged = total.unchanged;
    Ok(report)
}

fn read_and_seal(
    input: impl Read,
    roster: &DbRoster,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
    out: &std::sync::mpsc::SyncSender<SealedBatch>,
) -> Result<ImportReport, ReadError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::None).from_reader(input);
    let today = now.date_naive();
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    let mut lines = 0u64;
    let mut layout = Layout::positional();
    // ID numbers of the batch being built, with their lines: a second row for the same person in
    // one batch is refused by line, where one upsert would silently swallow it. Across batches the
    // later row updates the earlier one, and is counted so.
    let mut in_batch: HashMap<String, u64> = HashMap::with_capacity(BATCH);
    loop {
        let before = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The record's own start: the reader's position before it may still point at a
                // blank line skipped on the way.
                let line = record.position().map_or(before, |p| p.line());
                let fields: Vec<&str> = record.iter().collect();
                if line == 1 {
                    if let Some(named) = Layout::from_header(&fields).map_err(ReadError::File)? {
                        report.ignored_columns.clone_from(&named.unknown);
                        layout = named;
                        continue;
                    }
                }
                lines += 1;
                match RosterEntry::parse(&layout, &fields, today) {
                    Ok(entry) => match in_batch.get(entry.id_number.as_str()) {
                        Some(first) => report.reject(line, same_person(*first)),
                        None => {
                            in_batch.insert(entry.id_number.as_str().to_owned(), line);
                            batch.push(entry);
                        }
                    },
                    Err(reason) => report.reject(line, reason),
                }
            }
            // A broken line (bad quoting, not UTF-8) is that line's problem, not the file's.
            Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                lines += 1;
                let line = e.position().map_or(before, |p| p.line());
                report
                    .reject(line, Refusal::file("此行无法按 CSV 读取（引号不成对？）", format!("unreadable CSV: {e}")));
            }
            Err(e) => return Err(ReadError::Failed(e.into())),
        }
        if batch.len() >= BATCH {
            send(roster, &mut batch, out)?;
            in_batch.clear();
            progress(lines);
        }
    }
    send(roster, &mut batch, out)?;
    progress(lines);
    Ok(report)
}

fn same_person(first: u64) -> Refusal {
    Refusal::file(
        format!("与第 {first} 行是同一人（身份证号相同）"),
        format!("id_number: the same person as line {first}"),
    )
}

fn send(
    roster: &DbRoster,
    batch: &mut Vec<RosterEntry>,
    out: &std::sync::mpsc::SyncSender<SealedBatch>,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    out.send(roster.seal_batch(batch)).map_err(|_| anyhow::anyhow!("roster writer stopped"))?;
    batch.clear();
    Ok(())
}

impl domain::members::roster_import::RosterImporter for DbRoster {
    async fn import(
        &self,
        input: Box<dyn Read + Send>,
        now: DateTime<Utc>,
        progress: Box<dyn FnMut(u64) + Send>,
    ) -> Result<ImportReport, ReadError> {
        let roster = self.clone();
        tokio::task::spawn_blocking(move || import_csv(input, &roster, now, progress))
            .await
            .map_err(anyhow::Error::from)?
    }
}
