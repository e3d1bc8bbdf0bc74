//! The merchant forms: a new merchant, a store, an offer, a signing key, and the buttons that
//! change a merchant's or an offer's status, revoke a key or send a test event. Each is read into
//! the API's own request and goes through the same conversion and service as the API, so a field
//! is refused with the API's message beside it and what was typed is kept.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{fen_of_yuan, Errors, Field};
use super::merchants::{detail_page, list_page, merchant_id, Forms, SECTION};
use super::page::{self, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::merchants::admin;
use crate::merchants::dto::{CreateMerchant, CreateOffer, CreateStore, RegisterKey, StoreView};
use crate::merchants::MerchantsState;
use domain::merchants::{MerchantId, OfferId};

const API: &str = "/v1/admin/merchants";

fn invalid(field: &'static str, zh: &'static str, en: &str) -> ApiError {
    ApiError::validation(field, zh, en.to_owned())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MerchantForm {
    pub name: String,
    pub category: String,
    pub contact: String,
    pub settlement_email: String,
    pub bank_merchant_id: String,
}

/// `POST /console/merchants`: the API's registration.
pub async fn create(
    posted: Posted<MerchantForm>,
    state: web::Data<MerchantsState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, API)?;
    let request = CreateMerchant {
        name: form.name.trim().to_owned(),
        category: form.category.trim().to_owned(),
        contact: form.contact.trim().to_owned(),
        settlement_email: form.settlement_email.trim().to_owned(),
        kind: None,
        bank_merchant_id: Some(form.bank_merchant_id.trim().to_owned()).filter(|b| !b.is_empty()),
    };
    match admin::new_merchant(&state, &op.staff.actor, &request).await {
        Ok(m) => Ok(page::see_other(&format!("{SECTION}/{}?done=create", m.id.0))),
        Err(e) if e.status().is_server_error() => Err(ConsoleError::Failed(e, op.lang)),
        Err(e) => list_page(&op, &state, &form, &Errors::from_api(&e, op.lang), e.status()).await,
    }
}

/// What a merchant's form came to: its page again, to see the change or the form refused.
async fn answer(
    op: &Operator,
    state: &MerchantsState,
    id: MerchantId,
    done: Result<&str, ApiError>,
    refused: impl FnOnce(Errors) -> Forms,
) -> Result<HttpResponse, ConsoleError> {
    match done {
        // After the change, a page of its own: reloading it changes nothing again.
        Ok(what) => Ok(page::see_other(&format!("{SECTION}/{}?done={what}#{}", id.0, anchor(what)))),
        Err(e) if e.status() == StatusCode::NOT_FOUND && e.field().is_none() => Err(ConsoleError::Refused(e, op.lang)),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let forms = refused(Errors::from_api(&e, op.lang));
            let flash = Some((false, e.message(op.lang).to_owned()));
            detail_page(op, state, id, flash, e.status(), forms).await
        }
    }
}

fn anchor(what: &str) -> &'static str {
    match what {
        "store" => "stores",
        "offer" | "offer-status" => "offers",
        "key" | "revoke" => "keys",
        "test" => "webhook",
        _ => "main",
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
}

