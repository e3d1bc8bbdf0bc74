use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::outbox;
use super::{Database, DbConn};
use domain::mail::{OutboundEmail, OutboxMessage, OutboxStore};
use domain::shared::EmailAddress;

const PENDING: &str = "pending";
const SENT: &str = "sent";
const DEAD: &str = "dead";

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct OutboxInsert {
    recipient: String,
    subject: String,
    body: String,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// Queues `email` on `conn`, inside the caller's transaction, due at once.
pub(crate) fn enqueue(conn: &mut DbConn, email: OutboundEmail, now: DateTime<Utc>) -> QueryResult<()> {
    let row = OutboxInsert {
        recipient: email.to.as_str().to_owned(),
        subject: email.subject,
        body: email.body,
        status: PENDING,
        attempts: 0,
        next_attempt_at: now.naive_utc(),
        created_at: now.naive_utc(),
    };
    diesel::insert_into(outbox::table).values(row).execute(conn).map(drop)
}

#[derive(Clone)]
pub struct DbOutbox(pub Database);

impl OutboxStore for DbOutbox {
    async fn lease_due(&self, now: DateTime<Utc>, lease: Duration, limit: u32) -> anyhow::Result<Vec<OutboxMessage>> {
        let now = now.naive_utc();
        let until = now + lease;
        self.0
            .run(move |conn| {
                let candidates: Vec<(i64, String, String, String, i32)> = outbox::table
                    .filter(outbox::status.eq(PENDING))
                    .filter(outbox::next_attempt_at.le(now))
                    .filter(outbox::leased_until.is_null().or(outbox::leased_until.le(now)))
                    .order(outbox::id)
                    .limit(i64::from(limit))
                    .select((outbox::id, outbox::recipient, outbox::subject, outbox::body, outbox::attempts))
                    .load(conn)?;
                let mut leased = Vec::with_capacity(candidates.len());
                for (id, recipient, subject, body, attempts) in candidates {
                    // A compare-and-set per row: of two workers racing for a message, one wins.
                    let won = diesel::update(outbox::table)
                        .filter(outbox::id.eq(id))
                        .filter(outbox::status.eq(PENDING))
                        .filter(outbox::leased_until.is_null().or(outbox::leased_until.le(now)))
                        .set(outbox::leased_until.eq(until))
                        .execute(conn)?;
                    if won == 0 {
                        continue;
                    }
                    match EmailAddress::parse(&recipient) {
                        Ok(to) => leased.push(OutboxMessage {
                            id,
                            email: OutboundEmail { to, subject, body },
                            attempts: u32::try_from(attempts).unwrap_or(0),
                        }),
                        Err(_) => bury(conn, id, attempts, "recipient address is invalid")?,
                    }
                }
                Ok(leased)
            })
            .await
    }

    async fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.0
            .run(move |conn| {
                diesel::update(outbox::table.find(id))
                    .set((
                        outbox::status.eq(SENT),
                        outbox::sent_at.eq(now.naive_utc()),
                        outbox::attempts.eq(outbox::attempts + 1),
                        outbox::leased_until.eq(None::<NaiveDateTime>),
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
    ) -> anyhow::Result<()> {
        let error: String = error.chars().take(500).collect();
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        self.0
            .run(move |conn| {
                match retry_at {
                    Some(at) => diesel::update(outbox::table.find(id))
                        .set((
                            outbox::attempts.eq(attempts),
                            outbox::next_attempt_at.eq(at.naive_utc()),
                            outbox::leased_until.eq(None::<NaiveDateTime>),
                            outbox::last_error.eq(&error),
                        ))
                        .execute(conn)
                        .map(drop)?,
                    None => bury(conn, id, attempts, &error)?,
                }
                Ok(())
            })
            .await
    }
}

fn bury(conn: &mut DbConn, id: i64, attempts: i32, error: &str) -> QueryResult<()> {
    tracing::error!(outbox_id = id, attempts, error, "mail given up: outbox row marked dead");
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(DEAD),
            outbox::attempts.eq(attempts),
            outbox::leased_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(drop)
}

/// Counts of outbox rows by status, for `/metrics` and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

impl DbOutbox {
    pub async fn counts(&self) -> anyhow::Result<OutboxCounts> {
        self.0
            .run(|conn| {
                let rows: Vec<(String, i64)> = outbox::table
                    .group_by(outbox::status)
                    .select((outbox::status, diesel::dsl::count_star()))
                    .load(conn)?;
                let mut counts = OutboxCounts::default();
                for (status, n) in rows {
                    match status.as_str() {
                        PENDING => counts.pending = n,
                        SENT => counts.sent = n,
                        _ => counts.dead += n,
                    }
                }
                Ok(counts)
            })
            .await
    }
}
