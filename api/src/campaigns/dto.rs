use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use domain::campaigns::board::GiftOffer;
use domain::campaigns::ports::Claim;
use domain::campaigns::{Campaign, Gift, SHANGHAI};

pub fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&SHANGHAI)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "国庆会员有礼", "holiday": "national_day", "starts_at": "2026-10-01T10:00:00",
    "ends_at": "2026-10-07T22:00:00", "per_member_limit": 1, "budget_fen": 50000000, "union_codes": [],
    "scope_code": "SZ-SIP"}))]
pub struct CreateCampaign {
    pub title: String,
    /// `labor_day`, `dragon_boat`, `mid_autumn`, `national_day`, `new_year`, `spring_festival`, or a
    /// custom name of up to 20 characters.
    pub holiday: String,
    /// Beijing time (Asia/Shanghai), without offset.
    #[schema(value_type = String, example = "2026-10-01T10:00:00")]
    pub starts_at: NaiveDateTime,
    /// Beijing time; the campaign closes at this second.
    #[schema(value_type = String, example = "2026-10-07T22:00:00")]
    pub ends_at: NaiveDateTime,
    /// Gifts one member may claim in the whole campaign (1–10).
    #[schema(minimum = 1, maximum = 10)]
    pub per_member_limit: u32,
    /// The most the campaign may spend, in fen.
    #[schema(minimum = 0)]
    pub budget_fen: i64,
    /// Only members of these grassroots unions; empty or absent for all.
    #[serde(default)]
    pub union_codes: Vec<String>,
    /// Only members who were on the roster before this day.
    #[schema(value_type = Option<String>, example = "2026-09-01")]
    pub joined_before: Option<NaiveDate>,
    /// Only members holding an active 会员服务卡 (default false).
    #[serde(default)]
    pub cardholders_only: bool,
    /// The part of the union tree the campaign is for (a union's code): only members of the unions
    /// under it may claim, and only staff whose scope holds it see and run the campaign. Absent:
    /// the creator's own scope (the whole federation for the city's staff). A union outside the
    /// creator's scope is 404 `union.not_found`.
    #[schema(example = "SZ-SIP")]
    pub scope_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "月饼礼盒", "unit_cost_fen": 8800, "stock": 10000, "per_member_limit": 1,
    "valid_until": "2026-10-31", "funder": "union",
    "waves": [{"at": "2026-10-01T10:00:00", "quantity": 4000}, {"at": "2026-10-01T14:00:00", "quantity": 3000},
              {"at": "2026-10-01T20:00:00", "quantity": 3000}]}))]
pub struct CreateGift {
    pub name: String,
    #[schema(minimum = 0)]
    pub unit_cost_fen: i64,
    /// Units in all (at most 10,000,000).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub stock: u32,
    /// Units of this gift one member may claim (1–10).
    #[schema(minimum = 1, maximum = 10)]
    pub per_member_limit: u32,
    /// Vouchers are redeemable until the end of this day, Beijing time.
    #[schema(value_type = String, example = "2026-10-31")]
    pub valid_until: NaiveDate,
    /// `union`, `bank` or `merchant`.
    pub funder: String,
    /// Release the stock in waves (Beijing times); their quantities must add up to the stock.
    #[serde(default)]
    pub waves: Vec<WaveDto>,
    /// At most this many more per Beijing day of the campaign (unclaimed units roll over).
    #[schema(minimum = 1)]
    pub daily_cap: Option<u32>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaveDto {
    /// Beijing time; in requests without offset, in responses with `+08:00`.
    #[schema(value_type = String, example = "2026-10-01T14:00:00")]
    pub at: String,
    #[schema(minimum = 1)]
    pub quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"budget_fen": 80000000}))]
pub struct SetBudget {
    /// The new budget in fen; it may only grow.
    #[schema(minimum = 0)]
    pub budget_fen: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stock": 12000}))]
pub struct SetStock {
    /// The new stock; it may only grow, to at most 10,000,000, within the campaign's budget.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub stock: u32,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "name": "月饼礼盒", "unit_cost_fen": 8800, "stock": 10000,
    "remaining": null, "per_member_limit": 1, "valid_until": "2026-10-31", "funder": "union", "waves": [], "daily_cap": null}))]
pub struct GiftView {
    pub id: uuid::Uuid,
    pub name: String,
    pub unit_cost_fen: i64,
    pub stock: u32,
    /// What the inventory gate has left; absent before the campaign is published.
    pub remaining: Option<u32>,
    pub per_member_limit: u32,
    #[schema(value_type = String)]
    pub valid_until: NaiveDate,
    pub funder: &'static str,
    pub waves: Vec<WaveDto>,
    pub daily_cap: Option<u32>,
}

impl GiftView {
    pub fn new(g: &Gift, remaining: Option<u32>) -> Self {
        Self {
            waves: g
                .release
                .waves
                .iter()
                .map(|w| WaveDto { at: beijing(w.at).to_rfc3339(), quantity: w.quantity })
                .collect(),
            daily_cap: g.release.daily_cap,
            id: g.id.0,
            name: g.name.clone(),
            unit_cost_fen: g.unit_cost.get(),
            stock: g.stock,
            remaining,
            per_member_limit: g.per_member_limit,
            valid_until: g.valid_until,
            funder: g.funder.as_str(),
        }
    }
}

