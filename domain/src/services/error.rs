use super::form::Problem;
use super::model::CaseState;
use crate::unions::UnionError;

/// Why someone may not open a case of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    /// Not an active member on the union's roster (or no real name bound).
    NotMember,
    /// Holds no active member-service card.
    NoCard,
    /// A member for less than the months the kind asks for.
    TooRecent { months: u32 },
}

/// What is wrong with the files sent with a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    UnknownSlot {
        slot: String,
    },
    Missing {
        slot: String,
    },
    TooMany {
        slot: String,
        max: u32,
    },
    TooLarge {
        slot: String,
        max: u64,
    },
    Empty {
        slot: String,
    },
    /// Its bytes are not one of the types the slot takes, whatever it was called.
    WrongType {
        slot: String,
    },
}

/// Why a kind, a case or a step on one was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("this role does not work on cases")]
    Forbidden,
    #[error("no such case")]
    NotFound,
    #[error("no such attachment")]
    AttachmentNotFound,
    #[error("no such kind of case")]
    KindNotFound,
    #[error("a kind with that code exists")]
    KindExists,
    #[error("the kind takes no new cases")]
    KindRetired,
    #[error("not eligible: {0:?}")]
    Ineligible(Ineligible),
    #[error("the form has {} problem(s)", .0.len())]
    Form(Vec<Problem>),
    #[error("{0:?}")]
    File(FileProblem),
    #[error("{field}: {en}")]
    Invalid { field: String, zh: String, en: String },
    /// The step does not apply to a case in this state (or of this category).
    #[error("the case is {}", .0.as_str())]
    WrongState(CaseState),
    /// A step only supervisors take (a reopened case's review).
    #[error("a supervisor's step")]
    SupervisorOnly,
    #[error("no caseworker of that name works on this case's union")]
    NotAssignable,
    /// No union at or above the case's has a budget for its kind this year.
    #[error("no budget for this kind this year")]
    NoBudget,
    #[error("the budget has {left} left")]
    BudgetExceeded { left: crate::shared::money::Fen },
    /// What the kind allows once (a person a year, a child a school year) was paid already.
    #[error("paid already this year")]
    AlreadyPaid,
    #[error("a budget cannot go below the {spent} it paid")]
    BudgetBelowSpent { spent: crate::shared::money::Fen },
    /// The follow-up's days are over.
    #[error("the case can no longer be scored")]
    RatingClosed,
    #[error("no such payout")]
    PayoutNotFound,
    #[error("the payout was paid already")]
    PayoutPaid,
    #[error(transparent)]
    Union(#[from] UnionError),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ServiceError::Invalid { field: field.into(), zh: zh.into(), en: en.into() }
    }
}

impl From<Problem> for ServiceError {
    fn from(p: Problem) -> Self {
        ServiceError::Invalid { field: p.field, zh: p.zh, en: p.en }
    }
}
