//! The merchants part of a member's data export: their discounted sales.

use super::dto::MemberSaleView;
use super::MerchantsState;
use crate::error::ApiError;
use domain::members::MemberId;
use domain::shared::{Limit, PageRequest};

pub async fn sales(state: &MerchantsState, member: MemberId) -> Result<Vec<MemberSaleView>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = state.merchants.member_sales(member, PageRequest { limit: Limit::LARGEST, after }).await?;
        all.extend(page.items.iter().map(|(sale, merchant)| MemberSaleView::new(sale, merchant)));
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
