//! Outgoing e-mail. The decision to send is a `mail` job committed with the change that caused it
//! (see [`crate::jobs`]); [`MailJobs`] delivers it through a [`Mailer`].

pub mod handler;
pub mod model;
pub mod ports;

pub use handler::MailJobs;
pub use model::{Attachment, OutboundEmail};
pub use ports::{Mailer, SendError, Unseal};