/// `POST /console/merchants/{id}/status`: suspend or reactivate.
pub async fn status(
    posted: Posted<StatusForm>,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = merchant_id(&op, &id)?;
    op.admit(&Method::PUT, &format!("{API}/{}/status", id.0))?;
    let done = admin::change_status(&state, &op.staff.actor, id, &form.status).await.map(|()| "status");
    answer(&op, &state, id, done, |_| Forms::default()).await
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StoreForm {
    pub name: String,
    pub address: String,
    pub district: String,
    pub hours: String,
    pub lat: String,
    pub lng: String,
}

fn degrees(field: &'static str, raw: &str) -> Result<f64, ApiError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(field, "须为十进制度数，如 31.310700", "expected decimal degrees like 31.310700"))
}

impl StoreForm {
    fn request(&self) -> Result<CreateStore, ApiError> {
        Ok(CreateStore {
            name: self.name.trim().to_owned(),
            address: self.address.trim().to_owned(),
            district: self.district.trim().to_owned(),
            lat: degrees("lat", &self.lat)?,
            lng: degrees("lng", &self.lng)?,
            hours: self.hours.trim().to_owned(),
        })
    }
}

/// `POST /console/merchants/{id}/stores`.
pub async fn add_store(
    posted: Posted<StoreForm>,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = merchant_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{}/stores", id.0))?;
    let done = async { admin::new_store(&state, &op.staff.actor, id, &form.request()?).await.map(|_| "store") };
    let done = done.await;
    answer(&op, &state, id, done, |errors| Forms { store: Some((form, errors)), ..Forms::default() }).await
}

/// The offer form as posted: repeated check boxes (weekdays, stores) are why it is read from the
/// pairs rather than a struct.
#[derive(Debug, Default, Clone)]
pub struct OfferForm {
    pub title: String,
    pub kind: String,
    pub percent: String,
    pub amount_yuan: String,
    pub threshold_yuan: String,
    pub cap_yuan: String,
    pub valid_from: String,
    pub valid_until: String,
    pub weekdays: Vec<u8>,
    pub stores: Vec<String>,
    pub audience: String,
    pub daily_limit: String,
    pub total_limit: String,
    pub funder: String,
}

impl OfferForm {
    pub fn blank() -> Self {
        Self { kind: "percent_off".into(), audience: "activated".into(), funder: "merchant".into(), ..Self::default() }
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => form.title = v,
                "kind" => form.kind = v,
                "percent" => form.percent = v,
                "amount_yuan" => form.amount_yuan = v,
                "threshold_yuan" => form.threshold_yuan = v,
                "cap_yuan" => form.cap_yuan = v,
                "valid_from" => form.valid_from = v,
                "valid_until" => form.valid_until = v,
                "weekdays" => form.weekdays.extend(v.parse::<u8>().ok()),
                "stores" => form.stores.push(v),
                "audience" => form.audience = v,
                "daily_limit" => form.daily_limit = v,
                "total_limit" => form.total_limit = v,
                "funder" => form.funder = v,
                _ => {}
            }
        }
        form
    }

    fn request(&self) -> Result<CreateOffer, ApiError> {
        let optional_yuan = |field: &'static str, raw: &str| match raw.trim() {
            "" => Ok(None),
            raw => fen_of_yuan(raw).map(Some).ok_or_else(|| {
                invalid(field, "金额格式不正确（元，最多两位小数）", "expected yuan with at most two decimals")
            }),
        };
        let optional_count = |field: &'static str, raw: &str| match raw.trim() {
            "" => Ok(None),
            raw => raw.parse::<i64>().map(Some).map_err(|_| invalid(field, "须为整数", "expected a whole number")),
        };
        let date = |field: &'static str, raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| invalid(field, "日期格式须为 YYYY-MM-DD", "expected YYYY-MM-DD"))
        };
        let percent_bps = match self.percent.trim() {
            "" => None,
            raw => Some(fen_of_yuan(raw).ok_or_else(|| {
                invalid("percent", "须为百分数，最多两位小数，如 12.5", "expected a percentage like 12.5")
            })?),
        };
        let stores = self
            .stores
            .iter()
            .map(|s| s.parse::<uuid::Uuid>().map_err(|_| invalid("stores", "门店不正确", "unknown store")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CreateOffer {
            title: self.title.trim().to_owned(),
            kind: self.kind.clone(),
            percent_bps,
            amount_fen: optional_yuan("amount_yuan", &self.amount_yuan)?,
            threshold_fen: optional_yuan("threshold_yuan", &self.threshold_yuan)?,
            cap_fen: optional_yuan("cap_yuan", &self.cap_yuan)?,
            valid_from: date("valid_from", &self.valid_from)?,
            valid_until: date("valid_until", &self.valid_until)?,
            weekdays: self.weekdays.clone(),
            store_ids: Some(stores).filter(|s| !s.is_empty()),
            audience: self.audience.clone(),
            daily_limit: optional_count("daily_limit", &self.daily_limit)?,
            total_limit: optional_count("total_limit", &self.total_limit)?,
            funder: Some(self.funder.clone()).filter(|f| !f.is_empty()),
        })
    }
}

