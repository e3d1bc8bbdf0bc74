//! The caseworkers' side: the queue of their part of the tree, a case (every read logged), its steps, the thread
//! with the member and notes among staff; the log of reads for auditors.

use actix_web::{get, post, web, HttpResponse};

use super::dto::{
    kind_filter, Audience, CaseMessage, CasePage, CaseQuery, CaseRead, CaseReadPage, CaseReadQuery, CaseStep, CaseView,
};
use super::{case_id, serve_file, ServicesState, PROBLEM};
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::services::model::CaseFilter;
use domain::services::service::FileReader;
use domain::shared::paging::PairCursor;
use domain::shared::Limit;

fn page(limit: Option<i64>, cursor: Option<&str>) -> Result<(Limit, Option<PairCursor>), ApiError> {
    let limit = Limit::parse(limit).map_err(paging_error)?;
    let after = cursor.map(PairCursor::decode).transpose().map_err(paging_error)?;
    Ok((limit, after))
}

/// The queue: cases whose member's union lies in the caller's part of the tree.
///
/// Open cases (submitted, returned, accepted, reopened) by deadline — overdue first, those waiting on the member
/// last — or `?state=` one state. `?queue=` a union: those waiting in its queue (a case starts in its union's queue
/// and climbs one union each time a time limit runs out, audit-logged as `case.escalate`); `?assignee=` (`me`: the
/// caller); `?kind=`; `?overdue=true`. Lines without answers or files. Changes nothing (but escalates what ran out
/// first).
///
/// Who: caseworkers, operators and admins.
#[utoipa::path(operation_id = "admin_list_cases", tag = "services", security(("admin_jwt" = [])), params(CaseQuery),
    responses(
        (status = 200, body = CasePage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`queue` is not a union code, or `kind` not a kind's code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-cases")]
pub async fn queue(
    state: web::Data<ServicesState>,
    staff: Staff,
    query: web::Query<CaseQuery>,
) -> Result<web::Json<CasePage>, ApiError> {
    let q = query.into_inner();
    let (limit, after) = page(q.limit, q.cursor.as_deref())?;
    let kind = kind_filter(q.kind.as_deref())?;
    let filter = CaseFilter {
        state: q.state.map(Into::into),
        kind,
        queue: q.queue.as_deref().map(|c| crate::unions::code("queue", c)).transpose()?,
        assignee: q.assignee.map(|a| if a == "me" { staff.actor.name.clone() } else { a }),
        overdue_only: q.overdue,
    };
    let found = state.services.queue(&staff.actor, filter, limit, after).await?;
    let now = state.services.clock.now();
    Ok(web::Json(CasePage {
        items: found.items.into_iter().map(|c| CaseView::of(c, Audience::Staff, now, false)).collect(),
        next_cursor: found.next.map(PairCursor::encode),
    }))
}

/// One case, whole: answers, files, the thread and staff's notes.
///
/// Outside the caller's part of the tree it is 404. The read is logged (who, when), for the auditor.
///
/// Who: caseworkers, operators and admins.
#[utoipa::path(operation_id = "admin_get_case", tag = "services", security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-cases/{id}")]
pub async fn get_case(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<CaseView>, ApiError> {
    let case = state.services.case(&staff.actor, case_id(&path)?).await?;
    Ok(web::Json(CaseView::of(case, Audience::Staff, state.services.clock.now(), true)))
}

/// Takes a step on a case: accept (受理), return for missing material, assign, answer, approve, refuse, close.
///
/// Each checks the state it starts from under the case's lock (409 `case.wrong_state` when another got there first):
/// `accept` from submitted; `return` from submitted or accepted (the clock stops until the member answers);
/// `assign` to a caseworker, operator or admin whose part of the tree holds the case's union (422
/// `case.not_assignable`); `answer` a consultation or complaint, `approve` or `refuse` an application, once
/// accepted — `approve` with `amount_fen` for a kind that pays (up to its most), without for one that does not;
/// `close` what was answered or decided (a reopened case: operators and admins, 403 `case.supervisor_only`). The
/// member sees the step in the thread. Audit-logged (`case.accept`, `case.return`, …).
///
/// Who: caseworkers, operators and admins in the case's part of the tree.
#[utoipa::path(operation_id = "admin_case_step", tag = "services", security(("admin_jwt" = [])), request_body = CaseStep,
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 403, description = "`auth.forbidden`, `case.supervisor_only`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad field, `case.not_assignable`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/service-cases/{id}/steps")]
pub async fn step(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<CaseStep>,
) -> Result<web::Json<CaseView>, ApiError> {
    let id = case_id(&path)?;
    let case = state.services.step(&staff.actor, id, body.into_inner().parse()?).await?;
    Ok(web::Json(CaseView::of(case, Audience::Staff, state.services.clock.now(), true)))
}

/// Writes to the member in the case's thread.
///
/// Until the case is closed or withdrawn (409 `case.wrong_state`).
///
/// Who: caseworkers, operators and admins in the case's part of the tree.
#[utoipa::path(operation_id = "admin_case_message", tag = "services", security(("admin_jwt" = [])), request_body = CaseMessage,
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`body` is not 1–2000 visible characters", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/service-cases/{id}/messages")]
pub async fn message(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<CaseMessage>,
) -> Result<web::Json<CaseView>, ApiError> {
    let case = state.services.post(&staff.actor, case_id(&path)?, &body.body, false).await?;
    Ok(web::Json(CaseView::of(case, Audience::Staff, state.services.clock.now(), true)))
}

