//! The jobs outbox: rows written in the transaction of the change that causes them, leased by
//! the runner, re-queued by staff.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::audit;
use super::schema::jobs;
use super::{Backend, Database, DbConn};
use domain::admin::NewAuditEntry;
use domain::jobs::{Job, JobKind, JobQueue, JobRecord, JobState, JobStore, Wanted};
use domain::mail::OutboundEmail;
use domain::shared::{Page, PageRequest};

const PENDING: &str = "pending";
const DONE: &str = "done";
const DEAD: &str = "dead";

/// Queues a job on `conn`, inside the caller's transaction, due at once.
pub(crate) fn enqueue(conn: &mut DbConn, kind: JobKind, payload: String, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind.as_str()),
            jobs::payload.eq(payload),
            jobs::state.eq(PENDING),
            jobs::attempts.eq(0),
            jobs::next_attempt_at.eq(now.naive_utc()),
            jobs::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)
        .map(drop)
}

/// Queues `email` as a `mail` job, inside the caller's transaction.
pub(crate) fn enqueue_mail(conn: &mut DbConn, email: OutboundEmail, now: DateTime<Utc>) -> QueryResult<()> {
    enqueue(conn, JobKind::Mail, email.to_payload(), now)
}

/// The head of a statement that queues `mail` jobs from a query, due at `at`; the caller appends
/// `FROM … WHERE …`. The payload is built in SQL the way [`OutboundEmail::to_payload`] builds it.
pub(crate) fn insert_mail_jobs(backend: Backend, to: &str, subject: &str, body: &str, at: &str) -> String {
    mail_jobs(backend, "to", to, subject, body, at)
}

/// Like [`insert_mail_jobs`], to a member's address as sealed in the members table.
pub(crate) fn insert_sealed_mail_jobs(
    backend: Backend,
    to_sealed: &str,
    subject: &str,
    body: &str,
    at: &str,
) -> String {
    mail_jobs(backend, "to_sealed", to_sealed, subject, body, at)
}

fn mail_jobs(backend: Backend, field: &str, to: &str, subject: &str, body: &str, at: &str) -> String {
    let payload = match backend {
        Backend::Postgres => format!("json_build_object('{field}', {to}, 'subject', {subject}, 'body', {body})::text"),
        Backend::Sqlite => format!("json_object('{field}', {to}, 'subject', {subject}, 'body', {body})"),
    };
    format!(
        "INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at)
         SELECT 'mail', {payload}, 'pending', 0, {at}, {at}"
    )
}

#[derive(Clone)]
pub struct DbJobs(pub Database);

pub(crate) type Row = (i64, String, String, i32, Option<String>, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>);

pub(crate) const COLUMNS: (
    jobs::id,
    jobs::kind,
    jobs::state,
    jobs::attempts,
    jobs::last_error,
    jobs::next_attempt_at,
    jobs::created_at,
    jobs::finished_at,
) = (
    jobs::id,
    jobs::kind,
    jobs::state,
    jobs::attempts,
    jobs::last_error,
    jobs::next_attempt_at,
    jobs::created_at,
    jobs::finished_at,
);

pub(crate) fn record(r: Row) -> anyhow::Result<JobRecord> {
    Ok(JobRecord {
        id: r.0,
        kind: r.1,
        state: JobState::parse(&r.2).ok_or_else(|| anyhow::anyhow!("job {} has unknown state {}", r.0, r.2))?,
        attempts: u32::try_from(r.3)?,
        last_error: r.4,
        next_attempt_at: r.5.and_utc(),
        created_at: r.6.and_utc(),
        finished_at: r.7.map(|t| t.and_utc()),
    })
}

