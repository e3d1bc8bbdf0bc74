use chrono::{DateTime, Duration, Utc};
use std::future::Future;

use super::model::{OutboundEmail, OutboxMessage};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: connection refused, timeout, a 4xx reply.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying cannot help: the server rejected the recipient or message for good (5xx).
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

/// Delivers one message.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, email: &OutboundEmail) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// The outbox table, as the delivery worker sees it. Messages are added by the repositories whose
/// transactions decide to send them.
pub trait OutboxStore: Send + Sync + 'static {
    /// Leases up to `limit` due messages until `now + lease`. A leased message MUST NOT be handed to
    /// another caller until the lease runs out, so a worker that dies mid-send only delays delivery.
    fn lease_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<Vec<OutboxMessage>>> + Send;

    fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Records a failed attempt: due again at `retry_at`, or dead when that is `None`.
    fn mark_failed(
        &self,
        id: i64,
        attempts: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}
