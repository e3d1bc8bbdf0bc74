use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::beijing;
use super::CampaignsState;
use crate::admin::AdminState;
use crate::error::ApiError;
use crate::extract::{forbidden, AnyStaff, Staff};
use domain::admin::AdminId;
use domain::campaigns::pickup::{PickupError, PickupKind, PickupPoint, PickupPointId, VoucherState};
use domain::campaigns::{CampaignId, GiftId};

const PROBLEM: &str = "application/problem+json";

impl From<PickupError> for ApiError {
    fn from(e: PickupError) -> Self {
        match e {
            PickupError::Forbidden => forbidden(),
            PickupError::PointNotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "pickup_point.not_found",
                "领取点或礼品不存在",
                "No such pickup point or gift",
            ),
            PickupError::NotPickupOperator => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pickup_point.not_an_operator",
                "该账号不是领取点核销员",
                "That account is not a pickup operator",
            ),
            PickupError::Invalid { field, problem } => ApiError::validation(field, "字段取值不正确", problem),
            PickupError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "园区职工服务中心", "kind": "center", "address": "苏州工业园区星海街 200 号",
    "scope_code": "SZ-SIP"}))]
pub struct CreatePoint {
    pub name: String,
    /// `center` (职工服务中心), `station` (站) or `point` (点).
    pub kind: String,
    pub address: String,
    /// The part of the union tree whose staff run the point (a union's code). Absent: the creator's
    /// own scope. A union outside it is 404 `union.not_found`.
    pub scope_code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-00000000000a", "name": "园区职工服务中心", "kind": "center",
    "address": "苏州工业园区星海街 200 号", "scope_code": "SZ-SIP"}))]
pub struct PointView {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: &'static str,
    pub address: String,
    /// The part of the union tree whose staff run it; `null` for the whole federation.
    pub scope_code: Option<String>,
}

