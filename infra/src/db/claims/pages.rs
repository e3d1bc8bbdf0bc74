//! Members' voucher pages read together. Before an opening every member refreshes their vouchers;
//! one read each would pay, per page, a hand-off to a blocking thread and back and a PostgreSQL
//! round trip, both far dearer than the few index entries read. Reader threads each take whatever
//! pages are waiting (see [`Gathered`]) and read them in one go: on PostgreSQL one statement with
//! a lateral index scan per page, on SQLite (in process, no round trip) the single-page query once
//! per page on one connection.

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};

use super::super::gathered::Gathered;
use super::super::prepared::Prepared;
use super::super::schema::{claims, gifts};
use super::super::{Database, DbConn};
use super::{ClaimRow, CLAIM_COLUMNS};
use crate::unavailable::Unavailable;

/// The most pages one read carries.
const MAX_BATCH: usize = 64;

/// One page per unnested row, each an index scan on (member_id, id) from its cursor down.
const PAGES: &str = "
    SELECT q.n AS request, c.id, c.slot, c.campaign_id, c.gift_id, c.gift_name, c.voucher_code, c.status,
           c.claimed_at, c.expires_at
    FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS q (member_id, before_id, take, n)
    CROSS JOIN LATERAL (
        SELECT cl.id, cl.slot, cl.campaign_id, cl.gift_id, g.name AS gift_name, cl.voucher_code, cl.status,
               cl.claimed_at, cl.expires_at
        FROM claims cl JOIN gifts g ON g.id = cl.gift_id
        WHERE cl.member_id = q.member_id AND cl.id < q.before_id
        ORDER BY cl.id DESC
        LIMIT q.take) c
    ORDER BY q.n, c.id DESC";

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = BigInt)]
    request: i64,
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Integer)]
    slot: i32,
    #[diesel(sql_type = Text)]
    campaign_id: String,
    #[diesel(sql_type = Text)]
    gift_id: String,
    #[diesel(sql_type = Text)]
    gift_name: String,
    #[diesel(sql_type = Text)]
    voucher_code: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    claimed_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    expires_at: NaiveDateTime,
}

/// One member's page: newest first, below `before`, at most `take` rows.
pub struct PageRequest {
    pub member: String,
    pub before: String,
    pub take: i32,
}

/// The queue in front of the reader threads. The threads end when the last handle is dropped.
#[derive(Clone)]
pub struct PageReader {
    readers: Gathered<PageRequest, anyhow::Result<Vec<ClaimRow>>>,
}

impl PageReader {
    pub fn start(db: Database, readers: usize) -> Self {
        let read = move |pages: &[PageRequest]| {
            let rows = db.blocking(|conn| match conn {
                DbConn::Pg(pg) => Ok(pg_pages(pg, pages)?),
                DbConn::Sqlite(lite) => {
                    Ok(pages.iter().map(|page| one_page(lite, page)).collect::<QueryResult<_>>()?)
                }
            })?;
            Ok(rows.into_iter().map(Ok).collect())
        };
        // Every page gets the error; an outage stays an outage (a 503) for each.
        let failed = |e: &anyhow::Error| {
            if e.chain().any(|cause| cause.is::<Unavailable>()) {
                Err(anyhow::Error::new(Unavailable("the database")).context(format!("{e:#}")))
            } else {
                Err(anyhow::anyhow!("{e:#}"))
            }
        };
        Self { readers: Gathered::start("page-reader", "voucher_page_batch_size", readers, MAX_BATCH, read, failed) }
    }

    pub async fn page(&self, page: PageRequest) -> anyhow::Result<Vec<ClaimRow>> {
        self.readers.ask(page).await?
    }
}

/// All the pages in one statement; the rows of page `i` come back in the `i`th list.
fn pg_pages(pg: &mut PgConnection, pages: &[PageRequest]) -> QueryResult<Vec<Vec<ClaimRow>>> {
    let rows: Vec<PageRow> = Prepared::new(PAGES)
        .bind::<Array<Text>, _>(pages.iter().map(|p| p.member.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(pages.iter().map(|p| p.before.clone()).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(pages.iter().map(|p| p.take).collect::<Vec<_>>())
        .load(pg)?;
    let mut out: Vec<Vec<ClaimRow>> = vec![Vec::new(); pages.len()];
    for r in rows {
        // `WITH ORDINALITY` counts from 1.
        let page = usize::try_from(r.request - 1).ok().and_then(|i| out.get_mut(i));
        let page =
            page.ok_or_else(|| diesel::result::Error::DeserializationError("page number out of range".into()))?;
        page.push((
            r.id,
            r.slot,
            r.campaign_id,
            r.gift_id,
            r.gift_name,
            r.voucher_code,
            r.status,
            r.claimed_at,
            r.expires_at,
        ));
    }
    Ok(out)
}

fn one_page(conn: &mut diesel::sqlite::SqliteConnection, page: &PageRequest) -> QueryResult<Vec<ClaimRow>> {
    claims::table
        .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
        .select(CLAIM_COLUMNS)
        .filter(claims::member_id.eq(&page.member))
        .filter(claims::id.lt(&page.before))
        .order(claims::id.desc())
        .limit(i64::from(page.take))
        .load(conn)
}
