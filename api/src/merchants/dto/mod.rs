//! The merchants context's request and answer bodies: the catalogue here, members' and partners'
//! in their own files.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::dto::beijing;
use domain::merchants::partner::PartnerKey;
use domain::merchants::{Discount, Merchant, Offer, Store};

mod member;
mod partner;

pub use member::*;
pub use partner::*;

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
    /// `merchant` (the default) or `bank`: the bank's keys reach only `/v1/bank/…`, and it has
    /// no stores or offers.
    pub kind: Option<String>,
    /// The number the bank knows this merchant by in card transactions.
    pub bank_merchant_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-000000000001", "mchid": "1900000101", "name": "松鹤楼",
    "category": "餐饮", "contact": "王经理 0512-67700000", "settlement_email": "finance@songhelou.example",
    "status": "active", "created_at": "2026-12-01T10:00:00+08:00", "kind": "merchant", "bank_merchant_id": "BOSZ-M-000101"}))]
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
    /// `merchant` or `bank`.
    pub kind: &'static str,
    pub bank_merchant_id: Option<String>,
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
            kind: m.kind.as_str(),
            bank_merchant_id: m.bank_merchant_id.as_ref().map(|b| b.as_str().to_owned()),
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
    /// Who pays the discount when the bank pays it out as a rebate on a card transaction:
    /// `merchant` (the default), `union` or `bank`.
    pub funder: Option<String>,
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
    "store_ids": null, "audience": "activated", "daily_limit": 1, "total_limit": 20, "status": "published",
    "funder": "merchant"}))]
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
    /// Who pays its rebates: `merchant`, `union` or `bank`.
    pub funder: &'static str,
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
            funder: o.funder.as_str(),
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
    "created_at": "2026-12-01T10:00:00+08:00", "kind": "merchant", "bank_merchant_id": "BOSZ-M-000101"},
    "stores": [], "offers": [], "keys": []}))]
pub struct MerchantDetail {
    pub merchant: MerchantView,
    pub stores: Vec<StoreView>,
    pub offers: Vec<OfferView>,
    pub keys: Vec<KeyView>,
}
