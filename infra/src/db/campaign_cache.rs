//! Campaign definitions kept in memory for a moment, in front of the repository.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::campaigns::DbCampaigns;
use domain::admin::NewAuditEntry;
use domain::campaigns::ports::{CampaignRepository, Definition, Publishing, StockChange};
use domain::campaigns::report::CampaignReport;
use domain::campaigns::{Campaign, CampaignId, Gift, GiftId};
use domain::shared::money::Fen;
use domain::unions::NodePath;

/// A campaign with its gifts, when it was read, and whether a request is reading it again.
struct Cached {
    at: Instant,
    found: Definition,
    refreshing: bool,
}

/// Campaign definitions change rarely and are read by every claim: this keeps them in memory for a
/// moment. Writes through this instance drop the entry at once; other instances see a change
/// within [`CachedCampaigns::TTL`] plus one read. When an entry is due, one request reads it again
/// while the others go on with the old one, so a flood of claims does not all queue for the
/// database every second (the claim insert re-checks the campaign's state and window anyway).
#[derive(Clone)]
pub struct CachedCampaigns<R = DbCampaigns> {
    inner: R,
    ttl: Duration,
    cache: Arc<Mutex<HashMap<CampaignId, Cached>>>,
    /// Counts the writes through this instance: a read that began before one keeps its answer
    /// out of the cache, so the write's own answer, and every read after it, sees the write.
    writes: Arc<AtomicU64>,
}

impl<R: CampaignRepository> CachedCampaigns<R> {
    pub const TTL: Duration = Duration::from_secs(1);

    pub fn new(inner: R) -> Self {
        Self::with_ttl(inner, Self::TTL)
    }

    pub fn with_ttl(inner: R, ttl: Duration) -> Self {
        Self { inner, ttl, cache: Arc::default(), writes: Arc::default() }
    }

