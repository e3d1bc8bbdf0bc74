//! The tree's use cases: who may change it, what each change is recorded as.

use std::io::Read;

use super::code::UnionCode;
use super::error::UnionError;
use super::file::{parse_row, TreeColumn};
use super::model::{check_seen, NewNode, NodeChange, NodeFilter, UnionNode};
use super::node::NodePath;
use super::ports::{Merged, UnionTree};
use super::scope::Scope;
use super::tree::NodeRow;
use crate::admin::{Actor, NewAuditEntry};
use crate::members::roster_import::ReadError;
use crate::shared::import::{each_row, ImportReport, Refusal};
use crate::shared::{Clock, Page, PageRequest};

pub use crate::shared::import::Record;

/// Reads a tree file's records (its encoding found, CSV split) — the file adapter.
pub trait TreeFile: Send + Sync + 'static {
    /// Every record, or one refusal for the whole file.
    fn records(&self, input: Box<dyn Read + Send>) -> Result<Vec<Record>, ReadError>;
}

/// A search term as typed: full-width letters folded, trimmed, at most 100 characters.
fn search_text(text: Option<String>) -> Result<Option<String>, UnionError> {
    let Some(text) = text else { return Ok(None) };
    let text = crate::shared::text::fold_width(&text).trim().to_owned();
    if text.chars().count() > 100 {
        return Err(UnionError::invalid("q", "搜索词最多 100 个字符", "q has at most 100 characters"));
    }
    Ok((!text.is_empty()).then_some(text))
}

pub struct UnionService<T, F, C> {
    pub tree: T,
    pub file: F,
    pub clock: C,
}

impl<T: UnionTree, F: TreeFile, C: Clock> UnionService<T, F, C> {
    fn may_change(actor: &Actor) -> Result<(), UnionError> {
        if actor.role.may_write() {
            Ok(())
        } else {
            Err(UnionError::Forbidden)
        }
    }

    fn entry(&self, actor: &Actor, action: &'static str, target: &UnionCode) -> NewAuditEntry {
        NewAuditEntry::by(actor, self.clock.now(), action, target.to_string())
    }

    /// The part of the tree `actor` works in; `None` for all of it.
    fn within(actor: &Actor) -> Option<NodePath> {
        if actor.sees_everything() {
            None
        } else {
            actor.scope.as_ref().map(|s| s.path.clone())
        }
    }

    /// The top of `actor`'s part of the tree: their scope node, or the city federation.
    pub async fn home(&self, actor: &Actor) -> Result<UnionNode, UnionError> {
        match &actor.scope {
            Some(scope) => self.get(actor, &scope.code).await,
            None => self.tree.root().await?.ok_or_else(|| anyhow::anyhow!("the tree has no root").into()),
        }
    }

    /// A union in `actor`'s part of the tree; one outside it is not found.
    pub async fn get(&self, actor: &Actor, code: &UnionCode) -> Result<UnionNode, UnionError> {
        let node = self.tree.get(code).await?.ok_or_else(|| UnionError::NotFound(code.clone()))?;
        check_seen(&node, Self::within(actor).as_ref())?;
        Ok(node)
    }

    /// An open union in `actor`'s part of the tree, as a part of the tree staff work in.
    pub async fn scope_of(&self, actor: &Actor, code: &UnionCode) -> Result<Scope, UnionError> {
        let node = self.get(actor, code).await?;
        if !node.is_open() {
            return Err(UnionError::Closed(node.code));
        }
        Ok(Scope { code: node.code, path: node.path })
    }

    /// Unions as `filter` says, within `actor`'s part of the tree (`filter.under`, if given, was
    /// read through [`Self::get`], so it lies in it).
    pub async fn list(
        &self,
        actor: &Actor,
        mut filter: NodeFilter,
        page: PageRequest,
    ) -> Result<Page<UnionNode>, UnionError> {
        if filter.under.is_none() {
            filter.under = Self::within(actor);
        }
        filter.text = search_text(filter.text.take())?;
        Ok(self.tree.list(filter, page).await?)
    }

    /// Open grassroots and joint unions matching `text` (name, code or an employer covered): what a
    /// member looking for their workplace's union is shown, wherever it is in the tree.
    pub async fn joinable(&self, text: Option<String>, page: PageRequest) -> Result<Page<UnionNode>, UnionError> {
        let filter = NodeFilter { text: search_text(text)?, joinable_only: true, ..NodeFilter::default() };
        Ok(self.tree.list(filter, page).await?)
    }

    pub async fn create(&self, actor: &Actor, node: NewNode) -> Result<UnionNode, UnionError> {
        Self::may_change(actor)?;
        let entry = self.entry(actor, "union.create", &node.code);
        self.tree.create(node, Self::within(actor), entry).await
    }

    pub async fn change(&self, actor: &Actor, code: UnionCode, change: NodeChange) -> Result<UnionNode, UnionError> {
        Self::may_change(actor)?;
        let entry = self.entry(actor, "union.update", &code);
        self.tree.change(code, change, Self::within(actor), entry).await
    }

    pub async fn merge(&self, actor: &Actor, from: UnionCode, into: UnionCode) -> Result<Merged, UnionError> {
        Self::may_change(actor)?;
        let entry = self.entry(actor, "union.merge", &from);
        self.tree.merge(from, into, Self::within(actor), entry).await
    }

    pub async fn close(&self, actor: &Actor, code: UnionCode) -> Result<UnionNode, UnionError> {
        Self::may_change(actor)?;
        let entry = self.entry(actor, "union.close", &code);
        self.tree.close(code, Self::within(actor), entry).await
    }

    /// Every node under `code`, parents first: the export.
    pub async fn subtree(&self, actor: &Actor, code: &UnionCode) -> Result<Vec<UnionNode>, UnionError> {
        self.get(actor, code).await?;
        Ok(self.tree.subtree(code).await?)
    }

    /// Imports a tree file: rows in any order, each bad one refused by its line; the good ones
    /// written together. A file refused as a whole is one error.
    pub async fn import(
        &self,
        actor: &Actor,
        input: Box<dyn Read + Send>,
        dry_run: bool,
    ) -> Result<ImportReport, TreeImportError> {
        Self::may_change(actor).map_err(|_| TreeImportError::Forbidden)?;
        let records = self.file.records(input).map_err(|e| match e {
            ReadError::File(refusal) => TreeImportError::File(refusal),
            ReadError::Failed(e) => TreeImportError::Unknown(e),
        })?;
        let (rows, report) = read_rows(records).map_err(TreeImportError::File)?;
        let entry = NewAuditEntry::by(actor, self.clock.now(), "union.import", "union tree upload".into());
        Ok(self.tree.import(rows, report, dry_run, Self::within(actor), entry).await?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TreeImportError {
    #[error("only admins and operators change the tree")]
    Forbidden,
    #[error("{0}")]
    File(Refusal),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The file's records as rows, the refused ones already in the report; its header, if it has one,
/// says where each column is.
fn read_rows(records: Vec<Record>) -> Result<(Vec<NodeRow>, ImportReport), Refusal> {
    let mut rows = Vec::with_capacity(records.len());
    let report =
        each_row::<TreeColumn>(&records, |layout, line, fields, report| match parse_row(layout, fields, line) {
            Ok(row) => rows.push(row),
            Err(refusal) => report.reject(line, refusal, fields),
        })?;
    Ok((rows, report))
}
