//! `/v1/auth` and `/v1/me`: member sign-in and the member's own account.

mod auth;
mod caller;
pub mod dto;
mod errors;
mod me;

pub use caller::{MemberCaller, MemberToken};

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/v1/auth")
            .service(auth::request_code)
            .service(auth::token)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::wechat),
    )
    .service(
        scope::scope("/v1/me")
            .service(me::get_me)
            .service(me::patch_me)
            .service(me::delete_me)
            .service(me::bind_real_name)
            .service(me::consent)
            .service(me::confirm_email)
            .service(me::export),
    );
}
