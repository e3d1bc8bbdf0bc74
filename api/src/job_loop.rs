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
use infra::crypto::FieldCrypto;
use infra::db::jobs::DbJobs;
use infra::db::merchants::DbMerchants;
use infra::mail::AnyMailer;
use infra::signing::WebhookKey;
use infra::webhook_sender::HttpWebhooks;
use std::sync::Arc;

pub type Runner = JobRunner<DbJobs, AllJobs, AppClock>;

/// Every job kind's handler, each given its own kind.
pub struct AllJobs {
    mail: MailJobs<AnyMailer, FieldCrypto>,
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
        sender: HttpWebhooks::new(webhook_key, Duration::from_secs(10), infra.config.merchants.webhook_targets.clone()),
        clock: infra.clock.clone(),
    };
    let handlers = AllJobs { mail: MailJobs(mailer, infra.crypto.clone()), webhooks };
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
    /// Import jobs finished a week ago, with their rejected rows.
    pub imports: web::Data<crate::imports::Imports>,
    /// Applications past their time limit, escalated up the tree even while no one reads a queue.
    pub membership: web::Data<crate::membership::MembershipState>,
    /// Service cases past their time limit, likewise.
    pub services: web::Data<crate::services::ServicesState>,
    /// Roster rows and accounts from before staff could search them, given their search digests.
    pub roster: infra::db::roster::DbRoster,
    pub clock: AppClock,
}

/// Mail jobs leased and sent one at a time per pass, at most this many before the maintenance
/// looks again.
const MAIL_BATCH: u32 = 20;
/// Webhook deliveries in flight at once, and per merchant: a merchant whose endpoint hangs
/// holds its own slots and no one else's.
const WEBHOOKS_IN_FLIGHT: u32 = 16;
/// Roster rows (and accounts) given their search digests per pass.
const SEARCH_BATCH: i64 = 1_000;
const WEBHOOKS_PER_MERCHANT: u32 = 2;

/// The mail lane and the maintenance, until `stop`; the webhook lane runs beside it.
pub async fn run(runner: Runner, maintenance: Maintenance, poll: Duration, stop: watch::Receiver<bool>) {
    let runner = Arc::new(runner);
    let webhooks = tokio::spawn(webhook_lane(runner.clone(), poll, stop.clone()));
    mail_lane(runner, maintenance, poll, stop).await;
    let _ = webhooks.await;
}

fn count(report: &domain::jobs::RunReport) {
    for (kind, outcome) in &report.outcomes {
        metrics::counter!("jobs_finished_total", "kind" => kind.as_str(), "outcome" => outcome.as_str()).increment(1);
    }
}

/// Webhook deliveries, each run as its own task as soon as it is leased: the lane leases again
/// whenever a slot frees, never waiting for a slow delivery to finish the others.
async fn webhook_lane(runner: Arc<Runner>, poll: Duration, mut stop: watch::Receiver<bool>) {
    let running: Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>> = Arc::default();
    let freed = Arc::new(tokio::sync::Notify::new());
    let in_flight = Arc::new(std::sync::atomic::AtomicU32::new(0));
    while !*stop.borrow() {
        let free = WEBHOOKS_IN_FLIGHT.saturating_sub(in_flight.load(std::sync::atomic::Ordering::SeqCst));
        let leased = if free == 0 {
            Vec::new()
        } else {
            let now_running = running.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let wanted = domain::jobs::Wanted {
                kinds: &[JobKind::Webhook],
                limit: free,
                per_owner: Some(WEBHOOKS_PER_MERCHANT),
                running: &now_running,
            };
            runner.lease(wanted).await.unwrap_or_else(|e| {
                tracing::warn!(error = format!("{e:#}"), "webhook deliveries could not be leased");
                Vec::new()
            })
        };
        for job in &leased {
            let owner = job.owner.clone().unwrap_or_default();
            *running.lock().unwrap_or_else(|p| p.into_inner()).entry(owner.clone()).or_default() += 1;
            in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (runner, running, freed, in_flight, job) =
                (runner.clone(), running.clone(), freed.clone(), in_flight.clone(), job.clone());
            tokio::spawn(async move {
                match runner.run_job(&job).await {
                    Ok(outcome) => count(&domain::jobs::RunReport { outcomes: vec![(job.kind, outcome)] }),
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "a webhook delivery could not be recorded"),
                }
                let mut running = running.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(n) = running.get_mut(&owner) {
                    *n -= 1;
                    if *n == 0 {
                        running.remove(&owner);
                    }
                }
                in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                freed.notify_one();
            });
        }
        if !leased.is_empty() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = freed.notified() => {}
            _ = stop.changed() => {}
        }
    }
}

async fn mail_lane(runner: Arc<Runner>, maintenance: Maintenance, poll: Duration, mut stop: watch::Receiver<bool>) {
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
        // Every pass: rows an import by an older build (or a restore) left without them are found
        // by name and phone again within a pass; none left costs two reads of a partial index.
        let filled = match maintenance.roster.backfill_search(SEARCH_BATCH).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(filled = n, "roster rows and accounts given their search digests");
                }
                n
            }
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), "search digests could not be filled in");
                0
            }
        };
        let handled = match runner.run_once(&[JobKind::Mail], MAIL_BATCH).await {
            Ok(report) => {
                count(&report);
                if report.handled() > 0 {
                    tracing::info!(handled = report.handled(), "mail jobs pass");
                }
                report.handled()
            }
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), "mail jobs pass failed");
                0
            }
        };
        // On a timer only: a count is a scan of the table, and a flash sale queues a mail per claim.
        if counted.is_none_or(|at| at.elapsed() >= RECOUNT_EVERY) {
            recount(&maintenance.jobs.jobs.store).await;
            match maintenance.membership.membership.escalate().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "applications past their time limit escalated"),
                Err(e) => tracing::warn!(error = format!("{e:#}"), "applications could not be escalated"),
            }
            match maintenance.services.services.escalate().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "service cases past their time limit escalated"),
                Err(e) => tracing::warn!(error = ?e, "service cases could not be escalated"),
            }
            counted = Some(Instant::now());
        }
        if handled > 0 || filled > 0 {
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
    match m.imports.purge().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "import jobs of a week ago deleted"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "import jobs could not be purged"),
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
