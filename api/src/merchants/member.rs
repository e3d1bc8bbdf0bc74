//! What members see: a code to show at a till, merchants nearby, a merchant's offers for them,
//! and their own discounted sales.

use actix_web::{get, post, web, HttpResponse};

use super::dto::*;
use super::MerchantsState;
use crate::admin::audit::paging_error;
use crate::campaigns::dto::beijing;
use crate::error::ApiError;
use crate::members::MemberCaller;
use domain::merchants::geo::GeoPoint;
use domain::merchants::MerchantId;
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

/// Issues a member code for a partner's till.
///
/// A fresh code for the till to scan; it lives a couple of minutes and verifies once. A cardholder is refused
/// (`member_code.use_card`): they show their card's code instead; so is a member without consent to the current privacy
/// policy (`consent.required`).
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_create_member_code", tag = "merchants", security(("member_jwt" = [])),
    responses((status = 201, body = MemberCodeView),
        (status = 403, description = "`member_code.use_card` or `consent.required`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/member-code")]
pub async fn member_code(
    state: web::Data<MerchantsState>,
    members: web::Data<crate::members::MembersState>,
    caller: MemberCaller,
) -> Result<HttpResponse, ApiError> {
    members.profiles.require_consent(&caller.0)?;
    let (code, expires_at) = state.merchants.issue_code(caller.0.member.id).await?;
    Ok(HttpResponse::Created().json(MemberCodeView { code: code.as_str().to_owned(), expires_at: beijing(expires_at) }))
}

/// Partner merchants near a place.
///
/// Merchants with a store within `radius_m` (default 3 km) of `near`, nearest first, optionally of one category or
/// district, a page at a time. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_nearby_merchants", tag = "merchants", security(("member_jwt" = [])), params(NearbyQuery),
    responses((status = 200, body = NearbyPage), (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/merchants")]
pub async fn nearby(
    state: web::Data<MerchantsState>,
    _caller: crate::members::MemberToken,
    query: web::Query<NearbyQuery>,
) -> Result<web::Json<NearbyPage>, ApiError> {
    let near = GeoPoint::parse_pair(&query.near)
        .map_err(|e| ApiError::validation("near", "位置须为 lat,lng", e.to_string()))?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let filter = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let found = state
        .merchants
        .nearby(near, query.radius_m.unwrap_or(3_000), filter(&query.category), filter(&query.district), page)
        .await?;
    Ok(web::Json(NearbyPage {
        next_cursor: found.next.map(|c| c.encode()),
        items: found
            .items
            .iter()
            .map(|n| NearbyView {
                id: n.merchant.id.0,
                name: n.merchant.name.clone(),
                category: n.merchant.category.clone(),
                distance_m: n.distance_m.round() as u32,
                nearest_store: StoreView::from(&n.store),
            })
            .collect(),
    }))
}

/// A merchant's stores and offers for the member.
///
/// The merchant's stores and the offers the calling member may use today. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_get_merchant", tag = "merchants", security(("member_jwt" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = MemberMerchantView), (status = 404, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/merchants/{id}")]
pub async fn merchant(
    state: web::Data<MerchantsState>,
    caller: crate::members::MemberToken,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<MemberMerchantView>, ApiError> {
    let (merchant, stores, offers) =
        state.merchants.merchant_for_member(MerchantId(id.into_inner()), caller.0.member).await?;
    Ok(web::Json(MemberMerchantView {
        id: merchant.id.0,
        name: merchant.name,
        category: merchant.category,
        stores: stores.iter().map(StoreView::from).collect(),
        offers: offers.iter().map(OfferView::from).collect(),
    }))
}

/// The member's discounted sales.
///
/// Sales at partner merchants with their discounts, and reversals, newest first, a page at a time. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_discount_sales", tag = "merchants", security(("member_jwt" = [])),
    params(crate::admin::dto::PageQuery), responses((status = 200, body = MemberSalePage)))]
#[get("/v1/me/discount-sales")]
pub async fn history(
    state: web::Data<MerchantsState>,
    caller: crate::members::MemberToken,
    query: web::Query<crate::admin::dto::PageQuery>,
) -> Result<web::Json<MemberSalePage>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let found = state.merchants.member_sales(caller.0.member, page).await?;
    Ok(web::Json(MemberSalePage {
        next_cursor: found.next.map(|c| c.encode()),
        items: found.items.iter().map(|(s, merchant_name)| MemberSaleView::new(s, merchant_name)).collect(),
    }))
}
