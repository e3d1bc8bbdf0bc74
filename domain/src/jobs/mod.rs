//! Work that must happen after a change commits — a mail today, a webhook delivery next — kept as
//! rows of one jobs table written in the change's own transaction, and carried out by one runner
//! that leases, retries with back-off and buries what cannot succeed. A crash between the change
//! and the work loses nothing; staff list dead jobs and re-queue them.

pub mod model;
pub mod ports;
pub mod runner;
pub mod service;

pub use model::{redact_addresses, Job, JobError, JobKind, JobRecord, JobState, RetryPolicy};
pub use ports::{JobFailure, JobHandler, JobQueue, JobStore, Wanted};
pub use runner::{JobRunner, Outcome, RunReport};
pub use service::JobsService;
