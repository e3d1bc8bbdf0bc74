//! Catalogue reads kept in memory for a moment. A till's verification and sale read the store and
//! the merchant's offers on every call, and so does every member opening a merchant's page; the
//! catalogue changes a few times a day. Keeping each answer for [`FRESH_FOR_MS`] takes those reads
//! off the database without letting staleness matter: a change made through this instance forgets
//! everything at once, one made on another instance is seen within the second, and the sale's own
//! transaction checks the offer's status and the merchant's again, so a paused offer is never used.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::directory::Directory;
use super::model::{BankMerchantId, Mchid, Merchant, MerchantId, MerchantStatus, Store, StoreId};
use super::offer::{Offer, OfferId, OfferStatus};
use super::partner::{KeySerial, PartnerKey};
use super::ports::{Catalogue, MerchantVouchers};
use crate::admin::NewAuditEntry;
use crate::campaigns::pickup::VoucherState;
use crate::campaigns::GiftId;
use crate::shared::Clock;

/// How long a read is served from memory.
pub const FRESH_FOR_MS: i64 = 1_000;

/// Past this many entries in one map, it starts again empty: ids that arrive from outside (a
/// fuzzer's, a scraper's) must not grow memory without bound.
const MAX_ENTRIES: usize = 50_000;

type Timed<K, V> = HashMap<K, (DateTime<Utc>, V)>;

/// The directory and when it was read.
type KeptDirectory = (DateTime<Utc>, Arc<Directory>);

#[derive(Default)]
struct Kept {
    merchants: Timed<MerchantId, Option<Merchant>>,
    store: Timed<StoreId, Option<Store>>,
    stores: Timed<MerchantId, Vec<Store>>,
    offers: Timed<MerchantId, Vec<Offer>>,
    offer: Timed<OfferId, Option<Offer>>,
}

/// How long the whole store directory is kept: reading it costs a few milliseconds per ten
/// thousand stores, and a search showing a store opened on another instance a few seconds late
/// is harmless.
pub const DIRECTORY_FRESH_FOR_MS: i64 = 5_000;

/// The one reload of the directory under way; whoever started it clears the flag, also when its
/// request is dropped half-way.
struct Reloading<'a>(&'a AtomicBool);

impl<'a> Reloading<'a> {
    fn start(flag: &'a AtomicBool) -> Option<Self> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(Self(flag))
    }
}

impl Drop for Reloading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A [`Catalogue`] that answers recent reads from memory. Clones share what they keep, so the
/// staff's catalogue service and the members' and partners' service see one another's changes.
#[derive(Clone)]
pub struct CachedCatalogue<S, C> {
    inner: S,
    clock: C,
    kept: Arc<RwLock<Kept>>,
    directory: Arc<RwLock<Option<KeptDirectory>>>,
    reloading: Arc<AtomicBool>,
    /// Counts changes: a read that began before one is answered but not kept.
    generation: Arc<AtomicU64>,
}

impl<S, C: Clock> CachedCatalogue<S, C> {
    pub fn new(inner: S, clock: C) -> Self {
        Self {
            inner,
            clock,
            kept: Arc::default(),
            directory: Arc::default(),
            reloading: Arc::default(),
            generation: Arc::default(),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Forgets every kept read: after any change to the catalogue.
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.kept.write().unwrap_or_else(|p| p.into_inner()) = Kept::default();
        // The directory is kept but marked stale: the next search reloads it, and searches
        // running meanwhile are not all sent to the database at once.
        if let Some((at, _)) = self.directory.write().unwrap_or_else(|p| p.into_inner()).as_mut() {
            *at = DateTime::<Utc>::MIN_UTC;
        }
    }

    /// A kept read of `key` in the map `read`/`write` pick, or `load`'s answer, kept. Hits take
    /// the shared lock only: they are every till's and every member page's.
    async fn through<K, V>(
        &self,
        read: fn(&Kept) -> &Timed<K, V>,
        write: fn(&mut Kept) -> &mut Timed<K, V>,
        key: K,
        load: impl std::future::Future<Output = anyhow::Result<V>>,
    ) -> anyhow::Result<V>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let now = self.clock.now();
        let fresh = |at: DateTime<Utc>| at <= now && now < at + Duration::milliseconds(FRESH_FOR_MS);
        {
            let kept = self.kept.read().unwrap_or_else(|p| p.into_inner());
            if let Some((at, value)) = read(&kept).get(&key) {
                if fresh(*at) {
                    return Ok(value.clone());
                }
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let value = load.await?;
        let mut kept = self.kept.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return Ok(value);
        }
        let entries = write(&mut kept);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (now, value.clone()));
        Ok(value)
    }

    /// Runs a change, then forgets what was kept (also when the change failed half-way: what it
    /// touched is unknown).
    async fn changing<T>(&self, change: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        let outcome = change.await;
        self.forget();
        outcome
    }
}

impl<S: Catalogue, C: Clock> Catalogue for CachedCatalogue<S, C> {
    async fn insert_merchant(&self, m: &Merchant, audit: NewAuditEntry) -> anyhow::Result<bool> {
        self.changing(self.inner.insert_merchant(m, audit)).await
    }

