use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::schema::refresh_tokens;
use super::{Database, DbConn};
use domain::members::ports::{RefreshTokens, Rotation};
use domain::members::MemberId;

/// Refresh tokens: 256 random bits handed out once, stored only as SHA-256. Each lives `ttl`;
/// rotating one gives the next, but never past `max_session` after the sign-in that began the
/// family: a stolen token kept fresh does not keep its session forever.
#[derive(Clone)]
pub struct DbRefreshTokens {
    db: Database,
    ttl: Duration,
    max_session: Duration,
}

impl DbRefreshTokens {
    pub fn new(db: Database, ttl: Duration, max_session: Duration) -> Self {
        Self { db, ttl, max_session }
    }
}

fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn insert(
    conn: &mut DbConn,
    member: &str,
    family: &str,
    now: NaiveDateTime,
    ttl: Duration,
    ends: NaiveDateTime,
) -> QueryResult<String> {
    let (token, token_hash) = new_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(uuid::Uuid::now_v7().to_string()),
            refresh_tokens::member_id.eq(member),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq((now + ttl).min(ends)),
            refresh_tokens::session_ends_at.eq(ends),
        ))
        .execute(conn)?;
    Ok(token)
}

fn revoke_family(conn: &mut DbConn, family: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

type TokenRow =
    (String, String, String, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>);

impl RefreshTokens for DbRefreshTokens {
    async fn issue(&self, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<String> {
        let (member, ttl, now) = (member.to_string(), self.ttl, now.naive_utc());
        let (family, ends) = (uuid::Uuid::now_v7().to_string(), now + self.max_session);
        self.db.transaction(move |conn| Ok::<_, anyhow::Error>(insert(conn, &member, &family, now, ttl, ends)?)).await
    }

    async fn rotate(&self, token: &str, now: DateTime<Utc>) -> anyhow::Result<Rotation> {
        let (token_hash, ttl, now) = (hash(token), self.ttl, now.naive_utc());
        self.db
            .transaction(move |conn| {
                let row: Option<TokenRow> = refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(&token_hash))
                    .select((
                        refresh_tokens::id,
                        refresh_tokens::member_id,
                        refresh_tokens::family_id,
                        refresh_tokens::expires_at,
                        refresh_tokens::rotated_at,
                        refresh_tokens::revoked_at,
                        refresh_tokens::session_ends_at,
                    ))
                    .first(conn)
                    .optional()?;
                let Some((id, member, family, expires_at, rotated_at, revoked_at, ends)) = row else {
                    return Ok(Rotation::Unknown);
                };
                let member_id = MemberId(member.parse()?);
                if rotated_at.is_some() {
                    // Someone holds a token that was already exchanged: assume theft, end the login.
                    revoke_family(conn, &family, now)?;
                    return Ok(Rotation::Reused { member: member_id });
                }
                if revoked_at.is_some() {
                    // Signed out, suspended or erased: the session is over, and nothing else is.
                    return Ok(Rotation::Ended);
                }
                let ends = ends.unwrap_or(expires_at);
                if expires_at <= now || ends <= now {
                    return Ok(Rotation::Expired);
                }
                let won = diesel::update(
                    refresh_tokens::table
                        .find(&id)
                        .filter(refresh_tokens::rotated_at.is_null())
                        .filter(refresh_tokens::revoked_at.is_null()),
                )
                .set(refresh_tokens::rotated_at.eq(now))
                .execute(conn)?;
                if won == 0 {
                    revoke_family(conn, &family, now)?;
                    return Ok(Rotation::Reused { member: member_id });
                }
                let refresh_token = insert(conn, &member, &family, now, ttl, ends)?;
                Ok::<_, anyhow::Error>(Rotation::Rotated { member: member_id, refresh_token })
            })
            .await
    }

    async fn revoke(&self, token: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let (token_hash, now) = (hash(token), now.naive_utc());
        self.db
            .transaction(move |conn| {
                let family: Option<String> = refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(&token_hash))
                    .select(refresh_tokens::family_id)
                    .first(conn)
                    .optional()?;
                if let Some(family) = family {
                    revoke_family(conn, &family, now)?;
                }
                Ok::<_, anyhow::Error>(())
            })
            .await
    }
}
