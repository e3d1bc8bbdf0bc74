//! `/v1/admin/merchants`: staff manage partner merchants, their stores, offers and keys.

use actix_web::{get, post, put, web, HttpResponse};

use super::dto::*;
use super::MerchantsState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::admin::Actor;
use domain::merchants::catalogue::{NewMerchant, NewOffer, NewStore};
use domain::merchants::offer::Funder;
use domain::merchants::{Audience, MerchantId, MerchantStatus, OfferId, OfferStatus, StoreId};
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

/// Registers a partner merchant.
///
/// The merchant gets its `mchid`, the number its systems send in signed requests. `kind: bank` registers the bank,
/// whose keys reach only `/v1/bank/…`. Audit-logged as `merchant.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_create_merchant", tag = "merchants", security(("admin_jwt" = [])), request_body = CreateMerchant,
    responses((status = 201, body = MerchantView), (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants")]
pub async fn create_merchant(
    state: web::Data<MerchantsState>,
    staff: Staff,
    body: web::Json<CreateMerchant>,
) -> Result<HttpResponse, ApiError> {
    let merchant = new_merchant(&state, &staff.actor, &body).await?;
    Ok(HttpResponse::Created().json(MerchantView::from(&merchant)))
}

/// The API's create, for the console too.
pub(crate) async fn new_merchant(
    state: &MerchantsState,
    actor: &Actor,
    body: &CreateMerchant,
) -> Result<domain::merchants::Merchant, ApiError> {
    let new = NewMerchant {
        name: &body.name,
        category: &body.category,
        contact: &body.contact,
        settlement_email: &body.settlement_email,
        kind: body.kind.as_deref(),
        bank_merchant_id: body.bank_merchant_id.as_deref(),
    };
    Ok(state.catalogue.create_merchant(actor, new).await?)
}

/// All partner merchants, by name.
///
/// Active and suspended ones, the bank's entry (kind `bank`) included. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_list_merchants", tag = "merchants", security(("admin_jwt" = [])), responses((status = 200, body = MerchantList)))]
#[get("/v1/admin/merchants")]
pub async fn list_merchants(
    state: web::Data<MerchantsState>,
    _staff: Staff,
) -> Result<web::Json<MerchantList>, ApiError> {
    let all = state.catalogue.merchants().await?;
    Ok(web::Json(MerchantList { items: all.iter().map(MerchantView::from).collect() }))
}

/// One merchant with its stores, offers and keys.
///
/// Keys are listed by serial number, with when they were revoked. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_get_merchant", tag = "merchants", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = MerchantDetail), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/admin/merchants/{id}")]
pub async fn get_merchant(
    state: web::Data<MerchantsState>,
    _staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<MerchantDetail>, ApiError> {
    Ok(web::Json(detail(&state, MerchantId(id.into_inner())).await?))
}

pub(crate) async fn detail(state: &MerchantsState, id: MerchantId) -> Result<MerchantDetail, ApiError> {
    let merchant = state.catalogue.merchant(id).await?;
    let (stores, offers, keys) =
        (state.catalogue.stores(id).await?, state.catalogue.offers(id).await?, state.catalogue.keys(id).await?);
    Ok(MerchantDetail {
        merchant: MerchantView::from(&merchant),
        stores: stores.iter().map(StoreView::from).collect(),
        offers: offers.iter().map(OfferView::from).collect(),
        keys: keys.iter().map(KeyView::from).collect(),
    })
}

/// Suspends or reactivates a merchant.
///
/// A suspended merchant's keys are refused at once and its offers hidden from members; `active` restores both.
/// Audit-logged as `merchant.status`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_set_merchant_status", tag = "merchants", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = SetMerchantStatus,
    responses((status = 200, body = MerchantView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[put("/v1/admin/merchants/{id}/status")]
pub async fn set_merchant_status(
    state: web::Data<MerchantsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<SetMerchantStatus>,
) -> Result<web::Json<MerchantView>, ApiError> {
    let id = MerchantId(id.into_inner());
    change_status(&state, &staff.actor, id, &body.status).await?;
    Ok(web::Json(MerchantView::from(&state.catalogue.merchant(id).await?)))
}

pub(crate) async fn change_status(
    state: &MerchantsState,
    actor: &Actor,
    id: MerchantId,
    status: &str,
) -> Result<(), ApiError> {
    let status = MerchantStatus::parse(status).ok_or_else(|| {
        ApiError::validation("status", "状态须为 active 或 suspended", "status must be active or suspended".into())
    })?;
    state.catalogue.set_status(actor, id, status).await?;
    // Cached keys would go on admitting a suspended merchant's requests.
    state.keys.clear();
    Ok(())
}

/// Adds a store to a merchant.
///
/// A store with its address, district, opening hours and GCJ-02 position, which members' nearby search uses.
/// Audit-logged as `store.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_create_store", tag = "merchants", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = CreateStore,
    responses((status = 201, body = StoreView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants/{id}/stores")]
pub async fn create_store(
    state: web::Data<MerchantsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<CreateStore>,
) -> Result<HttpResponse, ApiError> {
    let store = new_store(&state, &staff.actor, MerchantId(id.into_inner()), &body).await?;
    Ok(HttpResponse::Created().json(StoreView::from(&store)))
}

pub(crate) async fn new_store(
    state: &MerchantsState,
    actor: &Actor,
    merchant: MerchantId,
    body: &CreateStore,
) -> Result<domain::merchants::Store, ApiError> {
    let new = NewStore {
        name: &body.name,
        address: &body.address,
        district: &body.district,
        lat: body.lat,
        lng: body.lng,
        hours: &body.hours,
    };
    Ok(state.catalogue.add_store(actor, merchant, new).await?)
}

/// Creates a discount offer as a draft.
///
/// The discount, its cap, validity, weekdays, stores, audience (`activated` members or `cardholders`), limits and
/// funder. Members see the offer once its status is set to `published`. Audit-logged as `offer.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_create_offer", tag = "merchants", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = CreateOffer,
    responses((status = 201, body = OfferView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants/{id}/offers")]
pub async fn create_offer(
    state: web::Data<MerchantsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<CreateOffer>,
) -> Result<HttpResponse, ApiError> {
    let offer = new_offer(&state, &staff.actor, MerchantId(id.into_inner()), &body).await?;
    Ok(HttpResponse::Created().json(OfferView::from(&offer)))
}

pub(crate) async fn new_offer(
    state: &MerchantsState,
    actor: &Actor,
    merchant: MerchantId,
    body: &CreateOffer,
) -> Result<domain::merchants::Offer, ApiError> {
    let audience = Audience::parse(&body.audience).ok_or_else(|| {
        ApiError::validation(
            "audience",
            "适用人群须为 activated 或 cardholders",
            "audience must be activated or cardholders".into(),
        )
    })?;
    let new = NewOffer {
        title: &body.title,
        discount: body.discount()?,
        cap_fen: body.cap_fen,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
        weekdays: &body.weekdays,
        stores: body.store_ids.as_ref().map(|ids| ids.iter().copied().map(StoreId).collect()),
        audience,
        daily_limit: body.daily_limit,
        total_limit: body.total_limit,
        funder: match body.funder.as_deref() {
            None => Funder::Merchant,
            Some(raw) => raw.parse().map_err(|()| {
                ApiError::validation(
                    "funder",
                    "出资方须为 merchant、union 或 bank",
                    "funder must be merchant, union or bank".into(),
                )
            })?,
        },
    };
    Ok(state.catalogue.create_offer(actor, merchant, new).await?)
}

/// Publishes, pauses or expires an offer.
///
/// A paused or expired offer is refused at the till at once, whatever a member's app still shows; a change its current
/// status does not allow is refused (`offer.status_change`). Audit-logged as `offer.status`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_set_offer_status", tag = "merchants", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("offer" = uuid::Uuid, Path)), request_body = SetOfferStatus,
    responses((status = 200, body = OfferView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`offer.status_change`: not allowed from its status", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[put("/v1/admin/merchants/{id}/offers/{offer}/status")]
pub async fn set_offer_status(
    state: web::Data<MerchantsState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: web::Json<SetOfferStatus>,
) -> Result<web::Json<OfferView>, ApiError> {
    let (merchant, offer) = path.into_inner();
    let offer = change_offer(&state, &staff.actor, MerchantId(merchant), OfferId(offer), &body.status).await?;
    Ok(web::Json(OfferView::from(&offer)))
}

pub(crate) async fn change_offer(
    state: &MerchantsState,
    actor: &Actor,
    merchant: MerchantId,
    offer: OfferId,
    status: &str,
) -> Result<domain::merchants::Offer, ApiError> {
    let to = OfferStatus::parse(status).filter(|s| *s != OfferStatus::Draft).ok_or_else(|| {
        ApiError::validation(
            "status",
            "状态须为 published、paused 或 expired",
            "status must be published, paused or expired".into(),
        )
    })?;
    Ok(state.catalogue.set_offer_status(actor, merchant, offer, to).await?)
}

/// Registers a merchant's signing key.
///
/// An RSA public key (PEM, 2048–8192 bits) for signed partner requests, for the whole merchant or, with `store_id`, one
/// store. The answer's `serial_no` goes into the merchant's SDK configuration. Several keys may be active at once
/// (rotation). Audit-logged as `partner_key.register`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_register_partner_key", tag = "merchants", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    request_body = RegisterKey,
    responses((status = 201, body = KeyView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "Not an RSA public key of 2048–8192 bits", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants/{id}/keys")]
pub async fn register_key(
    state: web::Data<MerchantsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<RegisterKey>,
) -> Result<HttpResponse, ApiError> {
    let key = new_key(&state, &staff.actor, MerchantId(id.into_inner()), &body).await?;
    Ok(HttpResponse::Created().json(KeyView::from(&key)))
}

pub(crate) async fn new_key(
    state: &MerchantsState,
    actor: &Actor,
    merchant: MerchantId,
    body: &RegisterKey,
) -> Result<domain::merchants::partner::PartnerKey, ApiError> {
    let der = infra::signing::public_key_der_from_pem(&body.public_key_pem)
        .map_err(|e| ApiError::validation("public_key_pem", "须为 2048–8192 位 RSA 公钥（PEM）", e.to_string()))?;
    Ok(state.catalogue.register_key(actor, merchant, body.store_id.map(StoreId), der).await?)
}

/// Revokes a merchant's signing key.
///
/// Requests signed with the key are refused from now on. Audit-logged as `partner_key.revoke`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_revoke_partner_key", tag = "merchants", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("serial" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants/{id}/keys/{serial}/revocation")]
pub async fn revoke_key(
    state: web::Data<MerchantsState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (merchant, serial) = path.into_inner();
    revoke(&state, &staff.actor, MerchantId(merchant), &serial).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn revoke(
    state: &MerchantsState,
    actor: &Actor,
    merchant: MerchantId,
    serial: &str,
) -> Result<(), ApiError> {
    state.catalogue.revoke_key(actor, merchant, serial).await?;
    // A cached key would go on verifying requests.
    state.keys.clear();
    Ok(())
}

/// Lists a partner store for a gift.
///
/// The gift's vouchers may then be redeemed at that store through the partner API. Audit-logged as `gift.store`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the campaign
/// (404 otherwise).
#[utoipa::path(operation_id = "admin_add_store_to_gift", tag = "merchants", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("gift" = uuid::Uuid, Path), ("store" = uuid::Uuid, Path)),
    responses((status = 204, description = "Listed"), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[put("/v1/admin/campaigns/{id}/gifts/{gift}/stores/{store}")]
pub async fn list_gift_at_store(
    state: web::Data<MerchantsState>,
    campaigns: web::Data<crate::campaigns::CampaignsState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, gift, store) = path.into_inner();
    gift_at_store(&state, &campaigns, &staff.actor, campaign, gift, store).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn gift_at_store(
    state: &MerchantsState,
    campaigns: &crate::campaigns::CampaignsState,
    actor: &Actor,
    campaign: uuid::Uuid,
    gift: uuid::Uuid,
    store: uuid::Uuid,
) -> Result<(), ApiError> {
    let (_, gifts) = campaigns.campaigns.get(actor, domain::campaigns::CampaignId(campaign)).await?;
    let gift = domain::campaigns::GiftId(gift);
    if !gifts.iter().any(|g| g.id == gift) {
        return Err(domain::campaigns::error::CampaignError::GiftNotFound.into());
    }
    Ok(state.catalogue.list_gift_at_store(actor, gift, StoreId(store)).await?)
}

/// A merchant's webhook endpoint and its last deliveries.
///
/// Where the merchant's events go (`null` when it has set none through the partner API) and its deliveries, newest
/// first, a page at a time, as the merchant sees them. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_get_merchant_webhook", tag = "merchants", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path), crate::admin::dto::PageQuery),
    responses((status = 200, body = MerchantWebhookView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/admin/merchants/{id}/webhook")]
pub async fn get_webhook(
    state: web::Data<MerchantsState>,
    _staff: Staff,
    id: web::Path<uuid::Uuid>,
    query: web::Query<crate::admin::dto::PageQuery>,
) -> Result<web::Json<MerchantWebhookView>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(crate::admin::audit::paging_error)?;
    let found = state.merchants.webhook_overview(MerchantId(id.into_inner()), page).await?;
    Ok(web::Json(MerchantWebhookView::from(&found)))
}

/// Sends a test event to a merchant's webhook endpoint.
///
/// Queues a `webhook.test` event (`data: {"test": true}`), signed, delivered and retried like any other; its
/// delivery is answered and then listed with the merchant's others. A merchant without an endpoint: 404
/// `webhook_endpoint.not_found`. Audit-logged as `webhook.test`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_send_webhook_test_event", tag = "merchants", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 202, description = "Queued", body = DeliveryView),
        (status = 404, description = "No such merchant, or `webhook_endpoint.not_found`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/admin/merchants/{id}/webhook/test-events")]
pub async fn send_test_event(
    state: web::Data<MerchantsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let delivery = state.merchants.send_test_event(&staff.actor, MerchantId(id.into_inner())).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&delivery)))
}
