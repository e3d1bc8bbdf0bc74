//! Staff manage the catalogue: merchants, their stores and offers, and their partner keys.

use chrono::NaiveDate;
use serde_json::json;

use super::error::MerchantError;
use super::geo::GeoPoint;
use super::model::{
    BankMerchantId, BankMerchantIdTaken, Mchid, Merchant, MerchantId, MerchantStatus, PartnerKind, Store, StoreId,
};
use super::offer::{Audience, Funder, Limits, Offer, OfferId, OfferStatus, Weekdays};
use super::partner::{KeySerial, PartnerKey};
use super::ports::{Catalogue, MerchantVouchers};
use super::pricing::Discount;
use crate::admin::{Actor, NewAuditEntry};
use crate::shared::money::Fen;
use crate::shared::text::visible;
use crate::shared::{Clock, EmailAddress};

pub struct NewMerchant<'a> {
    pub name: &'a str,
    pub category: &'a str,
    pub contact: &'a str,
    pub settlement_email: &'a str,
    /// `merchant` (the default) or `bank`.
    pub kind: Option<&'a str>,
    pub bank_merchant_id: Option<&'a str>,
}

pub struct NewStore<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub district: &'a str,
    pub lat: f64,
    pub lng: f64,
    pub hours: &'a str,
}

pub struct NewOffer<'a> {
    pub title: &'a str,
    pub discount: Discount,
    pub cap_fen: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// ISO weekdays (1 Monday … 7 Sunday); empty for every day.
    pub weekdays: &'a [u8],
    /// `None`: every store of the merchant.
    pub stores: Option<Vec<StoreId>>,
    pub audience: Audience,
    pub daily_limit: Option<i64>,
    pub total_limit: Option<i64>,
    /// Who pays its rebates on card transactions.
    pub funder: Funder,
}

pub struct CatalogueService<S, C> {
    pub store: S,
    pub clock: C,
}

fn text(field: &'static str, raw: &str, max: usize) -> Result<String, MerchantError> {
    visible(raw, max).ok_or_else(|| MerchantError::Invalid { field, problem: format!("must be 1-{max} characters") })
}

fn invalid(field: &'static str, problem: impl Into<String>) -> MerchantError {
    MerchantError::Invalid { field, problem: problem.into() }
}

fn limit(field: &'static str, raw: Option<i64>) -> Result<Option<u32>, MerchantError> {
    raw.map(|n| {
        u32::try_from(n).ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| invalid(field, "must be 1-10000"))
    })
    .transpose()
}

impl<S: Catalogue + MerchantVouchers, C: Clock> CatalogueService<S, C> {
    /// Lets a campaign gift's vouchers be redeemed at a partner store.
    pub async fn list_gift_at_store(
        &self,
        actor: &Actor,
        gift: crate::campaigns::GiftId,
        store: StoreId,
    ) -> Result<(), MerchantError> {
        Self::writer(actor)?;
        let audit =
            self.audit(actor, "gift.store", gift.to_string()).change(None, Some(json!({"store": store.to_string()})));
        if self.store.list_gift_at_store(gift, store, audit).await? {
            Ok(())
        } else {
            Err(MerchantError::StoreNotFound)
        }
    }
}

impl<S: Catalogue, C: Clock> CatalogueService<S, C> {
    fn writer(actor: &Actor) -> Result<(), MerchantError> {
        if actor.role.may_write() {
            Ok(())
        } else {
            Err(MerchantError::Forbidden)
        }
    }

    fn audit(&self, actor: &Actor, action: &'static str, target: String) -> NewAuditEntry {
        NewAuditEntry::by(actor, self.clock.now(), action, target)
    }

