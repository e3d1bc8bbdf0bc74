//! The jobs runner beside the HTTP server: a pass whenever jobs are due, otherwise a poll; the
//! per-kind metrics; and the purge of expired `Idempotency-Key` answers and old done jobs.

use actix_web::web;
use std::time::{Duration, Instant};
use tokio::sync::watch;

use crate::admin::AdminState;
use crate::wire::{Idempotency, Infra};
use domain::jobs::{Job, JobFailure, JobHandler, JobKind, JobRunner, JobState, JobStore, RetryPolicy};
use domain::mail::MailJobs;
use domain::merchants::statement::StatementService;
use domain::merchants::webhook::WebhookJobs;
use domain::shared::AppClock;
use infra::db::jobs::DbJobs;
use infra::db::merchants::DbMerchants;
use infra::mail::AnyMailer;
use infra::signing::WebhookKey;
use infra::webhook_sender::HttpWebhooks;
use std::sync::Arc;

pub type Runner = JobRunner<DbJobs, AllJobs, AppClock>;

/// Every job kind's handler, each given its own kind.
pub struct AllJobs {
    mail: MailJobs<AnyMailer>,
    webhooks: WebhookJobs<DbMerchants, HttpWebhooks, AppClock>,
}

impl JobHandler for AllJobs {
    async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
        match job.kind {
            JobKind::Mail => self.mail.handle(job).await,
            JobKind::Webhook => self.webhooks.handle(job).await,
        }
    }
}

/// How often the `jobs{kind,state}` gauges are recounted from the table.
const RECOUNT_EVERY: Duration = Duration::from_secs(15);
/// How often expired idempotency keys and old done jobs are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);
/// How long a done job is kept, for staff looking into what was sent.
const KEEP_DONE_DAYS: i64 = 7;

/// The runner of every job kind, with the mailer the configuration names.
pub fn runner(infra: &Infra, webhook_key: Arc<WebhookKey>) -> anyhow::Result<Runner> {
    let config = &infra.config.jobs;
    let mailer = match &config.smtp_url {
        Some(url) => AnyMailer::smtp(url, &config.mail_from, Duration::from_secs(10))?,
        None => AnyMailer::files(config.mail_dir.clone(), &config.mail_from)?,
    };
    let policy = RetryPolicy {
        first_delay: config.retry_base,
        max_delay: chrono::Duration::hours(1).max(config.retry_base),
        max_attempts: config.max_attempts,
    };
    let webhooks = WebhookJobs {
        endpoints: DbMerchants::new(
            infra.db.clone(),
            infra.crypto.clone(),
            infra.config.members.privacy_policy_version.clone(),
        ),
        sender: HttpWebhooks::new(webhook_key, Duration::from_secs(10)),
        clock: infra.clock.clone(),
    };
    let handlers = AllJobs { mail: MailJobs(mailer), webhooks };
    Ok(JobRunner::new(DbJobs(infra.db.clone()), handlers, infra.clock.clone(), policy))
}

/// What the loop keeps tidy besides running jobs.
pub struct Maintenance {
    pub jobs: web::Data<AdminState>,
    pub idempotency: web::Data<Idempotency>,
    /// Yesterday's settlement statements, issued once the Beijing day has turned.
    pub statements: StatementService<DbMerchants, AppClock>,
    /// Card handles of past days: no code can use them any more.
    pub cards: web::Data<crate::cards::CardsState>,
    pub clock: AppClock,
}

pub async fn run(runner: Runner, maintenance: Maintenance, poll: Duration, mut stop: watch::Receiver<bool>) {
    let mut counted: Option<Instant> = None;
    let mut purged: Option<Instant> = None;
    // The last day whose statements this instance saw issued: one look a day, not one a pass.
    let mut stated: Option<chrono::NaiveDate> = None;
    while !*stop.borrow() {
        let due = maintenance.statements.due_day();
        if due != stated {
            match maintenance.statements.issue_due().await {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(issued = n, day = ?due, "settlement statements queued");
                    }
                    stated = due;
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "settlement statements could not be issued"),
            }
        }
        if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            purge(&maintenance).await;
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
            recount(&maintenance.jobs.jobs.store).await;
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

async fn purge(m: &Maintenance) {
    match m.idempotency.purge().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "expired idempotency keys deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "idempotency keys could not be purged"),
    }
    let before = m.clock.now() - chrono::Duration::days(KEEP_DONE_DAYS);
    match m.jobs.jobs.store.purge_done(before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "old done jobs deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "done jobs could not be purged"),
    }
    match m.cards.cards.forget_old_handles().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "card handles of past days deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "card handles could not be purged"),
    }
}

async fn recount(store: &DbJobs) {
    match store.counts().await {
        Ok(counts) => {
            // Kinds and states with no rows read zero rather than keeping an old value.
            for kind in JobKind::ALL {
                for state in JobState::ALL {
                    let n = counts.iter().find(|(k, s, _)| k == kind.as_str() && *s == state).map_or(0, |c| c.2);
                    metrics::gauge!("jobs", "kind" => kind.as_str(), "state" => state.as_str()).set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = format!("{e:#}"), "jobs could not be counted"),
    }
}
