use std::future::Future;

use super::code::UnionCode;
use super::error::UnionError;
use super::model::{NewNode, NodeChange, NodeFilter, UnionNode};
use super::node::NodePath;
use super::tree::NodeRow;
use crate::admin::NewAuditEntry;
use crate::shared::import::ImportReport;
use crate::shared::{Page, PageRequest};

/// What a merge moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub from: UnionNode,
    pub into: UnionNode,
    /// Roster rows moved from one to the other.
    pub members: u64,
}

/// The tree as kept. Every change runs in one transaction with the tree locked, checks the state
/// it starts from with the rules of [`super::model`], and writes its audit row with it. `within`
/// is the part of the tree the one asking works in (`None`: all of it): outside it, nothing is.
pub trait UnionTree: Send + Sync + 'static {
    fn root(&self) -> impl Future<Output = anyhow::Result<Option<UnionNode>>> + Send;
    fn get(&self, code: &UnionCode) -> impl Future<Output = anyhow::Result<Option<UnionNode>>> + Send;
    fn list(
        &self,
        filter: NodeFilter,
        page: PageRequest,
    ) -> impl Future<Output = anyhow::Result<Page<UnionNode>>> + Send;
    /// Every node under `code` (itself included), parents before children.
    fn subtree(&self, code: &UnionCode) -> impl Future<Output = anyhow::Result<Vec<UnionNode>>> + Send;
    fn create(
        &self,
        node: NewNode,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<UnionNode, UnionError>> + Send;
    fn change(
        &self,
        code: UnionCode,
        change: NodeChange,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<UnionNode, UnionError>> + Send;
    fn merge(
        &self,
        from: UnionCode,
        into: UnionCode,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<Merged, UnionError>> + Send;
    fn close(
        &self,
        code: UnionCode,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<UnionNode, UnionError>> + Send;
    /// Places `rows` (see [`super::tree::place`]) and writes the placed ones, all in one
    /// transaction; the rows refused are added to `report`. With `dry_run` nothing is written.
    fn import(
        &self,
        rows: Vec<NodeRow>,
        report: ImportReport,
        dry_run: bool,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<ImportReport>> + Send;
}
