use chrono::{DateTime, Duration, Utc};
use std::future::Future;

use std::collections::HashMap;

use super::model::{Job, JobKind, JobRecord, JobState};
use crate::admin::NewAuditEntry;
use crate::shared::{Page, PageRequest};

/// How an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// Worth retrying: a time-out, a refused connection, a 4xx from a mail server.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying cannot help: a rejected recipient, a payload that does not parse.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Carries out jobs of the kinds it knows.
pub trait JobHandler: Send + Sync + 'static {
    /// One attempt at `job`; the same job comes back on a retry (same id, same payload).
    fn handle(&self, job: &Job) -> impl Future<Output = Result<(), JobFailure>> + Send;
}

/// Which due jobs a lane asks for.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub kinds: &'a [JobKind],
    pub limit: u32,
    /// At most this many jobs of one owner in flight, counting those already `running`.
    pub per_owner: Option<u32>,
    pub running: &'a HashMap<String, u32>,
}

/// The jobs table as the runner sees it. Jobs are added by the repositories whose transactions
/// decide on them.
pub trait JobQueue: Send + Sync + 'static {
    /// Leases the due jobs `wanted` asks for, oldest first, until `now + lease`. A leased job MUST
    /// NOT be handed to another caller until the lease runs out, so a runner that dies mid-job
    /// only delays it.
    fn lease_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        wanted: Wanted<'_>,
    ) -> impl Future<Output = anyhow::Result<Vec<Job>>> + Send;

    /// Records the job done; an error an earlier attempt left is cleared.
    fn mark_done(&self, id: i64, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Records a failed attempt: due again at `retry_at`, or dead when that is `None`.
    fn mark_failed(
        &self,
        id: i64,
        attempts: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The jobs table as staff see it.
pub trait JobStore: Send + Sync + 'static {
    /// Jobs in `state` (all when `None`), newest first.
    fn page(
        &self,
        state: Option<JobState>,
        page: PageRequest,
    ) -> impl Future<Output = anyhow::Result<Page<JobRecord>>> + Send;

    fn get(&self, id: i64) -> impl Future<Output = anyhow::Result<Option<JobRecord>>> + Send;

    /// Makes a dead job due at `now` with a fresh attempt budget and appends `audit`, in one
    /// transaction. MUST return `None`, and change nothing, when the job is not dead by then.
    fn requeue(
        &self,
        id: i64,
        now: DateTime<Utc>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<Option<JobRecord>>> + Send;

    /// Deletes done jobs that finished before `before`; dead ones stay for staff. Returns how many.
    fn purge_done(&self, before: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;

    /// How many jobs there are per kind and state, for `/metrics`.
    fn counts(&self) -> impl Future<Output = anyhow::Result<Vec<(String, JobState, i64)>>> + Send;
}
