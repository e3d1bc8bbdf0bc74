//! Imports run as jobs (`Prefer: respond-async`): started here once the upload is in, polled at
//! `/v1/admin/imports/{id}`, their rejected rows downloaded once done.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Read;
use utoipa::ToSchema;

use super::roster::{rejected_file, run_import, ImportView};
use super::MembersState;
use crate::error::{ApiError, Lang};
use crate::extract::Staff;
use domain::admin::Actor;
use domain::members::roster::ImportProgress;
use domain::members::roster_import::RosterFormat;
use domain::shared::import_job::{ImportJob, ImportJobId, ImportJobs, ImportKind, ImportOutcome};

const PROBLEM: &str = "application/problem+json";

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
    /// `roster`.
    pub kind: &'static str,
    /// `running`; `done` (see `report`); `failed` (see `problem`: the file was refused as a whole, or the database
    /// failed); `interrupted` (its server stopped while it ran: batches written stay written, and importing the same
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

/// Starts the import of a whole upload as a job and answers 202 with it; the job records its
/// progress as it goes, a beat while a batch is read, and its end.
pub(super) async fn detach(
    state: web::Data<MembersState>,
    actor: Actor,
    input: Box<dyn Read + Send>,
    format: RosterFormat,
    dry_run: bool,
) -> Result<HttpResponse, ApiError> {
    let by = actor.admin_id.ok_or_else(crate::extract::forbidden)?;
    let job = state.imports.start(ImportKind::Roster, by, dry_run).await.map_err(|e| ApiError::internal(&e))?;
    let id = job.id;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ImportProgress>();
    let progress: Box<dyn FnMut(ImportProgress) + Send> = Box::new(move |done| {
        let _ = tx.send(done);
    });
    let runner = state.clone();
    // On the runtime, not this request: the job goes on however the client leaves.
    tokio::spawn(async move {
        let run = run_import(runner.clone(), actor, input, format, dry_run, progress);
        tokio::pin!(run);
        let mut beat = tokio::time::interval(ImportJob::BEAT_EVERY);
        let mut last = ImportProgress::default();
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                Some(done) = rx.recv() => {
                    last = done;
                    record(runner.imports.progress(id, last).await, id);
                }
                _ = beat.tick() => record(runner.imports.progress(id, last).await, id),
            }
        };
        while let Ok(done) = rx.try_recv() {
            last = done;
        }
        record(runner.imports.progress(id, last).await, id);
        let outcome = match result {
            Ok(report) => {
                let rejected_rows = rejected_file(&report);
                let report = serde_json::to_value(ImportView::of(report, dry_run)).unwrap_or_default();
                ImportOutcome::Done { report, rejected_rows }
            }
            Err(problem) => ImportOutcome::Failed {
                problem: serde_json::to_value(problem.body(Lang::Zh, None)).unwrap_or_default(),
            },
        };
        record(runner.imports.finish(id, &outcome).await, id);
    });
    let view = ImportJobView::of(job, state.clock.now());
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

async fn seen(state: &MembersState, staff: &Staff, id: uuid::Uuid) -> Result<ImportJob, ApiError> {
    if !staff.actor.role.may_write() {
        return Err(crate::extract::forbidden());
    }
    state
        .imports
        .seen_by(ImportJobId(id), &staff.actor)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(not_found)
}

/// An import job: its progress while it runs, then its report or its problem.
///
/// Staff see the jobs they started; admins see every job. Others get 404, as for a job that does not exist. A
/// finished job is kept for 7 days.
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
    state: web::Data<MembersState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<ImportJobView>, ApiError> {
    let job = seen(&state, &staff, id.into_inner()).await?;
    Ok(web::Json(ImportJobView::of(job, state.clock.now())))
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
    state: web::Data<MembersState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = seen(&state, &staff, id.into_inner()).await?;
    if job.outcome.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "import.running",
            "导入仍在进行",
            "The import is still running",
        ));
    }
    let file =
        state.imports.jobs.rejected_rows(job.id).await.map_err(|e| ApiError::internal(&e))?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"roster-rejected.csv\""))
        .body(file))
}