impl From<&PickupPoint> for PointView {
    fn from(p: &PickupPoint) -> Self {
        Self {
            id: p.id.0,
            name: p.name.clone(),
            kind: p.kind.as_str(),
            address: p.address.clone(),
            scope_code: p.within.as_ref().map(|s| s.code.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct PointList {
    pub items: Vec<PointView>,
}

/// Creates a pickup point.
///
/// A 职工服务中心 (`center`), 站 (`station`) or 点 (`point`) with its address. Audit-logged as `pickup_point.create`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), for their own part of the tree or a
/// union under it (`scope_code`).
#[utoipa::path(operation_id = "admin_create_pickup_point", tag = "pickup", security(("admin_jwt" = [])), request_body = CreatePoint, responses(
    (status = 201, body = PointView),
    (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 404, description = "`union.not_found`: `scope_code` is outside the caller's part of the tree", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/admin/pickup-points")]
pub async fn create_point(
    state: web::Data<CampaignsState>,
    unions: web::Data<crate::unions::UnionsState>,
    staff: Staff,
    body: web::Json<CreatePoint>,
) -> Result<HttpResponse, ApiError> {
    let point = new_point(&state, &unions, &staff.actor, &body).await?;
    Ok(HttpResponse::Created().json(PointView::from(&point)))
}

/// The API's create, for the console too.
pub(crate) async fn new_point(
    state: &CampaignsState,
    unions: &crate::unions::UnionsState,
    actor: &domain::admin::Actor,
    body: &CreatePoint,
) -> Result<PickupPoint, ApiError> {
    let kind = PickupKind::parse(&body.kind).ok_or_else(|| {
        ApiError::validation(
            "kind",
            "类型须为 center、station 或 point",
            "kind must be center, station or point".into(),
        )
    })?;
    let within = crate::unions::scope_asked(unions, actor, body.scope_code.as_deref()).await?;
    Ok(state.pickup.create_point(actor, &body.name, kind, &body.address, within).await?)
}

/// All pickup points.
///
/// The 职工服务中心, 站 and 点 where gift vouchers are handed out. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403): the points of their part of the tree.
#[utoipa::path(operation_id = "admin_list_pickup_points", tag = "pickup", security(("admin_jwt" = [])), responses((status = 200, body = PointList)))]
#[get("/v1/admin/pickup-points")]
pub async fn list_points(state: web::Data<CampaignsState>, staff: Staff) -> Result<web::Json<PointList>, ApiError> {
    Ok(web::Json(PointList { items: state.pickup.points(&staff.actor).await?.iter().map(PointView::from).collect() }))
}

/// Assigns a pickup operator to a point.
///
/// The `pickup_operator` account may then check and redeem vouchers at this point; an account of another role is
/// refused (`pickup_point.not_an_operator`). Audit-logged as `pickup_point.assign`.
///
/// Who: staff with role admin (any other role gets 403), whose scope holds the point and the operator (404 otherwise).
#[utoipa::path(operation_id = "admin_assign_pickup_operator", tag = "pickup", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path), ("admin_id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Assigned"),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "Not a pickup operator", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/pickup-points/{id}/operators/{admin_id}")]
pub async fn assign(
    state: web::Data<CampaignsState>,
    admin: web::Data<AdminState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (point, operator) = path.into_inner();
    assign_operator(&state, &admin, &staff.actor, point, operator).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn assign_operator(
    state: &CampaignsState,
    admin: &AdminState,
    actor: &domain::admin::Actor,
    point: uuid::Uuid,
    operator: uuid::Uuid,
) -> Result<(), ApiError> {
    let operator = admin.admins.get(actor, AdminId(operator)).await?;
    Ok(state.pickup.assign(actor, PickupPointId(point), &operator).await?)
}

/// Lists a pickup point for a gift.
///
/// The gift's vouchers may then be redeemed at that pickup point. Audit-logged as `gift.pickup_point`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403), whose scope holds the campaign and
/// the point (404 otherwise).
#[utoipa::path(operation_id = "admin_add_pickup_point_to_gift", tag = "pickup", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("gift" = uuid::Uuid, Path), ("point" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Listed"),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/campaigns/{id}/gifts/{gift}/pickup-points/{point}")]
pub async fn list_for_gift(
    state: web::Data<CampaignsState>,
    staff: Staff,
    path: web::Path<(uuid::Uuid, uuid::Uuid, uuid::Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, gift, point) = path.into_inner();
    list_gift_at(&state, &staff.actor, campaign, gift, point).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn list_gift_at(
    state: &CampaignsState,
    actor: &domain::admin::Actor,
    campaign: uuid::Uuid,
    gift: uuid::Uuid,
    point: uuid::Uuid,
) -> Result<(), ApiError> {
    let (_, gifts) = state.campaigns.get(actor, CampaignId(campaign)).await?;
    if !gifts.iter().any(|g| g.id == GiftId(gift)) {
        return Err(PickupError::PointNotFound.into());
    }
    Ok(state.pickup.list_for_gift(actor, GiftId(gift), PickupPointId(point)).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "7KQ2-M9XH-4TPWC", "pickup_point_id": "0193a2c6-0000-7000-8000-00000000000a"}))]
pub struct VoucherRequest {
    /// As printed or scanned; case, spaces and dashes do not matter.
    pub code: String,
    pub pickup_point_id: uuid::Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"redeemable": true, "reason": null, "gift_name": "月饼礼盒",
    "expires_at": "2026-11-01T00:00:00+08:00", "redeemed_at": null}))]
pub struct VoucherCheckView {
    pub redeemable: bool,
    /// Why not: `not_found`, `redeemed`, `expired`, `voided` or `wrong_point`.
    pub reason: Option<&'static str>,
    pub gift_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = Option<String>)]
    pub redeemed_at: Option<DateTime<FixedOffset>>,
}

/// A redemption that happened: it says so, when, and where.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"redeemed": true, "gift_name": "月饼礼盒", "redeemed_at": "2026-10-02T09:15:00+08:00",
    "pickup_point_id": "0193a2c6-0000-7000-8000-00000000000a"}))]
pub struct RedemptionView {
    /// Always `true`: a redemption that did not happen is a problem, not this.
    pub redeemed: bool,
    pub gift_name: String,
    #[schema(value_type = String)]
    pub redeemed_at: DateTime<FixedOffset>,
    pub pickup_point_id: uuid::Uuid,
}

fn reason(s: &VoucherState) -> Option<&'static str> {
    match s {
        VoucherState::Redeemable { .. } => None,
        VoucherState::Redeemed { .. } => Some("redeemed"),
        VoucherState::NotFound => Some("not_found"),
        VoucherState::Expired => Some("expired"),
        VoucherState::Voided => Some("voided"),
        VoucherState::WrongPoint => Some("wrong_point"),
    }
}

