//! Who may call what, decided before any extractor reads the request: otherwise a caller who is
//! not allowed could be told what is wrong with a body they had no right to send (actix resolves
//! a handler's extractors together, and the first to fail answers).
//!
//! - `/v1/admin/…` (but signing in): a member of staff whose account is active; pickup operators
//!   only at `/v1/admin/me`; auditors only read; only admins change staff accounts.
//! - `/v1/pickup/…`: a pickup operator.
//! - `/v1/partner/…` (but the platform keys): a request signed by a merchant's registered key;
//!   `/v1/bank/…` one signed by the bank's; every 2xx answer there is signed with our platform key.
//! - `/v1/me…`, `/v1/campaigns…`, `/v1/merchants…`: a valid member token of a member in standing (not
//!   suspended, not erased; see `members::standing`). The claim path uses only what is remembered:
//!   its sold-out answers must cost no read, and its insert checks the member's standing in its own
//!   statement. The campaign list and a campaign are also served without a token (the shared part);
//!   a token sent must be valid.
//!
//! What was established is left in the request's extensions for the `Staff`, `AnyStaff` and
//! member extractors.
//!
//! Every decision here is made on the path the router will match: actix decodes percent-encoded
//! characters (all but `%`, `/` and `+`) before routing, so `/v1/%62ank/…` reaches the bank's
//! handlers and must be judged as `/v1/bank/…`. Paths with empty or dot segments are refused
//! outright: a proxy in front may resolve them where we do not, and then we would judge one path
//! and serve another.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::admin::AdminState;
use crate::error::ApiError;
use crate::extract::{forbidden, Staff};
use crate::members::standing::{ReadNow, Standings};
use crate::members::{MemberToken, MembersState};
use domain::admin::error::AuthError;
use domain::admin::{AdminUser, Role};
use domain::merchants::PartnerKind;

enum Needs {
    Nothing,
    Staff {
        any_role: bool,
        manages_staff: bool,
        /// For the city federation's staff alone: the partner merchants and their keys (the
        /// federation's contracts, whoever's members use them), the cards and the bank's payout
        /// files (the federation's with the bank), the jobs outbox and the ledger's proof (the
        /// whole system's). Staff of a part of the tree get 403.
        federation: bool,
        /// Read by anyone's staff, changed by the city federation's alone: the working-day
        /// calendar and the time limits, which every union's deadlines count in, and the kinds
        /// of service case, which every union's members bring.
        federation_writes: bool,
    },
    PickupOperator,
    Member,
    /// A member token if one is sent (and then a valid one); the shared page without.
    MemberIfSent,
    Partner(PartnerKind),
}

fn needs(path: &str) -> Needs {
    // Every claim passes here: no allocation.
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if path == "/v1/admin/session" {
        Needs::Nothing
    } else if path == "/v1/admin/me" {
        Needs::Staff { any_role: true, manages_staff: false, federation: false, federation_writes: false }
    } else if path.starts_with("/v1/admin/") {
        Needs::Staff {
            any_role: false,
            manages_staff: under("/v1/admin/users"),
            federation: under("/v1/admin/merchants")
                || under("/v1/admin/cards")
                || under("/v1/admin/jobs")
                || under("/v1/admin/ledger"),
            federation_writes: under("/v1/admin/calendar")
                || under("/v1/admin/application-limits")
                || under("/v1/admin/service-kinds")
                || under("/v1/admin/service-budgets"),
        }
    } else if path.starts_with("/v1/pickup/") {
        Needs::PickupOperator
    } else if path.starts_with("/v1/partner/") {
        Needs::Partner(PartnerKind::Merchant)
    } else if path.starts_with("/v1/bank/") {
        Needs::Partner(PartnerKind::Bank)
    } else if path == "/v1/campaigns"
        || path.strip_prefix("/v1/campaigns/").is_some_and(|id| !id.is_empty() && !id.contains('/'))
    {
        Needs::MemberIfSent
    } else if under("/v1/me") || under("/v1/campaigns") || under("/v1/merchants") {
        Needs::Member
    } else {
        Needs::Nothing
    }
}

pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.match_info().as_str();
    if !canonical(path) {
        let refused = ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.path_not_canonical",
            "请求路径不规范（含空段或 . / .. 段）",
            "The request path has an empty, '.' or '..' segment",
        );
        return Ok(req.error_response(refused).map_into_boxed_body());
    }
    let decided = match needs(path) {
        Needs::Partner(role) => {
            let public = path == "/v1/partner/platform-keys";
            return partner(req, role, public, next).await;
        }
        Needs::Nothing => Ok(()),
        Needs::Member => member(&req).await,
        Needs::MemberIfSent if req.headers().contains_key(actix_web::http::header::AUTHORIZATION) => member(&req).await,
        Needs::MemberIfSent => Ok(()),
        Needs::Staff { .. } | Needs::PickupOperator => staff(&req).await,
    };
    match decided {
        Ok(()) => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Err(refused) => Ok(req.error_response(refused).map_into_boxed_body()),
    }
}

