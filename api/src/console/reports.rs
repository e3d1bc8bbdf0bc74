//! `/console/reports`: what auditors (经审) and managers read — each campaign's report drawn as
//! pictures (claims over time during the opening, claimed by union, spend by funder, the budget's
//! burn) beside its figures, the report as a CSV download, and the check of the books. The figures
//! are the API's report, which refuses to answer when its breakdowns disagree with the ledger.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde_json::json;

use super::campaigns::{campaign_id, funder_name};
use super::page::{self, yuan, ConsoleError};
use super::session::Operator;
use crate::admin::ledger::LedgerAuditView;
use crate::admin::AdminState;
use crate::campaigns::dto::{CampaignView, GiftView};
use crate::campaigns::report::{self, ReportView};
use crate::campaigns::CampaignsState;
use crate::error::ApiError;
use domain::admin::ledger::Books;

const SECTION: &str = "/console/reports";

/// How many unions the "claimed by union" chart names; the rest are one bar.
const UNIONS_DRAWN: usize = 15;

/// `GET /console/reports`: the campaigns whose reports the operator may read, and the books check.
pub async fn index(op: Operator, state: web::Data<CampaignsState>) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/campaigns")?;
    let all = state.campaigns.list_all(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let views: Vec<CampaignView> = all
        .iter()
        .map(|(c, gifts)| CampaignView::new(c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), op.now))
        .filter(|c| c.status != "draft")
        .collect();
    let body = html! {
        @if op.may(&Method::GET, "/v1/admin/ledger/audit") {
            div.card {
                p { (op.t("核对账目：由凭证、销售和银行交易逐笔重算每个活动、商户和付款日的金额，列出每一处差异。",
                    "Check the books: every campaign's, merchant's and payout day's figures recomputed from the vouchers, sales and bank transactions, each difference named.")) }
                a.button.secondary href=(format!("{SECTION}/books")) { (op.t("核对账目", "Check the books")) }
            }
        }
        h2 { (op.t("活动报表", "Campaign reports")) }
        @if views.is_empty() {
            p.card { (op.t("还没有已发布的活动。", "No published campaigns yet.")) }
        } @else {
            div.table-wrap { table data-testid="reports" {
                thead { tr {
                    th { (op.t("活动", "Campaign")) } th { (op.t("时间（北京）", "Window (Beijing)")) }
                    th.num { (op.t("预算", "Budget")) } th { (op.t("报表", "Report")) }
                } }
                tbody { @for c in &views {
                    tr {
                        td { (c.title) }
                        td { (c.starts_at.format("%Y-%m-%d %H:%M")) " – " (c.ends_at.format("%Y-%m-%d %H:%M")) }
                        td.num { (yuan(c.budget_fen)) }
                        td {
                            a href=(format!("/console/campaigns/{}/report", c.id)) { (op.t("查看图表", "Charts")) }
                            " · "
                            a href=(format!("/console/campaigns/{}/report.csv", c.id)) download { "CSV" }
                        }
                    }
                } }
            } }
        }
    };
    Ok(page::screen(&op, SECTION, op.t("报表", "Reports"), body))
}

fn chart(label: &str, spec: serde_json::Value) -> Markup {
    html! {
        figure.chart-box {
            figcaption { (label) }
            div.chart role="img" aria-label=(label) data-chart=(spec.to_string()) {}
        }
    }
}

/// Fen as yuan, for a chart's numbers.
fn yuan_number(fen: i64) -> f64 {
    // Display only: every figure shown as text is exact fen.
    fen as f64 / 100.0
}

