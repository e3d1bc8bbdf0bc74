use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::unions::UnionError;

impl From<UnionError> for ApiError {
    fn from(e: UnionError) -> Self {
        match e {
            UnionError::Forbidden => forbidden(),
            UnionError::NotFound(code) => ApiError::new(S::NOT_FOUND, "union.not_found", "工会不存在", "No such union")
                .with("union", code.as_str()),
            UnionError::CodeTaken(code) => {
                ApiError::new(S::CONFLICT, "union.code_taken", "工会编码已被使用", "The union code is taken")
                    .with("union", code.as_str())
            }
            UnionError::Invalid { field, zh, en } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "validation.invalid_field", zh, "A field is invalid")
                    .detail(en)
                    .with("field", field)
            }
            UnionError::Placement { zh, en } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "union.placement", zh, "The union cannot sit there").detail(en)
            }
            UnionError::Closed(code) => ApiError::new(S::CONFLICT, "union.closed", "工会已撤销", "The union is closed")
                .with("union", code.as_str()),
            UnionError::HasMembers(n) => ApiError::new(
                S::CONFLICT,
                "union.has_members",
                "该工会仍有在会会员，不能撤销",
                "Active members still belong to the union",
            )
            .with("active_members", n),
            UnionError::HasChildren(n) => ApiError::new(
                S::CONFLICT,
                "union.has_children",
                "该工会之下仍有未撤销的工会，不能撤销",
                "Open unions still sit under it",
            )
            .with("open_children", n),
            UnionError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
