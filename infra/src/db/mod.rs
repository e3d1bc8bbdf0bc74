//! The relational store: one diesel code path over PostgreSQL (production) and SQLite (embedded).

pub mod admin;
pub mod alerts;
pub mod audit;
pub mod books;
pub mod campaign_cache;
pub mod campaigns;
pub mod cards;
pub mod claims;
mod conn;
mod error;
mod gathered;
pub mod idempotency;
pub mod import_jobs;
pub mod jobs;
pub mod members;
pub mod membership;
pub mod merchants;
pub mod pickup;
pub(crate) mod prepared;
pub mod refresh;
pub mod rekey;
mod reports;
pub mod roster;
pub mod schema;
pub mod services;
pub mod unions;

pub use conn::{Backend, Database, DatabaseUrl, DbConn};
