//! `/v1/admin/unions`: the federation's organisation tree — its nodes, their import and export.

pub(crate) mod dto;
mod errors;
pub(crate) mod file;
mod nodes;
mod wire;

pub use dto::{code, UnionNodePage, UnionNodeView};
pub use wire::{wire, UnionsState};

use utoipa_actix_web::service_config::ServiceConfig;

/// The part of the tree a request names in `scope_code` (a staff account's, a campaign's, a pickup
/// point's), looked up in the asker's own: a union outside it is 404 `union.not_found`.
pub async fn scope_asked(
    unions: &UnionsState,
    actor: &domain::admin::Actor,
    code: Option<&str>,
) -> Result<Option<domain::unions::Scope>, crate::error::ApiError> {
    let Some(raw) = code else { return Ok(None) };
    let code = dto::code("scope_code", raw)?;
    Ok(Some(unions.unions.scope_of(actor, &code).await?))
}

pub fn routes(cfg: &mut ServiceConfig) {
    // The fixed paths before `{code}`: a code never holds a dot, but the order says so plainly.
    cfg.service(file::import_unions)
        .service(file::export_unions)
        .service(file::unions_template)
        .service(nodes::list_unions)
        .service(nodes::create_union)
        .service(nodes::get_union)
        .service(nodes::update_union)
        .service(nodes::merge_union)
        .service(nodes::close_union);
}
