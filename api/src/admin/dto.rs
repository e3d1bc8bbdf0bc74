use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use domain::admin::{AdminUser, AuditEntry, Role};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Admin,
    Operator,
    Auditor,
    PickupOperator,
    /// A grassroots union's chair or staff, scoped to its union: finds its union's members, reads its union.
    UnionOfficer,
    /// Works on service cases (服务窗口) in their part of the tree: the queue, the cases, their steps.
    Caseworker,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Admin => Role::Admin,
            RoleDto::Operator => Role::Operator,
            RoleDto::Auditor => Role::Auditor,
            RoleDto::PickupOperator => Role::PickupOperator,
            RoleDto::UnionOfficer => Role::UnionOfficer,
            RoleDto::Caseworker => Role::Caseworker,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleDto::Admin,
            Role::Operator => RoleDto::Operator,
            Role::Auditor => RoleDto::Auditor,
            Role::PickupOperator => RoleDto::PickupOperator,
            Role::UnionOfficer => RoleDto::UnionOfficer,
            Role::Caseworker => RoleDto::Caseworker,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "ops.zhang", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkzLi4uIn0.c2ln", "token_type": "Bearer",
    "expires_at": "2026-05-01T02:15:00Z", "expires_in": 900,
    "admin": {"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "username": "ops.zhang", "display_name": "张敏",
        "email": "ops.zhang@union.example.cn", "role": "operator", "disabled": false, "locked_until": null, "scope_code": "ROOT",
        "created_at": "2026-04-20T01:00:00Z", "updated_at": "2026-04-20T01:00:00Z"}}))]
pub struct SessionResponse {
    pub access_token: String,
    /// Always `Bearer`: send it as `Authorization: Bearer <access_token>`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    /// Seconds until `expires_at`.
    pub expires_in: i64,
    pub admin: AdminView,
}

/// A staff account as shown to staff; never the password hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "username": "ops.zhang", "display_name": "张敏",
    "email": "ops.zhang@union.example.cn", "role": "operator", "disabled": false, "locked_until": null, "scope_code": "ROOT",
    "created_at": "2026-04-20T01:00:00Z", "updated_at": "2026-04-20T01:00:00Z"}))]
pub struct AdminView {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: RoleDto,
    pub disabled: bool,
    /// Set while the account is locked after too many failed logins.
    pub locked_until: Option<DateTime<Utc>>,
    /// The union whose subtree they work in (`ROOT`: the whole tree).
    pub scope_code: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AdminView {
    pub fn new(a: &AdminUser, now: DateTime<Utc>) -> Self {
        Self {
            id: a.id.0,
            username: a.username.to_string(),
            display_name: a.display_name.clone(),
            email: a.email.as_ref().map(|e| e.as_str().to_owned()),
            role: a.role.into(),
            disabled: a.disabled,
            locked_until: a.locked_at(now),
            scope_code: a.scope.code.to_string(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "username": "root", "display_name": "系统管理员",
    "email": null, "role": "admin", "disabled": false, "locked_until": null, "scope_code": "ROOT",
    "created_at": "2026-04-20T01:00:00Z", "updated_at": "2026-04-20T01:00:00Z"}]}))]
pub struct AdminList {
    pub items: Vec<AdminView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "audit.li", "password": "a long passphrase 2026", "display_name": "李审计",
    "email": "audit.li@union.example.cn", "role": "auditor"}))]
pub struct CreateAdminRequest {
    /// 3–32 lower-case letters, digits, `.`, `_` or `-`, starting with a letter.
    pub username: String,
    /// 12–128 characters.
    pub password: String,
    pub display_name: String,
    /// Receives a welcome message through the mail outbox.
    pub email: Option<String>,
    pub role: RoleDto,
    /// The union whose subtree they work in, within the creator's own part of the tree; the creator's own scope when
    /// left out.
    pub scope_code: Option<String>,
}

/// Only the fields present change; `"email": null` removes the address.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "operator", "disabled": false, "unlock": true}))]
pub struct UpdateAdminRequest {
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub role: Option<RoleDto>,
    pub disabled: Option<bool>,
    /// A new password, 12–128 characters.
    pub password: Option<String>,
    /// `true` clears a lockout after failed logins.
    #[serde(default)]
    pub unlock: bool,
    /// Another union to work in: within the changer's own part of the tree.
    pub scope_code: Option<String>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of the audit log, narrowed by any of who, what, on what and when.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same filter).
    pub cursor: Option<String>,
    /// The actor's name as logged: a staff username, `cli:<login>`, `member:<id>`.
    #[param(example = "ops.zhang")]
    pub actor: Option<String>,
    /// An action (`campaign.publish`), or every action of a kind with a trailing dot (`campaign.`).
    #[param(example = "campaign.")]
    pub action: Option<String>,
    /// The target as logged (a campaign's id, a member number, a job's id).
    #[param(example = "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a")]
    pub target: Option<String>,
    /// From this instant on: RFC 3339 with an offset, or a Beijing date-time `2026-10-01T10:00`.
    #[param(example = "2026-10-01T00:00:00+08:00")]
    pub from: Option<String>,
    /// Before this instant, in the same forms as `from`.
    #[param(example = "2026-10-08T00:00:00+08:00")]
    pub until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 42, "at": "2026-04-20T01:00:00Z", "actor_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a",
    "actor_name": "root", "action": "admin_user.update", "target": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f",
    "before": {"role": "operator"}, "after": {"role": "admin"}, "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7c8", "client_request_id": "console-7f3a"}))]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<uuid::Uuid>,
    /// The staff username, or `cli:<login>` for the command line, or `cli:system` for automatic locks.
    pub actor_name: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// Our id of the request (its `X-Request-Id` answer header).
    pub request_id: Option<String>,
    /// The `X-Request-Id` the client sent, if it sent a plain one: theirs, not ours.
    pub client_request_id: Option<String>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id.map(|a| a.0),
            actor_name: e.actor_name,
            action: e.action,
            target: e.target,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 42, "at": "2026-04-20T01:00:00Z", "actor_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a",
    "actor_name": "root", "action": "admin_user.update", "target": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f",
    "before": {"role": "operator"}, "after": {"role": "admin"}, "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7c8", "client_request_id": "console-7f3a"}],
    "next_cursor": "azo0Mg"}))]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
