//! `/v1/me/card…` for members and the signed `/v1/bank/…` API for the bank that issues the
//! 会员服务卡.

pub(crate) mod admin;
pub(crate) mod bank;
pub(crate) mod dto;
mod errors;
pub(crate) mod export;
mod feed;
pub(crate) mod feed_dto;
mod member;
mod refunds;
mod wire;

pub use wire::{wire, Cards, CardsState};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(member::my_card)
        .service(member::apply)
        .service(member::freeze)
        .service(member::unfreeze)
        .service(member::report_lost)
        .service(member::code_seed)
        .service(member::code)
        .service(admin::applications)
        .service(admin::changes)
        .service(admin::payout_file)
        .service(bank::card_event)
        .service(bank::applications)
        .service(feed::one)
        .service(feed::batch)
        .service(feed::rebates)
        .service(refunds::refund_one)
        .service(feed::my_transactions)
        .service(feed::my_rebates);
}
