//! Rows of the merchant tables and their conversion into domain values.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::schema::{discount_sales, merchants, offers, stores};
use domain::merchants::geo::GeoPoint;
use domain::merchants::offer::Limits;
use domain::merchants::{
    Audience, BankMerchantId, Discount, Mchid, Merchant, MerchantStatus, Offer, OfferStatus, PartnerKind, Priced, Sale,
    Store, Weekdays,
};
use domain::shared::money::Fen;
use domain::shared::EmailAddress;

fn bad(what: &str, value: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("stored {what} is invalid: {value}")
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = merchants)]
pub(super) struct MerchantRow {
    pub id: String,
    pub mchid: String,
    pub name: String,
    pub category: String,
    pub contact: String,
    pub settlement_email: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub kind: String,
    pub bank_merchant_id: Option<String>,
}

impl TryFrom<MerchantRow> for Merchant {
    type Error = anyhow::Error;
    fn try_from(r: MerchantRow) -> anyhow::Result<Self> {
        Ok(Merchant {
            id: r.id.parse()?,
            mchid: Mchid::parse(&r.mchid).ok_or_else(|| bad("mchid", &r.mchid))?,
            name: r.name,
            category: r.category,
            contact: r.contact,
            settlement_email: EmailAddress::parse(&r.settlement_email)
                .map_err(|_| bad("e-mail", &r.settlement_email))?,
            status: MerchantStatus::parse(&r.status).ok_or_else(|| bad("merchant status", &r.status))?,
            created_at: r.created_at.and_utc(),
            kind: PartnerKind::parse(&r.kind).ok_or_else(|| bad("partner kind", &r.kind))?,
            bank_merchant_id: r
                .bank_merchant_id
                .map(|id| BankMerchantId::parse(&id).ok_or_else(|| bad("bank merchant id", &id)))
                .transpose()?,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = stores)]
pub(super) struct StoreRow {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub address: String,
    pub district: String,
    pub lat_e6: i32,
    pub lng_e6: i32,
    pub hours: String,
}

impl TryFrom<StoreRow> for Store {
    type Error = anyhow::Error;
    fn try_from(r: StoreRow) -> anyhow::Result<Self> {
        Ok(Store {
            id: r.id.parse()?,
            merchant: r.merchant_id.parse()?,
            name: r.name,
            address: r.address,
            district: r.district,
            location: GeoPoint::from_e6(r.lat_e6, r.lng_e6).map_err(|_| bad("position", r.lat_e6))?,
            hours: r.hours,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = offers)]
pub(super) struct OfferRow {
    pub id: String,
    pub merchant_id: String,
    pub title: String,
    pub kind: String,
    pub percent_bps: Option<i32>,
    pub amount_fen: Option<i64>,
    pub threshold_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub weekdays: i32,
    pub all_stores: bool,
    pub audience: String,
    pub daily_limit: Option<i32>,
    pub total_limit: Option<i32>,
    pub status: String,
    pub funder: String,
}

/// The discount's columns: (kind, percent_bps, amount_fen, threshold_fen).
pub(super) fn discount_columns(d: Discount) -> (&'static str, Option<i32>, Option<i64>, Option<i64>) {
    match d {
        Discount::PercentOff { bps } => ("percent_off", Some(bps as i32), None, None),
        Discount::AmountOff { amount } => ("amount_off", None, Some(amount.get()), None),
        Discount::SpendSave { threshold, save } => ("spend_save", None, Some(save.get()), Some(threshold.get())),
    }
}

impl OfferRow {
    /// `stores` are the listed stores, used only when the offer is not for all of them.
    pub fn into_offer(self, stores: Vec<String>) -> anyhow::Result<Offer> {
        let discount = match (self.kind.as_str(), self.percent_bps, self.amount_fen, self.threshold_fen) {
            ("percent_off", Some(bps), _, _) => Discount::percent_off(i64::from(bps)),
            ("amount_off", _, Some(fen), _) => Discount::amount_off(fen),
            ("spend_save", _, Some(save), Some(threshold)) => Discount::spend_save(threshold, save),
            _ => return Err(bad("discount", &self.kind)),
        }
        .map_err(|e| bad("discount", e))?;
        let limit = |n: Option<i32>| n.map(|n| u32::try_from(n).map_err(|_| bad("limit", n))).transpose();
        Ok(Offer {
            id: self.id.parse()?,
            merchant: self.merchant_id.parse()?,
            title: self.title,
            discount,
            cap: self.cap_fen.map(Fen::new),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            weekdays: Weekdays::from_bits(self.weekdays).ok_or_else(|| bad("weekdays", self.weekdays))?,
            stores: if self.all_stores {
                None
            } else {
                Some(stores.iter().map(|s| s.parse()).collect::<Result<_, _>>()?)
            },
            audience: Audience::parse(&self.audience).ok_or_else(|| bad("audience", &self.audience))?,
            limits: Limits { daily: limit(self.daily_limit)?, total: limit(self.total_limit)? },
            status: OfferStatus::parse(&self.status).ok_or_else(|| bad("offer status", &self.status))?,
            funder: self.funder.parse().map_err(|_| bad("funder", &self.funder))?,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = discount_sales)]
pub(super) struct SaleRow {
    pub seq: i64,
    pub id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub offer_id: String,
    pub member_ref: String,
    pub original_fen: i64,
    pub discount_fen: i64,
    pub paid_fen: i64,
    pub till_ref: String,
    pub channel: String,
    pub sale_day: NaiveDate,
    pub created_at: NaiveDateTime,
    pub reversed_at: Option<NaiveDateTime>,
}

impl SaleRow {
    pub fn into_sale(self, offer_title: String) -> anyhow::Result<Sale> {
        Ok(Sale {
            id: self.id.parse()?,
            merchant: self.merchant_id.parse()?,
            store: self.store_id.parse()?,
            offer: self.offer_id.parse()?,
            offer_title,
            member_ref: domain::merchants::MemberRef::parse(&self.member_ref)
                .ok_or_else(|| bad("reference", &self.member_ref))?,
            priced: Priced {
                original: Fen::new(self.original_fen),
                discount: Fen::new(self.discount_fen),
                to_pay: Fen::new(self.paid_fen),
            },
            till_ref: self.till_ref,
            channel: self.channel,
            day: self.sale_day,
            at: self.created_at.and_utc(),
            reversed_at: self.reversed_at.map(|t| t.and_utc()),
        })
    }
}
