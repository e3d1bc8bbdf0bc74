//! The member's side: the kinds they may ask for, opening a case with its files, the thread, answering a return,
//! withdrawing.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use super::dto::{Audience, CaseList, CaseMessage, CaseView, MemberServiceKind, MemberServiceKindList, ServiceKind};
use super::errors::ineligible_code;
use super::upload::{read, CaseUpload};
use super::{case_id, serve_file, ServicesState, PROBLEM};
use crate::error::ApiError;
use crate::members::caller::MemberCaller;
use domain::services::model::KindCode;
use domain::services::service::{FileReader, MemberIntent};
use domain::services::ServiceError;

/// The `case` part of a submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Submission {
    kind: String,
    #[serde(default)]
    answers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// The kinds of case a member may bring, and whether they may now.
///
/// Each active kind with its form and attachment slots, and `eligible` for the caller (with `why_not`, the code a
/// submission would be refused with, when not). Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_list_service_kinds", tag = "services", security(("member_jwt" = [])),
    responses(
        (status = 200, body = MemberServiceKindList),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/service-kinds")]
pub async fn member_kinds(
    state: web::Data<ServicesState>,
    me: MemberCaller,
) -> Result<web::Json<MemberServiceKindList>, ApiError> {
    let kinds = state.services.kinds_for(me.0.member.id).await?;
    Ok(web::Json(MemberServiceKindList {
        items: kinds
            .into_iter()
            .map(|(kind, why)| MemberServiceKind {
                kind: ServiceKind::of(&kind),
                eligible: why.is_none(),
                why_not: why.map(ineligible_code),
            })
            .collect(),
    }))
}

/// Opens a case: a question, an application or a complaint, with its files.
///
/// `multipart/form-data`: a `case` part (JSON: `kind`, `answers` by the form's field keys, an optional `message`) and
/// one part per file, named by its slot's key. Every answer is checked against its field (422 `case.form_invalid`,
/// listing each problem in `errors`); every file is judged by its bytes, not its name or declared type (415
/// `case.attachment_type`), at most its slot's `max_bytes` (413 `case.attachment_too_large`), never empty (422
/// `case.attachment_empty`), every required slot filled (422 `case.attachment_missing`). Nothing is kept unless all
/// of it is: a refused or broken upload leaves no file and no case. The member must be eligible (403
/// `case.not_member`, `case.no_card`, `case.too_recent`). The case waits in the queue of the member's union; the
/// time limit to accept it starts now, in working days.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_submit_case", tag = "services", security(("member_jwt" = [])),
    request_body(content = CaseUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = CaseView, headers(("Location" = String, description = "`/v1/me/cases/{id}`"))),
        (status = 400, description = "`request.multipart_invalid`: the body is cut short or malformed", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, description = "`case.not_member`, `case.no_card`, `case.too_recent`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`service_kind.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`service_kind.retired`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 413, description = "`case.attachment_too_large`, `request.too_many_parts`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 415, description = "`request.multipart_required`, `case.attachment_type`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`case.form_invalid`, `case.attachment_missing`, `case.attachment_empty`, `case.attachment_unknown_slot`, `case.attachment_too_many`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/cases")]
pub async fn submit(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    body: Multipart,
) -> Result<HttpResponse, ApiError> {
    let parts = read(body, &["case"]).await?;
    let raw = parts
        .texts
        .get("case")
        .ok_or_else(|| ServiceError::invalid("case", "缺少 case 部分", "the case part (JSON) is missing"))?;
    let s: Submission = serde_json::from_str(raw)
        .map_err(|e| ServiceError::invalid("case", "case 部分须为 JSON：kind、answers、message", e.to_string()))?;
    let kind = KindCode::parse(&s.kind).ok_or(ServiceError::KindNotFound)?;
    let case = state.services.submit(me.0.member.id, &kind, &s.answers, s.message.as_deref(), parts.files).await?;
    let now = state.services.clock.now();
    Ok(HttpResponse::Created().insert_header(("location", format!("/v1/me/cases/{}", case.id))).json(CaseView::of(
        case.for_member(),
        Audience::Member,
        now,
        true,
    )))
}

