//! `Idempotency-Key` at the edge: a route opts in by taking [`Idempotent<T>`] instead of
//! `web::Json<T>` and running its work through [`once()`]. The same key and request get the first
//! answer again (marked `Idempotent-Replayed: true`); the same key with another request is 422
//! `idempotency.mismatch`; while the first is running, 409 `idempotency.in_flight`.

use actix_web::body::to_bytes;
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{mime, web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::future::Future;

use crate::error::ApiError;
use crate::extract::json_error;
use crate::wire::Idempotency;
use domain::shared::idempotency::{Begin, Fingerprint, IdempotencyKey, Kept, KeyedAnswer, RunToken, StoredResponse};

pub const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

/// A JSON request body with what [`once`] needs to know about the request.
pub struct Idempotent<T> {
    pub body: T,
    pub once: Once,
}

/// The request's `Idempotency-Key`, if it sent one, and the fingerprint of what it asks.
pub struct Once {
    key: Option<IdempotencyKey>,
    fingerprint: Fingerprint,
}

impl Once {
    /// For routes where a retry without a key could do the work twice: a missing key is 400.
    pub fn required(self) -> Result<Self, ApiError> {
        if self.key.is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency.key_required",
                "此接口须携带 Idempotency-Key 请求头",
                "This endpoint requires an Idempotency-Key header",
            ));
        }
        Ok(self)
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Idempotent<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = match req.headers().get(HEADER).map(|v| v.to_str().map(str::trim)) {
            None => Ok(None),
            Some(Ok(raw)) => IdempotencyKey::parse(raw).map(Some).map_err(|_| invalid_key()),
            Some(Err(_)) => Err(invalid_key()),
        };
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.type_() == mime::APPLICATION && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        });
        let target = format!("{}\n{}\n", req.method(), req.uri().path_and_query().map_or("", |p| p.as_str()));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let key = key?;
            if !is_json {
                return Err(json_error(JsonPayloadError::ContentType));
            }
            let bytes = bytes.await.map_err(payload_error)?;
            let body = serde_json::from_slice(&bytes).map_err(|e| json_error(JsonPayloadError::Deserialize(e)))?;
            let mut digest = Sha256::new();
            digest.update(target.as_bytes());
            digest.update(&bytes);
            Ok(Self { body, once: Once { key, fingerprint: Fingerprint(hex::encode(digest.finalize())) } })
        })
    }
}

/// Runs `work` once per key within `scope` (the caller): a repeat gets the stored answer.
/// Without a key the work simply runs. With one, the work and the storing of its answer run as
/// their own task, so a client that hangs up mid-request cannot leave the work done but its
/// answer unstored.
pub async fn once<Fut>(
    idem: web::Data<Idempotency>,
    scope: String,
    once: Once,
    work: Fut,
) -> Result<HttpResponse, ApiError>
where
    Fut: Future<Output = Result<HttpResponse, ApiError>> + 'static,
{
    let Once { key, fingerprint } = once;
    let Some(key) = key else { return work.await };
    let token = match idem.begin(&scope, &key, &fingerprint).await.map_err(|e| ApiError::internal(&e))? {
        Begin::Run(token) => token,
        Begin::Replay(stored) => return Ok(replay(stored)),
        Begin::Mismatch => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency.mismatch",
                "该幂等键已用于另一个请求",
                "This Idempotency-Key was used for a different request",
            ))
        }
        Begin::InFlight => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency.in_flight",
                "使用该幂等键的请求仍在处理中",
                "A request with this Idempotency-Key is still being processed",
            )
            .retry_after(1))
        }
    };
    let run = actix_web::rt::spawn(async move {
        let outcome = work.await;
        finish(&idem, &scope, &key, &token, outcome).await
    });
    run.await.map_err(|e| ApiError::internal(&anyhow::anyhow!("idempotent run did not finish: {e}")))?
}

/// For work that keeps its answer in its own commit ([`KeyedAnswer`]): `answer` is what the work
/// will say, rendered before it runs, and `write` does it, keeping the answer when given one. So
/// a first request costs the work's own write and nothing more. A held key goes through [`once`],
/// which replays the stored answer (or, when the key's holder expired, runs the work again
/// without an answer to keep and stores its answer itself).
pub async fn once_kept<W, Fut>(
    idem: web::Data<Idempotency>,
    scope: String,
    once: Once,
    answer: StoredResponse,
    write: W,
) -> Result<HttpResponse, ApiError>
where
    W: Fn(Option<KeyedAnswer>) -> Fut + 'static,
    Fut: Future<Output = Result<Kept, ApiError>> + 'static,
{
    let keyed = once.key.as_ref().map(|key| idem.keyed(&scope, key, &once.fingerprint, answer.clone()));
    match write(keyed).await {
        Ok(Kept::Written) => Ok(rebuild(&answer)),
        Ok(Kept::KeyHeld) => {
            self::once(idem, scope, once, async move {
                match write(None).await? {
                    Kept::Written => Ok(rebuild(&answer)),
                    Kept::KeyHeld => Err(ApiError::internal(&anyhow::anyhow!("work without a key found one held"))),
                }
            })
            .await
        }
        Err(refusal) => refused(idem, scope, once, refusal).await,
    }
}