    fn forget(&self, id: CampaignId) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }

    /// A write through this instance: the entry (`None`: every entry) dropped before and after,
    /// so no read that overlapped the write is served after it.
    async fn around<T>(&self, id: Option<CampaignId>, write: impl std::future::Future<Output = T>) -> T {
        let forget = || id.map_or_else(|| self.forget_all(), |id| self.forget(id));
        forget();
        let out = write.await;
        forget();
        out
    }

    fn forget_all(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl<R: CampaignRepository> CampaignRepository for CachedCampaigns<R> {
    async fn insert_campaign(&self, c: &Campaign, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.inner.insert_campaign(c, audit).await
    }

    async fn insert_gift(&self, g: &Gift, audit: NewAuditEntry) -> anyhow::Result<bool> {
        self.around(Some(g.campaign_id), self.inner.insert_gift(g, audit)).await
    }

    async fn get(&self, id: CampaignId) -> anyhow::Result<Option<Definition>> {
        if let Some(entry) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&id) {
            // A reader that was cancelled mid-read leaves `refreshing` set: after a few seconds
            // another request takes over.
            let age = entry.at.elapsed();
            if age < self.ttl || (entry.refreshing && age < self.ttl * 5) {
                return Ok(Some(Arc::clone(&entry.found)));
            }
            entry.refreshing = true;
        }
        let writes = self.writes.load(Ordering::SeqCst);
        let read = self.inner.get(id).await;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match &read {
            Ok(Some(_)) if self.writes.load(Ordering::SeqCst) != writes => {
                cache.remove(&id);
            }
            Ok(Some(found)) => {
                cache.insert(id, Cached { at: Instant::now(), found: Arc::clone(found), refreshing: false });
            }
            // Gone, or unreadable: nobody keeps serving the old entry.
            Ok(None) | Err(_) => {
                cache.remove(&id);
            }
        }
        read
    }

    async fn list(&self, published_only: bool, under: Option<&NodePath>) -> anyhow::Result<Vec<(Campaign, Vec<Gift>)>> {
        self.inner.list(published_only, under).await
    }

    async fn publish(&self, id: CampaignId, audit: NewAuditEntry) -> anyhow::Result<Publishing> {
        self.around(Some(id), self.inner.publish(id, audit)).await
    }

    async fn raise_budget(
        &self,
        id: CampaignId,
        budget: Fen,
        seen: Option<Fen>,
        audit: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        self.around(Some(id), self.inner.raise_budget(id, budget, seen, audit)).await
    }

    async fn cancel(&self, id: CampaignId, audit: NewAuditEntry) -> anyhow::Result<Option<u64>> {
        self.around(Some(id), self.inner.cancel(id, audit)).await
    }

    async fn report(&self, id: CampaignId, now: DateTime<Utc>) -> anyhow::Result<CampaignReport> {
        self.inner.report(id, now).await
    }

    async fn record(&self, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.inner.record(audit).await
    }

    async fn raise_stock(
        &self,
        gift: GiftId,
        stock: u32,
        seen: Option<u32>,
        audit: NewAuditEntry,
    ) -> anyhow::Result<StockChange> {
        // The gift's campaign is not at hand here; raising stock is rare enough to drop them all.
        self.around(None, self.inner.raise_stock(gift, stock, seen, audit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::admin::Actor;
    use domain::campaigns::{CampaignState, Eligibility, Holiday, Window};
    use domain::shared::money::Fen;
    use std::sync::atomic::{AtomicBool, AtomicU32};

    /// A repository whose reads take `delay` and are counted; its title says which read it was.
    #[derive(Clone)]
    struct Slow {
        reads: Arc<AtomicU32>,
        delay: Duration,
        gone: Arc<AtomicBool>,
    }

    impl Slow {
        fn new(delay: Duration) -> Self {
            Self { reads: Arc::default(), delay, gone: Arc::default() }
        }

        fn reads(&self) -> u32 {
            self.reads.load(Ordering::SeqCst)
        }
    }

    fn campaign(id: CampaignId, title: String) -> Campaign {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 10, 1, 2, 0, 0).unwrap();
        Campaign {
            id,
            title,
            holiday: Holiday::LaborDay,
            window: Window::new(now, now + chrono::Duration::hours(1)).unwrap(),
            per_member_limit: 1,
            budget: Fen::new(100),
            eligibility: Eligibility::default(),
            state: CampaignState::Published,
            created_at: now,
        }
    }

    impl CampaignRepository for Slow {
        async fn insert_campaign(&self, _: &Campaign, _: NewAuditEntry) -> anyhow::Result<()> {
            Ok(())
        }
        async fn insert_gift(&self, _: &Gift, _: NewAuditEntry) -> anyhow::Result<bool> {
            Ok(true)
        }
        async fn get(&self, id: CampaignId) -> anyhow::Result<Option<Definition>> {
            let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(self.delay).await;
            if self.gone.load(Ordering::SeqCst) {
                return Ok(None);
            }
            Ok(Some(Arc::new((campaign(id, format!("read {n}")), Vec::new()))))
        }
        async fn list(&self, _: bool, _: Option<&NodePath>) -> anyhow::Result<Vec<(Campaign, Vec<Gift>)>> {
            Ok(Vec::new())
        }
        async fn publish(&self, _: CampaignId, _: NewAuditEntry) -> anyhow::Result<Publishing> {
            Ok(Publishing::Published)
        }
        async fn cancel(&self, _: CampaignId, _: NewAuditEntry) -> anyhow::Result<Option<u64>> {
            Ok(Some(0))
        }
        async fn raise_budget(&self, _: CampaignId, _: Fen, _: Option<Fen>, _: NewAuditEntry) -> anyhow::Result<bool> {
            Ok(true)
        }
        async fn report(&self, _: CampaignId, _: DateTime<Utc>) -> anyhow::Result<CampaignReport> {
            anyhow::bail!("not read through the cache")
        }
        async fn record(&self, _: NewAuditEntry) -> anyhow::Result<()> {
            Ok(())
        }
        async fn raise_stock(
            &self,
            _: GiftId,
            _: u32,
            _: Option<u32>,
            _: NewAuditEntry,
        ) -> anyhow::Result<StockChange> {
            Ok(StockChange::Raised)
        }
    }

    async fn title(cache: &CachedCampaigns<Slow>, id: CampaignId) -> String {
        cache.get(id).await.unwrap().unwrap().0.title.clone()
    }

    #[tokio::test]
    async fn a_due_entry_is_read_again_by_one_request_while_the_others_use_the_old_one() {
        let ttl = Duration::from_millis(100);
        let repo = Slow::new(Duration::from_millis(300));
        let cache = CachedCampaigns::with_ttl(repo.clone(), ttl);
        let id = CampaignId(uuid::Uuid::now_v7());
        assert_eq!(title(&cache, id).await, "read 1");
        assert_eq!(title(&cache, id).await, "read 1", "fresh: no second read");
        assert_eq!(repo.reads(), 1);

        tokio::time::sleep(ttl + Duration::from_millis(20)).await;
        let refresher = tokio::spawn({
            let cache = cache.clone();
            async move { title(&cache, id).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let mut others = Vec::new();
        for _ in 0..20 {
            others.push(title(&cache, id).await);
        }
        assert!(started.elapsed() < Duration::from_millis(200), "the others did not wait for the read");
        assert!(others.iter().all(|t| t == "read 1"), "{others:?}");
        assert_eq!(refresher.await.unwrap(), "read 2");
        assert_eq!(repo.reads(), 2, "one read for the 21 requests of the due entry");
        assert_eq!(title(&cache, id).await, "read 2");
    }

    #[tokio::test]
    async fn a_cancelled_reader_is_replaced_after_five_lifetimes() {
        let ttl = Duration::from_millis(100);
        let repo = Slow::new(Duration::from_millis(20));
        let cache = CachedCampaigns::with_ttl(repo.clone(), ttl);
        let id = CampaignId(uuid::Uuid::now_v7());
        title(&cache, id).await;
        tokio::time::sleep(ttl + Duration::from_millis(10)).await;
        // The refreshing request gives up (its client went away) before the read is done.
        assert!(tokio::time::timeout(Duration::from_millis(5), cache.get(id)).await.is_err());
        assert_eq!(title(&cache, id).await, "read 1", "still someone else's read to do");
        assert_eq!(repo.reads(), 2);
        tokio::time::sleep(ttl * 5).await;
        assert_eq!(title(&cache, id).await, "read 3", "taken over");
    }

    #[tokio::test]
    async fn writes_and_vanished_campaigns_drop_the_entry_at_once() {
        let repo = Slow::new(Duration::ZERO);
        let cache = CachedCampaigns::with_ttl(repo.clone(), Duration::from_secs(60));
        let id = CampaignId(uuid::Uuid::now_v7());
        title(&cache, id).await;
        let audit = || {
            NewAuditEntry::by(
                &Actor::command_line("test"),
                chrono::DateTime::UNIX_EPOCH,
                "campaign.test",
                id.to_string(),
            )
        };
        cache.publish(id, audit()).await.unwrap();
        assert_eq!(title(&cache, id).await, "read 2", "read again after a write");

        repo.gone.store(true, Ordering::SeqCst);
        cache.raise_stock(GiftId(uuid::Uuid::now_v7()), 5, None, audit()).await.unwrap();
        assert!(cache.get(id).await.unwrap().is_none());
        repo.gone.store(false, Ordering::SeqCst);
        assert_eq!(title(&cache, id).await, "read 4", "a vanished campaign is not served from memory");
    }
}
