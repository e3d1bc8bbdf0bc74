//! `/console/campaigns`: the campaigns of the operator's part of the tree, one campaign with its
//! gifts, and the buttons that change it (shown to those the API lets press them).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::campaign_forms::GiftForm;
use super::forms::{yuan_input, Errors, Field};
use super::page::{self, yuan, ConsoleError};
use super::session::{Operator, Posted};
use crate::campaigns::dto::{CampaignView, GiftView};
use crate::campaigns::CampaignsState;
use crate::error::ApiError;
use domain::campaigns::{CampaignId, GiftId};

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

pub(super) fn funder_name(op: &Operator, code: &str) -> String {
    match code {
        "union" => op.t("工会", "Union").to_owned(),
        "bank" => op.t("银行", "Bank").to_owned(),
        "merchant" => op.t("商户", "Merchant").to_owned(),
        other => other.to_owned(),
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
        @if op.may(&Method::POST, "/v1/admin/campaigns") {
            div.actions { a.button href="/console/campaigns/new" { (op.t("新建活动", "New campaign")) } }
        }
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

/// The forms of a campaign's page as last posted, with what was refused, when a post is
/// answered with the page again.
#[derive(Default)]
pub(super) struct Forms {
    pub gift: Option<(GiftForm, Errors)>,
    pub budget: Option<(String, Errors)>,
    pub stock: Option<(GiftId, String, Errors)>,
}

pub(super) async fn detail_page(
    op: &Operator,
    state: &CampaignsState,
    id: CampaignId,
    flash: Option<(bool, String)>,
    status: StatusCode,
    forms: Forms,
) -> Result<HttpResponse, ConsoleError> {
    let (c, gifts) =
        state.campaigns.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let view = CampaignView::new(&c, gifts.iter().map(|g| GiftView::new(g, None)).collect(), op.now);
    let base = format!("/v1/admin/campaigns/{}", view.id);
    let may_publish = view.status == "draft" && op.may(&Method::POST, &format!("{base}/publish"));
    let may_cancel =
        matches!(view.status, "draft" | "scheduled" | "live") && op.may(&Method::POST, &format!("{base}/cancel"));
    let open = matches!(view.status, "draft" | "scheduled" | "live");
    let may_add_gift = view.status == "draft" && op.may(&Method::POST, &format!("{base}/gifts"));
    let may_reconcile =
        matches!(view.status, "scheduled" | "live") && op.may(&Method::POST, &format!("{base}/reconcile"));
    let may_list = open && op.may(&Method::PUT, &format!("{base}/gifts/{0}/pickup-points/{0}", view.id));
    let points = if may_list {
        state.pickup.points(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?
    } else {
        Vec::new()
    };
    let may_budget = open && op.may(&Method::PUT, &format!("{base}/budget"));
    let may_stock = open && op.may(&Method::PATCH, &format!("{base}/gifts/{}", view.id));
    let gift_form = forms.gift.unwrap_or_else(|| {
        (GiftForm { funder: "union".into(), per_member_limit: "1".into(), ..Default::default() }, Errors::default())
    });
    let (budget_typed, budget_errors) =
        forms.budget.unwrap_or_else(|| (yuan_input(view.budget_fen), Errors::default()));
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
            @if may_budget {
                form.inline method="post" action=(format!("{here}/budget")) {
                    input type="hidden" name="_csrf" value=(op.csrf);
                    input type="hidden" name="seen" value=(view.budget_fen);
                    @for message in budget_errors.general(&["budget_yuan"]) { p.flash.error role="alert" { (message) } }
                    (Field::new("value", op.t("提高预算至（元）", "Raise the budget to (yuan)"), &budget_typed).render(&budget_errors.renamed("budget_yuan", "value")))
                    button.secondary type="submit" { (op.t("提高预算", "Raise budget")) }
                }
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
                @if may_reconcile {
                    form method="post" action=(format!("{here}/reconcile")) {
                        input type="hidden" name="_csrf" value=(op.csrf);
                        button.secondary type="submit" title=(op.t("用数据库的余量校正发放闸门", "Reset the inventory gate from the database")) { (op.t("核对库存", "Reconcile stock")) }
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
                        @if may_stock { th { (op.t("提高库存", "Raise stock")) } }
                    } }
                    tbody {
                        @for g in &view.gifts {
                            tr {
                                td { (g.name) }
                                td.num { (g.stock) }
                                td.num { (yuan(g.unit_cost_fen)) }
                                td.num { (g.per_member_limit) }
                                td { (funder_name(op, g.funder)) }
                                td { (g.valid_until) }
                                td {
                                    @for w in &g.waves { div { (w.at.get(..16).unwrap_or(&w.at).replace('T', " ")) " × " (w.quantity) } }
                                    @if let Some(cap) = g.daily_cap { div { (op.t("每日上限 ", "Daily cap ")) (cap) } }
                                }
                                @if may_stock {
                                    @let refused = forms.stock.as_ref().filter(|(gift, _, _)| gift.0 == g.id);
                                    @let typed = refused.map_or_else(|| g.stock.to_string(), |(_, typed, _)| typed.clone());
                                    @let errors = refused.map_or_else(Errors::default, |(_, _, e)| e.renamed("stock", "value"));
                                    td {
                                        form.inline method="post" action=(format!("{here}/gifts/{}/stock", g.id)) {
                                            input type="hidden" name="_csrf" value=(op.csrf);
                                            input type="hidden" name="seen" value=(g.stock);
                                            @for message in errors.general(&["value"]) { span.field-error role="alert" { (message) } }
                                            (Field::new("value", op.t("新库存", "New stock"), &typed).kind("number").render(&errors))
                                            button.secondary type="submit" { (op.t("提高", "Raise")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_list && !view.gifts.is_empty() {
            h2 #listing { (op.t("兑换地点", "Where vouchers are redeemed")) }
            div.table-wrap { table data-testid="listing" {
                thead { tr { th { (op.t("礼品", "Gift")) } th { (op.t("列入领取点", "At a pickup point")) } th { (op.t("列入合作门店", "At a partner store")) } } }
                tbody { @for g in &view.gifts {
                    tr {
                        td { (g.name) }
                        td {
                            @if points.is_empty() { span.muted { (op.t("本范围还没有领取点", "No pickup points in your part yet")) } } @else {
                                form.inline method="post" action=(format!("{here}/gifts/{}/pickup-points", g.id)) {
                                    input type="hidden" name="_csrf" value=(op.csrf);
                                    label { (op.t("领取点", "Pickup point"))
                                        select name="place" { @for p in &points { option value=(p.id.0) { (p.name) } } } }
                                    button.secondary type="submit" { (op.t("列入", "List")) }
                                }
                            }
                        }
                        td {
                            form.inline method="post" action=(format!("{here}/gifts/{}/stores", g.id)) {
                                input type="hidden" name="_csrf" value=(op.csrf);
                                label { (op.t("门店编号（见商户页）", "Store id (on the merchant's page)")) input type="text" name="place" required; }
                                button.secondary type="submit" { (op.t("列入", "List")) }
                            }
                        }
                    }
                } }
            } }
        }
        @if may_add_gift {
            h2 { (op.t("添加礼品", "Add a gift")) }
            (gift_fields(op, &here, &gift_form.0, &gift_form.1))
        }
    };
    Ok(page::screen_with_status(op, SECTION, &view.title, body, status))
}

fn gift_fields(op: &Operator, here: &str, form: &GiftForm, errors: &Errors) -> Markup {
    let fields = ["name", "unit_cost_yuan", "stock", "per_member_limit", "valid_until", "funder", "waves", "daily_cap"];
    html! {
        form.stack method="post" action=(format!("{here}/gifts")) data-testid="gift-form" {
            input type="hidden" name="_csrf" value=(op.csrf);
            @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
            (Field::new("name", op.t("礼品名称", "Gift"), &form.name).render(errors))
            (Field::new("unit_cost_yuan", op.t("单价（元）", "Unit cost (yuan)"), &form.unit_cost_yuan).render(errors))
            (Field::new("stock", op.t("库存", "Stock"), &form.stock).kind("number").render(errors))
            (Field::new("per_member_limit", op.t("每人限领（1–10）", "Per member (1–10)"), &form.per_member_limit).kind("number").render(errors))
            (Field::new("valid_until", op.t("有效期至", "Valid until"), &form.valid_until).kind("date").render(errors))
            label {
                (op.t("出资方", "Funder"))
                select name="funder" {
                    @for (code, zh, en) in [("union", "工会", "Union"), ("bank", "银行", "Bank"), ("merchant", "商户", "Merchant")] {
                        option value=(code) selected[form.funder == code] { (op.t(zh, en)) }
                    }
                }
                @if let Some(e) = errors.of("funder") { span.field-error role="alert" { (e) } }
            }
            (Field::new("waves", op.t("分批投放（可空；每行：北京时间 数量）", "Waves (optional; a line each: Beijing time, quantity)"), &form.waves)
                .kind("textarea").optional().hint("2026-10-01T10:00 4000").render(errors))
            (Field::new("daily_cap", op.t("每日上限（可空）", "Daily cap (optional)"), &form.daily_cap).kind("number").optional().render(errors))
            div.actions { button type="submit" { (op.t("添加礼品", "Add gift")) } }
        }
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
    drifted: Option<u32>,
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
        Some("create") => {
            Some((true, op.t("草稿已创建：添加礼品后即可发布。", "Draft created: add gifts, then publish.").to_owned()))
        }
        Some("gift") => Some((true, op.t("礼品已添加。", "Gift added.").to_owned())),
        Some("budget") => Some((true, op.t("预算已提高。", "Budget raised.").to_owned())),
        Some("stock") => Some((true, op.t("库存已提高。", "Stock raised.").to_owned())),
        Some("reconcile") => Some((
            true,
            match query.drifted {
                Some(0) | None => {
                    op.t("库存闸门与数据库一致。", "The inventory gate agreed with the database.").to_owned()
                }
                Some(n) => format!(
                    "{}{n}{}",
                    op.t("已校正 ", "Corrected "),
                    op.t(" 个礼品的库存闸门。", " gifts' inventory gate.")
                ),
            },
        )),
        Some("listed") => Some((true, op.t("已列入兑换地点。", "Listed where vouchers are redeemed.").to_owned())),
        _ => None,
    };
    detail_page(&op, &state, id, flash, StatusCode::OK, Forms::default()).await
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
        "reconcile" => {
            let found = state.campaigns.reconcile(Some(&op.staff.actor), id).await.map_err(ApiError::from);
            let found = found.map_err(|e| ConsoleError::Refused(e, op.lang))?;
            let drifted = found.iter().map(crate::campaigns::admin::drift_view).filter(|d| d.drifted).count();
            return Ok(page::see_other(&format!("{SECTION}/{}?done=reconcile&drifted={drifted}", id.0)));
        }
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
            detail_page(&op, &state, id, Some((false, message)), e.status(), Forms::default()).await
        }
    }
}
