//! What members and partner merchants do: member codes, browsing, verifying a member at a till,
//! recording and reversing discounted sales, and the merchant's own lists.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::time::Duration;

use super::directory::{Narrowing, Nearby};
use super::error::MerchantError;
use super::geo::GeoPoint;
use super::model::{Merchant, MerchantId, MerchantStatus, Store, StoreId};
use super::offer::{beijing_day, Offer, OfferId};
use super::partner::Partner;
use super::ports::{Catalogue, CodeUse, MemberFacts, MerchantVouchers, NewSale, Recorded, Sales};
use super::sale::{Channel, DailyTotals, MemberCode, MemberRef, Sale, SaleId};
use super::webhook::{
    DeliveryRecord, EventType, Resolver, WebhookSecret, WebhookTargets, Webhooks, ROTATION_OVERLAP_HOURS,
};
use crate::admin::{Actor, NewAuditEntry};
use crate::campaigns::pickup::VoucherState;
use crate::members::MemberId;
use crate::shared::idempotency::{Kept, KeyedAnswer};
use crate::shared::money::Fen;
use crate::shared::{Clock, Cursor, Page, PageRequest};

pub struct MerchantService<S, L, C> {
    pub catalogue: S,
    pub sales: L,
    pub clock: C,
    /// How long a member code shown in the app stays usable.
    pub code_ttl: Duration,
}

/// How the till names the member: the code on their screen, or the reference from an earlier
/// verification, or a member the edge found by their card's code (which the cards context verifies
/// and spends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberHandle {
    Code(String),
    Reference(String),
    /// Found (and its facts read) by the cards context from the card's code.
    Member(MemberId, Option<MemberFacts>),
}

/// A member as a merchant sees them after a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub reference: MemberRef,
    pub facts: MemberFacts,
    /// The offers the member may use at this store now.
    pub offers: Vec<Offer>,
}

pub struct SaleRequest {
    pub store: StoreId,
    pub member: MemberHandle,
    pub offer: OfferId,
    pub original_fen: i64,
    pub till_ref: String,
    pub channel: String,
}

/// The longest radius a search may ask for: a city's width.
pub const MAX_RADIUS_M: u32 = 50_000;

impl<S: Catalogue, L: Sales, C: Clock> MerchantService<S, L, C> {
    /// A fresh code for the member to show at a till.
    pub async fn issue_code(&self, member: MemberId) -> Result<(MemberCode, DateTime<Utc>), MerchantError> {
        // A cardholder shows the card's rotating code, which verifies once; this one would not.
        if self.sales.member_facts(member).await?.is_some_and(|f| f.cardholder) {
            return Err(MerchantError::UseCardCode);
        }
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(self.code_ttl).map_err(anyhow::Error::from)?;
        let code = MemberCode::random();
        self.sales.save_code(&code, member, now, now + ttl).await?;
        Ok((code, now + ttl))
    }

    /// Merchants with a store within `radius_m` of `near`, nearest first.
    pub async fn nearby(
        &self,
        near: GeoPoint,
        radius_m: u32,
        category: Option<String>,
        district: Option<String>,
        page: PageRequest,
    ) -> Result<Page<Nearby>, MerchantError> {
        if !(1..=MAX_RADIUS_M).contains(&radius_m) {
            return Err(MerchantError::Invalid { field: "radius_m", problem: format!("must be 1-{MAX_RADIUS_M}") });
        }
        let directory = self.catalogue.directory().await?;
        let all = directory.nearby(near, radius_m, &Narrowing { category, district });
        // The cursor counts the merchants already shown: the order is stable for a given place.
        let skip = page.after.map_or(0, |c| c.key().max(0) as usize);
        let limit = usize::from(page.limit.get());
        let more = all.len() > skip + limit;
        let items = all.into_iter().skip(skip).take(limit).map(|hit| hit.to_owned()).collect();
        let next = more.then(|| Cursor::after((skip + limit) as i64));
        Ok(Page { items, next })
    }

    /// A merchant as a member sees it: its stores and the offers the member may use today.
    pub async fn merchant_for_member(
        &self,
        id: MerchantId,
        member: MemberId,
    ) -> Result<(Merchant, Vec<Store>, Vec<Offer>), MerchantError> {
        let merchant = self
            .catalogue
            .merchant(id)
            .await?
            .filter(|m| m.status == MerchantStatus::Active)
            .ok_or(MerchantError::MerchantNotFound)?;
        let stores = self.catalogue.stores(id).await?;
        let facts = self.sales.member_facts(member).await?;
        let now = self.clock.now();
        let offers = self
            .catalogue
            .offers(id)
            .await?
            .into_iter()
            .filter(|o| facts.as_ref().is_some_and(|f| o.admits(f.activated, f.cardholder)))
            .filter(|o| stores.iter().any(|s| o.applies(s.id, now)))
            .collect();
        Ok((merchant, stores, offers))
    }

