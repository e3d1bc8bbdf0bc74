use chrono::Duration;

use super::model::RetryPolicy;
use super::ports::{Mailer, OutboxStore, SendError};
use crate::shared::Clock;

/// One pass of outbox delivery; the binary runs it on a timer.
pub struct OutboxWorker<S, M, C> {
    store: S,
    mailer: M,
    clock: C,
    policy: RetryPolicy,
    lease: Duration,
    batch: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub sent: u32,
    pub retried: u32,
    pub dead: u32,
}

impl RunReport {
    pub fn handled(&self) -> u32 {
        self.sent + self.retried + self.dead
    }
}

impl<S: OutboxStore, M: Mailer, C: Clock> OutboxWorker<S, M, C> {
    pub fn new(store: S, mailer: M, clock: C, policy: RetryPolicy) -> Self {
        // The lease must outlast one SMTP conversation with its timeouts, or a slow send is doubled.
        Self { store, mailer, clock, policy, lease: Duration::minutes(2), batch: 20 }
    }

    pub async fn run_once(&self) -> anyhow::Result<RunReport> {
        let mut report = RunReport::default();
        let due = self.store.lease_due(self.clock.now(), self.lease, self.batch).await?;
        for message in due {
            let attempts = message.attempts + 1;
            match self.mailer.send(&message.email).await {
                Ok(()) => {
                    self.store.mark_sent(message.id, self.clock.now()).await?;
                    report.sent += 1;
                }
                Err(err) => {
                    let retry_at = match err {
                        SendError::Transient(_) => self.policy.next_attempt(attempts, self.clock.now()),
                        SendError::Permanent(_) => None,
                    };
                    self.store.mark_failed(message.id, attempts, retry_at, &err.to_string()).await?;
                    if retry_at.is_some() {
                        report.retried += 1;
                    } else {
                        report.dead += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{OutboundEmail, OutboxMessage};
    use crate::shared::{EmailAddress, SystemClock};
    use chrono::{DateTime, Utc};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct FakeStore {
        due: Mutex<Vec<OutboxMessage>>,
        sent: Mutex<Vec<i64>>,
        failed: Mutex<Vec<(i64, u32, bool)>>,
    }

    impl OutboxStore for Arc<FakeStore> {
        async fn lease_due(&self, _: DateTime<Utc>, _: Duration, _: u32) -> anyhow::Result<Vec<OutboxMessage>> {
            Ok(std::mem::take(&mut *self.due.lock().unwrap()))
        }
        async fn mark_sent(&self, id: i64, _: DateTime<Utc>) -> anyhow::Result<()> {
            self.sent.lock().unwrap().push(id);
            Ok(())
        }
        async fn mark_failed(
            &self,
            id: i64,
            attempts: u32,
            retry: Option<DateTime<Utc>>,
            _: &str,
        ) -> anyhow::Result<()> {
            self.failed.lock().unwrap().push((id, attempts, retry.is_some()));
            Ok(())
        }
    }

    /// Fails the recipients whose local part says so.
    struct FakeMailer;

    impl Mailer for FakeMailer {
        async fn send(&self, email: &OutboundEmail) -> Result<(), SendError> {
            match email.to.as_str().split('@').next() {
                Some("flaky") => Err(SendError::Transient("421".into())),
                Some("nobody") => Err(SendError::Permanent("550".into())),
                _ => Ok(()),
            }
        }
    }

    fn message(id: i64, to: &str, attempts: u32) -> OutboxMessage {
        let to = EmailAddress::parse(&format!("{to}@union.example.cn")).unwrap();
        OutboxMessage { id, email: OutboundEmail { to, subject: "s".into(), body: "b".into() }, attempts }
    }

    #[tokio::test]
    async fn sends_retries_and_buries_by_outcome_and_attempt_count() {
        let store = Arc::new(FakeStore::default());
        *store.due.lock().unwrap() =
            vec![message(1, "ok", 0), message(2, "flaky", 0), message(3, "flaky", 2), message(4, "nobody", 0)];
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        let worker = OutboxWorker::new(store.clone(), FakeMailer, SystemClock, policy);
        let report = worker.run_once().await.unwrap();
        assert_eq!(report, RunReport { sent: 1, retried: 1, dead: 2 });
        assert_eq!(*store.sent.lock().unwrap(), vec![1]);
        assert_eq!(*store.failed.lock().unwrap(), vec![(2, 1, true), (3, 3, false), (4, 1, false)]);
    }
}
