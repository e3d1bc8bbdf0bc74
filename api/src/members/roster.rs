use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::io::Read;
use utoipa::{IntoParams, ToSchema};

use super::MembersState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::members::roster::{Column, ImportProgress, ImportReport};
use domain::members::roster_import::{ImportError, RosterFormat};
use infra::spool::{Spool, SpoolError};

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    /// 1-based line in the uploaded file.
    pub line: u64,
    /// The column to blame (`name`, `id_number`, `union_org_code`, `union_org_name`, `member_no`, `status`), if one is.
    pub column: Option<&'static str>,
    /// Why, in Chinese.
    pub reason: String,
    /// Why, in English.
    pub reason_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"inserted": 1180000, "updated": 19990, "unchanged": 0, "rejected": 10, "accepted": 1199990, "dry_run": false,
    "rejections": [{"line": 17, "column": "id_number", "reason": "身份证号校验位不正确",
        "reason_en": "id_number: the check character does not match"}],
    "ignored_columns": ["备注"]}))]
pub struct ImportView {
    pub inserted: u64,
    pub updated: u64,
    /// Rows identical to what the roster already held.
    pub unchanged: u64,
    pub rejected: u64,
    /// Rows that passed every check: written (inserted, updated or unchanged), or in a dry run, that would be.
    pub accepted: u64,
    /// Nothing was written.
    pub dry_run: bool,
    /// The first 1,000 rejected lines with their reasons (100 in a dry run).
    pub rejections: Vec<RejectionView>,
    /// Header names that name no roster column: their cells were ignored.
    pub ignored_columns: Vec<String>,
}

impl ImportView {
    /// The report, listing its first 1,000 rejections (a dry run's first 100).
    pub(super) fn of(r: ImportReport, dry_run: bool) -> Self {
        Self {
            inserted: r.inserted,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r.rejected,
            accepted: r.accepted,
            dry_run,
            rejections: r
                .rejections
                .into_iter()
                .take(if dry_run { 100 } else { 1_000 })
                .map(|x| RejectionView {
                    line: x.line,
                    column: x.refusal.column.map(|c| c.key()),
                    reason: x.refusal.zh,
                    reason_en: x.refusal.en,
                })
                .collect(),
            ignored_columns: r.ignored_columns,
        }
    }
}

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
        (status = 202, description = "Running as a job (`Prefer: respond-async`): poll `Location`", body = super::import_jobs::ImportJobView,
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
    staff: Staff,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let wants_csv = accepts(&req, "text/csv");
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = if content_type.starts_with("text/csv") {
        if query.sheet.is_some() {
            return Err(ApiError::validation(
                "sheet",
                "只有 .xlsx 工作簿才有工作表",
                "sheet is for .xlsx uploads".into(),
            ));
        }
        RosterFormat::Csv
    } else if content_type.starts_with(XLSX) {
        RosterFormat::Xlsx { sheet: query.sheet.clone() }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "请上传 CSV 文件（text/csv）或 Excel 工作簿（.xlsx）",
            "Upload the roster as text/csv or as an .xlsx workbook",
        ));
    };
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    let input = spool(payload, &format).await?;
    let dry_run = query.dry_run;
    if prefers_async(&req) {
        return super::import_jobs::detach(state, staff.actor, input, format, dry_run).await;
    }
    let wants_progress = accepts(&req, "application/x-ndjson");
    let (progress_tx, progress_rx) = tokio::sync::mpsc::unbounded_channel::<ImportProgress>();
    let progress: Box<dyn FnMut(ImportProgress) + Send> = if wants_progress {
        // A client gone away stops hearing; the import goes on to its end.
        Box::new(move |done| {
            let _ = progress_tx.send(done);
        })
    } else {
        Box::new(|_| {})
    };
    let run = run_import(state.clone(), staff.actor.clone(), input, format, dry_run, progress);
    if wants_progress {
        return Ok(progress_stream(actix_web::rt::spawn(run), progress_rx, dry_run));
    }
    let report = run.await?;
    if wants_csv {
        return Ok(rejected_rows(&report, dry_run));
    }
    Ok(HttpResponse::Ok().json(ImportView::of(report, dry_run)))
}

fn accepts(req: &HttpRequest, media: &str) -> bool {
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    accept.is_some_and(|a| a.split(',').any(|t| t.trim().starts_with(media)))
}

/// `Prefer: respond-async` (RFC 7240), among other preferences or alone.
fn prefers_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.split(';').next().is_some_and(|name| name.trim().eq_ignore_ascii_case("respond-async")))
}

