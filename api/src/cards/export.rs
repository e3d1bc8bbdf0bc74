//! The cards part of a member's data export: their cards with history, card transactions and
//! rebates.

use super::dto::{CardView, HistoryView, MyCard};
use super::feed_dto::{MyRebateView, MyTransactionView};
use super::CardsState;
use crate::error::ApiError;
use domain::cards::CardError;
use domain::members::MemberId;

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
    let transactions = crate::pages::every(|page| state.cards.member_transactions(member, page)).await?;
    let rebates = crate::pages::every(|page| state.cards.member_rebates(member, page)).await?;
    Ok(CardsPart {
        card,
        transactions: transactions.iter().map(MyTransactionView::from).collect(),
        rebates: rebates.iter().map(MyRebateView::from).collect(),
    })
}