/// The API names amounts in fen; the form's fields are in yuan (and the percentage in percent).
fn offer_field(e: ApiError) -> ApiError {
    let to = match e.field() {
        Some("percent_bps") => "percent",
        Some("amount_fen") => "amount_yuan",
        Some("threshold_fen") => "threshold_yuan",
        Some("cap_fen") => "cap_yuan",
        Some("store_ids") => "stores",
        _ => return e,
    };
    e.with("field", to)
}

pub(super) fn offer_fields(
    op: &Operator,
    stores: &[StoreView],
    here: &str,
    form: &OfferForm,
    errors: &Errors,
) -> Markup {
    let fields = [
        "title",
        "kind",
        "percent",
        "amount_yuan",
        "threshold_yuan",
        "cap_yuan",
        "valid_from",
        "valid_until",
        "weekdays",
        "stores",
        "audience",
        "daily_limit",
        "total_limit",
        "funder",
    ];
    let days = [
        (1, "一", "Mon"),
        (2, "二", "Tue"),
        (3, "三", "Wed"),
        (4, "四", "Thu"),
        (5, "五", "Fri"),
        (6, "六", "Sat"),
        (7, "日", "Sun"),
    ];
    let choice = |name: &'static str, label: &str, value: &str, options: &[(&str, &str, &str)]| {
        html! {
            label {
                (label)
                select name=(name) aria-invalid=[errors.of(name).map(|_| "true")] {
                    @for (code, zh, en) in options { option value=(code) selected[value == *code] { (op.t(zh, en)) } }
                }
                @if let Some(e) = errors.of(name) { span.field-error role="alert" { (e) } }
            }
        }
    };
    html! {
        form.stack method="post" action=(format!("{here}/offers")) data-testid="offer-form" {
            input type="hidden" name="_csrf" value=(op.csrf);
            @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
            (Field::new("title", op.t("优惠名称", "Title"), &form.title).render(errors))
            (choice("kind", op.t("优惠方式", "Kind"), &form.kind, &[("percent_off", "折扣（按百分比减）", "Percent off"), ("amount_off", "立减", "Amount off"), ("spend_save", "满减", "Spend and save")]))
            (Field::new("percent", op.t("减百分之几（折扣方式）", "Percent off (percent kind)"), &form.percent).optional().hint(op.t("如 12.5 即 87.5 折", "e.g. 12.5")).render(errors))
            (Field::new("amount_yuan", op.t("减多少元（立减、满减）", "Yuan off (amount, spend and save)"), &form.amount_yuan).optional().render(errors))
            (Field::new("threshold_yuan", op.t("满多少元（满减）", "Spend at least, yuan (spend and save)"), &form.threshold_yuan).optional().render(errors))
            (Field::new("cap_yuan", op.t("单笔优惠封顶（元，可空）", "Cap per sale, yuan (optional)"), &form.cap_yuan).optional().render(errors))
            (Field::new("valid_from", op.t("生效日期", "Valid from"), &form.valid_from).kind("date").render(errors))
            (Field::new("valid_until", op.t("截止日期", "Valid until"), &form.valid_until).kind("date").render(errors))
            fieldset {
                legend { (op.t("适用星期（都不选为每天）", "Weekdays (none for every day)")) }
                @for (n, zh, en) in days {
                    label.inline { input type="checkbox" name="weekdays" value=(n) checked[form.weekdays.contains(&n)]; (op.t(zh, en)) }
                }
                @if let Some(e) = errors.of("weekdays") { span.field-error role="alert" { (e) } }
            }
            @if !stores.is_empty() {
                fieldset {
                    legend { (op.t("适用门店（都不选为全部门店）", "Stores (none for all)")) }
                    @for s in stores {
                        label.inline { input type="checkbox" name="stores" value=(s.id) checked[form.stores.contains(&s.id.to_string())]; (s.name) }
                    }
                    @if let Some(e) = errors.of("stores") { span.field-error role="alert" { (e) } }
                }
            }
            (choice("audience", op.t("适用会员", "Audience"), &form.audience, &[("activated", "已激活会员", "Activated members"), ("cardholders", "持卡会员", "Cardholders")]))
            (Field::new("daily_limit", op.t("每人每日限用（可空）", "Per member a day (optional)"), &form.daily_limit).kind("number").optional().render(errors))
            (Field::new("total_limit", op.t("每人总限用（可空）", "Per member in all (optional)"), &form.total_limit).kind("number").optional().render(errors))
            (choice("funder", op.t("出资方", "Funder"), &form.funder, &[("merchant", "商户", "Merchant"), ("union", "工会", "Union"), ("bank", "银行", "Bank")]))
            div.actions { button type="submit" { (op.t("创建优惠草稿", "Draft the offer")) } }
        }
    }
}

