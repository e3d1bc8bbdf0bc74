//! What members and the bank send and see about cards.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::campaigns::dto::beijing;
use domain::cards::bank::EventOutcome;
use domain::cards::code::STEP_SECS;
use domain::cards::{Card, CodeSeed, HistoryEntry, RotatingCode};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c6-0000-7000-8000-0000000000c1", "status": "active", "number_last4": "0018",
    "account_last4": "6621", "replaces": null, "created_at": "2026-12-01T10:00:00+08:00",
    "updated_at": "2026-12-03T09:30:00+08:00"}))]
pub struct CardView {
    pub id: uuid::Uuid,
    /// `applied`, `issued`, `active`, `frozen`, `lost` or `cancelled`.
    pub status: &'static str,
    /// The card number's last 4 digits, once the bank issued it.
    pub number_last4: Option<String>,
    pub account_last4: Option<String>,
    /// The lost card this one replaces.
    pub replaces: Option<uuid::Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<&Card> for CardView {
    fn from(c: &Card) -> Self {
        Self {
            id: c.id.0,
            status: c.status.as_str(),
            number_last4: c.number_last4.clone(),
            account_last4: c.account_last4.clone(),
            replaces: c.replaces.map(|r| r.0),
            created_at: beijing(c.created_at),
            updated_at: beijing(c.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "event": "frozen", "from": "active",
    "to": "frozen", "at": "2026-12-03T09:30:00+08:00"}))]
pub struct HistoryView {
    pub card_id: uuid::Uuid,
    /// `applied`, `issued`, `activated`, `frozen`, `unfrozen`, `reported_lost`, `cancelled`, `replaced`.
    pub event: &'static str,
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub at: DateTime<FixedOffset>,
}

impl From<&HistoryEntry> for HistoryView {
    fn from(h: &HistoryEntry) -> Self {
        Self {
            card_id: h.card.0,
            event: h.event.as_str(),
            from: h.from.map(|s| s.as_str()),
            to: h.to.as_str(),
            at: beijing(h.at),
        }
    }
}

/// The member's card (the current one, or the last) and every transition of all their cards.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"card": {"id": "0193a2c6-0000-7000-8000-0000000000c1", "status": "active",
    "number_last4": "0018", "account_last4": "6621", "replaces": null, "created_at": "2026-12-01T10:00:00+08:00",
    "updated_at": "2026-12-03T09:30:00+08:00"},
    "history": [{"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "event": "applied", "from": null, "to": "applied",
        "at": "2026-12-01T10:00:00+08:00"},
        {"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "event": "issued", "from": "applied", "to": "issued",
        "at": "2026-12-02T15:00:00+08:00"},
        {"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "event": "activated", "from": "issued", "to": "active",
        "at": "2026-12-03T09:30:00+08:00"}]}))]
pub struct MyCard {
    pub card: CardView,
    /// Oldest first, replaced cards included.
    pub history: Vec<HistoryView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"day": "2026-12-03", "handle": "4815162342"}))]
pub struct HandleView {
    /// The Beijing day the handle is shown on.
    pub day: NaiveDate,
    pub handle: String,
}

/// Everything the app needs to show codes offline until `valid_until`: for each 30-second step
/// `T = floor(unix_time / 30)`, code = `67` + the day's handle + the last 6 digits of
/// RFC 4226 truncation of HMAC-SHA256(secret, T as 8 bytes big-endian), zero-padded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "algorithm": "HMAC-SHA256", "digits": 6,
    "step_seconds": 30, "prefix": "67", "secret": "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=",
    "handles": [{"day": "2026-12-03", "handle": "4815162342"}, {"day": "2026-12-04", "handle": "0918273645"}],
    "valid_until": "2026-12-04T23:59:59+08:00"}))]
pub struct CodeSeedView {
    pub card_id: uuid::Uuid,
    pub algorithm: &'static str,
    pub digits: u8,
    pub step_seconds: i64,
    pub prefix: &'static str,
    /// The card's code secret, base64.
    pub secret: String,
    /// Today's and tomorrow's handles (Beijing days).
    pub handles: Vec<HandleView>,
    pub valid_until: DateTime<FixedOffset>,
}

