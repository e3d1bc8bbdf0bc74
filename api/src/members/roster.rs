use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::io::Read;
use utoipa::IntoParams;

use super::MembersState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::imports::{self, ImportView};
use domain::members::roster::{Column, ColumnSet, ImportReport};
use domain::members::roster_import::{ImportError, RosterFormat};
use domain::shared::import_job::ImportKind;

/// The media type of an `.xlsx` workbook.
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// For an `.xlsx` upload: the sheet to read (the first one otherwise).
    #[param(example = "会员名册")]
    pub sheet: Option<String>,
    /// Read and check every row, write nothing: the counts and the first 100 rejections.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports the union's member roster from CSV or an Excel workbook.
///
/// An `.xlsx` workbook (`Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`; the first
/// sheet or `?sheet=`, cells read as text), or CSV in UTF-8 (with or without BOM), GB18030/GBK (Excel's CSV on a Chinese Windows) or UTF-16 with BOM, read as the upload
/// streams in. Columns are found by their header in any order, by Chinese or English names (姓名/name,
/// 身份证号/公民身份号码/证件号码/id_number, 工会编码/union_org_code, 工会名称/所属工会/union_org_name,
/// 会员编号/member_no, 状态/status); other columns are reported and ignored; without a header row the columns are
/// taken in that order. Status: 在会/正常/在籍/有效/active, or 离会/转出/退会/注销/left. Full-width digits and
/// letters are read as ASCII. Re-importing updates rows in place; a member whose row turns `left` loses activation at
/// once. Bad rows are skipped and reported by line and column, in Chinese with English beside; a file that is not
/// text or whose header lacks a column is one 422 `roster.file_refused`. With `?dry_run=true` every row is read and
/// checked and nothing is written: the counts and the first 100 rejections. The template to fill in is at
/// `/v1/admin/roster/template.xlsx` and `…/template.csv`. With `Accept: text/csv` the answer is the rejected rows as a
/// file (their cells, then 错误原因 and 原行号) that staff fix and upload again; the import ignores the two added
/// columns. With `Accept: application/x-ndjson` the answer streams the import's progress as it runs — a line
/// `{"progress": {"rows", "accepted", "rejected"}}` after every 20,000 rows — then `{"report": …}` (or `{"problem": …}`).
/// With `Prefer: respond-async` the import runs on its own once the file is in: the answer is 202 with the job
/// (`Location: /v1/admin/imports/{id}`), which staff poll for its progress (rows read, accepted, inserted, updated,
/// rejected) and then its report and rejected rows; it goes on whether or not the client stays. The file is taken whole
/// before a row is written, so a broken upload imports nothing (CSV up to 1 GB, `.xlsx` up to 256 MB: 413 past it).
/// Audit-logged as `roster.import` (a dry run is not).
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
#[utoipa::path(operation_id = "admin_import_roster", tag = "admin", security(("admin_jwt" = [])),
    params(ImportQuery, ("Prefer" = Option<String>, Header, description = "`respond-async`: run as a job and answer 202 at once", example = "respond-async")),
    request_body(content = String, content_type = "text/csv",
        example = "name,id_number,union_org_code,union_org_name,member_no,status\n张三,11010519491231002X,SZ-001,苏州工业园区总工会,M0001,active\n"),
    responses(
        (status = 200, description = "The report; or, with `Accept: text/csv`, the rejected rows as a file to fix and upload again \
            (the file's columns, then 错误原因 and 原行号; counts in `X-Import-Accepted` / `X-Import-Rejected`)",
            content((ImportView = "application/json"),
                (String = "text/csv", example = json!("\u{feff}姓名,身份证号,工会编码,工会名称,会员编号,状态,错误原因,原行号\r\n李四,110105194912310021,SZ-001,苏州工业园区总工会,M0002,在会,身份证号校验位不正确,3\r\n")),
                (String = "application/x-ndjson", example = json!("{\"progress\":{\"rows\":20000,\"accepted\":19998,\"rejected\":2}}\n{\"report\":{\"inserted\":19998,\"updated\":0,\"unchanged\":0,\"rejected\":2,\"accepted\":19998,\"dry_run\":false,\"rejections\":[],\"ignored_columns\":[]}}\n")))),
        (status = 202, description = "Running as a job (`Prefer: respond-async`): poll `Location`", body = crate::imports::ImportJobView,
            headers(("Location" = String, description = "The job: `/v1/admin/imports/{id}`"))),
        (status = 403, body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`roster.file_refused`: not text in an encoding taken, or a header lacking a column (`reason`, `reason_en`)",
            body = crate::openapi::Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/admin/roster/imports")]
pub async fn import_roster(
    state: web::Data<MembersState>,
    jobs: web::Data<imports::Imports>,
    staff: Staff,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let wants_csv = imports::accepts(&req, "text/csv");
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if imports::prefers_async(&req) {
        return start_job(state, jobs, &staff, content_type, query.sheet.clone(), query.dry_run, payload).await;
    }
    let format = format_of(content_type, query.sheet.clone())?;
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    let cap = if matches!(format, RosterFormat::Csv) { CSV_MAX_BYTES } else { XLSX_MAX_BYTES };
    let input = imports::spool(payload, cap).await?;
    let dry_run = query.dry_run;
    let actor = staff.actor.clone();
    let run = move |progress: imports::Progress| run_import(state, actor, input, format, dry_run, progress);
    if imports::accepts(&req, "application/x-ndjson") {
        return Ok(imports::progress_stream(dry_run, run));
    }
    let report = run(Box::new(|_| {})).await?;
    if wants_csv {
        return Ok(imports::rejected_rows(&report, dry_run, "roster-rejected.csv", &Column::template_header()));
    }
    Ok(HttpResponse::Ok().json(ImportView::of(report, dry_run)))
}

/// Starts an import of the body as a job and answers 202 with it: the API's asynchronous import,
/// and the console's upload.
pub async fn start_job(
    state: web::Data<MembersState>,
    jobs: web::Data<imports::Imports>,
    staff: &Staff,
    content_type: &str,
    sheet: Option<String>,
    dry_run: bool,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let format = format_of(content_type, sheet)?;
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    let cap = if matches!(format, RosterFormat::Csv) { CSV_MAX_BYTES } else { XLSX_MAX_BYTES };
    let input = imports::spool(payload, cap).await?;
    let actor = staff.actor.clone();
    let run = move |progress: imports::Progress| run_import(state, actor, input, format, dry_run, progress);
    imports::detach(jobs, &staff.actor, ImportKind::Roster, dry_run, Column::template_header(), run).await
}

fn format_of(content_type: &str, sheet: Option<String>) -> Result<RosterFormat, ApiError> {
    Ok(if content_type.starts_with("text/csv") {
        if sheet.is_some() {
            return Err(ApiError::validation(
                "sheet",
                "只有 .xlsx 工作簿才有工作表",
                "sheet is for .xlsx uploads".into(),
            ));
        }
        RosterFormat::Csv
    } else if content_type.starts_with(XLSX) {
        RosterFormat::Xlsx { sheet }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "请上传 CSV 文件（text/csv）或 Excel 工作簿（.xlsx）",
            "Upload the roster as text/csv or as an .xlsx workbook",
        ));
    })
}

/// The largest CSV upload taken: far above a city's roster (1.2 M rows are under 100 MB).
const CSV_MAX_BYTES: u64 = 1 << 30;
const XLSX_MAX_BYTES: u64 = 256 << 20;

/// Runs the import of a whole upload and answers the report.
async fn run_import(
    state: web::Data<MembersState>,
    actor: domain::admin::Actor,
    input: Box<dyn Read + Send>,
    format: RosterFormat,
    dry_run: bool,
    progress: imports::Progress,
) -> Result<ImportReport, ApiError> {
    let report = if dry_run {
        state.roster.dry_run(&actor, input, format, progress).await
    } else {
        state.roster.import(&actor, "roster upload", input, format, progress).await
    };
    report.map_err(|e| match e {
        ImportError::Forbidden => crate::extract::forbidden(),
        ImportError::File(refusal) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "roster.file_refused",
            "无法按名册导入此文件",
            "This file cannot be imported as a roster",
        )
        .detail(format!("{} / {}", refusal.zh, refusal.en))
        .with("reason", refusal.zh)
        .with("reason_en", refusal.en),
        ImportError::Unknown(e) => ApiError::internal(&e),
    })
}
