//! `/v1/admin/jobs`: the jobs outbox as staff see it — what is waiting, what was given up — and a
//! way to give a dead job another chance.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::paging_error;
use super::AdminState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::jobs::{JobError, JobRecord, JobState};
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// `pending`, `done` or `dead`; all jobs when absent.
    #[param(example = "dead")]
    pub state: Option<String>,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A job's bookkeeping. Its payload is never shown: mails carry addresses and voucher codes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 812, "kind": "mail", "state": "dead", "attempts": 10,
    "last_error": "permanent mail failure: 550 mailbox unavailable", "next_attempt_at": "2026-10-01T02:00:00Z",
    "created_at": "2026-10-01T01:58:00Z", "finished_at": "2026-10-01T05:12:00Z"}))]
pub struct JobView {
    pub id: i64,
    /// `mail`.
    pub kind: String,
    /// `pending`, `done` or `dead`.
    pub state: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<JobRecord> for JobView {
    fn from(j: JobRecord) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state.as_str(),
            attempts: j.attempts,
            last_error: j.last_error,
            next_attempt_at: j.next_attempt_at,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 812, "kind": "mail", "state": "dead", "attempts": 10,
    "last_error": "permanent mail failure: 550 mailbox unavailable", "next_attempt_at": "2026-10-01T02:00:00Z",
    "created_at": "2026-10-01T01:58:00Z", "finished_at": "2026-10-01T05:12:00Z"}], "next_cursor": "azo4MTI"}))]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Background jobs, newest first.
///
/// The jobs outbox (mails), optionally only those in one state: `?state=dead` lists what was given up. Payloads are
/// never shown. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_jobs",
    security(("admin_jwt" = [])),
    params(JobQuery),
    responses(
        (status = 200, body = JobPage),
        (status = 400, description = "Bad state, limit or cursor", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    )
)]
#[get("/v1/admin/jobs")]
pub async fn list_jobs(
    state: web::Data<AdminState>,
    _staff: Staff,
    query: web::Query<JobQuery>,
) -> Result<web::Json<JobPage>, ApiError> {
    let wanted = match query.state.as_deref() {
        None => None,
        Some(raw) => Some(JobState::parse(raw).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.invalid_state",
                "state 须为 pending、done 或 dead",
                "state must be pending, done or dead",
            )
        })?),
    };
    let request = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let page = state.jobs.page(wanted, request).await?;
    Ok(web::Json(JobPage {
        next_cursor: page.next.map(|c| c.encode()),
        items: page.items.into_iter().map(JobView::from).collect(),
    }))
}

/// Re-queues a dead job.
///
/// Gives a dead job a fresh attempt budget, due at once; a job in another state is refused (`job.not_dead`).
/// Audit-logged as `job.retry`.
///
/// Who: staff with role admin or operator (an auditor or pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_retry_job",
    security(("admin_jwt" = [])),
    params(("id" = i64, Path, description = "Job id", minimum = 1)),
    responses(
        (status = 200, body = JobView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`job.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`job.not_dead`: only a dead job is re-queued", body = crate::openapi::Problem, content_type = PROBLEM),
    )
)]
#[post("/v1/admin/jobs/{id}/retry")]
pub async fn retry_job(
    state: web::Data<AdminState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<web::Json<JobView>, ApiError> {
    let job = state.jobs.retry(&staff.actor, id.into_inner()).await?;
    Ok(web::Json(job.into()))
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Forbidden => crate::extract::forbidden(),
            JobError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "job.not_found", "任务不存在", "No such job"),
            JobError::NotDead(state) => ApiError::new(
                StatusCode::CONFLICT,
                "job.not_dead",
                "只有已放弃的任务可以重新排队",
                "Only a dead job can be re-queued",
            )
            .with("state", state.as_str()),
            JobError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
