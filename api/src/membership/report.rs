//! The report on a part of the tree: members now, and joins, transfers, leaving, activations and
//! decisions by month — JSON, or CSV for the auditor.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::MembershipState;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::imports::accepts;
use domain::campaigns::window::SHANGHAI;
use domain::membership::report::{Month, MonthFigures, Report};

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first month, `YYYY-MM` (Beijing time); default: eleven months before `to`.
    #[param(example = "2026-01")]
    pub from: Option<String>,
    /// The last month, `YYYY-MM`; default: this month. At most 36 months in all.
    #[param(example = "2026-12")]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnionReportMonth {
    /// `YYYY-MM`, Beijing time.
    pub month: String,
    /// Joins approved to its unions.
    pub joins: u64,
    /// Transfers approved into it from outside it.
    pub transfers_in: u64,
    /// Transfers approved out of it to unions outside it.
    pub transfers_out: u64,
    pub leaves: u64,
    /// Members active in it now whose real name was bound (so who were activated) that month.
    pub activations: u64,
    /// Applications to its unions approved or refused that month.
    pub decisions: u64,
    pub decided_in_time: u64,
    /// Decided after their first time limit ran out.
    pub decided_late: u64,
    /// The median time from submission to decision; `null` without decisions.
    pub median_seconds_to_decide: Option<i64>,
}

impl UnionReportMonth {
    fn new(month: Month, f: &MonthFigures) -> Self {
        Self {
            month: month.to_string(),
            joins: f.joins,
            transfers_in: f.transfers_in,
            transfers_out: f.transfers_out,
            leaves: f.leaves,
            activations: f.activations,
            decisions: f.decisions,
            decided_in_time: f.decided_in_time,
            decided_late: f.decided_late,
            median_seconds_to_decide: f.median_seconds_to_decide,
        }
    }

    fn cells(&self) -> [String; 10] {
        [
            self.month.clone(),
            self.joins.to_string(),
            self.transfers_in.to_string(),
            self.transfers_out.to_string(),
            self.leaves.to_string(),
            self.activations.to_string(),
            self.decisions.to_string(),
            self.decided_in_time.to_string(),
            self.decided_late.to_string(),
            self.median_seconds_to_decide.map(|s| s.to_string()).unwrap_or_default(),
        ]
    }
}

const CSV_HEADER: [&str; 10] = [
    "月份 month",
    "入会 joins",
    "转入 transfers_in",
    "转出 transfers_out",
    "退会 leaves",
    "激活 activations",
    "办结 decisions",
    "按时 decided_in_time",
    "超时 decided_late",
    "办理时长中位数(秒) median_seconds_to_decide",
];

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"union_code": "SZ-SIP-WT", "from": "2026-10", "to": "2026-10", "members": 48210,
    "activated": 39877, "months": [{"month": "2026-10", "joins": 120, "transfers_in": 31, "transfers_out": 12,
    "leaves": 9, "activations": 403, "decisions": 170, "decided_in_time": 161, "decided_late": 9,
    "median_seconds_to_decide": 97200}]}))]
pub struct UnionReport {
    pub union_code: String,
    pub from: String,
    pub to: String,
    /// Active roster rows in its subtree now.
    pub members: u64,
    /// Of those, the ones matched to an account (activated) now.
    pub activated: u64,
    pub months: Vec<UnionReportMonth>,
}

fn month(field: &'static str, raw: &str) -> Result<Month, ApiError> {
    Month::parse(raw).ok_or_else(|| ApiError::validation(field, "月份须为 YYYY-MM", format!("{field} must be YYYY-MM")))
}

/// The report on a union and everything under it.
///
/// Members active now and how many of them are activated; by month (Beijing time): joins, transfers in from and out to
/// other parts of the tree, leaving, activations, decisions inside and past their time limits, and the median time to
/// decide. Counted from the applications themselves, so it can be recomputed at any time. `Accept: text/csv` answers
/// the months as a CSV file for the auditor (经审). Outside the caller's part of the tree the union is 404. Changes
/// nothing.
///
/// Who: staff with role admin, operator or auditor.
#[utoipa::path(operation_id = "admin_union_report", tag = "membership", security(("admin_jwt" = [])),
    params(("code" = String, Path, description = "The union's code", example = "SZ-SIP-WT"), ReportQuery),
    responses(
        (status = 200, description = "The report; with `Accept: text/csv`, its months as CSV",
            content((UnionReport = "application/json"), (String = "text/csv",
                example = json!("\u{feff}月份 month,入会 joins,转入 transfers_in,转出 transfers_out,退会 leaves,激活 activations,办结 decisions,按时 decided_in_time,超时 decided_late,办理时长中位数(秒) median_seconds_to_decide\r\n2026-10,120,31,12,9,403,170,161,9,97200\r\n")))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad month, or more than 36 months", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/unions/{code}/report")]
pub async fn union_report(
    req: HttpRequest,
    state: web::Data<MembershipState>,
    staff: Staff,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = load(&state, &staff, &path, &query).await?;
    if accepts(&req, "text/csv") {
        return Ok(csv_download(&report));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The report as the API answers it, for the console too.
pub(crate) async fn load(
    state: &MembershipState,
    staff: &Staff,
    code: &str,
    query: &ReportQuery,
) -> Result<UnionReport, ApiError> {
    let union = crate::unions::code("code", code)?;
    let today = state.membership.clock.now().with_timezone(&SHANGHAI);
    let to = match query.to.as_deref() {
        Some(raw) => month("to", raw)?,
        None => Month { year: today.year(), month: today.month() },
    };
    let from = match query.from.as_deref() {
        Some(raw) => month("from", raw)?,
        None if to.month == 12 => Month { year: to.year, month: 1 },
        None => Month { year: to.year - 1, month: to.month + 1 },
    };
    let report: Report = state.membership.report(&staff.actor, union.clone(), from, to).await?;
    let months: Vec<UnionReportMonth> = report.months.iter().map(|(m, f)| UnionReportMonth::new(*m, f)).collect();
    Ok(UnionReport {
        union_code: union.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        members: report.members,
        activated: report.activated,
        months,
    })
}

/// The report's months as the auditor's CSV download.
pub(crate) fn csv_download(r: &UnionReport) -> HttpResponse {
    use domain::shared::spreadsheet::line;
    let mut body = String::from("\u{feff}");
    body.push_str(&line(&CSV_HEADER));
    body.push_str("\r\n");
    for m in &r.months {
        body.push_str(&line(&m.cells()));
        body.push_str("\r\n");
    }
    let name = format!("attachment; filename=\"report-{}-{}-{}.csv\"", r.union_code, r.from, r.to);
    HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header(("content-disposition", name)).body(body)
}
