//! Verifying a card code scanned at a till: one look-up by the day's handle, the card's HMAC for
//! the current and the previous step, and each (card, step) accepted once. Never a scan over cards.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::future::Future;

use super::code::{step_of, DayHandle, RotatingCode, StepCode, STEP_SECS};
use super::lifecycle::CardStatus;
use crate::campaigns::SHANGHAI;
use crate::members::MemberId;
use crate::merchants::ports::MemberFacts;
use crate::shared::ephemeral::{EphemeralError, OneTimeStore};
use crate::shared::ids::uuid_id;

uuid_id!(CardId);

/// The card that holds a handle on a day, with what verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub card: CardId,
    pub member: MemberId,
    pub status: CardStatus,
    /// The card's code secret, opened by the adapter.
    pub secret: Vec<u8>,
    /// What a merchant may learn of the member, read in the same look-up (`None` once erased).
    pub facts: Option<MemberFacts>,
}

pub trait CardHandles: Send + Sync + 'static {
    /// The card holding `handle` on Beijing day `day`.
    fn holder(&self, day: NaiveDate, handle: &DayHandle)
        -> impl Future<Output = anyhow::Result<Option<Holder>>> + Send;
}

/// The per-step digits under a card's secret (the HMAC is the adapter's).
pub trait StepCodes: Send + Sync + 'static {
    fn step_code(&self, secret: &[u8], step: i64) -> StepCode;
}

