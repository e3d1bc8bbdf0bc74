use actix_web::{get, patch, post, web, HttpResponse};

use super::dto::{AdminList, AdminView, CreateAdminRequest, UpdateAdminRequest};
use super::AdminState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::admin::{Actor, AdminId, AdminPatch, AdminUser, NewAdmin, Password, Username};
use domain::shared::EmailAddress;

fn username(raw: &str) -> Result<Username, ApiError> {
    Username::parse(raw).map_err(|e| ApiError::validation("username", "用户名格式不正确", e.to_string()))
}

fn password(raw: String) -> Result<Password, ApiError> {
    Password::parse(raw).map_err(|e| ApiError::validation("password", "密码长度须为 12–128 个字符", e.to_string()))
}

fn email(raw: &str) -> Result<EmailAddress, ApiError> {
    EmailAddress::parse(raw).map_err(|e| ApiError::validation("email", "电子邮箱格式不正确", e.to_string()))
}

fn display_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if (1..=50).contains(&name.chars().count()) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::validation(
            "display_name",
            "显示名称须为 1–50 个字符",
            "display_name must be 1-50 characters".into(),
        ))
    }
}

impl TryFrom<CreateAdminRequest> for NewAdmin {
    type Error = ApiError;

    fn try_from(r: CreateAdminRequest) -> Result<Self, ApiError> {
        Ok(NewAdmin {
            username: username(&r.username)?,
            display_name: display_name(&r.display_name)?,
            email: r.email.as_deref().map(email).transpose()?,
            role: r.role.into(),
            password: password(r.password)?,
            // Resolved against the tree by the handler.
            scope: None,
        })
    }
}

impl TryFrom<UpdateAdminRequest> for AdminPatch {
    type Error = ApiError;

    fn try_from(r: UpdateAdminRequest) -> Result<Self, ApiError> {
        Ok(AdminPatch {
            display_name: r.display_name.as_deref().map(display_name).transpose()?,
            email: r.email.map(|e| e.as_deref().map(email).transpose()).transpose()?,
            role: r.role.map(Into::into),
            disabled: r.disabled,
            password: r.password.map(password).transpose()?,
            unlock: r.unlock,
            scope: None,
        })
    }
}

const PROBLEM: &str = "application/problem+json";

/// All staff accounts, oldest first.
///
/// Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_list_staff", 
    tag = "admin",
    security(("admin_jwt" = [])),
    responses(
        (status = 200, body = AdminList),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
    )
)]
#[get("/v1/admin/users")]
pub async fn list_users(state: web::Data<AdminState>, staff: Staff) -> Result<web::Json<AdminList>, ApiError> {
    let now = state.clock.now();
    let users = state.admins.list(&staff.actor).await?;
    Ok(web::Json(AdminList { items: users.iter().map(|u| AdminView::new(u, now)).collect() }))
}

/// Creates a staff account.
///
/// A username, display name, role (`admin`, `operator`, `auditor` or `pickup_operator`) and a password of 12–128
/// characters. With an e-mail address, a welcome message is queued in the same transaction. Audit-logged as
/// `admin_user.create`.
///
/// Who: staff with role admin (any other role gets 403).
#[utoipa::path(operation_id = "admin_create_staff", 
    tag = "admin",
    security(("admin_jwt" = [])),
    request_body = CreateAdminRequest,
    responses(
        (status = 201, body = AdminView),
        (status = 403, description = "Only admins manage staff", body = crate::openapi::Problem, content_type = PROBLEM,
            example = json!({"type": "urn:sgh:problem:auth.forbidden", "title": "当前角色无权执行此操作",
            "message": "当前角色无权执行此操作", "status": 403, "code": "auth.forbidden",
            "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7c9"})),
        (status = 409, description = "Username taken", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "A field is invalid", body = crate::openapi::Problem, content_type = PROBLEM,
            example = json!({"type": "urn:sgh:problem:validation.invalid_field", "title": "密码长度须为 12–128 个字符",
            "message": "密码长度须为 12–128 个字符", "status": 422, "code": "validation.invalid_field",
            "detail": "password must be 12-128 characters long", "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7ca",
            "field": "password"})),
    )
)]
#[post("/v1/admin/users")]
pub async fn create_user(
    state: web::Data<AdminState>,
    unions: web::Data<crate::unions::UnionsState>,
    staff: Staff,
    body: web::Json<CreateAdminRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = create(&state, &unions, &staff.actor, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(AdminView::new(&admin, state.clock.now())))
}

/// The API's create, for the console too.
pub(crate) async fn create(
    state: &AdminState,
    unions: &crate::unions::UnionsState,
    actor: &Actor,
    body: CreateAdminRequest,
) -> Result<AdminUser, ApiError> {
    let scope = crate::unions::scope_asked(unions, actor, body.scope_code.as_deref()).await?;
    let new = NewAdmin { scope, ..NewAdmin::try_from(body)? };
    Ok(state.admins.create(actor, new).await?)
}

/// One staff account.
///
/// Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_get_staff", 
    tag = "admin",
    security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path, description = "Admin user id")),
    responses(
        (status = 200, body = AdminView),
        (status = 400, description = "Malformed id", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
    )
)]
#[get("/v1/admin/users/{id}")]
pub async fn get_user(
    state: web::Data<AdminState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<AdminView>, ApiError> {
    let admin = state.admins.get(&staff.actor, AdminId(id.into_inner())).await?;
    Ok(web::Json(AdminView::new(&admin, state.clock.now())))
}

/// Changes a staff account.
///
/// Role, display name, e-mail, password, the disabled flag, or clears a lockout. The last active admin cannot be
/// demoted or disabled, nor can an admin disable or demote itself. Audit-logged as `admin_user.update`.
///
/// Who: staff with role admin (any other role gets 403).
#[utoipa::path(operation_id = "admin_update_staff", 
    tag = "admin",
    security(("admin_jwt" = [])),
    params(("id" = uuid::Uuid, Path, description = "Admin user id")),
    request_body = UpdateAdminRequest,
    responses(
        (status = 200, body = AdminView),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`admin.last_admin` (would leave no active admin) or `admin.own_account` (an admin disabling or demoting itself)", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    )
)]
#[patch("/v1/admin/users/{id}")]
pub async fn update_user(
    state: web::Data<AdminState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
    unions: web::Data<crate::unions::UnionsState>,
    body: web::Json<UpdateAdminRequest>,
) -> Result<web::Json<AdminView>, ApiError> {
    let admin = update(&state, &unions, &staff.actor, AdminId(id.into_inner()), body.into_inner()).await?;
    Ok(web::Json(AdminView::new(&admin, state.clock.now())))
}

/// The API's change, for the console too.
pub(crate) async fn update(
    state: &AdminState,
    unions: &crate::unions::UnionsState,
    actor: &Actor,
    id: AdminId,
    body: UpdateAdminRequest,
) -> Result<AdminUser, ApiError> {
    let scope = crate::unions::scope_asked(unions, actor, body.scope_code.as_deref()).await?;
    let patch = AdminPatch { scope, ..AdminPatch::try_from(body)? };
    Ok(state.admins.update(actor, id, patch).await?)
}