impl JobQueue for DbJobs {
    async fn lease_due(&self, now: DateTime<Utc>, lease: Duration, wanted: Wanted<'_>) -> anyhow::Result<Vec<Job>> {
        let now = now.naive_utc();
        let until = now + lease;
        let kinds: Vec<&'static str> = wanted.kinds.iter().map(|k| k.as_str()).collect();
        let (limit, per_owner) = (wanted.limit, wanted.per_owner);
        let mut taken: std::collections::HashMap<String, u32> = wanted.running.clone();
        self.0
            .write(move |conn| {
                // With a cap per owner a few more candidates are read, so one busy owner's backlog
                // does not hide the others' jobs behind it.
                let read = if per_owner.is_some() { i64::from(limit) * 8 + 64 } else { i64::from(limit) };
                let candidates: Vec<(i64, String, String, i32, Option<String>)> = jobs::table
                    .filter(jobs::kind.eq_any(kinds))
                    .filter(jobs::state.eq(PENDING))
                    .filter(jobs::next_attempt_at.le(now))
                    .filter(jobs::leased_until.is_null().or(jobs::leased_until.le(now)))
                    .order(jobs::id)
                    .limit(read)
                    .select((jobs::id, jobs::kind, jobs::payload, jobs::attempts, jobs::owner))
                    .load(conn)?;
                let mut leased = Vec::with_capacity(candidates.len().min(limit as usize));
                for (id, kind, payload, attempts, owner) in candidates {
                    if leased.len() >= limit as usize {
                        break;
                    }
                    if let (Some(cap), Some(owner)) = (per_owner, &owner) {
                        if taken.get(owner).copied().unwrap_or(0) >= cap {
                            continue;
                        }
                    }
                    // A compare-and-set per row: of two runners racing for a job, one wins, and a job
                    // another runner failed meanwhile keeps its back-off and attempt count.
                    let won = diesel::update(jobs::table)
                        .filter(jobs::id.eq(id))
                        .filter(jobs::state.eq(PENDING))
                        .filter(jobs::attempts.eq(attempts))
                        .filter(jobs::next_attempt_at.le(now))
                        .filter(jobs::leased_until.is_null().or(jobs::leased_until.le(now)))
                        .set(jobs::leased_until.eq(until))
                        .execute(conn)?;
                    if won == 0 {
                        continue;
                    }
                    let kind =
                        JobKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("job {id} of unknown kind {kind}"))?;
                    if let Some(owner) = &owner {
                        *taken.entry(owner.clone()).or_default() += 1;
                    }
                    leased.push(Job { id, kind, payload, attempts: u32::try_from(attempts)?, owner });
                }
                Ok(leased)
            })
            .await
    }

    async fn mark_done(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.0
            .write(move |conn| {
                diesel::update(jobs::table.find(id))
                    .set((
                        jobs::state.eq(DONE),
                        jobs::finished_at.eq(now.naive_utc()),
                        jobs::attempts.eq(jobs::attempts + 1),
                        jobs::leased_until.eq(None::<NaiveDateTime>),
                        jobs::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn mark_failed(
        &self,
        id: i64,
        attempts: u32,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let error = error.to_owned();
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        self.0
            .write(move |conn| {
                match retry_at {
                    Some(at) => diesel::update(jobs::table.find(id))
                        .set((
                            jobs::attempts.eq(attempts),
                            jobs::next_attempt_at.eq(at.naive_utc()),
                            jobs::leased_until.eq(None::<NaiveDateTime>),
                            jobs::last_error.eq(&error),
                        ))
                        .execute(conn)
                        .map(drop)?,
                    None => bury(conn, id, attempts, &error, now.naive_utc())?,
                }
                Ok(())
            })
            .await
    }
}

fn bury(conn: &mut DbConn, id: i64, attempts: i32, error: &str, now: NaiveDateTime) -> QueryResult<()> {
    tracing::error!(job_id = id, attempts, error, "job given up: marked dead");
    diesel::update(jobs::table.find(id))
        .set((
            jobs::state.eq(DEAD),
            jobs::attempts.eq(attempts),
            jobs::leased_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
            jobs::finished_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

impl JobStore for DbJobs {
    async fn page(&self, state: Option<JobState>, request: PageRequest) -> anyhow::Result<Page<JobRecord>> {
        let rows: Vec<Row> = self
            .0
            .run(move |conn| {
                let mut query = jobs::table.select(COLUMNS).order(jobs::id.desc()).into_boxed();
                if let Some(state) = state {
                    query = query.filter(jobs::state.eq(state.as_str()));
                }
                if let Some(after) = request.after {
                    query = query.filter(jobs::id.lt(after.key()));
                }
                Ok::<_, anyhow::Error>(query.limit(i64::from(request.limit.get()) + 1).load(conn)?)
            })
            .await?;
        let records = rows.into_iter().map(record).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(records, request.limit, |j| j.id))
    }

    async fn get(&self, id: i64) -> anyhow::Result<Option<JobRecord>> {
        let row: Option<Row> = self
            .0
            .run(move |conn| Ok::<_, anyhow::Error>(jobs::table.find(id).select(COLUMNS).first(conn).optional()?))
            .await?;
        row.map(record).transpose()
    }

    async fn requeue(&self, id: i64, now: DateTime<Utc>, entry: NewAuditEntry) -> anyhow::Result<Option<JobRecord>> {
        let row: Option<Row> = self
            .0
            .transaction(move |conn| {
                let changed = diesel::update(jobs::table.find(id).filter(jobs::state.eq(DEAD)))
                    .set((
                        jobs::state.eq(PENDING),
                        jobs::attempts.eq(0),
                        jobs::next_attempt_at.eq(now.naive_utc()),
                        jobs::leased_until.eq(None::<NaiveDateTime>),
                        jobs::finished_at.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
                if changed == 0 {
                    return Ok::<_, anyhow::Error>(None);
                }
                audit::append(conn, entry)?;
                Ok(Some(jobs::table.find(id).select(COLUMNS).first(conn)?))
            })
            .await?;
        row.map(record).transpose()
    }

    async fn purge_done(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        let before = before.naive_utc();
        self.0
            .write(move |conn| {
                let done = jobs::table.filter(jobs::state.eq(DONE)).filter(jobs::finished_at.lt(before));
                Ok(diesel::delete(done).execute(conn)? as u64)
            })
            .await
    }

    async fn counts(&self) -> anyhow::Result<Vec<(String, JobState, i64)>> {
        let rows: Vec<(String, String, i64)> = self
            .0
            .run(|conn| {
                Ok::<_, anyhow::Error>(
                    jobs::table
                        .group_by((jobs::kind, jobs::state))
                        .select((jobs::kind, jobs::state, diesel::dsl::count_star()))
                        .load(conn)?,
                )
            })
            .await?;
        rows.into_iter()
            .map(|(kind, state, n)| {
                let state = JobState::parse(&state).ok_or_else(|| anyhow::anyhow!("unknown job state {state}"))?;
                Ok((kind, state, n))
            })
            .collect()
    }
}
