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

/// Opens a member's address sealed in a job's payload (a member's address is personal data: the
/// jobs table keeps it sealed, like the members table).
pub trait Unseal: Send + Sync + 'static {
    fn unseal(&self, sealed: &str) -> Result<String, String>;
}

/// Delivers one message.
pub trait Mailer: Send + Sync + 'static {
    /// `message_id` is the left part of the `Message-ID` header, the same for every attempt at one
    /// message; the mailer adds the sender's domain.
    fn send(&self, email: &OutboundEmail, message_id: &str) -> impl Future<Output = Result<(), SendError>> + Send;
}
