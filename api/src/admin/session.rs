use actix_web::{get, post, web};
use std::time::Duration;

use super::dto::{AdminView, LoginRequest, SessionResponse};
use super::AdminState;
use crate::client_address::ClientAddress;
use crate::error::ApiError;
use crate::extract::AnyStaff;
use crate::limits;

/// Per client address, on top of the per-account lockout: slows password spraying across accounts.
const LOGINS_PER_IP: u32 = 30;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// Signs a member of staff in.
///
/// Exchanges username and password for a staff token (`admin_jwt`). Five wrong passwords in a row lock the account for
/// 15 minutes (audit-logged as `admin_user.lock`; parallel attempts each count). A locked account is answered exactly
/// as an unknown name or a wrong password is (401, after the same work), so the answer never says a name exists; staff
/// see and lift locks in the account list. A client address gets at most 30 attempts a minute. A disabled account is
/// refused once its password is right.
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "admin_sign_in", 
    tag = "admin",
    request_body = LoginRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 401, description = "Unknown user, wrong password or a locked account", body = crate::openapi::Problem,
            content_type = "application/problem+json", example = json!({"type": "urn:sgh:problem:admin.invalid_credentials",
            "title": "用户名或密码错误", "message": "用户名或密码错误", "status": 401, "code": "admin.invalid_credentials",
            "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7cb"})),
        (status = 403, description = "Account disabled", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/admin/session")]
pub async fn create_session(
    state: web::Data<AdminState>,
    client: ClientAddress,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<SessionResponse>, ApiError> {
    let ip = client.0;
    limits::enforce(&state.limiter, &format!("admin-login:{ip}"), LOGINS_PER_IP, LOGIN_WINDOW).await?;
    let session = state.admins.login(&body.username, &body.password).await?;
    let now = state.clock.now();
    Ok(web::Json(SessionResponse {
        access_token: session.token,
        token_type: "Bearer",
        expires_at: session.expires_at,
        expires_in: (session.expires_at - now).num_seconds().max(0),
        admin: AdminView::new(&session.admin, now),
    }))
}

/// The signed-in member of staff.
///
/// The account behind the staff token, with its role. Changes nothing.
///
/// Who: any member of staff, pickup operators included.
#[utoipa::path(operation_id = "admin_get_own_account", 
    tag = "admin",
    security(("admin_jwt" = [])),
    responses(
        (status = 200, body = AdminView),
        (status = 401, description = "Missing or invalid token", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/admin/me")]
pub async fn me(state: web::Data<AdminState>, staff: AnyStaff) -> web::Json<AdminView> {
    web::Json(AdminView::new(&staff.0.admin, state.clock.now()))
}
