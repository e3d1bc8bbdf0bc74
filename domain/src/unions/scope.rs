//! The part of the tree a member of staff works in: their scope node and everything under it.
//! Outside it nothing exists for them — a union, a member, an audit row there answers as unknown.

use super::code::UnionCode;
use super::node::NodePath;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub code: UnionCode,
    pub path: NodePath,
}

impl Scope {
    /// Whether the node at `path` lies in this scope (the scope node included).
    pub fn holds(&self, path: &NodePath) -> bool {
        self.path.contains(path)
    }

    /// Whether this is the whole tree: the root's scope.
    pub fn is_whole_tree(&self) -> bool {
        self.path.depth() == 1
    }

    /// Of two subtrees, the one inside the other; `None` when neither holds the other.
    pub fn narrowed_to(&self, path: &NodePath) -> Option<NodePath> {
        if self.path.contains(path) {
            Some(path.clone())
        } else if path.contains(&self.path) {
            Some(self.path.clone())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(codes: &[&str]) -> NodePath {
        let mut p = NodePath::root(&UnionCode::parse(codes[0]).unwrap());
        for c in &codes[1..] {
            p = p.child(&UnionCode::parse(c).unwrap());
        }
        p
    }

    #[test]
    fn a_scope_holds_its_subtree_and_nothing_beside_it() {
        let sip = Scope { code: UnionCode::parse("SIP").unwrap(), path: path(&["ROOT", "SIP"]) };
        assert!(sip.holds(&path(&["ROOT", "SIP"])));
        assert!(sip.holds(&path(&["ROOT", "SIP", "WT", "G1"])));
        assert!(!sip.holds(&path(&["ROOT"])));
        assert!(!sip.holds(&path(&["ROOT", "SIPX"])), "a code that merely starts the same");
        assert!(!sip.is_whole_tree());
        assert!(Scope { code: UnionCode::parse("ROOT").unwrap(), path: path(&["ROOT"]) }.is_whole_tree());
        assert_eq!(sip.narrowed_to(&path(&["ROOT"])), Some(path(&["ROOT", "SIP"])));
        assert_eq!(sip.narrowed_to(&path(&["ROOT", "SIP", "WT"])), Some(path(&["ROOT", "SIP", "WT"])));
        assert_eq!(sip.narrowed_to(&path(&["ROOT", "GX"])), None);
    }
}
