//! What partners' systems send and see.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::OfferView;
use crate::campaigns::dto::beijing;
use domain::merchants::ports::MemberFacts;
use domain::merchants::sale::DailyTotals;
use domain::merchants::Offer;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"store_id": "0193a2c6-0000-7000-8000-000000000002", "member_code": "661234567890123456"}))]
pub struct VerifyMember {
    pub store_id: uuid::Uuid,
    /// The code scanned from the member's app.
    pub member_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"member_ref": "mr_3f1c0d2e4b5a6978a1b2c3d4e5f60718", "masked_name": "张*", "activated": true,
    "cardholder": false, "offers": []}))]
pub struct VerifiedMember {
    /// The member's pseudonym at this merchant: stable, and meaningless anywhere else.
    pub member_ref: String,
    pub masked_name: Option<String>,
    /// Activated on the union's roster and in good standing.
    pub activated: bool,
    /// Holds an active 会员服务卡.
    pub cardholder: bool,
    /// The offers the member may use at this store now.
    pub offers: Vec<OfferView>,
}

impl VerifiedMember {
    pub fn new(reference: &str, facts: &MemberFacts, offers: &[Offer]) -> Self {
        Self {
            member_ref: reference.to_owned(),
            masked_name: facts.masked_name.clone(),
            activated: facts.activated,
            cardholder: facts.cardholder,
            offers: offers.iter().map(OfferView::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"store_id": "0193a2c6-0000-7000-8000-000000000002", "member_code": "661234567890123456",
    "offer_id": "0193a2c6-0000-7000-8000-000000000003", "original_fen": 12800, "till_ref": "POS-03/收银员 017",
    "channel": "pos"}))]
pub struct RecordSale {
    pub store_id: uuid::Uuid,
    /// The code scanned from the member's app; or give `member_ref` instead.
    pub member_code: Option<String>,
    /// The member's reference from an earlier verification.
    pub member_ref: Option<String>,
    pub offer_id: uuid::Uuid,
    /// The amount before the discount, in fen.
    pub original_fen: i64,
    /// The till or cashier the sale was rung up at, kept with the sale.
    pub till_ref: String,
    /// `pos`, `mini_program`, `app` …: lower-case letters, digits, `_`, `-`.
    pub channel: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"till_ref": "POS-03/收银员 017"}))]
pub struct ReverseSale {
    pub till_ref: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// First Beijing date, included.
    #[param(value_type = String, example = "2026-12-01")]
    pub from: NaiveDate,
    /// Last Beijing date, included (at most 366 days after `from`).
    #[param(value_type = String, example = "2026-12-31")]
    pub to: NaiveDate,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    #[param(value_type = String, example = "2026-12-01")]
    pub from: NaiveDate,
    #[param(value_type = String, example = "2026-12-31")]
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"day": "2026-12-01", "sales": 42, "reversals": 1, "original_fen": 512000, "discount_fen": 82000,
    "paid_fen": 430000}))]
pub struct DayTotalsView {
    #[schema(value_type = String)]
    pub day: NaiveDate,
    /// Sales recorded that day, reversed ones included.
    pub sales: i64,
    pub reversals: i64,
    /// Amounts of the sales not reversed.
    pub original_fen: i64,
    pub discount_fen: i64,
    pub paid_fen: i64,
}

impl From<&DailyTotals> for DayTotalsView {
    fn from(t: &DailyTotals) -> Self {
        Self {
            day: t.day,
            sales: t.sales,
            reversals: t.reversals,
            original_fen: t.original,
            discount_fen: t.discount,
            paid_fen: t.paid,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct Settlement {
    pub items: Vec<DayTotalsView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"public_key_id": "PUB_KEY_ID_0112345678901234567890123456",
    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh…\n-----END PUBLIC KEY-----\n", "algorithm": "WECHATPAY2-SHA256-RSA2048"}],
    "webhook_public_key": "whpk_MCowBQYDK2VwAyEA…"}))]
