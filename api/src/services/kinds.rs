//! Kinds of case, configured by the city federation's staff.

use actix_web::{get, post, put, web, HttpResponse};

use super::dto::{ServiceKind, ServiceKindList, ServiceKindQuery};
use super::{ServicesState, PROBLEM};
use crate::error::ApiError;
use crate::extract::Staff;
use domain::services::model::KindCode;
use domain::services::ServiceError;

/// The kinds of case.
///
/// Active ones; `?retired=true` all. Changes nothing.
///
/// Who: any staff role but pickup operators and union officers; caseworkers.
#[utoipa::path(operation_id = "admin_list_service_kinds", tag = "services", security(("admin_jwt" = [])), params(ServiceKindQuery),
    responses(
        (status = 200, body = ServiceKindList),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-kinds")]
pub async fn list_kinds(
    state: web::Data<ServicesState>,
    _staff: Staff,
    query: web::Query<ServiceKindQuery>,
) -> Result<web::Json<ServiceKindList>, ApiError> {
    let kinds = state.services.kinds(query.retired).await?;
    Ok(web::Json(ServiceKindList { items: kinds.iter().map(ServiceKind::of).collect() }))
}

/// Creates a kind of case: its form, attachment slots, eligibility, time limits and what it may pay.
///
/// A `consultation` (法律援助, 就业服务) and a `complaint` end in a written answer; an `application` (困难帮扶, 大病补助,
/// 金秋助学) in a decision, which may pay up to `money.max_amount_fen`. Attachment slots take PDF, JPEG or PNG
/// files as their bytes show, each at most `max_bytes` (10 MiB at most). Audit-logged (`service_kind.create`).
///
/// Who: admins and operators of the city federation (403 `auth.federation_only` below it).
#[utoipa::path(operation_id = "admin_create_service_kind", tag = "services", security(("admin_jwt" = [])), request_body = ServiceKind,
    responses(
        (status = 201, body = ServiceKind, headers(("Location" = String, description = "`/v1/admin/service-kinds/{code}`"))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`service_kind.exists`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A field is invalid", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/service-kinds")]
pub async fn create_kind(
    state: web::Data<ServicesState>,
    staff: Staff,
    body: web::Json<ServiceKind>,
) -> Result<HttpResponse, ApiError> {
    let kind = state.services.create_kind(&staff.actor, body.into_inner().parse()?).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/admin/service-kinds/{}", kind.code)))
        .json(ServiceKind::of(&kind)))
}

/// Replaces a kind of case (all but its code and category).
///
/// New cases take the new form; open cases keep their answers, and their deadlines follow the new time limits at
/// once. `active: false` retires it: it takes no new cases. Audit-logged (`service_kind.update`) with before and after.
///
/// Who: admins and operators of the city federation.
#[utoipa::path(operation_id = "admin_replace_service_kind", tag = "services", security(("admin_jwt" = [])), request_body = ServiceKind,
    params(("code" = String, Path, description = "The kind's code", example = "illness-subsidy")),
    responses(
        (status = 200, body = ServiceKind),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`service_kind.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A field is invalid, the code differs from the path's, or the category changed", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/service-kinds/{code}")]
pub async fn replace_kind(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<ServiceKind>,
) -> Result<web::Json<ServiceKind>, ApiError> {
    let code = KindCode::parse(&path).ok_or(ServiceError::KindNotFound)?;
    let kind = body.into_inner().parse()?;
    if kind.code != code {
        return Err(ServiceError::invalid("code", "请求体中的代码与路径不符", "code differs from the path's").into());
    }
    Ok(web::Json(ServiceKind::of(&state.services.update_kind(&staff.actor, kind).await?)))
}
