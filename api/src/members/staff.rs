use actix_web::{delete, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MembersState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::members::dto::MeView;
use domain::members::MemberId;

const PROBLEM: &str = "application/problem+json";

/// In the body, never the URL: a number in a URL ends up in proxy logs, browser history and
/// referrers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"query": "13800138000"}))]
pub struct MemberQuery {
    /// An exact mobile number or 居民身份证 number; matched through the blind index.
    #[schema(max_length = 64)]
    pub query: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "suspended", "phone": "138****8000",
    "real_name": {"name": "张*", "id_number": "3205**********123X"}, "union": null, "nickname": null, "avatar_url": null,
    "email": null, "wechat_bound": false, "consent": null, "privacy_policy_version": "2026-11",
    "created_at": "2026-11-20T01:59:00Z", "suspension": "冒用他人身份信息，待核实"}]}))]
pub struct MemberList {
    pub items: Vec<AdminMemberView>,
}

/// A member as staff see them: masked like everywhere, plus the suspension reason.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "suspended", "phone": "138****8000",
    "real_name": {"name": "张*", "id_number": "3205**********123X"}, "union": null, "nickname": null, "avatar_url": null,
    "email": null, "wechat_bound": false, "consent": null, "privacy_policy_version": "2026-11",
    "created_at": "2026-11-20T01:59:00Z", "suspension": "冒用他人身份信息，待核实"}))]
pub struct AdminMemberView {
    #[serde(flatten)]
    pub member: MeView,
    pub suspension: Option<String>,
}

/// Masked like everything personal staff see: the e-mail address too (the member sees theirs whole).
fn admin_view(state: &MembersState, p: &domain::members::Profile) -> AdminMemberView {
    let mut member = MeView::new(p, &state.profiles.policy_version);
    member.email = p.member.email.as_ref().map(|e| e.masked());
    AdminMemberView { member, suspension: p.member.suspension.clone() }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "冒用他人身份信息，待核实"}))]
pub struct SuspendRequest {
    pub reason: String,
}

/// Finds members by phone, ID number or member number.
///
/// An exact mobile number or 居民身份证 number in the body (never the URL), matched through the blind index, or an
/// activated member's member number (letters, digits, `-`, `_`, with at least one digit); anything else (a name, say)
/// finds nobody. Identifiers come back masked, with the suspension reason. Each look-up is written to the audit
/// log as `member.lookup` (the number masked, the members found as its target), found or not; a POST because it
/// carries a number, though it changes no member.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_search_members", tag = "admin", security(("admin_jwt" = [])), request_body = MemberQuery, responses(
    (status = 200, body = MemberList),
    (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 422, description = "`query` longer than 64 characters", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/admin/members/search")]
pub async fn search_members(
    state: web::Data<MembersState>,
    staff: Staff,
    body: web::Json<MemberQuery>,
) -> Result<web::Json<MemberList>, ApiError> {
    Ok(web::Json(MemberList { items: lookup(&state, &staff, &body.query).await? }))
}

/// Staff's exact look-up, as the API and the console answer it.
pub async fn lookup(state: &MembersState, staff: &Staff, query: &str) -> Result<Vec<AdminMemberView>, ApiError> {
    if query.chars().count() > 64 {
        return Err(ApiError::validation("query", "查询内容过长", "query must be at most 64 characters".into()));
    }
    let found = state.profiles.search(&staff.actor, query.trim()).await?;
    Ok(found.iter().map(|p| admin_view(state, p)).collect())
}

/// One member as staff see it, in their part of the tree (404 elsewhere).
pub async fn one(state: &MembersState, staff: &Staff, id: MemberId) -> Result<AdminMemberView, ApiError> {
    let profile = state.profiles.for_staff(&staff.actor, id).await?;
    Ok(admin_view(state, &profile))
}

/// Suspends (with a reason of 1–200 characters) or lifts a suspension, and tells the gatekeeper.
pub async fn set_suspension(
    state: &MembersState,
    staff: &Staff,
    id: MemberId,
    reason: Option<&str>,
) -> Result<AdminMemberView, ApiError> {
    let reason = reason.map(str::trim);
    if reason.is_some_and(|r| r.is_empty() || r.chars().count() > 200) {
        return Err(ApiError::validation("reason", "原因须为 1–200 个字符", "reason must be 1-200 characters".into()));
    }
    let profile = state.profiles.set_suspension(&staff.actor, id, reason).await?;
    state.standing.changed(profile.member.id, state.clock.now(), Some(&profile));
    Ok(admin_view(state, &profile))
}

/// Suspends a member.
///
/// Records the reason (1–200 characters); the member's sessions end at once and they cannot sign in until the
/// suspension is lifted. Audit-logged as `member.suspend`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
#[utoipa::path(operation_id = "admin_suspend_member", tag = "admin", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), request_body = SuspendRequest,
    responses(
        (status = 200, body = AdminMemberView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/members/{id}/suspension")]
pub async fn suspend(
    state: web::Data<MembersState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    body: web::Json<SuspendRequest>,
) -> Result<web::Json<AdminMemberView>, ApiError> {
    Ok(web::Json(set_suspension(&state, &staff, MemberId(id.into_inner()), Some(&body.reason)).await?))
}

/// Lifts a member's suspension.
///
/// The member may sign in again. Audit-logged as `member.unsuspend`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
#[utoipa::path(operation_id = "admin_lift_member_suspension", tag = "admin", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = AdminMemberView),
    (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[delete("/v1/admin/members/{id}/suspension")]
pub async fn unsuspend(
    state: web::Data<MembersState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<AdminMemberView>, ApiError> {
    Ok(web::Json(set_suspension(&state, &staff, MemberId(id.into_inner()), None).await?))
}
