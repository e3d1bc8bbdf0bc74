//! The bank's card events: what each one does to a card, and why a late or repeated one changes
//! nothing. Events are idempotent by the bank's event id (the store keeps each one's answer) and
//! safe out of order: an event older than the last one applied, or one the card is already past,
//! is acknowledged as superseded.

use chrono::{DateTime, Utc};

use super::lifecycle::{CardEvent, CardStatus, IllegalTransition};
use super::model::{Account, BankFacts, Card, NewCard, Transition};
use super::number::CardNumber;
use super::verify::CardId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankEventKind {
    Issued,
    Activated,
    Replaced,
    Cancelled,
}

impl BankEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Activated => "activated",
            Self::Replaced => "replaced",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Issued, Self::Activated, Self::Replaced, Self::Cancelled].into_iter().find(|k| k.as_str() == raw)
    }

    fn lifecycle_event(self) -> CardEvent {
        match self {
            Self::Issued => CardEvent::BankIssued,
            Self::Activated => CardEvent::BankActivated,
            Self::Replaced => CardEvent::BankReplaced,
            Self::Cancelled => CardEvent::BankCancelled,
        }
    }

    /// How far along its life a card is once this event has happened to it.
    fn reaches(self) -> u8 {
        match self {
            Self::Issued => CardStatus::Issued.progress(),
            Self::Activated => CardStatus::Active.progress(),
            Self::Replaced | Self::Cancelled => CardStatus::Cancelled.progress(),
        }
    }
}

/// The bank's id for an event: 1–64 visible ASCII characters.
pub fn event_id(raw: &str) -> Option<String> {
    ((1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic())).then(|| raw.to_owned())
}

/// The new card a replacement issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub number: CardNumber,
    pub account: Option<Account>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEvent {
    pub id: String,
    pub kind: BankEventKind,
    pub card: CardId,
    pub number: Option<CardNumber>,
    pub account: Option<Account>,
    pub occurred_at: DateTime<Utc>,
    /// Set exactly when `kind` is `Replaced`.
    pub replacement: Option<Replacement>,
}

/// The answer to an event, kept with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    Applied {
        status: CardStatus,
        replacement: Option<CardId>,
    },
    /// Older than what the card has seen, or already reflected: nothing changed.
    Superseded {
        status: CardStatus,
    },
    /// Not a move the card can make (409 with its state).
    Refused {
        current: CardStatus,
    },
}

impl EventOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Applied { .. } => "applied",
            Self::Superseded { .. } => "superseded",
            Self::Refused { .. } => "refused",
        }
    }

    /// The status, and the replacement card if any, as the store keeps them: `active`,
    /// `cancelled:<id>`.
    pub fn answer(&self) -> String {
        match self {
            Self::Applied { status, replacement: Some(id) } => format!("{}:{id}", status.as_str()),
            Self::Applied { status, .. } | Self::Superseded { status } | Self::Refused { current: status } => {
                status.as_str().to_owned()
            }
        }
    }

    pub fn from_kept(outcome: &str, answer: &str) -> Option<Self> {
        let (status, replacement) = match answer.split_once(':') {
            Some((s, id)) => (s, Some(id.parse().ok()?)),
            None => (answer, None),
        };
        let status = CardStatus::parse(status)?;
        Some(match outcome {
            "applied" => Self::Applied { status, replacement },
            "superseded" => Self::Superseded { status },
            "refused" => Self::Refused { current: status },
            _ => return None,
        })
    }
}

/// What an event does to the card it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Superseded,
    Apply(Transition),
    /// The old card's cancellation and the new card, together.
    Replace(Transition, NewCard),
    Refuse(IllegalTransition),
}