/// A request refused before or by its work. With a key, a stored answer still wins: the retry of
/// a request that went through can be refused by what its first run did (its limit used up, its
/// one-time code spent), yet it must get that first answer again.
pub async fn refused(
    idem: web::Data<Idempotency>,
    scope: String,
    once: Once,
    refusal: ApiError,
) -> Result<HttpResponse, ApiError> {
    if once.key.is_none() || !refusal.status().is_client_error() {
        return Err(refusal);
    }
    self::once(idem, scope, once, async move { Err(refusal) }).await
}

/// An answer as [`once_kept`] keeps it: JSON with `status`.
pub fn json_answer(status: StatusCode, body: &impl serde::Serialize) -> Result<StoredResponse, ApiError> {
    let body = serde_json::to_vec(body).map_err(|e| ApiError::internal(&e.into()))?;
    let content_type = mime::APPLICATION_JSON.to_string();
    Ok(StoredResponse {
        status: status.as_u16(),
        headers: vec![(header::CONTENT_TYPE.to_string(), content_type)],
        body,
    })
}

/// Stores a success; frees the key after a refusal of the request itself (4xx: nothing was
/// done); keeps it locked after a server failure, which may have come after the work was done.
async fn finish(
    idem: &Idempotency,
    scope: &str,
    key: &IdempotencyKey,
    token: &RunToken,
    outcome: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let status = match &outcome {
        Ok(res) => res.status(),
        Err(e) => e.status(),
    };
    match outcome {
        Ok(res) if status.is_success() => {
            let stored = capture(res).await?;
            // The work is done: an answer that cannot be stored is still the answer. A retry
            // runs again once the key's lock passes, which the log says.
            if let Err(e) = idem.complete(scope, key, token, &stored).await {
                tracing::error!(error = format!("{e:#}"), "idempotent answer could not be stored");
            }
            Ok(rebuild(&stored))
        }
        other => {
            if status.is_client_error() {
                if let Err(e) = idem.release(scope, key, token).await {
                    tracing::warn!(error = format!("{e:#}"), "idempotency key could not be released");
                }
            }
            other
        }
    }
}

/// The `Idempotency-Key` header, as routes that take it document it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct KeyHeader {
    /// Any 1–255 visible ASCII characters, new for each distinct request (a UUID). Answers are
    /// kept for at least 24 hours; a repeat within that time gets the first answer back.
    #[param(
        rename = "Idempotency-Key",
        example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a",
        min_length = 1,
        max_length = 255
    )]
    #[allow(dead_code)]
    key: Option<String>,
}

/// The caller's own key space: staff and members never share one.
pub fn staff_scope(admin: &domain::admin::AdminUser) -> String {
    format!("staff:{}", admin.id)
}

async fn capture(res: HttpResponse) -> Result<StoredResponse, ApiError> {
    let status = res.status().as_u16();
    let headers = [header::CONTENT_TYPE, header::LOCATION]
        .iter()
        .filter_map(|name| {
            res.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| (name.to_string(), v.to_owned()))
        })
        .collect();
    let body = to_bytes(res.into_body())
        .await
        .map_err(|e| ApiError::internal(&anyhow::anyhow!("response body could not be read: {e}")))?;
    Ok(StoredResponse { status, headers, body: body.to_vec() })
}

fn rebuild(stored: &StoredResponse) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    for (name, value) in &stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            res.insert_header((name, value));
        }
    }
    res.body(stored.body.clone())
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let mut res = rebuild(&stored);
    res.headers_mut().insert(HeaderName::from_static(REPLAYED), HeaderValue::from_static("true"));
    res
}

fn invalid_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "idempotency.invalid_key",
        "Idempotency-Key 须为 1–255 个可见 ASCII 字符",
        "Idempotency-Key must be 1-255 visible ASCII characters",
    )
}

fn payload_error(e: actix_web::Error) -> ApiError {
    match e.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "请求体过大", "Request body too large")
        }
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.unreadable_body",
            "无法读取请求体",
            "Request body could not be read",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_that_requires_a_key_refuses_a_request_without_one() {
        let fingerprint = Fingerprint("f".into());
        let without = Once { key: None, fingerprint: fingerprint.clone() };
        let refused = without.required().err().expect("refused");
        assert_eq!((refused.status(), refused.code()), (StatusCode::BAD_REQUEST, "idempotency.key_required"));
        let with = Once { key: Some(IdempotencyKey::parse("k").unwrap()), fingerprint };
        assert!(with.required().is_ok());
    }
}