/// The member's cases.
///
/// Newest first, the last 100, without their threads. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_list_cases", tag = "services", security(("member_jwt" = [])),
    responses(
        (status = 200, body = CaseList),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/cases")]
pub async fn my_cases(state: web::Data<ServicesState>, me: MemberCaller) -> Result<web::Json<CaseList>, ApiError> {
    let now = state.services.clock.now();
    let cases = state.services.mine(me.0.member.id).await?;
    Ok(web::Json(CaseList {
        items: cases.into_iter().map(|c| CaseView::of(c, Audience::Member, now, false)).collect(),
    }))
}

/// One of the member's cases, with its answers, files and thread (staff's internal notes left out).
///
/// Another member's case is 404. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_get_case", tag = "services", security(("member_jwt" = [])),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/cases/{id}")]
pub async fn my_case(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<String>,
) -> Result<web::Json<CaseView>, ApiError> {
    let case = state.services.my_case(me.0.member.id, case_id(&path)?).await?;
    Ok(web::Json(CaseView::of(case, Audience::Member, state.services.clock.now(), true)))
}

/// Writes to the caseworker in the case's thread.
///
/// Until the case is closed or withdrawn (409 `case.wrong_state`). A message does not answer a return: that is
/// `POST /v1/me/cases/{id}/resubmission`.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_message_case", tag = "services", security(("member_jwt" = [])), request_body = CaseMessage,
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`body` is not 1–2000 visible characters", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/cases/{id}/messages")]
pub async fn message(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<String>,
    body: web::Json<CaseMessage>,
) -> Result<web::Json<CaseView>, ApiError> {
    let id = case_id(&path)?;
    let intent = MemberIntent::Message(body.into_inner().body);
    let case = state.services.member_act(me.0.member.id, id, intent, Vec::new()).await?;
    Ok(web::Json(CaseView::of(case, Audience::Member, state.services.clock.now(), true)))
}

/// Answers a return: what was missing, in words (`body`) and files (parts named by slot).
///
/// `multipart/form-data`, files checked as when submitting. The case goes back where it was when returned, and its
/// time limit runs again with the working days it had left.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_resubmit_case", tag = "services", security(("member_jwt" = [])),
    request_body(content = CaseUpload, content_type = "multipart/form-data"),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 400, description = "`request.multipart_invalid`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state`: the case is not returned", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 413, description = "`case.attachment_too_large`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 415, description = "`request.multipart_required`, `case.attachment_type`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad `body` or file", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/cases/{id}/resubmission")]
pub async fn resubmit(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<String>,
    body: Multipart,
) -> Result<web::Json<CaseView>, ApiError> {
    let id = case_id(&path)?;
    let mut parts = read(body, &["body"]).await?;
    let intent = MemberIntent::Resubmit(parts.texts.remove("body").filter(|b| !b.trim().is_empty()));
    let case = state.services.member_act(me.0.member.id, id, intent, parts.files).await?;
    Ok(web::Json(CaseView::of(case, Audience::Member, state.services.clock.now(), true)))
}

/// Withdraws a case the union has not answered yet.
///
/// From `submitted`, `returned` or `accepted` (409 `case.wrong_state` otherwise).
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_withdraw_case", tag = "services", security(("member_jwt" = [])),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/cases/{id}/withdrawal")]
pub async fn withdraw(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<String>,
) -> Result<web::Json<CaseView>, ApiError> {
    let case = state.services.member_act(me.0.member.id, case_id(&path)?, MemberIntent::Withdraw, Vec::new()).await?;
    Ok(web::Json(CaseView::of(case, Audience::Member, state.services.clock.now(), true)))
}

/// The member's follow-up score of a closed case (跟踪回访).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 5, "comment": "办理很快，工作人员很耐心"}))]
pub struct CaseRating {
    /// 1 (very poor) to 5 (very good).
    pub score: i64,
    /// Up to 2000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Scores how the union handled a closed case (跟踪回访).
///
/// Once, within 7 days of its closing (409 `case.rating_closed` after; a member not scoring is reminded once, after 3
/// days). A score of 2 or less reopens the case for a supervisor's review, with the answer limit of its kind.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_rate_case", tag = "services", security(("member_jwt" = [])), request_body = CaseRating,
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11")),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`case.wrong_state` (not closed, or scored already), `case.rating_closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`score` is not 1–5, or a bad `comment`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/me/cases/{id}/rating")]
pub async fn rate(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<String>,
    body: web::Json<CaseRating>,
) -> Result<web::Json<CaseView>, ApiError> {
    let id = case_id(&path)?;
    let CaseRating { score, comment } = body.into_inner();
    let case = state.services.member_act(me.0.member.id, id, MemberIntent::Rate { score, comment }, Vec::new()).await?;
    Ok(web::Json(CaseView::of(case, Audience::Member, state.services.clock.now(), true)))
}

/// Downloads a file of one of the member's cases.
///
/// Served as an attachment with its type as its bytes showed it; another member's file is 404.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_case_attachment", tag = "services", security(("member_jwt" = [])),
    params(("id" = String, Path, description = "The case's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11"),
           ("attachment" = String, Path, description = "The file's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a")),
    responses(
        (status = 200, description = "The file", content(
            (String = "application/pdf", example = json!("%PDF-1.7 …")),
            (String = "image/jpeg", example = json!("(JPEG bytes)")),
            (String = "image/png", example = json!("(PNG bytes)")))),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`case.attachment_not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/me/cases/{id}/attachments/{attachment}")]
pub async fn attachment(
    state: web::Data<ServicesState>,
    me: MemberCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    serve_file(&state, FileReader::Member(me.0.member.id), path.into_inner()).await
}
