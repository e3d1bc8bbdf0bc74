//! `/v1/bank/…`: the bank's server-to-server calls, signed like the partner API with a key of
//! the bank's (a merchant's key is refused here, the bank's on merchant routes).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, FromRequest, HttpRequest};

use super::dto::*;
use super::errors::invalid;
use super::CardsState;
use crate::admin::audit::paging_error;
use crate::campaigns::dto::beijing;
use crate::error::ApiError;
use domain::cards::bank::{event_id, BankEvent, BankEventKind, EventOutcome, Replacement};
use domain::cards::{Account, CardId, CardNumber};
use domain::shared::paging::{IdCursor, Limit};

const PROBLEM: &str = "application/problem+json";

/// The bank, as its key's signature established: every handler here takes it, so a request that
/// reached one unverified is refused rather than served.
pub struct BankCaller;

impl FromRequest for BankCaller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            crate::merchants::signature::signer(req, domain::merchants::PartnerKind::Bank).map(|_| BankCaller),
        )
    }
}

fn account(body: Option<AccountBody>, field: &'static str) -> Result<Option<Account>, ApiError> {
    body.map(|a| {
        Account::parse(&a.token, &a.last4)
            .ok_or_else(|| invalid(field, "token must be 8-64 letters, digits, '-' or '_', last4 four digits"))
    })
    .transpose()
}

fn number(raw: Option<String>, field: &'static str) -> Result<Option<CardNumber>, ApiError> {
    raw.map(|n| CardNumber::parse(&n).ok_or_else(|| invalid(field, "must be 19 digits ending in a Luhn check digit")))
        .transpose()
}

fn event(body: CardEventBody) -> Result<BankEvent, ApiError> {
    let id = event_id(&body.event_id).ok_or_else(|| invalid("event_id", "must be 1-64 visible ASCII characters"))?;
    let kind = BankEventKind::parse(&body.kind)
        .ok_or_else(|| invalid("type", "must be issued, activated, replaced or cancelled"))?;
    let card_number = number(body.card_number, "card_number")?;
    if kind == BankEventKind::Issued && card_number.is_none() {
        return Err(invalid("card_number", "is required for issued"));
    }
    let replacement = match (kind, body.replacement) {
        (BankEventKind::Replaced, Some(r)) => Some(Replacement {
            number: number(Some(r.card_number), "replacement.card_number")?.expect("a number was given"),
            account: account(r.account, "replacement.account")?,
        }),
        (BankEventKind::Replaced, None) => return Err(invalid("replacement", "is required for replaced")),
        (_, Some(_)) => return Err(invalid("replacement", "is only for replaced")),
        (_, None) => None,
    };
    Ok(BankEvent {
        id,
        kind,
        card: CardId(body.card_id),
        number: card_number,
        account: account(body.account, "account")?,
        occurred_at: body.occurred_at.to_utc(),
        replacement,
    })
}

/// Applies a card event from the bank.
///
/// Issued, activated, replaced (a new card for a lost one) or cancelled. Idempotent by `event_id`; an event older than
/// the last one applied, or one the card is already past, is `superseded` and changes nothing; one the card's state
/// does not allow is refused (`card.illegal_transition`).
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_card_event", tag = "bank", security(("partner_signature" = [])), request_body = CardEventBody,
    responses((status = 200, body = CardEventAnswer),
        (status = 401, description = "`partner.*`: the signature was refused", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, description = "`partner.wrong_role`: not the bank's key", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`card.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.illegal_transition`, with `current`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/bank/card-events")]
pub async fn card_event(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    body: web::Json<CardEventBody>,
) -> Result<web::Json<CardEventAnswer>, ApiError> {
    let event = event(body.into_inner())?;
    let id = event.id.clone();
    let outcome = state.cards.bank_event(event).await?;
    if let EventOutcome::Refused { current } = outcome {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "card.illegal_transition",
            "会员服务卡当前状态不允许此事件",
            "The card cannot take this event in its current state",
        )
        .with("current", current.as_str())
        .with("event_id", id));
    }
    Ok(web::Json(CardEventAnswer::new(id, &outcome)))
}

/// Card applications waiting for the bank.
///
/// Members' applications for a 会员服务卡 not yet issued, oldest first, a page at a time. Changes nothing.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_card_applications", tag = "bank", security(("partner_signature" = [])), params(ApplicationsQuery),
    responses((status = 200, body = ApplicationPage),
        (status = 400, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/bank/card-applications")]
pub async fn applications(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    query: web::Query<ApplicationsQuery>,
) -> Result<web::Json<ApplicationPage>, ApiError> {
    let limit = Limit::parse(query.limit).map_err(paging_error)?;
    let after = query.cursor.as_deref().map(IdCursor::decode).transpose().map_err(paging_error)?;
    let (cards, more) = state.cards.applications(after.map(|c| CardId(c.0)), limit.get()).await?;
    let next_cursor = more.then(|| cards.last().map(|c| IdCursor(c.id.0).encode())).flatten();
    Ok(web::Json(ApplicationPage {
        items: cards.iter().map(|c| ApplicationView { card_id: c.id.0, applied_at: beijing(c.created_at) }).collect(),
        next_cursor,
    }))
}
