//! A case's multipart body: named text parts, and files — each spooled to disk as it arrives (so
//! memory stays flat however many upload at once), counted, hashed and judged by its first bytes.
//! Nothing is kept until the whole body has arrived and been checked.

use std::collections::HashMap;

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::StatusCode as S;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use domain::services::files::{clean_name, Upload};
use domain::services::form::{FileType, MAX_FILE_BYTES};
use infra::spool::{Spool, SpoolError};

/// The most parts one body may have: the form's files and a few text parts.
const MAX_PARTS: usize = 60;
/// The most a text part may be.
const MAX_TEXT: usize = 256 * 1024;

pub struct Parts {
    pub texts: HashMap<String, String>,
    pub files: Vec<Upload>,
}

fn unreadable(e: MultipartError) -> ApiError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => ApiError::new(
            S::UNSUPPORTED_MEDIA_TYPE,
            "request.multipart_required",
            "请以 multipart/form-data 提交",
            "Send the body as multipart/form-data with a boundary",
        ),
        other => ApiError::new(
            S::BAD_REQUEST,
            "request.multipart_invalid",
            "无法读取上传的内容",
            "The multipart body could not be read",
        )
        .detail(other.to_string()),
    }
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::internal(&e.into())
}

/// Reads every part: those named in `texts` (without a file name) as text, every other part as a
/// file whose part name is its slot.
pub async fn read(mut body: Multipart, texts: &[&str]) -> Result<Parts, ApiError> {
    let mut parts = Parts { texts: HashMap::new(), files: Vec::new() };
    let mut count = 0;
    while let Some(field) = body.next().await {
        let mut field = field.map_err(unreadable)?;
        count += 1;
        if count > MAX_PARTS {
            return Err(ApiError::new(
                S::PAYLOAD_TOO_LARGE,
                "request.too_many_parts",
                "上传的部分过多",
                "Too many parts",
            )
            .detail(format!("at most {MAX_PARTS} parts")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
        if file_name.is_none() && texts.contains(&name.as_str()) {
            let mut text = Vec::new();
            while let Some(chunk) = field.next().await {
                text.extend_from_slice(&chunk.map_err(unreadable)?);
                if text.len() > MAX_TEXT {
                    return Err(ApiError::new(
                        S::PAYLOAD_TOO_LARGE,
                        "request.too_large",
                        "内容过长",
                        "A text part is too long",
                    )
                    .with("field", name));
                }
            }
            let text = String::from_utf8(text).map_err(|_| {
                ApiError::new(S::BAD_REQUEST, "request.multipart_invalid", "文本须为 UTF-8", "A text part is not UTF-8")
                    .with("field", name.clone())
            })?;
            parts.texts.insert(name, text);
            continue;
        }
        let mut spool = Spool::new(MAX_FILE_BYTES).map_err(internal)?;
        let mut digest = Sha256::new();
        let mut head = Vec::with_capacity(8);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if head.len() < 8 {
                head.extend_from_slice(&chunk[..chunk.len().min(8 - head.len())]);
            }
            digest.update(&chunk);
            spool.write(&chunk).map_err(|e| match e {
                SpoolError::TooLarge(max) => ApiError::new(
                    S::PAYLOAD_TOO_LARGE,
                    "case.attachment_too_large",
                    "附件文件过大",
                    "An attached file is too large",
                )
                .with("slot", name.clone())
                .with("max_bytes", max),
                SpoolError::Io(e) => internal(e),
            })?;
        }
        let bytes = spool.len();
        let file_type = if bytes == 0 {
            return Err(ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "case.attachment_empty",
                "附件文件为空",
                "An attached file is empty",
            )
            .with("slot", name));
        } else {
            FileType::sniff(&head).ok_or_else(|| {
                ApiError::new(
                    S::UNSUPPORTED_MEDIA_TYPE,
                    "case.attachment_type",
                    "附件须为 PDF、JPEG 或 PNG 文件（按文件内容判断）",
                    "An attached file is not a PDF, JPEG or PNG by its content",
                )
                .with("slot", name.clone())
            })?
        };
        parts.files.push(Upload {
            slot: name,
            file_name: clean_name(file_name.as_deref().unwrap_or_default()),
            file_type,
            bytes,
            sha256: hex::encode(digest.finalize()),
            body: Box::new(spool.into_reader().map_err(internal)?),
        });
    }
    Ok(parts)
}

/// The schema of a case's multipart body: the named text parts, and files under their slots' keys.
pub struct CaseUpload;

impl utoipa::PartialSchema for CaseUpload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let binary = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("A file, in a part named by its slot's key (the kind's `attachments[].key`)"));
        ObjectBuilder::new()
            .property(
                "case",
                ObjectBuilder::new().schema_type(Type::String).description(Some(
                    "Submitting: JSON `{\"kind\": code, \"answers\": {field key: value}, \"message\": optional text}`",
                )),
            )
            .property(
                "body",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Answering a return: what the member adds, 1–2000 characters (optional)")),
            )
            .additional_properties(Some(AdditionalProperties::RefOr(binary.into())))
            .examples([serde_json::json!({
                "case": "{\"kind\":\"illness-subsidy\",\"answers\":{\"diagnosis\":\"急性心肌梗死\",\"self_paid_fen\":4830000}}",
                "diagnosis_proof": "(the bytes of 诊断证明.pdf)",
            })])
            .into()
    }
}

impl utoipa::ToSchema for CaseUpload {}
