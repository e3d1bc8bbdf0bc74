use super::model::Ineligible;

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("this role may not do that")]
    Forbidden,
    #[error("no such campaign")]
    NotFound,
    #[error("no such gift in this campaign")]
    GiftNotFound,
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("only a draft can be changed that way")]
    NotDraft,
    #[error("a campaign needs at least one gift to be published")]
    NoGifts,
    #[error("stock x unit cost {needed} fen exceeds the budget {budget} fen")]
    OverBudget { needed: i64, budget: i64 },
    #[error("stock can only grow")]
    StockDecrease,
    #[error("a budget can only be raised")]
    BudgetDecrease,
    #[error("already cancelled or ended")]
    Closed,
    /// The figure is no longer the one the caller saw: someone changed it meanwhile (`now`).
    #[error("changed meanwhile: now {now}")]
    Changed { now: i64 },
    /// Cancelled before, by this request's twin or earlier: nothing was voided again.
    #[error("the campaign was cancelled already")]
    AlreadyCancelled,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("this role may not do that")]
    Forbidden,
    #[error("no such campaign or gift")]
    NotFound,
    #[error("the campaign is not open for claims")]
    NotLive,
    #[error("not eligible")]
    Ineligible(Ineligible),
    #[error("this Idempotency-Key was used for another gift")]
    KeyReused,
    #[error("sold out")]
    SoldOut,
    /// Everything released so far is claimed; more comes at `next`.
    #[error("sold out until the next release")]
    NotYetReleased { next: chrono::DateTime<chrono::Utc> },
    #[error("claim limit reached")]
    LimitReached,
    #[error("the inventory gate is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
