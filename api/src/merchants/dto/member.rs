//! What members send and see.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{OfferView, StoreView};
use crate::campaigns::dto::beijing;
use domain::merchants::Sale;

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

impl MemberSaleView {
    pub fn new(s: &Sale, merchant_name: &str) -> Self {
        Self {
            id: s.id.0,
            merchant_name: merchant_name.to_owned(),
            offer_title: s.offer_title.clone(),
            original_fen: s.priced.original.get(),
            discount_fen: s.priced.discount.get(),
            paid_fen: s.priced.to_pay.get(),
            created_at: beijing(s.at),
            reversed_at: s.reversed_at.map(beijing),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct MemberSalePage {
    pub items: Vec<MemberSaleView>,
    pub next_cursor: Option<String>,
}
