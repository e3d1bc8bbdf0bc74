//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
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
        contact(name = "苏工惠 platform team"),
    ),
    servers((url = "/", description = "This server: the API is at the root of the address this document came from")),
    components(schemas(Problem)),
    modifiers(&AdminBearer),
    tags(
        (name = "operations", description = "Probes and metrics"),
        (name = "admin", description = "Union staff: sessions, accounts, audit log, members, roster"),
        (name = "unions", description = "The federation's organisation tree: unions, their import and export"),
        (name = "membership", description = "Joining a union online (网上入会), transfers (关系接转) and leaving: applications, \
            their time limits in working days, the officers' queue, the membership history"),
        (name = "services", description = "Service windows (服务窗口): legal aid, job help, hardship relief, illness subsidies, \
            school grants and complaints — kinds of case with their forms, cases with their files and thread, caseworkers' \
            queues, steps and time limits in working days, the log of staff reads"),
        (name = "campaigns", description = "会员有礼 holiday gift campaigns: management, claims, vouchers"),
        (name = "pickup", description = "Pickup points (职工服务中心/站/点) and voucher redemption by their operators"),
        (name = "members", description = "Member sign-in (SMS code, WeChat), real-name binding, profile and privacy"),
        (name = "merchants", description = "Partner merchants, stores and discount offers: management, browsing, member codes"),
        (name = "partner", description = "The signed partner API for merchants' systems, compatible with WeChat Pay API v3 \
            request signing (`WECHATPAY2-SHA256-RSA2048`); every 2xx answer carries `Wechatpay-*` signature headers"),
        (name = "cards", description = "The 会员服务卡: applying, the card's lifecycle and history, the rotating member code"),
        (name = "bank", description = "The signed API for the bank that issues the 会员服务卡 (same scheme as the partner \
            API, with a key registered for the bank): card applications and card events"),
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
        let mut partner = ApiKeyValue::new("Authorization");
        partner.description = Some(
            "`WECHATPAY2-SHA256-RSA2048 mchid=\"…\",nonce_str=\"…\",signature=\"…\",timestamp=\"…\",serial_no=\"…\"`: \
             SHA256withRSA (base64) by the merchant's registered key over \
             `METHOD\\nREQUEST-TARGET\\nTIMESTAMP\\nNONCE\\nBODY\\n`, as WeChat Pay API v3 signs"
                .into(),
        );
        components.add_security_scheme("partner_signature", SecurityScheme::ApiKey(ApiKey::Header(partner)));
    }
}

/// RFC 9457 problem details, as every error of this API is answered: the members below, then
/// the problem's own extension members (`field`, `tries_left`, `locked_until` …).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"type": "urn:sgh:problem:request.malformed_json", "title": "请求体不是合法的 JSON",
    "message": "请求体不是合法的 JSON", "status": 400, "code": "request.malformed_json", "detail": "EOF while parsing an object at line 1 column 12",
    "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7c8"}))]
pub struct Problem {
    /// `urn:sgh:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(pattern = "^urn:sgh:problem:")]
    pub kind: String,
    /// Human-readable summary in the negotiated language (zh-CN unless `Accept-Language: en`).
    pub title: String,
    /// The same as `title`, under the name WeChat Pay style clients read.
    pub message: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `admin.invalid_credentials`.
    pub code: String,
    /// Technical detail about the request; absent when there is none (never `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub detail: Option<String>,
    /// The request's id, also in its `X-Request-Id` header: the caller's own when it sent a short
    /// plain one, otherwise ours. Quote this when reporting a problem.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub request_id: String,
}

/// The document as the running server serves it.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::routes)
        .split_for_parts();
    document_common_errors(&mut spec);
    spec
}

/// The HTTP methods a documented path takes.
pub fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<&'static str> {
    let methods = [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ];
    methods.into_iter().filter(|(_, present)| *present).map(|(m, _)| m).collect()
}

/// The problems any operation of a kind can answer, added where its own annotation does not say
/// more: generated clients and fuzzers then know every status the API may send.
pub fn document_common_errors(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let problem = || ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    let add = |op: &mut Operation, status: &str, description: &str| {
        let response = ResponseBuilder::new().description(description).content("application/problem+json", problem());
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| response.build().into());
    };
    for (path, item) in spec.paths.paths.iter_mut() {
        let templated = path.contains('{');
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            let body = op.request_body.is_some();
            let params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if body || params || templated {
                add(
                    op,
                    "400",
                    "A malformed request: JSON, field, path or query parameter, header, or control characters in text",
                );
            }
            if secured {
                add(op, "401", "`auth.invalid_token`: no token, or not a valid one");
                add(op, "403", "The caller's role or state may not do this");
            }
            if templated {
                add(op, "404", "No such resource");
            }
            if body {
                add(op, "413", "`request.too_large`: the body is over the limit");
                add(op, "415", "`request.unsupported_media_type`: the body is not of the documented type");
                add(op, "422", "A field's value is invalid");
                add(op, "429", "`rate_limited`: too many requests; retry after `Retry-After`");
            }
            add(op, "503", "`service.unavailable`: a dependency is down; retry after `Retry-After`");
        }
    }
}

pub fn spec_json() -> String {
    let mut json = spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
