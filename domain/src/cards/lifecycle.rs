//! A card's states and the events that move it: applied → issued → active ⇄ frozen; active or
//! frozen → lost → cancelled (a replacement is a new card). Anything else is refused with the
//! state the card is in.

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
            (Active, MemberFroze) => Frozen,
            (Frozen, MemberUnfroze) => Active,
            (Active | Frozen, MemberReportedLost) => Lost,
            // The bank cancels a lost card when it issues the replacement, or any card it closes.
            (Applied | Issued | Active | Frozen | Lost, BankCancelled) => Cancelled,
            _ => return Err(IllegalTransition { current: self, event }),
        };
        Ok(next)
    }
}

/// What can happen to a card, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardEvent {
    BankIssued,
    BankActivated,
    MemberFroze,
    MemberUnfroze,
    MemberReportedLost,
    BankCancelled,
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
    const EVENTS: [CardEvent; 6] =
        [BankIssued, BankActivated, MemberFroze, MemberUnfroze, MemberReportedLost, BankCancelled];

    #[test]
    fn every_state_and_event_is_legal_exactly_where_the_lifecycle_says() {
        let legal = [
            (Applied, BankIssued, Issued),
            (Issued, BankActivated, Active),
            (Active, MemberFroze, Frozen),
            (Frozen, MemberUnfroze, Active),
            (Active, MemberReportedLost, Lost),
            (Frozen, MemberReportedLost, Lost),
            (Applied, BankCancelled, Cancelled),
            (Issued, BankCancelled, Cancelled),
            (Active, BankCancelled, Cancelled),
            (Frozen, BankCancelled, Cancelled),
            (Lost, BankCancelled, Cancelled),
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
    }
}
