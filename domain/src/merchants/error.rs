use super::pricing::NotApplicable;

#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    #[error("this role may not do that")]
    Forbidden,
    #[error("no such merchant")]
    MerchantNotFound,
    #[error("no such store")]
    StoreNotFound,
    #[error("no such offer")]
    OfferNotFound,
    #[error("no such key")]
    KeyNotFound,
    #[error("no such sale")]
    SaleNotFound,
    #[error("no such webhook delivery")]
    DeliveryNotFound,
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("an offer cannot go from {from} to {to}")]
    StatusChange { from: &'static str, to: &'static str },
    /// A store key was used for another store of its merchant.
    #[error("this key acts for another store")]
    OtherStore,
    #[error("the member code is unknown or expired")]
    CodeInvalid,
    /// Rotating a secret needs an endpoint to sign for.
    #[error("the merchant has no webhook endpoint")]
    WebhookNotSet,
    /// The code was verified or used for a sale before: each code is good for one.
    #[error("the member code was used before")]
    CodeReplayed,
    #[error("a cardholder shows the card's code")]
    UseCardCode,
    #[error("no member with that reference at this merchant")]
    MemberUnknown,
    /// Suspended, erased, not activated on the roster, or without the card the offer needs.
    #[error("the member does not qualify")]
    NotQualified,
    #[error("the offer does not apply at this store now")]
    OfferNotApplicable,
    #[error("{0}")]
    Pricing(NotApplicable),
    #[error("the member has used this offer as often as allowed")]
    LimitReached,
    #[error("the merchant is suspended")]
    MerchantSuspended,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
