//! The officers' side: the queue of applications, deciding them, remarks between unions.

use actix_web::{get, post, web};

use super::dto::{ApplicationQuery, CommentRequest, DecisionRequest, MembershipApplication, MembershipApplicationPage};
use super::MembershipState;
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::membership::model::ApplicationFilter;
use domain::membership::{ApplicationId, MembershipError};
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

fn application_id(raw: &str) -> Result<ApplicationId, ApiError> {
    raw.parse().map_err(|_| MembershipError::NotFound.into())
}

/// Applications to join, transfer or leave, within the caller's part of the tree.
///
/// Those whose union lies in it, and transfers whose sending union does. `?queue=` a union: those waiting in its
/// queue — an application starts in its union's queue and, each time its time limit runs out undecided, moves to the
/// queue of the union above (audit-logged as `application.escalate`), flagged `overdue`. `?state=`, `?kind=`,
/// `?overdue=true` narrow it. Oldest first. Changes nothing (but escalates what ran out first).
///
/// Who: staff with role admin, operator or auditor; a union officer (its own union's).
#[utoipa::path(operation_id = "admin_list_applications", tag = "membership", security(("admin_jwt" = [])), params(ApplicationQuery),
    responses(
        (status = 200, body = MembershipApplicationPage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`queue` is not a union code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/applications")]
pub async fn list_applications(
    state: web::Data<MembershipState>,
    staff: Staff,
    query: web::Query<ApplicationQuery>,
) -> Result<web::Json<MembershipApplicationPage>, ApiError> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(paging_error)?;
    let filter = ApplicationFilter {
        state: q.state.map(Into::into),
        kind: q.kind.map(Into::into),
        queue: q.queue.as_deref().map(|c| crate::unions::code("queue", c)).transpose()?,
        overdue_only: q.overdue,
    };
    let found = state.membership.list(&staff.actor, filter, page).await?;
    let now = state.membership.clock.now();
    Ok(web::Json(MembershipApplicationPage {
        items: found.items.into_iter().map(|a| MembershipApplication::staff(a, now)).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    }))
}

/// One application, with the applicant masked and the remarks between unions.
///
/// Outside the caller's part of the tree it is 404. Changes nothing.
///
/// Who: staff with role admin, operator or auditor; a union officer.
#[utoipa::path(operation_id = "admin_get_application", tag = "membership", security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The application's id", example = "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11")),
    responses(
        (status = 200, body = MembershipApplication),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`application.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/applications/{id}")]
pub async fn get_application(
    state: web::Data<MembershipState>,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<MembershipApplication>, ApiError> {
    let app = state.membership.get(&staff.actor, application_id(&path)?).await?;
    Ok(web::Json(MembershipApplication::staff(app, state.membership.clock.now())))
}

/// Approves or refuses an application.
///
/// Decided by the officers of its union or anyone above it (a transfer's sending union may only comment: 403
/// `application.not_deciding_union`). Checked under the application's lock against the state it is in: a second
/// decision is 409 `application.decided`. Approving a join writes the roster row with a new member number (per
/// federation, one after another, never reused) and activates the member in the same transaction; a transfer moves
/// the roster row (campaigns limited by union see the member in the new union from that moment); leaving ends the
/// membership. The member's history records each. Audit-logged as `application.approve` / `application.refuse`; the
/// member is mailed.
///
/// Who: staff with role admin or operator; a union officer.
#[utoipa::path(operation_id = "admin_decide_application", tag = "membership", security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The application's id", example = "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11")),
    request_body = DecisionRequest,
    responses(
        (status = 200, body = MembershipApplication),
        (status = 403, description = "Not a deciding role, or `application.not_deciding_union`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`application.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`application.decided`; or the applicant's standing changed since (`application.already_member`, `application.not_member`, `union.closed`)", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/applications/{id}/decision")]
pub async fn decide(
    state: web::Data<MembershipState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<DecisionRequest>,
) -> Result<web::Json<MembershipApplication>, ApiError> {
    let id = application_id(&path)?;
    let decision = body.into_inner().parse()?;
    let app = state.membership.decide(&staff.actor, id, decision).await?;
    Ok(web::Json(MembershipApplication::staff(app, state.membership.clock.now())))
}

/// Adds a remark to an open application.
///
/// For a transfer's sending union, say, which is told of it and may comment but not decide. Members do not see
/// remarks. A decided one is 409 `application.decided`.
///
/// Who: staff with role admin or operator; a union officer.
#[utoipa::path(operation_id = "admin_comment_application", tag = "membership", security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The application's id", example = "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11")),
    request_body = CommentRequest,
    responses(
        (status = 200, body = MembershipApplication),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`application.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`application.decided`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/applications/{id}/comments")]
pub async fn comment(
    state: web::Data<MembershipState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<CommentRequest>,
) -> Result<web::Json<MembershipApplication>, ApiError> {
    let id = application_id(&path)?;
    let text = body.into_inner().parse()?;
    let app = state.membership.comment(&staff.actor, id, text).await?;
    Ok(web::Json(MembershipApplication::staff(app, state.membership.clock.now())))
}