    pub async fn member_sales(
        &self,
        member: MemberId,
        page: PageRequest,
    ) -> Result<Page<(Sale, String)>, MerchantError> {
        Ok(self.sales.member_sales(member, page).await?)
    }

    /// The partner's own store, which its key may act for.
    pub async fn own_store(&self, partner: &Partner, store: StoreId) -> Result<Store, MerchantError> {
        let found = self.catalogue.store(store).await?.filter(|s| s.merchant == partner.merchant);
        let store = found.ok_or(MerchantError::StoreNotFound)?;
        if !partner.may_act_for(store.id) {
            return Err(MerchantError::OtherStore);
        }
        Ok(store)
    }

    /// The member the till names, and their facts (`None` once erased); a member code is spent
    /// when `spend` says so, and otherwise only looked at.
    async fn member_of(
        &self,
        partner: &Partner,
        handle: &MemberHandle,
        spend: bool,
    ) -> Result<(MemberId, Option<MemberFacts>), MerchantError> {
        match handle {
            MemberHandle::Code(raw) => {
                let code = MemberCode::parse(raw).ok_or(MerchantError::CodeInvalid)?;
                let now = self.clock.now();
                let found = if spend {
                    self.sales.spend_code(&code, now).await?
                } else {
                    self.sales.code_holder(&code, now).await?
                };
                match found {
                    CodeUse::Fresh(member, facts) => Ok((member, facts)),
                    CodeUse::Spent => Err(MerchantError::CodeReplayed),
                    CodeUse::Unknown => Err(MerchantError::CodeInvalid),
                }
            }
            MemberHandle::Reference(raw) => {
                let reference = MemberRef::parse(raw).ok_or(MerchantError::MemberUnknown)?;
                let member = self.sales.member_for_reference(partner.merchant, &reference).await?;
                member.ok_or(MerchantError::MemberUnknown)
            }
            MemberHandle::Member(member, facts) => Ok((*member, facts.clone())),
        }
    }

    /// The offers of the merchant `facts` admit to, usable at `store` now.
    async fn usable_offers(&self, store: &Store, facts: &MemberFacts) -> Result<Vec<Offer>, MerchantError> {
        let now = self.clock.now();
        let offers = self.catalogue.offers(store.merchant).await?;
        Ok(offers
            .into_iter()
            .filter(|o| o.applies(store.id, now) && o.admits(facts.activated, facts.cardholder))
            .collect())
    }

    /// Who the member is to this merchant, and what they may use at this store now.
    pub async fn verify(
        &self,
        partner: &Partner,
        store: StoreId,
        handle: &MemberHandle,
    ) -> Result<Verified, MerchantError> {
        let store = self.own_store(partner, store).await?;
        let (member, facts) = self.member_of(partner, handle, true).await?;
        let facts = facts.ok_or(MerchantError::CodeInvalid)?;
        let reference = self.sales.reference(partner.merchant, member, self.clock.now()).await?;
        let offers = self.usable_offers(&store, &facts).await?;
        Ok(Verified { reference, facts, offers })
    }

    /// Everything a sale checks before its write (the store is the caller's, the member in
    /// standing and qualified, the offer applies here now) and its price. Writes nothing but the
    /// member's reference at this merchant.
    pub async fn price_sale(&self, partner: &Partner, req: SaleRequest) -> Result<NewSale, MerchantError> {
        let channel = Channel::parse(&req.channel).ok_or_else(|| MerchantError::Invalid {
            field: "channel",
            problem: "must be 1-32 lower-case letters, digits, '_' or '-'".into(),
        })?;
        let till_ref = crate::shared::text::visible(&req.till_ref, 64)
            .ok_or_else(|| MerchantError::Invalid { field: "till_ref", problem: "must be 1-64 characters".into() })?;
        let store = self.own_store(partner, req.store).await?;
        let (member, facts) = self.member_of(partner, &req.member, false).await?;
        let facts = facts.ok_or(MerchantError::NotQualified)?;
        let offer = self
            .catalogue
            .offer(req.offer)
            .await?
            .filter(|o| o.merchant == partner.merchant)
            .ok_or(MerchantError::OfferNotFound)?;
        let now = self.clock.now();
        if !offer.applies(store.id, now) {
            return Err(MerchantError::OfferNotApplicable);
        }
        if !offer.admits(facts.activated, facts.cardholder) {
            return Err(MerchantError::NotQualified);
        }
        let priced = offer.discount.price(Fen::new(req.original_fen), offer.cap).map_err(MerchantError::Pricing)?;
        let member_ref = self.sales.reference(partner.merchant, member, now).await?;
        Ok(NewSale {
            id: SaleId::new(),
            merchant: partner.merchant,
            store: store.id,
            offer: offer.id,
            offer_title: offer.title.clone(),
            member,
            member_ref,
            priced,
            till_ref,
            channel: channel.as_str().to_owned(),
            at: now,
            day: beijing_day(now),
            daily_limit: offer.limits.daily,
            total_limit: offer.limits.total,
            code: match &req.member {
                MemberHandle::Code(raw) => MemberCode::parse(raw),
                _ => None,
            },
        })
    }

