//! The union's member roster as admins import it: one row per member, keyed by ID number.

use chrono::NaiveDate;

use super::identity::{IdNumber, PersonName};
use crate::shared::import::text_cell;
pub use crate::shared::import::{ColumnSet, ImportProgress, ImportReport, Refusal, Rejection};

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

/// A column of the roster file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    IdNumber,
    UnionOrgCode,
    UnionOrgName,
    MemberNo,
    Status,
}

impl Column {
    /// In the documented order, which a file without a header row must follow.
    pub const ALL: [Column; 6] =
        [Column::Name, Column::IdNumber, Column::UnionOrgCode, Column::UnionOrgName, Column::MemberNo, Column::Status];
}

impl ColumnSet for Column {
    const ALL: &'static [Self] = &Column::ALL;

    fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::IdNumber => "id_number",
            Column::UnionOrgCode => "union_org_code",
            Column::UnionOrgName => "union_org_name",
            Column::MemberNo => "member_no",
            Column::Status => "status",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Column::Name => "姓名",
            Column::IdNumber => "身份证号",
            Column::UnionOrgCode => "工会编码",
            Column::UnionOrgName => "工会名称",
            Column::MemberNo => "会员编号",
            Column::Status => "状态",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["name", "姓名", "会员姓名", "名字", "职工姓名"],
            Column::IdNumber => {
                &["id_number", "idnumber", "身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "证件号"]
            }
            Column::UnionOrgCode => &["union_org_code", "工会编码", "工会代码", "组织编码", "工会组织编码"],
            Column::UnionOrgName => &["union_org_name", "工会名称", "所属工会", "组织名称", "工会组织名称"],
            Column::MemberNo => &["member_no", "会员编号", "会员号", "会员证号"],
            Column::Status => &["status", "状态", "会籍状态", "会员状态"],
        }
    }
}

/// The template's example row, in [`Column::ALL`]'s order.
pub const EXAMPLE_ROW: [&str; 6] =
    ["张三", "11010519491231002X", "SZ-SIP-001", "苏州工业园区某公司工会", "M000123", "在会"];

/// The status values taken, and what they mean: the documented table.
pub const STATUS_VALUES: [(&str, RosterStatus); 10] = [
    ("active", RosterStatus::Active),
    ("在会", RosterStatus::Active),
    ("正常", RosterStatus::Active),
    ("在籍", RosterStatus::Active),
    ("有效", RosterStatus::Active),
    ("left", RosterStatus::Left),
    ("离会", RosterStatus::Left),
    ("转出", RosterStatus::Left),
    ("退会", RosterStatus::Left),
    ("注销", RosterStatus::Left),
];

impl RosterStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        let v = raw.trim().to_lowercase();
        STATUS_VALUES.iter().find(|(name, _)| *name == v).map(|(_, status)| *status)
    }
}

/// Where each column is in a roster file's rows.
pub type Layout = crate::shared::import::Layout<Column>;

/// `3.20502E+17`, `320502199003071000`: what a spreadsheet makes of an 18-digit number it was
/// allowed to read as a number (it keeps 15 significant digits).
fn looks_numeric(raw: &str) -> bool {
    let v = raw.trim();
    v.contains(['E', 'e']) && v.replace(['E', 'e', '+', '-', '.'], "").chars().all(|c| c.is_ascii_digit())
        || v.ends_with(".0") && v.trim_end_matches(".0").chars().all(|c| c.is_ascii_digit())
}

/// The refusal for an ID number a spreadsheet turned into a number.
pub fn numeric_id_refusal() -> Refusal {
    Refusal::of(
        Column::IdNumber,
        "身份证号列被设为数字格式，请设为文本后重新导出",
        "the ID number column is formatted as numbers: format it as text and export again",
    )
}