fn charts(op: &Operator, r: &ReportView) -> Markup {
    let over_time = json!({
        "kind": "bar",
        "x": r.timeline.points.iter().map(|p| p.at.format(if r.timeline.bucket_minutes >= 1440 { "%m-%d" } else { "%m-%d %H:%M" }).to_string()).collect::<Vec<_>>(),
        "series": [{"name": op.t("领取", "Claims"), "data": r.timeline.points.iter().map(|p| p.claimed).collect::<Vec<_>>()}],
    });
    let mut unions: Vec<_> = r.unions.iter().collect();
    unions
        .sort_by(|a, b| b.counts.claimed.cmp(&a.counts.claimed).then_with(|| a.union_org_code.cmp(&b.union_org_code)));
    let others: u64 = unions.iter().skip(UNIONS_DRAWN).map(|u| u.counts.claimed).sum();
    let mut names: Vec<String> = unions
        .iter()
        .take(UNIONS_DRAWN)
        .map(|u| {
            if u.union_org_name.is_empty() {
                op.t("（未在名册）", "(not on the roster)").to_owned()
            } else {
                u.union_org_name.clone()
            }
        })
        .collect();
    let mut counts: Vec<u64> = unions.iter().take(UNIONS_DRAWN).map(|u| u.counts.claimed).collect();
    if others > 0 {
        names.push(op.t("其他工会", "Other unions").to_owned());
        counts.push(others);
    }
    let by_union = json!({"kind": "bar", "x": names, "series": [{"name": op.t("领取", "Claims"), "data": counts}]});
    let by_funder = json!({"kind": "pie", "series": [{"name": op.t("出资", "Spend"), "data": r.funders.iter()
        .map(|f| json!({"name": funder_name(op, &f.funder), "value": yuan_number(f.spent_fen)})).collect::<Vec<_>>()}]});
    let mut burn: Vec<serde_json::Value> =
        r.gifts.iter().map(|g| json!({"name": g.name, "value": yuan_number(g.spent_fen)})).collect();
    burn.push(json!({"name": op.t("预算余额", "Budget left"), "value": yuan_number(r.remaining_budget_fen.max(0))}));
    let burn = json!({"kind": "pie", "series": [{"name": op.t("预算", "Budget"), "data": burn}]});
    let minutes = r.timeline.bucket_minutes.to_string();
    let over_time_label = if r.timeline.bucket_minutes == 1 {
        op.t("每分钟领取数（北京时间）", "Claims per minute (Beijing time)").to_owned()
    } else {
        format!(
            "{}{}{}",
            op.t("每 ", "Claims per "),
            minutes,
            op.t(" 分钟领取数（北京时间）", " minutes (Beijing time)")
        )
    };
    html! {
        div.charts {
            (chart(&over_time_label, over_time))
            (chart(op.t("各工会领取数", "Claimed by union"), by_union))
            (chart(op.t("出资方支出（元）", "Spend by funder (yuan)"), by_funder))
            (chart(op.t("预算使用（元）：各礼品支出与余额", "Budget burn (yuan): spent by gift, and what is left"), burn))
        }
    }
}

