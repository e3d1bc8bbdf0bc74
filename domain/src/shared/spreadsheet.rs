//! Cells of the CSV files staff, auditors and merchants open in a spreadsheet.

/// One text cell. A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or CR
/// first) gets a leading `'`, so a name like `=HYPERLINK(…)` stays text in the reader's
/// spreadsheet; then quoting where CSV needs it.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One record: its cells as [`cell`] writes them, separated by commas (the caller ends the line).
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    cells.iter().map(|c| cell(c.as_ref())).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::{cell, line};

    #[test]
    fn a_line_is_its_cells_separated_by_commas() {
        assert_eq!(line(&["张三", "a,b", "=1"]), "张三,\"a,b\",'=1");
    }

    #[test]
    fn cells_never_start_a_formula_and_are_quoted_when_needed() {
        assert_eq!(cell("月饼礼盒"), "月饼礼盒");
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for risky in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(risky).trim_start_matches('"').starts_with('\''), "{risky:?} -> {}", cell(risky));
        }
        assert_eq!(cell("a,b"), "\"a,b\"");
    }
}
