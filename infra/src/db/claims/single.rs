//! The single-claim statements: the claim, its ledger row and its mails, with the slot, the
//! sequences, the campaign's window and the member's standing checked in the same statement.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
use diesel::sqlite::{Sqlite, SqliteConnection};
use std::sync::LazyLock;

use super::super::prepared::Prepared;
use super::super::Backend;
use super::sql::{
    claim_guards, insert_ledger_rows, insert_member_mail, insert_staff_alert, member_standing, ClaimValues,
    StandingValues, PG_CAMPAIGN_HELD,
};
use domain::campaigns::ports::{NewClaim, Notice};

/// Binds `$1`…`$15` of [`insert_claim`] onto a [`super::super::prepared::Prepared`] of either
/// backend (which diesel caches).
macro_rules! bind_claim {
    ($query:expr, $c:expr) => {{
        let c: &NewClaim = $c;
        $query
            .bind::<Text, _>(c.id.to_string())
            .bind::<Text, _>(c.campaign.to_string())
            .bind::<Text, _>(c.gift.to_string())
            .bind::<Text, _>(c.member.to_string())
            .bind::<Integer, _>(c.slot as i32)
            .bind::<Integer, _>(c.gift_seq as i32)
            .bind::<Integer, _>(c.campaign_seq as i32)
            .bind::<Text, _>(c.voucher_code.clone())
            .bind::<Text, _>(c.request_key.clone())
            .bind::<Timestamp, _>(c.claimed_at.naive_utc())
            .bind::<Timestamp, _>(c.expires_at.naive_utc())
            .bind::<Text, _>(c.standing.consent_version.clone())
            .bind::<Text, _>(c.standing.union_codes.join(","))
            .bind::<Nullable<Timestamp>, _>(c.standing.joined_before.map(|t| t.naive_utc()))
            .bind::<Timestamp, _>(c.standing.token_issued_at.naive_utc())
    }};
}

const VALUES: ClaimValues<'static> = ClaimValues {
    slot: "$5",
    gift_seq: "$6",
    campaign_seq: "$7",
    claimed_at: "$10",
    standing: StandingValues {
        member: "$4",
        consent_version: "$12",
        union_codes: "$13",
        joined_before: "$14",
        token_issued_at: Some("$15"),
        needs_card: "k.cardholders_only",
        within: "k.scope_code",
    },
};

/// The claim, if it passes its guards and the member is in standing.
fn insert_claim(backend: Backend) -> String {
    format!(
        "INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq, voucher_code,
                             request_key, status, claimed_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10, $11
         FROM gifts g JOIN campaigns k ON k.id = g.campaign_id
         WHERE g.id = $3 AND {} AND {} {}",
        claim_guards(&VALUES),
        member_standing(backend, &VALUES.standing),
        match backend {
            Backend::Postgres => PG_CAMPAIGN_HELD,
            Backend::Sqlite => "",
        }
    )
}

static SQLITE_INSERT_CLAIM: LazyLock<String> = LazyLock::new(|| insert_claim(Backend::Sqlite));

static LEDGER_ROW: LazyLock<String> =
    LazyLock::new(|| insert_ledger_rows("$1", "$2") + " FROM gifts g WHERE g.id = $3");

static MEMBER_MAIL: LazyLock<String> = LazyLock::new(|| {
    let from = "FROM claims c JOIN members mb ON mb.id = c.member_id WHERE c.id = $3";
    insert_member_mail(Backend::Sqlite, "$1", "$2", "c.claimed_at", from)
});

static STAFF_MAIL: LazyLock<String> =
    LazyLock::new(|| insert_staff_alert(Backend::Sqlite, "$1", "$2", "$3", "FROM admin_users u WHERE TRUE"));

/// PostgreSQL: the claim, its ledger row and its mails in one statement, one round trip.
static PG_INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH c AS ({} RETURNING id, gift_id, member_id, claimed_at),
         l AS ({} FROM c JOIN gifts g ON g.id = c.gift_id),
         m AS ({}),
         a AS ({})
         SELECT count(*) AS n FROM c",
        insert_claim(Backend::Postgres),
        insert_ledger_rows("c.id", "c.claimed_at"),
        insert_member_mail(
            Backend::Postgres,
            "$16",
            "$17",
            "c.claimed_at",
            "FROM c JOIN members mb ON mb.id = c.member_id WHERE TRUE"
        ),
        insert_staff_alert(
            Backend::Postgres,
            "$18",
            "$19",
            "c.claimed_at",
            "FROM c CROSS JOIN admin_users u WHERE $20"
        ),
    )
});

pub(super) fn pg_insert(pg: &mut PgConnection, c: &NewClaim) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let alert = c.staff_alert.clone().unwrap_or(Notice { subject: String::new(), body: String::new() });
    bind_claim!(Prepared::new(&PG_INSERT), c)
        .bind::<Text, _>(c.confirmation.subject.clone())
        .bind::<Text, _>(c.confirmation.body.clone())
        .bind::<Text, _>(alert.subject)
        .bind::<Text, _>(alert.body)
        .bind::<diesel::sql_types::Bool, _>(c.staff_alert.is_some())
        .get_result::<Inserted>(pg)
        .map(|r| r.n)
}

/// SQLite: the same rows, statement by statement, in one immediate transaction.
pub(super) fn sqlite_insert(lite: &mut SqliteConnection, c: &NewClaim) -> QueryResult<i64> {
    lite.immediate_transaction(|lite| sqlite_rows(lite, c))
}

/// The claim's rows on SQLite, inside the caller's transaction; 0 when the claim was refused.
pub(super) fn sqlite_rows(lite: &mut SqliteConnection, c: &NewClaim) -> QueryResult<i64> {
    let n = bind_claim!(Prepared::<Sqlite>::new(&SQLITE_INSERT_CLAIM), c).execute(lite)?;
    if n == 0 {
        return Ok(0);
    }
    Prepared::<Sqlite>::new(&LEDGER_ROW)
        .bind::<Text, _>(c.id.to_string())
        .bind::<Timestamp, _>(c.claimed_at.naive_utc())
        .bind::<Text, _>(c.gift.to_string())
        .execute(lite)?;
    Prepared::<Sqlite>::new(&MEMBER_MAIL)
        .bind::<Text, _>(c.confirmation.subject.clone())
        .bind::<Text, _>(c.confirmation.body.clone())
        .bind::<Text, _>(c.id.to_string())
        .execute(lite)?;
    if let Some(alert) = &c.staff_alert {
        Prepared::<Sqlite>::new(&STAFF_MAIL)
            .bind::<Text, _>(alert.subject.clone())
            .bind::<Text, _>(alert.body.clone())
            .bind::<Timestamp, _>(c.claimed_at.naive_utc())
            .execute(lite)?;
    }
    Ok(1)
}
