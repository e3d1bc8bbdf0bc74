//! Card rows and the values written for them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::schema::{card_history, cards};
use super::super::DbConn;
use crate::crypto::FieldCrypto;
use domain::cards::model::{AccountToken, NewCard, Transition};
use domain::cards::{Card, CardEvent, CardStatus, HistoryEntry};

#[derive(Queryable, Selectable)]
#[diesel(table_name = cards)]
pub(super) struct CardRow {
    pub id: String,
    pub member_id: String,
    pub status: String,
    pub number_last4: Option<String>,
    pub account_token: Option<String>,
    pub account_last4: Option<String>,
    pub replaces: Option<String>,
    pub bank_event_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn status(raw: &str) -> anyhow::Result<CardStatus> {
    CardStatus::parse(raw).ok_or_else(|| anyhow::anyhow!("stored card status is invalid: {raw}"))
}

impl TryFrom<CardRow> for Card {
    type Error = anyhow::Error;
    fn try_from(r: CardRow) -> anyhow::Result<Self> {
        Ok(Card {
            id: r.id.parse()?,
            member: r.member_id.parse()?,
            status: status(&r.status)?,
            number_last4: r.number_last4,
            account: r
                .account_token
                .map(|t| AccountToken::parse(&t).ok_or_else(|| anyhow::anyhow!("stored account token is invalid")))
                .transpose()?,
            account_last4: r.account_last4,
            replaces: r.replaces.map(|id| id.parse()).transpose()?,
            bank_event_at: r.bank_event_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

#[derive(Queryable)]
pub(super) struct HistoryRow {
    pub card_id: String,
    pub event: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: NaiveDateTime,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = anyhow::Error;
    fn try_from(r: HistoryRow) -> anyhow::Result<Self> {
        Ok(HistoryEntry {
            card: r.card_id.parse()?,
            event: CardEvent::parse(&r.event).ok_or_else(|| anyhow::anyhow!("stored card event is invalid"))?,
            from: r.from_status.as_deref().map(status).transpose()?,
            to: status(&r.to_status)?,
            at: r.at.and_utc(),
        })
    }
}

pub(super) fn number_index(crypto: &FieldCrypto, number: &domain::cards::CardNumber) -> String {
    crypto.blind_index("card_number", number.as_str())
}

fn history(
    conn: &mut DbConn,
    card: &str,
    event: CardEvent,
    from: Option<CardStatus>,
    to: CardStatus,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(card_history::table)
        .values((
            card_history::card_id.eq(card),
            card_history::event.eq(event.as_str()),
            card_history::from_status.eq(from.map(CardStatus::as_str)),
            card_history::to_status.eq(to.as_str()),
            card_history::at.eq(at),
        ))
        .execute(conn)
}

/// Inserts the card with its first history entry.
pub(super) fn insert_card(conn: &mut DbConn, crypto: &FieldCrypto, card: &NewCard) -> QueryResult<()> {
    let id = card.id.to_string();
    let at = card.at.naive_utc();
    diesel::insert_into(cards::table)
        .values((
            cards::id.eq(&id),
            cards::member_id.eq(card.member.to_string()),
            cards::status.eq(card.status.as_str()),
            cards::number_index.eq(card.number.as_ref().map(|n| number_index(crypto, n))),
            cards::number_last4.eq(card.number.as_ref().map(|n| n.last4().to_owned())),
            cards::account_token.eq(card.account.as_ref().map(|a| a.token.as_str().to_owned())),
            cards::account_last4.eq(card.account.as_ref().map(|a| a.last4.clone())),
            cards::secret_cipher.eq(crypto.seal(&hex::encode(&card.secret))),
            cards::replaces.eq(card.replaces.map(|r| r.to_string())),
            cards::bank_event_at.eq(card.bank_event_at.map(|t| t.naive_utc())),
            cards::created_at.eq(at),
            cards::updated_at.eq(at),
        ))
        .execute(conn)?;
    history(conn, &id, card.event, None, card.status, at)?;
    Ok(())
}

/// Applies the change if the card is still in `from` (and has seen no later bank event), with its
/// history entry; `false` when it was not.
pub(super) fn apply_transition(conn: &mut DbConn, crypto: &FieldCrypto, change: &Transition) -> QueryResult<bool> {
    let id = change.card.to_string();
    let at = change.at.naive_utc();
    let still = cards::table.filter(cards::id.eq(&id)).filter(cards::status.eq(change.from.as_str()));
    let moved = match &change.bank {
        None => {
            diesel::update(still).set((cards::status.eq(change.to.as_str()), cards::updated_at.eq(at))).execute(conn)?
        }
        Some(bank) => {
            let occurred = bank.occurred_at.naive_utc();
            let not_later = still.filter(cards::bank_event_at.is_null().or(cards::bank_event_at.le(occurred)));
            diesel::update(not_later)
                .set((
                    cards::status.eq(change.to.as_str()),
                    cards::updated_at.eq(at),
                    cards::bank_event_at.eq(occurred),
                    bank.number.as_ref().map(|n| cards::number_index.eq(number_index(crypto, n))),
                    bank.number.as_ref().map(|n| cards::number_last4.eq(n.last4().to_owned())),
                    bank.account.as_ref().map(|a| cards::account_token.eq(a.token.as_str().to_owned())),
                    bank.account.as_ref().map(|a| cards::account_last4.eq(a.last4.clone())),
                ))
                .execute(conn)?
        }
    };
    if moved == 0 {
        return Ok(false);
    }
    history(conn, &id, change.event, Some(change.from), change.to, at)?;
    Ok(true)
}
