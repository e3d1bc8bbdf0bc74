use actix_web::http::StatusCode;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::admin::{AdminError, LoginError};

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "admin.invalid_credentials",
                "用户名或密码错误",
                "Invalid username or password",
            ),
            LoginError::Disabled => {
                ApiError::new(StatusCode::FORBIDDEN, "admin.disabled", "账号已停用", "This account is disabled")
            }
            LoginError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Forbidden => forbidden(),
            AdminError::ScopeNotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "union.not_found", "工会不存在", "No such union")
            }
            AdminError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "admin.not_found", "管理员账号不存在", "No such admin user")
            }
            AdminError::DuplicateUsername => ApiError::new(
                StatusCode::CONFLICT,
                "admin.duplicate_username",
                "用户名已被使用",
                "Username already taken",
            ),
            AdminError::EmptyChange => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "request.empty_change",
                "没有需要修改的内容",
                "Nothing to change",
            ),
            AdminError::LastAdmin => ApiError::new(
                StatusCode::CONFLICT,
                "admin.last_admin",
                "不能停用或降级最后一个管理员",
                "The last active admin cannot be disabled or demoted",
            ),
            AdminError::OwnAccount => ApiError::new(
                StatusCode::CONFLICT,
                "admin.own_account",
                "不能停用或降级自己的账号",
                "You cannot disable or demote your own account",
            ),
            AdminError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
