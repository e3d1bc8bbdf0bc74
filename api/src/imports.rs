//! What every file import's endpoint shares — the roster's and the union tree's: the upload taken
//! whole onto disk first, the report, the rejected rows as a file to fix and upload again, progress
//! streamed as it runs, and imports run as jobs (`Prefer: respond-async`) polled at
//! `/v1/admin/imports/{id}`.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use std::future::Future;
use std::io::Read;
use utoipa::ToSchema;

use crate::error::{ApiError, Lang};
use crate::extract::Staff;
use domain::admin::Actor;
use domain::shared::import::{ImportProgress, ImportReport};
use domain::shared::import_job::{ImportJob, ImportJobId, ImportJobs, ImportKind, ImportOutcome, JobLog};
use domain::shared::AppClock;
use infra::db::import_jobs::DbImportJobs;
use infra::spool::{Spool, SpoolError};

const PROBLEM: &str = "application/problem+json";

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_job).service(import_rejected_rows);
}

/// Import jobs, kept in the database so any instance answers for any job.
pub type Imports = JobLog<DbImportJobs, AppClock>;

/// How an import reports its progress.
pub type Progress = Box<dyn FnMut(ImportProgress) + Send>;

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    /// 1-based line in the uploaded file.
    pub line: u64,
    /// The column to blame (as the API names it: `id_number`, `parent_code`, …), if one is.
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
    /// Rows identical to what was already held.
    pub unchanged: u64,
    pub rejected: u64,
    /// Rows that passed every check: written (inserted, updated or unchanged), or in a dry run, that would be.
    pub accepted: u64,
    /// Nothing was written.
    pub dry_run: bool,
    /// The first 1,000 rejected lines with their reasons (100 in a dry run).
    pub rejections: Vec<RejectionView>,
    /// Header names that name no column: their cells were ignored.
    pub ignored_columns: Vec<String>,
}

impl ImportView {
    /// The report, listing its first 1,000 rejections (a dry run's first 100).
    pub fn of(r: ImportReport, dry_run: bool) -> Self {
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
                    column: x.refusal.column.map(|c| c.key),
                    reason: x.refusal.zh,
                    reason_en: x.refusal.en,
                })
                .collect(),
            ignored_columns: r.ignored_columns,
        }
    }
}

/// The rejected rows as a file staff fix and upload again: the file's own columns (its header, or
/// `template`'s when it had none), then why and which line; imports ignore the two added columns.
/// UTF-8 with a BOM, so Excel opens it right.
pub fn rejected_file(report: &ImportReport, template: &[&str]) -> String {
    use domain::shared::spreadsheet::line;
    let header: Vec<String> =
        report.header.clone().unwrap_or_else(|| template.iter().map(|c| (*c).to_owned()).collect());
    let width = header.len();
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

/// The rejected rows file as the answer (`Accept: text/csv`), counts in headers.
pub fn rejected_rows(report: &ImportReport, dry_run: bool, filename: &str, template: &[&str]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"{filename}\"")))
        .insert_header(("x-import-accepted", report.accepted.to_string()))
        .insert_header(("x-import-rejected", report.rejected.to_string()))
        .insert_header(("x-import-dry-run", dry_run.to_string()))
        .body(rejected_file(report, template))
}

/// Refuses (415) an upload that is not `text/csv`; `what` names it for staff ("the tree").
pub fn require_csv(req: &HttpRequest, what: &str) -> Result<(), ApiError> {
    require_csv_type(req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or(""), what)
}

pub fn require_csv_type(content_type: &str, what: &str) -> Result<(), ApiError> {
    if content_type.starts_with("text/csv") {
        return Ok(());
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "request.unsupported_media_type",
        "请上传 CSV 文件（text/csv）",
        format!("Upload {what} as text/csv"),
    ))
}

pub fn accepts(req: &HttpRequest, media: &str) -> bool {
    let accept = req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok());
    accept.is_some_and(|a| a.split(',').any(|t| t.trim().starts_with(media)))
}

/// `Prefer: respond-async` (RFC 7240), among other preferences or alone.
pub fn prefers_async(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.split(';').next().is_some_and(|name| name.trim().eq_ignore_ascii_case("respond-async")))
}

