use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::campaigns::error::{CampaignError, ClaimError};
use domain::campaigns::model::Ineligible;

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::Forbidden => forbidden(),
            CampaignError::NotFound => {
                ApiError::new(S::NOT_FOUND, "campaign.not_found", "活动不存在", "No such campaign")
            }
            CampaignError::GiftNotFound => {
                ApiError::new(S::NOT_FOUND, "gift.not_found", "礼品不存在", "No such gift in this campaign")
            }
            CampaignError::Invalid { field, problem } => ApiError::validation(field, "字段取值不正确", problem),
            CampaignError::NotDraft => ApiError::new(
                S::CONFLICT,
                "campaign.not_draft",
                "活动已发布，不能再修改",
                "Only a draft can be changed that way",
            ),
            CampaignError::NoGifts => ApiError::new(
                S::CONFLICT,
                "campaign.no_gifts",
                "活动至少需要一种礼品",
                "A campaign needs at least one gift",
            ),
            CampaignError::OverBudget { needed, budget } => ApiError::new(
                S::CONFLICT,
                "campaign.over_budget",
                "礼品总价值超出活动预算",
                "Stock x unit cost exceeds the budget",
            )
            .with("needed_fen", needed)
            .with("budget_fen", budget),
            CampaignError::Changed { now } => ApiError::new(
                S::CONFLICT,
                "campaign.changed",
                "该数值已被他人修改，请查看最新数值后再提交",
                "Someone else changed this figure meanwhile: look at the new figure and submit again",
            )
            .with("now", now),
            CampaignError::BudgetDecrease => {
                ApiError::new(S::CONFLICT, "campaign.budget_decrease", "预算只能增加", "A budget can only be raised")
            }
            CampaignError::StockDecrease => {
                ApiError::new(S::CONFLICT, "gift.stock_decrease", "库存只能增加", "Stock can only grow")
            }
            CampaignError::AlreadyCancelled => ApiError::new(
                S::CONFLICT,
                "campaign.already_cancelled",
                "活动已被取消",
                "The campaign was cancelled already",
            ),
            CampaignError::Closed => ApiError::new(
                S::CONFLICT,
                "campaign.closed",
                "活动已结束或已取消",
                "The campaign has ended or was cancelled",
            ),
            CampaignError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

impl From<ClaimError> for ApiError {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Forbidden => forbidden(),
            ClaimError::NotFound => {
                ApiError::new(S::NOT_FOUND, "campaign.not_found", "活动或礼品不存在", "No such campaign or gift")
            }
            ClaimError::NotLive => ApiError::new(
                S::CONFLICT,
                "campaign.not_live",
                "活动未开始或已结束",
                "The campaign is not open for claims",
            ),
            ClaimError::Ineligible(reason) => {
                let (code, zh) = match reason {
                    Ineligible::NotActivated => ("not_activated", "完成实名认证并匹配工会会员后方可领取"),
                    Ineligible::OtherUnion => ("other_union", "本活动仅限指定工会的会员参加"),
                    Ineligible::JoinedTooLate => ("joined_too_late", "本活动仅限指定日期前入会的会员参加"),
                    Ineligible::NoCard => ("no_card", "本活动仅限持有已激活会员服务卡的会员参加"),
                };
                ApiError::new(S::FORBIDDEN, "campaign.ineligible", zh, "You are not eligible for this campaign")
                    .with("reason", code)
            }
            ClaimError::KeyReused => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency.key_reused",
                "该幂等键已用于其他请求",
                "This Idempotency-Key was used for a different request",
            ),
            ClaimError::SoldOut => ApiError::new(S::CONFLICT, "campaign.sold_out", "礼品已领完", "Sold out"),
            ClaimError::NotYetReleased { next } => ApiError::new(
                S::CONFLICT,
                "campaign.wave_pending",
                "本轮礼品已领完，请在下一轮发放时再来",
                "Everything released so far is claimed; more is released later",
            )
            .with("next_release_at", super::dto::beijing(next).to_rfc3339()),
            ClaimError::LimitReached => ApiError::new(
                S::CONFLICT,
                "campaign.limit_reached",
                "已达到领取上限",
                "You have claimed as many as allowed",
            ),
            ClaimError::Unavailable(e) => {
                tracing::warn!(error = format!("{e:#}"), "inventory gate unavailable");
                ApiError::new(
                    S::SERVICE_UNAVAILABLE,
                    "inventory.unavailable",
                    "领取人数过多，请稍后再试",
                    "Inventory temporarily unavailable; try again",
                )
                .retry_after(1)
            }
            ClaimError::Unknown(e) => ApiError::internal(&e),
        }
    }
}
