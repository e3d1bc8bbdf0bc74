//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::AppExt;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "苏工惠 member-benefits API",
        description = "Member accounts, partner merchants, holiday gift campaigns and the member-service card \
            of a city trade-union federation. Errors are RFC 9457 problem+json with a stable `code`; \
            send `Accept-Language: en` for English messages.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(Problem)),
    modifiers(&AdminBearer),
    tags(
        (name = "operations", description = "Probes and metrics"),
        (name = "admin", description = "Union staff: sessions, accounts, audit log, members, roster"),
        (name = "campaigns", description = "会员有礼 holiday gift campaigns: management, claims, vouchers"),
        (name = "pickup", description = "Pickup points (职工服务中心/站/点) and voucher redemption by their operators"),
        (name = "members", description = "Member sign-in (SMS code, WeChat), real-name binding, profile and privacy"),
    )
)]
pub struct ApiDoc;

struct AdminBearer;

impl Modify for AdminBearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some("Staff session token from POST /v1/admin/session".into());
        components.add_security_scheme("admin_jwt", SecurityScheme::Http(scheme));
        let mut member = Http::new(HttpAuthScheme::Bearer);
        member.bearer_format = Some("JWT".into());
        member.description = Some("Member access token from POST /v1/auth/token".into());
        components.add_security_scheme("member_jwt", SecurityScheme::Http(member));
    }
}

/// RFC 9457 problem details, as every error of this API is answered.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"type": "urn:sgh:problem:request.malformed_json", "title": "请求体不是合法的 JSON",
    "status": 400, "code": "request.malformed_json", "detail": "EOF while parsing an object at line 1 column 12",
    "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7c8"}))]
pub struct Problem {
    /// `urn:sgh:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable summary in the negotiated language (zh-CN unless `Accept-Language: en`).
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `admin.locked`.
    pub code: String,
    /// Technical detail about the request, when there is any.
    pub detail: Option<String>,
    /// Quote this when reporting a problem.
    pub request_id: Option<String>,
}

/// The document as the running server serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    spec
}

pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
