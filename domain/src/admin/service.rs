use chrono::{DateTime, Utc};

use super::audit::{Actor, AuditEntry, AuditFilter, NewAuditEntry};
use super::error::{AdminError, AuthError, LoginError};
use super::model::{AdminId, AdminPatch, AdminUser, NewAdmin};
use super::ports::{AdminRepository, AdminTokens, AuditLog, PasswordHasher};
use crate::mail::OutboundEmail;
use crate::shared::{Clock, Page, PageRequest};

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub admin: AdminUser,
}

pub struct AdminService<R, A, H, T, C> {
    repo: R,
    audit: A,
    hasher: H,
    tokens: T,
    clock: C,
}

impl<R, A, H, T, C> AdminService<R, A, H, T, C>
where
    R: AdminRepository,
    A: AuditLog,
    H: PasswordHasher,
    T: AdminTokens,
    C: Clock,
{
    pub fn new(repo: R, audit: A, hasher: H, tokens: T, clock: C) -> Self {
        Self { repo, audit, hasher, tokens, clock }
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Session, LoginError> {
        let user = match super::Username::parse(username) {
            Ok(name) => self.repo.find_by_username(&name).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher.verify(password, None).await?;
            return Err(LoginError::InvalidCredentials);
        };
        let now = self.clock.now();
        // Every attempt counts as a failure before its password is looked at (a right one clears
        // the count after), so of a burst of guesses at once only those before the lock are judged.
        let lock = NewAuditEntry::by(&Actor::command_line("system"), now, "admin_user.lock", user.id.to_string())
            .change(None, Some(serde_json::json!({ "locked_until": now + super::model::LOCKOUT })));
        let attempt = self.repo.count_failed_login(user.id, now, lock).await?;
        // The hash is checked whatever the account's state: a locked name costs the same time as
        // an unknown one, and gets the same answer, so a guess learns nothing of either.
        let right = self.hasher.verify(password, Some(&user.password_hash)).await?;
        if !attempt.counted || !right {
            return Err(LoginError::InvalidCredentials);
        }
        if user.disabled {
            return Err(LoginError::Disabled);
        }
        self.repo.record_login(user.id, 0, None, None).await?;
        let (token, expires_at) = self.tokens.issue(&user, now)?;
        Ok(Session { token, expires_at, admin: user })
    }

    /// The account behind a token, as it is now: a disabled account or changed role takes effect
    /// at once, not when the token expires.
    pub async fn authenticate(&self, token: &str) -> Result<AdminUser, AuthError> {
        let claims = self.tokens.verify(token, self.clock.now()).ok_or(AuthError::InvalidToken)?;
        match self.repo.find_by_id(claims.admin_id).await? {
            Some(user) if !user.disabled && user.accepts_token_issued(claims.issued_at) => Ok(user),
            _ => Err(AuthError::Inactive),
        }
    }

    pub async fn create(&self, actor: &Actor, new: NewAdmin) -> Result<AdminUser, AdminError> {
        if !actor.role.may_manage_staff() {
            return Err(AdminError::Forbidden);
        }
        let scope = match (new.scope, &actor.scope) {
            (Some(scope), _) => scope,
            (None, Some(own)) => own.clone(),
            (None, None) => self.repo.root_scope().await?,
        };
        // Staff are made only for a part of the tree their maker sees: elsewhere it does not exist.
        if !actor.sees(&scope.path) {
            return Err(AdminError::ScopeNotFound);
        }
        let now = self.clock.now();
        let admin = AdminUser {
            id: AdminId::new(),
            username: new.username,
            display_name: new.display_name,
            email: new.email,
            role: new.role,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            password_hash: self.hasher.hash(&new.password).await?,
            created_at: now,
            updated_at: now,
            sessions_since: None,
            scope,
        };
        let audit = NewAuditEntry::by(actor, now, "admin_user.create", admin.id.to_string())
            .change(None, Some(admin.audit_snapshot()));
        self.repo.insert(&admin, audit, welcome_mail(&admin)).await?;
        Ok(admin)
    }

    pub async fn update(&self, actor: &Actor, id: AdminId, patch: AdminPatch) -> Result<AdminUser, AdminError> {
        if !actor.role.may_manage_staff() {
            return Err(AdminError::Forbidden);
        }
        if patch.is_empty() {
            return Err(AdminError::EmptyChange);
        }
        let before = self.get(actor, id).await?;
        let mut after = before.clone();
        if let Some(scope) = patch.scope.clone() {
            if !actor.sees(&scope.path) {
                return Err(AdminError::ScopeNotFound);
            }
            after.scope = scope;
        }
        if let Some(name) = patch.display_name {
            after.display_name = name;
        }
        if let Some(email) = patch.email {
            after.email = email;
        }
        if let Some(role) = patch.role {
            after.role = role;
        }
        if let Some(disabled) = patch.disabled {
            after.disabled = disabled;
        }
        if let Some(password) = &patch.password {
            after.password_hash = self.hasher.hash(password).await?;
        }
        if patch.unlock {
            after.failed_logins = 0;
            after.locked_until = None;
        }
        let was_active_admin = before.role == super::Role::Admin && !before.disabled;
        let stays_active_admin = after.role == super::Role::Admin && !after.disabled;
        if actor.admin_id == Some(id) && (after.disabled || after.role != before.role) {
            return Err(AdminError::OwnAccount);
        }
        if was_active_admin && !stays_active_admin && self.repo.count_active_admins().await? <= 1 {
            return Err(AdminError::LastAdmin);
        }
        let now = self.clock.now();
        after.updated_at = now;
        // A new password or role ends every session of the old one.
        if patch.password.is_some() || after.role != before.role {
            after.sessions_since = Some(now);
        }
        let mut after_snapshot = after.audit_snapshot();
        if patch.password.is_some() {
            after_snapshot["password_changed"] = serde_json::Value::Bool(true);
        }
        let audit = NewAuditEntry::by(actor, now, "admin_user.update", id.to_string())
            .change(Some(before.audit_snapshot()), Some(after_snapshot));
        self.repo.update(&after, audit).await?;
        Ok(after)
    }

    /// An account in `actor`'s part of the tree; one outside it is not found.
    pub async fn get(&self, actor: &Actor, id: AdminId) -> Result<AdminUser, AdminError> {
        let found = self.repo.find_by_id(id).await?.filter(|a| actor.sees(&a.scope.path));
        found.ok_or(AdminError::NotFound)
    }

    /// The accounts in `actor`'s part of the tree.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<AdminUser>, AdminError> {
        let mut all = self.repo.list().await?;
        all.retain(|a| actor.sees(&a.scope.path));
        Ok(all)
    }

    pub fn audit_log(&self) -> &A {
        &self.audit
    }

    /// The audit rows of `actor`'s part of the tree that `filter` asks for, newest first.
    pub async fn audit_page(
        &self,
        actor: &Actor,
        request: PageRequest,
        filter: AuditFilter,
    ) -> Result<Page<AuditEntry>, AdminError> {
        let under = if actor.sees_everything() { None } else { actor.scope.as_ref().map(|s| s.path.clone()) };
        Ok(self.audit.page(request, under, filter).await?)
    }
}

fn welcome_mail(admin: &AdminUser) -> Option<OutboundEmail> {
    let to = admin.email.clone()?;
    Some(OutboundEmail {
        to,
        subject: "苏工惠管理后台账号已开通 / Your admin account is ready".into(),
        body: format!(
            "{name}，您好：\n\n您的管理后台账号 {user}（角色：{role}）已开通。初始密码请向管理员当面索取。\n\n\
             Hello {name}, your admin account {user} (role: {role}) has been created. \
             Ask the administrator for the initial password in person.\n",
            name = admin.display_name,
            user = admin.username,
            role = admin.role.as_str(),
        ),
        attachment: None,
    })
}
