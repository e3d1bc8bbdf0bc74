//! `/console/merchants`: the partner merchants, and one merchant with its stores (placed with a
//! coordinate picker), offers, signing keys and webhook deliveries. The city federation's staff
//! alone, as for the API; each button shown to those the API lets press it.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::merchant_forms::{KeyForm, MerchantForm, OfferForm, StoreForm};
use super::page::{self, beijing, yuan, ConsoleError};
use super::session::Operator;
use crate::error::ApiError;
use crate::merchants::dto::{DeliveryView, MerchantDetail, MerchantView, OfferView, StoreView};
use crate::merchants::MerchantsState;
use domain::merchants::MerchantId;
use domain::shared::PageRequest;

pub(super) const SECTION: &str = "/console/merchants";
const API: &str = "/v1/admin/merchants";

/// How many of a merchant's deliveries its page shows.
const DELIVERIES: i64 = 20;

pub(super) fn merchant_id(op: &Operator, raw: &str) -> Result<MerchantId, ConsoleError> {
    raw.parse::<uuid::Uuid>().map(MerchantId).map_err(|_| {
        let e = ApiError::new(StatusCode::NOT_FOUND, "merchant.not_found", "商户不存在", "No such merchant");
        ConsoleError::Refused(e, op.lang)
    })
}

fn status_name(op: &Operator, status: &str) -> &'static str {
    match status {
        "active" => op.t("合作中", "Active"),
        "suspended" => op.t("已暂停", "Suspended"),
        "draft" => op.t("草稿", "Draft"),
        "published" => op.t("已上架", "Published"),
        "paused" => op.t("已暂停", "Paused"),
        "expired" => op.t("已下架", "Expired"),
        "pending" => op.t("待投递", "Pending"),
        "done" => op.t("已送达", "Delivered"),
        "dead" => op.t("已放弃", "Dead"),
        _ => op.t("其他", "Other"),
    }
}

fn badge(op: &Operator, status: &str) -> Markup {
    let class = match status {
        "active" | "published" | "done" => "ok",
        "suspended" | "expired" | "dead" => "cancelled",
        "paused" => "draft",
        other => other,
    };
    html! { span.badge.(class) data-status=(status) { (status_name(op, status)) } }
}

/// `GET /console/merchants`: every merchant, and the form for a new one.
pub async fn list(op: Operator, state: web::Data<MerchantsState>) -> Result<HttpResponse, ConsoleError> {
    list_page(&op, &state, &MerchantForm::default(), &Errors::default(), StatusCode::OK).await
}

pub(super) async fn list_page(
    op: &Operator,
    state: &MerchantsState,
    form: &MerchantForm,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let all = state.catalogue.merchants().await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let views: Vec<MerchantView> = all.iter().map(MerchantView::from).collect();
    let body = html! {
        @if views.is_empty() {
            p.card { (op.t("还没有合作商户。", "No partner merchants yet.")) }
        } @else {
            div.table-wrap {
                table data-testid="merchants" {
                    thead { tr {
                        th { (op.t("商户", "Merchant")) }
                        th { (op.t("商户号", "mchid")) }
                        th { (op.t("类别", "Category")) }
                        th { (op.t("联系人", "Contact")) }
                        th { (op.t("状态", "Status")) }
                    } }
                    tbody {
                        @for m in &views {
                            tr {
                                td { a href=(format!("{SECTION}/{}", m.id)) { (m.name) } @if m.kind == "bank" { " " span.badge { (op.t("银行", "Bank")) } } }
                                td { code { (m.mchid) } }
                                td { (m.category) }
                                td { (m.contact) }
                                td { (badge(op, m.status)) }
                            }
                        }
                    }
                }
            }
        }
        @if op.may(&Method::POST, API) {
            h2 { (op.t("登记商户", "Register a merchant")) }
            (merchant_fields(op, form, errors))
        }
    };
    Ok(page::screen_with_status(op, SECTION, op.t("合作商户", "Partner merchants"), body, status))
}

fn merchant_fields(op: &Operator, form: &MerchantForm, errors: &Errors) -> Markup {
    let fields = ["name", "category", "contact", "settlement_email", "bank_merchant_id"];
    html! {
        form.stack method="post" action=(SECTION) data-testid="merchant-form" {
            input type="hidden" name="_csrf" value=(op.csrf);
            @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
            (Field::new("name", op.t("商户名称", "Name"), &form.name).render(errors))
            (Field::new("category", op.t("类别", "Category"), &form.category).hint(op.t("如 餐饮、商超、文旅", "e.g. dining, grocery, travel")).render(errors))
            (Field::new("contact", op.t("联系人及电话", "Contact"), &form.contact).render(errors))
            (Field::new("settlement_email", op.t("结算邮箱", "Settlement e-mail"), &form.settlement_email).kind("email").render(errors))
            (Field::new("bank_merchant_id", op.t("银行商户号（可空）", "Bank's merchant id (optional)"), &form.bank_merchant_id).optional().render(errors))
            div.actions { button type="submit" { (op.t("登记", "Register")) } }
        }
    }
}

