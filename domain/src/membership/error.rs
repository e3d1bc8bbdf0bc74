use super::model::{ApplicationId, ApplicationState};
use crate::shared::working_days::InvalidCalendar;
use crate::unions::{UnionCode, UnionError};

/// Why an application, a decision or a calendar was refused.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("this role does not decide applications")]
    Forbidden,
    #[error("no such application")]
    NotFound,
    #[error(transparent)]
    Union(#[from] UnionError),
    #[error("give a name and ID number, or bind a real name first")]
    NoRealName,
    #[error("the account has a real name bound already")]
    AlreadyBound,
    #[error("the ID number backs another account")]
    IdTaken,
    /// Giving a name and ID number counts with real-name binding's daily attempts.
    #[error("too many real-name attempts today")]
    TooManyAttempts { retry_after: std::time::Duration },
    #[error("already an active member of {0}: ask for a transfer instead")]
    AlreadyMember(UnionCode),
    #[error("not an active member")]
    NotMember,
    #[error("application {0} is still open")]
    OpenExists(ApplicationId),
    #[error("{0} is not a grassroots or joint union")]
    NotJoinable(UnionCode),
    #[error("already a member of {0}")]
    SameUnion(UnionCode),
    /// The roster moved the member since they asked: the application no longer describes them.
    #[error("the member's union changed since they asked")]
    Moved,
    #[error("the application is {}", .0.as_str())]
    NotOpen(ApplicationState),
    /// The sending union of a transfer sees it, and may comment; the receiving one decides.
    #[error("only the receiving union (or above it) decides")]
    NotDecider,
    #[error("{field}: {en}")]
    Invalid { field: &'static str, zh: String, en: String },
    #[error(transparent)]
    Calendar(#[from] InvalidCalendar),
    /// The rate limiter's store is down.
    #[error("the rate limiter is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<crate::shared::ephemeral::EphemeralError> for MembershipError {
    fn from(e: crate::shared::ephemeral::EphemeralError) -> Self {
        match e {
            crate::shared::ephemeral::EphemeralError::Unavailable(e) => MembershipError::Unavailable(e),
        }
    }
}

impl MembershipError {
    pub fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        MembershipError::Invalid { field, zh: zh.into(), en: en.into() }
    }
}
