//! The database-only mode (`SGH_INVENTORY_GATE=off`): a counter on the gift row decides, and the
//! claim goes in with the counter's new value as its slot.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
use diesel::sqlite::SqliteConnection;

use std::sync::LazyLock;

use super::super::prepared::Prepared;
use super::super::schema::{claims, gifts};
use super::super::Backend;
use super::single::sqlite_rows;
use super::sql::PG_CAMPAIGN_HELD;
use super::sql::{insert_ledger_rows, insert_member_mail, insert_staff_alert, member_standing, StandingValues};
use domain::campaigns::model::CampaignState;
use domain::campaigns::ports::CountedClaim;

/// The member and the standing the campaign requires, as the counted statements bind them.
const STANDING: StandingValues<'static> = StandingValues {
    member: "$4",
    consent_version: "$20",
    union_codes: "$21",
    joined_before: "$22",
    token_issued_at: Some("$23"),
    needs_card: "(SELECT cardholders_only FROM campaigns WHERE id = $2)",
    within: "(SELECT scope_code FROM campaigns WHERE id = $2)",
};

/// PostgreSQL, database-only mode: the counter on the gift row, the claim, its ledger row and its
/// mails in one statement. Every granted claim of a gift queues on that row's lock: this is the
/// baseline the gate is measured against. The campaign row is held (and its state read again
/// under the hold) only by a claim that took a slot: the many refused in a flood would otherwise
/// all queue for it, costing the flood a fifth of its rate (docs/benchmarks.md). A cancel landing
/// between the two reads leaves the slot counted and unclaimed, in a campaign that takes no more.
static PG_COUNTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
    WITH k AS (SELECT 1 FROM campaigns
               WHERE id = $2 AND state = 'published' AND starts_at <= $7 AND $7 < ends_at),
         s AS (SELECT {standing} AS ok),
         n AS (SELECT count(*) FILTER (WHERE gift_id = $3) AS gift_n, count(*) AS campaign_n,
                      coalesce(max(gift_seq) FILTER (WHERE gift_id = $3), 0) AS gift_top,
                      coalesce(max(campaign_seq), 0) AS campaign_top
               FROM claims WHERE campaign_id = $2 AND member_id = $4),
         u AS (UPDATE gifts SET claimed = claimed + 1
               WHERE id = $3 AND claimed < $9 AND EXISTS (SELECT 1 FROM k) AND (SELECT ok FROM s)
                 AND (SELECT gift_n FROM n) < $10 AND (SELECT campaign_n FROM n) < $11
               RETURNING claimed),
         ins AS (INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq,
                                     voucher_code, request_key, status, claimed_at, expires_at)
                 SELECT $1, $2, $3, $4, u.claimed, n.gift_top + 1, n.campaign_top + 1, $5, $6, 'issued', $7, $8
                 FROM u CROSS JOIN n JOIN campaigns k ON k.id = $2 AND k.state = 'published' {held}
                 RETURNING id, gift_id, slot, gift_seq, campaign_seq, member_id, claimed_at),
         l AS ({ledger} FROM ins JOIN gifts g ON g.id = ins.gift_id),
         m AS ({member_mail}),
         a AS ({staff_alert})
    SELECT (SELECT slot FROM ins) AS slot, (SELECT gift_seq FROM ins) AS gift_seq,
           (SELECT campaign_seq FROM ins) AS campaign_seq, EXISTS (SELECT 1 FROM k) AS open,
           (SELECT ok FROM s) AS standing,
           (SELECT gift_n FROM n) AS gift_n, (SELECT campaign_n FROM n) AS campaign_n,
           EXISTS (SELECT 1 FROM claims WHERE request_key = $6) AS known",
        standing = member_standing(Backend::Postgres, &STANDING),
        held = PG_CAMPAIGN_HELD,
        ledger = insert_ledger_rows("ins.id", "ins.claimed_at"),
        member_mail = insert_member_mail(
            Backend::Postgres,
            "$12",
            "$13",
            "ins.claimed_at",
            "FROM ins JOIN members mb ON mb.id = ins.member_id WHERE TRUE"
        ),
        // The two slots that alert (low stock, sold out) with their texts; no other slot matches.
        staff_alert = insert_staff_alert(
            Backend::Postgres,
            "x.subject",
            "x.body",
            "ins.claimed_at",
            "FROM ins JOIN (VALUES ($14::int, $15::text, $16::text), ($17::int, $18::text, $19::text))
                       AS x (slot, subject, body) ON x.slot = ins.slot
             CROSS JOIN admin_users u WHERE TRUE"
        ),
    )
});

/// SQLite: whether the member is in standing, on its own (`$1`…`$4`).
static SQLITE_STANDING: LazyLock<String> = LazyLock::new(|| {
    let standing = StandingValues {
        member: "$1",
        consent_version: "$2",
        union_codes: "$3",
        joined_before: "$4",
        token_issued_at: Some("$5"),
        needs_card: "(SELECT cardholders_only FROM campaigns WHERE id = $6)",
        within: "(SELECT scope_code FROM campaigns WHERE id = $6)",
    };
    format!("SELECT {} AS ok", member_standing(Backend::Sqlite, &standing))
});

/// What a counted claim statement saw: the slot it took, if any, and why not otherwise.
#[derive(QueryableByName, Default)]
pub(super) struct CountedRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    pub(super) slot: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    pub(super) gift_seq: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    pub(super) campaign_seq: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub(super) open: bool,
    /// The member is in standing (see [`super::sql::member_standing`]).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub(super) standing: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(super) gift_n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(super) campaign_n: i64,
    /// The request was stored before: a retry, answered with its claim whatever else changed.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub(super) known: bool,
}

