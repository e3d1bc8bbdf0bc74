//! Moving members in bulk: a file of member numbers, all to one union, as staff keep it when a
//! workplace's union is reorganised. Each batch moves in one transaction, written into the members'
//! history as `moved`.

use crate::shared::import::{each_row, ColumnSet, ImportReport, Record, Refusal};

/// Rows moved in one transaction.
pub const BATCH: usize = 1_000;

/// The file's one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveColumn {
    MemberNo,
}

impl ColumnSet for MoveColumn {
    const ALL: &'static [Self] = &[MoveColumn::MemberNo];

    fn key(self) -> &'static str {
        "member_no"
    }

    fn zh(self) -> &'static str {
        "会员编号"
    }

    fn aliases(self) -> &'static [&'static str] {
        &["member_no", "会员编号", "会员号", "会员证号"]
    }
}

/// A member number to move, with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRow {
    pub line: u64,
    pub member_no: String,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    Moved,
    /// In the union already.
    Unchanged,
    Refused(Refusal),
}

/// The refusal for a number no active member in the mover's part of the tree has.
pub fn unknown(member_no: &str) -> Refusal {
    Refusal::of(
        MoveColumn::MemberNo,
        format!("会员编号 {member_no} 不是您管辖范围内的在会会员"),
        format!("no active member numbered {member_no} in your part of the tree"),
    )
}

/// The refusal for a number the roster holds more than once: which member is meant is unclear.
pub fn ambiguous(member_no: &str) -> Refusal {
    Refusal::of(
        MoveColumn::MemberNo,
        format!("会员编号 {member_no} 在名册中出现多次，请核对后单独处理"),
        format!("the roster holds {member_no} more than once"),
    )
}

/// The file's records as rows, the refused ones already in the report; a header naming the column
/// is taken, a file without one is its first column.
pub fn read_rows(records: Vec<Record>) -> Result<(Vec<MoveRow>, ImportReport), Refusal> {
    let mut rows = Vec::with_capacity(records.len());
    let mut seen = std::collections::HashSet::new();
    let report = each_row::<MoveColumn>(&records, |layout, line, fields, report| {
        let member_no = crate::shared::text::fold_width(layout.cell(fields, MoveColumn::MemberNo)).trim().to_owned();
        if member_no.is_empty() {
            report.reject(line, Refusal::of(MoveColumn::MemberNo, "缺少会员编号", "no member number"), fields);
        } else if member_no.chars().count() > 64 || member_no.chars().any(char::is_control) {
            report.reject(line, unknown(&member_no), fields);
        } else if !seen.insert(member_no.clone()) {
            let twice = Refusal::of(MoveColumn::MemberNo, "文件中该会员编号重复", "the file names this member twice");
            report.reject(line, twice, fields);
        } else {
            rows.push(MoveRow { line, member_no });
        }
    })?;
    Ok((rows, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(lines: &[&str]) -> Vec<Record> {
        (1..).zip(lines).map(|(n, l)| (n, Ok(l.split(',').map(str::to_owned).collect()))).collect()
    }

    #[test]
    fn a_header_names_the_column_and_repeats_and_blanks_are_told_apart() {
        let (rows, report) =
            read_rows(records(&["姓名,会员编号", "张三,M1", "李四,", ",", "王五,Ｍ２", "赵六,M1"])).unwrap();
        let numbers: Vec<&str> = rows.iter().map(|r| r.member_no.as_str()).collect();
        assert_eq!(numbers, ["M1", "M2"], "full-width folded");
        let lines: Vec<u64> = report.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 6]);
        assert_eq!(report.ignored_columns, ["姓名"]);
    }

    #[test]
    fn without_a_header_the_first_column_is_the_number() {
        let (rows, _) = read_rows(records(&["M7", "M8"])).unwrap();
        assert_eq!(rows.len(), 2);
    }
}
