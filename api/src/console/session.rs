//! Who is using the console: the staff token in an HttpOnly, SameSite=Strict cookie (Secure over
//! TLS), checked on every request exactly as the API checks a bearer token (the same lockout, the
//! same end of sessions at a password or role change), and a CSRF token derived from it that every
//! form and partial update carries.

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use maud::html;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

use super::page::{self, t, ConsoleError};
use crate::admin::AdminState;
use crate::client_address::ClientAddress;
use crate::error::{ApiError, Lang};
use crate::extract::Staff;

/// The staff token; only the console's paths ever see it.
pub const COOKIE: &str = "sgh_console";
/// A random value the sign-in form echoes (double submit): a page elsewhere cannot sign a
/// browser into an account of its choosing.
const PRE_COOKIE: &str = "sgh_console_pre";
/// The same per-address budget as the API's sign-in, in the same bucket.
const LOGINS_PER_IP: u32 = 30;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// A signed-in member of staff using the console.
pub struct Operator {
    pub staff: Staff,
    pub lang: Lang,
    /// What every form of this session carries in `_csrf` (and htmx in `X-CSRF-Token`).
    pub csrf: String,
    pub now: DateTime<Utc>,
}

impl Operator {
    /// Whether the admin API would let them `method path`: the console asks the API's own rule
    /// rather than keeping one of its own, so a page and its endpoint can never disagree.
    pub fn may(&self, method: &Method, path: &str) -> bool {
        crate::gatekeeper::admits(&self.staff.admin, method, path).is_ok()
    }

    /// Like [`Operator::may`], refusing with the API's own problem.
    pub fn admit(&self, method: &Method, path: &str) -> Result<(), ConsoleError> {
        crate::gatekeeper::admits(&self.staff.admin, method, path).map_err(|e| ConsoleError::Refused(e, self.lang))
    }

    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        t(self.lang, zh, en)
    }
}

pub fn lang_of(req: &HttpRequest) -> Lang {
    Lang::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

fn csrf_of(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("sgh-console-csrf\0{token}"))[..16])
}

/// Compares without stopping at the first difference.
pub(super) fn same_token(a: &str, b: &str) -> bool {
    same(a, b)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn operator(req: HttpRequest) -> Result<Operator, ConsoleError> {
    let lang = lang_of(&req);
    let state = req.app_data::<web::Data<AdminState>>().cloned();
    let state =
        state.ok_or_else(|| ConsoleError::Failed(ApiError::internal(&anyhow::anyhow!("AdminState missing")), lang))?;
    let back = || ConsoleError::SignIn { next: req.uri().path_and_query().map(|p| p.to_string()), lang };
    let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|t| !t.is_empty()).ok_or_else(back)?;
    let admin = match state.admins.authenticate(&token).await {
        Ok(admin) => admin,
        Err(domain::admin::error::AuthError::Unknown(e)) => {
            return Err(ConsoleError::Failed(ApiError::internal(&e), lang))
        }
        Err(_) => return Err(back()),
    };
    let actor = crate::extract::actor(&admin, &req);
    Ok(Operator { staff: Staff { admin, actor }, lang, csrf: csrf_of(&token), now: state.clock.now() })
}

impl FromRequest for Operator {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(operator(req.clone()))
    }
}

/// A form posted by a signed-in operator, its CSRF token checked before the fields are read:
/// `_csrf` in the body, or `X-CSRF-Token` from htmx.
pub struct Posted<T> {
    pub op: Operator,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let op = operator(req.clone()).await?;
            let lang = op.lang;
            let bytes = body.await.map_err(|_| ConsoleError::BadForm(lang))?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).map_err(|_| ConsoleError::BadForm(lang))?;
            let header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let sent = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.clone()).or(header);
            if !sent.is_some_and(|s| same(&s, &op.csrf)) {
                return Err(ConsoleError::Csrf(lang));
            }
            let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "_csrf").collect();
            let encoded = serde_urlencoded::to_string(rest).map_err(|_| ConsoleError::BadForm(lang))?;
            let form = serde_urlencoded::from_str(&encoded).map_err(|_| ConsoleError::BadForm(lang))?;
            Ok(Posted { op, form })
        })
    }
}

fn secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String, age: CookieAge) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(req))
        .max_age(age)
        .finish()
}

