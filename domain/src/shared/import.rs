//! What every file import shares — the roster's and the union tree's: columns found by their
//! header in any order, refusals by line and column in Chinese with English beside, progress as it
//! runs, and the report with the rejected rows kept for the file staff fix and upload again.

/// A column as staff are told about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnName {
    /// As the API names it: `id_number`.
    pub key: &'static str,
    /// As the template's header writes it: `身份证号`.
    pub zh: &'static str,
}

/// The columns of one kind of file.
pub trait ColumnSet: Copy + Eq + Sized + 'static {
    /// In the documented order, which a file without a header row must follow.
    const ALL: &'static [Self];

    fn key(self) -> &'static str;
    /// The header the template uses.
    fn zh(self) -> &'static str;
    /// Headers taken for this column, lower case (compared without spaces, case or a BOM).
    fn aliases(self) -> &'static [&'static str];
    /// A header without it refuses the file.
    fn required(self) -> bool {
        true
    }

    /// The template's header: every column's Chinese name, in the documented order.
    fn template_header() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.zh()).collect()
    }

    fn name(self) -> ColumnName {
        ColumnName { key: self.key(), zh: self.zh() }
    }

    fn position(self) -> usize {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(usize::MAX)
    }

    fn of_header(header: &str) -> Option<Self> {
        let h: String =
            header.chars().filter(|c| !c.is_whitespace() && *c != '\u{feff}').flat_map(char::to_lowercase).collect();
        Self::ALL.iter().copied().find(|c| c.aliases().contains(&h.as_str()))
    }
}

/// Why a row (or the whole file) was refused: in Chinese for staff, English beside, and the column
/// when one is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub column: Option<ColumnName>,
    pub zh: String,
    pub en: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.zh, self.en)
    }
}

impl Refusal {
    /// The whole file, or a line as a whole, not one of its cells.
    pub fn file(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { column: None, zh: zh.into(), en: en.into() }
    }

    pub fn of(column: impl ColumnSet, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { column: Some(column.name()), zh: zh.into(), en: en.into() }
    }
}

/// Where each column is in the file's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout<C> {
    /// By the column's place in `C::ALL`; `usize::MAX` for an optional column the header lacks.
    at: Vec<usize>,
    /// Headers that name no column: reported, their cells ignored.
    pub unknown: Vec<String>,
    columns: std::marker::PhantomData<C>,
}

impl<C: ColumnSet> Layout<C> {
    /// The documented order, for a file without a header row.
    pub fn positional() -> Self {
        Self { at: (0..C::ALL.len()).collect(), unknown: Vec::new(), columns: std::marker::PhantomData }
    }

