//! The rules an application is checked against, inside the transaction that writes it.

use super::error::MembershipError;
use super::model::{ApplicationKind, ApplicationState, Request};
use crate::admin::Role;
use crate::unions::model::UnionNode;
use crate::unions::{NodePath, UnionCode, UnionError};

/// What the store knows of the applicant when they ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// A real name is bound to the account, or given with a join.
    pub real_name: bool,
    /// The union of their active roster row.
    pub active_in: Option<UnionCode>,
}

/// Checks a request against who asks and the union it names (`None` for leaving).
pub fn check_request(
    request: &Request,
    standing: &Standing,
    target: Option<&UnionNode>,
) -> Result<(), MembershipError> {
    check_standing(request.kind(), request.union(), standing)?;
    target.map_or(Ok(()), check_target)
}

/// Whether someone standing so may ask for `kind` (to `union`, for a join or transfer): checked
/// when they ask, and again when it is approved.
pub fn check_standing(
    kind: ApplicationKind,
    union: Option<&UnionCode>,
    standing: &Standing,
) -> Result<(), MembershipError> {
    if !standing.real_name {
        return Err(MembershipError::NoRealName);
    }
    match (kind, &standing.active_in) {
        (ApplicationKind::Join, Some(current)) => Err(MembershipError::AlreadyMember(current.clone())),
        (ApplicationKind::Transfer | ApplicationKind::Leave, None) => Err(MembershipError::NotMember),
        (ApplicationKind::Transfer, Some(current)) if union == Some(current) => {
            Err(MembershipError::SameUnion(current.clone()))
        }
        _ => Ok(()),
    }
}

/// A union one may join or transfer to: open, grassroots or joint.
pub fn check_target(node: &UnionNode) -> Result<(), MembershipError> {
    if !node.is_open() {
        return Err(UnionError::Closed(node.code.clone()).into());
    }
    if !node.kind.is_leaf() {
        return Err(MembershipError::NotJoinable(node.code.clone()));
    }
    Ok(())
}

/// Who may decide at all: officers, operators and admins.
pub fn check_role(role: Role) -> Result<(), MembershipError> {
    if role == Role::UnionOfficer || role.may_write() {
        Ok(())
    } else {
        Err(MembershipError::Forbidden)
    }
}

/// Whether someone working `within` may see an application (its union or a transfer's sending
/// union lies in their part) — `Err(NotFound)` if not.
pub fn check_seen(within: Option<&NodePath>, union: &NodePath, from: Option<&NodePath>) -> Result<(), MembershipError> {
    match within {
        None => Ok(()),
        Some(w) if w.contains(union) || from.is_some_and(|f| w.contains(f)) => Ok(()),
        Some(_) => Err(MembershipError::NotFound),
    }
}

/// Whether they may decide it: the union asked for lies in their part.
pub fn check_decider(
    within: Option<&NodePath>,
    union: &NodePath,
    from: Option<&NodePath>,
    state: ApplicationState,
) -> Result<(), MembershipError> {
    check_seen(within, union, from)?;
    if within.is_some_and(|w| !w.contains(union)) {
        return Err(MembershipError::NotDecider);
    }
    if state != ApplicationState::Open {
        return Err(MembershipError::NotOpen(state));
    }
    Ok(())
}
