use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::campaigns::dto::beijing;
use domain::merchants::partner::PartnerKey;
use domain::merchants::ports::MemberFacts;
use domain::merchants::sale::DailyTotals;
use domain::merchants::{Discount, Merchant, Offer, Sale, Store};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "松鹤楼", "category": "餐饮", "contact": "王经理 0512-67700000",
    "settlement_email": "finance@songhelou.example"}))]
pub struct CreateMerchant {
    pub name: String,
    /// What members filter by: 餐饮, 超市, 影院 …
    pub category: String,
    pub contact: String,
    /// Where the daily settlement statement is mailed.
    pub settlement_email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000001", "mchid": "1900000101", "name": "松鹤楼",
    "category": "餐饮", "contact": "王经理 0512-67700000", "settlement_email": "finance@songhelou.example",
    "status": "active", "created_at": "2026-12-01T10:00:00+08:00"}))]
pub struct MerchantView {
    pub id: uuid::Uuid,
    /// The merchant number its systems send as `mchid` in signed requests.
    pub mchid: String,
    pub name: String,
    pub category: String,
    pub contact: String,
    pub settlement_email: String,
    /// `active` or `suspended`.
    pub status: &'static str,
    pub created_at: DateTime<FixedOffset>,
}

impl From<&Merchant> for MerchantView {
    fn from(m: &Merchant) -> Self {
        Self {
            id: m.id.0,
            mchid: m.mchid.as_str().to_owned(),
            name: m.name.clone(),
            category: m.category.clone(),
            contact: m.contact.clone(),
            settlement_email: m.settlement_email.as_str().to_owned(),
            status: m.status.as_str(),
            created_at: beijing(m.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct MerchantList {
    pub items: Vec<MerchantView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "suspended"}))]
pub struct SetMerchantStatus {
    /// `active` or `suspended` (its keys are refused and its offers hidden).
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "观前街店", "address": "姑苏区太监弄 72 号", "district": "姑苏区",
    "lat": 31.3107, "lng": 120.6237, "hours": "10:00-21:30"}))]
pub struct CreateStore {
    pub name: String,
    pub address: String,
    pub district: String,
    /// GCJ-02 latitude, as Chinese map SDKs give it.
    pub lat: f64,
    /// GCJ-02 longitude.
    pub lng: f64,
    pub hours: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000002", "merchant_id": "0193a2c6-0000-7000-8000-000000000001",
    "name": "观前街店", "address": "姑苏区太监弄 72 号", "district": "姑苏区", "lat": 31.3107, "lng": 120.6237,
    "hours": "10:00-21:30"}))]
pub struct StoreView {
    pub id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub name: String,
    pub address: String,
    pub district: String,
    pub lat: f64,
    pub lng: f64,
    pub hours: String,
}

impl From<&Store> for StoreView {
    fn from(s: &Store) -> Self {
        Self {
            id: s.id.0,
            merchant_id: s.merchant.0,
            name: s.name.clone(),
            address: s.address.clone(),
            district: s.district.clone(),
            lat: s.location.lat(),
            lng: s.location.lng(),
            hours: s.hours.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "工会会员满100减20", "kind": "spend_save", "threshold_fen": 10000, "amount_fen": 2000,
    "valid_from": "2026-12-01", "valid_until": "2027-02-28", "weekdays": [1, 2, 3, 4, 5], "audience": "activated",
    "daily_limit": 1, "total_limit": 20}))]
pub struct CreateOffer {
    pub title: String,
    /// `percent_off` (with `percent_bps`), `amount_off` (with `amount_fen`) or `spend_save`
    /// (with `threshold_fen` and `amount_fen`, the amount saved).
    pub kind: String,
    /// Basis points off: 1500 is 15% off (八五折).
    #[schema(minimum = 1, maximum = 10000)]
    pub percent_bps: Option<i64>,
    pub amount_fen: Option<i64>,
    pub threshold_fen: Option<i64>,
    /// The most one sale may be discounted.
    pub cap_fen: Option<i64>,
    /// First Beijing date, included.
    #[schema(value_type = String, example = "2026-12-01")]
    pub valid_from: NaiveDate,
    /// Last Beijing date, included.
    #[schema(value_type = String, example = "2027-02-28")]
    pub valid_until: NaiveDate,
    /// ISO weekdays (1 Monday … 7 Sunday) in Beijing time; empty or absent for every day.
    #[serde(default)]
    pub weekdays: Vec<u8>,
    /// Only these stores; absent for every store of the merchant.
    pub store_ids: Option<Vec<uuid::Uuid>>,
    /// `activated` (members activated on the roster) or `cardholders` (会员服务卡 holders).
    pub audience: String,
    /// Sales per member per Beijing day.
    pub daily_limit: Option<i64>,
    /// Sales per member in all.
    pub total_limit: Option<i64>,
}

