//! `/v1/campaigns` for members and `/v1/admin/campaigns` for staff: 会员有礼 gift campaigns, and
//! pickup points with their `/v1/pickup` counter.

pub mod admin;
mod board;
pub(crate) mod dto;
mod errors;
pub(crate) mod export;
mod member;
pub(crate) mod pickup;
pub(crate) mod report;
pub mod rush;
pub mod settings;
pub mod tally;
mod wire;

pub use board::MEMBER_FOR_SECS;
pub use wire::{wire, Campaigns, CampaignsState, Pickup, Writes};

use utoipa_actix_web::service_config::ServiceConfig;

/// What members hit at an opening: see [`crate::startup::routes`] for why these go first.
pub fn opening_routes(cfg: &mut ServiceConfig) {
    cfg.service(member::claim).service(board::list).service(board::get).service(member::vouchers);
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(admin::create)
        .service(admin::list)
        .service(admin::get)
        .service(admin::add_gift)
        .service(admin::publish)
        .service(admin::cancel)
        .service(admin::set_stock)
        .service(admin::set_budget)
        .service(admin::reconcile)
        .service(report::report)
        .service(report::report_csv)
        .service(pickup::create_point)
        .service(pickup::list_points)
        .service(pickup::assign)
        .service(pickup::list_for_gift)
        .service(pickup::check)
        .service(pickup::redeem);
}
