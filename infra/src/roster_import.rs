//! Streaming roster import: a CSV (in whichever encoding staff saved it) or an `.xlsx` workbook in,
//! batches upserted, memory flat however long the file.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::db::roster::{BatchOutcome, DbRoster, SealedBatch};
use crate::import_text::csv_records;
use domain::members::roster::{ImportProgress, ImportReport, Layout, Refusal, RosterEntry};
use domain::members::roster_import::{ReadError, RosterFormat};
use domain::unions::NodePath;

pub const BATCH: usize = 20_000;

/// The largest workbook taken (a workbook is read whole; Excel's 1,048,576 rows of a roster are
/// well under it).
const XLSX_MAX_BYTES: u64 = 256 << 20;

/// Reads `input` to the end as `format`. Bad rows are reported by line, not fatal; an unreadable
/// file or header, or a database failure, is. `progress` is called with the number of data lines
/// read after each batch; `now` is the import's time (birth dates must lie before it, rows are
/// stamped with it). Blocking.
///
/// Parsing and sealing run on this thread while a second thread writes the previous batch, so the
/// database and the cipher work overlap; at most two batches are in memory at once.
pub fn import(
    input: impl Read,
    format: RosterFormat,
    dry_run: bool,
    roster: &DbRoster,
    unions: Option<HashSet<String>>,
    now: DateTime<Utc>,
    progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, ReadError> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<SealedBatch>(1);
    let writer_roster = roster.clone();
    let written = std::sync::Arc::new(Written::default());
    let counts = written.clone();
    let writer = std::thread::spawn(move || -> anyhow::Result<()> {
        for batch in rx {
            let done = writer_roster.write_batch(&batch, now)?;
            counts.add(&done);
        }
        Ok(())
    });
    let mut sink = Sink::new(roster, now, progress, tx, written.clone());
    sink.dry_run = dry_run;
    sink.unions = unions;
    let read = match format {
        RosterFormat::Csv => csv_rows(input, &mut sink),
        RosterFormat::Xlsx { sheet } => {
            // A workbook is a zip, read from its end: it is taken whole (uploads are size-capped).
            let mut bytes = Vec::new();
            input.take(XLSX_MAX_BYTES + 1).read_to_end(&mut bytes).map_err(anyhow::Error::from)?;
            if bytes.len() as u64 > XLSX_MAX_BYTES {
                return Err(ReadError::File(Refusal::file(
                    "工作簿超过 256 MB，请拆分后分别导入，或另存为 CSV",
                    "the workbook is over 256 MB: split it, or save it as CSV",
                )));
            }
            xlsx_rows(std::io::Cursor::new(bytes), sheet.as_deref(), &mut sink)
        }
    }
    .and_then(|()| sink.finish());
    // The writer ends once the last batch is in and the sender gone.
    sink.out = None;
    let wrote = writer.join().map_err(|_| ReadError::Failed(anyhow::anyhow!("roster writer panicked")))?;
    // A database error ends the writer first, which makes the reader's send fail: report the cause.
    wrote?;
    let mut report = read?;
    let total = written.get();
    report.inserted = total.inserted;
    report.updated = total.updated;
    report.unchanged = total.unchanged;
    let last = ImportProgress {
        rows: sink.lines,
        accepted: report.accepted,
        rejected: report.rejected,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
    };
    (sink.progress)(last);
    Ok(report)
}

/// Rows the writer has written so far, read by the reader for its progress reports.
#[derive(Default)]
struct Written {
    inserted: AtomicU64,
    updated: AtomicU64,
    unchanged: AtomicU64,
}

impl Written {
    fn add(&self, done: &BatchOutcome) {
        self.inserted.fetch_add(done.inserted, Ordering::Relaxed);
        self.updated.fetch_add(done.updated, Ordering::Relaxed);
        self.unchanged.fetch_add(done.unchanged, Ordering::Relaxed);
    }

