//! `/v1/admin/unions`: the organisation tree, read and changed node by node.

use actix_web::{get, patch, post, web, HttpResponse};

use super::dto::{
    code, MergeRequest, MergeView, NewUnionRequest, UnionNodePage, UnionNodeView, UnionPatch, UnionQuery,
};
use super::UnionsState;
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::shared::PageRequest;
use domain::unions::model::{NewNode, NodeChange, NodeFilter};

const PROBLEM: &str = "application/problem+json";

/// The unions of the tree, filtered.
///
/// `?under=` a union (itself included: its subtree, one indexed range however deep), `?parent=` (its children only),
/// `?kind=`, `?q=` (part of the name or code, or an employer covered), `?unplaced=true` (unions made from roster codes,
/// waiting to be placed), `?closed=true` (closed ones too). In the order they were made. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_list_unions", tag = "unions", security(("admin_jwt" = [])), params(UnionQuery),
    responses(
        (status = 200, body = UnionNodePage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`: `under` names no union", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/unions")]
pub async fn list_unions(
    state: web::Data<UnionsState>,
    staff: Staff,
    query: web::Query<UnionQuery>,
) -> Result<web::Json<UnionNodePage>, ApiError> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref()).map_err(paging_error)?;
    let under = match q.under.as_deref() {
        Some(raw) => Some(state.unions.get(&staff.actor, &code("under", raw)?).await?.path),
        None => None,
    };
    let filter = NodeFilter {
        under,
        parent: q.parent.as_deref().map(|c| code("parent", c)).transpose()?,
        kind: q.kind.map(Into::into),
        text: q.q,
        unplaced_only: q.unplaced,
        with_closed: q.closed,
        joinable_only: false,
    };
    let found = state.unions.list(&staff.actor, filter, page).await?;
    Ok(web::Json(UnionNodePage {
        items: found.items.into_iter().map(UnionNodeView::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    }))
}

/// One union.
///
/// Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_get_union", tag = "unions", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union's code", example = "SZ-SIP")),
    responses(
        (status = 200, body = UnionNodeView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "Not a union code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/unions/{code}")]
pub async fn get_union(
    state: web::Data<UnionsState>,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<UnionNodeView>, ApiError> {
    let node = state.unions.get(&staff.actor, &code("code", &path)?).await?;
    Ok(web::Json(node.into()))
}

/// Adds a union to the tree.
///
/// Under an open union whose kind may hold it: district federations under the city; town, street, development-zone
/// federations and industry unions under the city or a district; grassroots and joint unions under any federation;
/// nothing under a grassroots or joint union (422 `union.placement`). A code already used is 409 `union.code_taken`.
/// Audit-logged as `union.create`.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_create_union", tag = "unions", security(("admin_jwt" = [])), request_body = NewUnionRequest,
    responses(
        (status = 201, body = UnionNodeView, headers(("Location" = String, description = "`/v1/admin/unions/{code}`"))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`: no such parent", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`union.code_taken`, or `union.closed` (the parent)", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`union.placement`, or a field is invalid", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/unions")]
pub async fn create_union(
    state: web::Data<UnionsState>,
    staff: Staff,
    body: web::Json<NewUnionRequest>,
) -> Result<HttpResponse, ApiError> {
    let node = NewNode::try_from(body.into_inner())?;
    let made = state.unions.create(&staff.actor, node).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/admin/unions/{}", made.code)))
        .json(UnionNodeView::from(made)))
}

/// Renames a union, moves it, or replaces the employers it covers.
///
/// A new `parent_code` moves the union with everything under it, in one transaction (the paths under it are rewritten
/// with it); under itself or its own subtree, or where its kind may not sit, is 422 `union.placement`. Placing an
/// `unplaced` union clears the flag. Two moves at once are taken one after the other: no cycle can form. A closed
/// union is 409 `union.closed`. Audit-logged as `union.update` with before and after.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_update_union", tag = "unions", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union's code", example = "SZ-SIP-WT-J01")), request_body = UnionPatch,
    responses(
        (status = 200, body = UnionNodeView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`union.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`union.placement`, or a field is invalid", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[patch("/v1/admin/unions/{code}")]
pub async fn update_union(
    state: web::Data<UnionsState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<UnionPatch>,
) -> Result<web::Json<UnionNodeView>, ApiError> {
    let target = code("code", &path)?;
    let change = NodeChange::try_from(body.into_inner())?;
    Ok(web::Json(state.unions.change(&staff.actor, target, change).await?.into()))
}

/// Merges a grassroots (or joint) union into another.
///
/// Its roster rows move to `into` and it closes, remembering where it went (`merged_into`); both must be open
/// grassroots or joint unions (422 `union.placement` otherwise, 409 `union.closed`). One transaction. Audit-logged as
/// `union.merge` with the number of members moved.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_merge_union", tag = "unions", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union merged away", example = "SZ-SIP-WT-G07")), request_body = MergeRequest,
    responses(
        (status = 200, body = MergeView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`union.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`union.placement`: not grassroots or joint; or itself", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/unions/{code}/merge")]
pub async fn merge_union(
    state: web::Data<UnionsState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<MergeRequest>,
) -> Result<web::Json<MergeView>, ApiError> {
    let from = code("code", &path)?;
    let into = code("into", &body.into)?;
    let merged = state.unions.merge(&staff.actor, from, into).await?;
    Ok(web::Json(MergeView { from: merged.from.into(), into: merged.into.into(), members_moved: merged.members }))
}

/// Closes a union.
///
/// Refused while active members belong to it (409 `union.has_members`, with their number) or open unions sit under it
/// (409 `union.has_children`); the root never closes. A closed union stays in the tree for the record, takes no new
/// unions or members, and is left out of lists unless `?closed=true`. Audit-logged as `union.close`.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_close_union", tag = "unions", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union's code", example = "SZ-SIP-WT-G07")),
    responses(
        (status = 200, body = UnionNodeView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`union.has_members`, `union.has_children` or `union.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`union.placement`: the root", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/unions/{code}/closure")]
pub async fn close_union(
    state: web::Data<UnionsState>,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<UnionNodeView>, ApiError> {
    let target = code("code", &path)?;
    Ok(web::Json(state.unions.close(&staff.actor, target).await?.into()))
}
