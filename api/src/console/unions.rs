//! `/console/unions`: the organisation tree from the operator's own union down — one union with
//! the way up to it and the unions under it, found by name, code or employer; unions added,
//! renamed, moved (with everything under them), merged and closed with the API's own rules; the
//! tree file imported with its progress and exported.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::unions::dto::{MergeRequest, NewUnionRequest, UnionKindDto, UnionNodeView, UnionPatch};
use crate::unions::{code, UnionsState};
use domain::shared::PageRequest;
use domain::unions::model::{NewNode, NodeChange, NodeFilter};
use domain::unions::UnionCode;

pub(super) const SECTION: &str = "/console/unions";
pub(super) const API: &str = "/v1/admin/unions";

/// Kinds a union added by staff may have (the root is the city's alone).
const KINDS: [(&str, UnionKindDto); 5] = [
    ("district", UnionKindDto::District),
    ("town", UnionKindDto::Town),
    ("industry", UnionKindDto::Industry),
    ("grassroots", UnionKindDto::Grassroots),
    ("joint", UnionKindDto::Joint),
];

fn kind_label(op: &Operator, kind: &str) -> &'static str {
    match kind {
        "district" => op.t("区总工会（市、区、县级市）", "District federation"),
        "town" => op.t("镇、街道、开发区总工会", "Town, street or zone federation"),
        "industry" => op.t("产业工会", "Industry union"),
        "grassroots" => op.t("基层工会", "Grassroots union"),
        "joint" => op.t("联合工会", "Joint union"),
        _ => op.t("市总工会", "City federation"),
    }
}

fn refused(op: &Operator) -> impl Fn(domain::unions::UnionError) -> ConsoleError + '_ {
    move |e| ConsoleError::Refused(e.into(), op.lang)
}

