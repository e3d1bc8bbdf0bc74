//! The HTTP edge of the member-benefits backend and the `sgh` binary's commands.

pub mod admin;
pub mod campaigns;
pub mod cards;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod edge;
pub mod error;
pub mod extract;
pub mod gatekeeper;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod job_loop;
pub mod limits;
pub mod members;
pub mod merchants;
pub mod metrics;
pub mod openapi;
pub(crate) mod pages;
pub mod rotation;
pub mod startup;
pub mod telemetry;
pub mod text_guard;
pub mod unions;
pub mod wire;