pub struct PlatformKeys {
    pub data: Vec<PlatformKeyView>,
    /// The Ed25519 key webhook events are signed with (Standard Webhooks `v1a`), `whpk_…`.
    pub webhook_public_key: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://pos.songhelou.example/sgh/events"}))]
pub struct WebhookEndpoint {
    /// Where events are posted; `null` stops them.
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"url": "https://pos.songhelou.example/sgh/events", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))]
pub struct WebhookEndpointView {
    /// Where events are posted; `null` when none is set.
    pub url: Option<String>,
    /// The endpoint's signing secret for Standard Webhooks `v1` signatures, given once: in the
    /// answer that first set the endpoint. `null` otherwise.
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "previous_valid_until": "2026-12-07T10:00:00+08:00"}))]
pub struct SecretRotation {
    /// The new signing secret, given this once.
    pub secret: String,
    /// Until when the replaced secret signs too (Asia/Shanghai).
    pub previous_valid_until: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 42, "event_id": "msg_0193a2c600007000800000000000000a", "event_type": "sale.recorded",
    "state": "done", "attempts": 2, "last_error": "the endpoint answered 503", "next_attempt_at": "2026-12-01T12:00:05+08:00",
    "created_at": "2026-12-01T12:00:00+08:00", "finished_at": "2026-12-01T12:00:05+08:00"}))]
pub struct DeliveryView {
    /// What to re-send it by.
    pub id: i64,
    /// The `webhook-id` every attempt carries: de-duplicate by it.
    pub event_id: String,
    pub event_type: String,
    /// `pending` (more attempts to come), `done` or `dead` (the schedule ran out, or a 410).
    pub state: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
}

impl From<&domain::merchants::webhook::DeliveryRecord> for DeliveryView {
    fn from(d: &domain::merchants::webhook::DeliveryRecord) -> Self {
        Self {
            id: d.job.id,
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            state: d.job.state.as_str(),
            attempts: d.job.attempts,
            last_error: d.job.last_error.clone(),
            next_attempt_at: beijing(d.job.next_attempt_at),
            created_at: beijing(d.job.created_at),
            finished_at: d.job.finished_at.map(beijing),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

/// A merchant's webhook as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"url": "https://pos.example.com/sgh/events", "deliveries": [], "next_cursor": null}))]
pub struct MerchantWebhookView {
    /// Where the merchant's events go; `null` when it has set no endpoint.
    pub url: Option<String>,
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
}

impl From<&domain::merchants::service::WebhookOverview> for MerchantWebhookView {
    fn from(o: &domain::merchants::service::WebhookOverview) -> Self {
        Self {
            url: o.url.clone(),
            deliveries: o.deliveries.items.iter().map(DeliveryView::from).collect(),
            next_cursor: o.deliveries.next.map(|c| c.encode()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformKeyView {
    /// What answers carry as `Wechatpay-Serial`; configure it as the SDK's public key id.
    pub public_key_id: String,
    pub public_key_pem: String,
    pub algorithm: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"store_id": "0193a2c6-0000-7000-8000-000000000002", "code": "7KQ2-M9XH-4TPWC"}))]
pub struct VoucherAtStore {
    pub store_id: uuid::Uuid,
    /// As printed or scanned; case, spaces and dashes do not matter.
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"store_id": "0193a2c6-0000-7000-8000-000000000002", "code": "7KQ2-M9XH-4TPWC", "till_ref": "POS-03"}))]
pub struct RedeemAtStore {
    pub store_id: uuid::Uuid,
    pub code: String,
    /// The till or cashier, kept with the redemption.
    pub till_ref: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"redeemed": true, "gift_name": "松鹤楼 100 元代金券", "redeemed_at": "2026-10-02T12:15:00+08:00",
    "store_id": "0193a2c6-0000-7000-8000-000000000002"}))]
pub struct StoreRedemptionView {
    /// Always `true`: a redemption that did not happen is a problem, not this.
    pub redeemed: bool,
    pub gift_name: String,
    pub redeemed_at: DateTime<FixedOffset>,
    pub store_id: uuid::Uuid,
}
