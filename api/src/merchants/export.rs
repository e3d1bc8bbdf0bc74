//! The merchants part of a member's data export: their discounted sales.

use super::dto::MemberSaleView;
use super::MerchantsState;
use crate::error::ApiError;
use domain::members::MemberId;

pub async fn sales(state: &MerchantsState, member: MemberId) -> Result<Vec<MemberSaleView>, ApiError> {
    let sales = crate::pages::every(|page| state.merchants.member_sales(member, page)).await?;
    Ok(sales.iter().map(|(sale, merchant)| MemberSaleView::new(sale, merchant)).collect())
}
