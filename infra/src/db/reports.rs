//! The campaign report, computed from claims and the ledger in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::DbConn;
use domain::campaigns::report::{CampaignReport, Counts, FunderLine, GiftLine, Timeline, UnionLine};
use domain::shared::money::Fen;

// Placeholders appear in numeric order: SQLite numbers `$n` parameters by first appearance.
const BY_GIFT: &str = "
    SELECT g.id AS key, g.name AS name, g.stock AS stock,
           COUNT(c.id) AS claimed,
           CAST(COALESCE(SUM(CASE WHEN c.status = 'redeemed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS redeemed,
           CAST(COALESCE(SUM(CASE WHEN c.status = 'issued' AND c.expires_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS expired,
           CAST(COALESCE(SUM(CASE WHEN c.status = 'voided' THEN 1 ELSE 0 END), 0) AS BIGINT) AS voided,
           CAST((SELECT COALESCE(SUM(l.amount_fen), 0) FROM ledger l WHERE l.gift_id = g.id) AS BIGINT) AS spent
    FROM gifts g LEFT JOIN claims c ON c.gift_id = g.id
    WHERE g.campaign_id = $2
    GROUP BY g.id, g.name, g.stock
    ORDER BY g.name, g.id";

const BY_UNION: &str = "
    SELECT COALESCE(r.union_org_code, '') AS key, COALESCE(r.union_org_name, '') AS name, 0 AS stock,
           COUNT(c.id) AS claimed,
           CAST(SUM(CASE WHEN c.status = 'redeemed' THEN 1 ELSE 0 END) AS BIGINT) AS redeemed,
           CAST(SUM(CASE WHEN c.status = 'issued' AND c.expires_at <= $1 THEN 1 ELSE 0 END) AS BIGINT) AS expired,
           CAST(SUM(CASE WHEN c.status = 'voided' THEN 1 ELSE 0 END) AS BIGINT) AS voided,
           CAST(0 AS BIGINT) AS spent
    FROM claims c JOIN members m ON m.id = c.member_id LEFT JOIN roster r ON r.id_index = m.id_index
    WHERE c.campaign_id = $2
    GROUP BY COALESCE(r.union_org_code, ''), COALESCE(r.union_org_name, '')
    ORDER BY 1";

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    stock: i32,
    #[diesel(sql_type = BigInt)]
    claimed: i64,
    #[diesel(sql_type = BigInt)]
    redeemed: i64,
    #[diesel(sql_type = BigInt)]
    expired: i64,
    #[diesel(sql_type = BigInt)]
    voided: i64,
    #[diesel(sql_type = BigInt)]
    spent: i64,
}

impl Line {
    fn counts(&self) -> Counts {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Counts {
            claimed: n(self.claimed),
            redeemed: n(self.redeemed),
            expired: n(self.expired),
            voided: n(self.voided),
        }
    }
}

/// Claims per minute of a campaign, each backend truncating in its own dialect.
const BY_MINUTE_PG: &str = "
    SELECT date_trunc('minute', claimed_at) AS minute, COUNT(*) AS claimed
    FROM claims WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1";
const BY_MINUTE_SQLITE: &str = "
    SELECT strftime('%Y-%m-%d %H:%M:00', claimed_at) AS minute, COUNT(*) AS claimed
    FROM claims WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1";

#[derive(QueryableByName)]
struct Minute {
    #[diesel(sql_type = Timestamp)]
    minute: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    claimed: i64,
}

#[derive(QueryableByName)]
struct Money {
    #[diesel(sql_type = Text)]
    funder: String,
    #[diesel(sql_type = BigInt)]
    spent: i64,
}

pub(crate) fn campaign_report(
    conn: &mut DbConn,
    campaign: &str,
    budget: i64,
    now: NaiveDateTime,
) -> anyhow::Result<CampaignReport> {
    let lines = |sql: &'static str, conn: &mut DbConn| {
        diesel::sql_query(sql).bind::<Timestamp, _>(now).bind::<Text, _>(campaign).load::<Line>(conn)
    };
    let gifts = lines(BY_GIFT, conn)?
        .into_iter()
        .map(|l| GiftLine {
            counts: l.counts(),
            gift_id: l.key,
            name: l.name,
            stock: u32::try_from(l.stock).unwrap_or(0),
            spent: Fen::new(l.spent),
        })
        .collect();
    let unions = lines(BY_UNION, conn)?
        .into_iter()
        .map(|l| UnionLine { counts: l.counts(), union_org_code: l.key, union_org_name: l.name })
        .collect();
    let funders: Vec<FunderLine> = diesel::sql_query(
        "SELECT funder, CAST(SUM(amount_fen) AS BIGINT) AS spent FROM ledger WHERE campaign_id = $1 GROUP BY funder ORDER BY funder",
    )
    .bind::<Text, _>(campaign)
    .load::<Money>(conn)?
    .into_iter()
    .map(|m| FunderLine { funder: m.funder, spent: Fen::new(m.spent) })
    .collect();
    let spent = funders.iter().map(|f| f.spent.get()).sum();
    let by_minute = if matches!(conn, DbConn::Pg(_)) { BY_MINUTE_PG } else { BY_MINUTE_SQLITE };
    let minutes: Vec<_> = diesel::sql_query(by_minute)
        .bind::<Text, _>(campaign)
        .load::<Minute>(conn)?
        .into_iter()
        .map(|m| (m.minute.and_utc(), u64::try_from(m.claimed).unwrap_or(0)))
        .collect();
    let timeline = Timeline::of_minutes(&minutes);
    Ok(CampaignReport { budget: Fen::new(budget), spent: Fen::new(spent), gifts, unions, funders, timeline })
}
