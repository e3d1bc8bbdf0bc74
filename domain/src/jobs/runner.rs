use chrono::Duration;

use super::model::{redact_addresses, Job, JobKind, RetryPolicy};
use super::ports::{JobFailure, JobHandler, JobQueue, Wanted};
use crate::shared::Clock;

/// Leases due jobs and hands each to the handler. The binary runs a lane per kind whose latency
/// differs (mail, webhooks), so a slow merchant's endpoint never holds up members' mail.
pub struct JobRunner<Q, H, C> {
    queue: Q,
    handler: H,
    clock: C,
    policy: RetryPolicy,
    lease: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Retried,
    Dead,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Retried => "retried",
            Outcome::Dead => "dead",
        }
    }
}

/// What one pass did, job by job.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub outcomes: Vec<(JobKind, Outcome)>,
}

impl RunReport {
    pub fn handled(&self) -> usize {
        self.outcomes.len()
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes.iter().filter(|(_, o)| *o == outcome).count()
    }
}

impl<Q: JobQueue, H: JobHandler, C: Clock> JobRunner<Q, H, C> {
    pub fn new(queue: Q, handler: H, clock: C, policy: RetryPolicy) -> Self {
        // Each job is leased just before its own attempt, so the lease only has to outlast one
        // attempt with its time-outs (an SMTP conversation, an HTTP call of 10 s): a lease taken
        // for a whole batch would run out while the batch's last jobs wait, and another
        // instance would send them again.
        Self { queue, handler, clock, policy, lease: Duration::minutes(2) }
    }

    /// Leases what `wanted` asks for.
    pub async fn lease(&self, wanted: Wanted<'_>) -> anyhow::Result<Vec<Job>> {
        self.queue.lease_due(self.clock.now(), self.lease, wanted).await
    }

    /// Up to `batch` due jobs of `kinds`, one after the other, each leased as its turn comes.
    pub async fn run_once(&self, kinds: &[JobKind], batch: u32) -> anyhow::Result<RunReport> {
        let mut report = RunReport::default();
        let running = std::collections::HashMap::new();
        for _ in 0..batch {
            let wanted = Wanted { kinds, limit: 1, per_owner: None, running: &running };
            let Some(job) = self.lease(wanted).await?.pop() else { break };
            let outcome = self.run_job(&job).await?;
            report.outcomes.push((job.kind, outcome));
        }
        Ok(report)
    }

    /// One attempt at a leased job, and its outcome recorded.
    pub async fn run_job(&self, job: &Job) -> anyhow::Result<Outcome> {
        let attempts = job.attempts + 1;
        match self.handler.handle(job).await {
            Ok(()) => {
                self.queue.mark_done(job.id, self.clock.now()).await?;
                Ok(Outcome::Done)
            }
            Err(err) => {
                let now = self.clock.now();
                let retry_at = match (&err, job.kind) {
                    (JobFailure::Transient(_), JobKind::Mail) => self.policy.next_attempt(attempts, now),
                    // Receivers expect the schedule the Standard Webhooks specification sets.
                    (JobFailure::Transient(_), JobKind::Webhook) => {
                        crate::merchants::webhook::next_attempt(attempts, now)
                    }
                    (JobFailure::Permanent(_), _) => None,
                };
                let error = redact_addresses(&err.to_string());
                self.queue.mark_failed(job.id, attempts, retry_at, &error, now).await?;
                Ok(if retry_at.is_some() { Outcome::Retried } else { Outcome::Dead })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Job;
    use crate::shared::SystemClock;
    use chrono::{DateTime, Utc};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct FakeQueue {
        due: Mutex<Vec<Job>>,
        done: Mutex<Vec<i64>>,
        failed: Mutex<Vec<(i64, u32, bool)>>,
    }

    impl JobQueue for Arc<FakeQueue> {
        async fn lease_due(&self, _: DateTime<Utc>, _: Duration, wanted: Wanted<'_>) -> anyhow::Result<Vec<Job>> {
            let mut due = self.due.lock().unwrap();
            let n = (wanted.limit as usize).min(due.len());
            Ok(due.drain(..n).collect())
        }
        async fn mark_done(&self, id: i64, _: DateTime<Utc>) -> anyhow::Result<()> {
            self.done.lock().unwrap().push(id);
            Ok(())
        }
        async fn mark_failed(
            &self,
            id: i64,
            attempts: u32,
            retry: Option<DateTime<Utc>>,
            _: &str,
            _: DateTime<Utc>,
        ) -> anyhow::Result<()> {
            self.failed.lock().unwrap().push((id, attempts, retry.is_some()));
            Ok(())
        }
    }

    /// Fails the payloads that say so.
    struct FakeHandler;

    impl JobHandler for FakeHandler {
        async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
            match job.payload.as_str() {
                "flaky" => Err(JobFailure::Transient("421".into())),
                "broken" => Err(JobFailure::Permanent("550".into())),
                _ => Ok(()),
            }
        }
    }

    fn job(id: i64, payload: &str, attempts: u32) -> Job {
        Job { id, kind: JobKind::Mail, payload: payload.into(), attempts, owner: None }
    }

    #[tokio::test]
    async fn completes_retries_and_buries_by_outcome_and_attempt_count() {
        let queue = Arc::new(FakeQueue::default());
        *queue.due.lock().unwrap() = vec![job(1, "ok", 0), job(2, "flaky", 0), job(3, "flaky", 2), job(4, "broken", 0)];
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        let runner = JobRunner::new(queue.clone(), FakeHandler, SystemClock, policy);
        let report = runner.run_once(&[JobKind::Mail], 20).await.unwrap();
        assert_eq!(
            (report.count(Outcome::Done), report.count(Outcome::Retried), report.count(Outcome::Dead)),
            (1, 1, 2)
        );
        assert_eq!(*queue.done.lock().unwrap(), vec![1]);
        assert_eq!(*queue.failed.lock().unwrap(), vec![(2, 1, true), (3, 3, false), (4, 1, false)]);
    }
}
