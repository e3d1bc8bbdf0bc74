//! `GET /v1/admin/ledger/audit`: the auditor's proof over HTTP (`sgh audit-ledger` is the same).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AdminState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::admin::ledger::{Books, Finding, LedgerAudit};

/// One difference between a figure and the rows it is made of.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"book": "campaign", "subject": "0193a2c4-0000-7000-8000-000000000001",
    "check": "a voided voucher has one void row returning its cost, any other none",
    "row": "0193a2c4-0000-7000-8000-0000000000a1", "expected_fen": -8800, "found_fen": -17600}))]
pub struct FindingView {
    /// `campaign`, `merchant` or `payout`.
    pub book: &'static str,
    /// The campaign, merchant or payout day (Beijing date) the finding is in.
    pub subject: String,
    /// What must hold and does not.
    pub check: String,
    /// The voucher, sale or bank transaction it does not hold for.
    pub row: String,
    pub expected_fen: i64,
    pub found_fen: i64,
}

/// A pass over every book.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"clean": true, "rows_checked": 128400, "findings": []}))]
pub struct LedgerAuditView {
    /// No findings.
    pub clean: bool,
    /// Vouchers, sales and bank transactions read.
    pub rows_checked: u64,
    pub findings: Vec<FindingView>,
}

impl From<LedgerAudit> for LedgerAuditView {
    fn from(a: LedgerAudit) -> Self {
        Self {
            clean: a.is_clean(),
            rows_checked: a.rows_checked,
            findings: a.findings.into_iter().map(FindingView::from).collect(),
        }
    }
}

impl From<Finding> for FindingView {
    fn from(f: Finding) -> Self {
        Self {
            book: f.book.as_str(),
            subject: f.subject,
            check: f.check,
            row: f.row,
            expected_fen: f.expected_fen,
            found_fen: f.found_fen,
        }
    }
}

/// Checks the books.
///
/// Recomputes every campaign's spent from its vouchers, every discounted sale's split that the
/// settlements and statements sum, and every rebate the payout files pay against the bank's
/// transactions, in one snapshot, and names each difference to the fen. `clean` is the answer an
/// auditor signs; a finding is a bug or a hand-edited row to look at. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
/// Only the city federation's staff: below it, 403 `auth.federation_only`.
#[utoipa::path(operation_id = "admin_audit_ledger", tag = "admin", security(("admin_jwt" = [])), responses(
    (status = 200, body = LedgerAuditView),
    (status = 503, body = crate::openapi::Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/ledger/audit")]
pub async fn audit_ledger(state: web::Data<AdminState>, _staff: Staff) -> Result<web::Json<LedgerAuditView>, ApiError> {
    let found = state.books.audit().await.map_err(|e| ApiError::internal(&e))?;
    Ok(web::Json(found.into()))
}
