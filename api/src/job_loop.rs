//! The jobs runner beside the HTTP server: a pass whenever jobs are due, otherwise a poll; the
//! per-kind metrics; and the purge of expired `Idempotency-Key` answers.

use std::time::{Duration, Instant};
use tokio::sync::watch;

use actix_web::web;

use crate::state::{AppState, JobRunnerService};
use domain::jobs::{JobState, JobStore};
use infra::db::jobs::DbJobs;

/// How often the `jobs{kind,state}` gauges are recounted from the table.
const RECOUNT_EVERY: Duration = Duration::from_secs(15);
/// How often expired idempotency keys and old done jobs are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);
/// How long a done job is kept, for staff looking into what was sent.
const KEEP_DONE_DAYS: i64 = 7;

pub async fn run(
    runner: JobRunnerService,
    state: web::Data<AppState>,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut counted: Option<Instant> = None;
    let mut purged: Option<Instant> = None;
    while !*stop.borrow() {
        if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purge(&state).await;
            purged = Some(Instant::now());
        }
        let handled = match runner.run_once().await {
            Ok(report) => {
                for (kind, outcome) in &report.outcomes {
                    metrics::counter!("jobs_finished_total", "kind" => kind.as_str(), "outcome" => outcome.as_str())
                        .increment(1);
                }
                if report.handled() > 0 {
                    tracing::info!(handled = report.handled(), "jobs pass");
                }
                report.handled()
            }
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), "jobs pass failed");
                0
            }
        };
        // On a timer only: a count is a scan of the table, and a flash sale queues a mail per claim.
        if counted.is_none_or(|at| at.elapsed() >= RECOUNT_EVERY) {
            recount(&state.jobs.store).await;
            counted = Some(Instant::now());
        }
        if handled > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => {}
        }
    }
}

async fn purge(state: &AppState) {
    match state.idempotency.purge().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "expired idempotency keys deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "idempotency keys could not be purged"),
    }
    let before = state.clock.now() - chrono::Duration::days(KEEP_DONE_DAYS);
    match state.jobs.store.purge_done(before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "old done jobs deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "done jobs could not be purged"),
    }
}

async fn recount(store: &DbJobs) {
    match store.counts().await {
        Ok(counts) => {
            // Kinds and states with no rows read zero rather than keeping an old value.
            for kind in domain::jobs::JobKind::ALL {
                for state in JobState::ALL {
                    let n = counts.iter().find(|(k, s, _)| k == kind.as_str() && *s == state).map_or(0, |c| c.2);
                    metrics::gauge!("jobs", "kind" => kind.as_str(), "state" => state.as_str()).set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "jobs could not be counted"),
    }
}
