use actix_web::http::StatusCode;
use actix_web::{get, web};

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use super::dto::{AuditEntryView, AuditPage, AuditQuery};
use super::AdminState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::admin::AuditFilter;
use domain::shared::paging::PagingError;
use domain::shared::PageRequest;

/// The audit log, newest first.
///
/// Who changed what and when, with the state before and after, a page at a time; narrowed by any of `actor`, `action`
/// (or a kind of action: `campaign.`), `target` and a time range (`from` inclusive, `until` exclusive). Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403): the rows of actors in their part of
/// the tree.
#[utoipa::path(operation_id = "admin_list_audit_log", 
    tag = "admin",
    security(("admin_jwt" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, description = "Bad limit, cursor or time (`request.invalid_query`)", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/admin/audit")]
pub async fn list_audit(
    state: web::Data<AdminState>,
    staff: Staff,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let page = state.admins.audit_page(&staff.actor, request, filter(&query)?).await?;
    Ok(web::Json(AuditPage {
        next_cursor: page.next.map(|c| c.encode()),
        items: page.items.into_iter().map(AuditEntryView::from).collect(),
    }))
}

/// What an audit query asks for; blank fields ask for nothing (a form's empty inputs).
pub fn filter(q: &AuditQuery) -> Result<AuditFilter, ApiError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let time = |field: &'static str, v: &Option<String>| given(v).map(|raw| instant(field, &raw)).transpose();
    Ok(AuditFilter {
        actor: given(&q.actor),
        action: given(&q.action),
        target: given(&q.target),
        from: time("from", &q.from)?,
        until: time("until", &q.until)?,
    })
}

/// RFC 3339 with an offset (a `+` that a query string turned into a space taken back), or a
/// Beijing date-time without one, to the minute or second.
fn instant(field: &'static str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    let mended = raw.replace(' ', "+");
    if let Ok(at) = DateTime::parse_from_rfc3339(&mended) {
        return Ok(at.to_utc());
    }
    let beijing = FixedOffset::east_opt(8 * 3600).expect("+08:00 is an offset");
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .and_then(|naive| naive.and_local_timezone(beijing).single())
        .map(|at| at.to_utc())
        .ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "request.invalid_query", "时间格式不正确", "Not a time")
                .detail(format!("{field}: expected RFC 3339 or a Beijing date-time like 2026-10-01T10:00"))
                .with("field", field)
        })
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
