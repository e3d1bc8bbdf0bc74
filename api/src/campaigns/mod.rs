//! `/v1/campaigns` for members and `/v1/admin/campaigns` for staff: 会员有礼 gift campaigns.

pub mod admin;
mod dto;
mod errors;
mod member;
mod pickup;
mod report;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/v1/admin/pickup-points")
            .service(pickup::create_point)
            .service(pickup::list_points)
            .service(pickup::assign),
    )
    .service(scope::scope("/v1/pickup").service(pickup::check).service(pickup::redeem))
    .service(
        scope::scope("/v1/admin/campaigns")
            .service(admin::create)
            .service(admin::list)
            .service(admin::get)
            .service(admin::add_gift)
            .service(admin::publish)
            .service(admin::cancel)
            .service(admin::set_stock)
            .service(admin::reconcile)
            .service(pickup::list_for_gift)
            .service(report::report)
            .service(report::report_csv),
    )
    .service(scope::scope("/v1/campaigns").service(member::list).service(member::get).service(member::claim))
    .service(scope::scope("/v1/me/vouchers").service(member::vouchers));
}
