//! `/console/unions/{code}/report`: a part of the tree month by month — joining, transfers in and
//! out, leaving, and decisions in and past their time limit — drawn, with the figures and the
//! auditor's CSV. The API's report, for the same months.

use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::page::{self, ConsoleError};
use super::session::Operator;
use crate::membership::report::{self, ReportQuery};
use crate::membership::MembershipState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Months {
    from: Option<String>,
    to: Option<String>,
}

impl Months {
    fn query(&self) -> ReportQuery {
        let month = |m: &Option<String>| m.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned);
        ReportQuery { from: month(&self.from), to: month(&self.to) }
    }

    fn suffix(&self) -> String {
        let q = self.query();
        [("from", q.from), ("to", q.to)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// `GET /console/unions/{code}/report?from=&to=`.
pub async fn page(
    op: Operator,
    state: web::Data<MembershipState>,
    code: web::Path<String>,
    months: web::Query<Months>,
) -> Result<HttpResponse, ConsoleError> {
    let r = load(&op, &state, &code, &months).await?;
    let x: Vec<&str> = r.months.iter().map(|m| m.month.as_str()).collect();
    let moves = json!({"kind": "bar", "x": x, "series": [
        {"name": op.t("入会", "Joins"), "data": r.months.iter().map(|m| m.joins).collect::<Vec<_>>()},
        {"name": op.t("转入", "Transfers in"), "data": r.months.iter().map(|m| m.transfers_in).collect::<Vec<_>>()},
        {"name": op.t("转出", "Transfers out"), "data": r.months.iter().map(|m| m.transfers_out).collect::<Vec<_>>()},
        {"name": op.t("退会", "Leaving"), "data": r.months.iter().map(|m| m.leaves).collect::<Vec<_>>()},
    ]});
    let decisions = json!({"kind": "bar", "x": x, "series": [
        {"name": op.t("按时办结", "Decided in time"), "data": r.months.iter().map(|m| m.decided_in_time).collect::<Vec<_>>()},
        {"name": op.t("超时办结", "Decided late"), "data": r.months.iter().map(|m| m.decided_late).collect::<Vec<_>>()},
    ]});
    let csv = format!("/console/unions/{code}/report.csv?{}", months.suffix());
    let body = html! {
        form.inline method="get" action=(format!("/console/unions/{code}/report")) {
            label { (op.t("起始月份", "From")) input type="month" name="from" value=(r.from); }
            label { (op.t("截止月份", "To")) input type="month" name="to" value=(r.to); }
            button.secondary type="submit" { (op.t("查看", "Show")) }
            a.button.secondary href=(csv) download { (op.t("下载 CSV", "Download CSV")) }
        }
        div.grid data-testid="union-figures" {
            div.figure { div.label { (op.t("在册会员", "Members")) } div.value data-figure="members" { (r.members) } }
            div.figure { div.label { (op.t("已激活", "Activated")) } div.value data-figure="activated" { (r.activated) } }
            div.figure { div.label { (op.t("期间入会", "Joined")) } div.value data-figure="joins" { (r.months.iter().map(|m| m.joins).sum::<u64>()) } }
            div.figure { div.label { (op.t("期间超时办结", "Decided late")) } div.value { (r.months.iter().map(|m| m.decided_late).sum::<u64>()) } }
        }
        div.charts {
            figure.chart-box {
                figcaption { (op.t("每月入会、接转与退会", "Joining, transfers and leaving, month by month")) }
                div.chart role="img" aria-label=(op.t("每月入会、接转与退会", "Joining, transfers and leaving")) data-chart=(moves.to_string()) {}
            }
            figure.chart-box {
                figcaption { (op.t("每月办结：按时与超时", "Decisions, in time and late, month by month")) }
                div.chart role="img" aria-label=(op.t("每月办结", "Decisions")) data-chart=(decisions.to_string()) {}
            }
        }
        div.table-wrap { table data-testid="union-months" {
            thead { tr {
                th { (op.t("月份", "Month")) } th.num { (op.t("入会", "Joins")) } th.num { (op.t("转入", "In")) } th.num { (op.t("转出", "Out")) }
                th.num { (op.t("退会", "Left")) } th.num { (op.t("激活", "Activated")) } th.num { (op.t("办结", "Decided")) }
                th.num { (op.t("超时", "Late")) } th.num { (op.t("办理时长中位数（小时）", "Median time to decide (hours)")) }
            } }
            tbody { @for m in &r.months {
                tr { td { (m.month) } td.num { (m.joins) } td.num { (m.transfers_in) } td.num { (m.transfers_out) } td.num { (m.leaves) }
                    td.num { (m.activations) } td.num { (m.decisions) } td.num { (m.decided_late) }
                    td.num { (m.median_seconds_to_decide.map(|s| format!("{:.1}", s as f64 / 3600.0)).unwrap_or_default()) } }
            } }
        } }
    };
    let title = format!("{code}{}", op.t(" · 会员报表", " · membership report"));
    Ok(page::screen(&op, "/console/unions", &title, body))
}

/// `GET /console/unions/{code}/report.csv`: the auditor's file, as the API's.
pub async fn csv(
    op: Operator,
    state: web::Data<MembershipState>,
    code: web::Path<String>,
    months: web::Query<Months>,
) -> Result<HttpResponse, ConsoleError> {
    Ok(report::csv_download(&load(&op, &state, &code, &months).await?))
}

async fn load(
    op: &Operator,
    state: &MembershipState,
    code: &str,
    months: &Months,
) -> Result<report::UnionReport, ConsoleError> {
    op.admit(&Method::GET, &format!("/v1/admin/unions/{code}/report"))?;
    report::load(state, &op.staff, code, &months.query()).await.map_err(ConsoleError::of(op.lang))
}
