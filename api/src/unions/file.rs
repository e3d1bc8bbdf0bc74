//! The tree as a file: imported (with a dry run, the rejected rows as a file, or as a job),
//! exported, and the template to fill in.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::code;
use super::UnionsState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::imports::{self, ImportView, Imports};
use domain::shared::import::{ColumnSet, ImportReport};
use domain::shared::import_job::ImportKind;
use domain::unions::file::{row_of, TreeColumn, EXAMPLE_ROWS};
use domain::unions::service::TreeImportError;

const PROBLEM: &str = "application/problem+json";
/// A city's tree is some 30,000 rows: a few MB.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeImportQuery {
    /// Read and place every row, write nothing: the counts and the first 100 rejections.
    #[serde(default)]
    pub dry_run: bool,
}

fn import_error(e: TreeImportError) -> ApiError {
    match e {
        TreeImportError::Forbidden => crate::extract::forbidden(),
        TreeImportError::File(refusal) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unions.file_refused",
            "无法按组织树导入此文件",
            "This file cannot be imported as the union tree",
        )
        .detail(format!("{} / {}", refusal.zh, refusal.en))
        .with("reason", refusal.zh)
        .with("reason_en", refusal.en),
        TreeImportError::Unknown(e) => ApiError::internal(&e),
    }
}

/// Imports the organisation tree from CSV.
///
/// CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16 with BOM. Columns by their header in any order, Chinese or
/// English: 工会编码/code, 工会名称/name, 类型/kind (区总工会, 街道总工会, 产业工会, 基层工会, 联合工会, or `district`, `town`,
/// `industry`, `grassroots`, `joint`), 上级工会编码/parent_code, and optionally 覆盖单位/employers (names separated by `；`
/// or `、`, for grassroots and joint unions). Rows may come in any order (a union before its parent). A row for a code
/// the tree holds renames it, replaces its employers and, with another parent, moves it with everything under it; a
/// row for an unplaced union places it. Each bad row is refused by its line, in Chinese with English beside: an unknown
/// parent, a duplicate code, a cycle, a union under a grassroots union, a kind that may not sit there, a second root,
/// a kind changed, a closed union. The rows accepted are written in one transaction. `?dry_run=true` writes nothing;
/// `Accept: text/csv` answers the rejected rows as a file; `Prefer: respond-async` runs it as a job (202, polled at
/// `/v1/admin/imports/{id}`). An export (`/v1/admin/unions/export.csv`) imports back unchanged. Audit-logged as
/// `union.import`.
///
/// Who: staff with role admin or operator.
#[utoipa::path(operation_id = "admin_import_unions", tag = "unions", security(("admin_jwt" = [])),
    params(TreeImportQuery, ("Prefer" = Option<String>, Header, description = "`respond-async`: run as a job and answer 202 at once", example = "respond-async")),
    request_body(content = String, content_type = "text/csv",
        example = "工会编码,工会名称,类型,上级工会编码,覆盖单位\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT,\nSZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP,\n"),
    responses(
        (status = 200, description = "The report; or, with `Accept: text/csv`, the rejected rows as a file",
            content((ImportView = "application/json"), (String = "text/csv",
                example = json!("\u{feff}工会编码,工会名称,类型,上级工会编码,错误原因,原行号\r\nSZ-A-G1,甲公司工会,基层工会,SZ-NOPE,上级工会 SZ-NOPE 不存在,3\r\n")))),
        (status = 202, description = "Running as a job (`Prefer: respond-async`)", body = crate::imports::ImportJobView,
            headers(("Location" = String, description = "The job: `/v1/admin/imports/{id}`"))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 413, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 415, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`unions.file_refused`: not text in an encoding taken, or a header lacking a column",
            body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/unions/imports")]
pub async fn import_unions(
    state: web::Data<UnionsState>,
    jobs: web::Data<Imports>,
    staff: Staff,
    req: HttpRequest,
    query: web::Query<TreeImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    imports::require_csv(&req, "the tree")?;
    if imports::prefers_async(&req) {
        return start_job(state, jobs, &staff, "text/csv", query.dry_run, payload).await;
    }
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    let (input, dry_run) = (imports::spool(payload, MAX_BYTES).await?, query.dry_run);
    let report = run_import(state, staff.actor.clone(), input, dry_run, Box::new(|_| {})).await?;
    if imports::accepts(&req, "text/csv") {
        return Ok(imports::rejected_rows(&report, dry_run, "unions-rejected.csv", &TreeColumn::template_header()));
    }
    Ok(HttpResponse::Ok().json(ImportView::of(report, dry_run)))
}

/// Starts a tree import as a job (what `Prefer: respond-async` asks for, and the console's upload).
pub(crate) async fn start_job(
    state: web::Data<UnionsState>,
    jobs: web::Data<Imports>,
    staff: &Staff,
    content_type: &str,
    dry_run: bool,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    imports::require_csv_type(content_type, "the tree")?;
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    let input = imports::spool(payload, MAX_BYTES).await?;
    let actor = staff.actor.clone();
    let run = move |progress: imports::Progress| run_import(state, actor, input, dry_run, progress);
    imports::detach(jobs, &staff.actor, ImportKind::Unions, dry_run, TreeColumn::template_header(), run).await
}

async fn run_import(
    state: web::Data<UnionsState>,
    actor: domain::admin::Actor,
    input: Box<dyn std::io::Read + Send>,
    dry_run: bool,
    mut progress: imports::Progress,
) -> Result<ImportReport, ApiError> {
    let report = state.unions.import(&actor, input, dry_run).await.map_err(import_error)?;
    progress(domain::shared::import::ImportProgress {
        rows: report.accepted + report.rejected,
        accepted: report.accepted,
        rejected: report.rejected,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
    });
    Ok(report)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The union whose subtree is exported (itself included); the whole tree when absent.
    #[param(example = "SZ-SIP")]
    pub under: Option<String>,
}

/// The tree (or a subtree) as CSV.
///
/// UTF-8 with a BOM, the template's Chinese headers, parents before children, closed unions left out: the file imports
/// back unchanged. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_export_unions", tag = "unions", security(("admin_jwt" = [])), params(ExportQuery),
    responses(
        (status = 200, description = "The tree", body = String, content_type = "text/csv",
            example = json!("\u{feff}工会编码,工会名称,类型,上级工会编码,覆盖单位\r\nROOT,市总工会,市总工会,,\r\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT,\r\n")),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "Not a union code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/unions/export.csv")]
pub async fn export_unions(
    state: web::Data<UnionsState>,
    staff: Staff,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    export(&state, &staff, query.under.as_deref()).await
}

/// The export as the API and the console serve it.
pub(crate) async fn export(state: &UnionsState, staff: &Staff, under: Option<&str>) -> Result<HttpResponse, ApiError> {
    use domain::shared::spreadsheet::line;
    let root = match under {
        Some(raw) => code("under", raw)?,
        None => state.unions.home(&staff.actor).await?.code,
    };
    let nodes = state.unions.subtree(&staff.actor, &root).await?;
    let mut body = String::from("\u{feff}");
    body.push_str(&line(&TreeColumn::template_header()));
    body.push_str("\r\n");
    for node in nodes.iter().filter(|n| n.is_open()) {
        body.push_str(&line(&row_of(node)));
        body.push_str("\r\n");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"unions.csv\""))
        .body(body))
}

