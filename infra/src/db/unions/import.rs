//! A tree file written into the tree: placed against the tree as it stands, in one transaction.

use diesel::prelude::*;
use std::collections::{HashMap, HashSet};

use super::super::audit;
use super::super::schema::union_nodes;
use super::super::DbConn;
use super::{employers_of, insert_node, lock_tree, rewrite_paths, set_employers, NodeRecord};
use domain::admin::NewAuditEntry;
use domain::shared::import::{ImportReport, Refusal};
use domain::unions::model::UnionNode;
use domain::unions::tree::{place, NodeRow};
use domain::unions::{NodePath, UnionCode, UnionKind};

/// A tree import in the caller's transaction: placed against the tree as it stands, written in the
/// order placed (parents first), each path taken from its parent as written by then.
pub(super) fn import_rows(
    conn: &mut DbConn,
    rows: Vec<NodeRow>,
    mut report: ImportReport,
    dry_run: bool,
    within: Option<NodePath>,
    mut entry: NewAuditEntry,
) -> anyhow::Result<ImportReport> {
    lock_tree(conn)?;
    let now = entry.at.naive_utc();
    let records: Vec<NodeRecord> = union_nodes::table.select(NodeRecord::as_select()).load(conn)?;
    let codes: Vec<String> = records.iter().map(|r| r.code.clone()).collect();
    let mut employers = employers_of(conn, &codes)?;
    let mut existing: HashMap<UnionCode, UnionNode> = HashMap::with_capacity(records.len());
    for r in records {
        let e = employers.remove(&r.code).unwrap_or_default();
        let node = r.into_node(e)?;
        existing.insert(node.code.clone(), node);
    }
    // What placing cannot see: a kind changed, a closed union; and for staff of a part of the
    // tree, a union or a parent outside it, or a root. Refused here, a row's children in the file
    // are refused with it, so whatever is placed lands inside their part.
    let outside =
        |code: &UnionCode| within.as_ref().is_some_and(|w| existing.get(code).is_some_and(|n| !w.contains(&n.path)));
    let mut cells: HashMap<u64, Vec<String>> = HashMap::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        let beyond = if outside(&row.code) {
            Some(&row.code)
        } else {
            match &row.parent {
                Some(parent) => Some(parent).filter(|p| outside(p)),
                None => Some(&row.code).filter(|_| within.is_some()),
            }
        };
        let refusal = match existing.get(&row.code) {
            _ if beyond.is_some() => {
                let code = beyond.map(UnionCode::as_str).unwrap_or_default();
                Some(Refusal::file(
                    format!("{code} 不在您的管辖范围内"),
                    format!("{code} is outside your part of the tree"),
                ))
            }
            Some(node) if node.kind != row.kind => Some(Refusal::file(
                format!("{} 已是{}，类型不可在导入中更改", row.code, node.kind.zh()),
                format!("{} is a {} union already: an import does not change a kind", row.code, node.kind.as_str()),
            )),
            Some(node) if !node.is_open() => {
                Some(Refusal::file(format!("{} 已撤销", row.code), format!("{} is closed", row.code)))
            }
            _ => None,
        };
        match refusal {
            Some(refusal) => {
                report.reject(row.line, refusal, &row.cells.iter().map(String::as_str).collect::<Vec<_>>())
            }
            None => {
                cells.insert(row.line, row.cells.clone());
                kept.push(row);
            }
        }
    }
    let shape: HashMap<UnionCode, (UnionKind, NodePath)> =
        existing.iter().map(|(code, n)| (code.clone(), (n.kind, n.path.clone()))).collect();
    let (placed, refused) = place(&shape, kept);
    for r in refused {
        let row = cells.get(&r.line).cloned().unwrap_or_default();
        report.reject(r.line, Refusal::file(r.zh, r.en), &row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    report.sort_rejections();
    report.accepted = placed.len() as u64;
    // Paths as written so far; a subtree moved makes them stale.
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut seen: HashSet<UnionCode> = HashSet::new();
    for p in placed {
        seen.insert(p.code.clone());
        let before = existing.get(&p.code);
        let same = before
            .is_some_and(|n| n.name == p.name && n.parent == p.parent && n.employers == p.employers && !n.unplaced);
        match before {
            Some(_) if same => report.unchanged += 1,
            Some(_) => report.updated += 1,
            None => report.inserted += 1,
        }
        if dry_run || same {
            continue;
        }
        let code = p.code.as_str();
        let parent_path = match &p.parent {
            None => None,
            Some(parent) => Some(match paths.get(parent.as_str()) {
                Some(path) => path.clone(),
                None => {
                    let path: String = union_nodes::table
                        .filter(union_nodes::code.eq(parent.as_str()))
                        .select(union_nodes::path)
                        .first(conn)?;
                    paths.insert(parent.to_string(), path.clone());
                    path
                }
            }),
        };
        let path = match &parent_path {
            Some(parent_path) => format!("{parent_path}{code}/"),
            None => format!("/{code}/"),
        };
        match before {
            None => {
                let parent = p.parent.as_ref().map(UnionCode::as_str).unwrap_or_default();
                insert_node(conn, code, p.name.as_str(), p.kind, parent, &path, now)?;
            }
            Some(_) => {
                let current: String =
                    union_nodes::table.filter(union_nodes::code.eq(code)).select(union_nodes::path).first(conn)?;
                if current != path {
                    anyhow::ensure!(!path.starts_with(&current), "{code} would move under itself");
                    rewrite_paths(conn, &current, &path, now)?;
                    paths.clear();
                }
                diesel::update(union_nodes::table.filter(union_nodes::code.eq(code)))
                    .set((
                        union_nodes::name.eq(p.name.as_str()),
                        union_nodes::parent_code.eq(p.parent.as_ref().map(UnionCode::as_str)),
                        union_nodes::unplaced.eq(false),
                        union_nodes::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        set_employers(conn, code, &p.employers)?;
    }
    if !dry_run {
        entry.after = Some(serde_json::json!({"inserted": report.inserted, "updated": report.updated,
            "unchanged": report.unchanged, "rejected": report.rejected}));
        audit::append(conn, entry)?;
    }
    Ok(report)
}
