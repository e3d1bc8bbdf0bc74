//! The campaign forms: a new campaign, a gift for a draft, a higher budget or stock. Each is read
//! into the API's own request and goes through the same conversion and service, so a field is
//! refused with the API's message, shown beside it, and what was typed is kept. The budget and
//! stock forms carry the figure they showed: if someone changed it meanwhile, the form is refused
//! as stale instead of overwriting their change.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use maud::html;
use serde::Deserialize;

use super::campaigns::{campaign_id, detail_page, Forms};
use super::forms::{fen_of_yuan, Errors, Field};
use super::page::{self, ConsoleError};
use super::session::{Operator, Posted};
use crate::campaigns::dto::{CreateCampaign, CreateGift, WaveDto};
use crate::campaigns::CampaignsState;
use crate::error::ApiError;
use crate::unions::UnionsState;
use domain::campaigns::service::NewGift;
use domain::campaigns::{GiftId, Holiday};
use domain::shared::money::Fen;

const HOLIDAYS: [&str; 6] = ["labor_day", "dragon_boat", "mid_autumn", "national_day", "new_year", "spring_festival"];

fn invalid(field: &'static str, zh: &'static str, en: &str) -> ApiError {
    ApiError::validation(field, zh, en.to_owned())
}

/// A Beijing date-time from a `datetime-local` input (to the minute or second).
fn local_time(field: &'static str, raw: &str) -> Result<NaiveDateTime, ApiError> {
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw.trim(), f).ok())
        .ok_or_else(|| {
            invalid(
                field,
                "时间格式不正确（北京时间，如 2026-10-01T10:00）",
                "expected a Beijing date-time like 2026-10-01T10:00",
            )
        })
}

fn number(field: &'static str, raw: &str) -> Result<u32, ApiError> {
    raw.trim().parse().map_err(|_| invalid(field, "须为非负整数", "expected a whole number"))
}

