//! The page around every console screen: who is signed in (name, role, part of the tree), the
//! sections they may use, the language (zh-CN first, English where the browser asks for it), and
//! what a refusal looks like in a browser.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use maud::{html, Markup, DOCTYPE};
use std::fmt;

use super::assets::ASSETS;
use super::session::Operator;
use crate::error::{ApiError, Lang};

pub fn t<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The sections, each shown to those the API lets do what the section is for (read its list, or
/// for the roster import, start one).
const SECTIONS: [(&str, Method, &str, &str, &str); 15] = [
    ("/console/", Method::GET, "/v1/admin/me", "概览", "Overview"),
    ("/console/campaigns", Method::GET, "/v1/admin/campaigns", "活动", "Campaigns"),
    ("/console/members", Method::POST, "/v1/admin/roster/search", "会员", "Members"),
    ("/console/unions", Method::GET, "/v1/admin/unions", "组织架构", "Union tree"),
    ("/console/applications", Method::GET, "/v1/admin/applications", "入会申请", "Applications"),
    ("/console/cases", Method::GET, "/v1/admin/service-cases", "服务窗口", "Service cases"),
    ("/console/calendar", Method::GET, "/v1/admin/application-limits", "工作日", "Working days"),
    ("/console/roster", Method::POST, "/v1/admin/roster/imports", "名册导入", "Roster import"),
    ("/console/pickup-points", Method::GET, "/v1/admin/pickup-points", "领取点", "Pickup points"),
    ("/console/merchants", Method::GET, "/v1/admin/merchants", "商户", "Merchants"),
    ("/console/cards", Method::GET, "/v1/admin/cards/changes", "服务卡", "Cards"),
    ("/console/reports", Method::GET, "/v1/admin/campaigns", "报表", "Reports"),
    ("/console/staff", Method::GET, "/v1/admin/users", "工作人员", "Staff"),
    ("/console/jobs", Method::GET, "/v1/admin/jobs", "任务", "Jobs"),
    ("/console/audit", Method::GET, "/v1/admin/audit", "审计日志", "Audit log"),
];

fn role_name(lang: Lang, role: domain::admin::Role) -> &'static str {
    use domain::admin::Role::*;
    match role {
        Admin => t(lang, "管理员", "Admin"),
        Operator => t(lang, "运营", "Operator"),
        Auditor => t(lang, "经审", "Auditor"),
        PickupOperator => t(lang, "领取点", "Pickup operator"),
        UnionOfficer => t(lang, "基层工会", "Union officer"),
        Caseworker => t(lang, "服务窗口", "Caseworker"),
    }
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            // htmx would otherwise add a <style> element, which the CSP refuses.
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false}"#;
            title { (title) " · " (t(lang, "工会工作台", "Union console")) }
            link rel="stylesheet" href=(ASSETS.css.url);
            // No icon to fetch: a browser would otherwise ask for /favicon.ico on every visit.
            link rel="icon" href="data:,";
            script src=(ASSETS.htmx.url) defer {}
            script src=(ASSETS.charts.url) defer {}
            script src=(ASSETS.script.url) defer {}
        }
    }
}

fn html_response(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(markup.into_string())
}

/// A page with no one signed in (sign-in, a refusal before signing in).
pub fn bare(lang: Lang, title: &str, body: Markup, status: StatusCode) -> HttpResponse {
    let lang_tag = t(lang, "zh-CN", "en");
    html_response(
        status,
        html! {
            (DOCTYPE)
            html lang=(lang_tag) {
                (head(lang, title))
                body { (body) }
            }
        },
    )
}

/// A console screen for `op`; `current` is its section's path.
pub fn screen(op: &Operator, current: &str, title: &str, body: Markup) -> HttpResponse {
    screen_with_status(op, current, title, body, StatusCode::OK)
}

