//! The campaign board: what every member sees of the live and upcoming campaigns, the same for
//! all (campaigns, gifts, windows, what is left of each gift). Kept in memory and read again from
//! the database and the gate at most every [`FRESH_FOR_MS`] of the Clock's time, by one request
//! while the others go on with the board they have: a page refreshed by a hundred thousand members
//! costs one read a second. A change made through this instance (publish, cancel, new gift, more
//! stock, more budget) makes the board stale at once; other instances see it within the interval.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::error::ClaimError;
use super::model::{Campaign, Gift};

/// How long a board is served before one request reads it again.
pub const FRESH_FOR_MS: i64 = 1_000;

/// A gift as a member sees it now.
#[derive(Debug, Clone)]
pub struct GiftOffer {
    pub gift: Gift,
    /// `None` when the gate cannot say (not loaded yet).
    pub remaining: Option<u32>,
}

/// One reading of the board.
#[derive(Debug)]
pub struct Board {
    /// When it was read (the Clock's time).
    pub as_of: DateTime<Utc>,
    /// Changes whenever a new board is read: callers keep what they derive from it by version.
    pub version: u64,
    pub campaigns: Vec<(Campaign, Vec<GiftOffer>)>,
}

/// The current board and who is reading the next one.
#[derive(Default)]
pub struct BoardCache {
    current: RwLock<Option<Arc<Board>>>,
    reading: AtomicBool,
    stale: AtomicBool,
    versions: AtomicU64,
}

/// Lets go of the reading flag however the read ends, a dropped request included.
struct Reading<'a>(&'a AtomicBool);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl BoardCache {
    /// The next read of the board goes to the database and the gate.
    pub fn forget(&self) {
        self.stale.store(true, Ordering::Release);
    }

    fn current(&self) -> Option<Arc<Board>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The board at `now`, at most [`FRESH_FOR_MS`] old unless another request is reading it
    /// right now; `read` reads a new one from the database and the gate.
    pub async fn get<F, Fut>(&self, now: DateTime<Utc>, read: F) -> Result<Arc<Board>, ClaimError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<(Campaign, Vec<GiftOffer>)>, ClaimError>>,
    {
        let cache = self;
        let held = cache.current();
        if let Some(board) = &held {
            let fresh = now - board.as_of < Duration::milliseconds(FRESH_FOR_MS) && now >= board.as_of;
            if fresh && !cache.stale.load(Ordering::Acquire) {
                return Ok(Arc::clone(board));
            }
        }
        let first = cache.reading.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if !first {
            if let Some(board) = held {
                return Ok(board);
            }
        }
        // Only the reader holds the flag; without a board yet, the others read as well.
        let _reading = first.then(|| Reading(&cache.reading));
        // Cleared before the read: a change during it marks the result stale again.
        cache.stale.store(false, Ordering::Release);
        let campaigns = match (read().await, held) {
            (Ok(campaigns), _) => campaigns,
            // The database or the gate is down: the last board is better than no page, and the
            // claim itself still answers for the stock.
            (Err(_), Some(board)) => {
                cache.stale.store(true, Ordering::Release);
                return Ok(board);
            }
            (Err(e), None) => return Err(e),
        };
        let version = cache.versions.fetch_add(1, Ordering::AcqRel) + 1;
        let board = Arc::new(Board { as_of: now, version, campaigns });
        let mut current = cache.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_none_or(|c| c.version < version) {
            *current = Some(Arc::clone(&board));
        }
        Ok(board)
    }
}
