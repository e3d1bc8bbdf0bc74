//! The cards part of a member's data export: their cards with history, card transactions and
//! rebates.

use super::dto::{CardView, HistoryView, MyCard};
use super::feed_dto::{MyRebateView, MyTransactionView};
use super::CardsState;
use crate::error::ApiError;
use domain::cards::CardError;
use domain::members::MemberId;
use domain::shared::{Limit, Page, PageRequest};

pub struct CardsPart {
    pub card: Option<MyCard>,
    pub transactions: Vec<MyTransactionView>,
    pub rebates: Vec<MyRebateView>,
}

pub async fn part(state: &CardsState, member: MemberId) -> Result<CardsPart, ApiError> {
    let card = match state.cards.view(member).await {
        Ok((card, history)) => {
            Some(MyCard { card: CardView::from(&card), history: history.iter().map(HistoryView::from).collect() })
        }
        Err(CardError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let transactions = every(|page| state.cards.member_transactions(member, page)).await?;
    let rebates = every(|page| state.cards.member_rebates(member, page)).await?;
    Ok(CardsPart {
        card,
        transactions: transactions.iter().map(MyTransactionView::from).collect(),
        rebates: rebates.iter().map(MyRebateView::from).collect(),
    })
}

/// Every page of a member's list, in order.
async fn every<T, F, Fut>(read: F) -> Result<Vec<T>, ApiError>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, CardError>>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = read(PageRequest { limit: Limit::LARGEST, after }).await?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
