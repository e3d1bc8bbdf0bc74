use actix_web::http::StatusCode;
use actix_web::{get, web};

use super::dto::{AuditEntryView, AuditPage, PageQuery};
use super::AdminState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::shared::paging::PagingError;
use domain::shared::PageRequest;

/// The audit log, newest first.
///
/// Who changed what and when, with the state before and after, a page at a time. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_list_audit_log", 
    tag = "admin",
    security(("admin_jwt" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "Bad limit or cursor", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/admin/audit")]
pub async fn list_audit(
    state: web::Data<AdminState>,
    staff: Staff,
    query: web::Query<PageQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let page = state.admins.audit_page(&staff.actor, request).await?;
    Ok(web::Json(AuditPage {
        next_cursor: page.next.map(|c| c.encode()),
        items: page.items.into_iter().map(AuditEntryView::from).collect(),
    }))
}

pub fn paging_error(e: PagingError) -> ApiError {
    match e {
        PagingError::Limit { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "request.invalid_limit", "limit 须为 1–100", "limit must be 1-100")
        }
        PagingError::Cursor => ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.invalid_cursor",
            "分页游标无效",
            "cursor is not one this server issued",
        ),
    }
}