    /// Writes a priced sale, checking its offer, standing and limits again, and with it `answer`
    /// under its `Idempotency-Key`.
    pub async fn write_sale(&self, sale: &NewSale, answer: Option<KeyedAnswer>) -> Result<Kept, MerchantError> {
        match self.sales.record(sale.clone(), answer).await? {
            Recorded::Written => Ok(Kept::Written),
            Recorded::KeyHeld => Ok(Kept::KeyHeld),
            Recorded::LimitReached => Err(MerchantError::LimitReached),
            Recorded::NoLongerValid => Err(MerchantError::OfferNotApplicable),
            Recorded::CodeSpent => Err(MerchantError::CodeReplayed),
        }
    }

    /// Reverses a whole sale; reversing it again answers the same reversal.
    pub async fn reverse(&self, partner: &Partner, sale: SaleId, till_ref: &str) -> Result<Sale, MerchantError> {
        let existing = self.sales.sale(partner.merchant, sale).await?.ok_or(MerchantError::SaleNotFound)?;
        if !partner.may_act_for(existing.store) {
            return Err(MerchantError::OtherStore);
        }
        let till_ref = crate::shared::text::visible(till_ref, 64)
            .ok_or_else(|| MerchantError::Invalid { field: "till_ref", problem: "must be 1-64 characters".into() })?;
        let (sale, _first) = self
            .sales
            .reverse(partner.merchant, sale, till_ref, self.clock.now())
            .await?
            .ok_or(MerchantError::SaleNotFound)?;
        Ok(sale)
    }

    pub async fn sale(&self, partner: &Partner, id: SaleId) -> Result<Sale, MerchantError> {
        let sale = self.sales.sale(partner.merchant, id).await?.ok_or(MerchantError::SaleNotFound)?;
        if !partner.may_act_for(sale.store) {
            return Err(MerchantError::SaleNotFound);
        }
        Ok(sale)
    }

    fn range(from: NaiveDate, to: NaiveDate) -> Result<(), MerchantError> {
        if to < from || (to - from).num_days() > 366 {
            return Err(MerchantError::Invalid {
                field: "to",
                problem: "must be on or after from, within 366 days".into(),
            });
        }
        Ok(())
    }

    pub async fn sales(
        &self,
        partner: &Partner,
        from: NaiveDate,
        to: NaiveDate,
        page: PageRequest,
    ) -> Result<Page<Sale>, MerchantError> {
        Self::range(from, to)?;
        let page = self.sales.merchant_sales(partner.merchant, from, to, page).await?;
        // A store key sees its own store's sales only.
        Ok(Page { items: page.items.into_iter().filter(|s| partner.may_act_for(s.store)).collect(), next: page.next })
    }

    pub async fn totals(
        &self,
        partner: &Partner,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyTotals>, MerchantError> {
        Self::range(from, to)?;
        if partner.store.is_some() {
            return Err(MerchantError::OtherStore);
        }
        Ok(self.sales.daily_totals(partner.merchant, from, to).await?)
    }
}

impl<S: Catalogue, L: Sales + Webhooks, C: Clock> MerchantService<S, L, C> {
    fn whole_merchant(partner: &Partner) -> Result<(), MerchantError> {
        if partner.store.is_some() {
            return Err(MerchantError::OtherStore);
        }
        Ok(())
    }

    /// Where the merchant's events go (`None` stops them); a merchant key only.
    /// Sets (or with `None` removes) the merchant's endpoint once its URL passes the address
    /// rules; answers the URL and, the first time, the endpoint's signing secret.
    pub async fn set_webhook<R: Resolver>(
        &self,
        partner: &Partner,
        url: Option<&str>,
        targets: &WebhookTargets<R>,
    ) -> Result<(Option<String>, Option<WebhookSecret>), MerchantError> {
        Self::whole_merchant(partner)?;
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        if let Some(url) = url {
            if url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(MerchantError::Invalid {
                    field: "url",
                    problem: "must be an http(s) URL of at most 500 characters".into(),
                });
            }
            targets.check(url).await.map_err(|e| MerchantError::Invalid { field: "url", problem: e.to_string() })?;
        }
        let secret =
            self.sales.set_endpoint(partner.merchant, url.map(str::to_owned), WebhookSecret::generate()).await?;
        Ok((url.map(str::to_owned), secret))
    }

