use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::super::jobs::{record, Row, COLUMNS};
use super::super::schema::{jobs, merchants};
use super::super::{audit, DbConn};
use super::DbMerchants;
use domain::admin::NewAuditEntry;
use domain::jobs::JobKind;
use domain::merchants::webhook::{DeliveryRecord, Endpoint, WebhookEndpoints, WebhookSecret, Webhooks};
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

type EndpointRow = (Option<String>, Option<String>, Option<String>, Option<NaiveDateTime>);

impl WebhookEndpoints for DbMerchants {
    async fn endpoint(&self, merchant: MerchantId, now: DateTime<Utc>) -> anyhow::Result<Option<Endpoint>> {
        let row: Option<EndpointRow> = self
            .db
            .run(move |conn| {
                merchants::table
                    .find(merchant.to_string())
                    .select((
                        merchants::webhook_url,
                        merchants::webhook_secret_cipher,
                        merchants::webhook_previous_secret_cipher,
                        merchants::webhook_previous_until,
                    ))
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        let Some((Some(url), current, previous, until)) = row else { return Ok(None) };
        let overlapping = until.is_some_and(|until| until > now.naive_utc());
        let sealed = current.into_iter().chain(previous.filter(|_| overlapping));
        let secrets = sealed
            .map(|s| {
                let opened = self.crypto.open(&s)?;
                WebhookSecret::parse(&opened).ok_or_else(|| anyhow::anyhow!("a stored webhook secret is malformed"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Some(Endpoint { url, secrets }))
    }
}

impl Webhooks for DbMerchants {
    async fn set_endpoint(
        &self,
        merchant: MerchantId,
        url: Option<String>,
        fresh: WebhookSecret,
    ) -> anyhow::Result<Option<WebhookSecret>> {
        let sealed = self.crypto.seal(fresh.as_str());
        let issued = self
            .db
            .transaction(move |conn| {
                let row = merchants::table.find(merchant.to_string());
                let Some(url) = url else {
                    diesel::update(row)
                        .set((
                            merchants::webhook_url.eq(None::<String>),
                            merchants::webhook_secret_cipher.eq(None::<String>),
                            merchants::webhook_previous_secret_cipher.eq(None::<String>),
                            merchants::webhook_previous_until.eq(None::<NaiveDateTime>),
                        ))
                        .execute(conn)?;
                    return Ok::<_, anyhow::Error>(false);
                };
                // A secret is issued once, to the first request that finds none.
                let issued = diesel::update(row.clone().filter(merchants::webhook_secret_cipher.is_null()))
                    .set((merchants::webhook_url.eq(&url), merchants::webhook_secret_cipher.eq(&sealed)))
                    .execute(conn)?
                    == 1;
                if !issued {
                    diesel::update(row).set(merchants::webhook_url.eq(&url)).execute(conn)?;
                }
                Ok(issued)
            })
            .await?;
        Ok(issued.then_some(fresh))
    }

    async fn rotate_secret(
        &self,
        merchant: MerchantId,
        fresh: WebhookSecret,
        overlap_until: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let sealed = self.crypto.seal(fresh.as_str());
        let rotated = self
            .db
            .write(move |conn| {
                let row = merchants::table.find(merchant.to_string()).filter(merchants::webhook_url.is_not_null());
                // The replaced secret is the row's own, moved in the same statement: two rotations
                // at once leave the later one's predecessor signing, never a secret nobody holds.
                diesel::update(row)
                    .set((
                        merchants::webhook_previous_secret_cipher.eq(merchants::webhook_secret_cipher),
                        merchants::webhook_previous_until.eq(overlap_until.naive_utc()),
                        merchants::webhook_secret_cipher.eq(sealed),
                    ))
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(rotated == 1)
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

    async fn queue_test(
        &self,
        merchant: MerchantId,
        payload: String,
        now: DateTime<Utc>,
        entry: NewAuditEntry,
    ) -> anyhow::Result<Option<DeliveryRecord>> {
        let row: Option<(Row, String)> = self
            .db
            .transaction(move |conn| {
                let owner = merchant.to_string();
                let url: Option<Option<String>> =
                    merchants::table.find(&owner).select(merchants::webhook_url).first(conn).optional()?;
                if !matches!(url, Some(Some(_))) {
                    return Ok::<_, anyhow::Error>(None);
                }
                let id: i64 = diesel::insert_into(jobs::table)
                    .values((
                        jobs::kind.eq(JobKind::Webhook.as_str()),
                        jobs::payload.eq(payload),
                        jobs::state.eq("pending"),
                        jobs::attempts.eq(0),
                        jobs::next_attempt_at.eq(now.naive_utc()),
                        jobs::created_at.eq(now.naive_utc()),
                        jobs::owner.eq(&owner),
                    ))
                    .returning(jobs::id)
                    .get_result(conn)?;
                audit::append(conn, entry)?;
                Ok(Some(jobs::table.find(id).select((COLUMNS, jobs::payload)).first(conn)?))
            })
            .await?;
        row.map(delivery).transpose()
    }
}