    /// The layout a header row names, in any order, by Chinese or English names; `Ok(None)` when
    /// the row names no column at all (it is data, in the documented order). A header missing a
    /// required column, or naming one twice, refuses the whole file in one error.
    pub fn from_header(fields: &[&str]) -> Result<Option<Self>, Refusal> {
        let found: Vec<Option<C>> = fields.iter().map(|f| C::of_header(f)).collect();
        if found.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut at = vec![usize::MAX; C::ALL.len()];
        for (i, column) in found.iter().enumerate() {
            let Some(column) = column else { continue };
            let slot = &mut at[column.position()];
            if *slot != usize::MAX {
                return Err(Refusal::of(
                    *column,
                    format!("表头中“{}”列出现了两次", column.zh()),
                    format!("the header names the column {} twice", column.key()),
                ));
            }
            *slot = i;
        }
        let missing: Vec<C> =
            C::ALL.iter().copied().filter(|c| c.required() && at[c.position()] == usize::MAX).collect();
        if !missing.is_empty() {
            let zh: Vec<&str> = missing.iter().map(|c| c.zh()).collect();
            let en: Vec<&str> = missing.iter().map(|c| c.key()).collect();
            return Err(Refusal::file(
                format!("表头缺少以下列：{}", zh.join("、")),
                format!("the header lacks the columns {}", en.join(", ")),
            ));
        }
        let unknown = fields
            .iter()
            .zip(&found)
            .filter(|(_, c)| c.is_none())
            .map(|(f, _)| f.trim().trim_start_matches('\u{feff}').to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        Ok(Some(Self { at, unknown, columns: std::marker::PhantomData }))
    }

    /// The row's cell of `column`; empty when the row is short or the header lacks it.
    pub fn cell<'a>(&self, fields: &[&'a str], column: C) -> &'a str {
        fields.get(self.at[column.position()]).copied().unwrap_or("")
    }

    /// How many cells a row must have to hold every required column.
    pub fn width(&self) -> usize {
        C::ALL.iter().filter(|c| c.required()).map(|c| self.at[c.position()]).max().map_or(0, |m| m + 1)
    }

    /// A row shorter than the layout: one refusal for the line.
    pub fn check_width(&self, fields: &[&str]) -> Result<(), Refusal> {
        if fields.len() < self.width() {
            return Err(Refusal::file(
                format!("应有 {} 列，实际 {} 列", self.width(), fields.len()),
                format!("expected {} columns, found {}", self.width(), fields.len()),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub refusal: Refusal,
    /// The row's cells as read, for the file of rejected rows staff fix and upload again.
    pub cells: Vec<String>,
}

/// A record of a CSV file with its line: its cells, or why the line cannot be read (bad quoting).
pub type Record = (u64, Result<Vec<String>, Refusal>);

/// Walks a file's records into a fresh report: a record that cannot be read is refused; a first
/// record naming the columns is the header (its unknown columns noted), else the columns stand in
/// the documented order; blank rows are passed over; every other row goes to `row` with its line.
pub fn each_row<C: ColumnSet>(
    records: &[Record],
    mut row: impl FnMut(&Layout<C>, u64, &[&str], &mut ImportReport),
) -> Result<ImportReport, Refusal> {
    let mut report = ImportReport::default();
    let mut layout = Layout::<C>::positional();
    for (i, (line, cells)) in records.iter().enumerate() {
        let cells = match cells {
            Ok(cells) => cells,
            Err(refusal) => {
                report.reject(*line, refusal.clone(), &[]);
                continue;
            }
        };
        let fields: Vec<&str> = cells.iter().map(String::as_str).collect();
        if i == 0 {
            if let Some(named) = Layout::from_header(&fields)? {
                report.ignored_columns.clone_from(&named.unknown);
                report.header = Some(fields.iter().map(|f| f.trim_start_matches('\u{feff}').to_owned()).collect());
                layout = named;
                continue;
            }
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        row(&layout, *line, &fields, &mut report);
    }
    Ok(report)
}

/// How far an import has come: reported after each batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportProgress {
    /// Data rows read so far.
    pub rows: u64,
    /// Of them, rows that passed every check.
    pub accepted: u64,
    pub rejected: u64,
    /// Of the accepted rows, those written so far: new, changed, and already as the file has them.
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What an import did. Rejections past the first [`ImportReport::KEEP`] are counted, not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to what was already held.
    pub unchanged: u64,
    pub rejected: u64,
    /// Rows that passed every check (written, or in a dry run, that would be).
    pub accepted: u64,
    pub rejections: Vec<Rejection>,
    /// Header names that matched no column; their cells were ignored.
    pub ignored_columns: Vec<String>,
    /// The file's header row as read, if it had one.
    pub header: Option<Vec<String>>,
}

impl ImportReport {
    /// Rejected rows kept with their cells (a few MB at most); the rest are counted.
    pub const KEEP: usize = 50_000;

    pub fn reject(&mut self, line: u64, refusal: Refusal, cells: &[&str]) {
        self.rejected += 1;
        if self.rejections.len() < Self::KEEP {
            self.rejections.push(Rejection { line, refusal, cells: cells.iter().map(|c| (*c).to_owned()).collect() });
        }
    }

    /// The rejections in line order (a file's checks may find them out of order).
    pub fn sort_rejections(&mut self) {
        self.rejections.sort_by_key(|r| r.line);
    }
}

/// A text cell: full-width forms folded, spaces trimmed, 1 to `max` printable characters.
pub fn text_cell(field: &str, column: impl ColumnSet, max: usize) -> Result<String, Refusal> {
    let v = crate::shared::text::fold_width(field).trim().to_owned();
    // U+FFFD is what a decoder leaves of bytes not in the file's encoding: the cell is garbled.
    if v.is_empty() || v.chars().count() > max || v.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
        Err(Refusal::of(
            column,
            format!("{}须为 1–{max} 个可打印字符", column.zh()),
            format!("{} must be 1-{max} printable characters", column.key()),
        ))
    } else {
        Ok(v)
    }
}
