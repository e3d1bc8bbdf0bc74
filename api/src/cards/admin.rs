//! `/v1/admin/cards/…`: the city federation's staff follow the 会员服务卡 — the applications the
//! bank has not issued yet, every card's status changes, and the day's rebate payout file the bank
//! is paid by — read-only: the card's life is the member's and the bank's to change.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::{ApplicationPage, ApplicationView, ApplicationsQuery};
use super::errors::invalid;
use super::feed_dto::{rebate_csv, RebateFileView, RebatesQuery};
use super::CardsState;
use crate::admin::audit::paging_error;
use crate::admin::dto::PageQuery;
use crate::campaigns::dto::beijing;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::cards::model::CardChange;
use domain::cards::CardId;
use domain::shared::paging::{IdCursor, Limit};
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

/// Card applications waiting for the bank.
///
/// Members' applications for a 会员服务卡 the bank has not issued yet, oldest first, a page at a time: what the bank
/// reads from `GET /v1/bank/card-applications`. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_card_applications", tag = "cards", security(("admin_jwt" = [])), params(ApplicationsQuery),
    responses((status = 200, body = ApplicationPage), (status = 400, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/admin/cards/applications")]
pub async fn applications(
    _staff: Staff,
    state: web::Data<CardsState>,
    query: web::Query<ApplicationsQuery>,
) -> Result<web::Json<ApplicationPage>, ApiError> {
    Ok(web::Json(waiting(&state, query.limit, query.cursor.as_deref()).await?))
}

pub(crate) async fn waiting(
    state: &CardsState,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<ApplicationPage, ApiError> {
    let limit = Limit::parse(limit).map_err(paging_error)?;
    let after = cursor.map(IdCursor::decode).transpose().map_err(paging_error)?;
    let (cards, more) = state.cards.applications(after.map(|c| CardId(c.0)), limit.get()).await?;
    let next_cursor = more.then(|| cards.last().map(|c| IdCursor(c.id.0).encode())).flatten();
    Ok(ApplicationPage {
        items: cards.iter().map(|c| ApplicationView { card_id: c.id.0, applied_at: beijing(c.created_at) }).collect(),
        next_cursor,
    })
}

/// One step of a card's life.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"card_id": "0193a2c6-0000-7000-8000-0000000000c1", "card_last4": "0018", "event": "reported_lost",
    "from": "active", "to": "lost", "at": "2026-12-03T21:14:00+08:00"}))]
pub struct CardChangeView {
    pub card_id: uuid::Uuid,
    /// The card number's last four digits; `null` before the bank issued it.
    pub card_last4: Option<String>,
    /// What happened: `applied` (by the member), `issued`, `activated`, `replaced`, `cancelled` (by the bank),
    /// `frozen`, `unfrozen`, `reported_lost` (by the member).
    pub event: &'static str,
    /// `null` for the application, a card's first step.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<&CardChange> for CardChangeView {
    fn from(c: &CardChange) -> Self {
        Self {
            card_id: c.entry.card.0,
            card_last4: c.last4.clone(),
            event: c.entry.event.as_str(),
            from: c.entry.from.map(|s| s.as_str()),
            to: c.entry.to.as_str(),
            at: beijing(c.entry.at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct CardChangePage {
    pub items: Vec<CardChangeView>,
    pub next_cursor: Option<String>,
}

/// Every card's status changes.
///
/// Each step of every card's life — applied, issued, activated, frozen and unfrozen, reported lost, replaced,
/// cancelled — by the member or the bank, newest first, a page at a time. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_card_changes", tag = "cards", security(("admin_jwt" = [])), params(PageQuery),
    responses((status = 200, body = CardChangePage), (status = 400, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/admin/cards/changes")]
pub async fn changes(
    _staff: Staff,
    state: web::Data<CardsState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<CardChangePage>, ApiError> {
    Ok(web::Json(changes_page(&state, query.limit, query.cursor.as_deref()).await?))
}

pub(crate) async fn changes_page(
    state: &CardsState,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<CardChangePage, ApiError> {
    let page = PageRequest::parse(limit, cursor).map_err(paging_error)?;
    let found = state.cards.changes(page).await?;
    Ok(CardChangePage {
        items: found.items.iter().map(CardChangeView::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    })
}

/// A day's rebate payout file, as the bank gets it.
///
/// The same file as `GET /v1/bank/rebates`: every rebate recorded that Beijing day (clawbacks as negative lines),
/// totals per funder, and the transactions at merchant ids we do not know; `?format=csv` for a spreadsheet. Today or
/// a later day is 409 `day.not_closed`. Reading it closes the day as the bank's first read does, so the file the
/// bank gets is the one staff read. Changes nothing else.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_rebate_file", tag = "cards", security(("admin_jwt" = [])), params(RebatesQuery),
    responses((status = 200, description = "The file as JSON, or as CSV with `format=csv`", content(
            (RebateFileView = "application/json"),
            (String = "text/csv", example = json!("section,transaction_id,bank_merchant_id,merchant_name,offer_title,card_last4,account_token,spent_fen,rebate_fen,funder,occurred_at,refund_id\nrebate,BOSZ-TX-20261203-000001,BOSZ-M-000101,松鹤楼,持卡满100减30,0018,acct_tok_7Hq2Lx9,12800,3000,merchant,2026-12-03T12:30:00+08:00,\n")))),
        (status = 409, description = "`day.not_closed`: the day is not over yet", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/admin/cards/payouts")]
pub async fn payout_file(
    _staff: Staff,
    state: web::Data<CardsState>,
    query: web::Query<RebatesQuery>,
) -> Result<HttpResponse, ApiError> {
    payout_answer(&state, &query).await
}

/// The payout file as the bank and staff ask for it: JSON, or CSV with `format=csv`.
pub(crate) async fn payout_answer(state: &CardsState, query: &RebatesQuery) -> Result<HttpResponse, ApiError> {
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(invalid("format", "must be json or csv")),
    };
    let file = state.cards.rebate_file(query.date).await?;
    if csv {
        return Ok(csv_download(&file));
    }
    Ok(HttpResponse::Ok().json(RebateFileView::from(&file)))
}

/// The payout file as the CSV download the API and the console serve.
pub(crate) fn csv_download(file: &domain::cards::rebate::RebateFile) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"rebates-{}.csv\"", file.day)))
        .body(rebate_csv(file))
}
