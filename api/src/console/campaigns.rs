//! `/console/campaigns`: the campaigns of the operator's part of the tree, one campaign with its
//! gifts, and the buttons that change it (shown to those the API lets press them).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::page::{self, yuan, ConsoleError};
use super::session::{Operator, Posted};
use crate::campaigns::dto::{CampaignView, GiftView};
use crate::campaigns::CampaignsState;
use crate::error::ApiError;
use domain::campaigns::CampaignId;

const SECTION: &str = "/console/campaigns";

fn status_name(op: &Operator, status: &str) -> &'static str {
    match status {
        "draft" => op.t("草稿", "Draft"),
        "scheduled" => op.t("未开始", "Scheduled"),
        "live" => op.t("进行中", "Live"),
        "ended" => op.t("已结束", "Ended"),
        "cancelled" => op.t("已取消", "Cancelled"),
        _ => op.t("未知", "Unknown"),
    }
}

fn badge(op: &Operator, status: &str) -> Markup {
    html! { span.badge.(status) data-status=(status) { (status_name(op, status)) } }
}

fn window(c: &CampaignView) -> String {
    format!("{} – {}", c.starts_at.format("%Y-%m-%d %H:%M"), c.ends_at.format("%Y-%m-%d %H:%M"))
}

/// `GET /console/campaigns`.
pub async fn list(op: Operator, state: web::Data<CampaignsState>) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/campaigns")?;
    let all = state.campaigns.list_all(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let now = op.now;
    let views: Vec<CampaignView> = all
        .iter()
        .map(|(c, gifts)| CampaignView::new(c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), now))
        .collect();
    let body = html! {
        @if views.is_empty() {
            p.card { (op.t("还没有活动。", "No campaigns yet.")) }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th { (op.t("活动", "Campaign")) }
                        th { (op.t("节日", "Holiday")) }
                        th { (op.t("时间（北京）", "Window (Beijing)")) }
                        th { (op.t("状态", "Status")) }
                        th.num { (op.t("礼品", "Gifts")) }
                        th.num { (op.t("库存", "Stock")) }
                        th.num { (op.t("预算", "Budget")) }
                        th { (op.t("范围", "Scope")) }
                    } }
                    tbody {
                        @for c in &views {
                            tr {
                                td { a href=(format!("{SECTION}/{}", c.id)) { (c.title) } }
                                td { (c.holiday_name) }
                                td { (window(c)) }
                                td { (badge(&op, c.status)) }
                                td.num { (c.gifts.len()) }
                                td.num { (c.gifts.iter().map(|g| u64::from(g.stock)).sum::<u64>()) }
                                td.num { (yuan(c.budget_fen)) }
                                td { (c.scope_code.as_deref().unwrap_or(op.t("全市", "Whole city"))) }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = op.t("活动", "Campaigns");
    Ok(page::screen(&op, SECTION, title, body))
}

async fn detail_page(
    op: &Operator,
    state: &CampaignsState,
    id: CampaignId,
    flash: Option<(bool, String)>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let (c, gifts) =
        state.campaigns.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let view = CampaignView::new(&c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), op.now);
    let base = format!("/v1/admin/campaigns/{}", view.id);
    let may_publish = view.status == "draft" && op.may(&Method::POST, &format!("{base}/publish"));
    let may_cancel =
        matches!(view.status, "draft" | "scheduled" | "live") && op.may(&Method::POST, &format!("{base}/cancel"));
    let here = format!("{SECTION}/{}", view.id);
    let body = html! {
        (page::flash(&flash))
        div.card {
            p { (badge(op, view.status)) " " (view.holiday_name) " · " (window(&view)) }
            p {
                (op.t("每人限领 ", "Per member: ")) strong { (view.per_member_limit) }
                " · " (op.t("预算 ", "Budget ")) strong { (yuan(view.budget_fen)) }
                " · " (op.t("范围 ", "Scope ")) strong { (view.scope_code.as_deref().unwrap_or(op.t("全市", "Whole city"))) }
                @if view.cardholders_only { " · " (op.t("仅限持卡会员", "Cardholders only")) }
                @if let Some(before) = view.joined_before { " · " (op.t("入会早于 ", "Joined before ")) (before) }
            }
            @if !view.union_codes.is_empty() {
                p.muted { (op.t("限定工会：", "Unions: ")) (view.union_codes.join("、")) }
            }
            div.actions {
                @if view.status != "draft" {
                    a.button.secondary href=(format!("{here}/monitor")) { (op.t("开抢监控", "Opening monitor")) }
                }
                @if may_publish {
                    form method="post" action=(format!("{here}/publish")) data-confirm=(op.t("发布后会员即可看到此活动，确定发布？", "Members will see this campaign once published. Publish?")) {
                        input type="hidden" name="_csrf" value=(op.csrf);
                        button type="submit" { (op.t("发布", "Publish")) }
                    }
                }
                @if may_cancel {
                    form method="post" action=(format!("{here}/cancel")) data-confirm=(op.t("取消后未核销的券将作废，确定取消？", "Vouchers not yet redeemed will be void. Cancel the campaign?")) {
                        input type="hidden" name="_csrf" value=(op.csrf);
                        button.danger type="submit" { (op.t("取消活动", "Cancel campaign")) }
                    }
                }
            }
        }
        h2 { (op.t("礼品", "Gifts")) }
        @if view.gifts.is_empty() {
            p.muted { (op.t("尚未添加礼品。", "No gifts yet.")) }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th { (op.t("礼品", "Gift")) }
                        th.num { (op.t("库存", "Stock")) }
                        th.num { (op.t("单价", "Unit cost")) }
                        th.num { (op.t("每人限领", "Per member")) }
                        th { (op.t("出资方", "Funder")) }
                        th { (op.t("有效期至", "Valid until")) }
                        th { (op.t("分批投放", "Waves")) }
                    } }
                    tbody {
                        @for g in &view.gifts {
                            tr {
                                td { (g.name) }
                                td.num { (g.stock) }
                                td.num { (yuan(g.unit_cost_fen)) }
                                td.num { (g.per_member_limit) }
                                td { (g.funder) }
                                td { (g.valid_until) }
                                td {
                                    @for w in &g.waves { div { (w.at.get(..16).unwrap_or(&w.at).replace('T', " ")) " × " (w.quantity) } }
                                    @if let Some(cap) = g.daily_cap { div { (op.t("每日上限 ", "Daily cap ")) (cap) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, &view.title, body, status))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/campaigns/{id}`; `?done=publish` after a change says it was done.
pub async fn detail(
    op: Operator,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/campaigns/{}", id.0))?;
    let flash = match query.done.as_deref() {
        Some("publish") => Some((true, op.t("已发布。", "Published.").to_owned())),
        Some("cancel") => Some((true, op.t("已取消。", "Cancelled.").to_owned())),
        _ => None,
    };
    detail_page(&op, &state, id, flash, StatusCode::OK).await
}

pub(super) fn campaign_id(op: &Operator, raw: &str) -> Result<CampaignId, ConsoleError> {
    raw.parse::<uuid::Uuid>().map(CampaignId).map_err(|_| {
        let e = ApiError::new(StatusCode::NOT_FOUND, "campaign.not_found", "活动不存在", "No such campaign");
        ConsoleError::Refused(e, op.lang)
    })
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /console/campaigns/{id}/{publish|cancel}`: the API's operation of the same name.
pub async fn change(
    posted: Posted<Nothing>,
    state: web::Data<CampaignsState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let (raw, what) = path.into_inner();
    let id = campaign_id(&op, &raw)?;
    op.admit(&Method::POST, &format!("/v1/admin/campaigns/{}/{what}", id.0))?;
    let done = match what.as_str() {
        "publish" => state.campaigns.publish(&op.staff.actor, id).await.map(drop),
        "cancel" => state.campaigns.cancel(&op.staff.actor, id).await.map(drop),
        _ => {
            let e = ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "页面不存在", "No such page");
            return Err(ConsoleError::Refused(e, op.lang));
        }
    };
    match done {
        // After the change, a page of its own: reloading it changes nothing again.
        Ok(()) => Ok(page::see_other(&format!("{SECTION}/{}?done={what}", id.0))),
        Err(e) => {
            let e: ApiError = e.into();
            if e.status() == StatusCode::NOT_FOUND || e.status().is_server_error() {
                return Err(ConsoleError::Refused(e, op.lang));
            }
            let message = e.message(op.lang).to_owned();
            detail_page(&op, &state, id, Some((false, message)), e.status()).await
        }
    }
}
