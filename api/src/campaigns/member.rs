use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::dto::{CampaignList, CampaignView, VoucherList, VoucherView};
use super::CampaignsState;
use crate::error::ApiError;
use crate::members::MembersState;
use crate::members::{MemberCaller, MemberToken};
use domain::campaigns::model::{ClaimStatus, Ineligible};
use domain::campaigns::{Campaign, CampaignId, GiftId};
use domain::members::Profile;

const PROBLEM: &str = "application/problem+json";

/// Adds what this member may do in a campaign to its view.
fn for_member(mut view: CampaignView, c: &Campaign, profile: &Profile, claimed_here: u32) -> CampaignView {
    let verdict = c.eligibility.check(profile);
    view.eligible = Some(verdict.is_ok());
    view.ineligible_reason = verdict.err().map(|r| match r {
        Ineligible::NotActivated => "not_activated",
        Ineligible::OtherUnion => "other_union",
        Ineligible::JoinedTooLate => "joined_too_late",
    });
    view.claims_left = Some(c.per_member_limit.saturating_sub(claimed_here));
    view
}

async fn views(
    state: &CampaignsState,
    profile: &Profile,
    only: Option<CampaignId>,
) -> Result<Vec<CampaignView>, ApiError> {
    let now = state.clock.now();
    let mine = state.campaigns.vouchers(profile).await?;
    let visible = state.campaigns.visible().await?;
    Ok(visible
        .iter()
        .filter(|(c, _)| only.is_none_or(|id| c.id == id))
        .map(|(c, offers)| {
            let claimed = mine.iter().filter(|v| v.campaign == c.id && v.status != ClaimStatus::Voided).count() as u32;
            for_member(CampaignView::with_offers(c, offers, now), c, profile, claimed)
        })
        .collect())
}

/// Live and upcoming campaigns, with what is left of each gift, whether the caller is eligible and
/// how many more gifts they may claim.
#[utoipa::path(operation_id = "member_list_campaigns", tag = "campaigns", security(("member_jwt" = [])), responses((status = 200, body = CampaignList)))]
#[get("/v1/campaigns")]
pub async fn list(state: web::Data<CampaignsState>, me: MemberCaller) -> Result<web::Json<CampaignList>, ApiError> {
    Ok(web::Json(CampaignList { items: views(&state, &me.0, None).await? }))
}

/// One live or upcoming campaign.
#[utoipa::path(operation_id = "member_get_campaign", tag = "campaigns", security(("member_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = CampaignView),
    (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[get("/v1/campaigns/{id}")]
pub async fn get(
    state: web::Data<CampaignsState>,
    me: MemberCaller,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let found = views(&state, &me.0, Some(CampaignId(id.into_inner()))).await?.pop();
    found
        .map(web::Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "campaign.not_found", "活动不存在", "No such campaign"))
}

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

/// Claims one unit of a gift. Answers come from the inventory gate in front of the database:
/// `campaign.sold_out` and `campaign.limit_reached` never touch the database. The same
/// Idempotency-Key replays the first granted claim (200 instead of 201).
#[utoipa::path(operation_id = "member_claim_gift", tag = "campaigns", security(("member_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("gift" = uuid::Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Client-chosen, 1-64 visible characters, one per claim attempt")),
    responses(
        (status = 201, description = "Granted", body = VoucherView),
        (status = 200, description = "Replay of an earlier granted claim with this key", body = VoucherView),
        (status = 403, description = "`consent.required` or `campaign.ineligible` (with `reason`)", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`campaign.sold_out`, `campaign.limit_reached` or `campaign.not_live`", body = crate::openapi::Problem,
            content_type = PROBLEM, example = json!({"type": "urn:sgh:problem:campaign.sold_out", "title": "礼品已领完", "status": 409, "code": "campaign.sold_out"})),
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
    let key = idempotency_key(&req)?;
    let (campaign, gift) = path.into_inner();
    let request_key = format!("{}:{key}", me.0.member);
    // Called only to explain a refused insert, or before the claim in the database-only mode.
    let claimant = || async {
        let profile = members.auth.ensure_session(me.0).await?;
        members.profiles.require_consent(&profile)?;
        Ok::<_, ApiError>(profile)
    };
    let (claim, replay) =
        state.campaigns.claim(me.0, claimant, CampaignId(campaign), GiftId(gift), &request_key).await?;
    let status = if replay { StatusCode::OK } else { StatusCode::CREATED };
    Ok(HttpResponse::build(status).json(VoucherView::from(claim)))
}

/// The caller's vouchers, newest first.
#[utoipa::path(operation_id = "member_list_vouchers", tag = "campaigns", security(("member_jwt" = [])), responses((status = 200, body = VoucherList)))]
#[get("/v1/me/vouchers")]
pub async fn vouchers(state: web::Data<CampaignsState>, me: MemberCaller) -> Result<web::Json<VoucherList>, ApiError> {
    let claims = state.campaigns.vouchers(&me.0).await?;
    Ok(web::Json(VoucherList { items: claims.into_iter().map(VoucherView::from).collect() }))
}
