use chrono::{DateTime, Utc};
use std::future::Future;

use super::audit::{AuditEntry, NewAuditEntry};
use super::error::InsertAdminError;
use super::model::{AdminId, AdminUser, Password, Role, Username};
use crate::mail::OutboundEmail;
use crate::shared::{Page, PageRequest};

/// Staff accounts. Every write takes the audit row (and any mail) that describes it and MUST commit
/// them in one transaction with the change, or none of it.
pub trait AdminRepository: Send + Sync + 'static {
    fn find_by_username(&self, username: &Username) -> impl Future<Output = anyhow::Result<Option<AdminUser>>> + Send;

    fn find_by_id(&self, id: AdminId) -> impl Future<Output = anyhow::Result<Option<AdminUser>>> + Send;

    /// All accounts, oldest first. Staff number in the dozens, so there is no paging.
    fn list(&self) -> impl Future<Output = anyhow::Result<Vec<AdminUser>>> + Send;

    /// MUST answer [`InsertAdminError::Duplicate`] when the username is taken.
    fn insert(
        &self,
        admin: &AdminUser,
        audit: NewAuditEntry,
        mail: Option<OutboundEmail>,
    ) -> impl Future<Output = Result<(), InsertAdminError>> + Send;

    /// Stores every field of `admin` but id, username and created_at.
    fn update(&self, admin: &AdminUser, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Counts one sign-in attempt as a failure against the count as it stands when it is written
    /// (so parallel ones each count), by [`super::model::after_failure`]; appends `lock` when that
    /// locks the account. Answers what it made of the count, and whether the attempt counted.
    fn count_failed_login(
        &self,
        id: AdminId,
        now: DateTime<Utc>,
        lock: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<super::model::FailedLogin>> + Send;

    /// Sets the failure counter (a success clears it), with an audit row when given.
    fn record_login(
        &self,
        id: AdminId,
        failed_logins: u32,
        locked_until: Option<DateTime<Utc>>,
        audit: Option<NewAuditEntry>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Accounts with role admin that are not disabled.
    /// The whole tree: the root's scope, for accounts made at the command line.
    fn root_scope(&self) -> impl Future<Output = anyhow::Result<crate::unions::Scope>> + Send;
    fn count_active_admins(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// The append-only audit log, newest first.
pub trait AuditLog: Send + Sync + 'static {
    /// Appends a row for a change that has no transaction of its own to ride in (bulk jobs).
    fn append(&self, entry: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Newest first, the rows `filter` asks for; with `under`, only rows whose actor worked under
    /// that path.
    fn page(
        &self,
        request: PageRequest,
        under: Option<crate::unions::NodePath>,
        filter: super::AuditFilter,
    ) -> impl Future<Output = anyhow::Result<Page<AuditEntry>>> + Send;
}

/// Slow, salted password hashing.
pub trait PasswordHasher: Send + Sync + 'static {
    fn hash(&self, password: &Password) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// With `hash: None` MUST still spend the time of a real check and answer `false`, so that an
    /// unknown username cannot be told from a wrong password by timing.
    fn verify(&self, password: &str, hash: Option<&str>) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminClaims {
    pub admin_id: AdminId,
    pub role: Role,
    /// When the token was issued, to the second.
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Session tokens for staff, distinct in key and audience from members' tokens.
pub trait AdminTokens: Send + Sync + 'static {
    fn issue(&self, admin: &AdminUser, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)>;

    /// `None` for anything but a genuine admin token unexpired at `now`.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AdminClaims>;
}