    pub async fn create_merchant(&self, actor: &Actor, new: NewMerchant<'_>) -> Result<Merchant, MerchantError> {
        Self::writer(actor)?;
        let settlement_email = EmailAddress::parse(new.settlement_email)
            .map_err(|_| invalid("settlement_email", "must be an e-mail address"))?;
        let mut merchant = Merchant {
            id: MerchantId::new(),
            mchid: Mchid::random(),
            name: text("name", new.name, 60)?,
            category: text("category", new.category, 20)?,
            contact: text("contact", new.contact, 60)?,
            settlement_email,
            status: MerchantStatus::Active,
            created_at: self.clock.now(),
            kind: match new.kind {
                None => PartnerKind::Merchant,
                Some(raw) => PartnerKind::parse(raw).ok_or_else(|| invalid("kind", "must be merchant or bank"))?,
            },
            bank_merchant_id: new
                .bank_merchant_id
                .map(|raw| {
                    BankMerchantId::parse(raw)
                        .ok_or_else(|| invalid("bank_merchant_id", "must be 1-32 letters, digits, '-' or '_'"))
                })
                .transpose()?,
        };
        if merchant.kind == PartnerKind::Bank && merchant.bank_merchant_id.is_some() {
            return Err(invalid("bank_merchant_id", "is for merchants, not the bank"));
        }
        // A clash of random ten-digit numbers is rare; a few draws settle it.
        for _ in 0..5 {
            let audit = self.audit(actor, "merchant.create", merchant.id.to_string()).change(
                None,
                Some(json!({"mchid": merchant.mchid.as_str(), "name": merchant.name, "category": merchant.category,
                    "contact": merchant.contact, "settlement_email": merchant.settlement_email.as_str(),
                    "kind": merchant.kind.as_str(),
                    "bank_merchant_id": merchant.bank_merchant_id.as_ref().map(BankMerchantId::as_str)})),
            );
            match self.store.insert_merchant(&merchant, audit).await {
                Ok(true) => return Ok(merchant),
                Ok(false) => {}
                Err(e) if e.is::<BankMerchantIdTaken>() => {
                    return Err(invalid("bank_merchant_id", "is another merchant's"));
                }
                Err(e) => return Err(e.into()),
            }
            merchant.mchid = Mchid::random();
        }
        Err(anyhow::anyhow!("no free merchant number after five draws").into())
    }

    pub async fn merchants(&self) -> Result<Vec<Merchant>, MerchantError> {
        Ok(self.store.merchants().await?)
    }

    pub async fn merchant(&self, id: MerchantId) -> Result<Merchant, MerchantError> {
        self.store.merchant(id).await?.ok_or(MerchantError::MerchantNotFound)
    }

    pub async fn set_status(&self, actor: &Actor, id: MerchantId, status: MerchantStatus) -> Result<(), MerchantError> {
        Self::writer(actor)?;
        let audit =
            self.audit(actor, "merchant.status", id.to_string()).change(None, Some(json!({"status": status.as_str()})));
        if self.store.set_merchant_status(id, status, audit).await? {
            Ok(())
        } else {
            Err(MerchantError::MerchantNotFound)
        }
    }

    pub async fn add_store(
        &self,
        actor: &Actor,
        merchant: MerchantId,
        new: NewStore<'_>,
    ) -> Result<Store, MerchantError> {
        Self::writer(actor)?;
        if self.merchant(merchant).await?.kind == PartnerKind::Bank {
            return Err(invalid("merchant", "is the bank, which has no stores"));
        }
        let location = GeoPoint::from_degrees(new.lat, new.lng).map_err(|e| invalid("lat", e.to_string()))?;
        let store = Store {
            id: StoreId::new(),
            merchant,
            name: text("name", new.name, 60)?,
            address: text("address", new.address, 200)?,
            district: text("district", new.district, 20)?,
            location,
            hours: text("hours", new.hours, 60)?,
        };
        let audit = self.audit(actor, "store.create", store.id.to_string()).change(
            None,
            Some(json!({"merchant": merchant.to_string(), "name": store.name, "address": store.address,
                "district": store.district, "lat": location.lat(), "lng": location.lng(), "hours": store.hours})),
        );
        self.store.insert_store(&store, audit).await?;
        Ok(store)
    }

    pub async fn stores(&self, merchant: MerchantId) -> Result<Vec<Store>, MerchantError> {
        Ok(self.store.stores(merchant).await?)
    }

