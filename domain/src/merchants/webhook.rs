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
    /// Staff checking that an endpoint answers: carries nothing that happened.
    Test,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SaleRecorded => "sale.recorded",
            EventType::SaleReversed => "sale.reversed",
            EventType::VoucherRedeemed => "voucher.redeemed",
            EventType::Test => "webhook.test",
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

/// A merchant endpoint's symmetric key, as Standard Webhooks' `v1` signatures use it:
/// `whsec_` and the base64 of 32 random bytes, shown to the merchant once.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    const PREFIX: &'static str = "whsec_";

    pub fn generate() -> Self {
        use base64::Engine;
        let mut bytes = [0u8; 32];
        // Two version-4 UUIDs: 244 random bits from the operating system's generator.
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(format!("{}{}", Self::PREFIX, base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    /// A stored secret read back.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::key_of(raw).map(|_| Self(raw.to_owned()))
    }

    fn key_of(raw: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        let b64 = raw.strip_prefix(Self::PREFIX)?;
        base64::engine::general_purpose::STANDARD.decode(b64).ok().filter(|k| (24..=64).contains(&k.len()))
    }

    /// The HMAC key: the bytes the base64 stands for.
    pub fn key(&self) -> Vec<u8> {
        Self::key_of(&self.0).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a replaced secret goes on signing beside its successor, so a merchant can deploy
/// the new one without missing an event.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Where a merchant's events go and what signs them now: the current secret first, the one it
/// replaced while the overlap lasts. An endpoint registered before secrets existed has none
/// until the merchant rotates (its events carry the Ed25519 signature alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub secrets: Vec<WebhookSecret>,
}

/// Host names to addresses, for checking a webhook's target at registration.
pub trait Resolver: Send + Sync + 'static {
    fn resolve(&self, host: &str, port: u16) -> impl Future<Output = anyhow::Result<Vec<std::net::IpAddr>>> + Send;
}

/// The address rules and a resolver: what a URL must pass to become an endpoint.
pub struct WebhookTargets<R> {
    pub policy: super::address::TargetPolicy,
    pub resolver: R,
}

impl<R: Resolver> WebhookTargets<R> {
    pub async fn check(&self, url: &str) -> Result<(), super::address::TargetError> {
        use super::address::{Host, TargetError};
        let target = self.policy.check(url)?;
        if let Host::Name(name) = &target.host {
            let addresses = self.resolver.resolve(name, target.port).await.map_err(|_| TargetError::Unresolvable)?;
            self.policy.check_resolved(&addresses)?;
        }
        Ok(())
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
    /// Posts `body` to the endpoint signed for `event_id` at `at` (Standard Webhooks headers:
    /// a `v1` signature per secret and our `v1a`). An address the target policy refuses is
    /// `Unreachable`, like one that does not answer.
    fn post(
        &self,
        endpoint: &Endpoint,
        event_id: &str,
        at: DateTime<Utc>,
        body: &str,
    ) -> impl Future<Output = Result<(), SendFailure>> + Send;
}

pub trait WebhookEndpoints: Send + Sync + 'static {
    /// The merchant's endpoint at `now`: it may have changed since the event was queued.
    fn endpoint(
        &self,
        merchant: MerchantId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Option<Endpoint>>> + Send;
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
    /// Sets the endpoint's URL, or removes the endpoint with its secrets. A merchant without a
    /// secret gets `fresh`, which is answered (to be shown once); one with a secret keeps it.
    fn set_endpoint(
        &self,
        merchant: MerchantId,
        url: Option<String>,
        fresh: WebhookSecret,
    ) -> impl Future<Output = anyhow::Result<Option<WebhookSecret>>> + Send;
    /// Makes `fresh` the signing secret; the one it replaces signs too until `overlap_until`.
    /// `false` when the merchant has no endpoint.
    fn rotate_secret(
        &self,
        merchant: MerchantId,
        fresh: WebhookSecret,
        overlap_until: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
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
    /// Queues `payload` for the merchant's endpoint with `audit`, in one transaction; `None`
    /// (and nothing written) when the merchant has no endpoint.
    fn queue_test(
        &self,
        merchant: MerchantId,
        payload: String,
        now: DateTime<Utc>,
        audit: crate::admin::NewAuditEntry,
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
        let endpoint = match self.endpoints.endpoint(delivery.merchant, self.clock.now()).await {
            Ok(Some(endpoint)) => endpoint,
            Ok(None) => return Err(JobFailure::Permanent("the merchant has no webhook endpoint".into())),
            Err(e) => return Err(JobFailure::Transient(format!("endpoint look-up failed: {e:#}"))),
        };
        match self.sender.post(&endpoint, &delivery.event_id, self.clock.now(), &delivery.body).await {
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

    #[test]
    fn secrets_are_whsec_base64_of_32_bytes_and_never_repeat() {
        let (a, b) = (WebhookSecret::generate(), WebhookSecret::generate());
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("whsec_"));
        assert_eq!(a.key().len(), 32);
        assert_eq!(WebhookSecret::parse(a.as_str()), Some(a.clone()));
        assert!(!format!("{a:?}").contains(a.as_str()), "a secret stays out of debug output");
        for bad in ["", "whsec_", "whsec_!!!", "sec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0", "whsec_c2hvcnQ="] {
            assert_eq!(WebhookSecret::parse(bad), None, "{bad}");
        }
    }
}
