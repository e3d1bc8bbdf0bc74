use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::merchants::pricing::NotApplicable;
use domain::merchants::MerchantError;

impl From<MerchantError> for ApiError {
    fn from(e: MerchantError) -> Self {
        let not_found = |code, zh, en| ApiError::new(S::NOT_FOUND, code, zh, en);
        match e {
            MerchantError::Forbidden => forbidden(),
            MerchantError::MerchantNotFound => not_found("merchant.not_found", "商户不存在", "No such merchant"),
            MerchantError::StoreNotFound => not_found("store.not_found", "门店不存在", "No such store"),
            MerchantError::OfferNotFound => not_found("offer.not_found", "优惠不存在", "No such offer"),
            MerchantError::KeyNotFound => {
                not_found("partner_key.not_found", "密钥不存在或已吊销", "No such active key")
            }
            MerchantError::SaleNotFound => not_found("sale.not_found", "交易不存在", "No such sale"),
            MerchantError::DeliveryNotFound => {
                not_found("webhook_delivery.not_found", "推送记录不存在", "No such webhook delivery")
            }
            MerchantError::Invalid { field, problem } => ApiError::validation(field, "字段取值不正确", problem),
            MerchantError::StatusChange { from, to } => ApiError::new(
                S::CONFLICT,
                "offer.status_change",
                "优惠当前状态不允许此操作",
                "The offer cannot move to that status",
            )
            .with("from", from)
            .with("to", to),
            MerchantError::OtherStore => ApiError::new(
                S::FORBIDDEN,
                "partner.other_store",
                "该门店密钥无权操作其他门店",
                "This store key may not act for that store",
            ),
            MerchantError::CodeInvalid => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "member_code.invalid",
                "会员码无效或已过期，请会员刷新后重试",
                "The member code is unknown or expired",
            ),
            MerchantError::WebhookNotSet => {
                not_found("webhook_endpoint.not_found", "尚未设置推送地址", "No webhook endpoint is set")
            }
            MerchantError::CodeReplayed => ApiError::new(
                S::CONFLICT,
                "member_code.replayed",
                "该会员码已使用过，请会员刷新后重试",
                "This member code was used before: ask the member for a fresh one",
            ),
            MerchantError::UseCardCode => ApiError::new(
                S::CONFLICT,
                "member_code.use_card",
                "您已持有会员服务卡，请出示卡的会员码",
                "Cardholders show their card's code (GET /v1/me/card/code)",
            ),
            MerchantError::MemberUnknown => {
                not_found("member.unknown", "本商户无此会员标识", "No member with that reference here")
            }
            MerchantError::NotQualified => ApiError::new(
                S::FORBIDDEN,
                "offer.not_qualified",
                "该会员不符合此优惠的条件",
                "The member does not qualify for this offer",
            ),
            MerchantError::OfferNotApplicable => ApiError::new(
                S::CONFLICT,
                "offer.not_applicable",
                "此优惠当前在该门店不可用",
                "The offer does not apply at this store now",
            ),
            MerchantError::Pricing(NotApplicable::Amount(range)) => ApiError::validation(
                "original_fen",
                "金额须在 1 分至 1000 万元之间",
                format!("must be {} to {} fen", range.min, range.max),
            ),
            MerchantError::Pricing(NotApplicable::BelowThreshold { threshold }) => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "offer.below_threshold",
                "消费金额未达到满减门槛",
                "The amount is below the offer's threshold",
            )
            .with("threshold_fen", threshold.get()),
            MerchantError::LimitReached => ApiError::new(
                S::CONFLICT,
                "offer.limit_reached",
                "该会员已达到此优惠的使用次数上限",
                "The member has used this offer as often as allowed",
            ),
            MerchantError::MerchantSuspended => {
                ApiError::new(S::FORBIDDEN, "partner.merchant_suspended", "商户已暂停合作", "The merchant is suspended")
            }
            MerchantError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