    /// A new signing secret for the merchant's endpoint; the one it replaces signs too for
    /// [`ROTATION_OVERLAP_HOURS`]. Answers the secret and when the old one stops.
    pub async fn rotate_webhook_secret(
        &self,
        partner: &Partner,
    ) -> Result<(WebhookSecret, DateTime<Utc>), MerchantError> {
        Self::whole_merchant(partner)?;
        let (fresh, until) =
            (WebhookSecret::generate(), self.clock.now() + chrono::Duration::hours(ROTATION_OVERLAP_HOURS));
        if !self.sales.rotate_secret(partner.merchant, fresh.clone(), until).await? {
            return Err(MerchantError::WebhookNotSet);
        }
        Ok((fresh, until))
    }

    pub async fn webhook(&self, partner: &Partner) -> Result<Option<String>, MerchantError> {
        Self::whole_merchant(partner)?;
        Ok(self.sales.endpoint(partner.merchant, self.clock.now()).await?.map(|e| e.url))
    }

    pub async fn deliveries(
        &self,
        partner: &Partner,
        page: PageRequest,
    ) -> Result<Page<DeliveryRecord>, MerchantError> {
        Self::whole_merchant(partner)?;
        Ok(self.sales.deliveries(partner.merchant, page).await?)
    }

    pub async fn resend(&self, partner: &Partner, id: i64) -> Result<DeliveryRecord, MerchantError> {
        Self::whole_merchant(partner)?;
        self.sales.resend(partner.merchant, id, self.clock.now()).await?.ok_or(MerchantError::DeliveryNotFound)
    }
}

/// A merchant's webhook as staff see it: where events go and a page of its deliveries.
#[derive(Debug, Clone)]
pub struct WebhookOverview {
    pub url: Option<String>,
    pub deliveries: Page<DeliveryRecord>,
}

impl<S: Catalogue, L: Sales + Webhooks, C: Clock> MerchantService<S, L, C> {
    /// The merchant's endpoint and a page of its deliveries, newest first, for staff.
    pub async fn webhook_overview(
        &self,
        merchant: MerchantId,
        page: PageRequest,
    ) -> Result<WebhookOverview, MerchantError> {
        self.catalogue.merchant(merchant).await?.ok_or(MerchantError::MerchantNotFound)?;
        let url = self.sales.endpoint(merchant, self.clock.now()).await?.map(|e| e.url);
        Ok(WebhookOverview { url, deliveries: self.sales.deliveries(merchant, page).await? })
    }

    /// Queues a `webhook.test` event to the merchant's endpoint, delivered and retried like any
    /// other, so staff and the merchant can see the endpoint answer (audit-logged as `webhook.test`).
    pub async fn send_test_event(&self, actor: &Actor, merchant: MerchantId) -> Result<DeliveryRecord, MerchantError> {
        if !actor.role.may_write() {
            return Err(MerchantError::Forbidden);
        }
        self.catalogue.merchant(merchant).await?.ok_or(MerchantError::MerchantNotFound)?;
        let now = self.clock.now();
        let payload = super::webhook::payload(merchant, EventType::Test, now, json!({"test": true}));
        let audit = NewAuditEntry::by(actor, now, "webhook.test", merchant.to_string());
        self.sales.queue_test(merchant, payload, now, audit).await?.ok_or(MerchantError::WebhookNotSet)
    }
}

impl<S: Catalogue, L: Sales + MerchantVouchers, C: Clock> MerchantService<S, L, C> {
    /// Whether a gift voucher could be redeemed at this store now, changing nothing.
    pub async fn check_voucher(
        &self,
        partner: &Partner,
        store: StoreId,
        code: &str,
    ) -> Result<VoucherState, MerchantError> {
        let store = self.own_store(partner, store).await?;
        let Some(code) = crate::campaigns::voucher::parse_code(code) else { return Ok(VoucherState::NotFound) };
        Ok(self.sales.voucher_state(&code, store.id, self.clock.now()).await?)
    }

    /// Redeems a gift voucher at this store (核销), once; repeating a redemption made here answers
    /// the same.
    pub async fn redeem_voucher(
        &self,
        partner: &Partner,
        store: StoreId,
        code: &str,
        till_ref: &str,
    ) -> Result<VoucherState, MerchantError> {
        let till_ref = crate::shared::text::visible(till_ref, 64)
            .ok_or_else(|| MerchantError::Invalid { field: "till_ref", problem: "must be 1-64 characters".into() })?;
        let store = self.own_store(partner, store).await?;
        let Some(code) = crate::campaigns::voucher::parse_code(code) else { return Ok(VoucherState::NotFound) };
        Ok(self.sales.redeem_voucher(&code, store.id, partner.merchant, till_ref, self.clock.now()).await?)
    }
}
