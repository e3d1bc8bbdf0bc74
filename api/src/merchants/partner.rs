//! `/v1/partner/…`: what a merchant's till or back office calls, signed like WeChat Pay API v3
//! (see [`super::signature`]). A merchant only ever reaches its own stores, sales and members'
//! references; a store key only its own store.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, FromRequest, HttpRequest, HttpResponse};

use super::dto::*;
use super::MerchantsState;
use crate::admin::audit::paging_error;
use crate::cards::CardsState;
use crate::error::ApiError;
use crate::idempotency::{self, Idempotent};
use crate::wire::Idempotency;
use domain::campaigns::pickup::VoucherState;
use domain::cards::RotatingCode;
use domain::merchants::partner::Partner;
use domain::merchants::service::{MemberHandle, SaleRequest};
use domain::merchants::MerchantError;
use domain::merchants::PartnerKind;
use domain::merchants::{SaleId, StoreId};
use domain::shared::PageRequest;
use std::sync::Arc;

const PROBLEM: &str = "application/problem+json";

/// The merchant whose key signed the request, as the edge established it.
pub struct PartnerCaller(pub Partner);

impl FromRequest for PartnerCaller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(super::signature::signer(req, PartnerKind::Merchant).map(PartnerCaller))
    }
}

fn scope(partner: &Partner) -> String {
    format!("partner:{}", partner.merchant)
}

/// Our platform public keys.
///
/// Configure the platform key's id and PEM in the SDK (public-key mode) to verify our answers' `Wechatpay-Signature`;
/// the webhook key verifies our webhook deliveries. Changes nothing.
///
/// Who: anyone, unsigned; the answer itself is signed.
#[utoipa::path(operation_id = "partner_platform_keys", tag = "partner", responses((status = 200, body = PlatformKeys)))]
#[get("/v1/partner/platform-keys")]
pub async fn platform_keys(state: web::Data<MerchantsState>) -> web::Json<PlatformKeys> {
    web::Json(PlatformKeys {
        data: vec![PlatformKeyView {
            public_key_id: state.platform.id().to_owned(),
            public_key_pem: state.platform.public_key_pem().to_owned(),
            algorithm: super::signature::SCHEME,
        }],
        webhook_public_key: state.webhook_key.public_key().to_owned(),
    })
}