impl CreateOffer {
    pub fn discount(&self) -> Result<Discount, crate::error::ApiError> {
        let invalid = |field, e: domain::merchants::pricing::InvalidDiscount| {
            crate::error::ApiError::validation(field, "优惠参数不正确", e.to_string())
        };
        let need = |field: &'static str, v: Option<i64>| {
            v.ok_or_else(|| {
                crate::error::ApiError::validation(field, "缺少优惠参数", format!("{field} is required for this kind"))
            })
        };
        match self.kind.as_str() {
            "percent_off" => {
                Discount::percent_off(need("percent_bps", self.percent_bps)?).map_err(|e| invalid("percent_bps", e))
            }
            "amount_off" => {
                Discount::amount_off(need("amount_fen", self.amount_fen)?).map_err(|e| invalid("amount_fen", e))
            }
            "spend_save" => {
                Discount::spend_save(need("threshold_fen", self.threshold_fen)?, need("amount_fen", self.amount_fen)?)
                    .map_err(|e| invalid("amount_fen", e))
            }
            _ => Err(crate::error::ApiError::validation(
                "kind",
                "优惠类型须为 percent_off、amount_off 或 spend_save",
                "kind must be percent_off, amount_off or spend_save".into(),
            )),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000003", "merchant_id": "0193a2c6-0000-7000-8000-000000000001",
    "title": "工会会员满100减20", "kind": "spend_save", "percent_bps": null, "amount_fen": 2000, "threshold_fen": 10000,
    "cap_fen": null, "valid_from": "2026-12-01", "valid_until": "2027-02-28", "weekdays": [1, 2, 3, 4, 5],
    "store_ids": null, "audience": "activated", "daily_limit": 1, "total_limit": 20, "status": "published"}))]
pub struct OfferView {
    pub id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub title: String,
    pub kind: &'static str,
    pub percent_bps: Option<u32>,
    /// The amount off (`amount_off`) or saved (`spend_save`).
    pub amount_fen: Option<i64>,
    pub threshold_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    #[schema(value_type = String)]
    pub valid_from: NaiveDate,
    #[schema(value_type = String)]
    pub valid_until: NaiveDate,
    pub weekdays: Vec<u8>,
    /// `null`: every store of the merchant.
    pub store_ids: Option<Vec<uuid::Uuid>>,
    pub audience: &'static str,
    pub daily_limit: Option<u32>,
    pub total_limit: Option<u32>,
    /// `draft`, `published`, `paused` or `expired`.
    pub status: &'static str,
}

impl From<&Offer> for OfferView {
    fn from(o: &Offer) -> Self {
        let (percent_bps, amount_fen, threshold_fen) = match o.discount {
            Discount::PercentOff { bps } => (Some(bps), None, None),
            Discount::AmountOff { amount } => (None, Some(amount.get()), None),
            Discount::SpendSave { threshold, save } => (None, Some(save.get()), Some(threshold.get())),
        };
        Self {
            id: o.id.0,
            merchant_id: o.merchant.0,
            title: o.title.clone(),
            kind: o.discount.kind(),
            percent_bps,
            amount_fen,
            threshold_fen,
            cap_fen: o.cap.map(|c| c.get()),
            valid_from: o.valid_from,
            valid_until: o.valid_until,
            weekdays: o.weekdays.iso(),
            store_ids: o.stores.as_ref().map(|s| s.iter().map(|s| s.0).collect()),
            audience: o.audience.as_str(),
            daily_limit: o.limits.daily,
            total_limit: o.limits.total,
            status: o.status.as_str(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "published"}))]
pub struct SetOfferStatus {
    /// `published`, `paused` or `expired` (final).
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh…\n-----END PUBLIC KEY-----\n", "store_id": null}))]
pub struct RegisterKey {
    /// The merchant's RSA public key (2048–8192 bits), PEM `PUBLIC KEY` or `RSA PUBLIC KEY`.
    pub public_key_pem: String,
    /// Set to make a store key, which acts for this store only.
    pub store_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "merchant_id": "0193a2c6-0000-7000-8000-000000000001",
    "store_id": null, "created_at": "2026-12-01T10:00:00+08:00", "revoked_at": null}))]
pub struct KeyView {
    /// What the merchant's SDK sends as `serial_no` (its "certificate serial").
    pub serial_no: String,
    pub merchant_id: uuid::Uuid,
    pub store_id: Option<uuid::Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
}

impl From<&PartnerKey> for KeyView {
    fn from(k: &PartnerKey) -> Self {
        Self {
            serial_no: k.serial.as_str().to_owned(),
            merchant_id: k.merchant.0,
            store_id: k.store.map(|s| s.0),
            created_at: beijing(k.created_at),
            revoked_at: k.revoked_at.map(beijing),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"merchant": {"id": "0193a2c6-0000-7000-8000-000000000001", "mchid": "1900000101", "name": "松鹤楼",
    "category": "餐饮", "contact": "王经理", "settlement_email": "finance@songhelou.example", "status": "active",
    "created_at": "2026-12-01T10:00:00+08:00"}, "stores": [], "offers": [], "keys": []}))]
