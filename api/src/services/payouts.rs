//! The union fund's side of service windows: budgets per kind, union and year; the payouts
//! approvals make, as a file for the bank (JSON or CSV, with its total) and for the auditor; marking
//! them paid, by staff or by the bank's signed call.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::kind_filter;
use super::{ServicesState, PROBLEM};
use crate::cards::bank::BankCaller;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::services::model::KindCode;
use domain::services::payouts::{
    bank_ref, Budget, Payout, PayoutFile, PayoutFilter, PayoutId, PayoutState, MAX_BUDGET,
};
use domain::services::ServiceError;
use domain::shared::money::Fen;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "illness-subsidy", "union_code": "SZ-SIP", "union_name": "苏州工业园区总工会", "year": 2026,
    "cap_fen": 50_000_000, "spent_fen": 1_200_000, "left_fen": 48_800_000}))]
pub struct BudgetView {
    pub kind: String,
    pub union_code: String,
    pub union_name: String,
    pub year: i32,
    pub cap_fen: i64,
    pub spent_fen: i64,
    pub left_fen: i64,
}

impl From<Budget> for BudgetView {
    fn from(b: Budget) -> Self {
        BudgetView {
            kind: b.kind.to_string(),
            union_code: b.union.to_string(),
            union_name: b.union_name.clone(),
            year: b.year,
            cap_fen: b.cap.get(),
            spent_fen: b.spent.get(),
            left_fen: b.left().get(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"kind": "illness-subsidy", "union_code": "SZ-SIP", "union_name": "苏州工业园区总工会", "year": 2026,
    "cap_fen": 50_000_000, "spent_fen": 1_200_000, "left_fen": 48_800_000}]}))]
pub struct BudgetList {
    pub items: Vec<BudgetView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cap_fen": 50_000_000}))]
pub struct BudgetBody {
    /// The most the kind may pay in the union and everything under it that has no budget of its own, that year:
    /// 0 to 10,000,000,000 fen, and not below what it has paid.
    pub cap_fen: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BudgetQuery {
    pub year: Option<i32>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStateDto {
    Due,
    Paid,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PayoutQuery {
    /// `due` (not paid yet) or `paid`; both without it.
    pub state: Option<PayoutStateDto>,
    /// The budget year (Beijing).
    pub year: Option<i32>,
    pub kind: Option<String>,
    /// `csv` for the file as CSV (also with `Accept: text/csv`).
    pub format: Option<String>,
}

/// A payout of the union fund.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77", "case_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11",
    "case_number": "FW2026-000042", "kind": "illness-subsidy", "budget_union": "SZ-SIP", "year": 2026,
    "member_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b00", "amount_fen": 300000, "funder": "union", "state": "due",
    "account_token": "acct_tok_7Hq2Lx9", "account_last4": "0018", "created_at": "2026-12-07T03:00:00Z",
    "paid_at": null, "paid_by": null, "bank_ref": null}))]
pub struct PayoutView {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub kind: String,
    /// The union whose budget it draws on.
    pub budget_union: String,
    pub year: i32,
    pub member_id: String,
    pub amount_fen: i64,
    /// Always `union`: the union fund pays.
    pub funder: &'static str,
    pub state: PayoutStateDto,
    /// The account behind the member's active card, where the bank pays it.
    pub account_token: Option<String>,
    pub account_last4: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// `bank`, or the member of staff who marked it paid.
    pub paid_by: Option<String>,
    pub bank_ref: Option<String>,
}

impl From<Payout> for PayoutView {
    fn from(p: Payout) -> Self {
        let (account_token, account_last4) = p.account.map_or((None, None), |(t, l)| (Some(t), Some(l)));
        PayoutView {
            id: p.id.to_string(),
            case_id: p.case.to_string(),
            case_number: p.number,
            kind: p.kind.to_string(),
            budget_union: p.budget.to_string(),
            year: p.year,
            member_id: p.member.to_string(),
            amount_fen: p.amount.get(),
            funder: "union",
            state: match p.state {
                PayoutState::Due => PayoutStateDto::Due,
                PayoutState::Paid => PayoutStateDto::Paid,
            },
            account_token,
            account_last4,
            created_at: p.created_at,
            paid_at: p.paid_at,
            paid_by: p.paid_by,
            bank_ref: p.bank_ref,
        }
    }
}

/// The payout file: its lines and their total.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77", "case_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11",
    "case_number": "FW2026-000042", "kind": "illness-subsidy", "budget_union": "SZ-SIP", "year": 2026,
    "member_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b00", "amount_fen": 300000, "funder": "union", "state": "due",
    "account_token": "acct_tok_7Hq2Lx9", "account_last4": "0018", "created_at": "2026-12-07T03:00:00Z",
    "paid_at": null, "paid_by": null, "bank_ref": null}], "count": 1, "total_fen": 300000}))]
pub struct PayoutFileView {
    pub items: Vec<PayoutView>,
    pub count: usize,
    pub total_fen: i64,
}

const CSV_HEADER: &str =
    "payout_id,case_number,kind,budget_union,year,member_id,amount_fen,funder,state,account_token,account_last4,created_at,paid_at,paid_by,bank_ref";

