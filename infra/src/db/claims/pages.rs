//! Members' voucher pages read together. Before an opening every member refreshes their vouchers;
//! one read each would pay, per page, a hand-off to a blocking thread and back and a PostgreSQL
//! round trip, both far dearer than the few index entries read. Reader threads each take whatever
//! pages are waiting (no added delay: one waiting page goes alone) and read them in one go: on
//! PostgreSQL one statement with a lateral index scan per page, on SQLite (in process, no round
//! trip) the single-page query once per page on one connection.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamp};
use tokio::sync::oneshot;

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
#[derive(Clone)]
pub struct PageRequest {
    pub member: String,
    pub before: String,
    pub take: i32,
}

struct Pending {
    page: PageRequest,
    reply: oneshot::Sender<anyhow::Result<Vec<ClaimRow>>>,
}

/// The queue in front of the reader threads. The threads end when the last handle is dropped.
#[derive(Clone)]
pub struct PageReader {
    queue: Sender<Pending>,
}

impl PageReader {
    pub fn start(db: Database, readers: usize) -> Self {
        let (queue, waiting) = mpsc::channel();
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..readers.max(1) {
            let (db, waiting) = (db.clone(), waiting.clone());
            std::thread::Builder::new()
                .name(format!("page-reader-{n}"))
                .spawn(move || read_loop(&db, &waiting))
                .expect("a page reader thread starts");
        }
        Self { queue }
    }

    pub async fn page(&self, page: PageRequest) -> anyhow::Result<Vec<ClaimRow>> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { page, reply }).map_err(|_| anyhow::anyhow!("page readers stopped"))?;
        answer.await.map_err(|_| anyhow::anyhow!("page reader gave no answer"))?
    }
}

fn read_loop(db: &Database, waiting: &Mutex<Receiver<Pending>>) {
    loop {
        let batch = {
            let queue = waiting.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = queue.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        let pages: Vec<PageRequest> = batch.iter().map(|p| p.page.clone()).collect();
        // A panic must not take the reader (and with the last one, every page) down with it.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            db.blocking(|conn| match conn {
                DbConn::Pg(pg) => Ok(pg_pages(pg, &pages)?),
                DbConn::Sqlite(lite) => {
                    Ok(pages.iter().map(|page| one_page(lite, page)).collect::<QueryResult<Vec<_>>>()?)
                }
            })
        }))
        .unwrap_or_else(|_| Err(anyhow::anyhow!("page reader panicked")));
        metrics::histogram!("voucher_page_batch_size").record(batch.len() as f64);
        match read {
            Ok(rows) => {
                for (p, rows) in batch.into_iter().zip(rows) {
                    let _ = p.reply.send(Ok(rows));
                }
            }
            Err(e) => {
                // Every page gets the error; an outage stays an outage (a 503) for each.
                let outage = e.chain().any(|cause| cause.is::<Unavailable>());
                for p in batch {
                    let error = if outage {
                        anyhow::Error::new(Unavailable("the database")).context(format!("{e:#}"))
                    } else {
                        anyhow::anyhow!("{e:#}")
                    };
                    let _ = p.reply.send(Err(error));
                }
            }
        }
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
