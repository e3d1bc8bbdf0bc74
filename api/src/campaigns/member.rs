use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::dto::{VoucherList, VoucherView};
use super::tally::Answer;
use super::CampaignsState;
use crate::admin::audit::paging_error;
use crate::admin::dto::PageQuery;
use crate::error::ApiError;
use crate::members::MemberToken;
use crate::members::MembersState;
use domain::campaigns::{CampaignId, GiftId};
use domain::shared::paging::IdCursor;
use domain::shared::Limit;

const PROBLEM: &str = "application/problem+json";

/// The `Idempotency-Key` header: 1–64 visible ASCII characters, chosen by the client per claim.
fn idempotency_key(req: &HttpRequest) -> Result<String, ApiError> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
    if (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key.to_owned())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency.key_required",
            "请求须带 Idempotency-Key 头（1–64 个可见字符）",
            "Send an Idempotency-Key header of 1-64 visible characters",
        ))
    }
}

/// Claims one unit of a gift.
///
/// Issues a voucher when the member is eligible, has accepted the current privacy policy and is within the campaign's
/// limits. Answers come from the inventory gate in front of the database: `campaign.sold_out` and
/// `campaign.limit_reached` never touch the database. The same `Idempotency-Key` replays the first granted claim (200
/// instead of 201).
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_claim_gift", tag = "campaigns", security(("member_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("gift" = uuid::Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Client-chosen, 1-64 visible characters, one per claim attempt")),
    responses(
        (status = 201, description = "Granted", body = VoucherView),
        (status = 200, description = "Replay of an earlier granted claim with this key", body = VoucherView),
        (status = 403, description = "`consent.required` or `campaign.ineligible` (with `reason`)", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`campaign.sold_out`, `campaign.limit_reached` or `campaign.not_live`", body = crate::openapi::Problem,
            content_type = PROBLEM, example = json!({"type": "urn:sgh:problem:campaign.sold_out", "title": "礼品已领完",
                "message": "礼品已领完", "status": 409, "code": "campaign.sold_out",
                "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7d2"})),
        (status = 422, description = "`idempotency.key_reused`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 503, description = "`inventory.unavailable`: retry after the given seconds", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/campaigns/{id}/gifts/{gift}/claims")]
pub async fn claim(
    state: web::Data<CampaignsState>,
    members: web::Data<MembersState>,
    me: MemberToken,
    req: HttpRequest,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    let key = idempotency_key(&req)?;
    let (campaign, gift) = path.into_inner();
    let request_key = format!("{}:{key}", me.0.member);
    // Called only to explain a refused insert, or before the claim in the database-only mode.
    let claimant = || async {
        let profile = members.auth.ensure_session(me.0).await?;
        members.profiles.require_consent(&profile)?;
        Ok::<_, ApiError>(profile)
    };
    let in_flight = state.rush.claim();
    let outcome = state.campaigns.claim(me.0, claimant, CampaignId(campaign), GiftId(gift), &request_key).await;
    drop(in_flight);
    let answer = match &outcome {
        Ok((_, false)) => Answer::Granted,
        Ok((_, true)) => Answer::Replayed,
        Err(e) if e.status() == StatusCode::SERVICE_UNAVAILABLE => Answer::Unavailable,
        Err(e) => Answer::Refused(e.code()),
    };
    state.tally.record(campaign, answer, started.elapsed());
    let (claim, replay) = outcome?;
    state.pages.forget_member(me.0.member);
    let status = if replay { StatusCode::OK } else { StatusCode::CREATED };
    Ok(HttpResponse::build(status).json(VoucherView::from(claim)))
}

/// The member's vouchers.
///
/// The gift vouchers the member claimed, newest first, a page at a time. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_list_vouchers", tag = "campaigns", security(("member_jwt" = [])), params(PageQuery),
    responses((status = 200, body = VoucherList),
        (status = 400, description = "Bad limit or cursor", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/vouchers")]
pub async fn vouchers(
    state: web::Data<CampaignsState>,
    me: MemberToken,
    query: web::Query<PageQuery>,
) -> Result<web::Json<VoucherList>, ApiError> {
    let limit = Limit::parse(query.limit).map_err(paging_error)?;
    let after = query.cursor.as_deref().map(IdCursor::decode).transpose().map_err(paging_error)?;
    // The gatekeeper judged the member's standing: the page itself is one indexed read.
    state.rush.page_turn().await;
    let (claims, next) = state.campaigns.vouchers(me.0.member, limit, after).await?;
    Ok(web::Json(VoucherList {
        items: claims.into_iter().map(VoucherView::from).collect(),
        next_cursor: next.map(IdCursor::encode),
    }))
}
