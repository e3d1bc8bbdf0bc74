#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or a locked account: the caller is not told which.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("account disabled")]
    Disabled,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Presenting a session token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing, expired or invalid admin token")]
    InvalidToken,
    /// The token is genuine but the account behind it is disabled or gone.
    #[error("account no longer active")]
    Inactive,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Managing staff accounts and reading the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("this role may not do that")]
    Forbidden,
    #[error("no such admin user")]
    NotFound,
    /// The union given as a scope lies outside the maker's own part of the tree.
    #[error("no such union")]
    ScopeNotFound,
    #[error("username already taken")]
    DuplicateUsername,
    #[error("nothing to change")]
    EmptyChange,
    /// Demoting or disabling the last active admin would leave nobody able to manage staff.
    #[error("the last active admin must stay an active admin")]
    LastAdmin,
    /// An admin locking themself out by mistake needs another admin to undo it.
    #[error("an admin may not disable or demote their own account")]
    OwnAccount,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// What [`super::AdminRepository::insert`] may answer.
#[derive(Debug, thiserror::Error)]
pub enum InsertAdminError {
    #[error("username already taken")]
    Duplicate,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl From<InsertAdminError> for AdminError {
    fn from(e: InsertAdminError) -> Self {
        match e {
            InsertAdminError::Duplicate => AdminError::DuplicateUsername,
            InsertAdminError::Unknown(e) => AdminError::Unknown(e),
        }
    }
}