pub fn screen_with_status(op: &Operator, current: &str, title: &str, body: Markup, status: StatusCode) -> HttpResponse {
    let lang = op.lang;
    let admin = &op.staff.admin;
    let headers = format!(r#"{{"X-CSRF-Token": "{}"}}"#, op.csrf);
    html_response(
        status,
        html! {
            (DOCTYPE)
            html lang=(t(lang, "zh-CN", "en")) {
                (head(lang, title))
                body hx-headers=(headers) {
                    a.skip href="#main" { (t(lang, "跳到正文", "Skip to content")) }
                    header.top {
                        a.brand href="/console/" { (t(lang, "苏工惠 · 工会工作台", "Union staff console")) }
                        div.who data-testid="who" {
                            span { (t(lang, "已登录：", "Signed in as ")) strong { (admin.display_name) } " (" (admin.username.as_str()) ")" }
                            span { (t(lang, "角色：", "Role: ")) strong data-testid="role" { (role_name(lang, admin.role)) } }
                            span { (t(lang, "范围：", "Scope: ")) strong data-testid="scope" { (admin.scope.code.as_str()) } }
                            form method="post" action="/console/sign-out" {
                                input type="hidden" name="_csrf" value=(op.csrf);
                                button type="submit" { (t(lang, "退出", "Sign out")) }
                            }
                        }
                    }
                    nav.side aria-label=(t(lang, "栏目", "Sections")) {
                        @for (href, method, api, zh, en) in &SECTIONS {
                            @if op.may(method, api) {
                                a href=(href) aria-current=[(*href == current).then_some("page")] { (t(lang, zh, en)) }
                            }
                        }
                    }
                    main #main {
                        h1 { (title) }
                        (body)
                    }
                    footer { (t(lang, "时间均为北京时间", "Times are Beijing time")) }
                }
            }
        },
    )
}

/// What the last action came to: done (a status), or refused (an alert), read out by screen readers.
pub fn flash(flash: &Option<(bool, String)>) -> Markup {
    html! {
        @if let Some((ok, message)) = flash {
            p.flash.ok[*ok].error[!*ok] role=(if *ok { "status" } else { "alert" }) { (message) }
        }
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Beijing time, to the minute or second, as staff read it.
pub fn beijing(at: chrono::DateTime<chrono::Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap());
    at.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Fen as yuan with two decimals (¥1,234.50).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// How a console request fails: a signed-out browser is sent to sign in; anything else is a page
/// with the API's own message, in the operator's language.
#[derive(Debug)]
pub enum ConsoleError {
    SignIn { next: Option<String>, lang: Lang },
    Csrf(Lang),
    BadForm(Lang),
    Refused(ApiError, Lang),
    Failed(ApiError, Lang),
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleError::SignIn { .. } => f.write_str("sign in"),
            ConsoleError::Csrf(_) => f.write_str("missing or wrong CSRF token"),
            ConsoleError::BadForm(_) => f.write_str("unreadable form"),
            ConsoleError::Refused(e, _) | ConsoleError::Failed(e, _) => write!(f, "{e}"),
        }
    }
}

impl ConsoleError {
    pub fn of(lang: Lang) -> impl Fn(ApiError) -> ConsoleError {
        move |e| ConsoleError::Refused(e, lang)
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn { .. } => StatusCode::SEE_OTHER,
            ConsoleError::Csrf(_) => StatusCode::FORBIDDEN,
            ConsoleError::BadForm(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Refused(e, _) | ConsoleError::Failed(e, _) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, message) = match self {
            ConsoleError::SignIn { next, .. } => {
                let to = match next {
                    Some(next) => format!("/console/sign-in?next={}", urlencode(next)),
                    None => "/console/sign-in".to_owned(),
                };
                return see_other(&to);
            }
            ConsoleError::Csrf(lang) => (
                *lang,
                t(
                    *lang,
                    "表单已失效或来源不明，请刷新页面后重试。",
                    "The form is stale or not ours: reload the page and try again.",
                )
                .to_owned(),
            ),
            ConsoleError::BadForm(lang) => {
                (*lang, t(*lang, "无法读取表单。", "The form could not be read.").to_owned())
            }
            ConsoleError::Refused(e, lang) | ConsoleError::Failed(e, lang) => (*lang, e.message(*lang).to_owned()),
        };
        let status = self.status_code();
        let body = html! {
            main.sign-in {
                div.card {
                    h1 { (status.as_u16()) " · " (status.canonical_reason().unwrap_or("")) }
                    p.flash.error role="alert" { (message) }
                    p { a href="/console/" { (t(lang, "返回工作台", "Back to the console")) } }
                }
            }
        };
        let mut res = bare(lang, &message, body, status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        res
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_yuan() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(123_450), "¥1,234.50");
        assert_eq!(yuan(-5), "-¥0.05");
        assert_eq!(yuan(100_000_000), "¥1,000,000.00");
    }

    #[test]
    fn times_read_in_beijing() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-10-01T02:00:00Z").unwrap().to_utc();
        assert_eq!(beijing(at), "2026-10-01 10:00:00");
    }
}
