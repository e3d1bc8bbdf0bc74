//! `/v1/admin`: staff sessions, staff accounts, the audit log and the jobs outbox. The other
//! contexts contribute their own staff routes (members, roster, campaigns, pickup points).

pub(crate) mod audit;
pub(crate) mod dto;
mod errors;
mod jobs;
pub(crate) mod ledger;
mod session;
pub mod settings;
pub(crate) mod users;
mod wire;

pub use audit::{filter as audit_filter, paging_error};
pub use dto::*;
pub use wire::{wire, AdminState, Admins, Jobs};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(session::create_session)
        .service(session::me)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(audit::list_audit)
        .service(jobs::list_jobs)
        .service(jobs::retry_job)
        .service(ledger::audit_ledger);
}
