use super::lifecycle::{CardStatus, IllegalTransition};
use super::rebate::CardTransaction;
use super::refund::CardRefund;
use super::verify::CodeRefusal;
use crate::shared::money::Fen;

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// Only a member activated on the roster (and otherwise in standing) may apply.
    #[error("the member is not in standing to hold a card")]
    NotInStanding,
    #[error("the member already holds a card")]
    AlreadyHeld,
    #[error("no such card")]
    NotFound,
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Codes are shown only for an active card.
    #[error("the card is {}", .0.as_str())]
    NotLive(CardStatus),
    #[error(transparent)]
    Code(CodeRefusal),
    /// A transaction id sent again with other content: neither is taken for the other.
    #[error("transaction {} was sent before with other content", .first.id.as_str())]
    TransactionConflict { first: Box<CardTransaction>, again: Box<CardTransaction> },
    /// A refund id sent again with other content.
    #[error("refund {} was sent before with other content", .first.id.as_str())]
    RefundConflict { first: Box<CardRefund>, again: Box<CardRefund> },
    /// A refund of a transaction not kept (yet): the transaction must come first.
    #[error("transaction {0} is not kept")]
    TransactionNotKept(String),
    /// More than is left of the transaction (or a reversal of another amount than what is left).
    #[error("only {} fen of the transaction is left to refund", .remaining.get())]
    RefundExceeds { remaining: Fen },
    /// A payout file asked for before its Beijing day is over.
    #[error("payout day {0} is not over yet")]
    DayNotClosed(chrono::NaiveDate),
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<CodeRefusal> for CardError {
    fn from(refusal: CodeRefusal) -> Self {
        match refusal {
            CodeRefusal::Failed(e) => Self::Unknown(e),
            other => Self::Code(other),
        }
    }
}
