//! `/v1/me/card…`: the member's own card, its history, and the code shown at a till.

use actix_web::{get, post, web, HttpResponse};

use super::dto::*;
use super::CardsState;
use crate::error::ApiError;
use crate::members::MemberToken;
use domain::cards::CardEvent;

const PROBLEM: &str = "application/problem+json";

/// The member's 会员服务卡 and its history.
///
/// The current card (or the last one) with the history of all the member's cards; 404 when they never applied. Changes
/// nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_get_card", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = MyCard),
        (status = 404, description = "`card.not_found`: never applied", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/card")]
pub async fn my_card(state: web::Data<CardsState>, token: MemberToken) -> Result<web::Json<MyCard>, ApiError> {
    let (card, history) = state.cards.view(token.0.member).await?;
    Ok(web::Json(MyCard { card: CardView::from(&card), history: history.iter().map(HistoryView::from).collect() }))
}

/// Applies for a 会员服务卡.
///
/// Open to an activated member holding no card. The application waits for the bank (`GET /v1/bank/card-applications`),
/// which issues the card.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_apply_for_card", tag = "cards", security(("member_jwt" = [])),
    responses((status = 201, body = CardView),
        (status = 403, description = "`card.not_eligible`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.already_held`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/card/application")]
pub async fn apply(state: web::Data<CardsState>, token: MemberToken) -> Result<HttpResponse, ApiError> {
    let card = state.cards.apply(token.0.member).await?;
    Ok(HttpResponse::Created().json(CardView::from(&card)))
}

async fn member_event(
    state: &CardsState,
    token: &MemberToken,
    event: CardEvent,
) -> Result<web::Json<CardView>, ApiError> {
    let card = state.cards.member_event(token.0.member, event).await?;
    Ok(web::Json(CardView::from(&card)))
}

/// Freezes the member's active card.
///
/// Its codes stop verifying until it is unfrozen.
///
/// Who: a member (member token). Their own card only.
#[utoipa::path(operation_id = "member_freeze_card", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = CardView),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.illegal_transition`, with `current`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/card/freeze")]
pub async fn freeze(state: web::Data<CardsState>, token: MemberToken) -> Result<web::Json<CardView>, ApiError> {
    member_event(&state, &token, CardEvent::MemberFroze).await
}

/// Unfreezes the member's frozen card.
///
/// Its codes verify again.
///
/// Who: a member (member token). Their own card only.
#[utoipa::path(operation_id = "member_unfreeze_card", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = CardView),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.illegal_transition`, with `current`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/card/unfreeze")]
pub async fn unfreeze(state: web::Data<CardsState>, token: MemberToken) -> Result<web::Json<CardView>, ApiError> {
    member_event(&state, &token, CardEvent::MemberUnfroze).await
}

/// Reports the member's card lost.
///
/// The card never verifies again; the bank issues a replacement.
///
/// Who: a member (member token). Their own card only.
#[utoipa::path(operation_id = "member_report_card_lost", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = CardView),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.illegal_transition`, with `current`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/card/report-lost")]
pub async fn report_lost(state: web::Data<CardsState>, token: MemberToken) -> Result<web::Json<CardView>, ApiError> {
    member_event(&state, &token, CardEvent::MemberReportedLost).await
}

/// The seed for showing card codes offline.
///
/// What the app keeps to derive the card's codes offline for today and tomorrow; an active card only. Sent with
/// `Cache-Control: no-store`. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_card_code_seed", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = CodeSeedView),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.not_active`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/card/code-seed")]
pub async fn code_seed(state: web::Data<CardsState>, token: MemberToken) -> Result<HttpResponse, ApiError> {
    let seed = state.cards.seed(token.0.member).await?;
    // The secret must not sit in a shared cache.
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(CodeSeedView::from(&seed)))
}

/// The card's member code to show now.
///
/// For clients that do not derive codes themselves (the mini-program); an active card only. Sent with `Cache-Control:
/// no-store`. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_card_code", tag = "cards", security(("member_jwt" = [])),
    responses((status = 200, body = CodeView),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`card.not_active`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/card/code")]
pub async fn code(state: web::Data<CardsState>, token: MemberToken) -> Result<HttpResponse, ApiError> {
    let (code, ends) = state.cards.code(token.0.member).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(CodeView::new(&code, ends)))
}
