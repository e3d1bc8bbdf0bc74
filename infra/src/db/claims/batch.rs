//! Granted claims written together. In a flood every granted claim is a small transaction whose
//! fixed costs (a round trip, executor start-up, a commit) outweigh its rows. Writer threads each
//! take whatever claims are waiting (see [`Gathered`]) and insert them together: on PostgreSQL
//! with one statement, on SQLite claim by claim in one transaction (one commit, one pass of the
//! write-ahead log), each claim in a savepoint of its own. A claim that was not inserted — a
//! unique constraint said no, or a guard did — goes through the single-claim statement, which
//! says why.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::SqliteConnection;

use std::sync::LazyLock;

use super::super::gathered::Gathered;
use super::super::prepared::Prepared;
use super::super::{Backend, Database, DbConn};
use super::sql::PG_CAMPAIGN_HELD;
use super::sql::{claim_guards, insert_ledger_rows, insert_member_mail, insert_staff_alert, member_standing};
use super::sql::{ClaimValues, StandingValues};
use domain::campaigns::ports::{NewClaim, Notice};

/// The most claims one statement carries.
const MAX_BATCH: usize = 128;

/// The claims' values, column by column of the unnested arrays.
const VALUES: ClaimValues<'static> = ClaimValues {
    slot: "i.slot",
    gift_seq: "i.gift_seq",
    campaign_seq: "i.campaign_seq",
    claimed_at: "i.claimed_at",
    standing: StandingValues {
        member: "i.member_id",
        consent_version: "i.consent_version",
        union_codes: "i.union_codes",
        joined_before: "i.joined_before",
        token_issued_at: Some("i.token_issued_at"),
        needs_card: "k.cardholders_only",
        within: "k.scope_code",
    },
};

static INSERT_BATCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
    WITH i AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[],
                             $8::text[], $9::timestamp[], $10::timestamp[], $11::text[], $12::text[],
                             $13::timestamp[], $14::text[], $15::text[], $16::text[], $17::text[], $18::bool[],
                             $19::timestamp[])
            AS i (id, gift_id, member_id, slot, gift_seq, campaign_seq, voucher_code, request_key, claimed_at,
                  expires_at, consent_version, union_codes, joined_before, subject, body, alert_subject,
                  alert_body, alerting, token_issued_at)),
    c AS (
        INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq, voucher_code,
                            request_key, status, claimed_at, expires_at)
        SELECT i.id, g.campaign_id, i.gift_id, i.member_id, i.slot, i.gift_seq, i.campaign_seq, i.voucher_code,
               i.request_key, 'issued', i.claimed_at, i.expires_at
        FROM i JOIN gifts g ON g.id = i.gift_id JOIN campaigns k ON k.id = g.campaign_id
        WHERE {guards} AND {standing}
        {held}
        ON CONFLICT DO NOTHING
        RETURNING id, campaign_id, gift_id, member_id, claimed_at),
    l AS ({ledger} FROM c JOIN gifts g ON g.id = c.gift_id),
    m AS ({member_mail}),
    a AS ({staff_alert})
    SELECT id FROM c",
        guards = claim_guards(&VALUES),
        standing = member_standing(Backend::Postgres, &VALUES.standing),
        held = PG_CAMPAIGN_HELD,
        ledger = insert_ledger_rows("c.id", "c.claimed_at"),
        member_mail = insert_member_mail(
            Backend::Postgres,
            "i.subject",
            "i.body",
            "c.claimed_at",
            "FROM c JOIN i ON i.id = c.id JOIN members mb ON mb.id = c.member_id WHERE TRUE"
        ),
        staff_alert = insert_staff_alert(
            Backend::Postgres,
            "i.alert_subject",
            "i.alert_body",
            "c.claimed_at",
            "FROM c JOIN i ON i.id = c.id CROSS JOIN admin_users u WHERE i.alerting"
        ),
    )
});

