use actix_web::{get, patch, post, put, web, HttpResponse};

use super::dto::{CampaignList, CampaignView, CreateCampaign, CreateGift, GiftView, SetBudget, SetStock};
use super::CampaignsState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::idempotency::{staff_scope, Idempotent};
use crate::unions::UnionsState;
use crate::wire::Idempotency;

use domain::campaigns::service::{NewCampaign, NewGift};
use domain::campaigns::{CampaignId, Eligibility, GiftId, Holiday, Window};
use domain::shared::money::Fen;

const PROBLEM: &str = "application/problem+json";

fn view(state: &CampaignsState, c: &domain::campaigns::Campaign, gifts: &[domain::campaigns::Gift]) -> CampaignView {
    CampaignView::new(c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), state.clock.now())
}

/// The campaign asked for, its part of the tree looked up in `staff`'s own.
pub(crate) async fn asked(r: CreateCampaign, unions: &UnionsState, staff: &Staff) -> Result<NewCampaign, ApiError> {
    let holiday = Holiday::parse(&r.holiday).ok_or_else(|| {
        ApiError::validation("holiday", "节日不正确", "unknown holiday; custom names are 1-20 characters".into())
    })?;
    let window = Window::shanghai(r.starts_at, r.ends_at)
        .map_err(|e| ApiError::validation("ends_at", "结束时间须晚于开始时间", e.to_string()))?;
    let within = crate::unions::scope_asked(unions, &staff.actor, r.scope_code.as_deref()).await?;
    Ok(NewCampaign {
        title: r.title,
        holiday,
        window,
        per_member_limit: r.per_member_limit,
        budget: Fen::new(r.budget_fen),
        eligibility: Eligibility {
            union_codes: r.union_codes.into_iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect(),
            joined_before: r.joined_before,
            cardholders_only: r.cardholders_only,
            within,
        },
    })
}

