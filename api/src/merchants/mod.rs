//! `/v1/admin/merchants` for staff, `/v1/merchants` and `/v1/me/…` for members, and the signed
//! `/v1/partner/…` API for merchants' systems.

pub(crate) mod admin;
pub(crate) mod dto;
mod errors;
pub(crate) mod export;
mod member;
mod partner;
pub mod settings;
pub mod signature;
mod wire;

pub use wire::{wire, Catalogue, KeyCache, MerchantsState};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(admin::create_merchant)
        .service(admin::list_merchants)
        .service(admin::get_merchant)
        .service(admin::set_merchant_status)
        .service(admin::create_store)
        .service(admin::create_offer)
        .service(admin::set_offer_status)
        .service(admin::register_key)
        .service(admin::revoke_key)
        .service(admin::list_gift_at_store)
        .service(admin::get_webhook)
        .service(admin::send_test_event)
        .service(member::member_code)
        .service(member::nearby)
        .service(member::merchant)
        .service(member::history)
        .service(partner::platform_keys)
        .service(partner::verify)
        .service(partner::record_sale)
        .service(partner::get_sale)
        .service(partner::reverse_sale)
        .service(partner::list_sales)
        .service(partner::settlements)
        .service(partner::get_webhook)
        .service(partner::set_webhook)
        .service(partner::rotate_webhook_secret)
        .service(partner::deliveries)
        .service(partner::resend)
        .service(partner::check_voucher)
        .service(partner::redeem_voucher);
}