/// Decides `event` for `card` as it is now; `secret` seeds a replacement's codes.
pub fn decide(card: &Card, event: &BankEvent, secret: Vec<u8>, now: DateTime<Utc>) -> Decision {
    let late = card.bank_event_at.is_some_and(|seen| event.occurred_at < seen);
    if late || card.status.progress() >= event.kind.reaches() {
        return Decision::Superseded;
    }
    let to = match card.status.after(event.kind.lifecycle_event()) {
        Ok(to) => to,
        Err(illegal) => return Decision::Refuse(illegal),
    };
    let change = Transition {
        card: card.id,
        from: card.status,
        to,
        event: event.kind.lifecycle_event(),
        at: now,
        bank: Some(BankFacts {
            number: event.number.clone(),
            account: event.account.clone(),
            occurred_at: event.occurred_at,
        }),
    };
    match &event.replacement {
        Some(new) if event.kind == BankEventKind::Replaced => Decision::Replace(
            change,
            NewCard {
                id: CardId::new(),
                member: card.member,
                status: CardStatus::Issued,
                event: CardEvent::BankIssued,
                number: Some(new.number.clone()),
                account: new.account.clone(),
                secret,
                replaces: Some(card.id),
                bank_event_at: Some(event.occurred_at),
                at: now,
            },
        ),
        _ => Decision::Apply(change),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::MemberId;
    use chrono::Duration;

    fn card(status: CardStatus, seen: Option<DateTime<Utc>>) -> Card {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Card {
            id: CardId::new(),
            member: MemberId::new(),
            status,
            number_last4: None,
            account: None,
            account_last4: None,
            replaces: None,
            bank_event_at: seen,
            created_at: at,
            updated_at: at,
        }
    }

    fn event(kind: BankEventKind, at: DateTime<Utc>) -> BankEvent {
        let number = CardNumber::complete("621483000000000001").unwrap();
        BankEvent {
            id: "e1".into(),
            kind,
            card: CardId::new(),
            number: Some(number.clone()),
            account: None,
            occurred_at: at,
            replacement: (kind == BankEventKind::Replaced).then_some(Replacement { number, account: None }),
        }
    }

    #[test]
    fn an_older_event_or_one_already_reflected_is_superseded() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = t + Duration::hours(1);
        // Activated arrived first; the issuance, older, changes nothing.
        let active = card(CardStatus::Active, Some(t));
        assert_eq!(
            decide(&active, &event(BankEventKind::Issued, t - Duration::minutes(5)), vec![], now),
            Decision::Superseded
        );
        // A frozen card was active: a repeated activation is already reflected, even if newer.
        let frozen = card(CardStatus::Frozen, Some(t));
        assert_eq!(
            decide(&frozen, &event(BankEventKind::Activated, t + Duration::minutes(1)), vec![], now),
            Decision::Superseded
        );
        // An old cancellation never overwrites a newer state.
        assert_eq!(
            decide(&active, &event(BankEventKind::Cancelled, t - Duration::seconds(1)), vec![], now),
            Decision::Superseded
        );
    }

    #[test]
    fn activation_before_issuance_activates_and_replacement_needs_a_card() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let applied = card(CardStatus::Applied, None);
        match decide(&applied, &event(BankEventKind::Activated, t), vec![], t) {
            Decision::Apply(change) => assert_eq!((change.from, change.to), (CardStatus::Applied, CardStatus::Active)),
            other => panic!("{other:?}"),
        }
        match decide(&applied, &event(BankEventKind::Replaced, t), vec![], t) {
            Decision::Refuse(illegal) => assert_eq!(illegal.current, CardStatus::Applied),
            other => panic!("{other:?}"),
        }
        let lost = card(CardStatus::Lost, Some(t - Duration::days(3)));
        match decide(&lost, &event(BankEventKind::Replaced, t), vec![1; 32], t) {
            Decision::Replace(old, new) => {
                assert_eq!(old.to, CardStatus::Cancelled);
                assert_eq!((new.status, new.replaces, new.member), (CardStatus::Issued, Some(lost.id), lost.member));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn outcomes_round_trip_through_the_store() {
        let id = CardId::new();
        for o in [
            EventOutcome::Applied { status: CardStatus::Cancelled, replacement: Some(id) },
            EventOutcome::Applied { status: CardStatus::Active, replacement: None },
            EventOutcome::Superseded { status: CardStatus::Frozen },
            EventOutcome::Refused { current: CardStatus::Applied },
        ] {
            assert_eq!(EventOutcome::from_kept(o.as_str(), &o.answer()), Some(o.clone()));
        }
        assert_eq!(event_id(""), None);
        assert_eq!(event_id("ev 1"), None);
        assert_eq!(event_id("EV-2026-0001").as_deref(), Some("EV-2026-0001"));
    }
}
