//! Membership online: joining a grassroots union (网上入会), transferring between unions (关系接转)
//! and leaving, each an application decided by the union's officers within a time limit counted in
//! working days; and the membership history those decisions write.

pub mod error;
pub mod limits;
pub mod model;
pub mod moves;
pub mod notice;
pub mod ports;
pub mod report;
pub mod rules;
pub mod service;

pub use error::MembershipError;
pub use model::{Application, ApplicationId, ApplicationKind, ApplicationState};
