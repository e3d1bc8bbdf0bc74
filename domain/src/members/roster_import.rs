//! Importing the union's roster, from the admin API or the command line: the file is read and
//! written by the importer port, and the import is audit-logged here, once for both.

use std::future::Future;
use std::io::Read;

use super::roster::{ImportProgress, ImportReport, Refusal};
use crate::admin::{Actor, AuditLog, NewAuditEntry};
use crate::shared::Clock;

/// Why a file was not imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file as a whole cannot be read as a roster (its encoding, its header): one refusal,
    /// never one per line.
    #[error("{0}")]
    File(Refusal),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// What the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterFormat {
    /// Text, comma-separated, in UTF-8, GB18030/GBK or UTF-16 with BOM.
    Csv,
    /// An Excel workbook: the first sheet, or the one named.
    Xlsx { sheet: Option<String> },
}

/// Reads a roster file to the end and writes it; bad rows are reported by line, not fatal.
pub trait RosterImporter: Send + Sync + 'static {
    /// With `dry_run`, every row is read and checked and nothing is written. With `within`, a row
    /// naming a union that is not an open union under that path is refused.
    fn import(
        &self,
        input: Box<dyn Read + Send>,
        format: RosterFormat,
        dry_run: bool,
        within: Option<crate::unions::NodePath>,
        now: chrono::DateTime<chrono::Utc>,
        progress: Box<dyn FnMut(ImportProgress) + Send>,
    ) -> impl Future<Output = Result<ImportReport, ReadError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("only admins and operators may import the roster")]
    Forbidden,
    #[error("{0}")]
    File(Refusal),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<ReadError> for ImportError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::File(refusal) => ImportError::File(refusal),
            ReadError::Failed(e) => ImportError::Unknown(e),
        }
    }
}

pub struct RosterImports<I, A, C> {
    pub importer: I,
    pub audit: A,
    pub clock: C,
}

impl<I: RosterImporter, A: AuditLog, C: Clock> RosterImports<I, A, C> {
    /// Imports `input` (named `source` in the audit log) and records who did it and what changed.
    pub async fn import(
        &self,
        actor: &Actor,
        source: &str,
        input: Box<dyn Read + Send>,
        format: RosterFormat,
        progress: Box<dyn FnMut(ImportProgress) + Send>,
    ) -> Result<ImportReport, ImportError> {
        self.run(actor, source, input, format, false, progress).await
    }

    /// Reads and checks `input` as an import would, writing nothing (not even the audit log).
    pub async fn dry_run(
        &self,
        actor: &Actor,
        input: Box<dyn Read + Send>,
        format: RosterFormat,
        progress: Box<dyn FnMut(ImportProgress) + Send>,
    ) -> Result<ImportReport, ImportError> {
        self.run(actor, "", input, format, true, progress).await
    }

    async fn run(
        &self,
        actor: &Actor,
        source: &str,
        input: Box<dyn Read + Send>,
        format: RosterFormat,
        dry_run: bool,
        progress: Box<dyn FnMut(ImportProgress) + Send>,
    ) -> Result<ImportReport, ImportError> {
        if !actor.role.may_write() {
            return Err(ImportError::Forbidden);
        }
        let now = self.clock.now();
        // Staff of a part of the tree import members of its unions only.
        let within = if actor.sees_everything() { None } else { actor.scope.as_ref().map(|s| s.path.clone()) };
        let report = self.importer.import(input, format, dry_run, within, now, progress).await?;
        if dry_run {
            return Ok(report);
        }
        let summary = serde_json::json!({"inserted": report.inserted, "updated": report.updated,
            "unchanged": report.unchanged, "rejected": report.rejected});
        let entry = NewAuditEntry::by(actor, now, "roster.import", source.to_owned()).change(None, Some(summary));
        self.audit.append(entry).await?;
        Ok(report)
    }
}
