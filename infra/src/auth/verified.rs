//! Tokens already verified, with what they said. A member's app sends the same access token with
//! every request for its fifteen minutes, and verifying it again — base64, two JSON documents and
//! an HMAC — was an eighth of the server's time on a sold-out claim, a quarter on a campaign page.
//! An entry is keyed by the whole token, so only the very bytes once verified are taken on trust;
//! expiry is still checked against the clock at every use, by the caller. Only tokens that
//! verified are remembered, so a caller sending made-up tokens cannot fill it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Shards, so the server's workers seldom wait on one another's lookups.
const SHARDS: usize = 32;

/// Tokens held per shard. A full shard is emptied at once: the tokens in it are verified again
/// on their next use, which is all that forgetting one costs. Some 64 k tokens in all, a few
/// hundred bytes each.
const PER_SHARD: usize = 2_048;

type Shard<T> = Mutex<HashMap<Box<str>, T>>;

pub struct Verified<T> {
    shards: Box<[Shard<T>]>,
}

impl<T: Copy> Default for Verified<T> {
    fn default() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::default()).collect() }
    }
}

impl<T: Copy> Verified<T> {
    /// What `token` said when it verified, if it has.
    pub fn get(&self, token: &str) -> Option<T> {
        self.shard(token).lock().unwrap_or_else(|p| p.into_inner()).get(token).copied()
    }

    /// Remembers what `token` said; call only once it verified.
    pub fn put(&self, token: &str, said: T) {
        let mut shard = self.shard(token).lock().unwrap_or_else(|p| p.into_inner());
        if shard.len() >= PER_SHARD {
            shard.clear();
        }
        shard.insert(token.into(), said);
    }

    /// By the token's last bytes: a signature's, as evenly spread as anything in it.
    fn shard(&self, token: &str) -> &Shard<T> {
        let tail =
            token.as_bytes().iter().rev().take(4).fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b.into()));
        &self.shards[tail % self.shards.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_bytes_are_found_and_a_full_shard_starts_again() {
        let verified = Verified::default();
        verified.put("a.b.sig1", 1u8);
        assert_eq!(verified.get("a.b.sig1"), Some(1));
        assert_eq!(verified.get("a.b.sig2"), None);
        assert_eq!(verified.get("a.b.sig1 "), None);
        // Tokens ending alike share a shard: one past its size leaves only itself there.
        let token = |i: usize| format!("{i}.x.same");
        (0..PER_SHARD).for_each(|i| verified.put(&token(i), 2));
        assert_eq!(verified.get(&token(0)), Some(2));
        verified.put(&token(PER_SHARD), 3);
        assert_eq!(verified.get(&token(0)), None);
        assert_eq!(verified.get(&token(PER_SHARD)), Some(3));
        assert_eq!(verified.get("a.b.sig1"), Some(1), "other shards keep theirs");
    }
}
