//! `/v1/admin/unions/{code}/moves`: members moved in bulk to a union, from a file of their numbers.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};

use super::MembershipState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::imports::{self, ImportView, Imports};
use domain::members::roster_import::ReadError;
use domain::membership::moves::{read_rows, MoveColumn, MoveRow};
use domain::shared::import::{ColumnSet, ImportReport, Refusal};
use domain::shared::import_job::ImportKind;
use domain::unions::service::TreeFile;

const PROBLEM: &str = "application/problem+json";
/// A city's worth of member numbers, with room.
const MAX_BYTES: u64 = 64 << 20;

fn refused(refusal: Refusal) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "moves.file_refused",
        "无法按会员编号清单读取此文件",
        "This file cannot be read as a list of member numbers",
    )
    .detail(format!("{} / {}", refusal.zh, refusal.en))
    .with("reason", refusal.zh)
    .with("reason_en", refusal.en)
}

/// Moves members in bulk to a union.
///
/// A CSV of member numbers (a `会员编号` / `member_no` column, or the first column of a file without a header; UTF-8,
/// GB18030/GBK or UTF-16 with BOM), all moved to the grassroots or joint union in the path: each active member's roster
/// row changes union, and their history ends the old spell and begins one here, as `moved`. A thousand rows per
/// transaction, in file order; a number no active member in the caller's part of the tree has, one the roster holds
/// twice, or one the file names twice is refused by its line; members already there count as unchanged. The target
/// must be open, a grassroots or joint union, in the caller's scope (404 `union.not_found`, 409 `union.closed`, 422
/// `application.not_grassroots`). `Accept: text/csv` answers the refused rows as a file; `Prefer: respond-async` runs
/// it as a job (202, its progress polled at `/v1/admin/imports/{id}` batch by batch). Audit-logged per batch as
/// `roster.move`.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_move_members", tag = "membership", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union the members move to", example = "SZ-SIP-XT-G01"),
        ("Prefer" = Option<String>, Header, description = "`respond-async`: run as a job and answer 202 at once", example = "respond-async")),
    request_body(content = String, content_type = "text/csv", example = "会员编号\nM000123\nSZ-SIP-WT-000042\n"),
    responses(
        (status = 200, description = "The report (`updated`: moved); or, with `Accept: text/csv`, the refused rows as a file",
            content((ImportView = "application/json"), (String = "text/csv",
                example = json!("\u{feff}会员编号,错误原因,原行号\r\nM999999,会员编号 M999999 不是您管辖范围内的在会会员,3\r\n")))),
        (status = 202, description = "Running as a job (`Prefer: respond-async`)", body = crate::imports::ImportJobView,
            headers(("Location" = String, description = "The job: `/v1/admin/imports/{id}`"))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`union.closed`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 413, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 415, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`moves.file_refused`, `application.not_grassroots`, or not a union code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/unions/{code}/moves")]
pub async fn move_members(
    state: web::Data<MembershipState>,
    jobs: web::Data<Imports>,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if imports::prefers_async(&req) {
        let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        return start_job(state, jobs, &staff, &path, content_type, payload).await;
    }
    let to = target(&state, &staff, &path).await?;
    imports::require_csv(&req, "the member numbers")?;
    let (rows, report) = read(payload).await?;
    let report = state.membership.move_members(&staff.actor, to, rows, report, &mut |_| {}).await?;
    if imports::accepts(&req, "text/csv") {
        return Ok(imports::rejected_rows(&report, false, "moves-rejected.csv", &MoveColumn::template_header()));
    }
    Ok(HttpResponse::Ok().json(ImportView::of(report, false)))
}

/// Moves members in bulk as a job (what `Prefer: respond-async` asks for, and the console's upload).
pub(crate) async fn start_job(
    state: web::Data<MembershipState>,
    jobs: web::Data<Imports>,
    staff: &Staff,
    code: &str,
    content_type: &str,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let to = target(&state, staff, code).await?;
    imports::require_csv_type(content_type, "the member numbers")?;
    let (rows, report) = read(payload).await?;
    let actor = staff.actor.clone();
    let run = move |mut progress: imports::Progress| async move {
        let report = state.membership.move_members(&actor, to, rows, report, &mut progress).await?;
        Ok::<ImportReport, ApiError>(report)
    };
    imports::detach(jobs, &staff.actor, ImportKind::Moves, false, MoveColumn::template_header(), run).await
}

/// The union the members move to, if the caller may move members there.
async fn target(state: &MembershipState, staff: &Staff, code: &str) -> Result<domain::unions::UnionCode, ApiError> {
    let to = crate::unions::code("code", code)?;
    state.membership.check_move_target(&staff.actor, &to).await?;
    Ok(to)
}

/// The file read: its rows, and the rows refused so far.
async fn read(payload: web::Payload) -> Result<(Vec<MoveRow>, ImportReport), ApiError> {
    let input = imports::spool(payload, MAX_BYTES).await?;
    let records = web::block(move || infra::tree_file::CsvTreeFile.records(input))
        .await
        .map_err(|e| ApiError::internal(&anyhow::Error::new(e)))?
        .map_err(|e| match e {
            ReadError::File(refusal) => refused(refusal),
            ReadError::Failed(e) => ApiError::internal(&e),
        })?;
    read_rows(records).map_err(refused)
}