pub struct MerchantDetail {
    pub merchant: MerchantView,
    pub stores: Vec<StoreView>,
    pub offers: Vec<OfferView>,
    pub keys: Vec<KeyView>,
}

// ---- members ----

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "661234567890123456", "expires_at": "2026-12-01T12:02:00+08:00"}))]
pub struct MemberCodeView {
    /// Shown as a barcode/QR code for the till to scan; usable until `expires_at`.
    pub code: String,
    pub expires_at: DateTime<FixedOffset>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    /// `lat,lng` in GCJ-02.
    #[param(example = "31.3107,120.6237")]
    pub near: String,
    /// Metres, 1–50 000; 3 000 when absent.
    #[param(example = 3000, minimum = 1, maximum = 50000)]
    pub radius_m: Option<u32>,
    pub category: Option<String>,
    pub district: Option<String>,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000001", "name": "松鹤楼", "category": "餐饮",
    "distance_m": 420, "nearest_store": {"id": "0193a2c6-0000-7000-8000-000000000002",
    "merchant_id": "0193a2c6-0000-7000-8000-000000000001", "name": "观前街店", "address": "姑苏区太监弄 72 号",
    "district": "姑苏区", "lat": 31.3107, "lng": 120.6237, "hours": "10:00-21:30"}}))]
pub struct NearbyView {
    pub id: uuid::Uuid,
    pub name: String,
    pub category: String,
    /// To the nearest store, in whole metres.
    pub distance_m: u32,
    pub nearest_store: StoreView,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct NearbyPage {
    pub items: Vec<NearbyView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000001", "name": "松鹤楼", "category": "餐饮",
    "stores": [], "offers": []}))]
pub struct MemberMerchantView {
    pub id: uuid::Uuid,
    pub name: String,
    pub category: String,
    pub stores: Vec<StoreView>,
    /// The offers the calling member may use today.
    pub offers: Vec<OfferView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000009", "merchant_id": "0193a2c6-0000-7000-8000-000000000001",
    "store_id": "0193a2c6-0000-7000-8000-000000000002", "offer_id": "0193a2c6-0000-7000-8000-000000000003",
    "offer_title": "工会会员满100减20", "member_ref": "mr_3f1c0d2e4b5a6978a1b2c3d4e5f60718", "original_fen": 12800,
    "discount_fen": 2000, "paid_fen": 10800, "till_ref": "POS-03/收银员 017", "channel": "pos",
    "sale_day": "2026-12-01", "created_at": "2026-12-01T12:00:00+08:00", "reversed_at": null}))]
pub struct SaleView {
    pub id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub store_id: uuid::Uuid,
    pub offer_id: uuid::Uuid,
    pub offer_title: String,
    /// The member's pseudonym at this merchant.
    pub member_ref: String,
    pub original_fen: i64,
    pub discount_fen: i64,
    /// What the member pays: `original_fen - discount_fen`.
    pub paid_fen: i64,
    pub till_ref: String,
    pub channel: String,
    /// The Beijing date the sale counts on.
    #[schema(value_type = String)]
    pub sale_day: NaiveDate,
    pub created_at: DateTime<FixedOffset>,
    pub reversed_at: Option<DateTime<FixedOffset>>,
}

impl From<&Sale> for SaleView {
    fn from(s: &Sale) -> Self {
        Self {
            id: s.id.0,
            merchant_id: s.merchant.0,
            store_id: s.store.0,
            offer_id: s.offer.0,
            offer_title: s.offer_title.clone(),
            member_ref: s.member_ref.as_str().to_owned(),
            original_fen: s.priced.original.get(),
            discount_fen: s.priced.discount.get(),
            paid_fen: s.priced.to_pay.get(),
            till_ref: s.till_ref.clone(),
            channel: s.channel.clone(),
            sale_day: s.day,
            created_at: beijing(s.at),
            reversed_at: s.reversed_at.map(beijing),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct SalePage {
    pub items: Vec<SaleView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000009", "merchant_name": "松鹤楼",
    "offer_title": "工会会员满100减20", "original_fen": 12800, "discount_fen": 2000, "paid_fen": 10800,
    "created_at": "2026-12-01T12:00:00+08:00", "reversed_at": null}))]
pub struct MemberSaleView {
    pub id: uuid::Uuid,
    pub merchant_name: String,
    pub offer_title: String,
    pub original_fen: i64,
    pub discount_fen: i64,
    pub paid_fen: i64,
    pub created_at: DateTime<FixedOffset>,
    pub reversed_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct MemberSalePage {
    pub items: Vec<MemberSaleView>,
    pub next_cursor: Option<String>,
}

// ---- partners ----

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