/// The forms of a merchant's page as last posted, with what was refused.
#[derive(Default)]
pub(super) struct Forms {
    pub store: Option<(StoreForm, Errors)>,
    pub offer: Option<(OfferForm, Errors)>,
    pub key: Option<(KeyForm, Errors)>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/merchants/{id}`; `?done=store` after a change says it was done.
pub async fn detail(
    op: Operator,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = merchant_id(&op, &id)?;
    let flash = match query.done.as_deref() {
        Some("create") => {
            Some(op.t("商户已登记：添加门店、优惠和签名公钥。", "Registered: add stores, offers and keys."))
        }
        Some("status") => Some(op.t("商户状态已更改。", "Status changed.")),
        Some("store") => Some(op.t("门店已添加。", "Store added.")),
        Some("offer") => Some(op.t("优惠草稿已创建。", "Offer drafted.")),
        Some("offer-status") => Some(op.t("优惠状态已更改。", "Offer changed.")),
        Some("key") => Some(op.t("公钥已登记。", "Key registered.")),
        Some("revoke") => Some(op.t("公钥已吊销。", "Key revoked.")),
        Some("test") => Some(op.t("测试事件已排队，投递结果见下表。", "Test event queued: see its delivery below.")),
        _ => None,
    };
    let flash = flash.map(|m| (true, m.to_owned()));
    detail_page(&op, &state, id, flash, StatusCode::OK, Forms::default()).await
}

pub(super) async fn detail_page(
    op: &Operator,
    state: &MerchantsState,
    id: MerchantId,
    flash: Option<(bool, String)>,
    status: StatusCode,
    forms: Forms,
) -> Result<HttpResponse, ConsoleError> {
    let base = format!("{API}/{}", id.0);
    op.admit(&Method::GET, &base)?;
    let d = crate::merchants::admin::detail(state, id).await.map_err(ConsoleError::of(op.lang))?;
    let page = PageRequest::parse(Some(DELIVERIES), None).map_err(|_| ConsoleError::BadForm(op.lang))?;
    let webhook =
        state.merchants.webhook_overview(id, page).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let here = format!("{SECTION}/{}", id.0);
    let m = &d.merchant;
    let may_status = op.may(&Method::PUT, &format!("{base}/status"));
    let body = html! {
        (page::flash(&flash))
        div.card data-testid="merchant" {
            p { (badge(op, m.status)) " " (op.t("商户号 ", "mchid ")) code { (m.mchid) } " · " (m.category) " · " (m.contact) }
            p.muted { (op.t("结算邮箱 ", "Settlement e-mail ")) (m.settlement_email)
                @if let Some(b) = &m.bank_merchant_id { " · " (op.t("银行商户号 ", "Bank's id ")) (b) } }
            @if may_status {
                @let (to, label, question) = if m.status == "active" {
                    ("suspended", op.t("暂停合作", "Suspend"), op.t("暂停后其签名请求立即被拒、优惠对会员隐藏。确定？", "Its signed requests are refused at once and its offers hidden. Suspend?"))
                } else {
                    ("active", op.t("恢复合作", "Reactivate"), op.t("恢复该商户？", "Reactivate this merchant?"))
                };
                form method="post" action=(format!("{here}/status")) data-confirm=(question) {
                    input type="hidden" name="_csrf" value=(op.csrf);
                    input type="hidden" name="status" value=(to);
                    button.danger[to == "suspended"].secondary[to == "active"] type="submit" { (label) }
                }
            }
        }
        (stores(op, &d, &here, &base, forms.store))
        (offers(op, &d, &here, &base, forms.offer))
        (keys(op, &d, &here, &base, forms.key))
        (deliveries(op, webhook.url.as_deref(), &webhook.deliveries.items.iter().map(DeliveryView::from).collect::<Vec<_>>(), &here, &base))
    };
    Ok(page::screen_with_status(op, SECTION, &m.name, body, status))
}

fn stores(op: &Operator, d: &MerchantDetail, here: &str, base: &str, typed: Option<(StoreForm, Errors)>) -> Markup {
    let (form, errors) = typed.unwrap_or_default();
    let placed: Vec<(f64, f64, &str)> = d.stores.iter().map(|s| (s.lat, s.lng, s.name.as_str())).collect();
    let placed = serde_json::to_string(&placed).unwrap_or_else(|_| "[]".into());
    let fields = ["name", "address", "district", "hours", "lat", "lng"];
    html! {
        h2 #stores { (op.t("门店", "Stores")) " (" (d.stores.len()) ")" }
        @if !d.stores.is_empty() {
            div.table-wrap { table data-testid="stores" {
                thead { tr { th { (op.t("门店", "Store")) } th { (op.t("地址", "Address")) } th { (op.t("区", "District")) }
                    th { (op.t("营业时间", "Hours")) } th.num { (op.t("纬度, 经度（GCJ-02）", "Lat, lng (GCJ-02)")) } } }
                tbody { @for s in &d.stores { (store_row(s)) } }
            } }
        }
        @if op.may(&Method::POST, &format!("{base}/stores")) {
            form.stack.wide method="post" action=(format!("{here}/stores")) data-testid="store-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
                (Field::new("name", op.t("门店名称", "Store name"), &form.name).render(&errors))
                (Field::new("address", op.t("地址", "Address"), &form.address).render(&errors))
                (Field::new("district", op.t("所在区（市）", "District"), &form.district).hint(op.t("如 姑苏区、昆山市", "e.g. 姑苏区, 昆山市")).render(&errors))
                (Field::new("hours", op.t("营业时间", "Opening hours"), &form.hours).hint("10:00-21:30").render(&errors))
                fieldset.picker-fields {
                    legend { (op.t("位置：在图上点选，或输入坐标（GCJ-02，高德/腾讯地图坐标）", "Position: click the map, or type the coordinates (GCJ-02, as Amap and Tencent Maps give them)")) }
                    div.picker data-picker data-placed=(placed) role="img"
                        aria-label=(op.t("苏州市范围的坐标图：灰点为已有门店，红点为新门店", "Suzhou on a grid: grey dots are the existing stores, the red one the new store")) {}
                    div.inline-fields {
                        (Field::new("lat", op.t("纬度", "Latitude"), &form.lat).kind("number").step("0.000001").render(&errors))
                        (Field::new("lng", op.t("经度", "Longitude"), &form.lng).kind("number").step("0.000001").render(&errors))
                    }
                    p.muted data-picker-preview {}
                }
                div.actions { button type="submit" { (op.t("添加门店", "Add store")) } }
            }
        }
    }
}

fn store_row(s: &StoreView) -> Markup {
    html! {
        tr data-store=(s.id) { td { (s.name) br; code.muted { (s.id) } } td { (s.address) } td { (s.district) } td { (s.hours) } td.num { (format!("{:.6}, {:.6}", s.lat, s.lng)) } }
    }
}

fn discount(op: &Operator, o: &OfferView) -> String {
    match o.kind {
        "percent_off" => {
            let bps = o.percent_bps.unwrap_or_default();
            format!("{}{}.{:02}%", op.t("减 ", "-"), bps / 100, bps % 100)
        }
        "amount_off" => format!("{}{}", op.t("立减 ", "less "), yuan(o.amount_fen.unwrap_or_default())),
        _ => format!(
            "{} {} {} {}",
            op.t("满", "spend"),
            yuan(o.threshold_fen.unwrap_or_default()),
            op.t("减", "save"),
            yuan(o.amount_fen.unwrap_or_default())
        ),
    }
}

fn offers(op: &Operator, d: &MerchantDetail, here: &str, base: &str, typed: Option<(OfferForm, Errors)>) -> Markup {
    let (form, errors) = typed.unwrap_or_else(|| (OfferForm::blank(), Errors::default()));
    html! {
        h2 #offers { (op.t("优惠", "Offers")) " (" (d.offers.len()) ")" }
        @if !d.offers.is_empty() {
            div.table-wrap { table data-testid="offers" {
                thead { tr { th { (op.t("优惠", "Offer")) } th { (op.t("折扣", "Discount")) } th { (op.t("有效期", "Valid")) }
                    th { (op.t("出资方", "Funder")) } th { (op.t("状态", "Status")) } th { (op.t("操作", "Change")) } } }
                tbody { @for o in &d.offers {
                    tr {
                        td { (o.title) }
                        td { (discount(op, o)) @if let Some(cap) = o.cap_fen { " " span.muted { (op.t("封顶 ", "cap ")) (yuan(cap)) } } }
                        td { (o.valid_from) " – " (o.valid_until) }
                        td { (o.funder) }
                        td { (badge(op, o.status)) }
                        td {
                            @if op.may(&Method::PUT, &format!("{base}/offers/{}/status", o.id)) {
                                div.actions {
                                    @for (to, zh, en) in next_statuses(o.status) {
                                        form method="post" action=(format!("{here}/offers/{}/{to}", o.id)) {
                                            input type="hidden" name="_csrf" value=(op.csrf);
                                            button.secondary type="submit" { (op.t(zh, en)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        @if op.may(&Method::POST, &format!("{base}/offers")) {
            (super::merchant_forms::offer_fields(op, &d.stores, here, &form, &errors))
        }
    }
}

/// What an offer may become from `status`, as the catalogue allows.
fn next_statuses(status: &str) -> &'static [(&'static str, &'static str, &'static str)] {
    match status {
        "draft" => &[("published", "上架", "Publish")],
        "published" => &[("paused", "暂停", "Pause"), ("expired", "下架", "Expire")],
        "paused" => &[("published", "恢复上架", "Publish again"), ("expired", "下架", "Expire")],
        _ => &[],
    }
}

fn keys(op: &Operator, d: &MerchantDetail, here: &str, base: &str, typed: Option<(KeyForm, Errors)>) -> Markup {
    let (form, errors) = typed.unwrap_or_default();
    let store_name =
        |id: uuid::Uuid| d.stores.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone());
    html! {
        h2 #keys { (op.t("签名公钥", "Signing keys")) }
        @if !d.keys.is_empty() {
            div.table-wrap { table data-testid="keys" {
                thead { tr { th { (op.t("证书序列号", "Serial number")) } th { (op.t("适用", "For")) } th { (op.t("登记时间", "Registered")) }
                    th { (op.t("状态", "State")) } } }
                tbody { @for k in &d.keys {
                    tr {
                        td { code { (k.serial_no) } }
                        td { (k.store_id.map_or_else(|| op.t("整个商户", "The whole merchant").to_owned(), store_name)) }
                        td { (k.created_at.format("%Y-%m-%d %H:%M")) }
                        td {
                            @if let Some(at) = k.revoked_at {
                                span.badge.cancelled { (op.t("已吊销 ", "Revoked ")) (at.format("%Y-%m-%d %H:%M")) }
                            } @else if op.may(&Method::POST, &format!("{base}/keys/{}/revocation", k.serial_no)) {
                                form method="post" action=(format!("{here}/keys/{}/revocation", k.serial_no))
                                    data-confirm=(op.t("吊销后用该公钥签名的请求将被拒绝。确定？", "Requests signed with it will be refused. Revoke?")) {
                                    input type="hidden" name="_csrf" value=(op.csrf);
                                    button.danger type="submit" { (op.t("吊销", "Revoke")) }
                                }
                            } @else {
                                span.badge.ok { (op.t("有效", "Active")) }
                            }
                        }
                    }
                } }
            } }
        }
        @if op.may(&Method::POST, &format!("{base}/keys")) {
            form.stack method="post" action=(format!("{here}/keys")) data-testid="key-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in errors.general(&["public_key_pem", "store_id"]) { p.flash.error role="alert" { (message) } }
                (Field::new("public_key_pem", op.t("RSA 公钥（PEM，2048–8192 位）", "RSA public key (PEM, 2048–8192 bits)"), &form.public_key_pem)
                    .kind("textarea").hint("-----BEGIN PUBLIC KEY----- …").render(&errors))
                label {
                    (op.t("适用于", "For"))
                    select name="store_id" {
                        option value="" { (op.t("整个商户", "The whole merchant")) }
                        @for s in &d.stores { option value=(s.id) selected[form.store_id == s.id.to_string()] { (s.name) } }
                    }
                }
                div.actions { button type="submit" { (op.t("登记公钥", "Register key")) } }
            }
        }
    }
}

fn deliveries(op: &Operator, url: Option<&str>, items: &[DeliveryView], here: &str, base: &str) -> Markup {
    html! {
        h2 #webhook { (op.t("事件推送", "Webhook")) }
        div.card {
            p {
                (op.t("推送地址：", "Endpoint: "))
                @match url {
                    Some(url) => code data-testid="webhook-url" { (url) },
                    None => span.muted { (op.t("商户尚未通过接口设置。", "The merchant has set none through the partner API.")) },
                }
            }
            @if url.is_some() && op.may(&Method::POST, &format!("{base}/webhook/test-events")) {
                form method="post" action=(format!("{here}/webhook/test-events")) {
                    input type="hidden" name="_csrf" value=(op.csrf);
                    button.secondary type="submit" { (op.t("发送测试事件", "Send test event")) }
                }
            }
        }
        @if items.is_empty() {
            p.muted { (op.t("还没有推送记录。", "No deliveries yet.")) }
        } @else {
            div.table-wrap { table data-testid="deliveries" {
                thead { tr { th { (op.t("事件", "Event")) } th { (op.t("类型", "Type")) } th { (op.t("状态", "State")) }
                    th.num { (op.t("尝试", "Attempts")) } th { (op.t("最近错误", "Last error")) } th { (op.t("创建", "Created")) } } }
                tbody { @for d in items {
                    tr data-event=(d.event_id) {
                        td { code { (d.event_id) } }
                        td { (d.event_type) }
                        td { (badge(op, d.state)) }
                        td.num { (d.attempts) }
                        td { (d.last_error.as_deref().unwrap_or("")) }
                        td { (beijing(d.created_at.to_utc())) }
                    }
                } }
            } }
        }
    }
}