/// Partner routes: the signature is checked before anything reads the body, and every success
/// is signed on its way out (the platform keys too, so an SDK can check what it fetched).
async fn partner(
    mut req: ServiceRequest,
    role: PartnerKind,
    public: bool,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !public {
        if let Err(refused) = crate::merchants::signature::verify(&mut req, role).await {
            return Ok(req.error_response(refused).map_into_boxed_body());
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    crate::merchants::signature::sign(res).await
}

async fn member(req: &ServiceRequest) -> Result<(), ApiError> {
    let state = req.app_data::<web::Data<MembersState>>().ok_or_else(|| missing("MembersState"))?;
    let token = crate::extract::bearer(req.request()).ok_or(domain::members::error::AuthError::InvalidToken)?;
    let session = state.auth.verify(&token)?;
    if req.method() == Method::POST && is_claim(req.match_info().as_str()) {
        if let Some(refused) = state.standing.known_refusal(session, state.clock.now()) {
            return Err(refused.into());
        }
    } else {
        let found = Standings::check(state, session).await?;
        if found.read_now {
            req.extensions_mut().insert(ReadNow(found.profile));
        }
    }
    req.extensions_mut().insert(MemberToken(session));
    Ok(())
}

/// `/v1/campaigns/{id}/gifts/{gift}/claims`.
fn is_claim(path: &str) -> bool {
    let mut s = path.split('/');
    matches!(
        [s.next(), s.next(), s.next(), s.next(), s.next(), s.next(), s.next(), s.next()],
        [Some(""), Some("v1"), Some("campaigns"), Some(_), Some("gifts"), Some(_), Some("claims"), None]
    )
}

/// Whether the signed-in `admin` may call `method path` of the staff API: the rule this module
/// applies to every staff request, and the one the console asks for each of its pages and buttons.
pub fn admits(admin: &AdminUser, method: &Method, path: &str) -> Result<(), ApiError> {
    let read_only = crate::extract::reads_only(method, path);
    let (allowed, federation) = match needs(path) {
        Needs::Staff { any_role, manages_staff, federation, federation_writes } => {
            let role = admin.role;
            let writes = if manages_staff { role.may_manage_staff() } else { role.may_write() };
            let officer = role == Role::UnionOfficer && crate::extract::officer_may(method, path);
            let caseworker = role == Role::Caseworker && crate::extract::caseworker_may(method, path);
            (
                any_role || (role.may_use_admin_api() && (read_only || writes)) || officer || caseworker,
                federation || (federation_writes && !read_only),
            )
        }
        Needs::PickupOperator => (admin.role == Role::PickupOperator, false),
        _ => (false, false),
    };
    if !allowed {
        return Err(forbidden());
    }
    if federation && !admin.scope.is_whole_tree() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "auth.federation_only",
            "仅市总工会的工作人员可执行此操作",
            "Only the city federation's staff may do this",
        ));
    }
    Ok(())
}

async fn staff(req: &ServiceRequest) -> Result<(), ApiError> {
    let state = req.app_data::<web::Data<AdminState>>().ok_or_else(|| missing("AdminState"))?.clone();
    let token = crate::extract::bearer(req.request()).ok_or(AuthError::InvalidToken)?;
    let admin = state.admins.authenticate(&token).await?;
    admits(&admin, req.method(), req.match_info().as_str())?;
    let actor = crate::extract::actor(&admin, req.request());
    req.extensions_mut().insert(Staff { admin, actor });
    Ok(())
}

/// No empty segment (`//`) and no `.` or `..` segment; a single trailing slash is a path of its
/// own (the router answers 404 for it), not an empty segment.
fn canonical(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else { return false };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.is_empty() || rest.split('/').all(|segment| !matches!(segment, "" | "." | ".."))
}

fn missing(what: &str) -> ApiError {
    ApiError::internal(&anyhow::anyhow!("{what} missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_have_no_empty_or_dot_segments() {
        for good in ["/", "/v1/bank/rebates", "/v1/bank/rebates/", "/v1/me", "/v1/a.b/..c/.d"] {
            assert!(canonical(good), "{good}");
        }
        for bad in
            ["", "v1/me", "//v1/me", "/v1//me", "/v1/me//", "/v1/./me", "/v1/../bank/x", "/v1/me/.", "/v1/me/..", "/./"]
        {
            assert!(!canonical(bad), "{bad}");
        }
    }

    #[test]
    fn the_scope_follows_the_first_segments() {
        assert!(matches!(needs("/v1/bank/rebates"), Needs::Partner(PartnerKind::Bank)));
        assert!(matches!(needs("/v1/partner/sales"), Needs::Partner(PartnerKind::Merchant)));
        assert!(matches!(needs("/v1/me"), Needs::Member));
        assert!(matches!(needs("/v1/campaigns/x"), Needs::MemberIfSent));
        assert!(matches!(needs("/v1/campaigns/x/gifts/y/claims"), Needs::Member));
        assert!(matches!(needs("/v1/admin/session"), Needs::Nothing));
        assert!(matches!(needs("/v1/admin/users/x"), Needs::Staff { any_role: false, manages_staff: true, .. }));
        assert!(matches!(needs("/v1/admin/merchants/x/keys"), Needs::Staff { federation: true, .. }));
        assert!(matches!(needs("/v1/admin/ledger/audit"), Needs::Staff { federation: true, .. }));
        assert!(matches!(needs("/v1/admin/merchantsx"), Needs::Staff { federation: false, .. }));
        assert!(matches!(needs("/v1/admin/campaigns/x"), Needs::Staff { federation: false, .. }));
        assert!(matches!(needs("/v1/mean"), Needs::Nothing));
        assert!(is_claim("/v1/campaigns/a/gifts/b/claims"));
        assert!(!is_claim("/v1/campaigns/a/gifts/b/claims/c"));
        assert!(!is_claim("/v1/campaigns/a/gifts/claims"));
    }
}
