//! `/console/cards`: the 会员服务卡 as the city federation's staff follow it — applications the bank
//! has not issued yet, every card's status changes, and a day's rebate payout file with its totals
//! and its CSV, the very file the bank is paid by.

use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::page::{self, yuan, ConsoleError};
use super::session::Operator;
use crate::cards::admin;
use crate::cards::feed_dto::{RebateFileView, RebatesQuery};
use crate::cards::CardsState;
use crate::error::ApiError;

const SECTION: &str = "/console/cards";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cursors {
    /// Where the list of changes goes on from.
    changes: Option<String>,
    /// Where the list of applications goes on from.
    applications: Option<String>,
}

fn event_name(op: &Operator, event: &str) -> String {
    let name = match event {
        "applied" => op.t("会员申请", "Member applied"),
        "issued" => op.t("银行制卡", "Bank issued"),
        "activated" => op.t("已激活", "Activated"),
        "frozen" => op.t("会员冻结", "Member froze"),
        "unfrozen" => op.t("会员解冻", "Member unfroze"),
        "reported_lost" => op.t("会员挂失", "Member reported lost"),
        "replaced" => op.t("银行补卡", "Bank replaced"),
        "cancelled" => op.t("银行注销", "Bank cancelled"),
        other => return other.to_owned(),
    };
    name.to_owned()
}

/// Yesterday in Beijing: the last day whose payout file is closed.
fn yesterday(op: &Operator) -> NaiveDate {
    (op.now + Duration::hours(8)).date_naive() - Duration::days(1)
}

/// `GET /console/cards`.
pub async fn index(
    op: Operator,
    state: web::Data<CardsState>,
    query: web::Query<Cursors>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/cards/changes")?;
    let changes =
        admin::changes_page(&state, Some(20), query.changes.as_deref()).await.map_err(ConsoleError::of(op.lang))?;
    let waiting =
        admin::waiting(&state, Some(20), query.applications.as_deref()).await.map_err(ConsoleError::of(op.lang))?;
    let body = html! {
        (payout_form(&op, yesterday(&op)))
        h2 #applications { (op.t("待银行制卡的申请", "Applications waiting for the bank")) }
        @if waiting.items.is_empty() {
            p.muted { (op.t("没有待处理的申请。", "None waiting.")) }
        } @else {
            div.table-wrap { table data-testid="applications" {
                thead { tr { th { (op.t("卡", "Card")) } th { (op.t("申请时间（北京）", "Applied (Beijing)")) } } }
                tbody { @for a in &waiting.items {
                    tr { td { code { (a.card_id) } } td { (a.applied_at.format("%Y-%m-%d %H:%M")) } }
                } }
            } }
            @if let Some(next) = &waiting.next_cursor {
                div.pager { a href=(format!("{SECTION}?applications={next}#applications")) { (op.t("更多申请 →", "More applications →")) } }
            }
        }
        h2 #changes { (op.t("卡状态变更", "Card status changes")) }
        @if changes.items.is_empty() {
            p.muted { (op.t("还没有会员服务卡。", "No cards yet.")) }
        } @else {
            div.table-wrap { table data-testid="card-changes" {
                thead { tr { th { (op.t("时间（北京）", "When (Beijing)")) } th { (op.t("卡号尾号", "Card")) } th { (op.t("事件", "Event")) }
                    th { (op.t("原状态", "From")) } th { (op.t("新状态", "To")) } } }
                tbody { @for c in &changes.items {
                    tr data-card=(c.card_id) {
                        td { (c.at.format("%Y-%m-%d %H:%M:%S")) }
                        td { @if let Some(l) = &c.card_last4 { "****" (l) } @else { span.muted { (op.t("未制卡", "not issued")) } } }
                        td { (event_name(&op, c.event)) }
                        td { (c.from.unwrap_or("—")) }
                        td { span.badge data-status=(c.to) { (c.to) } }
                    }
                } }
            } }
            @if let Some(next) = &changes.next_cursor {
                div.pager { a href=(format!("{SECTION}?changes={next}#changes")) { (op.t("更早的变更 →", "Earlier changes →")) } }
            }
        }
    };
    Ok(page::screen(&op, SECTION, op.t("服务卡与银行", "Cards and the bank"), body))
}

