//! Membership online: members apply to join (网上入会), transfer (关系接转) or leave; union officers
//! decide within time limits counted in working days; the history each decision writes.

mod calendar;
pub(crate) mod dto;
mod errors;
mod member;
pub(crate) mod moves;
pub(crate) mod report;
mod staff;
mod wire;

pub use wire::{wire, MembershipState};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(member::find_unions)
        .service(member::apply)
        .service(member::my_applications)
        .service(member::my_application)
        .service(member::withdraw)
        .service(member::history)
        .service(staff::list_applications)
        .service(staff::get_application)
        .service(staff::decide)
        .service(staff::comment)
        .service(report::union_report)
        .service(moves::move_members)
        .service(calendar::get_calendar)
        .service(calendar::set_calendar)
        .service(calendar::get_limits)
        .service(calendar::set_limits);
}
