//! An import running on its own, detached from the request that uploaded its file: staff poll it
//! for its progress and, once done, its report and the file of rejected rows. The roster and the
//! union tree import through it.

use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use uuid::Uuid;

use super::import::ImportProgress;
use super::Clock;
use crate::admin::AdminId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImportJobId(pub Uuid);

impl std::fmt::Display for ImportJobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Roster,
    /// The union tree.
    Unions,
    /// Members moved in bulk to another union.
    Moves,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Roster => "roster",
            ImportKind::Unions => "unions",
            ImportKind::Moves => "moves",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "roster" => Some(ImportKind::Roster),
            "unions" => Some(ImportKind::Unions),
            "moves" => Some(ImportKind::Moves),
            _ => None,
        }
    }
}

/// Where a job is, as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportState {
    Running,
    Done,
    /// The file was refused as a whole, or the database failed: the problem says which.
    Failed,
    /// Its instance stopped while it ran (no sign of life for [`ImportJob::SILENT_FOR`]): what
    /// batches were written stay written; importing the file again finishes the job, since rows
    /// already in are counted unchanged.
    Interrupted,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Running => "running",
            ImportState::Done => "done",
            ImportState::Failed => "failed",
            ImportState::Interrupted => "interrupted",
        }
    }
}

/// How a job ended. The report and the problem are kept as the API wrote them.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    Done { report: serde_json::Value, rejected_rows: String },
    Failed { problem: serde_json::Value },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub kind: ImportKind,
    pub started_by: AdminId,
    pub dry_run: bool,
    pub progress: ImportProgress,
    pub started_at: DateTime<Utc>,
    /// Its last sign of life: each batch, and a beat every [`ImportJob::BEAT_EVERY`] while a
    /// batch is read.
    pub alive_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<ImportOutcome>,
}

impl ImportJob {
    pub const BEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(20);
    /// Silent for this long while running, the job's instance is taken to have stopped.
    pub const SILENT_FOR: Duration = Duration::minutes(2);
    /// How long a finished job and its rejected rows (names and ID numbers) are kept.
    pub const KEEP_FOR: Duration = Duration::days(7);

    pub fn start(kind: ImportKind, started_by: AdminId, dry_run: bool, now: DateTime<Utc>) -> Self {
        Self {
            id: ImportJobId(Uuid::now_v7()),
            kind,
            started_by,
            dry_run,
            progress: ImportProgress::default(),
            started_at: now,
            alive_at: now,
            finished_at: None,
            outcome: None,
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> ImportState {
        match &self.outcome {
            Some(ImportOutcome::Done { .. }) => ImportState::Done,
            Some(ImportOutcome::Failed { .. }) => ImportState::Failed,
            None if now - self.alive_at > Self::SILENT_FOR => ImportState::Interrupted,
            None => ImportState::Running,
        }
    }
}

/// Where jobs are kept, so that any instance answers for any job.
pub trait ImportJobs: Send + Sync + 'static {
    fn create(&self, job: &ImportJob) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Records progress, and that the job is alive at `now`.
    fn progress(
        &self,
        id: ImportJobId,
        progress: ImportProgress,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn finish(
        &self,
        id: ImportJobId,
        outcome: &ImportOutcome,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Without the rejected rows (they can be megabytes).
    fn get(&self, id: ImportJobId) -> impl Future<Output = anyhow::Result<Option<ImportJob>>> + Send;
    /// A finished job's rejected rows as a file.
    fn rejected_rows(&self, id: ImportJobId) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;
    /// Deletes jobs finished before `before`, and jobs silent since then; how many.
    fn purge(&self, before: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// A job's record as it runs: each report of progress is the beat, and the end is written once.
pub struct JobLog<J, C> {
    pub jobs: J,
    pub clock: C,
}

impl<J: ImportJobs, C: Clock> JobLog<J, C> {
    pub async fn start(&self, kind: ImportKind, by: AdminId, dry_run: bool) -> anyhow::Result<ImportJob> {
        let job = ImportJob::start(kind, by, dry_run, self.clock.now());
        self.jobs.create(&job).await?;
        Ok(job)
    }

    pub async fn progress(&self, id: ImportJobId, progress: ImportProgress) -> anyhow::Result<()> {
        self.jobs.progress(id, progress, self.clock.now()).await
    }

    pub async fn finish(&self, id: ImportJobId, outcome: &ImportOutcome) -> anyhow::Result<()> {
        self.jobs.finish(id, outcome, self.clock.now()).await
    }

    /// The job as `viewer` may see it: their own, or any if they are an admin of the whole tree;
    /// `None` otherwise, as if it did not exist (its rejected rows name members of every union).
    pub async fn seen_by(&self, id: ImportJobId, viewer: &crate::admin::Actor) -> anyhow::Result<Option<ImportJob>> {
        let job = self.jobs.get(id).await?;
        let any = viewer.role == crate::admin::Role::Admin && viewer.sees_everything();
        Ok(job.filter(|j| any || viewer.admin_id == Some(j.started_by)))
    }

    pub async fn purge(&self) -> anyhow::Result<u64> {
        self.jobs.purge(self.clock.now() - ImportJob::KEEP_FOR).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap()
    }

    #[test]
    fn a_running_job_silent_past_two_minutes_was_interrupted() {
        let job = ImportJob::start(ImportKind::Roster, AdminId(Uuid::nil()), false, at(0));
        assert_eq!(job.state(at(0)), ImportState::Running);
        assert_eq!(job.state(at(2)), ImportState::Running);
        assert_eq!(job.state(at(3)), ImportState::Interrupted);
    }

    #[test]
    fn a_finished_job_stays_as_it_ended() {
        let mut job = ImportJob::start(ImportKind::Roster, AdminId(Uuid::nil()), false, at(0));
        job.outcome = Some(ImportOutcome::Failed { problem: serde_json::json!({"code": "roster.file_refused"}) });
        assert_eq!(job.state(at(60)), ImportState::Failed);
        job.outcome = Some(ImportOutcome::Done { report: serde_json::json!({}), rejected_rows: String::new() });
        assert_eq!(job.state(at(60)), ImportState::Done);
    }

    #[test]
    fn kinds_read_back() {
        for kind in [ImportKind::Roster, ImportKind::Unions] {
            assert_eq!(ImportKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ImportKind::parse("payroll"), None);
    }
}