/// Takes the whole upload onto disk before a row is read: a broken upload imports nothing.
pub async fn spool(mut payload: web::Payload, cap: u64) -> Result<Box<dyn Read + Send>, ApiError> {
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

/// The import's progress as it runs, one JSON line per batch (`{"progress": {…}}`), then
/// `{"report": …}` — or `{"problem": …}` if it failed.
pub fn progress_stream<F>(dry_run: bool, run: impl FnOnce(Progress) -> F) -> HttpResponse
where
    F: Future<Output = Result<ImportReport, ApiError>> + 'static,
{
    let (tx, progress) = tokio::sync::mpsc::unbounded_channel::<ImportProgress>();
    // A client gone away stops hearing; the import goes on to its end.
    let run = actix_web::rt::spawn(run(Box::new(move |done| {
        let _ = tx.send(done);
    })));
    let line = |value: serde_json::Value| Ok::<_, actix_web::Error>(web::Bytes::from(format!("{value}\n")));
    let lines = futures_util::stream::unfold(Some((progress, run)), move |state| async move {
        let (mut progress, run) = state?;
        if let Some(done) = progress.recv().await {
            return Some((line(serde_json::json!({"progress": done})), Some((progress, run))));
        }
        // The importer dropped its progress: it is done.
        let last = match run.await {
            Ok(Ok(report)) => serde_json::json!({"report": ImportView::of(report, dry_run)}),
            Ok(Err(problem)) => serde_json::json!({"problem": problem.body(Lang::Zh, None)}),
            Err(_) => serde_json::json!({"problem": {"code": "internal", "message": "导入任务异常结束"}}),
        };
        Some((line(last), None))
    });
    HttpResponse::Ok().content_type("application/x-ndjson").streaming(lines)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    /// Data rows read so far.
    pub rows: u64,
    /// Of them, rows that passed every check.
    pub accepted: u64,
    pub rejected: u64,
    /// Of the accepted rows, those written so far.
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01937c4e-8f6a-7b3c-9d2e-4a5b6c7d8e9f", "kind": "roster", "state": "running", "dry_run": false,
    "progress": {"rows": 240000, "accepted": 239990, "rejected": 10, "inserted": 200000, "updated": 20000, "unchanged": 0},
    "started_at": "2026-12-07T02:00:00Z", "alive_at": "2026-12-07T02:00:04Z", "finished_at": null,
    "report": null, "problem": null, "rejected_rows": null}))]
pub struct ImportJobView {
    pub id: uuid::Uuid,
    /// `roster`, `unions` or `moves` (members moved in bulk).
    pub kind: &'static str,
    /// `running`; `done` (see `report`); `failed` (see `problem`: the file was refused as a whole, or the database
    /// failed); `interrupted` (its server stopped while it ran: what was written stays written, and importing the same
    /// file again finishes the work — rows already in count as unchanged).
    pub state: &'static str,
    pub dry_run: bool,
    pub progress: ProgressView,
    pub started_at: DateTime<Utc>,
    /// Its last sign of life.
    pub alive_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Once done: the import's report, as the import answers it without a job.
    #[schema(value_type = Option<ImportView>)]
    pub report: Option<serde_json::Value>,
    /// Once failed: why, as a problem.
    #[schema(value_type = Option<crate::openapi::Problem>)]
    pub problem: Option<serde_json::Value>,
    /// Once done with rejected rows: where the file of them is.
    #[schema(example = "/v1/admin/imports/01937c4e-8f6a-7b3c-9d2e-4a5b6c7d8e9f/rejected.csv")]
    pub rejected_rows: Option<String>,
}

impl ImportJobView {
    fn of(job: ImportJob, now: DateTime<Utc>) -> Self {
        let p = job.progress;
        let (report, problem) = match job.outcome.clone() {
            Some(ImportOutcome::Done { report, .. }) => (Some(report), None),
            Some(ImportOutcome::Failed { problem }) => (None, Some(problem)),
            None => (None, None),
        };
        let rejected_rows =
            (report.is_some() && p.rejected > 0).then(|| format!("/v1/admin/imports/{}/rejected.csv", job.id));
        Self {
            id: job.id.0,
            kind: job.kind.as_str(),
            state: job.state(now).as_str(),
            dry_run: job.dry_run,
            progress: ProgressView {
                rows: p.rows,
                accepted: p.accepted,
                rejected: p.rejected,
                inserted: p.inserted,
                updated: p.updated,
                unchanged: p.unchanged,
            },
            started_at: job.started_at,
            alive_at: job.alive_at,
            finished_at: job.finished_at,
            report,
            problem,
            rejected_rows,
        }
    }
}