/// Where to go after signing in: a console page, never another site.
fn landing(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console/") && !n.starts_with("//") && !n.contains(['\\', '\r', '\n']))
        .unwrap_or("/console/")
        .to_owned()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /console/sign-in`.
pub async fn form(req: HttpRequest, query: web::Query<NextQuery>) -> HttpResponse {
    if operator(req.clone()).await.is_ok() {
        return page::see_other(&landing(query.next.as_deref()));
    }
    let pre = req.cookie(PRE_COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() == 32);
    let pre = pre.unwrap_or_else(|| hex::encode(rand::random::<[u8; 16]>()));
    let mut res = sign_in_page(lang_of(&req), &pre, query.next.as_deref(), "", None, StatusCode::OK);
    let _ = res.add_cookie(&cookie(&req, PRE_COOKIE, pre, CookieAge::hours(1)));
    res
}

#[derive(Deserialize)]
pub struct SignIn {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

/// `POST /console/sign-in`: the API's sign-in, with its per-address limit and lockout.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Result<web::Form<SignIn>, actix_web::Error>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = lang_of(&req);
    let form = form.map_err(|_| ConsoleError::BadForm(lang))?.into_inner();
    let pre = req.cookie(PRE_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if pre.len() != 32 || !same(&pre, &form.csrf) {
        return Err(ConsoleError::Csrf(lang));
    }
    let client = ClientAddress::extract(&req).await.map_err(|e| ConsoleError::Failed(e, lang))?;
    let signed = async {
        crate::limits::enforce(&state.limiter, &format!("admin-login:{}", client.0), LOGINS_PER_IP, LOGIN_WINDOW)
            .await?;
        Ok::<_, ApiError>(state.admins.login(form.username.trim(), &form.password).await?)
    };
    match signed.await {
        Ok(session) => {
            let age = (session.expires_at - state.clock.now()).num_seconds().max(0);
            let mut res = page::see_other(&landing(form.next.as_deref()));
            let _ = res.add_cookie(&cookie(&req, COOKIE, session.token, CookieAge::seconds(age)));
            let _ = res.add_removal_cookie(&cookie(&req, PRE_COOKIE, String::new(), CookieAge::ZERO));
            Ok(res)
        }
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR || e.status() == StatusCode::SERVICE_UNAVAILABLE => {
            Err(ConsoleError::Failed(e, lang))
        }
        Err(e) => {
            let message = e.message(lang).to_owned();
            Ok(sign_in_page(lang, &pre, form.next.as_deref(), form.username.trim(), Some(&message), e.status()))
        }
    }
}

/// `POST /console/sign-out`.
pub async fn sign_out(req: HttpRequest, posted: Posted<Vec<(String, String)>>) -> HttpResponse {
    let _ = posted.form;
    let mut res = page::see_other("/console/sign-in");
    let _ = res.add_removal_cookie(&cookie(&req, COOKIE, String::new(), CookieAge::ZERO));
    res
}

fn sign_in_page(
    lang: Lang,
    pre: &str,
    next: Option<&str>,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let body = html! {
        main.sign-in {
            div.card {
                h1 { (t(lang, "苏工惠 · 工会工作台", "Union staff console")) }
                @if let Some(error) = error {
                    p.flash.error role="alert" { (error) }
                }
                form.stack method="post" action="/console/sign-in" {
                    input type="hidden" name="_csrf" value=(pre);
                    @if let Some(next) = next {
                        input type="hidden" name="next" value=(next);
                    }
                    label {
                        (t(lang, "用户名", "Username"))
                        input name="username" autocomplete="username" required value=(username) autofocus;
                    }
                    label {
                        (t(lang, "密码", "Password"))
                        input name="password" type="password" autocomplete="current-password" required;
                    }
                    button type="submit" { (t(lang, "登录", "Sign in")) }
                }
                p.muted { (t(lang, "连续 5 次密码错误将锁定账号 15 分钟。", "Five wrong passwords in a row lock the account for 15 minutes.")) }
            }
        }
    };
    page::bare(lang, t(lang, "登录", "Sign in"), body, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_pages_are_landed_on() {
        assert_eq!(landing(Some("/console/campaigns?x=1")), "/console/campaigns?x=1");
        for elsewhere in ["https://evil.example/", "//evil.example/console/", "/v1/admin/users", "/console/\r\nX: y"] {
            assert_eq!(landing(Some(elsewhere)), "/console/", "{elsewhere}");
        }
        assert_eq!(landing(None), "/console/");
    }

    #[test]
    fn the_csrf_token_follows_the_session() {
        assert_eq!(csrf_of("a"), csrf_of("a"));
        assert_ne!(csrf_of("a"), csrf_of("b"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
