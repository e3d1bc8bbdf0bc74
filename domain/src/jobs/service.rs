use super::model::{JobError, JobRecord, JobState};
use super::ports::JobStore;
use crate::admin::{Actor, NewAuditEntry};
use crate::shared::{Clock, Page, PageRequest};

/// What staff do with jobs: look at them, and give a dead one another chance.
pub struct JobsService<S, C> {
    pub store: S,
    pub clock: C,
}

impl<S: JobStore, C: Clock> JobsService<S, C> {
    pub async fn page(&self, state: Option<JobState>, page: PageRequest) -> Result<Page<JobRecord>, JobError> {
        Ok(self.store.page(state, page).await?)
    }

    /// Re-queues a dead job with a fresh attempt budget, audit-logged.
    pub async fn retry(&self, actor: &Actor, id: i64) -> Result<JobRecord, JobError> {
        if !actor.role.may_write() {
            return Err(JobError::Forbidden);
        }
        let job = self.store.get(id).await?.ok_or(JobError::NotFound)?;
        if job.state != JobState::Dead {
            return Err(JobError::NotDead(job.state));
        }
        let now = self.clock.now();
        // Not the last error: the audit log is kept for good, and an error may quote whatever the
        // other side said.
        let before = serde_json::json!({"state": job.state.as_str(), "attempts": job.attempts});
        let audit = NewAuditEntry::by(actor, now, "job.retry", id.to_string())
            .change(Some(before), Some(serde_json::json!({"state": "pending", "attempts": 0})));
        match self.store.requeue(id, now, audit).await? {
            Some(job) => Ok(job),
            // Someone else re-queued it between the look and the write.
            None => Err(JobError::NotDead(self.store.get(id).await?.map_or(JobState::Pending, |j| j.state))),
        }
    }
}