pub(super) fn pg_counted(pg: &mut PgConnection, c: &CountedClaim) -> QueryResult<CountedRow> {
    let alert = |i: usize| {
        c.alerts
            .get(i)
            .map_or((0, String::new(), String::new()), |(slot, n)| (*slot as i32, n.subject.clone(), n.body.clone()))
    };
    let (a1, a2) = (alert(0), alert(1));
    let claim = &c.claim;
    Prepared::new(&PG_COUNTED)
        .bind::<Text, _>(claim.id.to_string())
        .bind::<Text, _>(claim.campaign.to_string())
        .bind::<Text, _>(claim.gift.to_string())
        .bind::<Text, _>(claim.member.to_string())
        .bind::<Text, _>(claim.voucher_code.clone())
        .bind::<Text, _>(claim.request_key.clone())
        .bind::<Timestamp, _>(claim.claimed_at.naive_utc())
        .bind::<Timestamp, _>(claim.expires_at.naive_utc())
        .bind::<Integer, _>(c.released as i32)
        .bind::<diesel::sql_types::BigInt, _>(i64::from(c.gift_limit))
        .bind::<diesel::sql_types::BigInt, _>(i64::from(c.campaign_limit))
        .bind::<Text, _>(claim.confirmation.subject.clone())
        .bind::<Text, _>(claim.confirmation.body.clone())
        .bind::<Integer, _>(a1.0)
        .bind::<Text, _>(a1.1)
        .bind::<Text, _>(a1.2)
        .bind::<Integer, _>(a2.0)
        .bind::<Text, _>(a2.1)
        .bind::<Text, _>(a2.2)
        .bind::<Text, _>(claim.standing.consent_version.clone())
        .bind::<Text, _>(claim.standing.union_codes.join(","))
        .bind::<Nullable<Timestamp>, _>(claim.standing.joined_before.map(|t| t.naive_utc()))
        .bind::<Timestamp, _>(claim.standing.token_issued_at.naive_utc())
        .get_result(pg)
}

/// SQLite, database-only mode: the same decisions step by step in one immediate transaction
/// (SQLite has one writer anyway).
pub(super) fn sqlite_counted(lite: &mut SqliteConnection, c: &CountedClaim) -> QueryResult<CountedRow> {
    use super::super::schema::campaigns;
    lite.immediate_transaction(|lite| {
        let claim = &c.claim;
        let at = claim.claimed_at.naive_utc();
        let open = campaigns::table
            .filter(campaigns::id.eq(claim.campaign.to_string()))
            .filter(campaigns::state.eq(CampaignState::Published.as_str()))
            .filter(campaigns::starts_at.le(at))
            .filter(campaigns::ends_at.gt(at))
            .count()
            .get_result::<i64>(lite)?
            > 0;
        let held: Vec<(String, i32, i32)> = claims::table
            .filter(claims::campaign_id.eq(claim.campaign.to_string()))
            .filter(claims::member_id.eq(claim.member.to_string()))
            .select((claims::gift_id, claims::gift_seq, claims::campaign_seq))
            .load(lite)?;
        let gift_id = claim.gift.to_string();
        let gift_n = held.iter().filter(|(g, _, _)| *g == gift_id).count() as i64;
        let campaign_n = held.len() as i64;
        // The next sequences follow the highest taken, not the count: a gap left by a voided or
        // given-back claim must not make every later claim collide.
        let gift_top = held.iter().filter(|(g, _, _)| *g == gift_id).map(|h| h.1).max().unwrap_or(0);
        let campaign_top = held.iter().map(|h| h.2).max().unwrap_or(0);
        let known =
            claims::table.filter(claims::request_key.eq(&claim.request_key)).count().get_result::<i64>(lite)? > 0;
        #[derive(QueryableByName)]
        struct Standing {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ok: bool,
        }
        let standing = Prepared::<diesel::sqlite::Sqlite>::new(&SQLITE_STANDING)
            .bind::<Text, _>(claim.member.to_string())
            .bind::<Text, _>(claim.standing.consent_version.clone())
            .bind::<Text, _>(claim.standing.union_codes.join(","))
            .bind::<Nullable<Timestamp>, _>(claim.standing.joined_before.map(|t| t.naive_utc()))
            .bind::<Timestamp, _>(claim.standing.token_issued_at.naive_utc())
            .bind::<Text, _>(claim.campaign.to_string())
            .get_result::<Standing>(lite)?
            .ok;
        let mut row = CountedRow { open, standing, gift_n, campaign_n, known, ..CountedRow::default() };
        let over = gift_n >= i64::from(c.gift_limit) || campaign_n >= i64::from(c.campaign_limit);
        if known || !open || !standing || over {
            return Ok(row);
        }
        let slot: Option<i32> =
            diesel::update(gifts::table.find(&gift_id).filter(gifts::claimed.lt(c.released as i32)))
                .set(gifts::claimed.eq(gifts::claimed + 1))
                .returning(gifts::claimed)
                .get_result(lite)
                .optional()?;
        let Some(slot) = slot else { return Ok(row) };
        let mut new = claim.clone();
        new.slot = slot as u32;
        new.gift_seq = gift_top as u32 + 1;
        new.campaign_seq = campaign_top as u32 + 1;
        new.staff_alert = c.alerts.iter().find(|(s, _)| *s == new.slot).map(|(_, n)| n.clone());
        if sqlite_rows(lite, &new)? == 0 {
            // Every condition of the insert was checked above in this transaction: a refusal now
            // is a bug, and rolling back keeps the counter where it was.
            return Err(diesel::result::Error::QueryBuilderError(
                "the claim insert refused a claim that passed every check".into(),
            ));
        }
        row.slot = Some(slot);
        row.gift_seq = Some(new.gift_seq as i32);
        row.campaign_seq = Some(new.campaign_seq as i32);
        Ok(row)
    })
}