/// Starts `run` as a job and answers 202 with it; the job records its progress as it goes, a beat
/// while a batch is read, and its end with the report and the rejected rows (`template` heads a
/// file without a header).
pub async fn detach<F>(
    imports: web::Data<Imports>,
    actor: &Actor,
    kind: ImportKind,
    dry_run: bool,
    template: Vec<&'static str>,
    run: impl FnOnce(Progress) -> F,
) -> Result<HttpResponse, ApiError>
where
    F: Future<Output = Result<ImportReport, ApiError>> + Send + 'static,
{
    let by = actor.admin_id.ok_or_else(crate::extract::forbidden)?;
    let job = imports.start(kind, by, dry_run).await.map_err(|e| ApiError::internal(&e))?;
    let id = job.id;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ImportProgress>();
    let run = run(Box::new(move |done| {
        let _ = tx.send(done);
    }));
    let log = imports.clone();
    // On the runtime, not this request: the job goes on however the client leaves.
    tokio::spawn(async move {
        tokio::pin!(run);
        let mut beat = tokio::time::interval(ImportJob::BEAT_EVERY);
        let mut last = ImportProgress::default();
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                Some(done) = rx.recv() => {
                    last = done;
                    record(log.progress(id, last).await, id);
                }
                _ = beat.tick() => record(log.progress(id, last).await, id),
            }
        };
        while let Ok(done) = rx.try_recv() {
            last = done;
        }
        record(log.progress(id, last).await, id);
        let outcome = match result {
            Ok(report) => {
                let rejected_rows = rejected_file(&report, &template);
                let report = serde_json::to_value(ImportView::of(report, dry_run)).unwrap_or_default();
                ImportOutcome::Done { report, rejected_rows }
            }
            Err(problem) => ImportOutcome::Failed {
                problem: serde_json::to_value(problem.body(Lang::Zh, None)).unwrap_or_default(),
            },
        };
        record(log.finish(id, &outcome).await, id);
    });
    let view = ImportJobView::of(job, imports.clock.now());
    Ok(HttpResponse::Accepted().insert_header(("location", format!("/v1/admin/imports/{id}"))).json(view))
}

/// A job's record that could not be written is logged: the job shows as interrupted once silent.
fn record(written: anyhow::Result<()>, id: ImportJobId) {
    if let Err(e) = written {
        tracing::warn!(job = %id, error = format!("{e:#}"), "an import job's record could not be written");
    }
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "import.not_found", "导入任务不存在", "No such import job")
}

async fn seen(imports: &Imports, staff: &Staff, id: uuid::Uuid) -> Result<ImportJob, ApiError> {
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    imports.seen_by(ImportJobId(id), &staff.actor).await.map_err(|e| ApiError::internal(&e))?.ok_or_else(not_found)
}

/// An import job: its progress while it runs, then its report or its problem.
///
/// Roster and union tree imports started with `Prefer: respond-async`. Staff see the jobs they started; admins see
/// every job. Others get 404, as for a job that does not exist. A finished job is kept for 7 days.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
#[utoipa::path(operation_id = "admin_import_job", tag = "admin", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path, description = "The job, from the import's `Location`")),
    responses(
        (status = 200, body = ImportJobView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`import.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/imports/{id}")]
pub async fn import_job(
    imports: web::Data<Imports>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<ImportJobView>, ApiError> {
    Ok(web::Json(job_view(&imports, &staff, id.into_inner()).await?))
}

/// A job as the API and the console show it, to the staff who may see it.
pub async fn job_view(imports: &Imports, staff: &Staff, id: uuid::Uuid) -> Result<ImportJobView, ApiError> {
    let job = seen(imports, staff, id).await?;
    Ok(ImportJobView::of(job, imports.clock.now()))
}

/// A finished import's rejected rows, as a file to fix and upload again.
///
/// The file's own columns (its header, or the template's), then 错误原因 and 原行号: UTF-8 with a BOM. 409
/// `import.running` while the job runs; 404 for a job not seen (as above) or one that failed.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
#[utoipa::path(operation_id = "admin_import_rejected_rows", tag = "admin", security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path, description = "The job")),
    responses(
        (status = 200, description = "The rejected rows", body = String, content_type = "text/csv",
            example = json!("\u{feff}姓名,身份证号,工会编码,工会名称,会员编号,状态,错误原因,原行号\r\n李四,110105194912310021,SZ-001,苏州工业园区总工会,M0002,在会,身份证号校验位不正确,3\r\n")),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`import.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`import.running`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/imports/{id}/rejected.csv")]
pub async fn import_rejected_rows(
    imports: web::Data<Imports>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    rejected_download(&imports, &staff, id.into_inner()).await
}

/// A finished job's rejected rows as a download.
pub async fn rejected_download(imports: &Imports, staff: &Staff, id: uuid::Uuid) -> Result<HttpResponse, ApiError> {
    let job = seen(imports, staff, id).await?;
    if job.outcome.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "import.running",
            "导入仍在进行",
            "The import is still running",
        ));
    }
    let file = imports.jobs.rejected_rows(job.id).await.map_err(|e| ApiError::internal(&e))?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"{}-rejected.csv\"", job.kind.as_str())))
        .body(file))
}
