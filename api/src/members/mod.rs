//! `/v1/auth` and `/v1/me`: member sign-in and the member's own account; and for staff,
//! `/v1/admin/members` and the roster import.

mod auth;
pub(crate) mod caller;
pub mod dto;
mod errors;
mod me;
mod privacy;
pub(crate) mod roster;
pub(crate) mod roster_search;
pub(crate) mod roster_template;
pub mod settings;
pub(crate) mod staff;
pub mod standing;
mod wire;

pub use caller::{MemberCaller, MemberToken};
pub use wire::{wire, MemberAuthService, MembersState, ProfileService, Roster};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(auth::request_code)
        .service(auth::token)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::wechat)
        .service(me::get_me)
        .service(me::patch_me)
        .service(me::delete_me)
        .service(me::bind_real_name)
        .service(me::consent)
        .service(me::confirm_email)
        .service(privacy::export)
        .service(privacy::withdraw_consent)
        .service(staff::search_members)
        .service(staff::suspend)
        .service(staff::unsuspend)
        .service(roster::import_roster)
        .service(roster_search::search_roster)
        .service(roster_template::template_xlsx)
        .service(roster_template::template_csv);
}