    fn get(&self) -> BatchOutcome {
        BatchOutcome {
            inserted: self.inserted.load(Ordering::Relaxed),
            updated: self.updated.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        }
    }
}

fn csv_rows<R: Read>(input: R, sink: &mut Sink<'_, impl FnMut(ImportProgress)>) -> Result<(), ReadError> {
    csv_records(input, |line, fields| match fields {
        Ok(fields) => sink.row(line, fields),
        Err(refusal) => {
            sink.refuse(line, refusal);
            Ok(())
        }
    })
}

/// The first sheet, or the one named; cells read as text, streamed row by row.
fn xlsx_rows<RS: Read + Seek>(
    input: RS,
    sheet: Option<&str>,
    sink: &mut Sink<'_, impl FnMut(ImportProgress)>,
) -> Result<(), ReadError> {
    use calamine::{Reader, Xlsx};
    let not_a_workbook = |e: calamine::XlsxError| {
        ReadError::File(Refusal::file(
            "无法按 Excel 工作簿（.xlsx）读取此文件",
            format!("the file cannot be read as an .xlsx workbook: {e}"),
        ))
    };
    let mut workbook: Xlsx<RS> = Xlsx::new(input).map_err(not_a_workbook)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| {
            ReadError::File(Refusal::file(
                format!("工作簿中没有名为“{wanted}”的工作表（有：{}）", names.join("、")),
                format!("the workbook has no sheet named '{wanted}' (it has: {})", names.join(", ")),
            ))
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ReadError::File(Refusal::file("工作簿中没有工作表", "the workbook has no sheet")))?,
    };
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(not_a_workbook)?;
    let mut row: Vec<String> = Vec::new();
    let mut at: Option<u32> = None;
    while let Some(cell) = cells.next_cell().map_err(not_a_workbook)? {
        let (r, c) = cell.get_position();
        if at != Some(r) {
            if let Some(done) = at {
                sink.row(u64::from(done) + 1, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
            }
            row.clear();
            at = Some(r);
        }
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text_of(cell.get_value());
    }
    if let Some(done) = at {
        sink.row(u64::from(done) + 1, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    Ok(())
}

/// A cell as text. A number is written as Excel shows it in a General cell: whole numbers below
/// 10¹⁵ in full, others in scientific notation — which is what an 18-digit ID number typed into a
/// number cell has become (its last digits are gone), and the row parser says so.
fn text_of(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => format!("{f:E}"),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// Where rows go: parsed, checked within the batch, sealed and sent to the writer.
struct Sink<'a, P> {
    roster: &'a DbRoster,
    today: chrono::NaiveDate,
    progress: P,
    /// To the writer; `None` once reading is done.
    out: Option<std::sync::mpsc::SyncSender<SealedBatch>>,
    written: Arc<Written>,
    report: ImportReport,
    batch: Vec<RosterEntry>,
    lines: u64,
    first: bool,
    layout: Layout,
    /// ID numbers of the batch being built, with their lines: a second row for the same person in
    /// one batch is refused by line, where one upsert would silently swallow it. Across batches
    /// the later row updates the earlier one, and is counted so.
    in_batch: HashMap<String, u64>,
    /// Check every row, write none.
    dry_run: bool,
    /// For staff of a part of the tree: the open unions in it, the only ones a row may name.
    unions: Option<HashSet<String>>,
}

impl<'a, P: FnMut(ImportProgress)> Sink<'a, P> {
    fn new(
        roster: &'a DbRoster,
        now: DateTime<Utc>,
        progress: P,
        out: std::sync::mpsc::SyncSender<SealedBatch>,
        written: Arc<Written>,
    ) -> Self {
        Self {
            roster,
            today: now.date_naive(),
            progress,
            out: Some(out),
            written,
            report: ImportReport::default(),
            batch: Vec::with_capacity(BATCH),
            lines: 0,
            first: true,
            layout: Layout::positional(),
            in_batch: HashMap::with_capacity(BATCH),
            dry_run: false,
            unions: None,
        }
    }

    fn row(&mut self, line: u64, fields: &[&str]) -> Result<(), ReadError> {
        if std::mem::take(&mut self.first) {
            if let Some(named) = Layout::from_header(fields).map_err(ReadError::File)? {
                self.report.ignored_columns.clone_from(&named.unknown);
                self.report.header = Some(fields.iter().map(|f| f.trim_start_matches('\u{feff}').to_owned()).collect());
                self.layout = named;
                return Ok(());
            }
        }
        // A spreadsheet's empty rows are no one's.
        if fields.iter().all(|f| f.trim().is_empty()) && fields.len() > 1 {
            return Ok(());
        }
        self.lines += 1;
        let parsed = RosterEntry::parse(&self.layout, fields, self.today).and_then(|entry| match &self.unions {
            Some(unions) if !unions.contains(&entry.union_org_code) => Err(outside(&entry.union_org_code)),
            _ => Ok(entry),
        });
        match parsed {
            Ok(entry) => match self.in_batch.get(entry.id_number.as_str()) {
                Some(first) => self.report.reject(line, same_person(*first), fields),
                None => {
                    self.in_batch.insert(entry.id_number.as_str().to_owned(), line);
                    self.batch.push(entry);
                }
            },
            Err(refusal) => self.report.reject(line, refusal, fields),
        }
        if self.batch.len() >= BATCH {
            self.send()?;
            self.in_batch.clear();
            let done = self.so_far();
            (self.progress)(done);
        }
        Ok(())
    }

    fn refuse(&mut self, line: u64, refusal: Refusal) {
        self.first = false;
        self.lines += 1;
        self.report.reject(line, refusal, &[]);
    }

    fn so_far(&self) -> ImportProgress {
        let written = self.written.get();
        ImportProgress {
            rows: self.lines,
            accepted: self.report.accepted,
            rejected: self.report.rejected,
            inserted: written.inserted,
            updated: written.updated,
            unchanged: written.unchanged,
        }
    }

    /// The report of what was read; the caller adds what was written once the writer is done.
    fn finish(&mut self) -> Result<ImportReport, ReadError> {
        self.send()?;
        Ok(std::mem::take(&mut self.report))
    }

    fn send(&mut self) -> Result<(), ReadError> {
        self.report.accepted += self.batch.len() as u64;
        if self.batch.is_empty() || self.dry_run {
            self.batch.clear();
            return Ok(());
        }
        let out = self.out.as_ref().ok_or_else(|| anyhow::anyhow!("roster writer closed"))?;
        out.send(self.roster.seal_batch(&self.batch)).map_err(|_| anyhow::anyhow!("roster writer stopped"))?;
        self.batch.clear();
        Ok(())
    }
}

fn outside(code: &str) -> Refusal {
    Refusal::of(
        domain::members::roster::Column::UnionOrgCode,
        format!("工会 {code} 不在您的管辖范围内，或不是组织树中未撤销的工会"),
        format!("union_org_code: {code} is not an open union in your part of the tree"),
    )
}

fn same_person(first: u64) -> Refusal {
    Refusal::file(
        format!("与第 {first} 行是同一人（身份证号相同）"),
        format!("id_number: the same person as line {first}"),
    )
}

impl domain::members::roster_import::RosterImporter for DbRoster {
    async fn import(
        &self,
        input: Box<dyn Read + Send>,
        format: RosterFormat,
        dry_run: bool,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        progress: Box<dyn FnMut(ImportProgress) + Send>,
    ) -> Result<ImportReport, ReadError> {
        let roster = self.clone();
        tokio::task::spawn_blocking(move || {
            let unions = within.map(|w| roster.open_unions_under(&w)).transpose()?;
            import(input, format, dry_run, &roster, unions, now, progress)
        })
        .await
        .map_err(anyhow::Error::from)?
    }
}
