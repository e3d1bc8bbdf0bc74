use chrono::Duration;

use super::model::{redact_addresses, JobKind, RetryPolicy};
use super::ports::{JobFailure, JobHandler, JobQueue};
use crate::shared::Clock;

/// Leases due jobs and hands each to the handler; one pass per call, the binary runs it on a
/// timer beside the server.
pub struct JobRunner<Q, H, C> {
    queue: Q,
    handler: H,
    clock: C,
    policy: RetryPolicy,
    lease: Duration,
    batch: u32,
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
        // The lease must outlast one attempt with its time-outs (an SMTP conversation, an HTTP
        // call), or a slow attempt is made twice.
        Self { queue, handler, clock, policy, lease: Duration::minutes(2), batch: 20 }
    }

    pub async fn run_once(&self) -> anyhow::Result<RunReport> {
        let mut report = RunReport::default();
        for job in self.queue.lease_due(self.clock.now(), self.lease, self.batch).await? {
            let attempts = job.attempts + 1;
            let outcome = match self.handler.handle(&job).await {
                Ok(()) => {
                    self.queue.mark_done(job.id, self.clock.now()).await?;
                    Outcome::Done
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
                    if retry_at.is_some() {
                        Outcome::Retried
                    } else {
                        Outcome::Dead
                    }
                }
            };
            report.outcomes.push((job.kind, outcome));
        }
        Ok(report)
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
        async fn lease_due(&self, _: DateTime<Utc>, _: Duration, _: u32) -> anyhow::Result<Vec<Job>> {
            Ok(std::mem::take(&mut *self.due.lock().unwrap()))
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
        Job { id, kind: JobKind::Mail, payload: payload.into(), attempts }
    }

    #[tokio::test]
    async fn completes_retries_and_buries_by_outcome_and_attempt_count() {
        let queue = Arc::new(FakeQueue::default());
        *queue.due.lock().unwrap() = vec![job(1, "ok", 0), job(2, "flaky", 0), job(3, "flaky", 2), job(4, "broken", 0)];
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        let runner = JobRunner::new(queue.clone(), FakeHandler, SystemClock, policy);
        let report = runner.run_once().await.unwrap();
        assert_eq!(
            (report.count(Outcome::Done), report.count(Outcome::Retried), report.count(Outcome::Dead)),
            (1, 1, 2)
        );
        assert_eq!(*queue.done.lock().unwrap(), vec![1]);
        assert_eq!(*queue.failed.lock().unwrap(), vec![(2, 1, true), (3, 3, false), (4, 1, false)]);
    }
}