impl RosterEntry {
    /// Parses one row laid out as `layout` says; the refusal is what staff are shown for that line.
    pub fn parse(layout: &Layout, fields: &[&str], today: NaiveDate) -> Result<Self, Refusal> {
        layout.check_width(fields)?;
        let cell = |c: Column| layout.cell(fields, c);
        let raw_id = cell(Column::IdNumber);
        if looks_numeric(raw_id) {
            return Err(numeric_id_refusal());
        }
        Ok(Self {
            name: PersonName::parse(cell(Column::Name)).map_err(|e| {
                Refusal::of(
                    Column::Name,
                    "姓名须为 2–20 个汉字（少数民族姓名各部分之间用“·”分隔）",
                    format!("name: {e}"),
                )
            })?,
            id_number: IdNumber::parse(raw_id, today)
                .map_err(|e| Refusal::of(Column::IdNumber, id_zh(&e), format!("id_number: {e}")))?,
            union_org_code: crate::unions::UnionCode::parse(cell(Column::UnionOrgCode))
                .map_err(|e| {
                    Refusal::of(
                        Column::UnionOrgCode,
                        "工会编码须为 1–32 位字母、数字或“-”（统一社会信用代码须校验位正确）",
                        format!("union_org_code: {e}"),
                    )
                })?
                .to_string(),
            union_org_name: text_cell(cell(Column::UnionOrgName), Column::UnionOrgName, 100)?,
            member_no: text_cell(cell(Column::MemberNo), Column::MemberNo, 32)?,
            status: RosterStatus::parse(cell(Column::Status)).ok_or_else(|| {
                let other = cell(Column::Status).trim();
                Refusal::of(
                    Column::Status,
                    format!("状态“{other}”无法识别：在会/正常/active 表示在会，离会/转出/left 表示离会"),
                    format!("status '{other}' is not one of the documented values (active, left, 在会, 离会, …)"),
                )
            })?,
        })
    }
}

fn id_zh(e: &super::identity::InvalidIdNumber) -> &'static str {
    use super::identity::InvalidIdNumber as E;
    match e {
        E::Format => "身份证号须为 18 位：17 位数字加 1 位数字或 X",
        E::Region => "身份证号前两位不是省级行政区划代码",
        E::BirthDate => "身份证号中的出生日期不是过去的真实日期",
        E::CheckDigit => "身份证号校验位不正确",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn parses_and_explains_bad_rows() {
        let layout = Layout::positional();
        let ok = ["张三", "11010519491231002X", "SZ-001", "苏州工业园区总工会", "M0001", "active"];
        assert_eq!(RosterEntry::parse(&layout, &ok, today()).unwrap().status, RosterStatus::Active);
        let mut bad = ok;
        bad[1] = "110105194912310021";
        let refused = RosterEntry::parse(&layout, &bad, today()).unwrap_err();
        assert_eq!((refused.column, refused.zh.as_str()), (Some(Column::IdNumber.name()), "身份证号校验位不正确"));
        bad = ok;
        bad[5] = "retired";
        assert_eq!(RosterEntry::parse(&layout, &bad, today()).unwrap_err().column, Some(Column::Status.name()));
        assert!(RosterEntry::parse(&layout, &ok[..5], today()).unwrap_err().en.contains("expected 6 columns"));
        bad = ok;
        bad[3] = "苏州\u{FFFD}工会";
        assert_eq!(RosterEntry::parse(&layout, &bad, today()).unwrap_err().column, Some(Column::UnionOrgName.name()));
        bad = ok;
        bad[1] = "1.10105E+17";
        assert_eq!(RosterEntry::parse(&layout, &bad, today()).unwrap_err(), numeric_id_refusal());
    }

    #[test]
    fn headers_in_any_order_by_chinese_or_english_names() {
        let header = ["\u{feff}状态", "公民身份号码", " 姓名 ", "备注", "会员编号", "所属工会", "工会编码"];
        let layout = Layout::from_header(&header).unwrap().expect("a header");
        assert_eq!(layout.unknown, ["备注"]);
        let row = ["在会", "１１０１０５１９４９１２３１００２ｘ", "张三", "随便", "M1", "园区工会", "ＳＺ－００１"];
        let entry = RosterEntry::parse(&layout, &row, today()).unwrap();
        assert_eq!(
            (entry.id_number.as_str(), entry.union_org_code.as_str(), entry.status),
            ("11010519491231002X", "SZ-001", RosterStatus::Active)
        );
        let english = ["Member_No", "STATUS", "name", "id_number", "union_org_name", "union_org_code"];
        assert!(Layout::from_header(&english).unwrap().is_some());
        assert_eq!(Layout::from_header(&["张三", "11010519491231002X", "SZ-1", "x", "M1", "active"]), Ok(None));
        let missing = Layout::from_header(&["姓名", "身份证号"]).unwrap_err();
        assert_eq!(missing.zh, "表头缺少以下列：工会编码、工会名称、会员编号、状态");
        assert!(Layout::from_header(&["姓名", "名字"]).unwrap_err().zh.contains("两次"));
    }

    #[test]
    fn status_values_in_chinese_and_english() {
        for (raw, status) in [
            ("在会", RosterStatus::Active),
            ("正常", RosterStatus::Active),
            ("Active", RosterStatus::Active),
            ("离会", RosterStatus::Left),
            ("转出", RosterStatus::Left),
            (" left ", RosterStatus::Left),
        ] {
            assert_eq!(RosterStatus::parse(raw), Some(status), "{raw}");
        }
        assert_eq!(RosterStatus::parse("退休"), None);
    }
}
