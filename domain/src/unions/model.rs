//! A node of the tree as kept, what staff send to make or change one, and the rules each change
//! is checked against — inside the transaction that makes it, with the tree locked.

use chrono::{DateTime, Utc};

use super::code::UnionCode;
use super::error::UnionError;
use super::node::{NodePath, UnionKind};

/// A union's name: 1 to 100 characters, no control characters, spaces trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionName(String);

impl UnionName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, UnionError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(UnionError::invalid(
                "name",
                "工会名称须为 1–100 个字符",
                "a union's name has 1-100 characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As the database holds it, parsed when written.
    pub fn stored(name: String) -> Self {
        Self(name)
    }
}

/// The employers a grassroots or joint union covers, by name: each 1 to 100 characters, at most
/// [`Employers::MAX`], duplicates dropped, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Employers(Vec<String>);

impl Employers {
    /// A joint union covers many small employers; a few thousand is already a town's worth.
    pub const MAX: usize = 5_000;

    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, UnionError> {
        let mut kept: Vec<String> = Vec::new();
        for raw in names {
            let name = raw.as_ref().trim();
            if name.is_empty() {
                continue;
            }
            if name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(UnionError::invalid(
                    "employers",
                    "单位名称须为 1–100 个字符",
                    "an employer's name has 1-100 characters",
                ));
            }
            if !kept.iter().any(|k| k == name) {
                kept.push(name.to_owned());
            }
        }
        if kept.len() > Self::MAX {
            return Err(UnionError::invalid(
                "employers",
                format!("覆盖单位最多 {} 个", Self::MAX),
                format!("at most {} employers", Self::MAX),
            ));
        }
        Ok(Self(kept))
    }

    /// As a file cell writes them: separated by `;`, `；` or `、`.
    pub fn parse_cell(cell: &str) -> Result<Self, UnionError> {
        Self::parse(&cell.split([';', '；', '、']).collect::<Vec<_>>())
    }

    /// As the database holds them, parsed when written.
    pub fn stored(names: Vec<String>) -> Self {
        Self(names)
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionNode {
    pub code: UnionCode,
    pub name: UnionName,
    pub kind: UnionKind,
    /// `None` for the root alone.
    pub parent: Option<UnionCode>,
    pub path: NodePath,
    pub employers: Employers,
    /// Made for a roster code the tree did not hold: waiting for staff to place it.
    pub unplaced: bool,
    pub closed_at: Option<DateTime<Utc>>,
    /// Closed by a merge into this union.
    pub merged_into: Option<UnionCode>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UnionNode {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// A node staff create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNode {
    pub code: UnionCode,
    pub name: UnionName,
    pub kind: UnionKind,
    pub parent: UnionCode,
    pub employers: Employers,
}

/// What staff change of a node; `None` leaves it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeChange {
    pub name: Option<UnionName>,
    /// A new parent: the node moves with its whole subtree.
    pub parent: Option<UnionCode>,
    pub employers: Option<Employers>,
}

/// Which nodes a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFilter {
    /// Under this node (itself included); the whole tree when `None`.
    pub under: Option<NodePath>,
    /// Directly under this node only.
    pub parent: Option<UnionCode>,
    pub kind: Option<UnionKind>,
    /// Part of the name, the code, or an employer's name.
    pub text: Option<String>,
    /// Only nodes waiting to be placed.
    pub unplaced_only: bool,
    /// Closed nodes too.
    pub with_closed: bool,
    /// Grassroots and joint unions only: the ones members belong to.
    pub joinable_only: bool,
}

/// Only grassroots and joint unions cover employers.
pub fn check_employers(kind: UnionKind, employers: &Employers) -> Result<(), UnionError> {
    if employers.is_empty() || kind.is_leaf() {
        return Ok(());
    }
    Err(UnionError::invalid(
        "employers",
        "只有基层工会和联合工会填写覆盖单位",
        "only grassroots and joint unions cover employers",
    ))
}

/// A node outside `within` (the part of the tree whoever asks works in) does not exist for them.
pub fn check_seen(node: &UnionNode, within: Option<&NodePath>) -> Result<(), UnionError> {
    match within {
        Some(within) if !within.contains(&node.path) => Err(UnionError::NotFound(node.code.clone())),
        _ => Ok(()),
    }
}

/// Checks a node of `kind` going directly under `parent`.
pub fn check_parent(kind: UnionKind, parent: &UnionNode) -> Result<(), UnionError> {
    if !parent.is_open() {
        return Err(UnionError::Closed(parent.code.clone()));
    }
    if kind.may_sit_under(parent.kind) {
        return Ok(());
    }
    Err(if parent.kind.is_leaf() {
        UnionError::Placement {
            zh: "基层工会和联合工会之下不能再设工会".into(),
            en: "a grassroots or joint union has no unions under it".into(),
        }
    } else {
        UnionError::Placement {
            zh: format!("{} 不能设在 {} 之下", kind.as_str(), parent.kind.as_str()),
            en: format!("a {} union cannot sit under a {} one", kind.as_str(), parent.kind.as_str()),
        }
    })
}

/// Where `node` lands under `parent`: refused under its own subtree, or where its kind may not sit.
pub fn check_move(node: &UnionNode, parent: &UnionNode) -> Result<NodePath, UnionError> {
    if node.path.contains(&parent.path) {
        return Err(UnionError::Placement {
            zh: format!("不能把 {} 移到它自己或它的下级之下", node.code),
            en: format!("{} cannot move under itself or its own subtree", node.code),
        });
    }
    if !node.is_open() {
        return Err(UnionError::Closed(node.code.clone()));
    }
    check_parent(node.kind, parent)?;
    Ok(parent.path.child(&node.code))
}

/// Two grassroots (or joint) unions, both open and not the same, merge: `from`'s members move to
/// `into` and `from` closes.
pub fn check_merge(from: &UnionNode, into: &UnionNode) -> Result<(), UnionError> {
    if from.code == into.code {
        return Err(UnionError::invalid("into", "不能与自身合并", "a union cannot merge into itself"));
    }
    for node in [from, into] {
        if !node.kind.is_leaf() {
            return Err(UnionError::Placement {
                zh: format!("只有基层工会或联合工会可以合并，{} 是 {}", node.code, node.kind.as_str()),
                en: format!("only grassroots and joint unions merge; {} is a {} union", node.code, node.kind.as_str()),
            });
        }
        if !node.is_open() {
            return Err(UnionError::Closed(node.code.clone()));
        }
    }
    Ok(())
}

/// A node closes once no one active belongs to it and no open union sits under it; the root never
/// closes.
pub fn check_close(node: &UnionNode, active_members: u64, open_children: u64) -> Result<(), UnionError> {
    if node.parent.is_none() {
        return Err(UnionError::Placement {
            zh: "市总工会不能撤销".into(),
            en: "the city federation does not close".into(),
        });
    }
    if !node.is_open() {
        return Err(UnionError::Closed(node.code.clone()));
    }
    if active_members > 0 {
        return Err(UnionError::HasMembers(active_members));
    }
    if open_children > 0 {
        return Err(UnionError::HasChildren(open_children));
    }
    Ok(())
}
