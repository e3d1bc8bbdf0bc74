//! Placing imported nodes into the tree: every row is checked against the tree as it stands and
//! the rows before it — duplicate codes, unknown parents, cycles, a node under a grassroots union,
//! a kind that may not sit where it is put — and refused by its line, in Chinese with English beside.

use std::collections::HashMap;

use super::code::UnionCode;
use super::model::{Employers, UnionName};
use super::node::{NodePath, UnionKind};

/// One row of a tree import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub line: u64,
    pub code: UnionCode,
    pub name: UnionName,
    pub kind: UnionKind,
    /// `None` only for the city federation, the root.
    pub parent: Option<UnionCode>,
    pub employers: Employers,
    /// The row's cells as read, for the file of rejected rows.
    pub cells: Vec<String>,
}

/// A row placed: its path in the tree after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub line: u64,
    pub code: UnionCode,
    pub name: UnionName,
    pub kind: UnionKind,
    pub parent: Option<UnionCode>,
    pub employers: Employers,
    pub path: NodePath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRefusal {
    pub line: u64,
    pub zh: String,
    pub en: String,
}

/// Places `rows` into the tree that holds `existing` (code → kind and path). Rows may come in any
/// order (a child before its parent); a row for a code the tree holds moves or renames that node,
/// and its subtree moves with it (the caller rewrites the paths under it).
pub fn place(
    existing: &HashMap<UnionCode, (UnionKind, NodePath)>,
    rows: Vec<NodeRow>,
) -> (Vec<Placed>, Vec<TreeRefusal>) {
    let mut refused = Vec::new();
    let refuse =
        |refused: &mut Vec<TreeRefusal>, line: u64, zh: String, en: String| refused.push(TreeRefusal { line, zh, en });
    // Duplicates: the first row of a code stands.
    let mut first: HashMap<UnionCode, u64> = HashMap::new();
    let mut pending = Vec::new();
    for row in rows {
        if let Some(line) = first.get(&row.code) {
            refuse(
                &mut refused,
                row.line,
                format!("编码 {} 与第 {line} 行重复", row.code),
                format!("code {} repeats line {line}", row.code),
            );
        } else {
            first.insert(row.code.clone(), row.line);
            pending.push(row);
        }
    }
    let in_file: HashMap<UnionCode, UnionKind> = pending.iter().map(|r| (r.code.clone(), r.kind)).collect();
    let has_root = existing.values().any(|(kind, _)| *kind == UnionKind::City);
    // Where each code is once placed: the tree's, overridden by this import's.
    let mut placed_at: HashMap<UnionCode, (UnionKind, NodePath)> = HashMap::new();
    let mut placed = Vec::new();
    loop {
        let mut progress = false;
        let mut waiting = Vec::new();
        for row in pending {
            let parent = match &row.parent {
                None => None,
                Some(p) => {
                    match placed_at.get(p).or_else(|| if in_file.contains_key(p) { None } else { existing.get(p) }) {
                        Some(found) => Some(found.clone()),
                        None if in_file.contains_key(p) => {
                            waiting.push(row);
                            continue;
                        }
                        None => {
                            refuse(
                                &mut refused,
                                row.line,
                                format!("上级工会 {p} 不存在"),
                                format!("the parent {p} is unknown"),
                            );
                            continue;
                        }
                    }
                }
            };
            progress = true;
            let path = match (&parent, row.kind) {
                (None, UnionKind::City)
                    if !has_root || existing.get(&row.code).is_some_and(|(k, _)| *k == UnionKind::City) =>
                {
                    NodePath::root(&row.code)
                }
                (None, _) => {
                    refuse(
                        &mut refused,
                        row.line,
                        "只有市总工会可以没有上级工会".into(),
                        "only the city federation has no parent".into(),
                    );
                    continue;
                }
                (Some((parent_kind, parent_path)), kind) => {
                    let own = existing.get(&row.code).map(|(_, p)| p);
                    if own.is_some_and(|own| own.contains(parent_path)) {
                        refuse(
                            &mut refused,
                            row.line,
                            format!("不能把 {} 移到它自己的下级之下", row.code),
                            format!("{} cannot move under its own subtree", row.code),
                        );
                        continue;
                    }
                    if !kind.may_sit_under(*parent_kind) {
                        let (zh, en) = if parent_kind.is_leaf() {
                            (
                                "基层工会和联合工会之下不能再设工会".to_owned(),
                                "a grassroots or joint union has no unions under it".to_owned(),
                            )
                        } else {
                            (
                                format!("{} 不能设在 {} 之下", kind.as_str(), parent_kind.as_str()),
                                format!("a {} union cannot sit under a {} one", kind.as_str(), parent_kind.as_str()),
                            )
                        };
                        refuse(&mut refused, row.line, zh, en);
                        continue;
                    }
                    parent_path.child(&row.code)
                }
            };
            placed_at.insert(row.code.clone(), (row.kind, path.clone()));
            placed.push(Placed {
                line: row.line,
                code: row.code,
                name: row.name,
                kind: row.kind,
                parent: row.parent,
                employers: row.employers,
                path,
            });
        }
        pending = waiting;
        if pending.is_empty() || !progress {
            break;
        }
    }
    // What still waits has a parent in the file that was refused, or they wait on each other.
    for row in pending {
        let parent = row.parent.as_ref().map(UnionCode::as_str).unwrap_or_default().to_owned();
        refuse(
            &mut refused,
            row.line,
            format!("上级工会 {parent} 未能导入，或与本行互为上级（成环）"),
            format!("the parent {parent} was refused, or the rows are each other's parents (a cycle)"),
        );
    }
    refused.sort_by_key(|r| r.line);
    (placed, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnionCode {
        UnionCode::parse(s).unwrap()
    }

    fn row(line: u64, c: &str, kind: UnionKind, parent: Option<&str>) -> NodeRow {
        NodeRow {
            line,
            code: code(c),
            name: UnionName::parse(&format!("{c} 工会")).unwrap(),
            kind,
            parent: parent.map(code),
            employers: Employers::default(),
            cells: Vec::new(),
        }
    }

    fn tree() -> HashMap<UnionCode, (UnionKind, NodePath)> {
        let city = NodePath::root(&code("SZ"));
        let sip = city.child(&code("SIP"));
        let town = sip.child(&code("WT"));
        HashMap::from([
            (code("SZ"), (UnionKind::City, city)),
            (code("SIP"), (UnionKind::District, sip)),
            (code("WT"), (UnionKind::Town, town.clone())),
            (code("G1"), (UnionKind::Grassroots, town.child(&code("G1")))),
        ])
    }

    #[test]
    fn rows_in_any_order_are_placed_under_their_parents() {
        use UnionKind::*;
        let rows = vec![
            row(2, "G2", Grassroots, Some("LT")),
            row(3, "LT", Town, Some("SIP")),
            row(4, "J1", Joint, Some("SZ")),
        ];
        let (placed, refused) = place(&tree(), rows);
        assert!(refused.is_empty(), "{refused:?}");
        let paths: HashMap<&str, &str> = placed.iter().map(|p| (p.code.as_str(), p.path.as_str())).collect();
        assert_eq!(paths["G2"], "/SZ/SIP/LT/G2/");
        assert_eq!(paths["J1"], "/SZ/J1/");
    }

    #[test]
    fn every_bad_row_is_refused_by_its_line() {
        use UnionKind::*;
        let rows = vec![
            row(2, "G3", Grassroots, Some("NOPE")),
            row(3, "G4", Grassroots, Some("G1")),
            row(4, "A", Town, Some("B")),
            row(5, "B", Town, Some("A")),
            row(6, "G5", Grassroots, Some("WT")),
            row(7, "G5", Grassroots, Some("SIP")),
            row(8, "SZ2", City, None),
            row(9, "SIP", District, Some("WT")),
            row(10, "D2", District, Some("SIP")),
        ];
        let (placed, refused) = place(&tree(), rows);
        let lines: Vec<u64> = refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 7, 8, 9, 10], "{refused:#?}");
        assert_eq!(placed.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["G5"]);
        assert!(refused[0].zh.contains("NOPE"));
        assert!(refused[1].zh.contains("基层工会"), "{}", refused[1].zh);
        assert!(refused[4].zh.contains("第 6 行"), "{}", refused[4].zh);
        assert!(refused[6].zh.contains("自己的下级"), "{}", refused[6].zh);
    }

    #[test]
    fn a_node_moves_with_its_subtree_to_a_new_parent() {
        let rows = vec![row(2, "WT", UnionKind::Town, Some("SZ"))];
        let (placed, refused) = place(&tree(), rows);
        assert!(refused.is_empty());
        assert_eq!(placed[0].path.as_str(), "/SZ/WT/");
        let child = &tree()[&code("G1")].1;
        let from = &tree()[&code("WT")].1;
        assert_eq!(child.moved(from, &placed[0].path).unwrap().as_str(), "/SZ/WT/G1/");
    }
}
