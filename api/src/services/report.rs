//! The report on service cases per union and kind (CSV and JSON).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ServicesState, PROBLEM};
use crate::error::ApiError;
use crate::extract::Staff;
use domain::membership::report::Month;
use domain::services::report::Line;
use domain::services::ServiceError;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceReportQuery {
    /// The first month, `YYYY-MM` (Beijing); default eleven months before `to`.
    #[param(example = "2026-01")]
    pub from: Option<String>,
    /// The last month; default this month.
    #[param(example = "2026-12")]
    pub to: Option<String>,
    /// `csv` for the report as CSV (also with `Accept: text/csv`).
    pub format: Option<String>,
}

/// One kind's figures, or all kinds' (`kind` null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "illness-subsidy", "kind_name": "大病补助", "received": 42, "resolved": 40, "resolved_in_time": 37,
    "resolved_late": 3, "withdrawn": 1, "open": 3, "overdue": 0, "median_seconds_to_resolve": 604800, "scored": 31,
    "mean_score": 4.52, "low_scores": 1, "paid_fen": 9600000}))]
pub struct ServiceReportLine {
    pub kind: Option<String>,
    pub kind_name: String,
    /// Submitted in the months.
    pub received: u64,
    /// Answered, approved or refused in the months.
    pub resolved: u64,
    pub resolved_in_time: u64,
    pub resolved_late: u64,
    pub withdrawn: u64,
    /// Waiting at the end of the months (or now), and of those past their limit.
    pub open: u64,
    pub overdue: u64,
    /// Median time from submission to the answer or decision, of those resolved in the months.
    pub median_seconds_to_resolve: Option<i64>,
    /// Follow-up scores given for cases resolved in the months, their mean, and how many were 2 or less.
    pub scored: u64,
    pub mean_score: Option<f64>,
    pub low_scores: u64,
    /// Paid out of the union fund for cases resolved in the months.
    pub paid_fen: i64,
}

impl From<Line> for ServiceReportLine {
    fn from(l: Line) -> Self {
        ServiceReportLine {
            kind: l.kind.map(|k| k.to_string()),
            kind_name: l.kind_name,
            received: l.received,
            resolved: l.resolved,
            resolved_in_time: l.resolved_in_time,
            resolved_late: l.resolved_late,
            withdrawn: l.withdrawn,
            open: l.open,
            overdue: l.overdue,
            median_seconds_to_resolve: l.median_seconds_to_resolve,
            scored: l.scored,
            mean_score: l.mean_score,
            low_scores: l.low_scores,
            paid_fen: l.paid.get(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"union_code": "SZ-SIP", "from": "2026-01", "to": "2026-12", "lines": [
    {"kind": "legal-aid", "kind_name": "法律援助", "received": 120, "resolved": 118, "resolved_in_time": 117, "resolved_late": 1,
     "withdrawn": 0, "open": 2, "overdue": 0, "median_seconds_to_resolve": 259200, "scored": 90, "mean_score": 4.71, "low_scores": 2, "paid_fen": 0},
    {"kind": null, "kind_name": "合计", "received": 120, "resolved": 118, "resolved_in_time": 117, "resolved_late": 1,
     "withdrawn": 0, "open": 2, "overdue": 0, "median_seconds_to_resolve": 259200, "scored": 90, "mean_score": 4.71, "low_scores": 2, "paid_fen": 0}]}))]
pub struct ServiceReport {
    pub union_code: String,
    pub from: String,
    pub to: String,
    /// Per kind, then `合计`, all kinds.
    pub lines: Vec<ServiceReportLine>,
}

fn month(field: &'static str, raw: Option<&str>) -> Result<Option<Month>, ApiError> {
    raw.map(|r| {
        Month::parse(r).ok_or_else(|| ServiceError::invalid(field, "月份须为 YYYY-MM", "a month is YYYY-MM").into())
    })
    .transpose()
}

