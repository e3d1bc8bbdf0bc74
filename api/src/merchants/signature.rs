//! The partner API's request signatures and answer signatures, as WeChat Pay API v3 makes them,
//! so a merchant's stock WeChat Pay SDK can call us with only its base URL and keys changed.
//!
//! A request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
//! signature="…",timestamp="…",serial_no="…"` (fields in any order), the signature being the
//! merchant key's SHA256withRSA over `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n` with the request
//! target and the body exactly as received. Every 2xx answer is signed by our platform key over
//! `TIMESTAMP\nNONCE\nBODY\n` with the bytes sent (`Wechatpay-*` headers).

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage};
use sha2::{Digest, Sha256};
use std::time::Duration;

use super::wire::MerchantsState;
use crate::error::ApiError;
use domain::merchants::partner::{fresh, KeySerial, Partner, NONCE_MEMORY_SECS};
use domain::merchants::PartnerKind;
use domain::shared::ephemeral::OneTimeStore;

pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The fields of a partner's `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub mchid: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub timestamp: i64,
    pub serial: &'a str,
}

/// Reads `WECHATPAY2-SHA256-RSA2048 k="v",…`: fields in any order, each once, values quoted.
pub fn parse_authorization(header: &str) -> Option<Authorization<'_>> {
    let rest = header.trim().strip_prefix(SCHEME)?.strip_prefix(' ')?;
    let (mut mchid, mut nonce, mut signature, mut timestamp, mut serial) = (None, None, None, None, None);
    for field in rest.split(',') {
        let (key, value) = field.trim().split_once('=')?;
        let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
        let slot = match key.trim() {
            "mchid" => &mut mchid,
            "nonce_str" => &mut nonce,
            "signature" => &mut signature,
            "timestamp" => &mut timestamp,
            "serial_no" => &mut serial,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return None;
        }
    }
    let nonce = nonce.filter(|n| (1..=64).contains(&n.len()))?;
    Some(Authorization {
        mchid: mchid?,
        nonce,
        signature: signature?,
        timestamp: timestamp?.parse().ok()?,
        serial: serial?,
    })
}

/// What a request's signature covers.
pub fn request_message(method: &str, target: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(method.len() + target.len() + body.len() + 64);
    for part in [method.as_bytes(), target.as_bytes(), timestamp.as_bytes(), nonce.as_bytes(), body] {
        message.extend_from_slice(part);
        message.push(b'\n');
    }
    message
}

fn refused(code: &'static str, zh: &'static str, en: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, zh, en)
}

/// Establishes which merchant (and store) signed the request, leaving [`Partner`] in its
/// extensions and the body, read once here, in place for the handler's extractors.
pub async fn verify(req: &mut ServiceRequest, role: PartnerKind) -> Result<(), ApiError> {
    let state = req
        .app_data::<web::Data<MerchantsState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(&anyhow::anyhow!("MerchantsState missing")))?;
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let auth = parse_authorization(&header).ok_or_else(|| {
        refused(
            "partner.signature_missing",
            "缺少或无法解析 WECHATPAY2-SHA256-RSA2048 签名",
            "Missing or unreadable WECHATPAY2-SHA256-RSA2048 Authorization",
        )
    })?;
    let now = state.clock.now();
    if !fresh(auth.timestamp, now) {
        return Err(refused(
            "partner.timestamp_expired",
            "请求时间戳与服务器时间相差超过 5 分钟",
            "Timestamp is more than 300 s away from ours",
        )
        .with("server_time", now.timestamp()));
    }
    let serial = KeySerial::parse(auth.serial);
    let key = match serial {
        Some(serial) => {
            state.keys.get(&serial, &state.merchants.catalogue).await.map_err(|e| ApiError::internal(&e))?
        }
        None => None,
    };
    let key = key.ok_or_else(|| refused("partner.serial_unknown", "商户证书序列号不存在", "Unknown serial_no"))?;
    if key.revoked {
        return Err(refused("partner.key_revoked", "该商户密钥已被吊销", "This key was revoked"));
    }
    if !key.mchid.eq(auth.mchid) {
        return Err(refused("partner.mchid_mismatch", "mchid 与密钥所属商户不符", "mchid does not own this key"));
    }

    let body = req.extract::<web::Bytes>().await.map_err(|e| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "请求体过大", "Request body too large")
            .detail(e.to_string())
    })?;
    let target = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let message = request_message(req.method().as_str(), &target, &auth.timestamp.to_string(), auth.nonce, &body);
    if !key.verifying.verify(&message, auth.signature) {
        return Err(refused("partner.signature_invalid", "签名验证失败", "Signature does not verify"));
    }
    req.set_payload(body.into());
    if key.kind != role {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "partner.wrong_role",
            "该密钥无权调用此接口（商户与银行接口分开授权）",
            "This key may not call this API: merchant and bank keys each reach their own",
        ));
    }

    // Only a verified request spends its nonce, so nobody else can burn a merchant's. Its nonce
    // and its count against the merchant's rate go to the store together: one round trip.
    let nonce_key = format!("partner-nonce:{}:{}", key.mchid, hex::encode(Sha256::digest(auth.nonce.as_bytes())));
    let key_name = format!("partner:{}", key.mchid);
    let (first, within_rate) = futures_util::future::join(
        state.ephemeral.put_if_absent(&nonce_key, "1", Duration::from_secs(NONCE_MEMORY_SECS)),
        crate::limits::enforce(&state.ephemeral, &key_name, state.requests_per_minute, Duration::from_secs(60)),
    )
    .await;
    if !first.map_err(|e| ApiError::unavailable(&e))? {
        return Err(refused("partner.nonce_reused", "该随机串已使用过", "nonce_str was used before"));
    }
    if !key.merchant_active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "partner.merchant_suspended",
            "商户已暂停合作",
            "The merchant is suspended",
        ));
    }
    within_rate?;
    req.extensions_mut().insert(Signed { partner: key.partner, kind: key.kind });
    Ok(())
}

