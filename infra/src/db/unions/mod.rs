//! The union tree on both backends. A node's subtree is one range of its materialised path
//! (`path >= '/R/A/' AND path < '/R/A0'`: `0` follows `/`), which a B-tree index answers without
//! walking the tree; on PostgreSQL the column sorts bytewise (`COLLATE "C"`) so the range holds.
//! Every change takes the root's row lock first (SQLite's writer lock is the same): tree changes
//! are rare, and two moves at once could otherwise close a cycle.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::collections::HashMap;

mod import;

use super::audit;
use super::schema::{roster, union_employers, union_nodes};
use super::{Database, DbConn};
use domain::admin::NewAuditEntry;
use domain::shared::import::ImportReport;
use domain::shared::{Page, PageRequest};
use domain::unions::model::{
    check_close, check_employers, check_merge, check_move, check_parent, check_seen, Employers, NewNode, NodeChange,
    NodeFilter, UnionName, UnionNode,
};
use domain::unions::ports::{Merged, UnionTree};
use domain::unions::tree::NodeRow;
use domain::unions::{NodePath, UnionCode, UnionError, UnionKind};

diesel::define_sql_function!(fn substr(x: Text, start: Integer) -> Text);

#[derive(Clone)]
pub struct DbUnions(pub Database);

#[derive(Queryable, Selectable)]
#[diesel(table_name = union_nodes)]
struct NodeRecord {
    id: i64,
    code: String,
    name: String,
    kind: String,
    parent_code: Option<String>,
    path: String,
    unplaced: bool,
    closed_at: Option<NaiveDateTime>,
    merged_into: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl NodeRecord {
    fn into_node(self, employers: Vec<String>) -> QueryResult<UnionNode> {
        let bad =
            |what: &str| diesel::result::Error::DeserializationError(format!("union {}: {what}", self.code).into());
        Ok(UnionNode {
            code: UnionCode::stored(self.code.clone()),
            name: UnionName::stored(self.name.clone()),
            kind: UnionKind::parse(&self.kind).ok_or_else(|| bad("unknown kind"))?,
            parent: self.parent_code.map(UnionCode::stored),
            path: NodePath::stored(self.path),
            employers: Employers::stored(employers),
            unplaced: self.unplaced,
            closed_at: self.closed_at.map(|t| t.and_utc()),
            merged_into: self.merged_into.map(UnionCode::stored),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// The bounds of the subtree under `path`: every path that starts with it.
pub(crate) fn subtree_range(path: &str) -> (String, String) {
    (path.to_owned(), format!("{}0", &path[..path.len() - 1]))
}

/// `%`, `_` and `\` taken literally in a `LIKE` pattern (with `ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let escaped: String =
        text.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    format!("%{escaped}%")
}

/// Takes the tree's lock: the root's row on PostgreSQL (SQLite's writer lock is held already).
fn lock_tree(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        union_nodes::table
            .filter(union_nodes::parent_code.is_null())
            .select(union_nodes::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

fn employers_of(conn: &mut DbConn, codes: &[String]) -> QueryResult<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, String)> = union_employers::table
            .filter(union_employers::union_code.eq_any(chunk))
            .order((union_employers::union_code, union_employers::position))
            .select((union_employers::union_code, union_employers::name))
            .load(conn)?;
        for (code, name) in rows {
            out.entry(code).or_default().push(name);
        }
    }
    Ok(out)
}

fn nodes_of(conn: &mut DbConn, records: Vec<NodeRecord>) -> QueryResult<Vec<UnionNode>> {
    let codes: Vec<String> = records.iter().map(|r| r.code.clone()).collect();
    let mut employers = employers_of(conn, &codes)?;
    records
        .into_iter()
        .map(|r| {
            let e = employers.remove(&r.code).unwrap_or_default();
            r.into_node(e)
        })
        .collect()
}

pub(crate) fn load(conn: &mut DbConn, code: &str) -> QueryResult<Option<UnionNode>> {
    let record: Option<NodeRecord> =
        union_nodes::table.filter(union_nodes::code.eq(code)).select(NodeRecord::as_select()).first(conn).optional()?;
    Ok(nodes_of(conn, record.into_iter().collect())?.pop())
}

/// The union `code`, if it lies `within` the asker's part of the tree.
fn found(conn: &mut DbConn, code: &UnionCode, within: Option<&NodePath>) -> Result<UnionNode, UnionError> {
    let node =
        load(conn, code.as_str()).map_err(anyhow::Error::from)?.ok_or_else(|| UnionError::NotFound(code.clone()))?;
    check_seen(&node, within)?;
    Ok(node)
}

fn set_employers(conn: &mut DbConn, code: &str, employers: &Employers) -> QueryResult<()> {
    diesel::delete(union_employers::table.filter(union_employers::union_code.eq(code))).execute(conn)?;
    let rows: Vec<_> = employers
        .names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                union_employers::union_code.eq(code),
                union_employers::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                union_employers::name.eq(name),
            )
        })
        .collect();
    // One statement each: a multi-row insert is not one the two backends share.
    for row in rows {
        diesel::insert_into(union_employers::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Moves the node at `from` (and everything under it) to `to`.
fn rewrite_paths(conn: &mut DbConn, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let (lo, hi) = subtree_range(from);
    let keep = i32::try_from(from.len() + 1).unwrap_or(i32::MAX);
    diesel::update(union_nodes::table.filter(union_nodes::path.ge(lo)).filter(union_nodes::path.lt(hi)))
        .set((
            union_nodes::path.eq(to.to_owned().into_sql::<Text>().concat(substr(union_nodes::path, keep))),
            union_nodes::updated_at.eq(now),
        ))
        .execute(conn)
}

fn insert_node(
    conn: &mut DbConn,
    code: &str,
    name: &str,
    kind: UnionKind,
    parent: &str,
    path: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(union_nodes::table)
        .values((
            union_nodes::code.eq(code),
            union_nodes::name.eq(name),
            union_nodes::kind.eq(kind.as_str()),
            union_nodes::parent_code.eq(parent),
            union_nodes::path.eq(path),
            union_nodes::unplaced.eq(false),
            union_nodes::created_at.eq(now),
            union_nodes::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

fn node_json(n: &UnionNode) -> serde_json::Value {
    serde_json::json!({"code": n.code.as_str(), "name": n.name.as_str(), "kind": n.kind.as_str(),
        "parent": n.parent.as_ref().map(UnionCode::as_str), "employers": n.employers.names(),
        "closed": n.closed_at.is_some()})
}

fn active_members(conn: &mut DbConn, code: &str) -> QueryResult<i64> {
    roster::table
        .filter(roster::union_org_code.eq(code))
        .filter(roster::status.eq("active"))
        .select(count_star())
        .first(conn)
}

impl UnionTree for DbUnions {
    async fn root(&self) -> anyhow::Result<Option<UnionNode>> {
        self.0
            .run(move |conn| {
                let code: Option<String> = union_nodes::table
                    .filter(union_nodes::parent_code.is_null())
                    .select(union_nodes::code)
                    .first(conn)
                    .optional()?;
                Ok::<_, anyhow::Error>(match code {
                    Some(code) => load(conn, &code)?,
                    None => None,
                })
            })
            .await
    }

    async fn get(&self, code: &UnionCode) -> anyhow::Result<Option<UnionNode>> {
        let code = code.to_string();
        self.0.run(move |conn| load(conn, &code).map_err(anyhow::Error::from)).await
    }

    async fn list(&self, filter: NodeFilter, page: PageRequest) -> anyhow::Result<Page<UnionNode>> {
        let limit = page.limit;
        let (records, next) = self
            .0
            .run(move |conn| {
                let mut q =
                    union_nodes::table.select(NodeRecord::as_select()).order(union_nodes::id.asc()).into_boxed();
                if let Some(under) = &filter.under {
                    let (lo, hi) = subtree_range(under.as_str());
                    q = q.filter(union_nodes::path.ge(lo)).filter(union_nodes::path.lt(hi));
                }
                if let Some(parent) = &filter.parent {
                    q = q.filter(union_nodes::parent_code.eq(parent.to_string()));
                }
                if let Some(kind) = filter.kind {
                    q = q.filter(union_nodes::kind.eq(kind.as_str()));
                }
                if let Some(text) = &filter.text {
                    let pattern = like_pattern(text);
                    let by_employer = union_employers::table
                        .filter(union_employers::name.like(pattern.clone()).escape('\\'))
                        .select(union_employers::union_code);
                    q = q.filter(
                        union_nodes::name
                            .like(pattern.clone())
                            .escape('\\')
                            .or(union_nodes::code.like(like_pattern(&text.to_uppercase())).escape('\\'))
                            .or(union_nodes::code.eq_any(by_employer)),
                    );
                }
                if filter.joinable_only {
                    q = q.filter(union_nodes::kind.eq_any([UnionKind::Grassroots.as_str(), UnionKind::Joint.as_str()]));
                }
                if filter.unplaced_only {
                    q = q.filter(union_nodes::unplaced.eq(true));
                }
                if !filter.with_closed {
                    q = q.filter(union_nodes::closed_at.is_null());
                }
                if let Some(after) = page.after {
                    q = q.filter(union_nodes::id.gt(after.key()));
                }
                let rows: Vec<NodeRecord> = q.limit(i64::from(limit.get()) + 1).load(conn)?;
                let page = Page::from_overfetch(rows, limit, |r| r.id);
                let nodes = nodes_of(conn, page.items)?;
                Ok::<_, anyhow::Error>((nodes, page.next))
            })
            .await?;
        Ok(Page { items: records, next })
    }

    async fn subtree(&self, code: &UnionCode) -> anyhow::Result<Vec<UnionNode>> {
        let code = code.to_string();
        self.0
            .snapshot(move |conn| {
                let Some(root) = load(conn, &code)? else { return Ok(Vec::new()) };
                let (lo, hi) = subtree_range(root.path.as_str());
                let records: Vec<NodeRecord> = union_nodes::table
                    .filter(union_nodes::path.ge(lo))
                    .filter(union_nodes::path.lt(hi))
                    .order(union_nodes::path.asc())
                    .select(NodeRecord::as_select())
                    .load(conn)?;
                Ok(nodes_of(conn, records)?)
            })
            .await
    }

    async fn create(
        &self,
        node: NewNode,
        within: Option<NodePath>,
        mut entry: NewAuditEntry,
    ) -> Result<UnionNode, UnionError> {
        let now = entry.at.naive_utc();
        self.changing(move |conn| {
            if load(conn, node.code.as_str())?.is_some() {
                return Err(UnionError::CodeTaken(node.code).into());
            }
            let parent = found(conn, &node.parent, within.as_ref())?;
            check_parent(node.kind, &parent)?;
            check_employers(node.kind, &node.employers)?;
            let path = parent.path.child(&node.code);
            let code = node.code.as_str();
            insert_node(conn, code, node.name.as_str(), node.kind, parent.code.as_str(), path.as_str(), now)?;
            set_employers(conn, code, &node.employers)?;
            let made = reload(conn, code)?;
            entry.after = Some(node_json(&made));
            audit::append(conn, entry)?;
            Ok(made)
        })
        .await
    }

    async fn change(
        &self,
        code: UnionCode,
        change: NodeChange,
        within: Option<NodePath>,
        entry: NewAuditEntry,
    ) -> Result<UnionNode, UnionError> {
        let now = entry.at.naive_utc();
        self.changing(move |conn| {
            let node = found(conn, &code, within.as_ref())?;
            if !node.is_open() {
                return Err(UnionError::Closed(code).into());
            }
            if let Some(name) = &change.name {
                diesel::update(union_nodes::table.filter(union_nodes::code.eq(code.as_str())))
                    .set((union_nodes::name.eq(name.as_str()), union_nodes::updated_at.eq(now)))
                    .execute(conn)?;
            }
            if let Some(employers) = &change.employers {
                check_employers(node.kind, employers)?;
                set_employers(conn, code.as_str(), employers)?;
            }
            if let Some(parent) = &change.parent {
                let parent = found(conn, parent, within.as_ref())?;
                let path = check_move(&node, &parent)?;
                rewrite_paths(conn, node.path.as_str(), path.as_str(), now)?;
                diesel::update(union_nodes::table.filter(union_nodes::code.eq(code.as_str())))
                    .set((
                        union_nodes::parent_code.eq(parent.code.as_str()),
                        union_nodes::unplaced.eq(false),
                        union_nodes::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            let after = reload(conn, code.as_str())?;
            audit::append(conn, entry.change(Some(node_json(&node)), Some(node_json(&after))))?;
            Ok(after)
        })
        .await
    }

    async fn merge(
        &self,
        from: UnionCode,
        into: UnionCode,
        within: Option<NodePath>,
        entry: NewAuditEntry,
    ) -> Result<Merged, UnionError> {
        let now = entry.at.naive_utc();
        self.changing(move |conn| {
            let (from, into) = (found(conn, &from, within.as_ref())?, found(conn, &into, within.as_ref())?);
            check_merge(&from, &into)?;
            let members = diesel::update(roster::table.filter(roster::union_org_code.eq(from.code.as_str())))
                .set((
                    roster::union_org_code.eq(into.code.as_str()),
                    roster::union_org_name.eq(into.name.as_str()),
                    roster::updated_at.eq(now),
                ))
                .execute(conn)? as u64;
            diesel::update(union_nodes::table.filter(union_nodes::code.eq(from.code.as_str())))
                .set((
                    union_nodes::closed_at.eq(now),
                    union_nodes::merged_into.eq(into.code.as_str()),
                    union_nodes::updated_at.eq(now),
                ))
                .execute(conn)?;
            let closed = reload(conn, from.code.as_str())?;
            let after = serde_json::json!({"merged_into": into.code.as_str(), "members_moved": members});
            audit::append(conn, entry.change(Some(node_json(&from)), Some(after)))?;
            Ok(Merged { from: closed, into, members })
        })
        .await
    }

    async fn close(
        &self,
        code: UnionCode,
        within: Option<NodePath>,
        entry: NewAuditEntry,
    ) -> Result<UnionNode, UnionError> {
        let now = entry.at.naive_utc();
        self.changing(move |conn| {
            let node = found(conn, &code, within.as_ref())?;
            let active = active_members(conn, code.as_str())?;
            let open_children: i64 = union_nodes::table
                .filter(union_nodes::parent_code.eq(code.as_str()))
                .filter(union_nodes::closed_at.is_null())
                .select(count_star())
                .first(conn)?;
            check_close(&node, active as u64, open_children as u64)?;
            diesel::update(union_nodes::table.filter(union_nodes::code.eq(code.as_str())))
                .set((union_nodes::closed_at.eq(now), union_nodes::updated_at.eq(now)))
                .execute(conn)?;
            let closed = reload(conn, code.as_str())?;
            audit::append(conn, entry.change(Some(node_json(&node)), Some(node_json(&closed))))?;
            Ok(closed)
        })
        .await
    }

    async fn import(
        &self,
        rows: Vec<NodeRow>,
        report: ImportReport,
        dry_run: bool,
        within: Option<NodePath>,
        entry: NewAuditEntry,
    ) -> anyhow::Result<ImportReport> {
        self.0.transaction(move |conn| import::import_rows(conn, rows, report, dry_run, within, entry)).await
    }
}

/// A tree change's failure inside its transaction: refused by the tree's rules, or the store's. Either
/// rolls back what the change had written so far.
#[derive(Debug)]
struct Refused(UnionError);

impl From<UnionError> for Refused {
    fn from(e: UnionError) -> Self {
        Self(e)
    }
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Self {
        Self(UnionError::Unknown(e))
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Self(UnionError::Unknown(e.into()))
    }
}

impl DbUnions {
    /// `work` in one transaction with the tree locked.
    async fn changing<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, Refused> + Send + 'static,
    ) -> Result<T, UnionError> {
        self.0
            .transaction(move |conn| {
                lock_tree(conn)?;
                work(conn)
            })
            .await
            .map_err(|Refused(e)| e)
    }
}

/// A union just written, read back in the same transaction.
fn reload(conn: &mut DbConn, code: &str) -> Result<UnionNode, Refused> {
    load(conn, code)?.ok_or_else(|| anyhow::anyhow!("the union {code} just written is gone").into())
}