    /// A new offer starts as a draft.
    pub async fn create_offer(
        &self,
        actor: &Actor,
        merchant: MerchantId,
        new: NewOffer<'_>,
    ) -> Result<Offer, MerchantError> {
        Self::writer(actor)?;
        self.merchant(merchant).await?;
        if new.valid_until < new.valid_from {
            return Err(invalid("valid_until", "must not be before valid_from"));
        }
        let weekdays = if new.weekdays.is_empty() {
            Weekdays::ALL
        } else {
            Weekdays::from_iso(new.weekdays).ok_or_else(|| invalid("weekdays", "must be ISO weekdays 1-7"))?
        };
        let cap = new.cap_fen.map(Fen::payment).transpose().map_err(|e| invalid("cap_fen", e.to_string()))?;
        if let Some(stores) = &new.stores {
            if stores.is_empty() {
                return Err(invalid("store_ids", "list at least one store, or leave it out for all"));
            }
            let own = self.store.stores(merchant).await?;
            if let Some(other) = stores.iter().find(|s| !own.iter().any(|o| o.id == **s)) {
                return Err(invalid("store_ids", format!("{other} is not a store of this merchant")));
            }
        }
        let offer = Offer {
            id: OfferId::new(),
            merchant,
            title: text("title", new.title, 60)?,
            discount: new.discount,
            cap,
            valid_from: new.valid_from,
            valid_until: new.valid_until,
            weekdays,
            stores: new.stores.map(|mut s| {
                s.sort();
                s.dedup();
                s
            }),
            audience: new.audience,
            limits: Limits {
                daily: limit("daily_limit", new.daily_limit)?,
                total: limit("total_limit", new.total_limit)?,
            },
            status: OfferStatus::Draft,
            funder: new.funder,
        };
        let audit = self.audit(actor, "offer.create", offer.id.to_string()).change(
            None,
            Some(json!({"merchant": merchant.to_string(), "title": offer.title, "kind": offer.discount.kind(),
                "valid_from": offer.valid_from, "valid_until": offer.valid_until, "audience": offer.audience.as_str()})),
        );
        self.store.insert_offer(&offer, audit).await?;
        Ok(offer)
    }

    pub async fn offers(&self, merchant: MerchantId) -> Result<Vec<Offer>, MerchantError> {
        Ok(self.store.offers(merchant).await?)
    }

    /// Publishing, pausing, expiring.
    pub async fn set_offer_status(
        &self,
        actor: &Actor,
        merchant: MerchantId,
        id: OfferId,
        to: OfferStatus,
    ) -> Result<Offer, MerchantError> {
        Self::writer(actor)?;
        let offer =
            self.store.offer(id).await?.filter(|o| o.merchant == merchant).ok_or(MerchantError::OfferNotFound)?;
        if offer.status == to {
            return Ok(offer);
        }
        if !offer.status.may_become(to) {
            return Err(MerchantError::StatusChange { from: offer.status.as_str(), to: to.as_str() });
        }
        let audit = self
            .audit(actor, "offer.status", id.to_string())
            .change(Some(json!({"status": offer.status.as_str()})), Some(json!({"status": to.as_str()})));
        if !self.store.set_offer_status(id, offer.status, to, audit).await? {
            // Someone else moved it first: answer from where it is now.
            let now = self.store.offer(id).await?.ok_or(MerchantError::OfferNotFound)?;
            return Err(MerchantError::StatusChange { from: now.status.as_str(), to: to.as_str() });
        }
        Ok(Offer { status: to, ..offer })
    }

    /// Registers a merchant's public key (already checked to be RSA of 2048 bits or more) for the
    /// whole merchant or one of its stores.
    pub async fn register_key(
        &self,
        actor: &Actor,
        merchant: MerchantId,
        store: Option<StoreId>,
        public_key_der: Vec<u8>,
    ) -> Result<PartnerKey, MerchantError> {
        Self::writer(actor)?;
        self.merchant(merchant).await?;
        if let Some(store) = store {
            self.store.store(store).await?.filter(|s| s.merchant == merchant).ok_or(MerchantError::StoreNotFound)?;
        }
        let key = PartnerKey {
            serial: KeySerial::random(),
            merchant,
            store,
            public_key_der,
            created_at: self.clock.now(),
            revoked_at: None,
        };
        let audit = self
            .audit(actor, "partner_key.register", key.serial.as_str().to_owned())
            .change(None, Some(json!({"merchant": merchant.to_string(), "store": store.map(|s| s.to_string())})));
        self.store.insert_key(&key, audit).await?;
        Ok(key)
    }

    pub async fn keys(&self, merchant: MerchantId) -> Result<Vec<PartnerKey>, MerchantError> {
        self.merchant(merchant).await?;
        Ok(self.store.keys(merchant).await?)
    }

    pub async fn revoke_key(&self, actor: &Actor, merchant: MerchantId, serial: &str) -> Result<(), MerchantError> {
        Self::writer(actor)?;
        let serial = KeySerial::parse(serial).ok_or(MerchantError::KeyNotFound)?;
        let now = self.clock.now();
        let audit = self.audit(actor, "partner_key.revoke", serial.as_str().to_owned());
        if self.store.revoke_key(merchant, &serial, now, audit).await? {
            Ok(())
        } else {
            Err(MerchantError::KeyNotFound)
        }
    }
}