/// Who signed a partner or bank request, as [`verify`] established it.
#[derive(Debug, Clone, Copy)]
pub struct Signed {
    pub partner: Partner,
    pub kind: PartnerKind,
}

/// The signer of this request if it is of `kind`; otherwise the answer an unsigned request gets.
/// Every partner and bank handler goes through this, so a request that reached one without the
/// gatekeeper's verification (a path spelled so the gatekeeper did not see its scope) fails
/// closed.
pub fn signer(req: &actix_web::HttpRequest, kind: PartnerKind) -> Result<Partner, ApiError> {
    match req.extensions().get::<Signed>() {
        Some(signed) if signed.kind == kind => Ok(signed.partner),
        _ => Err(refused(
            "partner.signature_missing",
            "缺少或无法解析 WECHATPAY2-SHA256-RSA2048 签名",
            "Missing or unreadable WECHATPAY2-SHA256-RSA2048 Authorization",
        )),
    }
}

const TIMESTAMP: HeaderName = HeaderName::from_static("wechatpay-timestamp");
const NONCE: HeaderName = HeaderName::from_static("wechatpay-nonce");
const SERIAL: HeaderName = HeaderName::from_static("wechatpay-serial");
const SIGNATURE: HeaderName = HeaderName::from_static("wechatpay-signature");
const SIGNATURE_TYPE: HeaderName = HeaderName::from_static("wechatpay-signature-type");

/// Signs a 2xx answer with the platform key over the exact bytes it sends.
pub async fn sign(res: ServiceResponse<BoxBody>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !res.status().is_success() {
        return Ok(res);
    }
    let Some(state) = res.request().app_data::<web::Data<MerchantsState>>().cloned() else {
        return Ok(res);
    };
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let timestamp = state.clock.now().timestamp().to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let mut message = Vec::with_capacity(bytes.len() + 64);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), &bytes] {
        message.extend_from_slice(part);
        message.push(b'\n');
    }
    let signature = state.platform.sign(&message);
    let headers = head.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).expect("timestamps, hex, base64 and key ids are header-safe");
    headers.insert(TIMESTAMP, value(&timestamp));
    headers.insert(NONCE, value(&nonce));
    headers.insert(SERIAL, value(state.platform.id()));
    headers.insert(SIGNATURE, value(&signature));
    headers.insert(SIGNATURE_TYPE, HeaderValue::from_static(SCHEME));
    if bytes.is_empty()
        || head.headers().get(header::CONTENT_TYPE).is_some_and(|c| c.as_bytes().starts_with(b"application/json"))
    {
        head.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    }
    let res = head.set_body(bytes.boxed());
    Ok(ServiceResponse::new(req, res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_in_any_order() {
        let h = r#"WECHATPAY2-SHA256-RSA2048 serial_no="5157F09EFDC096DE15EBE81A47057A72",timestamp="1554208460",mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="uOVRnA4qG=""#;
        let a = parse_authorization(h).unwrap();
        assert_eq!(a.mchid, "1900009191");
        assert_eq!(a.timestamp, 1_554_208_460);
        assert_eq!(a.serial, "5157F09EFDC096DE15EBE81A47057A72");
        assert_eq!(a.signature, "uOVRnA4qG=");
        let spaced =
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1", nonce_str="n", signature="s", timestamp="2", serial_no="AB""#;
        assert_eq!(parse_authorization(spaced).unwrap().nonce, "n");
    }

    #[test]
    fn refuses_what_is_not_the_scheme() {
        for bad in [
            "",
            "Bearer x",
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="2""#,
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="x",serial_no="AB""#,
            r#"WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="n",signature="s",timestamp="2",serial_no="AB""#,
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="n",signature="s",timestamp="2",serial_no="AB""#,
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="",signature="s",timestamp="2",serial_no="AB""#,
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_message_is_five_lines() {
        let m = request_message("GET", "/v1/partner/sales?from=2026-12-01", "1700000000", "abc", b"");
        assert_eq!(m, b"GET\n/v1/partner/sales?from=2026-12-01\n1700000000\nabc\n\n");
    }
}