fn yuan(field: &'static str, raw: &str) -> Result<i64, ApiError> {
    fen_of_yuan(raw)
        .ok_or_else(|| invalid(field, "金额格式不正确（元，最多两位小数）", "expected yuan with at most two decimals"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    title: String,
    holiday: String,
    starts_at: String,
    ends_at: String,
    per_member_limit: String,
    budget_yuan: String,
    union_codes: String,
    joined_before: String,
    cardholders_only: Option<String>,
    scope_code: String,
}

impl CampaignForm {
    fn request(&self) -> Result<CreateCampaign, ApiError> {
        let joined_before = match self.joined_before.trim() {
            "" => None,
            raw => Some(
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| invalid("joined_before", "日期格式须为 YYYY-MM-DD", "expected YYYY-MM-DD"))?,
            ),
        };
        Ok(CreateCampaign {
            title: self.title.trim().to_owned(),
            holiday: self.holiday.clone(),
            starts_at: local_time("starts_at", &self.starts_at)?,
            ends_at: local_time("ends_at", &self.ends_at)?,
            per_member_limit: number("per_member_limit", &self.per_member_limit)?,
            budget_fen: yuan("budget_yuan", &self.budget_yuan)?,
            union_codes: self
                .union_codes
                .split([',', '，', ' ', '\n'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            joined_before,
            cardholders_only: self.cardholders_only.is_some(),
            scope_code: Some(self.scope_code.trim().to_owned()).filter(|s| !s.is_empty()),
        })
    }
}

/// The API names a refused budget `budget_fen`; the form's field is in yuan.
fn form_field(e: ApiError) -> ApiError {
    match e.field() {
        Some("budget_fen") => e.with("field", "budget_yuan"),
        Some("unit_cost_fen") => e.with("field", "unit_cost_yuan"),
        _ => e,
    }
}

fn new_page(op: &Operator, form: &CampaignForm, errors: &Errors, status: StatusCode) -> HttpResponse {
    let fields = [
        "title",
        "holiday",
        "starts_at",
        "ends_at",
        "per_member_limit",
        "budget_yuan",
        "union_codes",
        "joined_before",
        "scope_code",
    ];
    let body = html! {
        @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
        form.stack method="post" action="/console/campaigns/new" {
            input type="hidden" name="_csrf" value=(op.csrf);
            (Field::new("title", op.t("活动名称", "Title"), &form.title).render(errors))
            label {
                (op.t("节日", "Holiday"))
                select name="holiday" aria-invalid=[errors.of("holiday").map(|_| "true")] {
                    @for code in HOLIDAYS {
                        @let name = Holiday::parse(code).map(|h| h.display_name().to_owned()).unwrap_or_default();
                        option value=(code) selected[form.holiday == code] { (name) }
                    }
                }
                @if let Some(e) = errors.of("holiday") { span.field-error role="alert" { (e) } }
            }
            (Field::new("starts_at", op.t("开始（北京时间）", "Starts (Beijing)"), &form.starts_at).kind("datetime-local").render(errors))
            (Field::new("ends_at", op.t("结束（北京时间）", "Ends (Beijing)"), &form.ends_at).kind("datetime-local").render(errors))
            (Field::new("per_member_limit", op.t("每人限领（1–10）", "Per member (1–10)"), &form.per_member_limit).kind("number").render(errors))
            (Field::new("budget_yuan", op.t("预算（元）", "Budget (yuan)"), &form.budget_yuan).hint(op.t("如 500000.00", "e.g. 500000.00")).render(errors))
            (Field::new("union_codes", op.t("限定基层工会编码（可空，逗号分隔）", "Only these unions (codes, comma-separated; blank for all)"), &form.union_codes).optional().render(errors))
            (Field::new("joined_before", op.t("入会早于（可空）", "Joined before (optional)"), &form.joined_before).kind("date").optional().render(errors))
            (Field::new("scope_code", op.t("组织范围（工会编码，空为本人范围）", "Part of the tree (a union's code; blank for your own)"), &form.scope_code).optional().render(errors))
            label.inline {
                input type="checkbox" name="cardholders_only" checked[form.cardholders_only.is_some()];
                (op.t("仅限持卡会员", "Cardholders only"))
            }
            div.actions { button type="submit" { (op.t("创建草稿", "Create draft")) } }
        }
    };
    page::screen_with_status(op, "/console/campaigns", op.t("新建活动", "New campaign"), body, status)
}

/// `GET /console/campaigns/new`.
pub async fn new_form(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::POST, "/v1/admin/campaigns")?;
    let form = CampaignForm { holiday: "national_day".into(), per_member_limit: "1".into(), ..Default::default() };
    Ok(new_page(&op, &form, &Errors::default(), StatusCode::OK))
}

/// `POST /console/campaigns/new`: the API's create, a draft.
pub async fn create(
    posted: Posted<CampaignForm>,
    state: web::Data<CampaignsState>,
    unions: web::Data<UnionsState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, "/v1/admin/campaigns")?;
    let created = async {
        let new = crate::campaigns::admin::asked(form.request()?, &unions, &op.staff).await?;
        Ok::<_, ApiError>(state.campaigns.create(&op.staff.actor, new).await?)
    };
    match created.await {
        Ok(c) => Ok(page::see_other(&format!("/console/campaigns/{}?done=create", c.id.0))),
        Err(e) if e.status().is_server_error() => Err(ConsoleError::Failed(e, op.lang)),
        Err(e) => {
            let e = form_field(e);
            Ok(new_page(&op, &form, &Errors::from_api(&e, op.lang), e.status()))
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct GiftForm {
    pub name: String,
    pub unit_cost_yuan: String,
    pub stock: String,
    pub per_member_limit: String,
    pub valid_until: String,
    pub funder: String,
    /// One wave a line: `2026-10-01T10:00 4000`.
    pub waves: String,
    pub daily_cap: String,
}

impl GiftForm {
    fn request(&self) -> Result<CreateGift, ApiError> {
        let waves = self
            .waves
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let bad = || {
                    invalid(
                        "waves",
                        "每行一批：北京时间 数量，如 2026-10-01T10:00 4000",
                        "one wave a line: a Beijing time and a quantity",
                    )
                };
                let (at, quantity) = line.rsplit_once([' ', '\t', '×', 'x']).ok_or_else(bad)?;
                let at = local_time("waves", at.trim_end_matches([' ', '×', 'x']))?;
                Ok(WaveDto {
                    at: at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                    quantity: quantity.trim().parse().map_err(|_| bad())?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(CreateGift {
            name: self.name.trim().to_owned(),
            unit_cost_fen: yuan("unit_cost_yuan", &self.unit_cost_yuan)?,
            stock: number("stock", &self.stock)?,
            per_member_limit: number("per_member_limit", &self.per_member_limit)?,
            valid_until: NaiveDate::parse_from_str(self.valid_until.trim(), "%Y-%m-%d")
                .map_err(|_| invalid("valid_until", "日期格式须为 YYYY-MM-DD", "expected YYYY-MM-DD"))?,
            funder: self.funder.clone(),
            waves,
            daily_cap: match self.daily_cap.trim() {
                "" => None,
                raw => Some(number("daily_cap", raw)?),
            },
        })
    }
}

fn refused(op: &Operator, e: ApiError) -> Result<(Errors, StatusCode), ConsoleError> {
    if e.status().is_server_error() || e.status() == StatusCode::NOT_FOUND {
        return Err(ConsoleError::Refused(e, op.lang));
    }
    let e = form_field(e);
    Ok((Errors::from_api(&e, op.lang), e.status()))
}

/// `POST /console/campaigns/{id}/gifts`: the API's add-gift, to a draft.
pub async fn add_gift(
    posted: Posted<GiftForm>,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::POST, &format!("/v1/admin/campaigns/{}/gifts", id.0))?;
    let added = async {
        let new = NewGift::try_from(form.request()?)?;
        Ok::<_, ApiError>(state.campaigns.add_gift(&op.staff.actor, id, new).await?)
    };
    match added.await {
        Ok(_) => Ok(page::see_other(&format!("/console/campaigns/{}?done=gift", id.0))),
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            let forms = Forms { gift: Some((form, errors)), ..Forms::default() };
            detail_page(&op, &state, id, None, status, forms).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FigureForm {
    /// The new figure: yuan for a budget, units for a stock.
    value: String,
    /// The figure the form showed (fen or units), to tell a stale form.
    seen: String,
}

/// `POST /console/campaigns/{id}/budget`: the API's raise-budget, refused if the budget is no
/// longer the one the form showed.
pub async fn raise_budget(
    posted: Posted<FigureForm>,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::PUT, &format!("/v1/admin/campaigns/{}/budget", id.0))?;
    let raised = async {
        let budget = yuan("budget_yuan", &form.value)?;
        let seen = form.seen.trim().parse::<i64>().ok().map(Fen::new);
        Ok::<_, ApiError>(state.campaigns.raise_budget(&op.staff.actor, id, Fen::new(budget), seen).await?)
    };
    match raised.await {
        Ok(_) => Ok(page::see_other(&format!("/console/campaigns/{}?done=budget", id.0))),
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            let forms = Forms { budget: Some((form.value, errors)), ..Forms::default() };
            detail_page(&op, &state, id, None, status, forms).await
        }
    }
}

/// `POST /console/campaigns/{id}/gifts/{gift}/stock`: the API's raise-stock, refused if the stock
/// is no longer the one the form showed.
pub async fn raise_stock(
    posted: Posted<FigureForm>,
    state: web::Data<CampaignsState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let (raw, gift) = path.into_inner();
    let id = campaign_id(&op, &raw)?;
    let Ok(gift) = gift.parse::<uuid::Uuid>().map(GiftId) else {
        let e = ApiError::new(StatusCode::NOT_FOUND, "gift.not_found", "礼品不存在", "No such gift in this campaign");
        return Err(ConsoleError::Refused(e, op.lang));
    };
    op.admit(&Method::PATCH, &format!("/v1/admin/campaigns/{}/gifts/{}", id.0, gift.0))?;
    let raised = async {
        let stock = number("stock", &form.value)?;
        let seen = form.seen.trim().parse::<u32>().ok();
        Ok::<_, ApiError>(state.campaigns.raise_stock(&op.staff.actor, id, gift, stock, seen).await?)
    };
    match raised.await {
        Ok(_) => Ok(page::see_other(&format!("/console/campaigns/{}?done=stock", id.0))),
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            let forms = Forms { stock: Some((gift, form.value, errors)), ..Forms::default() };
            detail_page(&op, &state, id, None, status, forms).await
        }
    }
}