pub(super) fn code_of(op: &Operator, raw: &str) -> Result<UnionCode, ConsoleError> {
    code("code", raw).map_err(|_| {
        let e = ApiError::new(StatusCode::NOT_FOUND, "union.not_found", "工会不存在", "No such union");
        ConsoleError::Refused(e, op.lang)
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Find {
    q: String,
    unplaced: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

/// The forms of a union's page as last posted, with what was refused.
#[derive(Default)]
struct Typed {
    change: Option<(ChangeForm, Errors)>,
    child: Option<(ChildForm, Errors)>,
    merge: Option<(MergeForm, Errors)>,
}

/// `GET /console/unions`: the operator's own union.
pub async fn home(
    op: Operator,
    state: web::Data<UnionsState>,
    query: web::Query<Find>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let home = state.unions.home(&op.staff.actor).await.map_err(refused(&op))?;
    node_page(&op, &state, home.code, &query, None, StatusCode::OK, Typed::default()).await
}

/// `GET /console/unions/{code}`.
pub async fn one(
    op: Operator,
    state: web::Data<UnionsState>,
    raw: web::Path<String>,
    query: web::Query<Find>,
) -> Result<HttpResponse, ConsoleError> {
    let target = code_of(&op, &raw)?;
    op.admit(&Method::GET, &format!("{API}/{target}"))?;
    let flash = match query.done.as_deref() {
        Some("create") => Some(op.t("工会已添加。", "Union added.")),
        Some("change") => Some(op.t("已保存。", "Saved.")),
        Some("merge") => Some(op.t("已合并，会员已转入。", "Merged: its members moved.")),
        Some("close") => Some(op.t("工会已撤销。", "Union closed.")),
        _ => None,
    };
    let flash = flash.map(|m| (true, m.to_owned()));
    node_page(&op, &state, target, &query, flash, StatusCode::OK, Typed::default()).await
}

async fn node_page(
    op: &Operator,
    state: &UnionsState,
    target: UnionCode,
    find: &Find,
    flash: Option<(bool, String)>,
    status: StatusCode,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    let node = state.unions.get(&op.staff.actor, &target).await.map_err(refused(op))?;
    let view = UnionNodeView::from(node.clone());
    let searching = !find.q.trim().is_empty() || find.unplaced.is_some();
    let filter = NodeFilter {
        under: Some(node.path.clone()),
        parent: (!searching).then(|| node.code.clone()),
        kind: None,
        text: Some(find.q.trim().to_owned()).filter(|q| !q.is_empty()),
        unplaced_only: find.unplaced.is_some(),
        with_closed: false,
        joinable_only: false,
    };
    let page = PageRequest::parse(Some(50), find.cursor.as_deref()).map_err(|_| ConsoleError::BadForm(op.lang))?;
    let found = state.unions.list(&op.staff.actor, filter, page).await.map_err(refused(op))?;
    let rows: Vec<UnionNodeView> =
        found.items.into_iter().filter(|n| n.code != node.code).map(UnionNodeView::from).collect();
    let here = format!("{SECTION}/{}", view.code);
    let next = found.next.map(|c| {
        format!(
            "{here}?q={}&cursor={}{}",
            find.q.trim(),
            c.encode(),
            if find.unplaced.is_some() { "&unplaced=on" } else { "" }
        )
    });
    let body = html! {
        (page::flash(&flash))
        nav.crumbs aria-label=(op.t("所在位置", "Where in the tree")) {
            @for (i, c) in view.path.iter().enumerate() {
                @if i > 0 { " › " }
                @if *c == view.code { strong { (c) } } @else { a href=(format!("{SECTION}/{c}")) { (c) } }
            }
        }
        (card(op, &view))
        form.inline method="get" action=(here) data-testid="union-search" {
            (Field::new("q", op.t("在此之下查找：名称、编码或覆盖单位", "Find under it: a name, code or employer"), &find.q).optional().render(&Errors::default()))
            label.inline { input type="checkbox" name="unplaced" checked[find.unplaced.is_some()]; (op.t("仅待归位", "Unplaced only")) }
            button.secondary type="submit" { (op.t("查找", "Find")) }
        }
        h2 { @if searching { (op.t("查找结果", "Found")) } @else { (op.t("下级工会", "Unions under it")) } }
        @if rows.is_empty() {
            p.muted { (op.t("没有。", "None.")) }
        } @else {
            div.table-wrap { table data-testid="unions" {
                thead { tr { th { (op.t("工会", "Union")) } th { (op.t("编码", "Code")) } th { (op.t("类型", "Kind")) } th { (op.t("上级", "Parent")) } } }
                tbody { @for n in &rows {
                    tr data-union=(n.code) {
                        td { a href=(format!("{SECTION}/{}", n.code)) { (n.name) } @if n.unplaced { " " span.badge.draft { (op.t("待归位", "Unplaced")) } } }
                        td { code { (n.code) } }
                        td { (kind_label(op, n.kind)) }
                        td { (n.parent_code.clone().unwrap_or_default()) }
                    }
                } }
            } }
            @if let Some(next) = next { div.pager { a href=(next) { (op.t("下一页 →", "Next page →")) } } }
        }
        @if view.closed_at.is_none() { (forms(op, &view, &here, typed)) }
        h2 { (op.t("组织架构文件", "The tree file")) }
        div.card {
            div.actions {
                a.button.secondary href=(format!("{SECTION}/export.csv?under={}", view.code)) download { (op.t("导出此工会及以下（CSV）", "Export this union and all under it (CSV)")) }
                a.button.secondary href=(format!("{SECTION}/template.csv")) download { (op.t("下载空白模板", "Download the blank template")) }
            }
            @if op.may(&Method::POST, &format!("{API}/imports")) {
                form.stack data-upload=(format!("{SECTION}/imports")) data-testid="unions-upload" {
                    label {
                        (op.t("导入组织架构文件（CSV：工会编码、工会名称、类型、上级工会编码、覆盖单位）", "Import a tree file (CSV: code, name, kind, parent code, employers)"))
                        input type="file" name="file" accept=".csv,text/csv" required;
                    }
                    label.inline { input type="checkbox" name="dry_run"; (op.t("仅检查，不写入", "Check only, write nothing")) }
                    div.actions { button type="submit" { (op.t("上传并导入", "Upload and import")) } }
                    label { (op.t("上传进度", "Upload")) progress data-upload-progress max="100" value="0" {} }
                }
                div data-import-status aria-live="polite" {}
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, &view.name, body, status))
}

fn card(op: &Operator, n: &UnionNodeView) -> Markup {
    html! {
        div.card data-testid="union" data-code=(n.code) {
            p { strong { (n.name) } " · " (kind_label(op, n.kind)) " · " code { (n.code) }
                @if n.unplaced { " " span.badge.draft { (op.t("待归位：由名册编码生成，请移到所属上级下", "Unplaced: made from a roster code; move it under its parent")) } } }
            @if !n.employers.is_empty() { p { (op.t("覆盖单位：", "Employers: ")) (n.employers.join("；")) } }
            p { a href=(format!("{SECTION}/{}/report", n.code)) { (op.t("会员报表（按月，含图表）", "Membership report (by month, drawn)")) } }
            @if let Some(at) = n.closed_at {
                p.flash.error { (op.t("已撤销 ", "Closed ")) (beijing(at))
                    @if let Some(into) = &n.merged_into { " · " (op.t("并入 ", "merged into ")) a href=(format!("{SECTION}/{into}")) { (into) } } }
            }
        }
    }
}

fn forms(op: &Operator, n: &UnionNodeView, here: &str, typed: Typed) -> Markup {
    let base = format!("{API}/{}", n.code);
    let (change, change_errors) = typed.change.unwrap_or_else(|| {
        (
            ChangeForm {
                name: n.name.clone(),
                parent_code: n.parent_code.clone().unwrap_or_default(),
                employers: n.employers.join("\n"),
            },
            Errors::default(),
        )
    });
    let (child, child_errors) = typed
        .child
        .unwrap_or_else(|| (ChildForm { kind: "grassroots".into(), ..ChildForm::default() }, Errors::default()));
    let (merge, merge_errors) = typed.merge.unwrap_or_default();
    let grassroots = matches!(n.kind, "grassroots" | "joint");
    let is_root = n.parent_code.is_none();
    html! {
        @if op.may(&Method::PATCH, &base) {
            h2 { (op.t("修改", "Change")) }
            form.stack method="post" action=(format!("{here}/change")) data-testid="union-change" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in change_errors.general(&["name", "parent_code", "employers"]) { p.flash.error role="alert" { (message) } }
                (Field::new("name", op.t("名称", "Name"), &change.name).render(&change_errors))
                @if !is_root {
                    (Field::new("parent_code", op.t("上级工会编码（改动即连同下级整体迁移）", "Parent's code (changing it moves everything under it too)"), &change.parent_code).render(&change_errors))
                }
                @if grassroots {
                    (Field::new("employers", op.t("覆盖单位（每行一个）", "Employers covered (one a line)"), &change.employers).kind("textarea").optional().render(&change_errors))
                }
                div.actions { button type="submit" { (op.t("保存", "Save")) } }
            }
        }
        @if !grassroots && op.may(&Method::POST, API) {
            h2 { (op.t("添加下级工会", "Add a union under it")) }
            form.stack method="post" action=(format!("{here}/children")) data-testid="union-child" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in child_errors.general(&["code", "name", "kind", "employers"]) { p.flash.error role="alert" { (message) } }
                (Field::new("code", op.t("编码（统一社会信用代码，或总工会编码）", "Code (the 统一社会信用代码, or the federation's own code)"), &child.code).render(&child_errors))
                (Field::new("name", op.t("名称", "Name"), &child.name).render(&child_errors))
                label {
                    (op.t("类型", "Kind"))
                    select name="kind" {
                        @for (k, _) in KINDS { option value=(k) selected[child.kind == k] { (kind_label(op, k)) } }
                    }
                    @if let Some(e) = child_errors.of("kind") { span.field-error role="alert" { (e) } }
                }
                (Field::new("employers", op.t("覆盖单位（基层、联合工会；每行一个）", "Employers covered (grassroots and joint unions; one a line)"), &child.employers).kind("textarea").optional().render(&child_errors))
                div.actions { button type="submit" { (op.t("添加", "Add")) } }
            }
        }
        @if grassroots && op.may(&Method::POST, &format!("{base}/merge")) {
            h2 { (op.t("合并到另一基层工会", "Merge into another grassroots union")) }
            form.inline method="post" action=(format!("{here}/merge")) data-testid="union-merge"
                data-confirm=(op.t("会员将全部转入对方，本工会随即撤销。确定？", "Its members all move, and this union closes. Merge?")) {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in merge_errors.general(&["into"]) { span.field-error role="alert" { (message) } }
                (Field::new("into", op.t("并入的工会编码", "The union that takes the members"), &merge.into).render(&merge_errors))
                button.secondary type="submit" { (op.t("合并", "Merge")) }
            }
        }
        @if grassroots && op.may(&Method::POST, &format!("{base}/moves")) {
            h2 { (op.t("整批转入会员", "Move members here in bulk")) }
            form.stack data-upload=(format!("{here}/moves")) data-testid="moves-upload" {
                label {
                    (op.t("会员编号文件（CSV，一列“会员编号”），这些在会会员将转入本工会", "A file of member numbers (CSV, a 会员编号 column): these active members move to this union"))
                    input type="file" name="file" accept=".csv,text/csv" required;
                }
                div.actions { button type="submit" { (op.t("上传并转入", "Upload and move")) } }
                label { (op.t("上传进度", "Upload")) progress data-upload-progress max="100" value="0" {} }
            }
            div data-import-status aria-live="polite" {}
        }
        @if !is_root && op.may(&Method::POST, &format!("{base}/closure")) {
            form method="post" action=(format!("{here}/closure")) data-confirm=(op.t("撤销后不再接收新会员和下级工会。确定？", "It will take no new members or unions. Close it?")) {
                input type="hidden" name="_csrf" value=(op.csrf);
                button.danger type="submit" { (op.t("撤销此工会", "Close this union")) }
            }
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    name: String,
    parent_code: String,
    employers: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ChildForm {
    code: String,
    name: String,
    kind: String,
    employers: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct MergeForm {
    into: String,
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// A refused form's page again with the API's message beside its field, or on to the union.
async fn answer(
    op: &Operator,
    state: &UnionsState,
    page_of: UnionCode,
    done: Result<(UnionCode, &str), ApiError>,
    typed: impl FnOnce(Errors) -> Typed,
) -> Result<HttpResponse, ConsoleError> {
    match done {
        Ok((to, what)) => Ok(page::see_other(&format!("{SECTION}/{to}?done={what}"))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            let errors = Errors::from_api(&e, op.lang);
            node_page(op, state, page_of, &Find::default(), flash, e.status(), typed(errors)).await
        }
    }
}

/// `POST /console/unions/{code}/change`: rename, move, employers — the API's PATCH.
pub async fn change(
    posted: Posted<ChangeForm>,
    state: web::Data<UnionsState>,
    raw: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let target = code_of(&op, &raw)?;
    op.admit(&Method::PATCH, &format!("{API}/{target}"))?;
    let done = async {
        let current = state.unions.get(&op.staff.actor, &target).await?;
        let grassroots = current.kind.is_leaf();
        let parent = Some(form.parent_code.trim().to_owned())
            .filter(|p| !p.is_empty() && current.parent.as_ref().is_none_or(|now| now.to_string() != *p));
        let patch = UnionPatch {
            name: Some(form.name.trim().to_owned()).filter(|n| *n != current.name.as_str()),
            parent_code: parent,
            employers: grassroots.then(|| lines(&form.employers)),
        };
        let moving = patch.parent_code.is_some();
        let change = NodeChange::try_from(patch)?;
        match state.unions.change(&op.staff.actor, target.clone(), change).await {
            Ok(_) => Ok((target.clone(), "change")),
            // Where a union may sit is the new parent's question: the message goes beside it.
            Err(e) => {
                let e = ApiError::from(e);
                Err(if moving && e.field().is_none() { e.with("field", "parent_code") } else { e })
            }
        }
    };
    let done = done.await;
    answer(&op, &state, target.clone(), done, |e| Typed { change: Some((form, e)), ..Typed::default() }).await
}

/// `POST /console/unions/{code}/children`: a union under this one — the API's create.
pub async fn add_child(
    posted: Posted<ChildForm>,
    state: web::Data<UnionsState>,
    raw: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let parent = code_of(&op, &raw)?;
    op.admit(&Method::POST, API)?;
    let done = async {
        let kind = KINDS
            .iter()
            .find(|(k, _)| *k == form.kind)
            .map(|(_, dto)| *dto)
            .ok_or_else(|| ApiError::validation("kind", "请选择工会类型", "choose the union's kind".into()))?;
        let request = NewUnionRequest {
            code: form.code.trim().to_owned(),
            name: form.name.trim().to_owned(),
            kind,
            parent_code: parent.to_string(),
            employers: lines(&form.employers),
        };
        let made = state.unions.create(&op.staff.actor, NewNode::try_from(request)?).await?;
        Ok((made.code, "create"))
    };
    let done = done.await;
    answer(&op, &state, parent, done, |e| Typed { child: Some((form, e)), ..Typed::default() }).await
}

/// `POST /console/unions/{code}/merge`.
pub async fn merge(
    posted: Posted<MergeForm>,
    state: web::Data<UnionsState>,
    raw: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let from = code_of(&op, &raw)?;
    op.admit(&Method::POST, &format!("{API}/{from}/merge"))?;
    let done = async {
        let request = MergeRequest { into: form.into.trim().to_owned() };
        let into = code("into", &request.into)?;
        let merged = state.unions.merge(&op.staff.actor, from.clone(), into).await?;
        Ok((merged.into.code, "merge"))
    };
    let done = done.await;
    answer(&op, &state, from, done, |e| Typed { merge: Some((form, e)), ..Typed::default() }).await
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /console/unions/{code}/closure`.
pub async fn close(
    posted: Posted<Nothing>,
    state: web::Data<UnionsState>,
    raw: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let target = code_of(&op, &raw)?;
    op.admit(&Method::POST, &format!("{API}/{target}/closure"))?;
    let done =
        state.unions.close(&op.staff.actor, target.clone()).await.map(|n| (n.code, "close")).map_err(ApiError::from);
    answer(&op, &state, target, done, |_| Typed::default()).await
}
