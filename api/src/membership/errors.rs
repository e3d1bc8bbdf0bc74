use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::membership::MembershipError;

impl From<MembershipError> for ApiError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::Forbidden => forbidden(),
            MembershipError::NotFound => {
                ApiError::new(S::NOT_FOUND, "application.not_found", "申请不存在", "No such application")
            }
            MembershipError::Union(e) => e.into(),
            MembershipError::NoRealName => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "application.real_name_required",
                "请填写姓名和身份证号，或先完成实名认证",
                "Give name and id_number, or bind your real name first",
            ),
            MembershipError::AlreadyMember(union) => ApiError::new(
                S::CONFLICT,
                "application.already_member",
                "您已是工会会员，如更换工作单位请申请会员关系转接",
                "Already an active member: ask for a transfer instead",
            )
            .with("union", union.as_str()),
            MembershipError::NotMember => {
                ApiError::new(S::CONFLICT, "application.not_member", "您目前不是在会会员", "Not an active member")
            }
            MembershipError::OpenExists(id) => ApiError::new(
                S::CONFLICT,
                "application.open_exists",
                "您已有一项申请正在办理",
                "An application of yours is still open",
            )
            .with("application", id.to_string()),
            MembershipError::NotJoinable(union) => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "application.not_grassroots",
                "只能申请加入基层工会或联合工会",
                "Only grassroots and joint unions take members",
            )
            .with("union", union.as_str()),
            MembershipError::SameUnion(union) => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "application.same_union",
                "您已是该工会会员",
                "Already a member of that union",
            )
            .with("union", union.as_str()),
            MembershipError::NotOpen(state) => {
                ApiError::new(S::CONFLICT, "application.decided", "该申请已办结", "The application is no longer open")
                    .with("state", state.as_str())
            }
            MembershipError::Moved => ApiError::new(
                S::CONFLICT,
                "application.member_moved",
                "会员所在工会已变更，请退回后由会员重新申请",
                "The member's union changed since they asked: refuse it, and they ask again",
            ),
            MembershipError::NotDecider => ApiError::new(
                S::FORBIDDEN,
                "application.not_deciding_union",
                "会员关系转接由转入工会审批，转出工会可留言",
                "The receiving union decides; the sending union may comment",
            ),
            MembershipError::Invalid { field, zh, en } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "validation.invalid_field", zh, "A field is invalid")
                    .detail(en)
                    .with("field", field)
            }
            MembershipError::Calendar(e) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "calendar.invalid", e.zh, "The calendar is invalid").detail(e.en)
            }
            MembershipError::AlreadyBound => ApiError::new(
                S::CONFLICT,
                "realname.already_bound",
                "已完成实名认证，无需再填姓名和身份证号",
                "A real name is bound already: leave name and id_number out",
            ),
            MembershipError::IdTaken => ApiError::new(
                S::CONFLICT,
                "realname.id_taken",
                "该身份证号已绑定其他账号",
                "This ID number backs another account",
            ),
            MembershipError::TooManyAttempts { retry_after } => ApiError::new(
                S::TOO_MANY_REQUESTS,
                "realname.too_many_attempts",
                "今日实名认证次数已用完，请明天再试",
                "Too many real-name attempts today",
            )
            .retry_after(retry_after.as_secs().max(1)),
            MembershipError::Unavailable(e) => ApiError::unavailable(&e),
            MembershipError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
