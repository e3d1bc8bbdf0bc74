//! Union staff: admin accounts with roles, their sessions, and the append-only audit log.

pub mod audit;
pub mod error;
pub mod ledger;
pub mod model;
pub mod ports;
pub mod service;
#[cfg(test)]
mod service_tests;

pub use audit::{Actor, AuditEntry, AuditFilter, NewAuditEntry, OutsideScope};
pub use error::{AdminError, LoginError};
pub use model::{AdminId, AdminPatch, AdminUser, NewAdmin, Password, Role, Username};
pub use ports::{AdminClaims, AdminRepository, AdminTokens, AuditLog, PasswordHasher};
pub use service::{AdminService, Session};
