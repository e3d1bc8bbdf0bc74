//! Text in request bodies may not carry control characters: PostgreSQL refuses NUL in text (which
//! would surface as a 500) while SQLite stores it, and no field of this API has a use for them.
//! Refused here, once for every route and both backends; tab, line feed and carriage return stay.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::error::ApiError;

pub async fn refuse_control_characters(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let json = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    if !json {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    // Within the body limit, as the JSON extractor would read it; too large a body is the
    // extractor's to refuse, with its own problem.
    let bytes = match req.extract::<web::Bytes>().await {
        Ok(bytes) => bytes,
        Err(_) => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
    };
    if escapes_a_control_character(&bytes) {
        let refused = ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.control_character",
            "请求中的文本不能包含控制字符",
            "Text in the request may not contain control characters",
        );
        return Ok(req.error_response(refused).map_into_boxed_body());
    }
    req.set_payload(Payload::from(bytes));
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

/// Whether JSON text escapes a C0 control character other than tab, line feed and carriage
/// return (`\u0000`, `\b`, `\f`, …). Raw control bytes are not valid JSON: the parser refuses those.
fn escapes_a_control_character(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        match json.get(i + 1) {
            Some(b'b' | b'f') => return true,
            Some(b'u') => {
                let code = json.get(i + 2..i + 6).and_then(|h| std::str::from_utf8(h).ok());
                if let Some(code) = code.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                    if code < 0x20 && !matches!(code, 0x09 | 0x0a | 0x0d) {
                        return true;
                    }
                }
                i += 6;
            }
            // `\\`, `\"`, `\n`… : the escaped character cannot start another escape.
            Some(_) => i += 2,
            None => i += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::escapes_a_control_character as refused;

    #[test]
    fn control_escapes_are_found_and_everything_else_passes() {
        for bad in [r#"{"t":"a\u0000b"}"#, r#"{"t":"\u001F"}"#, r#"{"t":"\u0007"}"#, r#"{"t":"\b"}"#, r#"{"t":"\f"}"#] {
            assert!(refused(bad.as_bytes()), "{bad}");
        }
        for good in [
            r#"{"t":"line\nline\ttab\r"}"#,
            r#"{"t":"\u000a\u0009\u000D"}"#,
            r#"{"t":"a literal \\u0000 is text"}"#,
            r#"{"t":"\\b is text too","n":1}"#,
            r#"{"t":"中文 \u4e2d \"quoted\""}"#,
        ] {
            assert!(!refused(good.as_bytes()), "{good}");
        }
    }
}