impl TryFrom<CreateGift> for NewGift {
    type Error = ApiError;
    fn try_from(r: CreateGift) -> Result<Self, ApiError> {
        let waves = r
            .waves
            .iter()
            .map(|w| {
                let local = chrono::NaiveDateTime::parse_from_str(&w.at, "%Y-%m-%dT%H:%M:%S").map_err(|_| {
                    ApiError::validation(
                        "waves",
                        "发放时间格式须为 YYYY-MM-DDTHH:MM:SS（北京时间）",
                        "wave times are YYYY-MM-DDTHH:MM:SS, Beijing time".into(),
                    )
                })?;
                let at = domain::campaigns::Window::shanghai(local, local + chrono::Duration::seconds(1))
                    .map_err(|e| ApiError::validation("waves", "发放时间不正确", e.to_string()))?
                    .starts_at();
                Ok(domain::campaigns::model::Wave { at, quantity: w.quantity })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(NewGift {
            release: domain::campaigns::model::Release { waves, daily_cap: r.daily_cap },
            name: r.name,
            unit_cost: Fen::new(r.unit_cost_fen),
            stock: r.stock,
            per_member_limit: r.per_member_limit,
            valid_until: r.valid_until,
            funder: r.funder.parse().map_err(|_| {
                ApiError::validation(
                    "funder",
                    "出资方须为 union、bank 或 merchant",
                    "funder must be union, bank or merchant".into(),
                )
            })?,
        })
    }
}

/// Creates a draft campaign.
///
/// A campaign starts as a draft: add its gifts, then publish it. With an `Idempotency-Key`, a retried request gets the
/// first answer instead of a second campaign. Audit-logged as `campaign.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), for their own part of the tree or
/// a union under it (`scope_code`; 404 `union.not_found` outside it).
#[utoipa::path(operation_id = "admin_create_campaign", tag = "campaigns", security(("admin_jwt" = [])), request_body = CreateCampaign,
    params(crate::idempotency::KeyHeader),
    responses(
    (status = 201, body = CampaignView),
    (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 404, description = "`union.not_found`: `scope_code` is outside the caller's part of the tree", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 409, description = "`idempotency.in_flight`: the first request with this key is still running", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 422, description = "A field is invalid, or `idempotency.mismatch`: the key was used for another request", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/admin/campaigns")]
pub async fn create(
    state: web::Data<CampaignsState>,
    unions: web::Data<UnionsState>,
    idem: web::Data<Idempotency>,
    staff: Staff,
    req: Idempotent<CreateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let Idempotent { body, once } = req;
    let scope = staff_scope(&staff.admin);
    crate::idempotency::once(idem, scope, once, async move {
        let new = asked(body, &unions, &staff).await?;
        let c = state.campaigns.create(&staff.actor, new).await?;
        Ok(HttpResponse::Created().json(view(&state, &c, &[])))
    })
    .await
}

/// All campaigns, newest window first.
///
/// Every campaign, drafts and cancelled ones included, with its gifts. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403): the campaigns of their part of the
/// tree (a district's staff see the district's and those of the unions under it, not the city's).
#[utoipa::path(operation_id = "admin_list_campaigns", tag = "campaigns", security(("admin_jwt" = [])), responses((status = 200, body = CampaignList)))]
#[get("/v1/admin/campaigns")]
pub async fn list(state: web::Data<CampaignsState>, staff: Staff) -> Result<web::Json<CampaignList>, ApiError> {
    let all = state.campaigns.list_all(&staff.actor).await?;
    Ok(web::Json(CampaignList { items: all.iter().map(|(c, g)| view(&state, c, g)).collect() }))
}

/// One campaign with its gifts.
///
/// In any status, drafts included. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_get_campaign", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = CampaignView),
    (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[get("/v1/admin/campaigns/{id}")]
pub async fn get(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let (c, gifts) = state.campaigns.get(&staff.actor, CampaignId(id.into_inner())).await?;
    Ok(web::Json(view(&state, &c, &gifts)))
}

/// Adds a gift to a draft campaign.
///
/// A gift with its stock, unit cost, funder and validity, optionally released in waves or under a daily cap. Only while
/// the campaign is a draft; an `Idempotency-Key` makes a retry safe. Audit-logged as `gift.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_add_gift", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path), crate::idempotency::KeyHeader),
    request_body = CreateGift,
    responses(
        (status = 201, body = GiftView),
        (status = 409, description = "Not a draft, or `idempotency.in_flight`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A field is invalid, or `idempotency.mismatch`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/campaigns/{id}/gifts")]
pub async fn add_gift(
    state: web::Data<CampaignsState>,
    staff: Staff,
    idem: web::Data<Idempotency>,
    id: web::Path<uuid::Uuid>,
    req: Idempotent<CreateGift>,
) -> Result<HttpResponse, ApiError> {
    let Idempotent { body, once } = req;
    let scope = staff_scope(&staff.admin);
    crate::idempotency::once(idem, scope, once, async move {
        let new = NewGift::try_from(body)?;
        let gift = state.campaigns.add_gift(&staff.actor, CampaignId(id.into_inner()), new).await?;
        Ok(HttpResponse::Created().json(GiftView::new(&gift, None)))
    })
    .await
}

/// Publishes a draft campaign.
///
/// Refused when it is not a draft (`campaign.not_draft`), has no gifts (`campaign.no_gifts`), or when stock × unit cost
/// of all gifts exceeds the budget (`campaign.over_budget`). Publishing loads the inventory gate for every gift, and
/// members see the campaign from then on (as upcoming until it starts). Audit-logged as `campaign.publish`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_publish_campaign", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = CampaignView),
    (status = 409, description = "`campaign.over_budget`, `campaign.no_gifts` or `campaign.not_draft`", body = crate::openapi::Problem,
        content_type = PROBLEM, example = json!({"type": "urn:sgh:problem:campaign.over_budget", "title": "礼品总价值超出活动预算",
        "message": "礼品总价值超出活动预算", "status": 409, "code": "campaign.over_budget",
        "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7d3", "needed_fen": 88000000, "budget_fen": 50000000})),
))]
#[post("/v1/admin/campaigns/{id}/publish")]
pub async fn publish(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let id = CampaignId(id.into_inner());
    state.campaigns.publish(&staff.actor, id).await?;
    let (c, gifts) = state.campaigns.get(&staff.actor, id).await?;
    Ok(web::Json(view(&state, &c, &gifts)))
}

/// Cancels a campaign.
///
/// Cancels a draft, upcoming or live campaign, and voids its vouchers not yet redeemed, once: the state is checked
/// under the campaign's lock, so of two staff pressing cancel together one cancels and the other is told
/// `campaign.already_cancelled`. An ended campaign is refused (`campaign.closed`). Audit-logged as `campaign.cancel`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_cancel_campaign", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = CampaignView),
    (status = 409, description = "`campaign.already_cancelled` or `campaign.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/admin/campaigns/{id}/cancel")]
pub async fn cancel(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let id = CampaignId(id.into_inner());
    state.campaigns.cancel(&staff.actor, id).await?;
    let (c, gifts) = state.campaigns.get(&staff.actor, id).await?;
    Ok(web::Json(view(&state, &c, &gifts)))
}

/// Raises a campaign's budget.
///
/// The budget only grows: a lower figure is refused (`campaign.budget_decrease`), and so is an ended or cancelled
/// campaign (`campaign.closed`). Audit-logged as `campaign.budget`, with the old and new figure.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_raise_campaign_budget", tag = "campaigns", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = SetBudget, responses(
        (status = 200, body = CampaignView),
        (status = 409, description = "`campaign.budget_decrease` or `campaign.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/campaigns/{id}/budget")]
