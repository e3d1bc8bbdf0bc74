//! The campaigns part of a member's data export: every voucher they claimed.

use super::dto::VoucherView;
use super::CampaignsState;
use crate::error::ApiError;
use domain::members::MemberId;
use domain::shared::Limit;

pub async fn vouchers(state: &CampaignsState, member: MemberId) -> Result<Vec<VoucherView>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (claims, next) = state.campaigns.vouchers(member, Limit::LARGEST, after).await?;
        all.extend(claims.into_iter().map(VoucherView::from));
        match next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
