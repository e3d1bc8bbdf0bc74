//! What the tree's endpoints take and answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use domain::unions::model::{Employers, NewNode, NodeChange, UnionName, UnionNode};
use domain::unions::{UnionCode, UnionKind};

/// The kinds of union, as the API writes them.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnionKindDto {
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

impl From<UnionKindDto> for UnionKind {
    fn from(k: UnionKindDto) -> Self {
        match k {
            UnionKindDto::City => UnionKind::City,
            UnionKindDto::District => UnionKind::District,
            UnionKindDto::Town => UnionKind::Town,
            UnionKindDto::Industry => UnionKind::Industry,
            UnionKindDto::Grassroots => UnionKind::Grassroots,
            UnionKindDto::Joint => UnionKind::Joint,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "SZ-SIP-WT-J01", "name": "娄葑街道联合工会", "kind": "joint", "kind_zh": "联合工会",
    "parent_code": "SZ-SIP-WT", "path": ["ROOT", "SZ-SIP", "SZ-SIP-WT", "SZ-SIP-WT-J01"],
    "employers": ["苏州某某科技有限公司", "苏州某某贸易有限公司"], "unplaced": false, "closed_at": null, "merged_into": null,
    "created_at": "2026-12-07T02:00:00Z", "updated_at": "2026-12-07T02:00:00Z"}))]
pub struct UnionNodeView {
    /// The 统一社会信用代码, or the federation's own code.
    pub code: String,
    pub name: String,
    /// `city`, `district`, `town`, `industry`, `grassroots` or `joint`.
    pub kind: &'static str,
    /// The kind in Chinese.
    pub kind_zh: &'static str,
    /// `null` for the root alone.
    pub parent_code: Option<String>,
    /// The codes from the root down to this union.
    pub path: Vec<String>,
    /// For grassroots and joint unions: the employers covered.
    pub employers: Vec<String>,
    /// Made for a roster code the tree did not hold, under the root: waiting for staff to place it (PATCH its
    /// `parent_code`).
    pub unplaced: bool,
    pub closed_at: Option<DateTime<Utc>>,
    /// Closed by merging into this union.
    pub merged_into: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UnionNode> for UnionNodeView {
    fn from(n: UnionNode) -> Self {
        Self {
            code: n.code.to_string(),
            name: n.name.as_str().to_owned(),
            kind: n.kind.as_str(),
            kind_zh: n.kind.zh(),
            parent_code: n.parent.map(|p| p.to_string()),
            path: n.path.codes().map(str::to_owned).collect(),
            employers: n.employers.names().to_vec(),
            unplaced: n.unplaced,
            closed_at: n.closed_at,
            merged_into: n.merged_into.map(|c| c.to_string()),
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"code": "SZ-SIP", "name": "苏州工业园区总工会", "kind": "district", "kind_zh": "区总工会",
    "parent_code": "ROOT", "path": ["ROOT", "SZ-SIP"], "employers": [], "unplaced": false, "closed_at": null,
    "merged_into": null, "created_at": "2026-12-07T02:00:00Z", "updated_at": "2026-12-07T02:00:00Z"}],
    "next_cursor": "azo0Mg"}))]
pub struct UnionNodePage {
    pub items: Vec<UnionNodeView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnionQuery {
    /// Only unions under this one (itself included).
    #[param(example = "SZ-SIP")]
    pub under: Option<String>,
    /// Only unions directly under this one.
    #[param(example = "SZ-SIP-WT")]
    pub parent: Option<String>,
    pub kind: Option<UnionKindDto>,
    /// Part of the name, the code, or an employer covered.
    #[param(example = "娄葑")]
    pub q: Option<String>,
    /// Only unions made from roster codes and waiting to be placed.
    #[serde(default)]
    pub unplaced: bool,
    /// Closed unions too.
    #[serde(default)]
    pub closed: bool,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "SZ-SIP-WT-J01", "name": "娄葑街道联合工会", "kind": "joint", "parent_code": "SZ-SIP-WT",
    "employers": ["苏州某某科技有限公司", "苏州某某贸易有限公司"]}))]
pub struct NewUnionRequest {
    /// The 18-character 统一社会信用代码 (its check character is verified), or the federation's own code: 1–32 letters,
    /// digits and `-`; full-width forms and lower case are folded.
    pub code: String,
    /// 1–100 characters.
    pub name: String,
    /// Any kind but `city` (there is one root).
    pub kind: UnionKindDto,
    pub parent_code: String,
    /// For grassroots and joint unions only.
    #[serde(default)]
    pub employers: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"parent_code": "SZ-SIP-WT"}))]
pub struct UnionPatch {
    pub name: Option<String>,
    /// A new parent: the union moves with everything under it.
    pub parent_code: Option<String>,
    /// Replaces the employers covered (grassroots and joint unions).
    pub employers: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"into": "SZ-SIP-WT-J01"}))]
pub struct MergeRequest {
    /// The union that takes the members.
    pub into: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": {"code": "SZ-SIP-WT-G07", "name": "某电子公司工会", "kind": "grassroots", "kind_zh": "基层工会",
    "parent_code": "SZ-SIP-WT", "path": ["ROOT", "SZ-SIP", "SZ-SIP-WT", "SZ-SIP-WT-G07"], "employers": [], "unplaced": false,
    "closed_at": "2026-12-07T03:00:00Z", "merged_into": "SZ-SIP-WT-J01", "created_at": "2026-12-07T02:00:00Z",
    "updated_at": "2026-12-07T03:00:00Z"},
    "into": {"code": "SZ-SIP-WT-J01", "name": "娄葑街道联合工会", "kind": "joint", "kind_zh": "联合工会",
    "parent_code": "SZ-SIP-WT", "path": ["ROOT", "SZ-SIP", "SZ-SIP-WT", "SZ-SIP-WT-J01"], "employers": ["苏州某某科技有限公司"],
    "unplaced": false, "closed_at": null, "merged_into": null, "created_at": "2026-12-07T02:00:00Z",
    "updated_at": "2026-12-07T02:00:00Z"}, "members_moved": 214}))]
pub struct MergeView {
    /// The union merged, now closed.
    pub from: UnionNodeView,
    pub into: UnionNodeView,
    /// Roster rows moved.
    pub members_moved: u64,
}

pub fn code(field: &'static str, raw: &str) -> Result<UnionCode, ApiError> {
    UnionCode::parse(raw).map_err(|e| ApiError::validation(field, "工会编码不正确", format!("{field}: {e}")))
}

fn name(raw: &str) -> Result<UnionName, ApiError> {
    UnionName::parse(raw).map_err(ApiError::from)
}

fn employers(raw: &[String]) -> Result<Employers, ApiError> {
    Employers::parse(raw).map_err(ApiError::from)
}

impl TryFrom<NewUnionRequest> for NewNode {
    type Error = ApiError;

    fn try_from(r: NewUnionRequest) -> Result<Self, ApiError> {
        Ok(NewNode {
            code: code("code", &r.code)?,
            name: name(&r.name)?,
            kind: r.kind.into(),
            parent: code("parent_code", &r.parent_code)?,
            employers: employers(&r.employers)?,
        })
    }
}

impl TryFrom<UnionPatch> for NodeChange {
    type Error = ApiError;

    fn try_from(p: UnionPatch) -> Result<Self, ApiError> {
        Ok(NodeChange {
            name: p.name.as_deref().map(name).transpose()?,
            parent: p.parent_code.as_deref().map(|c| code("parent_code", c)).transpose()?,
            employers: p.employers.as_deref().map(employers).transpose()?,
        })
    }
}