#[derive(QueryableByName)]
struct InsertedId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Inserts the claims it can; returns the ids it inserted.
fn insert_batch(pg: &mut PgConnection, claims: &[NewClaim]) -> QueryResult<Vec<String>> {
    fn column<T>(claims: &[NewClaim], f: impl Fn(&NewClaim) -> T) -> Vec<T> {
        claims.iter().map(f).collect()
    }
    let no_alert = Notice { subject: String::new(), body: String::new() };
    let alert = |c: &NewClaim| c.staff_alert.clone().unwrap_or_else(|| no_alert.clone());
    let rows: Vec<InsertedId> = Prepared::new(&INSERT_BATCH)
        .bind::<Array<Text>, _>(column(claims, |c| c.id.to_string()))
        .bind::<Array<Text>, _>(column(claims, |c| c.gift.to_string()))
        .bind::<Array<Text>, _>(column(claims, |c| c.member.to_string()))
        .bind::<Array<Integer>, _>(column(claims, |c| c.slot as i32))
        .bind::<Array<Integer>, _>(column(claims, |c| c.gift_seq as i32))
        .bind::<Array<Integer>, _>(column(claims, |c| c.campaign_seq as i32))
        .bind::<Array<Text>, _>(column(claims, |c| c.voucher_code.clone()))
        .bind::<Array<Text>, _>(column(claims, |c| c.request_key.clone()))
        .bind::<Array<Timestamp>, _>(column(claims, |c| c.claimed_at.naive_utc()))
        .bind::<Array<Timestamp>, _>(column(claims, |c| c.expires_at.naive_utc()))
        .bind::<Array<Text>, _>(column(claims, |c| c.standing.consent_version.clone()))
        .bind::<Array<Text>, _>(column(claims, |c| c.standing.union_codes.join(",")))
        .bind::<Array<Nullable<Timestamp>>, _>(column(claims, |c| c.standing.joined_before.map(|t| t.naive_utc())))
        .bind::<Array<Text>, _>(column(claims, |c| c.confirmation.subject.clone()))
        .bind::<Array<Text>, _>(column(claims, |c| c.confirmation.body.clone()))
        .bind::<Array<Text>, _>(column(claims, |c| alert(c).subject))
        .bind::<Array<Text>, _>(column(claims, |c| alert(c).body))
        .bind::<Array<Bool>, _>(column(claims, |c| c.staff_alert.is_some()))
        .bind::<Array<Timestamp>, _>(column(claims, |c| c.standing.token_issued_at.naive_utc()))
        .load(pg)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Whether each claim was inserted. A claim whose statements fail is rolled back to its own
/// savepoint and the others go on (SQLite undoes only the failing statement, not the transaction).
fn sqlite_batch(lite: &mut SqliteConnection, claims: &[NewClaim]) -> QueryResult<Vec<bool>> {
    lite.immediate_transaction(|lite| {
        Ok(claims.iter().map(|c| lite.transaction(|lite| super::single::sqlite_rows(lite, c)) == Ok(1)).collect())
    })
}

/// The queue in front of the writer threads. The threads end when the last handle is dropped.
#[derive(Clone)]
pub struct ClaimBatcher {
    writers: Gathered<NewClaim, bool>,
}

impl ClaimBatcher {
    pub fn start(db: Database, writers: usize) -> Self {
        let write = move |claims: &[NewClaim]| {
            db.blocking(|conn| match conn {
                DbConn::Pg(pg) => {
                    let ids = insert_batch(pg, claims)?;
                    Ok(claims.iter().map(|c| ids.contains(&c.id.to_string())).collect())
                }
                DbConn::Sqlite(lite) => Ok(sqlite_batch(lite, claims)?),
            })
        };
        // The whole statement failed (one claim broke a rule that is not a unique constraint, or
        // the connection dropped): each claim goes on alone, and finds its own answer — a claim
        // the failed statement did commit after all comes back as a replay.
        let writers = Gathered::start("claim-writer", "claim_batch_size", writers, MAX_BATCH, write, |_| false);
        Self { writers }
    }

    /// `Ok(true)` when the claim was inserted with its ledger row and mails; `Ok(false)` when it
    /// was not, for the single-claim statement to find out why.
    pub async fn insert(&self, claim: NewClaim) -> anyhow::Result<bool> {
        self.writers.ask(claim).await
    }
}
