//! What members and the bank do with cards: apply, freeze, unfreeze, report lost, see the card
//! and its history; sync and show codes; verify a scanned code; the bank's card events.

use chrono::{DateTime, Duration, Utc};

use super::bank::{decide, BankEvent, Decision, EventOutcome};
use super::code::{step_of, RotatingCode, STEP_SECS};
use super::error::CardError;
use super::lifecycle::{CardEvent, CardStatus};
use super::model::{Card, CardChange, CodeSeed, HistoryEntry, NewCard, Transition};
use super::ports::{Applied, CardStore, EventWrite, KeptEvent};
use super::verify::{verify, CardId, StepCodes};
use crate::campaigns::SHANGHAI;
use crate::members::MemberId;
use crate::shared::ephemeral::OneTimeStore;
use crate::shared::{Clock, Cursor, Page, PageRequest};

pub struct CardService<S, K, E, C, M> {
    pub store: S,
    pub steps: K,
    /// Where each verified (card, step) is remembered, so a code verifies once.
    pub used: E,
    pub clock: C,
    /// The merchants and offers card transactions are matched to.
    pub catalogue: M,
}

/// 32 random bytes: a card's code secret (two v4 UUIDs, 244 random bits).
fn new_secret() -> Vec<u8> {
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    a.as_bytes().iter().chain(b.as_bytes()).copied().collect()
}

/// How many times a change is decided again when the card moved under it.
const ATTEMPTS: usize = 3;

impl<S: CardStore, K: StepCodes, E: OneTimeStore, C: Clock, M> CardService<S, K, E, C, M> {
    /// A new application for an activated member who holds no card.
    pub async fn apply(&self, member: MemberId) -> Result<Card, CardError> {
        let now = self.clock.now();
        let card = NewCard {
            id: CardId::new(),
            member,
            status: CardStatus::Applied,
            event: CardEvent::MemberApplied,
            number: None,
            account: None,
            secret: new_secret(),
            replaces: None,
            bank_event_at: None,
            at: now,
        };
        match self.store.apply(&card).await? {
            Applied::Written => self.store.card(card.id).await?.ok_or(CardError::NotFound),
            Applied::NotInStanding => Err(CardError::NotInStanding),
            Applied::AlreadyHeld => Err(CardError::AlreadyHeld),
        }
    }

    /// The member's current card (or, with none current, the last one) and the history of all
    /// their cards, oldest first.
    pub async fn view(&self, member: MemberId) -> Result<(Card, Vec<HistoryEntry>), CardError> {
        let cards = self.store.cards_of(member).await?;
        let shown =
            cards.iter().find(|c| c.status.is_current()).or(cards.first()).cloned().ok_or(CardError::NotFound)?;
        let history = self.store.history(cards.iter().map(|c| c.id).collect()).await?;
        Ok((shown, history))
    }

    async fn current(&self, member: MemberId) -> Result<Card, CardError> {
        let cards = self.store.cards_of(member).await?;
        cards.into_iter().find(|c| c.status.is_current()).ok_or(CardError::NotFound)
    }

    /// Freezes, unfreezes or reports lost the member's current card.
    pub async fn member_event(&self, member: MemberId, event: CardEvent) -> Result<Card, CardError> {
        debug_assert!(matches!(
            event,
            CardEvent::MemberFroze | CardEvent::MemberUnfroze | CardEvent::MemberReportedLost
        ));
        for _ in 0..ATTEMPTS {
            let card = self.current(member).await?;
            let to = card.status.after(event)?;
            let change = Transition { card: card.id, from: card.status, to, event, at: self.clock.now(), bank: None };
            if self.store.transition(&change).await? {
                return self.store.card(card.id).await?.ok_or(CardError::NotFound);
            }
        }
        Err(anyhow::anyhow!("the card kept changing under {} attempts", ATTEMPTS).into())
    }

    async fn active(&self, member: MemberId) -> Result<Card, CardError> {
        let card = self.current(member).await?;
        if !card.status.is_live() {
            return Err(CardError::NotLive(card.status));
        }
        Ok(card)
    }