impl From<&VoucherState> for VoucherCheckView {
    fn from(s: &VoucherState) -> Self {
        let (gift_name, expires_at, redeemed_at) = match s {
            VoucherState::Redeemable { gift_name, expires_at } => {
                (Some(gift_name.clone()), Some(beijing(*expires_at)), None)
            }
            VoucherState::Redeemed { gift_name, at, .. } => (Some(gift_name.clone()), None, Some(beijing(*at))),
            _ => (None, None, None),
        };
        Self { redeemable: reason(s).is_none(), reason: reason(s), gift_name, expires_at, redeemed_at }
    }
}

/// Checks a voucher at a pickup point.
///
/// Whether a voucher can be redeemed at this pickup point now, and if not, why. Changes nothing.
///
/// Who: a pickup operator assigned to the point (staff token); anyone else gets 403.
#[utoipa::path(operation_id = "pickup_check_voucher", tag = "pickup", security(("admin_jwt" = [])), request_body = VoucherRequest, responses(
    (status = 200, body = VoucherCheckView),
    (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/pickup/vouchers/check")]
pub async fn check(
    state: web::Data<CampaignsState>,
    staff: AnyStaff,
    body: web::Json<VoucherRequest>,
) -> Result<web::Json<VoucherCheckView>, ApiError> {
    let found = state.pickup.check(&staff.0.actor, &body.code, PickupPointId(body.pickup_point_id)).await?;
    Ok(web::Json((&found).into()))
}

/// Redeems a voucher at a pickup point.
///
/// Once, before it expires (checked at this moment), at a point listed for its gift; the redemption is recorded with
/// the operator. Repeating a redemption that succeeded here answers the same success.
///
/// Who: a pickup operator assigned to the point (staff token); anyone else gets 403.
#[utoipa::path(operation_id = "pickup_redeem_voucher", tag = "pickup", security(("admin_jwt" = [])), request_body = VoucherRequest, responses(
    (status = 200, body = RedemptionView),
    (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 404, description = "`voucher.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 409, description = "`voucher.redeemed`, `voucher.expired`, `voucher.voided` or `voucher.wrong_point`",
        body = crate::openapi::Problem, content_type = PROBLEM,
        example = json!({"type": "urn:sgh:problem:voucher.redeemed", "title": "该券已核销", "message": "该券已核销",
            "status": 409, "code": "voucher.redeemed", "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7d1"})),
))]
#[post("/v1/pickup/vouchers/redeem")]
pub async fn redeem(
    state: web::Data<CampaignsState>,
    staff: AnyStaff,
    body: web::Json<VoucherRequest>,
) -> Result<web::Json<RedemptionView>, ApiError> {
    let after = state.pickup.redeem(&staff.0.actor, &body.code, PickupPointId(body.pickup_point_id)).await?;
    match after {
        VoucherState::Redeemed { here: true, gift_name, at } => Ok(web::Json(RedemptionView {
            redeemed: true,
            gift_name,
            redeemed_at: beijing(at),
            pickup_point_id: body.pickup_point_id,
        })),
        other => Err(refusal(&other)),
    }
}

/// Why a voucher was not redeemed here, for a state other than "redeemed here".
pub(crate) fn refusal(after: &VoucherState) -> ApiError {
    let (status, code, zh, en) = match after {
        VoucherState::NotFound => (StatusCode::NOT_FOUND, "voucher.not_found", "券码不存在", "No such voucher"),
        VoucherState::Redeemed { .. } => (StatusCode::CONFLICT, "voucher.redeemed", "该券已核销", "Already redeemed"),
        VoucherState::Expired => (StatusCode::CONFLICT, "voucher.expired", "该券已过期", "Expired"),
        VoucherState::Voided => (StatusCode::CONFLICT, "voucher.voided", "该券已作废", "Voided"),
        VoucherState::WrongPoint => {
            (StatusCode::CONFLICT, "voucher.wrong_point", "该礼品不在此处发放", "Not handed out here")
        }
        VoucherState::Redeemable { .. } => {
            return ApiError::internal(&anyhow::anyhow!("voucher still redeemable right after redeeming"));
        }
    };
    ApiError::new(status, code, zh, en)
}
