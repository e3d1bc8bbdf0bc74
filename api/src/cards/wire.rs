//! The cards context's service, over the relational store, the card codes' HMAC and the one-time
//! store that remembers each verified (card, step).

use crate::merchants::Catalogue;
use crate::wire::Infra;
use domain::cards::CardService;
use domain::shared::AppClock;
use infra::db::cards::DbCards;
use infra::ephemeral::Ephemeral;
use infra::totp::TotpSteps;

pub type Cards = CardService<DbCards, TotpSteps, Ephemeral, AppClock, Catalogue>;

pub struct CardsState {
    pub cards: Cards,
}

/// `catalogue`: the merchants context's, whose kept reads card transactions are matched against.
pub fn wire(infra: &Infra, catalogue: Catalogue) -> CardsState {
    CardsState {
        cards: CardService {
            store: DbCards::new(
                infra.db.clone(),
                infra.crypto.clone(),
                infra.config.members.privacy_policy_version.clone(),
            ),
            steps: TotpSteps,
            used: infra.ephemeral.clone(),
            clock: infra.clock.clone(),
            catalogue,
        },
    }
}