/// The tree template as CSV.
///
/// UTF-8 with a BOM, the Chinese headers and example rows (a district federation, a street federation under it and a
/// joint union covering two employers). Kinds taken: 区总工会 / 县级市总工会 / `district`, 镇总工会 / 街道总工会 / 开发区总工会 /
/// `town`, 产业工会 / 行业工会 / `industry`, 基层工会 / `grassroots`, 联合工会 / `joint`. Changes nothing.
///
/// Who: staff with role admin, operator or auditor.
#[utoipa::path(operation_id = "admin_unions_template_csv", tag = "unions", security(("admin_jwt" = [])),
    responses((status = 200, description = "The template", body = String, content_type = "text/csv",
        example = json!("\u{feff}工会编码,工会名称,类型,上级工会编码,覆盖单位\r\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT,\r\n"))))]
#[get("/v1/admin/unions/template.csv")]
pub async fn unions_template(_staff: Staff) -> HttpResponse {
    template_file()
}

/// The tree template, as the API and the console serve it.
pub(crate) fn template_file() -> HttpResponse {
    use domain::shared::spreadsheet::line;
    let mut body = format!("\u{feff}{}\r\n", line(&TreeColumn::template_header()));
    for row in EXAMPLE_ROWS {
        body.push_str(&line(&row));
        body.push_str("\r\n");
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"unions-template.csv\""))
        .body(body)
}
