//! The bank's card events, each kept with its answer in the transaction that applies it.

use diesel::prelude::*;

use super::super::error::StoreError;
use super::super::schema::bank_card_events;
use super::rows::{apply_transition, insert_card};
use super::DbCards;
use domain::cards::bank::EventOutcome;
use domain::cards::model::{NewCard, Transition};
use domain::cards::ports::{EventWrite, KeptEvent};

pub(super) async fn kept(cards: &DbCards, event_id: &str) -> anyhow::Result<Option<KeptEvent>> {
    let id = event_id.to_owned();
    type Row = (String, String, String, chrono::NaiveDateTime, String, String, chrono::NaiveDateTime);
    let row: Option<Row> = cards
        .db
        .run(move |conn| {
            bank_card_events::table
                .find(id)
                .select((
                    bank_card_events::event_id,
                    bank_card_events::card_id,
                    bank_card_events::kind,
                    bank_card_events::occurred_at,
                    bank_card_events::outcome,
                    bank_card_events::answer,
                    bank_card_events::received_at,
                ))
                .first(conn)
                .optional()
                .map_err(anyhow::Error::from)
        })
        .await?;
    let Some((event_id, card, kind, occurred_at, outcome, answer, received_at)) = row else { return Ok(None) };
    let kind = domain::cards::bank::BankEventKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("stored event kind"))?;
    Ok(Some(KeptEvent {
        event_id,
        card: card.parse()?,
        kind: kind.as_str(),
        occurred_at: occurred_at.and_utc(),
        outcome: EventOutcome::from_kept(&outcome, &answer).ok_or_else(|| anyhow::anyhow!("stored event answer"))?,
        received_at: received_at.and_utc(),
    }))
}

enum Abort {
    Moved,
    Store(StoreError),
}

impl From<anyhow::Error> for Abort {
    fn from(e: anyhow::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

impl std::fmt::Debug for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Moved => f.write_str("the card moved"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

pub(super) async fn keep(
    cards: &DbCards,
    event: &KeptEvent,
    change: Option<&Transition>,
    new_card: Option<&NewCard>,
) -> anyhow::Result<EventWrite> {
    let (event, change, new_card) = (event.clone(), change.cloned(), new_card.cloned());
    let crypto = cards.crypto.clone();
    let outcome = cards
        .db
        .transaction(move |conn| {
            diesel::insert_into(bank_card_events::table)
                .values((
                    bank_card_events::event_id.eq(&event.event_id),
                    bank_card_events::card_id.eq(event.card.to_string()),
                    bank_card_events::kind.eq(event.kind),
                    bank_card_events::occurred_at.eq(event.occurred_at.naive_utc()),
                    bank_card_events::outcome.eq(event.outcome.as_str()),
                    bank_card_events::answer.eq(event.outcome.answer()),
                    bank_card_events::received_at.eq(event.received_at.naive_utc()),
                ))
                .execute(conn)?;
            if let Some(change) = &change {
                if !apply_transition(conn, &crypto, change)? {
                    return Err(Abort::Moved);
                }
            }
            if let Some(card) = &new_card {
                insert_card(conn, &crypto, card)?;
            }
            Ok(())
        })
        .await;
    match outcome {
        Ok(()) => Ok(EventWrite::Written),
        Err(Abort::Moved) => Ok(EventWrite::CardMoved),
        Err(Abort::Store(StoreError::UniqueViolation(what))) if what.contains("number_index") => {
            Ok(EventWrite::NumberTaken)
        }
        Err(Abort::Store(StoreError::UniqueViolation(_))) => Ok(EventWrite::Duplicate),
        Err(Abort::Store(StoreError::Other(e))) => Err(e),
    }
}
