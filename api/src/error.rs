//! The one error shape of the API: RFC 9457 `application/problem+json` with a stable `code`,
//! in Chinese by default and in English on `Accept-Language: en`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The languages problems are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// Picks from `Accept-Language` by quality; anything but English is answered in Chinese.
    pub fn negotiate(header: Option<&str>) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if tag.is_empty() {
                continue;
            }
            let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") { Lang::En } else { Lang::Zh };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }
}

/// An error on its way to the client. Handlers build these from domain errors, once, through the
/// `From` impls in each context's `errors` module.
/// Boxed, so that `Result<T, ApiError>` stays as small as `T` on the happy path.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Problem>);

#[derive(Debug, Clone)]
struct Problem {
    status: StatusCode,
    code: &'static str,
    zh: Cow<'static, str>,
    en: Cow<'static, str>,
    detail: Option<String>,
    retry_after: Option<u64>,
    /// `Allow` of a 405: the methods the path does take.
    allow: Option<String>,
    extensions: Map<String, Value>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<Cow<'static, str>>,
        en: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Problem {
            status,
            code,
            zh: zh.into(),
            en: en.into(),
            detail: None,
            retry_after: None,
            allow: None,
            extensions: Map::new(),
        }))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// Technical detail about the client's own input (never server internals), in English.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// A 405's `Allow` header.
    pub fn allow(mut self, methods: String) -> Self {
        self.0.allow = Some(methods);
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds.max(1));
        self
    }

    /// An extension member of the problem object, such as the offending `field`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// A 500 that tells the client nothing; the cause goes to the log with its whole chain. A
    /// dependency that is down is not a bug: that cause answers 503 with `Retry-After` instead.
    pub fn internal(cause: &anyhow::Error) -> Self {
        if infra::unavailable::is_unavailable(cause) {
            return Self::unavailable(&format_args!("{cause:#}"));
        }
        tracing::error!(error = format!("{cause:#}"), "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后重试", "Internal server error")
    }

    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "服务暂时不可用，请稍后重试",
            "Service temporarily unavailable",
        )
        .retry_after(1)
    }

    pub fn validation(field: &'static str, zh: &'static str, en: String) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.invalid_field", zh, "A field is invalid")
            .detail(en)
            .with("field", field)
    }

    /// The field a validation refusal names (its `field` member).
    pub fn field(&self) -> Option<&str> {
        self.0.extensions.get("field").and_then(Value::as_str)
    }

    pub fn detail_text(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.0.zh,
            Lang::En => &self.0.en,
        }
    }

    /// The problem object, in `lang`, carrying the request id for support calls.
    pub fn body<'a>(&'a self, lang: Lang, request_id: Option<&'a str>) -> ProblemBody<'a> {
        ProblemBody { problem: self, lang, request_id }
    }

    pub fn to_response(&self, lang: Lang, request_id: Option<&str>) -> HttpResponse {
        let mut res = HttpResponse::build(self.0.status);
        res.content_type("application/problem+json");
        if let Some(allow) = self.0.allow.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
            res.insert_header((header::ALLOW, allow));
        }
        if let Some(secs) = self.0.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.0.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        // Serializing a problem cannot fail: its members are strings, numbers and JSON values.
        let mut res = res.body(serde_json::to_vec(&self.body(lang, request_id)).unwrap_or_default());
        // The edge middleware re-renders from this in the caller's language, with the request id.
        res.extensions_mut().insert(self.clone());
        res
    }
}

/// A problem as the client reads it: written straight to the response (a flood of sold-out
/// answers is mostly these), with extension members never shadowing the standard ones.
pub struct ProblemBody<'a> {
    problem: &'a ApiError,
    lang: Lang,
    request_id: Option<&'a str>,
}

const STANDARD_MEMBERS: [&str; 7] = ["type", "title", "message", "status", "code", "detail", "request_id"];

impl Serialize for ProblemBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = &self.problem.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &format_args!("urn:sgh:problem:{}", p.code))?;
        map.serialize_entry("title", self.problem.message(self.lang))?;
        // Partners' WeChat Pay style clients read `code` and `message`.
        map.serialize_entry("message", self.problem.message(self.lang))?;
        map.serialize_entry("status", &p.status.as_u16())?;
        map.serialize_entry("code", p.code)?;
        if let Some(detail) = &p.detail {
            map.serialize_entry("detail", detail)?;
        }
        if let Some(id) = self.request_id {
            map.serialize_entry("request_id", id)?;
        }
        for (k, v) in p.extensions.iter().filter(|(k, _)| !STANDARD_MEMBERS.contains(&k.as_str())) {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    /// The status only: the edge middleware, which wraps every route, renders the body once it
    /// knows the caller's language and the request id (a flood of sold-out answers is mostly this).
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::new(self.0.status);
        res.extensions_mut().insert(self.clone());
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Lang::negotiate(None), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("zh-CN,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("zh;q=0.5, en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en;q=0")), Lang::Zh);
    }

    #[test]
    fn problem_body_has_the_rfc_9457_members_and_a_stable_code() {
        let e = ApiError::validation("username", "用户名格式不正确", "too short".into());
        let body = serde_json::to_value(e.body(Lang::En, Some("req-1"))).unwrap();
        assert_eq!(body["status"], 422);
        assert_eq!(body["code"], "validation.invalid_field");
        assert_eq!(body["type"], "urn:sgh:problem:validation.invalid_field");
        assert_eq!(body["title"], "A field is invalid");
        assert_eq!(body["field"], "username");
        assert_eq!(body["request_id"], "req-1");
    }

    #[test]
    fn an_extension_never_shadows_a_standard_member() {
        let e = ApiError::validation("username", "用户名格式不正确", "too short".into()).with("code", "mine");
        let text = serde_json::to_string(&e.body(Lang::Zh, None)).unwrap();
        assert_eq!(text.matches("\"code\"").count(), 1, "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["code"], "validation.invalid_field");
        assert_eq!(body["title"], "用户名格式不正确");
    }
}
