//! The member's side: finding a union, applying to join, transfer or leave, and the history.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ApplyRequest, MembershipApplication, MembershipApplicationList, MembershipHistory, SpellView};
use super::MembershipState;
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::members::caller::MemberCaller;
use crate::unions::{UnionNodePage, UnionNodeView, UnionsState};
use domain::campaigns::window::SHANGHAI;
use domain::membership::ApplicationId;
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindQuery {
    /// Part of the union's name, its code, or the name of an employer it covers.
    #[param(example = "某某科技")]
    pub q: Option<String>,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn application_id(raw: &str) -> Result<ApplicationId, ApiError> {
    // Not an id we gave: no such application.
    raw.parse().map_err(|_| domain::membership::MembershipError::NotFound.into())
}

/// Finds the union to join.
///
/// Open grassroots and joint unions whose name, code or covered employers contain `q`, anywhere in the tree: the
/// union of the member's workplace, or the town's joint union (联合工会) where the employer has none of its own.
/// Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_find_unions", tag = "membership", security(("member_jwt" = [])), params(FindQuery),
    responses(
        (status = 200, body = UnionNodePage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`q` longer than 100 characters", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/unions")]
pub async fn find_unions(
    unions: web::Data<UnionsState>,
    _me: MemberCaller,
    query: web::Query<FindQuery>,
) -> Result<web::Json<UnionNodePage>, ApiError> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(paging_error)?;
    let found = unions.unions.joinable(q.q, page).await?;
    Ok(web::Json(UnionNodePage {
        items: found.items.into_iter().map(UnionNodeView::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    }))
}

/// Applies to join a union (网上入会), transfer to another (会员关系接转), or leave.
///
/// Needs a bound real name (409 `application.real_name_required`). Joining is for someone not active on the roster
/// (an active member gets 409 `application.already_member`, and transfers instead); transferring and leaving are for
/// active members (409 `application.not_member`). One open application per person: another is 409
/// `application.open_exists`, naming it. The union must be an open grassroots or joint union (422
/// `application.not_grassroots`, 409 `union.closed`, 404 `union.not_found`). The union's officers decide within the
/// time limit (5 working days unless set otherwise); the member is mailed the decision. A transfer's sending union is
/// told and may comment. An approved join makes the member active at once, with a new member number.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_apply", tag = "membership", security(("member_jwt" = [])), request_body = ApplyRequest,
    responses(
        (status = 201, body = MembershipApplication, headers(("Location" = String, description = "`/v1/me/applications/{id}`"))),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`application.real_name_required`, `application.already_member`, `application.not_member`, `application.open_exists` or `union.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A field is missing or invalid, `application.not_grassroots`, `application.same_union`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/applications")]
pub async fn apply(
    state: web::Data<MembershipState>,
    me: MemberCaller,
    body: web::Json<ApplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.membership.clock.now();
    let request = body.into_inner().parse(now.with_timezone(&SHANGHAI).date_naive())?;
    let app = state.membership.apply(me.0.member.id, request).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/me/applications/{}", app.id)))
        .json(MembershipApplication::member(app, now)))
}

/// The member's applications.
///
/// Newest first, the last 100. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_list_applications", tag = "membership", security(("member_jwt" = [])),
    responses(
        (status = 200, body = MembershipApplicationList),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/applications")]
pub async fn my_applications(
    state: web::Data<MembershipState>,
    me: MemberCaller,
) -> Result<web::Json<MembershipApplicationList>, ApiError> {
    let now = state.membership.clock.now();
    let apps = state.membership.mine(me.0.member.id).await?;
    Ok(web::Json(MembershipApplicationList {
        items: apps.into_iter().map(|a| MembershipApplication::member(a, now)).collect(),
    }))
}

/// One of the member's applications.
///
/// Another member's is 404. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_get_application", tag = "membership", security(("member_jwt" = [])),
    params(("id" = String, Path, description = "The application's id", example = "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11")),
    responses(
        (status = 200, body = MembershipApplication),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`application.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/applications/{id}")]
pub async fn my_application(
    state: web::Data<MembershipState>,
    me: MemberCaller,
    path: web::Path<String>,
) -> Result<web::Json<MembershipApplication>, ApiError> {
    let id = application_id(&path)?;
    let now = state.membership.clock.now();
    let app = state
        .membership
        .mine(me.0.member.id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(domain::membership::MembershipError::NotFound)?;
    Ok(web::Json(MembershipApplication::member(app, now)))
}

/// Withdraws an open application.
///
/// A decided one is 409 `application.decided`; another member's is 404.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_withdraw_application", tag = "membership", security(("member_jwt" = [])),
    params(("id" = String, Path, description = "The application's id", example = "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11")),
    responses(
        (status = 200, body = MembershipApplication),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`application.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`application.decided`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/applications/{id}/withdrawal")]
pub async fn withdraw(
    state: web::Data<MembershipState>,
    me: MemberCaller,
    path: web::Path<String>,
) -> Result<web::Json<MembershipApplication>, ApiError> {
    let id = application_id(&path)?;
    let app = state.membership.withdraw(me.0.member.id, id).await?;
    Ok(web::Json(MembershipApplication::member(app, state.membership.clock.now())))
}

/// The member's membership history.
///
/// Each union they belonged to, from when until when, and how each stretch began and ended; oldest first. A member on
/// the roster before any change was made online has one stretch, from when the roster first listed them. Changes
/// nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_membership_history", tag = "membership", security(("member_jwt" = [])),
    responses(
        (status = 200, body = MembershipHistory),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/memberships")]
pub async fn history(
    state: web::Data<MembershipState>,
    me: MemberCaller,
) -> Result<web::Json<MembershipHistory>, ApiError> {
    let spells = state.membership.history(me.0.member.id).await?;
    Ok(web::Json(MembershipHistory { items: spells.into_iter().map(SpellView::from).collect() }))
}
