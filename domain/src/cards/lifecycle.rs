//! A card's states and the events that move it: applied → issued → active ⇄ frozen; active or
//! frozen → lost → cancelled (a replacement cancels the card it replaces and starts a new one).
//! Anything else is refused with the state the card is in.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardStatus {
    Applied,
    Issued,
    Active,
    Frozen,
    Lost,
    Cancelled,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Issued => "issued",
            Self::Active => "active",
            Self::Frozen => "frozen",
            Self::Lost => "lost",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "applied" => Self::Applied,
            "issued" => Self::Issued,
            "active" => Self::Active,
            "frozen" => Self::Frozen,
            "lost" => Self::Lost,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Whether a card in this state counts as "holds a card" and its codes verify.
    pub fn is_live(self) -> bool {
        self == Self::Active
    }

    /// One member holds at most one card that is not cancelled.
    pub fn is_current(self) -> bool {
        self != Self::Cancelled
    }

    /// Where `event` takes a card in this state.
    pub fn after(self, event: CardEvent) -> Result<Self, IllegalTransition> {
        use CardEvent::*;
        use CardStatus::*;
        let next = match (self, event) {
            (Applied, BankIssued) => Issued,
            (Issued, BankActivated) => Active,
            // The bank's activation implies its issuance, whose own event may arrive later.
            (Applied, BankActivated) => Active,
            (Active, MemberFroze) => Frozen,
            (Frozen, MemberUnfroze) => Active,
            (Active | Frozen, MemberReportedLost) => Lost,
            // The bank cancels a lost card when it issues the replacement, or any card it closes.
            (Applied | Issued | Active | Frozen | Lost, BankCancelled) => Cancelled,
            // A replacement cancels the card it replaces; the new card starts issued.
            (Issued | Active | Frozen | Lost, BankReplaced) => Cancelled,
            _ => return Err(IllegalTransition { current: self, event }),
        };
        Ok(next)
    }
}

/// What can happen to a card, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardEvent {
    /// The card's first entry: it has no state before (never a transition).
    MemberApplied,
    BankIssued,
    BankActivated,
    MemberFroze,
    MemberUnfroze,
    MemberReportedLost,
    BankCancelled,
    BankReplaced,
}

impl CardEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MemberApplied => "applied",
            Self::BankIssued => "issued",
            Self::BankActivated => "activated",
            Self::MemberFroze => "frozen",
            Self::MemberUnfroze => "unfrozen",
            Self::MemberReportedLost => "reported_lost",
            Self::BankCancelled => "cancelled",
            Self::BankReplaced => "replaced",
        }
    }

    pub const ALL: [Self; 8] = [
        Self::MemberApplied,
        Self::BankIssued,
        Self::BankActivated,
        Self::MemberFroze,
        Self::MemberUnfroze,
        Self::MemberReportedLost,
        Self::BankCancelled,
        Self::BankReplaced,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

impl CardStatus {
    /// How far along its life a card is, for telling whether a bank event is already reflected:
    /// frozen is as far as active (it was active), lost further, cancelled the end.
    pub fn progress(self) -> u8 {
        match self {
            Self::Applied => 0,
            Self::Issued => 1,
            Self::Active | Self::Frozen => 2,
            Self::Lost => 3,
            Self::Cancelled => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} card cannot take {event:?}", current.as_str())]
pub struct IllegalTransition {
    pub current: CardStatus,
    pub event: CardEvent,
}

#[cfg(test)]
mod tests {
    use super::CardEvent::*;
    use super::CardStatus::*;
    use super::*;

    const STATES: [CardStatus; 6] = [Applied, Issued, Active, Frozen, Lost, Cancelled];
    const EVENTS: [CardEvent; 8] = CardEvent::ALL;

    #[test]
    fn every_state_and_event_is_legal_exactly_where_the_lifecycle_says() {
        let legal = [
            (Applied, BankIssued, Issued),
            (Issued, BankActivated, Active),
            (Applied, BankActivated, Active),
            (Active, MemberFroze, Frozen),
            (Frozen, MemberUnfroze, Active),
            (Active, MemberReportedLost, Lost),
            (Frozen, MemberReportedLost, Lost),
            (Applied, BankCancelled, Cancelled),
            (Issued, BankCancelled, Cancelled),
            (Active, BankCancelled, Cancelled),
            (Frozen, BankCancelled, Cancelled),
            (Lost, BankCancelled, Cancelled),
            (Issued, BankReplaced, Cancelled),
            (Active, BankReplaced, Cancelled),
            (Frozen, BankReplaced, Cancelled),
            (Lost, BankReplaced, Cancelled),
        ];
        for state in STATES {
            for event in EVENTS {
                let expected = legal.iter().find(|(s, e, _)| *s == state && *e == event).map(|(_, _, to)| *to);
                match (state.after(event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{state:?} + {event:?}"),
                    (Err(e), None) => assert_eq!(e.current, state, "the refusal names the current state"),
                    (got, want) => panic!("{state:?} + {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn only_an_active_card_is_live_and_names_round_trip() {
        for state in STATES {
            assert_eq!(CardStatus::parse(state.as_str()), Some(state));
            assert_eq!(state.is_live(), state == Active);
            assert_eq!(state.is_current(), state != Cancelled);
        }
        assert_eq!(CardStatus::parse("ACTIVE"), None);
        for event in EVENTS {
            assert_eq!(CardEvent::parse(event.as_str()), Some(event));
        }
    }
}
