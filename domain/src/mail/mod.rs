//! Outgoing e-mail through a transactional outbox: the decision to send is committed with the change
//! that caused it, and a worker delivers it later, retrying, so a crash in between loses nothing.

pub mod model;
pub mod ports;
pub mod worker;

pub use model::{OutboundEmail, OutboxMessage, RetryPolicy};
pub use ports::{Mailer, OutboxStore, SendError};
pub use worker::{OutboxWorker, RunReport};