impl From<&CodeSeed> for CodeSeedView {
    fn from(s: &CodeSeed) -> Self {
        Self {
            card_id: s.card.0,
            algorithm: "HMAC-SHA256",
            digits: 6,
            step_seconds: STEP_SECS,
            prefix: RotatingCode::PREFIX,
            secret: STANDARD.encode(&s.secret),
            handles: s.handles.iter().map(|(day, h)| HandleView { day: *day, handle: h.as_str().to_owned() }).collect(),
            valid_until: beijing(s.valid_until),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "674815162342123456", "qr_payload": "674815162342123456",
    "expires_at": "2026-12-03T09:30:30+08:00"}))]
pub struct CodeView {
    /// 18 digits for a barcode scanner.
    pub code: String,
    /// What the QR code carries: the same digits.
    pub qr_payload: String,
    /// The end of this 30-second step; the code is accepted for one step more.
    pub expires_at: DateTime<FixedOffset>,
}

impl CodeView {
    pub fn new(code: &RotatingCode, ends: DateTime<Utc>) -> Self {
        let digits = code.digits();
        Self { qr_payload: digits.clone(), code: digits, expires_at: beijing(ends) }
    }
}

/// The account behind a card, as the bank tokenises it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    pub token: String,
    pub last4: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementBody {
    pub card_number: String,
    pub account: Option<AccountBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_id": "BOSZ-EV-20261203-000001", "type": "issued",
    "card_id": "0193a2c6-0000-7000-8000-0000000000c1", "card_number": "6214830000000000018",
    "account": {"token": "acct_tok_7Hq2Lx9", "last4": "6621"}, "occurred_at": "2026-12-03T09:00:00+08:00"}))]
pub struct CardEventBody {
    /// The bank's id for this event: a replay with the same id gets the first answer.
    pub event_id: String,
    /// `issued`, `activated`, `replaced` or `cancelled`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The card (application) id from `GET /v1/bank/card-applications` or an earlier answer.
    pub card_id: uuid::Uuid,
    /// 19 digits with a Luhn check digit; required for `issued`.
    pub card_number: Option<String>,
    pub account: Option<AccountBody>,
    /// When it happened at the bank (RFC 3339).
    pub occurred_at: DateTime<FixedOffset>,
    /// The new card, for `replaced`.
    pub replacement: Option<ReplacementBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"event_id": "BOSZ-EV-20261203-000001", "outcome": "applied", "status": "issued",
    "replacement_card_id": null}))]
pub struct CardEventAnswer {
    pub event_id: String,
    /// `applied`, or `superseded` (older than what the card has seen, or already reflected: nothing changed).
    pub outcome: &'static str,
    /// The card's status after the event.
    pub status: &'static str,
    /// For `replaced`: the new card's id, for its later events.
    pub replacement_card_id: Option<uuid::Uuid>,
}

impl CardEventAnswer {
    pub fn new(event_id: String, outcome: &EventOutcome) -> Self {
        let (status, replacement) = match outcome {
            EventOutcome::Applied { status, replacement } => (*status, replacement.map(|r| r.0)),
            EventOutcome::Superseded { status } | EventOutcome::Refused { current: status } => (*status, None),
        };
        Self { event_id, outcome: outcome.as_str(), status: status.as_str(), replacement_card_id: replacement }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "applied_at": "2026-12-01T10:00:00+08:00"}))]
pub struct ApplicationView {
    pub card_id: uuid::Uuid,
    pub applied_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"card_id": "0193a2c6-0000-7000-8000-0000000000c1",
    "applied_at": "2026-12-01T10:00:00+08:00"}], "next_cursor": null}))]
pub struct ApplicationPage {
    pub items: Vec<ApplicationView>,
    pub next_cursor: Option<String>,
}