/// Why a code does not verify; each is its own problem code at the edge.
#[derive(Debug, thiserror::Error)]
pub enum CodeRefusal {
    #[error("no card shows this code")]
    NoSuchCode,
    #[error("the code is older than the previous step")]
    Expired,
    #[error("the code was used before")]
    Replayed,
    #[error("the card is {}", .0.as_str())]
    CardNotLive(CardStatus),
    #[error(transparent)]
    Unavailable(#[from] EphemeralError),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// How far back a code is recognised as expired rather than wrong: five minutes of steps.
const EXPIRED_STEPS: i64 = 10;

/// How long a used (card, step) is remembered: past the previous step's end.
const USED_FOR_SECS: u64 = 3 * STEP_SECS as u64;

fn beijing_midnight(day: NaiveDate) -> DateTime<Utc> {
    SHANGHAI.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists")).unwrap().with_timezone(&Utc)
}

/// The card and member behind `code` at `now`, spending the code.
pub async fn verify(
    handles: &impl CardHandles,
    steps: &impl StepCodes,
    used: &impl OneTimeStore,
    code: &RotatingCode,
    now: DateTime<Utc>,
) -> Result<Holder, CodeRefusal> {
    let today = now.with_timezone(&SHANGHAI).date_naive();
    // Yesterday's handle still finds its card just after midnight, for codes of yesterday's steps.
    let (holder, day) = match handles.holder(today, &code.handle).await? {
        Some(h) => (h, today),
        None => {
            let yesterday = today - Duration::days(1);
            (handles.holder(yesterday, &code.handle).await?.ok_or(CodeRefusal::NoSuchCode)?, yesterday)
        }
    };
    let current = step_of(now);
    // The steps this handle was shown in: none after its day ended.
    let last_of_day = step_of(beijing_midnight(day + Duration::days(1))) - 1;
    let matches = |step: i64| step <= last_of_day && steps.step_code(&holder.secret, step) == code.step_code;
    let Some(step) = [current, current - 1].into_iter().find(|s| matches(*s)) else {
        let older = (2..=EXPIRED_STEPS).any(|back| matches(current - back));
        return Err(if older { CodeRefusal::Expired } else { CodeRefusal::NoSuchCode });
    };
    if !holder.status.is_live() {
        return Err(CodeRefusal::CardNotLive(holder.status));
    }
    let key = format!("card-code:{}:{step}", holder.card);
    if !used.put_if_absent(&key, "1", std::time::Duration::from_secs(USED_FOR_SECS)).await? {
        return Err(CodeRefusal::Replayed);
    }
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::sync::Mutex;

    /// Handles by (day, handle); the "HMAC" is a keyed hash, enough to tell steps and secrets apart.
    #[derive(Default)]
    struct Fakes {
        handles: HashMap<(NaiveDate, String), Holder>,
        used: Mutex<HashSet<String>>,
    }

    impl CardHandles for Fakes {
        async fn holder(&self, day: NaiveDate, handle: &DayHandle) -> anyhow::Result<Option<Holder>> {
            Ok(self.handles.get(&(day, handle.as_str().to_owned())).cloned())
        }
    }

    impl StepCodes for Fakes {
        fn step_code(&self, secret: &[u8], step: i64) -> StepCode {
            // FNV-1a, then a mixer to fill the 20 bytes: every byte depends on step and secret.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in step.to_be_bytes().iter().chain(secret) {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            let mut digest = [0u8; 20];
            for byte in &mut digest {
                h ^= h >> 29;
                h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
                *byte = (h >> 56) as u8;
            }
            StepCode::truncate(&digest)
        }
    }

    impl OneTimeStore for Fakes {
        async fn put_if_absent(&self, key: &str, _: &str, _: std::time::Duration) -> Result<bool, EphemeralError> {
            Ok(self.used.lock().unwrap().insert(key.to_owned()))
        }
        async fn take(&self, _: &str) -> Result<Option<String>, EphemeralError> {
            Ok(None)
        }
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        SHANGHAI.with_ymd_and_hms(2026, 10, 1, h, m, s).unwrap().with_timezone(&Utc)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
    }

    const HANDLE: &str = "4815162342";

    fn world(status: CardStatus, on: NaiveDate) -> (Fakes, Holder) {
        let holder = Holder {
            card: CardId::new(),
            member: MemberId::new(),
            status,
            secret: b"card secret".to_vec(),
            facts: None,
        };
        let mut fakes = Fakes::default();
        fakes.handles.insert((on, HANDLE.to_owned()), holder.clone());
        (fakes, holder)
    }

    fn shown(fakes: &Fakes, holder: &Holder, when: DateTime<Utc>) -> RotatingCode {
        RotatingCode {
            handle: DayHandle::parse(HANDLE).unwrap(),
            step_code: fakes.step_code(&holder.secret, step_of(when)),
        }
    }

    #[tokio::test]
    async fn the_current_and_previous_step_verify_once_each() {
        let (fakes, holder) = world(CardStatus::Active, day(1));
        let now = at(12, 0, 10);
        let code = shown(&fakes, &holder, now);
        let found = verify(&fakes, &fakes, &fakes, &code, now).await.unwrap();
        assert_eq!(found, holder);
        // The same code again — a screenshot, or at a second merchant — is refused.
        let again = verify(&fakes, &fakes, &fakes, &code, now).await;
        assert!(matches!(again, Err(CodeRefusal::Replayed)), "{again:?}");
        // A code of the previous step still verifies (the till was slow), once.
        let previous = shown(&fakes, &holder, now - Duration::seconds(30));
        assert!(verify(&fakes, &fakes, &fakes, &previous, now).await.is_ok());
    }

    #[tokio::test]
    async fn a_code_from_three_steps_ago_is_expired_and_a_wrong_one_unknown() {
        let (fakes, holder) = world(CardStatus::Active, day(1));
        let now = at(12, 0, 10);
        let old = shown(&fakes, &holder, now - Duration::seconds(90));
        assert!(matches!(verify(&fakes, &fakes, &fakes, &old, now).await, Err(CodeRefusal::Expired)));
        let wrong = RotatingCode { step_code: StepCode::truncate(&[7; 20]), ..shown(&fakes, &holder, now) };
        assert!(matches!(verify(&fakes, &fakes, &fakes, &wrong, now).await, Err(CodeRefusal::NoSuchCode)));
        let stranger = RotatingCode { handle: DayHandle::parse("1111111111").unwrap(), ..shown(&fakes, &holder, now) };
        assert!(matches!(verify(&fakes, &fakes, &fakes, &stranger, now).await, Err(CodeRefusal::NoSuchCode)));
    }

    #[tokio::test]
    async fn frozen_lost_and_cancelled_cards_never_verify() {
        for status in [CardStatus::Frozen, CardStatus::Lost, CardStatus::Cancelled, CardStatus::Issued] {
            let (fakes, holder) = world(status, day(1));
            let now = at(12, 0, 10);
            let refused = verify(&fakes, &fakes, &fakes, &shown(&fakes, &holder, now), now).await;
            assert!(matches!(refused, Err(CodeRefusal::CardNotLive(s)) if s == status), "{refused:?}");
        }
    }

    #[tokio::test]
    async fn yesterdays_handle_works_only_for_yesterdays_last_steps() {
        let (fakes, holder) = world(CardStatus::Active, day(1));
        // Shown at 23:59:50 on the 1st, scanned at 00:00:10 on the 2nd: the previous step.
        let code = shown(&fakes, &holder, at(23, 59, 50));
        let just_after = at(23, 59, 50) + Duration::seconds(20);
        assert!(verify(&fakes, &fakes, &fakes, &code, just_after).await.is_ok());
        // The handle cannot be used for today's steps: a code computed now with it is refused.
        let today_with_old_handle = shown(&fakes, &holder, just_after);
        let refused = verify(&fakes, &fakes, &fakes, &today_with_old_handle, just_after).await;
        assert!(matches!(refused, Err(CodeRefusal::NoSuchCode | CodeRefusal::Expired)), "{refused:?}");
    }
}
