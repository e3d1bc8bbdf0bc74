use chrono::{DateTime, Utc};

use super::model::{AdminId, AdminUser, Role};
use crate::unions::{NodePath, Scope};

/// A part of the tree outside the actor's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutsideScope;

/// Who is acting: a signed-in member of staff, or an operator at the server's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub admin_id: Option<AdminId>,
    pub name: String,
    pub role: Role,
    /// Our id of the request the action came in.
    pub request_id: Option<String>,
    /// The id the client gave that request (`X-Request-Id`), kept apart: it is theirs to choose.
    pub client_request_id: Option<String>,
    /// The part of the tree they work in; `None` at the command line, which sees everything.
    pub scope: Option<Scope>,
}

impl Actor {
    /// Whether the node at `path` lies in their part of the tree.
    pub fn sees(&self, path: &NodePath) -> bool {
        self.scope.as_ref().is_none_or(|s| s.holds(path))
    }

    /// Whether they see the whole tree (the city federation's staff, the command line).
    pub fn sees_everything(&self) -> bool {
        self.scope.as_ref().is_none_or(Scope::is_whole_tree)
    }

    /// Whether something that belongs to `part` of the tree (`None`: to the whole federation, as a
    /// city-wide campaign does) lies in their part of it.
    pub fn reaches(&self, part: Option<&Scope>) -> bool {
        match part {
            Some(scope) => self.sees(&scope.path),
            None => self.sees_everything(),
        }
    }

    /// The part of their tree they are confined to: `None` when they see all of it.
    pub fn confined_to(&self) -> Option<&NodePath> {
        self.scope.as_ref().filter(|s| !s.is_whole_tree()).map(|s| &s.path)
    }

    /// Where something they create belongs: the part of the tree `asked` for, which must lie in
    /// theirs, or else their own; `None` for the whole federation.
    pub fn place(&self, asked: Option<Scope>) -> Result<Option<Scope>, OutsideScope> {
        let scope = match asked {
            Some(scope) if !self.sees(&scope.path) => return Err(OutsideScope),
            Some(scope) => Some(scope),
            None => self.scope.clone(),
        };
        Ok(scope.filter(|s| !s.is_whole_tree()))
    }

    pub fn staff(admin: &AdminUser, request_id: Option<String>) -> Self {
        Self {
            admin_id: Some(admin.id),
            name: admin.username.to_string(),
            role: admin.role,
            request_id,
            client_request_id: None,
            scope: Some(admin.scope.clone()),
        }
    }

    /// Someone with shell access to the server, who could do anything anyway.
    pub fn command_line(login: &str) -> Self {
        Self {
            admin_id: None,
            name: format!("cli:{login}"),
            role: Role::Admin,
            request_id: None,
            client_request_id: None,
            scope: None,
        }
    }
}

/// One audit row to append, written in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub actor_id: Option<AdminId>,
    pub actor_name: String,
    /// A stable dotted name such as `admin_user.create`.
    pub action: &'static str,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    /// The actor's part of the tree, as a path: readers see the rows of their own part.
    pub actor_scope: Option<String>,
}

impl NewAuditEntry {
    pub fn by(actor: &Actor, at: DateTime<Utc>, action: &'static str, target: String) -> Self {
        Self {
            at,
            actor_id: actor.admin_id,
            actor_name: actor.name.clone(),
            action,
            target,
            before: None,
            after: None,
            request_id: actor.request_id.clone(),
            client_request_id: actor.client_request_id.clone(),
            actor_scope: actor.scope.as_ref().map(|s| s.path.as_str().to_owned()),
        }
    }

    pub fn change(mut self, before: Option<serde_json::Value>, after: Option<serde_json::Value>) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// An appended audit row; rows are never updated or deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<AdminId>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
}

/// Which audit rows a reader asks for, each part optional: who acted (the name as logged), what
/// they did (an action, or every action of a kind with a trailing dot: `campaign.`), on what
/// (the target as logged), and when (from inclusive, until exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// The action asked for as a prefix (`campaign.`), when it is one.
    pub fn action_kind(&self) -> Option<&str> {
        self.action.as_deref().filter(|a| a.ends_with('.'))
    }
}