/// A campaign; times in Beijing time.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "title": "国庆会员有礼", "holiday": "national_day",
    "holiday_name": "国庆节", "starts_at": "2026-10-01T10:00:00+08:00", "ends_at": "2026-10-07T22:00:00+08:00",
    "status": "live", "per_member_limit": 1, "budget_fen": 50000000, "union_codes": [], "joined_before": null,
    "cardholders_only": false, "scope_code": null,
    "gifts": [{"id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "name": "月饼礼盒", "unit_cost_fen": 8800, "stock": 10000,
        "remaining": 4211, "per_member_limit": 1, "valid_until": "2026-10-31", "funder": "union", "waves": [],
        "daily_cap": null}],
    "eligible": true, "ineligible_reason": null, "claims_left": 1}))]
pub struct CampaignView {
    pub id: uuid::Uuid,
    pub title: String,
    pub holiday: String,
    pub holiday_name: String,
    #[schema(value_type = String)]
    pub starts_at: DateTime<FixedOffset>,
    #[schema(value_type = String)]
    pub ends_at: DateTime<FixedOffset>,
    /// `draft`, `scheduled`, `live`, `ended` or `cancelled`.
    pub status: &'static str,
    pub per_member_limit: u32,
    pub budget_fen: i64,
    pub union_codes: Vec<String>,
    #[schema(value_type = Option<String>)]
    pub joined_before: Option<NaiveDate>,
    /// For holders of an active 会员服务卡 only.
    pub cardholders_only: bool,
    /// For the members of the unions under this node of the tree; `null` for the whole federation.
    pub scope_code: Option<String>,
    pub gifts: Vec<GiftView>,
    /// For members: may the caller claim here?
    pub eligible: Option<bool>,
    /// `not_activated`, `other_union`, `joined_too_late` or `no_card` when not eligible.
    pub ineligible_reason: Option<&'static str>,
    /// For members: how many more gifts they may claim in this campaign.
    pub claims_left: Option<u32>,
}

impl CampaignView {
    pub fn new(c: &Campaign, gifts: Vec<GiftView>, now: DateTime<Utc>) -> Self {
        Self {
            id: c.id.0,
            title: c.title.clone(),
            holiday: c.holiday.code().to_owned(),
            holiday_name: c.holiday.display_name().to_owned(),
            starts_at: beijing(c.window.starts_at()),
            ends_at: beijing(c.window.ends_at()),
            status: c.status_at(now).as_str(),
            per_member_limit: c.per_member_limit,
            budget_fen: c.budget.get(),
            union_codes: c.eligibility.union_codes.clone(),
            joined_before: c.eligibility.joined_before,
            cardholders_only: c.eligibility.cardholders_only,
            scope_code: c.eligibility.within.as_ref().map(|s| s.code.to_string()),
            gifts,
            eligible: None,
            ineligible_reason: None,
            claims_left: None,
        }
    }

    pub fn with_offers(c: &Campaign, offers: &[GiftOffer], now: DateTime<Utc>) -> Self {
        Self::new(c, offers.iter().map(|o| GiftView::new(&o.gift, o.remaining)).collect(), now)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct CampaignList {
    pub items: Vec<CampaignView>,
}

/// A claimed gift's voucher.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c5-0000-7000-8000-000000000001", "campaign_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a",
    "gift_id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "gift_name": "月饼礼盒", "voucher_code": "7KQ2M9XH4TPWC",
    "qr_payload": "sgh:voucher:7KQ2M9XH4TPWC", "status": "issued", "claimed_at": "2026-10-01T10:00:01+08:00",
    "expires_at": "2026-11-01T00:00:00+08:00"}))]
pub struct VoucherView {
    pub id: uuid::Uuid,
    pub campaign_id: uuid::Uuid,
    pub gift_id: uuid::Uuid,
    pub gift_name: String,
    /// 12 random characters and a check character.
    pub voucher_code: String,
    /// What the app renders as a QR code.
    pub qr_payload: String,
    /// `issued`, `redeemed` or `voided`.
    /// `issued`, `redeemed` or `voided`.
    pub status: &'static str,
    #[schema(value_type = String)]
    pub claimed_at: DateTime<FixedOffset>,
    /// The first moment the voucher is no longer valid.
    #[schema(value_type = String)]
    pub expires_at: DateTime<FixedOffset>,
}

impl From<Claim> for VoucherView {
    fn from(c: Claim) -> Self {
        Self {
            id: c.id,
            campaign_id: c.campaign.0,
            gift_id: c.gift.0,
            gift_name: c.gift_name,
            qr_payload: format!("sgh:voucher:{}", c.voucher_code),
            voucher_code: c.voucher_code,
            status: c.status.as_str(),
            claimed_at: beijing(c.claimed_at),
            expires_at: beijing(c.expires_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct VoucherList {
    pub items: Vec<VoucherView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
