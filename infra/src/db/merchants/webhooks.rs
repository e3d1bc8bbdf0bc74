use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::super::jobs::{record, Row, COLUMNS};
use super::super::schema::{jobs, merchants};
use super::super::DbConn;
use super::DbMerchants;
use domain::jobs::JobKind;
use domain::merchants::webhook::{DeliveryRecord, WebhookEndpoints, Webhooks};
use domain::merchants::MerchantId;
use domain::shared::{Page, PageRequest};

/// Queues an event for the merchant, inside the caller's transaction, if it has an endpoint.
const ENQUEUE: &str = "INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at, owner)
     SELECT 'webhook', $1, 'pending', 0, $2, $2, m.id FROM merchants m WHERE m.id = $3 AND m.webhook_url IS NOT NULL";

pub(super) fn enqueue_event(conn: &mut DbConn, merchant: &str, payload: String, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::sql_query(ENQUEUE)
        .bind::<Text, _>(payload)
        .bind::<Timestamp, _>(now.naive_utc())
        .bind::<Text, _>(merchant)
        .execute(conn)
        .map(drop)
}

fn delivery((row, payload): (Row, String)) -> anyhow::Result<DeliveryRecord> {
    let v: serde_json::Value = serde_json::from_str(&payload)?;
    Ok(DeliveryRecord {
        job: record(row)?,
        event_id: v["event_id"].as_str().unwrap_or_default().to_owned(),
        event_type: v["type"].as_str().unwrap_or_default().to_owned(),
    })
}

impl WebhookEndpoints for DbMerchants {
    async fn endpoint(&self, merchant: MerchantId) -> anyhow::Result<Option<String>> {
        let url: Option<Option<String>> = self
            .db
            .run(move |conn| {
                merchants::table
                    .find(merchant.to_string())
                    .select(merchants::webhook_url)
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(url.flatten())
    }
}

impl Webhooks for DbMerchants {
    async fn set_endpoint(&self, merchant: MerchantId, url: Option<String>) -> anyhow::Result<()> {
        self.db
            .write(move |conn| {
                diesel::update(merchants::table.find(merchant.to_string()))
                    .set(merchants::webhook_url.eq(url))
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(())
    }

    async fn deliveries(&self, merchant: MerchantId, page: PageRequest) -> anyhow::Result<Page<DeliveryRecord>> {
        let limit = page.limit;
        let rows: Vec<(Row, String)> = self
            .db
            .run(move |conn| {
                let mut query = jobs::table
                    .filter(jobs::owner.eq(merchant.to_string()))
                    .filter(jobs::kind.eq(JobKind::Webhook.as_str()))
                    .order(jobs::id.desc())
                    .limit(i64::from(limit.get()) + 1)
                    .select((COLUMNS, jobs::payload))
                    .into_boxed();
                if let Some(after) = page.after {
                    query = query.filter(jobs::id.lt(after.key()));
                }
                query.load(conn).map_err(anyhow::Error::from)
            })
            .await?;
        let page = Page::from_overfetch(rows, limit, |(row, _)| row.0);
        let items = page.items.into_iter().map(delivery).collect::<anyhow::Result<_>>()?;
        Ok(Page { items, next: page.next })
    }

    async fn resend(
        &self,
        merchant: MerchantId,
        id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DeliveryRecord>> {
        let row: Option<(Row, String)> = self
            .db
            .transaction(move |conn| {
                let mine = jobs::table
                    .filter(jobs::id.eq(id))
                    .filter(jobs::owner.eq(merchant.to_string()))
                    .filter(jobs::kind.eq(JobKind::Webhook.as_str()));
                let n = diesel::update(mine)
                    .set((
                        jobs::state.eq("pending"),
                        jobs::attempts.eq(0),
                        jobs::next_attempt_at.eq(now.naive_utc()),
                        jobs::leased_until.eq(None::<chrono::NaiveDateTime>),
                        jobs::finished_at.eq(None::<chrono::NaiveDateTime>),
                    ))
                    .execute(conn)?;
                if n == 0 {
                    return Ok(None);
                }
                jobs::table
                    .find(id)
                    .select((COLUMNS, jobs::payload))
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(delivery).transpose()
    }
}