/// Adds a note among staff: the member never sees it.
///
/// Who: caseworkers, operators and admins in the case's part of the tree.
#[utoipa::path(operation_id = "admin_case_note", tag = "services", security(("admin_jwt" = [])), request_body = CaseMessage,
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`body` is not 1–2000 visible characters", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/service-cases/{id}/notes")]
pub async fn note(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<CaseMessage>,
) -> Result<web::Json<CaseView>, ApiError> {
    let case = state.services.post(&staff.actor, case_id(&path)?, &body.body, true).await?;
    Ok(web::Json(CaseView::of(case, Audience::Staff, state.services.clock.now(), true)))
}

/// Downloads a file of a case. The read is logged.
///
/// Who: caseworkers, operators and admins in the case's part of the tree.
#[utoipa::path(operation_id = "admin_case_attachment", tag = "services", security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11"),
           ("attachment" = String, Path, description = "The file's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a")),
    responses(
        (status = 200, description = "The file", content(
            (String = "application/pdf", example = json!("%PDF-1.7 …")),
            (String = "image/jpeg", example = json!("(JPEG bytes)")),
            (String = "image/png", example = json!("(PNG bytes)")))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.attachment_not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-cases/{id}/attachments/{attachment}")]
pub async fn attachment(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    // Who may read files is answered before whether this one exists.
    domain::services::rules::check_role(staff.actor.role)?;
    serve_file(&state, FileReader::Staff(&staff.actor), path.into_inner()).await
}

/// Who of staff read which case, and when: every read of a case or one of its files.
///
/// Newest first; `?case=` one case's. Within the caller's part of the tree. Changes nothing.
///
/// Who: auditors, operators and admins.
#[utoipa::path(operation_id = "admin_case_reads", tag = "services", security(("admin_jwt" = [])), params(CaseReadQuery),
    responses(
        (status = 200, body = CaseReadPage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-case-reads")]
pub async fn reads(
    state: web::Data<ServicesState>,
    staff: Staff,
    query: web::Query<CaseReadQuery>,
) -> Result<web::Json<CaseReadPage>, ApiError> {
    let q = query.into_inner();
    let (limit, after) = page(q.limit, q.cursor.as_deref())?;
    let case = q.case.as_deref().map(case_id).transpose()?;
    let found = state.services.reads(&staff.actor, case, limit, after).await?;
    Ok(web::Json(CaseReadPage {
        items: found
            .items
            .into_iter()
            .map(|r| CaseRead { case: r.case.to_string(), number: r.number, staff: r.staff, at: r.at, what: r.what })
            .collect(),
        next_cursor: found.next.map(PairCursor::encode),
    }))
}
