use chrono::{DateTime, Duration, Utc};
use std::fmt;
use std::str::FromStr;

use crate::shared::ids::uuid_id;
use crate::shared::EmailAddress;
use crate::unions::Scope;

uuid_id!(AdminId);

/// What a member of staff may do. `auditor` (经审) reads everything and changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Operator,
    Auditor,
    /// Works at pickup points: may redeem vouchers at the points assigned to them, nothing else.
    PickupOperator,
    /// A grassroots union's chair or staff: reads its union's members, nothing else.
    UnionOfficer,
    /// Works on service cases (服务窗口) in their part of the tree, nothing else.
    Caseworker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::PickupOperator => "pickup_operator",
            Role::UnionOfficer => "union_officer",
            Role::Caseworker => "caseworker",
        }
    }

    /// Reading and using all of `/v1/admin`; pickup operators only redeem vouchers, and union
    /// officers reach only the few routes of their union's work.
    pub fn may_use_admin_api(self) -> bool {
        !matches!(self, Role::PickupOperator | Role::UnionOfficer | Role::Caseworker)
    }

    /// Changing business data (campaigns, merchants, rosters).
    pub fn may_write(self) -> bool {
        matches!(self, Role::Admin | Role::Operator)
    }

    /// Creating staff accounts and changing their roles.
    pub fn may_manage_staff(self) -> bool {
        self == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role must be one of admin, operator, auditor, pickup_operator, union_officer, caseworker")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "auditor" => Ok(Role::Auditor),
            "pickup_operator" => Ok(Role::PickupOperator),
            "union_officer" => Ok(Role::UnionOfficer),
            "caseworker" => Ok(Role::Caseworker),
            _ => Err(UnknownRole),
        }
    }
}

/// A login name: 3–32 characters of lower-case ASCII letters, digits, `.`, `_` or `-`, starting with
/// a letter. Stored as given (already lower case), so look-ups are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("username must be 3-32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter")]
pub struct InvalidUsername;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, InvalidUsername> {
        let s = raw.trim();
        let ok_len = (3..=32).contains(&s.len());
        let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_start && ok_chars {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password in plain text, only ever on its way to the hasher. 12–128 characters; `Debug`
/// never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password must be 12-128 characters long")]
pub struct WeakPassword;

impl Password {
    pub fn parse(raw: String) -> Result<Self, WeakPassword> {
        let n = raw.chars().count();
        if (12..=128).contains(&n) {
            Ok(Self(raw))
        } else {
            Err(WeakPassword)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminUser {
    pub id: AdminId,
    pub username: Username,
    pub display_name: String,
    pub email: Option<EmailAddress>,
    pub role: Role,
    pub disabled: bool,
    /// Consecutive failed logins since the last success or lock.
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Tokens issued before this second are dead: set when the password or the role changes.
    pub sessions_since: Option<DateTime<Utc>>,
    /// The part of the union tree they work in: everything they list, read or change lies under it.
    pub scope: Scope,
}

/// Five wrong passwords in a row lock an account for fifteen minutes.
pub const MAX_FAILED_LOGINS: u32 = 5;
pub const LOCKOUT: Duration = Duration::minutes(15);

/// What a wrong password does to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedLogin {
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    /// Whether the attempt counted: one made while the account is locked is refused unjudged.
    pub counted: bool,
}

impl AdminUser {
    /// What the audit log keeps of an account: everything but the password hash.
    pub fn audit_snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "username": self.username.as_str(),
            "display_name": self.display_name,
            "email": self.email.as_ref().map(EmailAddress::as_str),
            "role": self.role.as_str(),
            "disabled": self.disabled,
            "locked_until": self.locked_until,
            "scope": self.scope.code.as_str(),
        })
    }

    /// Whether a token issued at `issued_at` (to the millisecond, as tokens carry it) still speaks
    /// for the account.
    pub fn accepts_token_issued(&self, issued_at: DateTime<Utc>) -> bool {
        self.sessions_since.is_none_or(|since| issued_at.timestamp_millis() >= since.timestamp_millis())
    }

    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    pub fn after_failed_login(&self, now: DateTime<Utc>) -> FailedLogin {
        after_failure(self.failed_logins, self.locked_until, now)
    }
}

/// What one more wrong password makes of an account's count (`failed_logins`, `locked_until`):
/// a lock still running stays as it is; the count restarts after a lock has run out, so one more
/// wrong password then is not a new lock; the fifth in a row locks. The store applies it to the
/// count as it stands at that moment, so parallel wrong passwords each count.
pub fn after_failure(failed_logins: u32, locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> FailedLogin {
    if let Some(until) = locked_until.filter(|until| *until > now) {
        return FailedLogin { failed_logins, locked_until: Some(until), counted: false };
    }
    let failed_logins = if locked_until.is_some() { 0 } else { failed_logins } + 1;
    if failed_logins >= MAX_FAILED_LOGINS {
        FailedLogin { failed_logins: 0, locked_until: Some(now + LOCKOUT), counted: true }
    } else {
        FailedLogin { failed_logins, locked_until: None, counted: true }
    }
}

#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub username: Username,
    pub display_name: String,
    pub email: Option<EmailAddress>,
    pub role: Role,
    pub password: Password,
    /// Their part of the tree; the creator's own when `None` (the whole tree from the command line).
    pub scope: Option<Scope>,
}

/// A change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AdminPatch {
    pub display_name: Option<String>,
    pub email: Option<Option<EmailAddress>>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<Password>,
    /// Clears a lockout and the failure count.
    pub unlock: bool,
    pub scope: Option<Scope>,
}

impl AdminPatch {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.email.is_none()
            && self.role.is_none()
            && self.disabled.is_none()
            && self.password.is_none()
            && !self.unlock
            && self.scope.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("ops.zhang_01").is_ok());
        for bad in ["ab", "1abc", "Zhang", "zh ang", "张三", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_length_checked_and_never_printed() {
        assert!(Password::parse("short".into()).is_err());
        let p = Password::parse("correct horse battery".into()).unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn roles_parse_and_permit() {
        assert_eq!("auditor".parse::<Role>(), Ok(Role::Auditor));
        assert!("root".parse::<Role>().is_err());
        assert!(!Role::Auditor.may_write());
        assert!(Role::Operator.may_write() && !Role::Operator.may_manage_staff());
        assert!(Role::Admin.may_manage_staff());
    }
}
