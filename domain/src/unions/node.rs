//! The organisation tree's nodes: what kind of union each is, which may sit under which, and the
//! materialised path that makes "everything under this node" one indexed prefix match instead of a
//! walk of the tree.

use super::code::UnionCode;

/// The kinds of node in the federation's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnionKind {
    /// 市总工会: the root.
    City,
    /// 市、区总工会.
    District,
    /// 镇、街道、开发区总工会.
    Town,
    /// 产业工会.
    Industry,
    /// 基层工会: members belong here.
    Grassroots,
    /// 联合工会: a grassroots union covering several small employers.
    Joint,
}

impl UnionKind {
    pub const ALL: [UnionKind; 6] = [
        UnionKind::City,
        UnionKind::District,
        UnionKind::Town,
        UnionKind::Industry,
        UnionKind::Grassroots,
        UnionKind::Joint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnionKind::City => "city",
            UnionKind::District => "district",
            UnionKind::Town => "town",
            UnionKind::Industry => "industry",
            UnionKind::Grassroots => "grassroots",
            UnionKind::Joint => "joint",
        }
    }

    /// As the template and exports write it (and [`UnionKind::parse`] reads it back).
    pub fn zh(self) -> &'static str {
        match self {
            UnionKind::City => "市总工会",
            UnionKind::District => "区总工会",
            UnionKind::Town => "镇（街道）总工会",
            UnionKind::Industry => "产业工会",
            UnionKind::Grassroots => "基层工会",
            UnionKind::Joint => "联合工会",
        }
    }

    /// By its name in English or as staff write it in Chinese.
    pub fn parse(raw: &str) -> Option<Self> {
        let v = raw.trim().to_ascii_lowercase();
        Some(match v.as_str() {
            "city" | "市总工会" => UnionKind::City,
            "district" | "区总工会" | "市总工会（县级市）" | "县级市总工会" => UnionKind::District,
            "town" | "镇（街道）总工会" | "镇街总工会" | "镇总工会" | "街道总工会" | "开发区总工会" | "街道工会" => {
                UnionKind::Town
            }
            "industry" | "产业工会" | "行业工会" => UnionKind::Industry,
            "grassroots" | "基层工会" => UnionKind::Grassroots,
            "joint" | "联合工会" => UnionKind::Joint,
            _ => return None,
        })
    }

    /// Grassroots and joint unions are leaves: members belong to them, unions do not.
    pub fn is_leaf(self) -> bool {
        matches!(self, UnionKind::Grassroots | UnionKind::Joint)
    }

    /// Whether a node of this kind may sit directly under a node of kind `parent`. The city
    /// federation is the one root; district (and county-level city) federations sit under it; town,
    /// street and development-zone federations and industry unions under the city or a district; a
    /// grassroots or joint union under any federation; nothing under a grassroots or joint union.
    pub fn may_sit_under(self, parent: UnionKind) -> bool {
        if parent.is_leaf() {
            return false;
        }
        match self {
            UnionKind::City => false,
            UnionKind::District => parent == UnionKind::City,
            UnionKind::Town | UnionKind::Industry => matches!(parent, UnionKind::City | UnionKind::District),
            UnionKind::Grassroots | UnionKind::Joint => true,
        }
    }
}

/// A node's place in the tree as the codes from the root down, `/ROOT/SZ-SIP/…/CODE/`: a node's
/// subtree is every path that starts with its own, on both backends one indexed `LIKE 'prefix%'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodePath(String);

impl NodePath {
    pub fn root(code: &UnionCode) -> Self {
        Self(format!("/{}/", code.as_str()))
    }

    /// The path of `code` placed directly under this node.
    pub fn child(&self, code: &UnionCode) -> Self {
        Self(format!("{}{}/", self.0, code.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As the database holds it: built by [`NodePath::root`] and [`NodePath::child`] when written.
    pub fn stored(path: String) -> Self {
        Self(path)
    }

    /// The codes from the root down.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// Whether `other` is this node or lies under it.
    pub fn contains(&self, other: &NodePath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Nodes from the root to this one, this one included.
    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 1
    }

    /// Where `moved` (a node under `from`, or `from` itself) lands when `from` is moved to `to`:
    /// the whole subtree moves with its root.
    pub fn moved(&self, from: &NodePath, to: &NodePath) -> Option<NodePath> {
        self.0.strip_prefix(&from.0).map(|rest| NodePath(format!("{}{rest}", to.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnionCode {
        UnionCode::parse(s).unwrap()
    }

    #[test]
    fn kinds_read_in_english_and_chinese() {
        for kind in UnionKind::ALL {
            assert_eq!(UnionKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(UnionKind::parse(" 基层工会 "), Some(UnionKind::Grassroots));
        for kind in UnionKind::ALL {
            assert_eq!(UnionKind::parse(kind.zh()), Some(kind), "exports read back");
        }
        assert_eq!(UnionKind::parse("街道总工会"), Some(UnionKind::Town));
        assert_eq!(UnionKind::parse("委员会"), None);
    }

    #[test]
    fn leaves_have_no_children_and_the_city_has_no_parent() {
        use UnionKind::*;
        assert!(Grassroots.may_sit_under(Town) && Joint.may_sit_under(City) && Grassroots.may_sit_under(Industry));
        assert!(!Grassroots.may_sit_under(Grassroots) && !Town.may_sit_under(Joint));
        assert!(!City.may_sit_under(City) && !District.may_sit_under(Town) && !District.may_sit_under(District));
        assert!(Town.may_sit_under(District) && Industry.may_sit_under(City));
    }

    #[test]
    fn a_subtree_is_a_prefix_and_moves_whole() {
        let city = NodePath::root(&code("SZ"));
        let sip = city.child(&code("SZ-SIP"));
        let town = sip.child(&code("SZ-SIP-WT"));
        let shop = town.child(&code("SZ-SIP-WT-001"));
        assert!(city.contains(&shop) && sip.contains(&shop) && shop.contains(&shop));
        assert!(!town.contains(&sip));
        // A sibling whose code starts alike is not inside: paths end in '/'.
        let sibling = city.child(&code("SZ-SIPX"));
        assert!(!sip.contains(&sibling));
        assert_eq!((city.depth(), shop.depth()), (1, 4));
        let gusu = city.child(&code("SZ-GS"));
        let moved = shop.moved(&town, &gusu.child(&code("SZ-SIP-WT"))).unwrap();
        assert_eq!(moved.as_str(), "/SZ/SZ-GS/SZ-SIP-WT/SZ-SIP-WT-001/");
        assert_eq!(sibling.moved(&town, &gusu), None, "outside the moved subtree");
    }
}