/// `GET /console/campaigns/{id}/report`.
pub async fn campaign(
    op: Operator,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/campaigns/{}/report", id.0))?;
    let (c, gifts) =
        state.campaigns.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let r = report::load(&state, &op.staff, id.0).await.map_err(ConsoleError::of(op.lang))?;
    let r = ReportView::from(&r);
    let view = CampaignView::new(&c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), op.now);
    let claimed: u64 = r.gifts.iter().map(|g| g.counts.claimed).sum();
    let redeemed: u64 = r.gifts.iter().map(|g| g.counts.redeemed).sum();
    let body = html! {
        div.actions {
            a.button.secondary href=(format!("/console/campaigns/{}", view.id)) { (op.t("活动详情", "The campaign")) }
            a.button.secondary href=(format!("/console/campaigns/{}/report.csv", view.id)) download { (op.t("下载 CSV", "Download CSV")) }
        }
        div.grid data-testid="report-figures" {
            div.figure { div.label { (op.t("预算", "Budget")) } div.value data-figure="budget" { (yuan(r.budget_fen)) } }
            div.figure { div.label { (op.t("已支出", "Spent")) } div.value data-figure="spent" { (yuan(r.spent_fen)) } }
            div.figure { div.label { (op.t("预算余额", "Budget left")) } div.value { (yuan(r.remaining_budget_fen)) } }
            div.figure { div.label { (op.t("已领取", "Claimed")) } div.value data-figure="claimed" { (claimed) } }
            div.figure { div.label { (op.t("已核销", "Redeemed")) } div.value { (redeemed) } }
        }
        @if claimed > 0 { (charts(&op, &r)) } @else { p.card { (op.t("还没有人领取。", "Nobody has claimed yet.")) } }
        h2 { (op.t("按礼品", "By gift")) }
        div.table-wrap { table {
            thead { tr { th { (op.t("礼品", "Gift")) } th.num { (op.t("库存", "Stock")) } th.num { (op.t("领取", "Claimed")) }
                th.num { (op.t("核销", "Redeemed")) } th.num { (op.t("过期", "Expired")) } th.num { (op.t("作废", "Voided")) } th.num { (op.t("支出", "Spent")) } } }
            tbody { @for g in &r.gifts {
                tr { td { (g.name) } td.num { (g.stock) } td.num { (g.counts.claimed) } td.num { (g.counts.redeemed) }
                    td.num { (g.counts.expired) } td.num { (g.counts.voided) } td.num { (yuan(g.spent_fen)) } }
            } }
        } }
        h2 { (op.t("按出资方", "By funder")) }
        div.table-wrap { table {
            thead { tr { th { (op.t("出资方", "Funder")) } th.num { (op.t("支出", "Spent")) } } }
            tbody { @for f in &r.funders { tr { td { (funder_name(&op, &f.funder)) } td.num { (yuan(f.spent_fen)) } } } }
        } }
    };
    let title = format!("{}{}", view.title, op.t(" · 报表", " · report"));
    Ok(page::screen(&op, SECTION, &title, body))
}

/// `GET /console/campaigns/{id}/report.csv`: the API's CSV, as a download.
pub async fn campaign_csv(
    op: Operator,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/campaigns/{}/report.csv", id.0))?;
    let r = report::load(&state, &op.staff, id.0).await.map_err(ConsoleError::of(op.lang))?;
    Ok(report::csv_download(id.0, &r))
}

/// `GET /console/reports/books`: the books check, as the API's `GET /v1/admin/ledger/audit`.
pub async fn books(op: Operator, state: web::Data<AdminState>) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/ledger/audit")?;
    let found = state.books.audit().await.map_err(|e| ConsoleError::Failed(ApiError::internal(&e), op.lang))?;
    let audit = LedgerAuditView::from(found);
    let body = html! {
        @if audit.clean {
            p.flash.ok role="status" data-testid="books-clean" {
                (op.t("账目相符：", "The books agree: ")) (audit.rows_checked) (op.t(" 行逐笔核对，没有差异。", " rows checked, no difference."))
            }
        } @else {
            p.flash.error role="alert" { (audit.findings.len()) (op.t(" 处差异，逐条如下。", " differences, each below.")) }
            div.table-wrap { table data-testid="findings" {
                thead { tr { th { (op.t("账簿", "Book")) } th { (op.t("对象", "Subject")) } th { (op.t("核对项", "Check")) }
                    th { (op.t("行", "Row")) } th.num { (op.t("应为", "Expected")) } th.num { (op.t("实为", "Found")) } } }
                tbody { @for f in &audit.findings {
                    tr { td { (f.book) } td { code { (f.subject) } } td { (f.check) } td { code { (f.row) } }
                        td.num { (yuan(f.expected_fen)) } td.num { (yuan(f.found_fen)) } }
                } }
            } }
        }
    };
    Ok(page::screen_with_status(&op, SECTION, op.t("核对账目", "The books check"), body, StatusCode::OK))
}