/// `POST /console/merchants/{id}/offers`: a draft offer.
pub async fn add_offer(
    posted: Posted<Vec<(String, String)>>,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let form = OfferForm::from_pairs(form);
    let id = merchant_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{}/offers", id.0))?;
    let done = async { admin::new_offer(&state, &op.staff.actor, id, &form.request()?).await.map(|_| "offer") };
    let done = done.await.map_err(offer_field);
    answer(&op, &state, id, done, |errors| Forms { offer: Some((form, errors)), ..Forms::default() }).await
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /console/merchants/{id}/offers/{offer}/{status}`: publish, pause or expire.
pub async fn offer_status(
    posted: Posted<Nothing>,
    state: web::Data<MerchantsState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let (raw, offer, to) = path.into_inner();
    let id = merchant_id(&op, &raw)?;
    let offer = offer.parse::<uuid::Uuid>().map(OfferId).map_err(|_| {
        ConsoleError::Refused(
            ApiError::new(StatusCode::NOT_FOUND, "offer.not_found", "优惠不存在", "No such offer"),
            op.lang,
        )
    })?;
    op.admit(&Method::PUT, &format!("{API}/{}/offers/{}/status", id.0, offer.0))?;
    let done = admin::change_offer(&state, &op.staff.actor, id, offer, &to).await.map(|_| "offer-status");
    answer(&op, &state, id, done, |_| Forms::default()).await
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    pub public_key_pem: String,
    pub store_id: String,
}

/// `POST /console/merchants/{id}/keys`.
pub async fn add_key(
    posted: Posted<KeyForm>,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = merchant_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{}/keys", id.0))?;
    let done = async {
        let store_id = match form.store_id.trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| invalid("store_id", "门店不正确", "unknown store"))?),
        };
        let request = RegisterKey { public_key_pem: form.public_key_pem.clone(), store_id };
        admin::new_key(&state, &op.staff.actor, id, &request).await.map(|_| "key")
    };
    let done = done.await;
    answer(&op, &state, id, done, |errors| Forms { key: Some((form, errors)), ..Forms::default() }).await
}

/// `POST /console/merchants/{id}/keys/{serial}/revocation`.
pub async fn revoke_key(
    posted: Posted<Nothing>,
    state: web::Data<MerchantsState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let (raw, serial) = path.into_inner();
    let id = merchant_id(&op, &raw)?;
    op.admit(&Method::POST, &format!("{API}/{}/keys/{serial}/revocation", id.0))?;
    let done = admin::revoke(&state, &op.staff.actor, id, &serial).await.map(|()| "revoke");
    answer(&op, &state, id, done, |_| Forms::default()).await
}

/// `POST /console/merchants/{id}/webhook/test-events`.
pub async fn test_event(
    posted: Posted<Nothing>,
    state: web::Data<MerchantsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let id = merchant_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{}/webhook/test-events", id.0))?;
    let done = state.merchants.send_test_event(&op.staff.actor, id).await.map(|_| "test").map_err(ApiError::from);
    answer(&op, &state, id, done, |_| Forms::default()).await
}
