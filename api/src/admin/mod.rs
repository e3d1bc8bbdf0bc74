//! `/v1/admin`: staff sessions, staff accounts, the audit log and the jobs outbox.

mod audit;
mod dto;
mod errors;
mod jobs;
mod members;
mod roster;
mod session;
mod users;

pub use dto::*;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/v1/admin")
            .service(session::create_session)
            .service(session::me)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(audit::list_audit)
            .service(jobs::list_jobs)
            .service(jobs::retry_job)
            .service(members::search_members)
            .service(members::suspend)
            .service(members::unsuspend)
            .service(roster::import_roster),
    );
}
