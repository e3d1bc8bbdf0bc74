//! `/console/pickup-points`: the 职工服务中心, 站 and 点 of the operator's part of the tree where
//! gift vouchers are handed out, new ones, and the pickup operators assigned to each; and, from a
//! campaign's page, listing a gift at a pickup point or at a partner store.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, ConsoleError};
use super::session::{Operator, Posted};
use crate::admin::dto::{AdminView, RoleDto};
use crate::admin::AdminState;
use crate::campaigns::pickup::{self as api, CreatePoint, PointView};
use crate::campaigns::CampaignsState;
use crate::error::ApiError;
use crate::unions::UnionsState;

const SECTION: &str = "/console/pickup-points";
const API: &str = "/v1/admin/pickup-points";

const KINDS: [(&str, &str, &str); 3] = [
    ("center", "职工服务中心", "Service centre"),
    ("station", "职工服务站", "Service station"),
    ("point", "服务点", "Service point"),
];

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PointForm {
    name: String,
    kind: String,
    address: String,
    scope_code: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/pickup-points`.
pub async fn list(
    op: Operator,
    state: web::Data<CampaignsState>,
    admin: web::Data<AdminState>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let flash = match query.done.as_deref() {
        Some("create") => Some((true, op.t("领取点已添加。", "Pickup point added.").to_owned())),
        Some("assign") => Some((true, op.t("已指派领取点操作员。", "Operator assigned.").to_owned())),
        _ => None,
    };
    let form = PointForm { kind: "center".into(), ..PointForm::default() };
    render(&op, &state, &admin, flash, StatusCode::OK, &form, &Errors::default()).await
}

async fn render(
    op: &Operator,
    state: &CampaignsState,
    admin: &AdminState,
    flash: Option<(bool, String)>,
    status: StatusCode,
    form: &PointForm,
    errors: &Errors,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let points = state.pickup.points(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let points: Vec<PointView> = points.iter().map(PointView::from).collect();
    // Pickup operators the operator's scope holds, to assign (only an admin may).
    let may_assign =
        points.first().is_some_and(|p| op.may(&Method::PUT, &format!("{API}/{}/operators/{}", p.id, p.id)));
    let operators: Vec<AdminView> = if may_assign {
        let now = admin.clock.now();
        let all = admin.admins.list(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
        all.iter()
            .map(|a| AdminView::new(a, now))
            .filter(|a| a.role == RoleDto::PickupOperator && !a.disabled)
            .collect()
    } else {
        Vec::new()
    };
    let kind_name = |k: &str| KINDS.iter().find(|(c, ..)| *c == k).map_or("", |(_, zh, en)| op.t(zh, en));
    let body = html! {
        (page::flash(&flash))
        @if points.is_empty() {
            p.card { (op.t("还没有领取点。", "No pickup points yet.")) }
        } @else {
            div.table-wrap { table data-testid="points" {
                thead { tr { th { (op.t("领取点", "Pickup point")) } th { (op.t("类型", "Kind")) } th { (op.t("地址", "Address")) }
                    th { (op.t("范围", "Scope")) } @if may_assign && !operators.is_empty() { th { (op.t("指派操作员", "Assign an operator")) } } } }
                tbody { @for p in &points {
                    tr data-point=(p.id) {
                        td { (p.name) } td { (kind_name(p.kind)) } td { (p.address) }
                        td { code { (p.scope_code.as_deref().unwrap_or(op.t("全市", "Whole city"))) } }
                        @if may_assign && !operators.is_empty() {
                            td {
                                form.inline method="post" action=(format!("{SECTION}/{}/operators", p.id)) {
                                    input type="hidden" name="_csrf" value=(op.csrf);
                                    label { (op.t("操作员", "Operator"))
                                        select name="operator" { @for o in &operators { option value=(o.id) { (o.display_name) " (" (o.username) ")" } } } }
                                    button.secondary type="submit" { (op.t("指派", "Assign")) }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        @if op.may(&Method::POST, API) {
            h2 { (op.t("添加领取点", "Add a pickup point")) }
            form.stack method="post" action=(SECTION) data-testid="point-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in errors.general(&["name", "kind", "address", "scope_code"]) { p.flash.error role="alert" { (message) } }
                (Field::new("name", op.t("名称", "Name"), &form.name).render(errors))
                label { (op.t("类型", "Kind"))
                    select name="kind" { @for (code, zh, en) in KINDS { option value=(code) selected[form.kind == code] { (op.t(zh, en)) } } } }
                (Field::new("address", op.t("地址", "Address"), &form.address).render(errors))
                (Field::new("scope_code", op.t("所属工会编码（空为本人范围）", "Union it serves (a code; blank for your own part)"), &form.scope_code).optional().render(errors))
                div.actions { button type="submit" { (op.t("添加", "Add")) } }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, op.t("领取点", "Pickup points"), body, status))
}

/// `POST /console/pickup-points`: the API's create.
pub async fn create(
    posted: Posted<PointForm>,
    state: web::Data<CampaignsState>,
    admin: web::Data<AdminState>,
    unions: web::Data<UnionsState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, API)?;
    let request = CreatePoint {
        name: form.name.clone(),
        kind: form.kind.clone(),
        address: form.address.clone(),
        scope_code: Some(form.scope_code.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    match api::new_point(&state, &unions, &op.staff.actor, &request).await {
        Ok(_) => Ok(page::see_other(&format!("{SECTION}?done=create"))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            render(&op, &state, &admin, flash, e.status(), &form, &Errors::from_api(&e, op.lang)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    operator: uuid::Uuid,
}

/// `POST /console/pickup-points/{id}/operators`: the API's assignment.
pub async fn assign(
    posted: Posted<AssignForm>,
    state: web::Data<CampaignsState>,
    admin: web::Data<AdminState>,
    point: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let point = point.into_inner();
    op.admit(&Method::PUT, &format!("{API}/{point}/operators/{}", form.operator))?;
    match api::assign_operator(&state, &admin, &op.staff.actor, point, form.operator).await {
        Ok(()) => Ok(page::see_other(&format!("{SECTION}?done=assign"))),
        Err(e)
            if e.status().is_server_error() || matches!(e.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
        {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            render(&op, &state, &admin, flash, e.status(), &PointForm::default(), &Errors::default()).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListingForm {
    /// A pickup point's id, or a partner store's.
    place: String,
}

/// `POST /console/campaigns/{id}/gifts/{gift}/{pickup-points|stores}`: where a gift's vouchers
/// may be redeemed — the API's listing at a pickup point or a store.
pub async fn list_gift(
    posted: Posted<ListingForm>,
    state: web::Data<CampaignsState>,
    merchants: web::Data<crate::merchants::MerchantsState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let (raw, gift, kind) = path.into_inner();
    let id = super::campaigns::campaign_id(&op, &raw)?;
    let not_found = || {
        let e = ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "页面不存在", "No such page");
        ConsoleError::Refused(e, op.lang)
    };
    let gift: uuid::Uuid = gift.parse().map_err(|_| not_found())?;
    let place: Result<uuid::Uuid, _> = form.place.trim().parse();
    let done = match kind.as_str() {
        "pickup-points" => {
            op.admit(&Method::PUT, &format!("/v1/admin/campaigns/{}/gifts/{gift}/pickup-points/{gift}", id.0))?;
            match place {
                Ok(place) => api::list_gift_at(&state, &op.staff.actor, id.0, gift, place).await,
                Err(_) => Err(ApiError::validation("place", "请选择领取点", "choose a pickup point".into())),
            }
        }
        "stores" => {
            op.admit(&Method::PUT, &format!("/v1/admin/campaigns/{}/gifts/{gift}/stores/{gift}", id.0))?;
            match place {
                Ok(place) => {
                    crate::merchants::admin::gift_at_store(&merchants, &state, &op.staff.actor, id.0, gift, place).await
                }
                Err(_) => Err(ApiError::validation("place", "门店编号不正确", "not a store's id".into())),
            }
        }
        _ => return Err(not_found()),
    };
    match done {
        Ok(()) => Ok(page::see_other(&format!("/console/campaigns/{}?done=listed", id.0))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let message = e.message(op.lang).to_owned();
            super::campaigns::detail_page(&op, &state, id, Some((false, message)), e.status(), Default::default()).await
        }
    }
}
