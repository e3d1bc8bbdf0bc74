//! `Idempotency-Key` answers in the database, so every API instance sees the same keys.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::schema::idempotency_keys as k;
use super::{Database, DbConn};
use domain::shared::idempotency::{
    Begin, Fingerprint, IdempotencyKey, IdempotencyStore, KeyedAnswer, RunToken, StoredResponse,
};

#[derive(Clone)]
pub struct DbIdempotency(pub Database);

/// A [`KeyedAnswer`] as its row: kept by the work that gave it, in the work's own commit.
#[derive(Insertable)]
#[diesel(table_name = k)]
pub(crate) struct AnswerRow {
    pub scope: String,
    pub idem_key: String,
    pub fingerprint: String,
    pub owner: String,
    pub status: i32,
    pub headers: String,
    pub body: Vec<u8>,
    #[diesel(column_name = created_at)]
    pub at: NaiveDateTime,
    pub locked_until: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl TryFrom<KeyedAnswer> for AnswerRow {
    type Error = anyhow::Error;

    fn try_from(a: KeyedAnswer) -> anyhow::Result<Self> {
        Ok(Self {
            scope: a.scope,
            idem_key: a.key.as_str().to_owned(),
            fingerprint: a.fingerprint.0,
            // Nobody runs under it: the row is complete when written.
            owner: String::new(),
            status: i32::from(a.response.status),
            headers: serde_json::to_string(&a.response.headers)?,
            body: a.response.body,
            at: a.at.naive_utc(),
            locked_until: a.at.naive_utc(),
            expires_at: a.expires_at.naive_utc(),
        })
    }
}

/// Writes an answer inside the caller's transaction; a held key fails it ([`key_held`]).
pub(crate) fn keep(conn: &mut DbConn, answer: AnswerRow) -> QueryResult<usize> {
    diesel::insert_into(k::table).values(answer).execute(conn)
}

/// Whether `e` says the answer's key was held already (PostgreSQL names the table; SQLite
/// does not, but there the answer is the only row its step can collide on).
pub(crate) fn key_held(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.table_name().is_none_or(|t| t == "idempotency_keys")
        }
        _ => false,
    }
}

type Held = (String, Option<i32>, Option<String>, Option<Vec<u8>>, NaiveDateTime, NaiveDateTime);

impl IdempotencyStore for DbIdempotency {
    async fn begin(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        token: &RunToken,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<Begin> {
        let (scope, key, fingerprint) = (scope.to_owned(), key.as_str().to_owned(), fingerprint.0.clone());
        let token = token.clone();
        let (now, locked_until, expires_at) = (now.naive_utc(), locked_until.naive_utc(), expires_at.naive_utc());
        self.0
            .write(move |conn| {
                // A row can vanish (released, purged) between the failed insert and the read: look again.
                for _ in 0..3 {
                    let claimed = diesel::insert_into(k::table)
                        .values((
                            k::scope.eq(&scope),
                            k::idem_key.eq(&key),
                            k::fingerprint.eq(&fingerprint),
                            k::owner.eq(&token.0),
                            k::locked_until.eq(locked_until),
                            k::created_at.eq(now),
                            k::expires_at.eq(expires_at),
                        ))
                        .execute(conn);
                    match claimed {
                        Ok(_) => return Ok(Begin::Run(token)),
                        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    let held: Option<Held> = k::table
                        .find((&scope, &key))
                        .select((k::fingerprint, k::status, k::headers, k::body, k::locked_until, k::expires_at))
                        .first(conn)
                        .optional()?;
                    let Some((held_fingerprint, status, headers, body, held_lock, held_expiry)) = held else {
                        continue;
                    };
                    let take_over = |conn: &mut DbConn, stale: bool| -> QueryResult<bool> {
                        let row = k::table.filter(k::scope.eq(&scope)).filter(k::idem_key.eq(&key));
                        let fields = (
                            k::fingerprint.eq(&fingerprint),
                            k::owner.eq(&token.0),
                            k::status.eq(None::<i32>),
                            k::headers.eq(None::<String>),
                            k::body.eq(None::<Vec<u8>>),
                            k::locked_until.eq(locked_until),
                            k::created_at.eq(now),
                            k::expires_at.eq(expires_at),
                        );
                        let n = if stale {
                            diesel::update(row.filter(k::expires_at.le(now))).set(fields).execute(conn)?
                        } else {
                            diesel::update(row.filter(k::status.is_null()).filter(k::locked_until.le(now)))
                                .set(fields)
                                .execute(conn)?
                        };
                        Ok(n == 1)
                    };
                    if held_expiry <= now {
                        if take_over(conn, true)? {
                            return Ok(Begin::Run(token));
                        }
                        continue;
                    }
                    if held_fingerprint != fingerprint {
                        return Ok(Begin::Mismatch);
                    }
                    if let Some(status) = status {
                        let headers: Vec<(String, String)> =
                            serde_json::from_str(headers.as_deref().unwrap_or("[]")).unwrap_or_default();
                        let status = u16::try_from(status)?;
                        return Ok(Begin::Replay(StoredResponse { status, headers, body: body.unwrap_or_default() }));
                    }
                    if held_lock <= now && take_over(conn, false)? {
                        return Ok(Begin::Run(token));
                    }
                    return Ok(Begin::InFlight);
                }
                Ok(Begin::InFlight)
            })
            .await
    }

    async fn complete(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        token: &RunToken,
        response: &StoredResponse,
    ) -> anyhow::Result<()> {
        let (scope, key, owner) = (scope.to_owned(), key.as_str().to_owned(), token.0.clone());
        let headers = serde_json::to_string(&response.headers)?;
        let (status, body) = (i32::from(response.status), response.body.clone());
        self.0
            .write(move |conn| {
                diesel::update(k::table.find((&scope, &key)).filter(k::owner.eq(&owner)).filter(k::status.is_null()))
                    .set((k::status.eq(status), k::headers.eq(headers), k::body.eq(body)))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn release(&self, scope: &str, key: &IdempotencyKey, token: &RunToken) -> anyhow::Result<()> {
        let (scope, key, owner) = (scope.to_owned(), key.as_str().to_owned(), token.0.clone());
        self.0
            .write(move |conn| {
                let run = k::table.find((&scope, &key)).filter(k::owner.eq(&owner)).filter(k::status.is_null());
                diesel::delete(run).execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn purge(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let now = now.naive_utc();
        self.0
            .write(move |conn| {
                let n = diesel::delete(k::table.filter(k::expires_at.le(now))).execute(conn)?;
                Ok(n as u64)
            })
            .await
    }
}