fn payout_form(op: &Operator, day: NaiveDate) -> Markup {
    html! {
        div.card {
            form.inline method="get" action=(format!("{SECTION}/payouts")) data-testid="payout-form" {
                label {
                    (op.t("返利付款文件（北京时间的日期，当日结束后可取）", "Rebate payout file (a Beijing day, once it is over)"))
                    input type="date" name="date" value=(day) required;
                }
                button.secondary type="submit" { (op.t("查看", "Show")) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Day {
    date: String,
}

fn day_of(op: &Operator, raw: &str) -> Result<NaiveDate, ConsoleError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        let e = ApiError::validation("date", "日期格式须为 YYYY-MM-DD", "expected YYYY-MM-DD".into());
        ConsoleError::Refused(e, op.lang)
    })
}

/// `GET /console/cards/payouts?date=`: a day's payout file, its totals drawn.
pub async fn payouts(
    op: Operator,
    state: web::Data<CardsState>,
    query: web::Query<Day>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/cards/payouts")?;
    let day = day_of(&op, &query.date)?;
    let file = state.cards.rebate_file(day).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let f = RebateFileView::from(&file);
    let funder = |code: &str| match code {
        "union" => op.t("工会", "Union"),
        "bank" => op.t("银行", "Bank"),
        _ => op.t("商户", "Merchant"),
    };
    let pie = json!({"kind": "pie", "series": [{"name": op.t("返利", "Rebates"), "data": f.by_funder.iter()
        .map(|t| json!({"name": funder(t.funder), "value": t.rebate_fen as f64 / 100.0})).collect::<Vec<_>>()}]});
    let body = html! {
        (payout_form(&op, day))
        div.actions {
            a.button href=(format!("{SECTION}/payouts.csv?date={day}")) download { (op.t("下载付款文件（CSV）", "Download the file (CSV)")) }
        }
        div.grid data-testid="payout-figures" {
            div.figure { div.label { (op.t("笔数", "Lines")) } div.value data-figure="count" { (f.count) } }
            div.figure { div.label { (op.t("返利合计", "Total rebates")) } div.value data-figure="total" { (yuan(f.total_rebate_fen)) } }
            @for t in &f.by_funder {
                div.figure { div.label { (funder(t.funder)) } div.value data-funder=(t.funder) { (yuan(t.rebate_fen)) } }
            }
        }
        @if !f.by_funder.is_empty() {
            figure.chart-box {
                figcaption { (op.t("各出资方返利（元）", "Rebates by funder (yuan)")) }
                div.chart role="img" aria-label=(op.t("各出资方返利", "Rebates by funder")) data-chart=(pie.to_string()) {}
            }
        }
        @if !f.unknown_merchants.is_empty() {
            h2 { (op.t("未知商户号的交易", "Transactions at unknown merchant ids")) }
            div.table-wrap { table {
                thead { tr { th { (op.t("银行商户号", "Bank's merchant id")) } th.num { (op.t("笔数", "Transactions")) } th.num { (op.t("金额", "Amount")) } } }
                tbody { @for u in &f.unknown_merchants { tr { td { code { (u.bank_merchant_id) } } td.num { (u.transactions) } td.num { (yuan(u.amount_fen)) } } } }
            } }
        }
        h2 { (op.t("明细（前 100 笔，完整见 CSV）", "Lines (the first 100; the CSV has all)")) }
        @if f.rebates.is_empty() {
            p.muted { (op.t("当日没有返利。", "No rebates that day.")) }
        } @else {
            div.table-wrap { table data-testid="payout-lines" {
                thead { tr { th { (op.t("交易", "Transaction")) } th { (op.t("商户", "Merchant")) } th { (op.t("优惠", "Offer")) }
                    th { (op.t("卡号尾号", "Card")) } th.num { (op.t("消费", "Spent")) } th.num { (op.t("返利", "Rebate")) } th { (op.t("出资方", "Funder")) } } }
                tbody { @for r in f.rebates.iter().take(100) {
                    tr { td { code { (r.transaction_id) } } td { (r.merchant_name) } td { (r.offer_title) } td { "****" (r.card_last4.as_deref().unwrap_or("")) }
                        td.num { (yuan(r.spent_fen)) } td.num { (yuan(r.rebate_fen)) } td { (funder(r.funder)) } }
                } }
            } }
        }
    };
    let title = format!("{}{}", op.t("返利付款文件 ", "Payout file "), day);
    Ok(page::screen(&op, SECTION, &title, body))
}

/// `GET /console/cards/payouts.csv?date=`: the file as the bank gets it.
pub async fn payouts_csv(
    op: Operator,
    state: web::Data<CardsState>,
    query: web::Query<Day>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/cards/payouts")?;
    let date = day_of(&op, &query.date)?;
    let query = RebatesQuery { date, format: Some("csv".into()) };
    admin::payout_answer(&state, &query).await.map_err(ConsoleError::of(op.lang))
}
