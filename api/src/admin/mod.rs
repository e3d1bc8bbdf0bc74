//! `/v1/admin`: staff sessions, staff accounts and the audit log.

mod audit;
mod dto;
mod errors;
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
            .service(members::search_members)
            .service(members::suspend)
            .service(members::unsuspend)
            .service(roster::import_roster),
    );
}