    async fn merchant(&self, id: MerchantId) -> anyhow::Result<Option<Merchant>> {
        self.through(|k| &k.merchants, |k| &mut k.merchants, id, self.inner.merchant(id)).await
    }

    async fn merchant_by_mchid(&self, mchid: &Mchid) -> anyhow::Result<Option<Merchant>> {
        self.inner.merchant_by_mchid(mchid).await
    }

    async fn merchant_by_bank_id(&self, id: &BankMerchantId) -> anyhow::Result<Option<Merchant>> {
        self.inner.merchant_by_bank_id(id).await
    }

    async fn merchants(&self) -> anyhow::Result<Vec<Merchant>> {
        self.inner.merchants().await
    }

    async fn set_merchant_status(
        &self,
        id: MerchantId,
        status: MerchantStatus,
        audit: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        self.changing(self.inner.set_merchant_status(id, status, audit)).await
    }

    async fn insert_store(&self, s: &Store, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.changing(self.inner.insert_store(s, audit)).await
    }

    async fn store(&self, id: StoreId) -> anyhow::Result<Option<Store>> {
        self.through(|k| &k.store, |k| &mut k.store, id, self.inner.store(id)).await
    }

    async fn stores(&self, merchant: MerchantId) -> anyhow::Result<Vec<Store>> {
        self.through(|k| &k.stores, |k| &mut k.stores, merchant, self.inner.stores(merchant)).await
    }

    /// Kept for [`DIRECTORY_FRESH_FOR_MS`]; once older, one caller reloads it while the others
    /// are answered from the one they have.
    async fn directory(&self) -> anyhow::Result<Arc<Directory>> {
        let now = self.clock.now();
        let kept = self.directory.read().unwrap_or_else(|p| p.into_inner()).clone();
        let stale = match kept {
            Some((at, directory)) if at <= now && now < at + Duration::milliseconds(DIRECTORY_FRESH_FOR_MS) => {
                return Ok(directory)
            }
            Some((_, directory)) => Some(directory),
            None => None,
        };
        let reloading = Reloading::start(&self.reloading);
        match (stale, reloading) {
            (Some(directory), None) => Ok(directory),
            (stale, _reloading) => {
                let generation = self.generation.load(Ordering::Acquire);
                let loaded = match (self.inner.directory().await, stale) {
                    (Ok(loaded), _) => loaded,
                    // A database that does not answer leaves searches on what was read last.
                    (Err(_), Some(stale)) => return Ok(stale),
                    (Err(e), None) => return Err(e),
                };
                let mut kept = self.directory.write().unwrap_or_else(|p| p.into_inner());
                if self.generation.load(Ordering::Acquire) == generation {
                    *kept = Some((now, loaded.clone()));
                }
                Ok(loaded)
            }
        }
    }

    async fn insert_offer(&self, o: &Offer, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.changing(self.inner.insert_offer(o, audit)).await
    }

    async fn offer(&self, id: OfferId) -> anyhow::Result<Option<Offer>> {
        self.through(|k| &k.offer, |k| &mut k.offer, id, self.inner.offer(id)).await
    }

    async fn offers(&self, merchant: MerchantId) -> anyhow::Result<Vec<Offer>> {
        self.through(|k| &k.offers, |k| &mut k.offers, merchant, self.inner.offers(merchant)).await
    }

    async fn set_offer_status(
        &self,
        id: OfferId,
        from: OfferStatus,
        to: OfferStatus,
        audit: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        self.changing(self.inner.set_offer_status(id, from, to, audit)).await
    }

    async fn insert_key(&self, key: &PartnerKey, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.inner.insert_key(key, audit).await
    }

    async fn key(&self, serial: &KeySerial) -> anyhow::Result<Option<PartnerKey>> {
        self.inner.key(serial).await
    }

    async fn keys(&self, merchant: MerchantId) -> anyhow::Result<Vec<PartnerKey>> {
        self.inner.keys(merchant).await
    }

    async fn revoke_key(
        &self,
        merchant: MerchantId,
        serial: &KeySerial,
        at: DateTime<Utc>,
        audit: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        self.inner.revoke_key(merchant, serial, at, audit).await
    }
}

impl<S: MerchantVouchers, C: Clock> MerchantVouchers for CachedCatalogue<S, C> {
    async fn list_gift_at_store(&self, gift: GiftId, store: StoreId, audit: NewAuditEntry) -> anyhow::Result<bool> {
        self.inner.list_gift_at_store(gift, store, audit).await
    }

    async fn voucher_state(&self, code: &str, store: StoreId, now: DateTime<Utc>) -> anyhow::Result<VoucherState> {
        self.inner.voucher_state(code, store, now).await
    }

    async fn redeem_voucher(
        &self,
        code: &str,
        store: StoreId,
        merchant: MerchantId,
        till_ref: String,
        now: DateTime<Utc>,
    ) -> anyhow::Result<VoucherState> {
        self.inner.redeem_voucher(code, store, merchant, till_ref, now).await
    }
}