    /// What the app keeps to show codes offline: the secret and today's and tomorrow's handles.
    pub async fn seed(&self, member: MemberId) -> Result<CodeSeed, CardError> {
        let card = self.active(member).await?;
        let today = self.clock.now().with_timezone(&SHANGHAI).date_naive();
        let tomorrow = today + Duration::days(1);
        let handles = self.store.handles(card.id, vec![today, tomorrow]).await?;
        let secret = self.store.secret(card.id).await?;
        let valid_until = crate::campaigns::window::end_of_day_shanghai(tomorrow);
        Ok(CodeSeed { card: card.id, secret, handles, valid_until })
    }

    /// The code to show now, for clients that do not derive it themselves; with the end of its step.
    pub async fn code(&self, member: MemberId) -> Result<(RotatingCode, DateTime<Utc>), CardError> {
        let card = self.active(member).await?;
        let now = self.clock.now();
        let today = now.with_timezone(&SHANGHAI).date_naive();
        let (_, handle) =
            self.store.handles(card.id, vec![today]).await?.into_iter().next().ok_or(CardError::NotFound)?;
        let secret = self.store.secret(card.id).await?;
        let step = step_of(now);
        let code = RotatingCode { handle, step_code: self.steps.step_code(&secret, step) };
        let ends = DateTime::from_timestamp((step + 1) * STEP_SECS, 0).unwrap_or(now);
        Ok((code, ends))
    }

    /// The card and member behind a code scanned at a till, spending it.
    pub async fn verify_code(&self, code: &RotatingCode) -> Result<super::verify::Holder, CardError> {
        Ok(verify(&self.store, &self.steps, &self.used, code, self.clock.now()).await?)
    }

    /// Applies one of the bank's card events, once per event id.
    pub async fn bank_event(&self, event: BankEvent) -> Result<EventOutcome, CardError> {
        for _ in 0..ATTEMPTS {
            if let Some(kept) = self.store.kept_event(&event.id).await? {
                return Ok(kept.outcome);
            }
            let card = self.store.card(event.card).await?.ok_or(CardError::NotFound)?;
            let now = self.clock.now();
            let (outcome, change, new_card) = match decide(&card, &event, new_secret(), now) {
                Decision::Superseded => (EventOutcome::Superseded { status: card.status }, None, None),
                Decision::Refuse(illegal) => (EventOutcome::Refused { current: illegal.current }, None, None),
                Decision::Apply(change) => {
                    (EventOutcome::Applied { status: change.to, replacement: None }, Some(change), None)
                }
                Decision::Replace(change, new) => {
                    (EventOutcome::Applied { status: change.to, replacement: Some(new.id) }, Some(change), Some(new))
                }
            };
            let kept = KeptEvent {
                event_id: event.id.clone(),
                card: card.id,
                kind: event.kind.as_str(),
                occurred_at: event.occurred_at,
                outcome,
                received_at: now,
            };
            match self.store.keep_event(&kept, change.as_ref(), new_card.as_ref()).await? {
                EventWrite::Written => return Ok(kept.outcome),
                EventWrite::CardMoved | EventWrite::Duplicate => continue,
                EventWrite::NumberTaken => {
                    return Err(CardError::Invalid { field: "card_number", problem: "is another card's number".into() })
                }
            }
        }
        Err(anyhow::anyhow!("the card kept changing under {} attempts", ATTEMPTS).into())
    }

    /// Every card's status changes, newest first, a page at a time (for staff).
    pub async fn changes(&self, page: PageRequest) -> Result<Page<CardChange>, CardError> {
        let rows = self.store.changes(page.after.map(Cursor::key), page.limit.get() + 1).await?;
        Ok(Page::from_overfetch(rows, page.limit, |c| c.seq))
    }

    /// Applications waiting for the bank, oldest first.
    pub async fn applications(&self, after: Option<CardId>, limit: u16) -> Result<(Vec<Card>, bool), CardError> {
        let mut cards = self.store.applications(after, limit + 1).await?;
        let more = cards.len() > usize::from(limit);
        cards.truncate(usize::from(limit));
        Ok((cards, more))
    }

    /// Drops handles no code can use any more (older than yesterday, Beijing).
    pub async fn forget_old_handles(&self) -> Result<u64, CardError> {
        let today = self.clock.now().with_timezone(&SHANGHAI).date_naive();
        Ok(self.store.forget_handles_before(today - Duration::days(1)).await?)
    }
}