const CSV_HEADER: [&str; 14] = [
    "kind",
    "kind_name",
    "received",
    "resolved",
    "resolved_in_time",
    "resolved_late",
    "withdrawn",
    "open",
    "overdue",
    "median_seconds_to_resolve",
    "scored",
    "mean_score",
    "low_scores",
    "paid_fen",
];

fn csv(report: &ServiceReport) -> String {
    use domain::shared::spreadsheet::line;
    let mut out = format!("\u{feff}{}\r\n", line(&CSV_HEADER));
    for l in &report.lines {
        let cells = [
            l.kind.clone().unwrap_or_else(|| "ALL".to_owned()),
            l.kind_name.clone(),
            l.received.to_string(),
            l.resolved.to_string(),
            l.resolved_in_time.to_string(),
            l.resolved_late.to_string(),
            l.withdrawn.to_string(),
            l.open.to_string(),
            l.overdue.to_string(),
            l.median_seconds_to_resolve.map(|s| s.to_string()).unwrap_or_default(),
            l.scored.to_string(),
            l.mean_score.map(|s| format!("{s:.2}")).unwrap_or_default(),
            l.low_scores.to_string(),
            l.paid_fen.to_string(),
        ];
        out.push_str(&line(&cells));
        out.push_str("\r\n");
    }
    out
}

/// The service windows' report on a union and everything under it.
///
/// Per kind of case and for all: cases received, answered or decided (in time and late), withdrawn, still open and
/// overdue, the median time to an answer or decision, the follow-up scores (how many, their mean, how many of 2 or
/// less) and what the union fund paid — over `[from, to]`, Beijing months, at most 36. JSON, or CSV (`?format=csv` or
/// `Accept: text/csv`). Counted from the cases, so it can be recomputed at any time. Changes nothing.
///
/// Who: admins, operators and auditors, within their part of the tree (404 outside).
#[utoipa::path(operation_id = "admin_service_report", tag = "services", security(("admin_jwt" = [])), params(ServiceReportQuery,
        ("union" = String, Path, description = "The union's code", example = "SZ-SIP")),
    responses(
        (status = 200, description = "The report", content(
            (ServiceReport = "application/json"),
            (String = "text/csv", example = json!("\u{feff}kind,kind_name,received,resolved,resolved_in_time,resolved_late,withdrawn,open,overdue,median_seconds_to_resolve,scored,mean_score,low_scores,paid_fen\r\nlegal-aid,法律援助,120,118,117,1,0,2,0,259200,90,4.71,2,0\r\nALL,合计,120,118,117,1,0,2,0,259200,90,4.71,2,0\r\n")))),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union.not_found`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A bad month, more than 36 months, or `from` after `to`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/service-reports/{union}")]
pub async fn service_report(
    req: HttpRequest,
    state: web::Data<ServicesState>,
    staff: Staff,
    path: web::Path<String>,
    query: web::Query<ServiceReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let union = crate::unions::code("union", &path)?;
    let now = state.services.clock.now();
    let to = month("to", query.to.as_deref())?.unwrap_or_else(|| Month::of(now));
    let from = month("from", query.from.as_deref())?.unwrap_or_else(|| {
        let months = to.year * 12 + to.month as i32 - 1 - 11;
        Month { year: months / 12, month: (months % 12) as u32 + 1 }
    });
    let lines = state.services.report(&staff.actor, union.clone(), from, to).await?;
    let made = ServiceReport {
        union_code: union.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        lines: lines.into_iter().map(ServiceReportLine::from).collect(),
    };
    let wants_csv = match query.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => {
            return Err(ServiceError::invalid("format", "format 须为 json 或 csv", "format is json or csv").into())
        }
        None => crate::imports::accepts(&req, "text/csv"),
    };
    if wants_csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("content-disposition", format!("attachment; filename=\"service-report-{union}.csv\"")))
            .body(csv(&made)));
    }
    Ok(HttpResponse::Ok().json(made))
}
