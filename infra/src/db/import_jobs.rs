//! Import jobs' records: progress as they run, the outcome once, purged a week after.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::import_jobs;
use super::Database;
use domain::admin::AdminId;
use domain::members::roster::ImportProgress;
use domain::shared::import_job::{ImportJob, ImportJobId, ImportJobs, ImportKind, ImportOutcome};

#[derive(Clone)]
pub struct DbImportJobs(pub Database);

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

type Row = (
    String,
    String,
    String,
    bool,
    (i64, i64, i64, i64, i64, i64),
    (NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>),
    (Option<String>, Option<String>),
);

fn job_of(row: Row) -> anyhow::Result<ImportJob> {
    let (id, kind, started_by, dry_run, (rows, accepted, rejected, inserted, updated, unchanged), times, outcome) = row;
    let (started_at, alive_at, finished_at) = times;
    let outcome = match outcome {
        (Some(report), _) => {
            Some(ImportOutcome::Done { report: serde_json::from_str(&report)?, rejected_rows: String::new() })
        }
        (None, Some(problem)) => Some(ImportOutcome::Failed { problem: serde_json::from_str(&problem)? }),
        (None, None) => None,
    };
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(ImportJob {
        id: ImportJobId(id.parse()?),
        kind: ImportKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("unknown import kind {kind}"))?,
        started_by: AdminId(started_by.parse()?),
        dry_run,
        progress: ImportProgress {
            rows: n(rows),
            accepted: n(accepted),
            rejected: n(rejected),
            inserted: n(inserted),
            updated: n(updated),
            unchanged: n(unchanged),
        },
        started_at: started_at.and_utc(),
        alive_at: alive_at.and_utc(),
        finished_at: finished_at.map(|t| t.and_utc()),
        outcome,
    })
}

impl ImportJobs for DbImportJobs {
    async fn create(&self, job: &ImportJob) -> anyhow::Result<()> {
        let values = (
            import_jobs::id.eq(job.id.to_string()),
            import_jobs::kind.eq(job.kind.as_str()),
            import_jobs::started_by.eq(job.started_by.to_string()),
            import_jobs::dry_run.eq(job.dry_run),
            import_jobs::started_at.eq(job.started_at.naive_utc()),
            import_jobs::alive_at.eq(job.alive_at.naive_utc()),
        );
        self.0
            .write(move |conn| {
                diesel::insert_into(import_jobs::table)
                    .values(values)
                    .execute(conn)
                    .map(drop)
                    .map_err(anyhow::Error::from)
            })
            .await
    }

    async fn progress(&self, id: ImportJobId, p: ImportProgress, now: DateTime<Utc>) -> anyhow::Result<()> {
        let id = id.to_string();
        self.0
            .write(move |conn| {
                // A finished job's counts are its report's: a late beat does not rewrite them.
                diesel::update(import_jobs::table.find(id).filter(import_jobs::finished_at.is_null()))
                    .set((
                        import_jobs::rows_read.eq(count(p.rows)),
                        import_jobs::accepted.eq(count(p.accepted)),
                        import_jobs::rejected.eq(count(p.rejected)),
                        import_jobs::inserted.eq(count(p.inserted)),
                        import_jobs::updated.eq(count(p.updated)),
                        import_jobs::unchanged.eq(count(p.unchanged)),
                        import_jobs::alive_at.eq(now.naive_utc()),
                    ))
                    .execute(conn)
                    .map(drop)
                    .map_err(anyhow::Error::from)
            })
            .await
    }

    async fn finish(&self, id: ImportJobId, outcome: &ImportOutcome, now: DateTime<Utc>) -> anyhow::Result<()> {
        let id = id.to_string();
        let (report, problem, rejected_rows) = match outcome {
            ImportOutcome::Done { report, rejected_rows } => {
                (Some(report.to_string()), None, Some(rejected_rows.clone()))
            }
            ImportOutcome::Failed { problem } => (None, Some(problem.to_string()), None),
        };
        self.0
            .write(move |conn| {
                diesel::update(import_jobs::table.find(id).filter(import_jobs::finished_at.is_null()))
                    .set((
                        import_jobs::finished_at.eq(now.naive_utc()),
                        import_jobs::alive_at.eq(now.naive_utc()),
                        import_jobs::report.eq(report),
                        import_jobs::problem.eq(problem),
                        import_jobs::rejected_rows.eq(rejected_rows),
                    ))
                    .execute(conn)
                    .map(drop)
                    .map_err(anyhow::Error::from)
            })
            .await
    }

    async fn get(&self, id: ImportJobId) -> anyhow::Result<Option<ImportJob>> {
        let id = id.to_string();
        let row: Option<Row> = self
            .0
            .run(move |conn| {
                import_jobs::table
                    .find(id)
                    .select((
                        import_jobs::id,
                        import_jobs::kind,
                        import_jobs::started_by,
                        import_jobs::dry_run,
                        (
                            import_jobs::rows_read,
                            import_jobs::accepted,
                            import_jobs::rejected,
                            import_jobs::inserted,
                            import_jobs::updated,
                            import_jobs::unchanged,
                        ),
                        (import_jobs::started_at, import_jobs::alive_at, import_jobs::finished_at),
                        (import_jobs::report, import_jobs::problem),
                    ))
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(job_of).transpose()
    }

    async fn rejected_rows(&self, id: ImportJobId) -> anyhow::Result<Option<String>> {
        let id = id.to_string();
        let file: Option<Option<String>> = self
            .0
            .run(move |conn| {
                import_jobs::table
                    .find(id)
                    .select(import_jobs::rejected_rows)
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(file.flatten())
    }

    async fn purge(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        let before = before.naive_utc();
        let gone = self
            .0
            .write(move |conn| {
                diesel::delete(import_jobs::table.filter(import_jobs::alive_at.lt(before)))
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(gone as u64)
    }
}
