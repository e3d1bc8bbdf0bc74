//! The union tree as a file: its columns, their Chinese and English headers, and one row read
//! into a [`NodeRow`] or refused by its column.

use super::code::{InvalidUnionCode, UnionCode};
use super::error::UnionError;
use super::model::{check_employers, Employers, UnionName, UnionNode};
use super::node::UnionKind;
use super::tree::NodeRow;
use crate::shared::import::{ColumnSet, Layout, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeColumn {
    Code,
    Name,
    Kind,
    Parent,
    Employers,
}

impl ColumnSet for TreeColumn {
    const ALL: &'static [Self] =
        &[TreeColumn::Code, TreeColumn::Name, TreeColumn::Kind, TreeColumn::Parent, TreeColumn::Employers];

    fn key(self) -> &'static str {
        match self {
            TreeColumn::Code => "code",
            TreeColumn::Name => "name",
            TreeColumn::Kind => "kind",
            TreeColumn::Parent => "parent_code",
            TreeColumn::Employers => "employers",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            TreeColumn::Code => "工会编码",
            TreeColumn::Name => "工会名称",
            TreeColumn::Kind => "类型",
            TreeColumn::Parent => "上级工会编码",
            TreeColumn::Employers => "覆盖单位",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            TreeColumn::Code => &["code", "工会编码", "工会代码", "组织编码", "统一社会信用代码", "编码"],
            TreeColumn::Name => &["name", "工会名称", "组织名称", "名称"],
            TreeColumn::Kind => &["kind", "类型", "工会类型", "组织类型", "层级"],
            TreeColumn::Parent => &["parent_code", "parent", "上级工会编码", "上级编码", "上级组织编码", "上级工会"],
            TreeColumn::Employers => &["employers", "覆盖单位", "所在单位", "单位名称", "覆盖企业"],
        }
    }

    /// A tree without joint unions has nothing to write there.
    fn required(self) -> bool {
        self != TreeColumn::Employers
    }
}

/// The template's example rows, in [`TreeColumn::ALL`]'s order.
pub const EXAMPLE_ROWS: [[&str; 5]; 3] = [
    ["SZ-SIP", "苏州工业园区总工会", "区总工会", "ROOT", ""],
    ["SZ-SIP-WT", "娄葑街道总工会", "街道总工会", "SZ-SIP", ""],
    ["SZ-SIP-WT-J01", "娄葑街道联合工会", "联合工会", "SZ-SIP-WT", "苏州某某科技有限公司；苏州某某贸易有限公司"],
];

/// Reads one row; `line` is its line in the file.
pub fn parse_row(layout: &Layout<TreeColumn>, fields: &[&str], line: u64) -> Result<NodeRow, Refusal> {
    layout.check_width(fields)?;
    let cell = |c: TreeColumn| layout.cell(fields, c);
    let code = |c: TreeColumn| {
        UnionCode::parse(cell(c)).map_err(|e| {
            let zh = match e {
                InvalidUnionCode::Format => format!("{}须为 1–32 位字母、数字或“-”", c.zh()),
                InvalidUnionCode::CheckCharacter => format!("{}（统一社会信用代码）校验位不正确", c.zh()),
            };
            Refusal::of(c, zh, format!("{}: {e}", c.key()))
        })
    };
    let kind = UnionKind::parse(cell(TreeColumn::Kind)).ok_or_else(|| {
        let other = cell(TreeColumn::Kind).trim();
        Refusal::of(
            TreeColumn::Kind,
            format!("类型“{other}”无法识别：区总工会、街道总工会、产业工会、基层工会、联合工会等"),
            format!("kind '{other}' is not one of city, district, town, industry, grassroots, joint"),
        )
    })?;
    let parent = if cell(TreeColumn::Parent).trim().is_empty() { None } else { Some(code(TreeColumn::Parent)?) };
    let employers = Employers::parse_cell(cell(TreeColumn::Employers))
        .map_err(|e| Refusal::of(TreeColumn::Employers, "覆盖单位名称须为 1–100 个字符", e.to_string()))?;
    if let Err(UnionError::Invalid { zh, en, .. }) = check_employers(kind, &employers) {
        return Err(Refusal::of(TreeColumn::Employers, zh, en));
    }
    Ok(NodeRow {
        line,
        code: code(TreeColumn::Code)?,
        name: UnionName::parse(cell(TreeColumn::Name))
            .map_err(|_| Refusal::of(TreeColumn::Name, "工会名称须为 1–100 个字符", "name has 1-100 characters"))?,
        kind,
        parent,
        employers,
        cells: fields.iter().map(|f| (*f).to_owned()).collect(),
    })
}

/// A node as the file writes it (an export imports back unchanged).
pub fn row_of(node: &UnionNode) -> [String; 5] {
    [
        node.code.to_string(),
        node.name.as_str().to_owned(),
        node.kind.zh().to_owned(),
        node.parent.as_ref().map(UnionCode::to_string).unwrap_or_default(),
        node.employers.names().join("；"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<NodeRow, Refusal> {
        let fields: Vec<&str> = line.split(',').collect();
        parse_row(&Layout::positional(), &fields, 2)
    }

    #[test]
    fn a_header_in_any_order_with_chinese_names() {
        let header = ["上级工会编码", "类型", "工会名称", "工会编码", "备注"];
        let layout = Layout::<TreeColumn>::from_header(&header).unwrap().unwrap();
        assert_eq!(layout.unknown, ["备注"]);
        let row = parse_row(&layout, &["SZ", "基层工会", "某公司工会", "ｓｚ－ｇ１", ""], 3).unwrap();
        assert_eq!((row.code.as_str(), row.kind, row.parent.unwrap().as_str()), ("SZ-G1", UnionKind::Grassroots, "SZ"));
        let missing = Layout::<TreeColumn>::from_header(&["工会编码", "工会名称"]).unwrap_err();
        assert!(missing.zh.contains("类型") && missing.zh.contains("上级工会编码"), "{}", missing.zh);
    }

    #[test]
    fn bad_cells_are_refused_by_their_column() {
        assert_eq!(read("SZ G1,某工会,基层工会,SZ,").unwrap_err().column.unwrap().key, "code");
        assert_eq!(read("SZ-G1,某工会,公司,SZ,").unwrap_err().column.unwrap().key, "kind");
        assert_eq!(read("SZ-G1,,基层工会,SZ,").unwrap_err().column.unwrap().key, "name");
        assert_eq!(read("SZ-T,某街道总工会,街道总工会,SZ,某公司").unwrap_err().column.unwrap().key, "employers");
        let joint = read("SZ-J,某联合工会,联合工会,SZ,甲公司；乙公司、甲公司").unwrap();
        assert_eq!(joint.employers.names(), ["甲公司", "乙公司"]);
        assert!(read("SZ-G1,某工会,基层工会").unwrap_err().zh.contains("应有"));
    }
}
