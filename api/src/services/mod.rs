//! Service windows (服务窗口): members bring the union questions, applications and complaints;
//! caseworkers answer or decide them within time limits in working days; cases past a limit climb
//! the union tree; every staff read of a case is logged.

pub(crate) mod dto;
mod errors;
mod kinds;
mod member;
mod payouts;
mod report;
pub(crate) mod settings;
mod staff;
mod upload;
mod wire;

pub use wire::{file_store, wire, ServicesState};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(kinds::list_kinds)
        .service(kinds::create_kind)
        .service(kinds::replace_kind)
        .service(member::member_kinds)
        .service(member::submit)
        .service(member::my_cases)
        .service(member::my_case)
        .service(member::message)
        .service(member::resubmit)
        .service(member::withdraw)
        .service(member::rate)
        .service(member::attachment)
        .service(staff::queue)
        .service(staff::get_case)
        .service(staff::step)
        .service(staff::message)
        .service(staff::note)
        .service(staff::attachment)
        .service(staff::reads)
        .service(payouts::budgets)
        .service(payouts::set_budget)
        .service(payouts::payouts)
        .service(payouts::staff_pays)
        .service(payouts::bank_payouts)
        .service(payouts::bank_pays)
        .service(report::service_report);
}

const PROBLEM: &str = "application/problem+json";

fn case_id(raw: &str) -> Result<domain::services::CaseId, crate::error::ApiError> {
    // Not an id we gave: no such case.
    raw.parse().map_err(|_| domain::services::ServiceError::NotFound.into())
}

/// A case's file for `reader`, as a download. Ids we never gave are no such file.
pub(crate) async fn serve_file(
    state: &ServicesState,
    reader: domain::services::service::FileReader<'_>,
    (case, file): (String, String),
) -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    let missing = |_| crate::error::ApiError::from(domain::services::ServiceError::AttachmentNotFound);
    let (case, file) = (case.parse().map_err(missing)?, file.parse().map_err(missing)?);
    let (a, bytes) = state.services.file(reader, case, file).await?;
    Ok(download(&a, bytes))
}

/// A file's bytes, as its type, to be saved rather than shown (its name in both forms RFC 6266 allows).
fn download(a: &domain::services::model::Attachment, bytes: Vec<u8>) -> actix_web::HttpResponse {
    let ascii: String =
        a.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = a
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    actix_web::HttpResponse::Ok()
        .content_type(a.file_type.media_type())
        .insert_header(("content-disposition", format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes)
}
