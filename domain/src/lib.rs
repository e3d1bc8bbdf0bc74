//! The member-benefits domain: entities, value objects, use-case services and the ports they need.
//!
//! Nothing here knows about HTTP, SQL, Redis or SMTP; adapters live in `infra`, the edge in `api`.

pub mod admin;
pub mod campaigns;
pub mod cards;
pub mod draws;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod membership;
pub mod merchants;
pub mod services;
pub mod shared;
pub mod unions;