/// The file as CSV: a line per payout, then `TOTAL` with the count and the sum.
pub fn csv(file: &PayoutFile) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for p in &file.payouts {
        let (token, last4) = p.account.clone().unwrap_or_default();
        let line = [
            p.id.to_string(),
            p.number.clone(),
            p.kind.to_string(),
            p.budget.to_string(),
            p.year.to_string(),
            p.member.to_string(),
            p.amount.get().to_string(),
            "union".to_owned(),
            p.state.as_str().to_owned(),
            token,
            last4,
            p.created_at.to_rfc3339(),
            p.paid_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            p.paid_by.clone().unwrap_or_default(),
            p.bank_ref.clone().unwrap_or_default(),
        ];
        out.push_str(&domain::shared::spreadsheet::line(&line));
        out.push('\n');
    }
    out.push_str(&format!("TOTAL,{},,,,,{},,,,,,,,\n", file.payouts.len(), file.total.get()));
    out
}

fn filter(q: &PayoutQuery) -> Result<PayoutFilter, ApiError> {
    Ok(PayoutFilter {
        state: q.state.map(|s| match s {
            PayoutStateDto::Due => PayoutState::Due,
            PayoutStateDto::Paid => PayoutState::Paid,
        }),
        year: q.year,
        kind: kind_filter(q.kind.as_deref())?,
    })
}

fn answer(req: &HttpRequest, q: &PayoutQuery, file: PayoutFile) -> Result<HttpResponse, ApiError> {
    let wants_csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => {
            return Err(ServiceError::invalid("format", "format 须为 json 或 csv", "format is json or csv").into())
        }
        None => crate::imports::accepts(req, "text/csv"),
    };
    if wants_csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("content-disposition", "attachment; filename=\"service-payouts.csv\""))
            .body(csv(&file)));
    }
    let total_fen = file.total.get();
    let items: Vec<PayoutView> = file.payouts.into_iter().map(PayoutView::from).collect();
    Ok(HttpResponse::Ok().json(PayoutFileView { count: items.len(), items, total_fen }))
}

