//! A draw's published record, and checking it from nothing else: the seed must be the one committed
//! to, the entrants a sorted list of references each given once, and the winners and the waiting
//! list exactly what [`super::fair::draw`] gives for them.

use serde::{Deserialize, Serialize};

use super::fair::{self, EntrantRef, Seed, ALGORITHM};

/// What is published once the draw is made (and, without `seed`, `winners` and `waiting`, when the
/// sign-ups close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub algorithm: String,
    pub draw: String,
    /// The seed's SHA-256, published before anyone signed up.
    pub commitment: String,
    pub seed: String,
    pub prizes: usize,
    pub waiting_places: usize,
    pub entrants: Vec<String>,
    pub winners: Vec<String>,
    pub waiting: Vec<String>,
}

/// Why a record does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("the algorithm is {0}, not {ALGORITHM}")]
    Algorithm(String),
    #[error("the seed is not 64 hex digits")]
    SeedMalformed,
    #[error("the seed's SHA-256 is {found}, not the commitment {committed}")]
    Commitment { committed: String, found: String },
    #[error("entrant {index} ({text}) is not a reference of 64 lower-case hex digits")]
    EntrantMalformed { index: usize, text: String },
    #[error("the entrants are not sorted, each once: entrant {index} ({text}) comes after an equal or greater one")]
    EntrantsOutOfOrder { index: usize, text: String },
    #[error("winner {index} should be {expected}, the record says {found}")]
    Winners { index: usize, expected: String, found: String },
    #[error("place {index} of the waiting list should be {expected}, the record says {found}")]
    Waiting { index: usize, expected: String, found: String },
}

/// The record of a draw made with `seed` over `entrants`.
pub fn record(draw: &str, seed: &Seed, mut entrants: Vec<EntrantRef>, prizes: usize, waiting: usize) -> Record {
    entrants.sort();
    entrants.dedup();
    let outcome = fair::draw(seed, entrants.clone(), prizes, waiting);
    let text = |v: Vec<EntrantRef>| v.into_iter().map(|e| e.as_str().to_owned()).collect();
    Record {
        algorithm: ALGORITHM.to_owned(),
        draw: draw.to_owned(),
        commitment: seed.commitment(),
        seed: seed.to_hex(),
        prizes,
        waiting_places: waiting,
        entrants: text(entrants),
        winners: text(outcome.winners),
        waiting: text(outcome.waiting),
    }
}

/// The first way `record` fails to be the draw its seed and entrants make, if any.
pub fn verify(record: &Record) -> Result<(), Mismatch> {
    if record.algorithm != ALGORITHM {
        return Err(Mismatch::Algorithm(record.algorithm.clone()));
    }
    let seed = Seed::parse(&record.seed).ok_or(Mismatch::SeedMalformed)?;
    // Exactly as published (lower-case hex), as the documented procedure compares it.
    if seed.commitment() != record.commitment {
        return Err(Mismatch::Commitment { committed: record.commitment.clone(), found: seed.commitment() });
    }
    let mut entrants = Vec::with_capacity(record.entrants.len());
    for (index, text) in record.entrants.iter().enumerate() {
        let e = EntrantRef::parse(text).ok_or_else(|| Mismatch::EntrantMalformed { index, text: text.clone() })?;
        if entrants.last().is_some_and(|last| *last >= e) {
            return Err(Mismatch::EntrantsOutOfOrder { index, text: text.clone() });
        }
        entrants.push(e);
    }
    let outcome = fair::draw(&seed, entrants, record.prizes, record.waiting_places);
    let first_difference = |expected: &[EntrantRef], found: &[String]| {
        (0..expected.len().max(found.len())).find_map(|i| {
            let e = expected.get(i).map(|e| e.as_str()).unwrap_or("(none)");
            let f = found.get(i).map(String::as_str).unwrap_or("(none)");
            (e != f).then(|| (i, e.to_owned(), f.to_owned()))
        })
    };
    if let Some((index, expected, found)) = first_difference(&outcome.winners, &record.winners) {
        return Err(Mismatch::Winners { index, expected, found });
    }
    if let Some((index, expected, found)) = first_difference(&outcome.waiting, &record.waiting) {
        return Err(Mismatch::Waiting { index, expected, found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made() -> Record {
        let entrants = (0..500).map(|i| EntrantRef::of("draw-1", &format!("m{i}"))).collect();
        record("draw-1", &Seed::new([42; 32]), entrants, 20, 10)
    }

    #[test]
    fn a_record_checks_out_and_any_tampering_is_named() {
        let r = made();
        assert_eq!(verify(&r), Ok(()));

        let mut seed = r.clone();
        seed.seed = Seed::new([43; 32]).to_hex();
        assert!(matches!(verify(&seed), Err(Mismatch::Commitment { .. })));
        // A new seed with its own commitment: the winners no longer follow.
        let mut both = seed.clone();
        both.commitment = Seed::new([43; 32]).commitment();
        assert!(matches!(verify(&both), Err(Mismatch::Winners { .. })));

        let mut added = r.clone();
        added.entrants.push("f".repeat(64));
        assert!(matches!(verify(&added), Err(Mismatch::Winners { .. } | Mismatch::Waiting { .. })));
        let mut dropped = r.clone();
        let gone = dropped.winners[0].clone();
        dropped.entrants.retain(|e| *e != gone);
        assert!(matches!(verify(&dropped), Err(Mismatch::Winners { index: 0, .. })));
        let mut unsorted = r.clone();
        unsorted.entrants.swap(0, 1);
        assert!(matches!(verify(&unsorted), Err(Mismatch::EntrantsOutOfOrder { index: 1, .. })));
        let mut twice = r.clone();
        twice.entrants.insert(1, twice.entrants[0].clone());
        assert!(matches!(verify(&twice), Err(Mismatch::EntrantsOutOfOrder { index: 1, .. })));
        let mut swapped = r.clone();
        swapped.winners.swap(0, 1);
        assert!(matches!(verify(&swapped), Err(Mismatch::Winners { index: 0, .. })));
        let mut line = r.clone();
        line.waiting.pop();
        assert!(matches!(verify(&line), Err(Mismatch::Waiting { index: 9, .. })));
    }
}
