//! Webhooks to merchants in the Standard Webhooks format: an event per sale, reversal and voucher
//! redemption, queued in the jobs outbox in the transaction of the change, delivered at least once
//! on the Standard Webhooks retry schedule.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::future::Future;

use super::model::MerchantId;
use super::sale::Sale;
use crate::jobs::{Job, JobFailure, JobHandler, JobKind};
use crate::shared::Clock;

/// What happened, as the event's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    SaleRecorded,
    SaleReversed,
    VoucherRedeemed,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SaleRecorded => "sale.recorded",
            EventType::SaleReversed => "sale.reversed",
            EventType::VoucherRedeemed => "voucher.redeemed",
        }
    }
}

/// The delays before the 2nd … 8th attempt, as Standard Webhooks recommends: about 27 hours in
/// all, after which the delivery is dead (and can be re-sent).
pub const SCHEDULE_SECS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];

/// When to try again after `attempts` failed attempts; `None` once the schedule is spent.
pub fn next_attempt(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let delay = SCHEDULE_SECS.get(attempts.checked_sub(1)? as usize)?;
    Some(now + Duration::seconds(*delay))
}

/// A queued event: the job payload, kept exactly so every attempt sends the same bytes.
pub fn payload(merchant: MerchantId, event: EventType, at: DateTime<Utc>, data: Value) -> String {
    json!({
        "merchant_id": merchant.to_string(),
        "event_id": format!("msg_{}", uuid::Uuid::now_v7().simple()),
        "type": event.as_str(),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string()
}

/// A sale as events carry it.
pub fn sale_data(sale: &Sale) -> Value {
    json!({
        "sale_id": sale.id.to_string(),
        "store_id": sale.store.to_string(),
        "offer_id": sale.offer.to_string(),
        "member_ref": sale.member_ref.as_str(),
        "original_fen": sale.priced.original.get(),
        "discount_fen": sale.priced.discount.get(),
        "paid_fen": sale.priced.to_pay.get(),
        "till_ref": sale.till_ref,
        "channel": sale.channel,
        "sale_day": sale.day.to_string(),
        "reversed_at": sale.reversed_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

/// An event ready to send: its id, and the body every attempt posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub merchant: MerchantId,
    pub event_id: String,
    pub body: String,
}

impl Delivery {
    pub fn from_payload(payload: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(payload).map_err(|e| format!("webhook payload unreadable: {e}"))?;
        let text = |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(|| format!("webhook payload lacks {k}"));
        let merchant = text("merchant_id")?.parse().map_err(|_| "webhook payload has a bad merchant id".to_owned())?;
        let body = json!({"type": v["type"], "timestamp": v["timestamp"], "data": v["data"]}).to_string();
        Ok(Self { merchant: MerchantId(merchant), event_id: text("event_id")?, body })
    }
}

/// Why an attempt did not land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// No answer: refused, timed out, reset.
    Unreachable(String),
    /// An answer other than 2xx.
    Status(u16),
}

pub trait WebhookSender: Send + Sync + 'static {
    /// Posts `body` to `url` signed for `event_id` at `at` (Standard Webhooks headers).
    fn post(
        &self,
        url: &str,
        event_id: &str,
        at: DateTime<Utc>,
        body: &str,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;
}

pub trait WebhookEndpoints: Send + Sync + 'static {
    /// The merchant's endpoint now: it may have changed since the event was queued.
    fn endpoint(&self, merchant: MerchantId) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;
}

/// A delivery as the merchant sees it in its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub job: crate::jobs::JobRecord,
    pub event_id: String,
    pub event_type: String,
}

/// Merchants' endpoints and their deliveries.
pub trait Webhooks: WebhookEndpoints {
    fn set_endpoint(
        &self,
        merchant: MerchantId,
        url: Option<String>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// The merchant's deliveries, newest first.
    fn deliveries(
        &self,
        merchant: MerchantId,
        page: crate::shared::PageRequest,
    ) -> impl Future<Output = anyhow::Result<crate::shared::Page<DeliveryRecord>>> + Send;
    /// Queues the merchant's delivery `id` again, due at `now` with a fresh schedule, whatever
    /// became of it; `None` when the merchant has no such delivery.
    fn resend(
        &self,
        merchant: MerchantId,
        id: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Option<DeliveryRecord>>> + Send;
}

/// Carries out `webhook` jobs.
pub struct WebhookJobs<E, S, C> {
    pub endpoints: E,
    pub sender: S,
    pub clock: C,
}

impl<E: WebhookEndpoints, S: WebhookSender, C: Clock> JobHandler for WebhookJobs<E, S, C> {
    async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
        if job.kind != JobKind::Webhook {
            return Err(JobFailure::Permanent(format!("{} is not a webhook job", job.kind)));
        }
        let delivery = Delivery::from_payload(&job.payload).map_err(JobFailure::Permanent)?;
        let url = match self.endpoints.endpoint(delivery.merchant).await {
            Ok(Some(url)) => url,
            Ok(None) => return Err(JobFailure::Permanent("the merchant has no webhook endpoint".into())),
            Err(e) => return Err(JobFailure::Transient(format!("endpoint look-up failed: {e:#}"))),
        };
        match self.sender.post(&url, &delivery.event_id, self.clock.now(), &delivery.body).await {
            Ok(()) => Ok(()),
            // The receiver asked us to stop sending to it.
            Err(SendFailure::Status(410)) => {
                Err(JobFailure::Permanent("410 Gone: the endpoint declined further events".into()))
            }
            Err(SendFailure::Status(status)) => Err(JobFailure::Transient(format!("the endpoint answered {status}"))),
            Err(SendFailure::Unreachable(why)) => Err(JobFailure::Transient(why)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_spans_about_a_day_then_stops() {
        let now = DateTime::UNIX_EPOCH;
        let delays: Vec<i64> = (1..=7).map(|a| (next_attempt(a, now).unwrap() - now).num_seconds()).collect();
        assert_eq!(delays, SCHEDULE_SECS);
        assert_eq!(next_attempt(8, now), None);
        assert_eq!(next_attempt(0, now), None);
        let total: i64 = SCHEDULE_SECS.iter().sum();
        assert!((24 * 3600..30 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn a_payload_becomes_the_same_delivery_every_time() {
        let merchant = MerchantId::new();
        let p = payload(merchant, EventType::SaleRecorded, DateTime::UNIX_EPOCH, json!({"sale_id": "s"}));
        let (a, b) = (Delivery::from_payload(&p).unwrap(), Delivery::from_payload(&p).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.merchant, merchant);
        assert!(a.event_id.starts_with("msg_"));
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["type"], "sale.recorded");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(body["data"]["sale_id"], "s");
        assert!(Delivery::from_payload("{}").is_err());
    }
}