/// The budgets of service payouts.
///
/// Per kind, union and year: the cap, what was paid, what is left; those of unions in the caller's part of the tree.
/// `?year=`, `?kind=`. Changes nothing.
///
/// Who: admins, operators and auditors.
#[utoipa::path(operation_id = "admin_list_service_budgets", tag = "services", security(("admin_jwt" = [])), params(BudgetQuery),
    responses(
        (status = 200, body = BudgetList),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`kind` is not a kind's code", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-budgets")]
pub async fn budgets(
    state: web::Data<ServicesState>,
    staff: Staff,
    query: web::Query<BudgetQuery>,
) -> Result<web::Json<BudgetList>, ApiError> {
    let found = state.services.budgets(&staff.actor, query.year, kind_filter(query.kind.as_deref())?).await?;
    Ok(web::Json(BudgetList { items: found.into_iter().map(BudgetView::from).collect() }))
}

/// Sets a kind's budget for a union and a year.
///
/// A hard cap: an approval draws on the budget of the nearest union at or above the case's union that has one for
/// its kind and the year it is approved in (Beijing), under that budget's lock, so approvals at once never pass
/// it (409 `case.budget_exceeded`); with none, an approval that pays is 409 `case.no_budget`. The cap cannot go
/// below what was paid (409 `budget.below_spent`). Audit-logged (`service_budget.set`).
///
/// Who: admins and operators of the city federation.
#[utoipa::path(operation_id = "admin_set_service_budget", tag = "services", security(("admin_jwt" = [])), request_body = BudgetBody,
    params(("kind" = String, Path, example = "illness-subsidy"), ("union" = String, Path, example = "SZ-SIP"), ("year" = i32, Path, example = 2026)),
    responses(
        (status = 200, body = BudgetView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`service_kind.not_found`, `union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`budget.below_spent`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad `cap_fen` or year", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/service-budgets/{kind}/{union}/{year}")]
pub async fn set_budget(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<(String, String, String)>,
    body: web::Json<BudgetBody>,
) -> Result<web::Json<BudgetView>, ApiError> {
    let (kind, union, year) = path.into_inner();
    let kind = KindCode::parse(&kind).ok_or(ServiceError::KindNotFound)?;
    let union = crate::unions::code("union", &union)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ServiceError::invalid("year", "年份须为 2000–2100", "year is 2000-2100"))?;
    let cap = Fen::bounded(body.cap_fen, 0, MAX_BUDGET)
        .map_err(|e| ServiceError::invalid("cap_fen", "预算金额无效", e.to_string()))?;
    let budget = state.services.set_budget(&staff.actor, kind, union, year, cap).await?;
    Ok(web::Json(budget.into()))
}

/// The payouts of service cases: the file the bank pays by, and the auditor's (经审) export.
///
/// Every payout of an approved case in the caller's part of the tree, oldest first, with its case number, the budget
/// it drew on and the member's card account; `?state=due` for the bank's file, `?year=`, `?kind=`. JSON with
/// `count` and `total_fen`, or CSV (`?format=csv` or `Accept: text/csv`) ending in a `TOTAL` line. Changes
/// nothing.
///
/// Who: admins, operators and auditors.
#[utoipa::path(operation_id = "admin_service_payouts", tag = "services", security(("admin_jwt" = [])), params(PayoutQuery),
    responses(
        (status = 200, description = "The file", content(
            (PayoutFileView = "application/json"),
            (String = "text/csv", example = json!("payout_id,case_number,kind,budget_union,year,member_id,amount_fen,funder,state,account_token,account_last4,created_at,paid_at,paid_by,bank_ref\n0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77,FW2026-000042,illness-subsidy,SZ-SIP,2026,0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b00,300000,union,due,acct_tok_7Hq2Lx9,0018,2026-12-07T03:00:00+00:00,,,\nTOTAL,1,,,,,300000,,,,,,,,\n")))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad `format` or `kind`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-payouts")]
pub async fn payouts(
    req: HttpRequest,
    state: web::Data<ServicesState>,
    staff: Staff,
    query: web::Query<PayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let file = state.services.payouts(Some(&staff.actor), filter(&query)?).await?;
    answer(&req, &query, file)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bank_ref": "BOSZ-PAY-20261208-000017"}))]
pub struct PaymentBody {
    /// The bank's reference for the transfer, 1–64 visible ASCII characters (required of the bank; staff paying by
    /// other means may leave it out).
    #[serde(default)]
    pub bank_ref: Option<String>,
}

fn reference(body: &PaymentBody, required: bool) -> Result<Option<String>, ApiError> {
    match body.bank_ref.as_deref() {
        Some(raw) => Ok(Some(bank_ref(raw).ok_or_else(|| {
            ServiceError::invalid(
                "bank_ref",
                "银行流水号须为 1–64 个可见 ASCII 字符",
                "bank_ref is 1-64 visible ASCII characters",
            )
        })?)),
        None if required => Err(ServiceError::invalid("bank_ref", "缺少银行流水号", "bank_ref is required").into()),
        None => Ok(None),
    }
}

fn payout_id(raw: &str) -> Result<PayoutId, ApiError> {
    raw.parse().map_err(|_| ServiceError::PayoutNotFound.into())
}

/// Marks a payout paid, when it was paid other than through the bank's call.
///
/// Once: a payout paid already is 409 `payout.paid` (the same `bank_ref` again answers as the first time). Audit-logged
/// (`service_payout.paid`).
///
/// Who: admins and operators, within their part of the tree.
#[utoipa::path(operation_id = "admin_pay_service_payout", tag = "services", security(("admin_jwt" = [])), request_body = PaymentBody,
    params(("id" = String, Path, description = "The payout's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77")),
    responses(
        (status = 200, body = PayoutView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`payout.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`payout.paid`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad `bank_ref`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/service-payouts/{id}/payment")]
pub async fn staff_pays(
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<PaymentBody>,
) -> Result<web::Json<PayoutView>, ApiError> {
    let id = payout_id(&path)?;
    let reference = reference(&body, false)?;
    Ok(web::Json(state.services.pay(Some(&staff.actor), id, reference).await?.into()))
}

/// The union fund's payouts for the bank to pay.
///
/// As the staff's file (`?state=due` for what is still to pay), over the whole federation. Changes nothing.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_service_payouts", tag = "bank", security(("partner_signature" = [])), params(PayoutQuery),
    responses(
        (status = 200, description = "The file", content(
            (PayoutFileView = "application/json"),
            (String = "text/csv", example = json!("payout_id,case_number,kind,budget_union,year,member_id,amount_fen,funder,state,account_token,account_last4,created_at,paid_at,paid_by,bank_ref\nTOTAL,0,,,,,0,,,,,,,,\n")))),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/bank/service-payouts")]
pub async fn bank_payouts(
    req: HttpRequest,
    _bank: BankCaller,
    state: web::Data<ServicesState>,
    query: web::Query<PayoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let file = state.services.payouts(None, filter(&query)?).await?;
    answer(&req, &query, file)
}

/// The bank tells a payout was paid, with its transfer's reference.
///
/// Once: a retry with the same `bank_ref` answers as the first; another reference for a paid payout is 409
/// `payout.paid`.
///
/// Who: the bank, signing with its registered key.
#[utoipa::path(operation_id = "bank_pay_service_payout", tag = "bank", security(("partner_signature" = [])), request_body = PaymentBody,
    params(("id" = String, Path, description = "The payout's id", example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77")),
    responses(
        (status = 200, body = PayoutView),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`payout.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`payout.paid`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A missing or bad `bank_ref`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/bank/service-payouts/{id}/payment")]
pub async fn bank_pays(
    _bank: BankCaller,
    state: web::Data<ServicesState>,
    path: web::Path<String>,
    body: web::Json<PaymentBody>,
) -> Result<web::Json<PayoutView>, ApiError> {
    let id = payout_id(&path)?;
    let reference = reference(&body, true)?;
    Ok(web::Json(state.services.pay(None, id, reference).await?.into()))
}
