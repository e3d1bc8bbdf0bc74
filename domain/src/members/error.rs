use std::time::Duration;

use super::identity::{InvalidIdNumber, InvalidName, InvalidPhone};
use crate::shared::ephemeral::EphemeralError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    InvalidPhone(#[from] InvalidPhone),
    #[error("too many requests; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    #[error("wrong code")]
    WrongCode { tries_left: u32 },
    /// Never sent, expired, already used, or burned by too many wrong tries.
    #[error("no valid code for this phone")]
    NoCode,
    #[error("bind ticket unknown or expired")]
    BadTicket,
    #[error("this WeChat account is bound to another member")]
    WeChatTaken,
    #[error("missing, invalid or expired access token")]
    InvalidToken,
    #[error("refresh token unknown or expired")]
    BadRefreshToken,
    #[error("refresh token reused: all sessions of this login were revoked")]
    RefreshReused,
    #[error("this session was ended")]
    SessionEnded,
    #[error("account suspended")]
    Suspended,
    #[error("account erased")]
    Erased,
    #[error(transparent)]
    WeChat(#[from] super::ports::WeChatError),
    /// The service-wide SMS budget for this hour is spent: nobody gets a code until it refills.
    #[error("SMS budget spent; retry after {retry_after:?}")]
    SmsBudgetSpent { retry_after: Duration },
    #[error("SMS could not be sent")]
    SmsUnavailable(#[source] anyhow::Error),
    #[error("ephemeral store unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<EphemeralError> for AuthError {
    fn from(e: EphemeralError) -> Self {
        match e {
            EphemeralError::Unavailable(e) => AuthError::Unavailable(e),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no such member")]
    NotFound,
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    #[error(transparent)]
    InvalidIdNumber(#[from] InvalidIdNumber),
    /// Roster miss, name mismatch and `left` look alike, so the roster cannot be probed.
    #[error("name and ID number do not match an active roster entry")]
    NotMatched,
    #[error("real name already bound")]
    AlreadyBound,
    #[error("this ID number backs another account")]
    IdTaken,
    #[error("too many real-name attempts today")]
    TooManyAttempts { retry_after: Duration },
    #[error("the current privacy policy has not been accepted")]
    ConsentRequired,
    #[error("unknown privacy policy version")]
    UnknownPolicyVersion,
    /// Withdrawing consent the member has not given.
    #[error("no consent to withdraw")]
    NoConsent,
    #[error("wrong or expired e-mail code")]
    BadEmailCode,
    /// Confirmation mails per member or per address, over their limit.
    #[error("too many confirmation mails")]
    TooManyMails { retry_after: Duration },
    #[error("ephemeral store unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<EphemeralError> for ProfileError {
    fn from(e: EphemeralError) -> Self {
        match e {
            EphemeralError::Unavailable(e) => ProfileError::Unavailable(e),
        }
    }
}