/// Verifies a member code scanned at a till.
///
/// Answers the member's reference at this merchant, masked name, standing, and the offers that apply at this store now.
/// The code is spent (a code verifies once): record the sale with the `member_ref` answered. Nothing else changes.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_verify_member_code", tag = "partner", security(("partner_signature" = [])), request_body = VerifyMember,
    responses((status = 200, body = VerifiedMember),
        (status = 401, description = "`partner.*`: the signature was refused", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`member_code.invalid`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/member-codes/verify")]
pub async fn verify(
    state: web::Data<MerchantsState>,
    cards: web::Data<CardsState>,
    partner: PartnerCaller,
    body: web::Json<VerifyMember>,
) -> Result<web::Json<VerifiedMember>, ApiError> {
    let store = StoreId(body.store_id);
    // Checked before a card code is spent (the service checks again, from the same cached read).
    state.merchants.own_store(&partner.0, store).await?;
    let handle = member_handle(&cards, MemberHandle::Code(body.member_code.clone())).await?;
    let v = state.merchants.verify(&partner.0, store, &handle).await?;
    Ok(web::Json(VerifiedMember::new(v.reference.as_str(), &v.facts, &v.offers)))
}

/// Records a discounted sale.
///
/// Prices the sale by the chosen offer and counts it against the member's limits, atomically; the member is named by a
/// member code or by the `member_ref` from verification. `Idempotency-Key` required: a retry gets the first answer. The
/// merchant's webhook endpoint, when set, gets a `sale.recorded` event.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_record_sale", tag = "partner", security(("partner_signature" = [])), request_body = RecordSale,
    params(crate::idempotency::KeyHeader),
    responses((status = 201, body = SaleView),
        (status = 401, description = "`partner.*`: the signature was refused", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, description = "`offer.not_qualified`, `partner.other_store`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`offer.limit_reached`, `offer.not_applicable`, `idempotency.in_flight`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/sales")]
pub async fn record_sale(
    state: web::Data<MerchantsState>,
    cards: web::Data<CardsState>,
    idem: web::Data<Idempotency>,
    partner: PartnerCaller,
    req: Idempotent<RecordSale>,
) -> Result<HttpResponse, ApiError> {
    let Idempotent { body, once } = req;
    let once = once.required()?;
    let (partner, scope) = (partner.0, scope(&partner.0));
    let priced = async {
        let mut request = sale_request(body)?;
        // Before a card code is spent, as at verification.
        state.merchants.own_store(&partner, request.store).await?;
        request.member = member_handle(&cards, request.member).await?;
        Ok::<_, ApiError>(state.merchants.price_sale(&partner, request).await?)
    }
    .await;
    let sale = match priced {
        Ok(sale) => Arc::new(sale),
        Err(refusal) => return idempotency::refused(idem, scope, once, refusal).await,
    };
    let answer = idempotency::json_answer(StatusCode::CREATED, &SaleView::from(&sale.sale()))?;
    idempotency::once_kept(idem, scope, once, answer, move |keyed| {
        let (state, sale) = (state.clone(), sale.clone());
        async move { Ok(state.merchants.write_sale(&sale, keyed).await?) }
    })
    .await
}

/// A 会员服务卡 code is the cards context's to verify (and spend, once); the interim member code
/// of members without a card stays the merchants context's.
async fn member_handle(cards: &CardsState, handle: MemberHandle) -> Result<MemberHandle, ApiError> {
    match &handle {
        MemberHandle::Code(raw) if raw.trim().starts_with(RotatingCode::PREFIX) => {
            let code = RotatingCode::parse(raw).ok_or_else(|| ApiError::from(MerchantError::CodeInvalid))?;
            let holder = cards.cards.verify_code(&code).await?;
            Ok(MemberHandle::Member(holder.member, holder.facts))
        }
        _ => Ok(handle),
    }
}

fn sale_request(body: RecordSale) -> Result<SaleRequest, ApiError> {
    let member = match (body.member_code, body.member_ref) {
        (Some(code), None) => MemberHandle::Code(code),
        (None, Some(reference)) => MemberHandle::Reference(reference),
        _ => {
            return Err(ApiError::validation(
                "member_code",
                "须提供 member_code 或 member_ref 之一",
                "give exactly one of member_code and member_ref".into(),
            ))
        }
    };
    Ok(SaleRequest {
        store: StoreId(body.store_id),
        member,
        offer: domain::merchants::OfferId(body.offer_id),
        original_fen: body.original_fen,
        till_ref: body.till_ref,
        channel: body.channel,
    })
}

/// One of the merchant's sales.
///
/// Changes nothing.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_get_sale", tag = "partner", security(("partner_signature" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = SaleView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/partner/sales/{id}")]
pub async fn get_sale(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<SaleView>, ApiError> {
    let sale = state.merchants.sale(&partner.0, SaleId(id.into_inner())).await?;
    Ok(web::Json(SaleView::from(&sale)))
}

/// Reverses a whole sale.
///
/// Gives the member's offer use back, once; reversing it again answers the same reversal. `Idempotency-Key` required.
/// The merchant's webhook endpoint, when set, gets a `sale.reversed` event.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_reverse_sale", tag = "partner", security(("partner_signature" = [])), params(("id" = uuid::Uuid, Path), crate::idempotency::KeyHeader),
    request_body = ReverseSale,
    responses((status = 200, body = SaleView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/sales/{id}/reversal")]
pub async fn reverse_sale(
    state: web::Data<MerchantsState>,
    idem: web::Data<Idempotency>,
    partner: PartnerCaller,
    id: web::Path<uuid::Uuid>,
    req: Idempotent<ReverseSale>,
) -> Result<HttpResponse, ApiError> {
    let Idempotent { body, once } = req;
    let once = once.required()?;
    let (partner, id) = (partner.0, SaleId(id.into_inner()));
    crate::idempotency::once(idem, scope(&partner), once, async move {
        let sale = state.merchants.reverse(&partner, id, &body.till_ref).await?;
        Ok(HttpResponse::Ok().json(SaleView::from(&sale)))
    })
    .await
}

/// The merchant's sales in a range of days.
///
/// Sales on Beijing days `from`…`to` (at most 366 days), newest first, a page at a time; a store key sees its own
/// store's only. Changes nothing.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_list_sales", tag = "partner", security(("partner_signature" = [])), params(SalesQuery),
    responses((status = 200, body = SalePage)))]
#[get("/v1/partner/sales")]
pub async fn list_sales(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    query: web::Query<SalesQuery>,
) -> Result<web::Json<SalePage>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let found = state.merchants.sales(&partner.0, query.from, query.to, page).await?;
    Ok(web::Json(SalePage {
        next_cursor: found.next.map(|c| c.encode()),
        items: found.items.iter().map(SaleView::from).collect(),
    }))
}

/// Settlement totals per Beijing day.
///
/// The totals of the merchant's sales for each day `from`…`to` (at most 366 days). Changes nothing.
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_settlements", tag = "partner", security(("partner_signature" = [])), params(RangeQuery),
    responses((status = 200, body = Settlement), (status = 403, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/partner/settlements")]
pub async fn settlements(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    query: web::Query<RangeQuery>,
) -> Result<web::Json<Settlement>, ApiError> {
    let totals = state.merchants.totals(&partner.0, query.from, query.to).await?;
    Ok(web::Json(Settlement { items: totals.iter().map(DayTotalsView::from).collect() }))
}

/// The merchant's webhook endpoint.
///
/// Where the merchant's events (`sale.recorded`, `sale.reversed`, `voucher.redeemed`) are posted, in the Standard
/// Webhooks format; `null` when none is set. Changes nothing.
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_get_webhook_endpoint", tag = "partner", security(("partner_signature" = [])),
    responses((status = 200, body = WebhookEndpointView), (status = 403, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/partner/webhook-endpoint")]
pub async fn get_webhook(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
) -> Result<web::Json<WebhookEndpointView>, ApiError> {
    Ok(web::Json(WebhookEndpointView { url: state.merchants.webhook(&partner.0).await?, secret: None }))
}

/// Sets or removes the merchant's webhook endpoint.
///
/// An `https` URL of at most 500 characters (`http` too on a development server), or `null` to
/// stop the events and forget the endpoint's secrets. The host must resolve to public addresses
/// only: loopback, private, link-local, CGNAT, multicast and unique-local addresses are refused
/// (422 naming the address) unless the operator allows them. The first time an endpoint is set
/// the answer carries its signing secret (`whsec_…`), shown this once; later changes of the
/// URL keep it (`secret` is `null`).
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_set_webhook_endpoint", tag = "partner", security(("partner_signature" = [])), request_body = WebhookEndpoint,
    responses((status = 200, body = WebhookEndpointView), (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`validation.invalid_field`: not an allowed URL, with why", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[put("/v1/partner/webhook-endpoint")]
pub async fn set_webhook(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    body: web::Json<WebhookEndpoint>,
) -> Result<web::Json<WebhookEndpointView>, ApiError> {
    let (url, secret) = state.merchants.set_webhook(&partner.0, body.url.as_deref(), &state.targets).await?;
    Ok(web::Json(WebhookEndpointView { url, secret: secret.map(|s| s.as_str().to_owned()) }))
}

/// Rotates the webhook endpoint's signing secret.
///
/// Issues a new `whsec_…` secret, shown this once. For the next 24 hours every delivery is signed
/// with both the new and the replaced secret (two `v1` signatures), so the receiver can switch at
/// its own pace; after that only the new one signs.
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_rotate_webhook_secret", tag = "partner", security(("partner_signature" = [])),
    responses((status = 200, body = SecretRotation),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`webhook_endpoint.not_found`: set an endpoint first", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/webhook-endpoint/secret-rotation")]
pub async fn rotate_webhook_secret(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
) -> Result<web::Json<SecretRotation>, ApiError> {
    let (secret, until) = state.merchants.rotate_webhook_secret(&partner.0).await?;
    Ok(web::Json(SecretRotation {
        secret: secret.as_str().to_owned(),
        previous_valid_until: crate::campaigns::dto::beijing(until),
    }))
}

/// The merchant's webhook deliveries.
///
/// Each event, its attempts and its state, newest first, a page at a time. Changes nothing.
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_list_webhook_deliveries", tag = "partner", security(("partner_signature" = [])),
    params(crate::admin::dto::PageQuery), responses((status = 200, body = DeliveryPage)))]
#[get("/v1/partner/webhook-deliveries")]
pub async fn deliveries(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    query: web::Query<crate::admin::dto::PageQuery>,
) -> Result<web::Json<DeliveryPage>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let found = state.merchants.deliveries(&partner.0, page).await?;
    Ok(web::Json(DeliveryPage {
        next_cursor: found.next.map(|c| c.encode()),
        items: found.items.iter().map(DeliveryView::from).collect(),
    }))
}

/// Resends a webhook event now.
///
/// Sends the event again with a fresh retry schedule, whatever became of it; a merchant may ask
/// this a limited number of times a minute (429 with `Retry-After` past it).
///
/// Who: a merchant's system, signing with a merchant key (a store key gets 403).
#[utoipa::path(operation_id = "partner_resend_webhook_delivery", tag = "partner", security(("partner_signature" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = DeliveryView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 429, description = "`rate_limited`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/webhook-deliveries/{id}/resend")]
pub async fn resend(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    id: web::Path<i64>,
) -> Result<web::Json<DeliveryView>, ApiError> {
    let key = format!("webhook-resend:{}", partner.0.merchant);
    crate::limits::enforce(&state.ephemeral, &key, state.resends_per_minute, std::time::Duration::from_secs(60))
        .await?;
    let delivery = state.merchants.resend(&partner.0, id.into_inner()).await?;
    Ok(web::Json(DeliveryView::from(&delivery)))
}

/// Checks a gift voucher at a store.
///
/// Whether a campaign gift voucher can be redeemed at this store now, and if not, why. Changes nothing.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_check_voucher", tag = "partner", security(("partner_signature" = [])), request_body = VoucherAtStore,
    responses((status = 200, body = crate::campaigns::pickup::VoucherCheckView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/vouchers/check")]
pub async fn check_voucher(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    body: web::Json<VoucherAtStore>,
) -> Result<web::Json<crate::campaigns::pickup::VoucherCheckView>, ApiError> {
    let found = state.merchants.check_voucher(&partner.0, StoreId(body.store_id), &body.code).await?;
    Ok(web::Json((&found).into()))
}

/// Redeems a gift voucher at a store (核销).
///
/// Once, before it expires, at a store where its gift is listed; repeating a redemption made here answers the same
/// success. The merchant's webhook endpoint, when set, gets a `voucher.redeemed` event.
///
/// Who: a merchant's system, signing with one of its registered keys (a store key acts for its own store only).
#[utoipa::path(operation_id = "partner_redeem_voucher", tag = "partner", security(("partner_signature" = [])), request_body = RedeemAtStore,
    responses((status = 200, body = StoreRedemptionView),
        (status = 404, description = "`voucher.not_found`, `store.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`voucher.redeemed`, `voucher.expired`, `voucher.voided` or `voucher.wrong_point`",
            body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/partner/vouchers/redeem")]
pub async fn redeem_voucher(
    state: web::Data<MerchantsState>,
    partner: PartnerCaller,
    body: web::Json<RedeemAtStore>,
) -> Result<web::Json<StoreRedemptionView>, ApiError> {
    let after = state.merchants.redeem_voucher(&partner.0, StoreId(body.store_id), &body.code, &body.till_ref).await?;
    match after {
        VoucherState::Redeemed { here: true, gift_name, at } => Ok(web::Json(StoreRedemptionView {
            redeemed: true,
            gift_name,
            redeemed_at: crate::campaigns::dto::beijing(at),
            store_id: body.store_id,
        })),
        other => Err(crate::campaigns::pickup::refusal(&other)),
    }
}
