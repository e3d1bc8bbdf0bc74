use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

use std::sync::Arc;

use super::directory::Directory;
use super::model::{BankMerchantId, Mchid, Merchant, MerchantId, MerchantStatus, Store, StoreId};
use super::offer::{Offer, OfferId, OfferStatus};
use super::partner::{KeySerial, PartnerKey};
use super::pricing::Priced;
use super::sale::{DailyTotals, MemberCode, MemberRef, Sale, SaleId};
use crate::admin::NewAuditEntry;
use crate::members::MemberId;
use crate::shared::idempotency::KeyedAnswer;
use crate::shared::{Page, PageRequest};

/// Merchants, stores, offers and partner keys. Every change is written with its audit entry in
/// one transaction.
pub trait Catalogue: Send + Sync + 'static {
    /// `false` when the merchant number is taken (the caller draws another).
    fn insert_merchant(&self, m: &Merchant, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn merchant(&self, id: MerchantId) -> impl Future<Output = anyhow::Result<Option<Merchant>>> + Send;
    fn merchant_by_mchid(&self, mchid: &Mchid) -> impl Future<Output = anyhow::Result<Option<Merchant>>> + Send;
    /// The merchant the bank knows by `id` in its card transactions.
    fn merchant_by_bank_id(&self, id: &BankMerchantId)
        -> impl Future<Output = anyhow::Result<Option<Merchant>>> + Send;
    fn merchants(&self) -> impl Future<Output = anyhow::Result<Vec<Merchant>>> + Send;
    /// `false` when there is no such merchant.
    fn set_merchant_status(
        &self,
        id: MerchantId,
        status: MerchantStatus,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn insert_store(&self, s: &Store, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn store(&self, id: StoreId) -> impl Future<Output = anyhow::Result<Option<Store>>> + Send;
    fn stores(&self, merchant: MerchantId) -> impl Future<Output = anyhow::Result<Vec<Store>>> + Send;
    /// Every store of every active merchant, for searches answered in memory.
    fn directory(&self) -> impl Future<Output = anyhow::Result<Arc<Directory>>> + Send;
    fn insert_offer(&self, o: &Offer, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn offer(&self, id: OfferId) -> impl Future<Output = anyhow::Result<Option<Offer>>> + Send;
    fn offers(&self, merchant: MerchantId) -> impl Future<Output = anyhow::Result<Vec<Offer>>> + Send;
    /// Moves the offer from `from` to `to`; `false` when it was no longer in `from`.
    fn set_offer_status(
        &self,
        id: OfferId,
        from: OfferStatus,
        to: OfferStatus,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn insert_key(&self, key: &PartnerKey, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn key(&self, serial: &KeySerial) -> impl Future<Output = anyhow::Result<Option<PartnerKey>>> + Send;
    fn keys(&self, merchant: MerchantId) -> impl Future<Output = anyhow::Result<Vec<PartnerKey>>> + Send;
    /// `false` when the merchant has no such unrevoked key.
    fn revoke_key(
        &self,
        merchant: MerchantId,
        serial: &KeySerial,
        at: DateTime<Utc>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// What a merchant may learn about a member, read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    /// `张*`, or `None` before a real name is bound.
    pub masked_name: Option<String>,
    /// In standing for benefits: activated on the roster, current consent, not suspended or
    /// erased.
    pub activated: bool,
    pub cardholder: bool,
}

/// A sale to record: every limit is checked again inside the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSale {
    pub id: SaleId,
    pub merchant: MerchantId,
    pub store: StoreId,
    pub offer: OfferId,
    /// The title it was priced under, which its answer shows.
    pub offer_title: String,
    pub member: MemberId,
    pub member_ref: MemberRef,
    pub priced: Priced,
    pub till_ref: String,
    pub channel: String,
    pub at: DateTime<Utc>,
    pub day: NaiveDate,
    pub daily_limit: Option<u32>,
    pub total_limit: Option<u32>,
    /// The member code the till named the member by, spent in the sale's own write: a retry
    /// under the same `Idempotency-Key` finds the first answer, not a spent code.
    pub code: Option<MemberCode>,
}

impl NewSale {
    /// The sale as it reads once written: everything in it is known before the write, so its
    /// answer can be kept in the same commit.
    pub fn sale(&self) -> Sale {
        Sale {
            id: self.id,
            merchant: self.merchant,
            store: self.store,
            offer: self.offer,
            offer_title: self.offer_title.clone(),
            member_ref: self.member_ref.clone(),
            priced: self.priced,
            till_ref: self.till_ref.clone(),
            channel: self.channel.clone(),
            day: self.day,
            at: self.at,
            reversed_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Written,
    LimitReached,
    /// Between the look-up and the write the member left standing or the offer stopped being
    /// published (paused, expired) or the merchant was suspended.
    NoLongerValid,
    /// The answer's `Idempotency-Key` was already held: nothing was written.
    KeyHeld,
    /// The sale's member code was spent by another verify or sale in the meantime.
    CodeSpent,
}

/// What spending a member code found.
#[derive(Debug, Clone)]
pub enum CodeUse {
    Fresh(MemberId, Option<MemberFacts>),
    /// Live, but verified or used for a sale before.
    Spent,
    /// Never issued, or expired.
    Unknown,
}

/// Member codes, member references and discounted sales.
pub trait Sales: Send + Sync + 'static {
    fn save_code(
        &self,
        code: &MemberCode,
        member: MemberId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// What a code names now, without spending it (a sale spends it in its write).
    fn code_holder(
        &self,
        code: &MemberCode,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<CodeUse>> + Send;
    /// Spends a live code: the first call gets the member it belongs to, with their facts read
    /// in the same look-up (`None` once the member is erased); every later one `Spent`. Two
    /// calls at once get one `Fresh` between them.
    fn spend_code(&self, code: &MemberCode, now: DateTime<Utc>)
        -> impl Future<Output = anyhow::Result<CodeUse>> + Send;
    fn member_facts(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Option<MemberFacts>>> + Send;
    /// The member's pseudonym at this merchant, remembered so it can be resolved later.
    fn reference(
        &self,
        merchant: MerchantId,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<MemberRef>> + Send;
    /// The member behind the merchant's reference, with their facts as [`Sales::spend_code`].
    fn member_for_reference(
        &self,
        merchant: MerchantId,
        reference: &MemberRef,
    ) -> impl Future<Output = anyhow::Result<Option<(MemberId, Option<MemberFacts>)>>> + Send;
    /// Atomically: the member still in standing, the offer still published, the merchant active,
    /// the member's uses of the offer within its limits; then the sale and the use are written,
    /// and with them `answer` under its key, unless that key is held already.
    fn record(
        &self,
        sale: NewSale,
        answer: Option<KeyedAnswer>,
    ) -> impl Future<Output = anyhow::Result<Recorded>> + Send;
    /// Marks the sale reversed and gives the member's use back, once: `(sale, true)` the first
    /// time, `(sale, false)` for a sale already reversed, `None` when the merchant has no such sale.
    fn reverse(
        &self,
        merchant: MerchantId,
        sale: SaleId,
        till_ref: String,
        at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Option<(Sale, bool)>>> + Send;
    fn sale(&self, merchant: MerchantId, sale: SaleId) -> impl Future<Output = anyhow::Result<Option<Sale>>> + Send;
    /// The merchant's sales on Beijing days `from..=to`, newest first.
    fn merchant_sales(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        to: NaiveDate,
        page: PageRequest,
    ) -> impl Future<Output = anyhow::Result<Page<Sale>>> + Send;
    fn member_sales(
        &self,
        member: MemberId,
        page: PageRequest,
    ) -> impl Future<Output = anyhow::Result<Page<(Sale, String)>>> + Send;
    /// Totals per Beijing day in `from..=to` on which anything happened, oldest first.
    fn daily_totals(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = anyhow::Result<Vec<DailyTotals>>> + Send;
}

/// Campaign gifts handed out as vouchers at partner stores (核销 through the partner API).
pub trait MerchantVouchers: Send + Sync + 'static {
    /// Lists the gift at the store; `false` when either does not exist.
    fn list_gift_at_store(
        &self,
        gift: crate::campaigns::GiftId,
        store: StoreId,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn voucher_state(
        &self,
        code: &str,
        store: StoreId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<crate::campaigns::pickup::VoucherState>> + Send;
    /// Redeems atomically (issued, not expired at this moment, listed at this store), recording
    /// the store and till and queuing the merchant's `voucher.redeemed` event; answers the state
    /// afterwards.
    fn redeem_voucher(
        &self,
        code: &str,
        store: StoreId,
        merchant: MerchantId,
        till_ref: String,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<crate::campaigns::pickup::VoucherState>> + Send;
}
