//! The draw itself, `sgh-draw/v1`:
//!
//! 1. Each entrant is published as a reference: the hex SHA-256 of `sgh-draw/v1`, the draw's id and
//!    the member's id, each followed by a zero byte — no one learns who entered, and each member can
//!    find their own line.
//! 2. The references are sorted (as text, which is byte order for lower-case hex).
//! 3. The ChaCha20 keystream keyed by the 32-byte seed (RFC 8439's block function, nonce zero,
//!    block counter from zero) is read as little-endian 64-bit numbers; a number below `n` is taken
//!    from it by rejection: draw `x`, keep `x % n` unless `x` is among the last `2^64 mod n` values.
//! 4. Fisher–Yates from the end: for `i` from `len - 1` down to `1`, swap place `i` with place
//!    `j = below(i + 1)`.
//! 5. The first `prizes` places win; the next `waiting` are the waiting list, in order.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "sgh-draw/v1";

/// The draw's secret, chosen at random when the campaign is published and revealed at the draw.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    pub fn new(bytes: [u8; 32]) -> Self {
        Seed(bytes)
    }

    /// 64 hex digits.
    pub fn parse(hex_text: &str) -> Option<Seed> {
        let bytes = hex::decode(hex_text).ok()?;
        Some(Seed(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// What is published before the sign-ups: the seed's SHA-256, in hex.
    pub fn commitment(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never in a log before it is revealed.
        f.write_str("Seed(…)")
    }
}

/// An entrant as the record shows them: 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntrantRef(String);

impl EntrantRef {
    /// The reference of `member` in the draw `draw`.
    pub fn of(draw: &str, member: &str) -> EntrantRef {
        let mut h = Sha256::new();
        for part in [ALGORITHM, draw, member] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        EntrantRef(hex::encode(h.finalize()))
    }

    pub fn parse(text: &str) -> Option<EntrantRef> {
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| EntrantRef(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who won, and who is next in line should a prize go unclaimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub winners: Vec<EntrantRef>,
    pub waiting: Vec<EntrantRef>,
}

/// A number below `bound` (not zero) from the keystream, without bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    // 2^64 mod bound values at the top of the range would favour the low results: drawn again.
    let skip = (u64::MAX % bound + 1) % bound;
    loop {
        let x = rng.next_u64();
        if x <= u64::MAX - skip {
            return x % bound;
        }
    }
}

/// The entrants in the order the seed gives them; `entrants` sorted and without repeats.
pub fn order(seed: &Seed, mut entrants: Vec<EntrantRef>) -> Vec<EntrantRef> {
    debug_assert!(entrants.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
    let mut rng = ChaCha20Rng::from_seed(seed.0);
    for i in (1..entrants.len()).rev() {
        let j = below(&mut rng, i as u64 + 1) as usize;
        entrants.swap(i, j);
    }
    entrants
}

/// The draw: the first `prizes` of the order win, the next `waiting` wait in line.
pub fn draw(seed: &Seed, mut entrants: Vec<EntrantRef>, prizes: usize, waiting: usize) -> Outcome {
    entrants.sort();
    entrants.dedup();
    let mut ordered = order(seed, entrants);
    ordered.truncate(prizes.saturating_add(waiting));
    let waiting = ordered.split_off(prizes.min(ordered.len()));
    Outcome { winners: ordered, waiting }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(n: usize) -> Vec<EntrantRef> {
        (0..n).map(|i| EntrantRef::of("d1", &format!("member-{i}"))).collect()
    }

    /// The keystream is ChaCha20's: the all-zero key's first block begins 76 b8 e0 ad a0 f1 3d 90
    /// (the published test vector), read little-endian.
    #[test]
    fn the_keystream_is_chacha20_s() {
        let mut rng = ChaCha20Rng::from_seed([0; 32]);
        assert_eq!(rng.next_u64(), u64::from_le_bytes([0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]));
        assert_eq!(rng.next_u64(), u64::from_le_bytes([0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28]));
    }

    #[test]
    fn the_seed_decides_and_the_order_of_sign_ups_does_not() {
        let seed = Seed::new([7; 32]);
        let mut shuffled = refs(1_000);
        shuffled.reverse();
        let a = draw(&seed, refs(1_000), 10, 5);
        assert_eq!(a, draw(&seed, shuffled, 10, 5), "sign-up order plays no part");
        assert_eq!((a.winners.len(), a.waiting.len()), (10, 5));
        assert!(a.waiting.iter().all(|w| !a.winners.contains(w)));
        assert_ne!(a, draw(&Seed::new([8; 32]), refs(1_000), 10, 5), "another seed, another draw");
    }

    #[test]
    fn every_place_is_as_likely_for_every_entrant() {
        // 6 entrants, 60,000 draws: each lands first about 10,000 times.
        let entrants = refs(6);
        let mut firsts = std::collections::HashMap::new();
        for s in 0..60_000u32 {
            let mut bytes = [0u8; 32];
            bytes[..4].copy_from_slice(&s.to_le_bytes());
            let o = draw(&Seed::new(bytes), entrants.clone(), 1, 0);
            *firsts.entry(o.winners[0].clone()).or_insert(0u32) += 1;
        }
        assert_eq!(firsts.len(), 6);
        assert!(firsts.values().all(|&n| (9_400..=10_600).contains(&n)), "{firsts:?}");
    }

    #[test]
    fn fewer_entrants_than_prizes_all_win() {
        let o = draw(&Seed::new([1; 32]), refs(3), 10, 5);
        assert_eq!((o.winners.len(), o.waiting.len()), (3, 0));
    }

    #[test]
    fn below_never_reaches_its_bound_and_the_commitment_is_the_seed_s_digest() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        for bound in [1u64, 2, 3, 7, 1 << 40, u64::MAX] {
            assert!((0..100).all(|_| below(&mut rng, bound) < bound));
        }
        let seed = Seed::new([0; 32]);
        assert_eq!(seed.commitment(), "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
        assert_eq!(Seed::parse(&seed.to_hex()), Some(seed));
        assert!(Seed::parse("abc").is_none() && EntrantRef::parse("ABC").is_none());
    }
}