/// The largest CSV upload taken: far above a city's roster (1.2 M rows are under 100 MB).
const CSV_MAX_BYTES: u64 = 1 << 30;
const XLSX_MAX_BYTES: u64 = 256 << 20;

/// Takes the whole upload onto disk before a row is read.
async fn spool(mut payload: web::Payload, format: &RosterFormat) -> Result<Box<dyn Read + Send>, ApiError> {
    let cap = if matches!(format, RosterFormat::Csv) { CSV_MAX_BYTES } else { XLSX_MAX_BYTES };
    let mut spool = Spool::new(cap).map_err(|e| ApiError::internal(&anyhow::Error::from(e)))?;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.unreadable_body",
                "无法读取请求体",
                "Request body could not be read",
            )
            .detail(e.to_string())
        })?;
        spool.write(&chunk).map_err(|e| match e {
            SpoolError::TooLarge(cap) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                "文件过大，请拆分后分别导入",
                "The file is too large: split it and import the parts",
            )
            .detail(format!("at most {cap} bytes")),
            SpoolError::Io(e) => ApiError::internal(&anyhow::Error::from(e)),
        })?;
    }
    Ok(Box::new(spool.into_reader().map_err(|e| ApiError::internal(&anyhow::Error::from(e)))?))
}

/// Runs the import of a whole upload and answers the report.
pub(super) async fn run_import(
    state: web::Data<MembersState>,
    actor: domain::admin::Actor,
    input: Box<dyn Read + Send>,
    format: RosterFormat,
    dry_run: bool,
    progress: Box<dyn FnMut(ImportProgress) + Send>,
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

/// The import's progress as it runs, one JSON line per batch (`{"progress": {"rows", "accepted",
/// "rejected"}}`), then `{"report": …}` — or `{"problem": …}` if it failed.
fn progress_stream(
    run: actix_web::rt::task::JoinHandle<Result<ImportReport, ApiError>>,
    progress: tokio::sync::mpsc::UnboundedReceiver<ImportProgress>,
    dry_run: bool,
) -> HttpResponse {
    let line = |value: serde_json::Value| Ok::<_, actix_web::Error>(web::Bytes::from(format!("{value}\n")));
    let lines = futures_util::stream::unfold(Some((progress, run)), move |state| async move {
        let (mut progress, run) = state?;
        if let Some(done) = progress.recv().await {
            return Some((line(serde_json::json!({"progress": done})), Some((progress, run))));
        }
        // The importer dropped its progress: it is done.
        let last = match run.await {
            Ok(Ok(report)) => serde_json::json!({"report": ImportView::of(report, dry_run)}),
            Ok(Err(problem)) => serde_json::json!({"problem": problem.body(crate::error::Lang::Zh, None)}),
            Err(_) => serde_json::json!({"problem": {"code": "internal", "message": "导入任务异常结束"}}),
        };
        Some((line(last), None))
    });
    HttpResponse::Ok().content_type("application/x-ndjson").streaming(lines)
}

/// The rejected rows as a file to fix and upload again: the file's own columns (its header, or the
/// template's), then why and which line; the import ignores the two added columns.
fn rejected_rows(report: &ImportReport, dry_run: bool) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"roster-rejected.csv\""))
        .insert_header(("x-import-accepted", report.accepted.to_string()))
        .insert_header(("x-import-rejected", report.rejected.to_string()))
        .insert_header(("x-import-dry-run", dry_run.to_string()))
        .body(rejected_file(report))
}

/// The rejected rows file's text: UTF-8 with a BOM, so Excel opens it right.
pub(super) fn rejected_file(report: &ImportReport) -> String {
    use domain::shared::spreadsheet::cell;
    let header: Vec<String> =
        report.header.clone().unwrap_or_else(|| Column::ALL.iter().map(|c| c.zh().to_owned()).collect());
    let width = header.len();
    let line = |cells: &[String]| cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    let mut body = String::from("\u{feff}");
    body.push_str(&line(&[header, vec!["错误原因".to_owned(), "原行号".to_owned()]].concat()));
    body.push_str("\r\n");
    for r in &report.rejections {
        let mut cells = r.cells.clone();
        cells.resize(width.max(cells.len()), String::new());
        cells.push(r.refusal.zh.clone());
        cells.push(r.line.to_string());
        body.push_str(&line(&cells));
        body.push_str("\r\n");
    }
    body
}