pub async fn set_budget(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<SetBudget>,
) -> Result<web::Json<CampaignView>, ApiError> {
    let id = CampaignId(id.into_inner());
    state.campaigns.raise_budget(&staff.actor, id, Fen::new(body.budget_fen), None).await?;
    let (c, gifts) = state.campaigns.get(&staff.actor, id).await?;
    Ok(web::Json(view(&state, &c, &gifts)))
}

/// Raises a gift's stock.
///
/// Also while the campaign is live. The stock only grows (`gift.stock_decrease`), to at most 10,000,000, and stays
/// within the campaign's budget (`campaign.over_budget`). Audit-logged as `gift.stock`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_raise_gift_stock", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path), ("gift" = uuid::Uuid, Path)),
    request_body = SetStock, responses(
        (status = 200, body = GiftView),
        (status = 409, description = "`gift.stock_decrease`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[patch("/v1/admin/campaigns/{id}/gifts/{gift}")]
pub async fn set_stock(
    state: web::Data<CampaignsState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: web::Json<SetStock>,
) -> Result<web::Json<GiftView>, ApiError> {
    let (id, gift) = path.into_inner();
    let g = state.campaigns.raise_stock(&staff.actor, CampaignId(id), GiftId(gift), body.stock, None).await?;
    Ok(web::Json(GiftView::new(&g, None)))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"gifts": [{"gift_id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "gate_remaining": 4300,
    "database_remaining": 4211, "drifted": true}]}))]
pub struct ReconcileView {
    pub gifts: Vec<GiftDriftView>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GiftDriftView {
    pub gift_id: uuid::Uuid,
    /// What the gate said was left before the repair (`null`: the gate held nothing).
    pub gate_remaining: Option<u32>,
    /// What the claims in the database leave: the truth the gate was reset to.
    pub database_remaining: u32,
    pub drifted: bool,
}

/// Reconciles the inventory gate with the database.
///
/// For every gift, compares what the inventory gate has left with what the claims in the database leave, and resets the
/// gate from the database (for a published campaign). Drift is logged and counted in `/metrics`. Audit-logged as
/// `campaign.reconcile`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the
/// campaign's part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_reconcile_campaign", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ReconcileView),
    (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 503, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/admin/campaigns/{id}/reconcile")]
pub async fn reconcile(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<ReconcileView>, ApiError> {
    let found = state.campaigns.reconcile(Some(&staff.actor), CampaignId(id.into_inner())).await?;
    Ok(web::Json(ReconcileView { gifts: found.iter().map(drift_view).collect() }))
}

pub fn drift_view(d: &domain::campaigns::service::GiftDrift) -> GiftDriftView {
    if d.drifted() {
        tracing::warn!(gift = %d.gift, gate = ?d.gate_remaining, database = d.database_remaining, "inventory gate drift repaired");
        metrics::counter!("inventory_gate_drift_total").increment(1);
    }
    GiftDriftView {
        gift_id: d.gift.0,
        gate_remaining: d.gate_remaining,
        database_remaining: d.database_remaining,
        drifted: d.drifted(),
    }
}
