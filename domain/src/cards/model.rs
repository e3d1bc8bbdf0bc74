//! A card as the member and the bank see it, and the history of how it got there.

use chrono::{DateTime, NaiveDate, Utc};

use super::code::DayHandle;
use super::lifecycle::{CardEvent, CardStatus};
use super::number::CardNumber;
use super::verify::CardId;
use crate::members::MemberId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: CardId,
    pub member: MemberId,
    pub status: CardStatus,
    /// Known once the bank issued it; the full number is never kept.
    pub number_last4: Option<String>,
    /// The bank's token for the account: what its card transactions name the card by.
    pub account: Option<AccountToken>,
    pub account_last4: Option<String>,
    /// The lost card this one replaces.
    pub replaces: Option<CardId>,
    /// When the last bank event applied to it happened (the bank's clock).
    pub bank_event_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One step of some card's life as staff list them: newest first by `seq`, with the card's last
/// four digits once the bank has issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardChange {
    pub seq: i64,
    pub entry: HistoryEntry,
    pub last4: Option<String>,
}

/// One step of a card's life, as `GET /v1/me/card` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub card: CardId,
    pub event: CardEvent,
    pub from: Option<CardStatus>,
    pub to: CardStatus,
    pub at: DateTime<Utc>,
}

/// The bank's token for the account behind a card, and its last 4 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub token: AccountToken,
    pub last4: String,
}

/// The bank's opaque account token: 8–64 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountToken(String);

impl AccountToken {
    pub fn parse(raw: &str) -> Option<Self> {
        ((8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Account {
    pub fn parse(token: &str, last4: &str) -> Option<Self> {
        let last4_ok = last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit());
        Some(Self { token: AccountToken::parse(token)?, last4: last4_ok.then(|| last4.to_owned())? })
    }
}

/// A card to insert: an application, or a replacement the bank issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCard {
    pub id: CardId,
    pub member: MemberId,
    pub status: CardStatus,
    pub event: CardEvent,
    pub number: Option<CardNumber>,
    pub account: Option<Account>,
    /// Random bytes the code is derived from (the adapter seals them).
    pub secret: Vec<u8>,
    pub replaces: Option<CardId>,
    pub bank_event_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// A change of state, applied only if the card is still in `from` (and, for a bank event, has
/// seen no later one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub card: CardId,
    pub from: CardStatus,
    pub to: CardStatus,
    pub event: CardEvent,
    pub at: DateTime<Utc>,
    /// What a bank event sets besides the state.
    pub bank: Option<BankFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFacts {
    pub number: Option<CardNumber>,
    pub account: Option<Account>,
    pub occurred_at: DateTime<Utc>,
}

/// What the app needs to show codes without the network: the secret, the step, and the card's
/// handles for today and tomorrow (Beijing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSeed {
    pub card: CardId,
    pub secret: Vec<u8>,
    pub handles: Vec<(NaiveDate, DayHandle)>,
    /// After this the app must sync again: the end of the last day it holds a handle for.
    pub valid_until: DateTime<Utc>,
}
