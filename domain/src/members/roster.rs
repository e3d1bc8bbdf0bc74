//! The union's member roster as admins import it: one row per member, keyed by ID number.

use chrono::NaiveDate;

use super::identity::{IdNumber, PersonName};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterStatus {
    Active,
    Left,
}

impl RosterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Active => "active",
            RosterStatus::Left => "left",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub name: PersonName,
    pub id_number: IdNumber,
    pub union_org_code: String,
    pub union_org_name: String,
    pub member_no: String,
    pub status: RosterStatus,
}

/// The import file's columns, in order.
pub const COLUMNS: [&str; 6] = ["name", "id_number", "union_org_code", "union_org_name", "member_no", "status"];

fn text(field: &str, what: &str, max: usize) -> Result<String, String> {
    let v = field.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        Err(format!("{what} must be 1-{max} printable characters"))
    } else {
        Ok(v.to_owned())
    }
}

impl RosterEntry {
    /// Parses one CSV record; the error is the reason shown to the admin for that line.
    pub fn parse(fields: &[&str], today: NaiveDate) -> Result<Self, String> {
        if fields.len() != COLUMNS.len() {
            return Err(format!("expected {} columns ({}), found {}", COLUMNS.len(), COLUMNS.join(","), fields.len()));
        }
        Ok(Self {
            name: PersonName::parse(fields[0]).map_err(|e| format!("name: {e}"))?,
            id_number: IdNumber::parse(fields[1], today).map_err(|e| format!("id_number: {e}"))?,
            union_org_code: text(fields[2], "union_org_code", 32)?,
            union_org_name: text(fields[3], "union_org_name", 100)?,
            member_no: text(fields[4], "member_no", 32)?,
            status: match fields[5].trim() {
                "active" => RosterStatus::Active,
                "left" => RosterStatus::Left,
                other => return Err(format!("status must be active or left, not '{other}'")),
            },
        })
    }

    /// Is this record the header line?
    pub fn is_header(fields: &[&str]) -> bool {
        fields.len() == COLUMNS.len()
            && fields.iter().zip(COLUMNS).all(|(f, c)| f.trim().trim_start_matches('\u{feff}') == c)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// What an import did. Rejections past the first [`ImportReport::KEEP`] are counted, not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to what the roster already held.
    pub unchanged: u64,
    pub rejected: u64,
    pub rejections: Vec<Rejection>,
}

impl ImportReport {
    pub const KEEP: usize = 1_000;

    pub fn reject(&mut self, line: u64, reason: String) {
        self.rejected += 1;
        if self.rejections.len() < Self::KEEP {
            self.rejections.push(Rejection { line, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_explains_bad_rows() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let ok = ["张三", "11010519491231002X", "SZ-001", "苏州工业园区总工会", "M0001", "active"];
        assert_eq!(RosterEntry::parse(&ok, today).unwrap().status, RosterStatus::Active);
        let mut bad = ok;
        bad[1] = "110105194912310021";
        assert!(RosterEntry::parse(&bad, today).unwrap_err().starts_with("id_number"));
        bad = ok;
        bad[5] = "retired";
        assert!(RosterEntry::parse(&bad, today).unwrap_err().contains("status"));
        assert!(RosterEntry::parse(&ok[..5], today).unwrap_err().contains("expected 6 columns"));
        assert!(RosterEntry::is_header(&COLUMNS));
        assert!(!RosterEntry::is_header(&ok));
    }
}
