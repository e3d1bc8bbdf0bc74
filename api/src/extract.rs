//! How requests become typed values: body/path/query error handlers that answer problem+json, the
//! request id, and the signed-in member of staff.

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::error::Category;

use crate::admin::AdminState;
use crate::error::ApiError;
use domain::admin::error::AuthError;
use domain::admin::{Actor, AdminUser};

/// The id of the request being served, made here, for logs, problems and audit rows.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The `X-Request-Id` the client sent (when plain and short): kept beside ours, never in its place,
/// since a client may send any value it likes, the same one twice or someone else's.
#[derive(Debug, Clone)]
pub struct ClientRequestId(pub String);

impl RequestId {
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<RequestId>().map(|r| r.0.clone())
    }
}

/// Operations that only read, though they are POSTs: they carry a personal number, which belongs in
/// a body, not in a URL. Auditors may use them.
const READS_BY_POST: [&str; 2] = ["/v1/admin/members/search", "/v1/admin/roster/search"];

/// What a union officer may use: their own account, their union's members and the tree around
/// it, reading; their union's applications, deciding and remarking; everything else under
/// `/v1/admin` is 403 for them. `path` is the request's path.
pub fn officer_may(method: &Method, path: &str) -> bool {
    let one =
        |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains(['/', '.']));
    let reads = matches!(
        path,
        "/v1/admin/me"
            | "/v1/admin/members/search"
            | "/v1/admin/roster/search"
            | "/v1/admin/unions"
            | "/v1/admin/applications"
            | "/v1/admin/application-limits"
    ) || one("/v1/admin/unions/")
        || one("/v1/admin/applications/")
        || one("/v1/admin/calendar/");
    let decides = path
        .strip_prefix("/v1/admin/applications/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, what)| !id.is_empty() && !id.contains('.') && matches!(what, "decision" | "comments"));
    (reads_only(method, path) && reads) || (*method == Method::POST && decides)
}

/// What a caseworker may call: the kinds, the queue, a case and its files, and the steps, messages
/// and notes on one (the domain then keeps them to their part of the tree).
pub fn caseworker_may(method: &Method, path: &str) -> bool {
    let segment = |s: &str| !s.is_empty() && !s.contains('.');
    let under = path.strip_prefix("/v1/admin/service-cases/");
    let reads = matches!(path, "/v1/admin/service-kinds" | "/v1/admin/service-cases")
        || under.is_some_and(|rest| match rest.split('/').collect::<Vec<_>>()[..] {
            [id] => segment(id),
            [id, "attachments", file] => segment(id) && segment(file),
            _ => false,
        });
    let acts = under
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, what)| segment(id) && matches!(what, "steps" | "messages" | "notes"));
    (reads_only(method, path) && reads) || (*method == Method::POST && acts)
}

/// Whether the request only reads (what an auditor may do).
pub fn reads_only(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (method == Method::POST && READS_BY_POST.contains(&path))
}

/// The member of staff acting in this request, with its ids for the audit log.
pub fn actor(admin: &AdminUser, req: &HttpRequest) -> Actor {
    let mut actor = Actor::staff(admin, RequestId::of(req));
    actor.client_request_id = req.extensions().get::<ClientRequestId>().map(|c| c.0.clone());
    actor
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _req| json_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| path_error(err).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| query_error(err).into())
}

pub fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. } | JsonPayloadError::Overflow { limit } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "请求体过大", "Request body too large")
                .with("limit_bytes", limit)
        }
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "请求体须为 JSON（Content-Type: application/json）",
            "Request body must be JSON (Content-Type: application/json)",
        ),
        JsonPayloadError::Deserialize(e) => match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.malformed_json",
                "请求体不是合法的 JSON",
                "Request body is not valid JSON",
            )
            .detail(e.to_string()),
            Category::Data if e.to_string().starts_with("unknown field") => ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.unknown_field",
                "请求体包含未知字段",
                "Request body has an unknown field",
            )
            .detail(e.to_string()),
            Category::Data => ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.invalid_body",
                "请求体字段缺失或类型错误",
                "Request body has a missing or mistyped field",
            )
            .detail(e.to_string()),
        },
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.unreadable_body",
            "无法读取请求体",
            "Request body could not be read",
        )
        .detail(other.to_string()),
    }
}

fn path_error(err: PathError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "request.invalid_path", "路径参数格式不正确", "Path parameter is malformed")
        .detail(err.to_string())
}

fn query_error(err: QueryPayloadError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "request.invalid_query",
        "查询参数格式不正确",
        "Query parameter is malformed",
    )
    .detail(err.to_string())
}

/// A signed-in member of staff using the admin API. On anything but a read, an auditor is turned
/// away here, before any handler runs: 经审 may look at everything and change nothing. Pickup
/// operators have no business here at all.
#[derive(Clone)]
pub struct Staff {
    pub admin: AdminUser,
    pub actor: Actor,
}

/// Any signed-in member of staff, pickup operators included; the handler checks what they may do.
pub struct AnyStaff(pub Staff);

async fn signed_in(req: HttpRequest) -> Result<Staff, ApiError> {
    let state = req.app_data::<web::Data<AdminState>>().cloned();
    let state = state.ok_or_else(|| ApiError::internal(&anyhow::anyhow!("AdminState missing")))?;
    let token = bearer(&req).ok_or(AuthError::InvalidToken)?;
    let admin = state.admins.authenticate(&token).await?;
    let actor = actor(&admin, &req);
    Ok(Staff { admin, actor })
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The gatekeeper has usually signed them in already.
        let known = req.extensions().get::<Staff>().cloned();
        let signed = signed_in(req.clone());
        let read_only = reads_only(req.method(), req.match_info().as_str());
        let officer_route = officer_may(req.method(), req.match_info().as_str());
        let caseworker_route = caseworker_may(req.method(), req.match_info().as_str());
        Box::pin(async move {
            let staff = match known {
                Some(staff) => staff,
                None => signed.await?,
            };
            let role = staff.admin.role;
            let officer = (role == domain::admin::Role::UnionOfficer && officer_route)
                || (role == domain::admin::Role::Caseworker && caseworker_route);
            if !officer && (!role.may_use_admin_api() || (!read_only && !role.may_write())) {
                return Err(forbidden());
            }
            Ok(staff)
        })
    }
}

impl FromRequest for AnyStaff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let known = req.extensions().get::<Staff>().cloned();
        let signed = signed_in(req.clone());
        Box::pin(async move {
            match known {
                Some(staff) => Ok(AnyStaff(staff)),
                None => signed.await.map(AnyStaff),
            }
        })
    }
}

pub fn forbidden() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", "当前角色无权执行此操作", "Your role may not do this")
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidToken => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.invalid_token",
                "未登录或登录已过期",
                "Missing, invalid or expired token",
            ),
            AuthError::Inactive => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.inactive",
                "账号已停用",
                "The account behind this token is no longer active",
            ),
            AuthError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
