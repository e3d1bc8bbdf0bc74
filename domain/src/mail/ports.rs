use std::future::Future;

use super::model::OutboundEmail;

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
    /// `message_id` is the left part of the `Message-ID` header, the same for every attempt at one
    /// message; the mailer adds the sender's domain.
    fn send(&self, email: &OutboundEmail, message_id: &str) -> impl Future<Output = Result<(), SendError>> + Send;
}
