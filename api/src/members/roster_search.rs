//! Staff searching the roster of their part of the tree.

use actix_web::{post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MembersState;
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::extract::Staff;
use crate::unions::UnionsState;
use domain::members::roster_search::{NamePrefix, PhoneTail, RosterCriterion, RosterMember};
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

/// At most one of `name_prefix`, `phone_suffix` and `member_no`; none lists everyone. In the body,
/// never the URL: a name or the digits of a phone in a URL end up in proxy logs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"union_code": "SZ-SIP", "name_prefix": "王", "limit": 20}))]
pub struct RosterSearch {
    /// A union in the caller's part of the tree (closed ones too): its roster and its sub-unions'. The
    /// caller's whole part when absent.
    #[schema(example = "SZ-SIP")]
    pub union_code: Option<String>,
    /// The first 1–20 characters of the name (`王`, `欧阳`, `阿卜杜·热`).
    #[schema(example = "王")]
    pub name_prefix: Option<String>,
    /// The last four digits of the member's phone, as a masked number shows them (`1234`,
    /// `****1234`, `139****1234`). Finds people with an account only.
    #[schema(example = "8000")]
    pub phone_suffix: Option<String>,
    /// An exact member number.
    #[schema(example = "SZ-SIP-000042")]
    pub member_no: Option<String>,
    /// 1–100, 20 when absent.
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (with the same criteria).
    pub cursor: Option<String>,
}

/// A person on the roster, masked, with the account bound to them if they have one.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterPerson {
    #[schema(example = "SZ-SIP-000042")]
    pub member_no: String,
    #[schema(example = "王**")]
    pub name: String,
    #[schema(example = "3205**********123X")]
    pub id_number: String,
    #[schema(example = "SZ-SIP-WT-A01")]
    pub union_code: String,
    #[schema(example = "某某科技有限公司工会")]
    pub union_name: String,
    /// `active`, or `left` once the membership ended.
    #[schema(example = "active")]
    pub status: String,
    pub joined_at: Option<DateTime<Utc>>,
    /// The member account bound to this person (their name and 身份证 number), if any.
    pub member_id: Option<uuid::Uuid>,
    /// That account's phone, masked.
    #[schema(example = "138****8000")]
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"member_no": "SZ-SIP-000042", "name": "王**", "id_number": "3205**********123X",
    "union_code": "SZ-SIP-WT-A01", "union_name": "某某科技有限公司工会", "status": "active",
    "joined_at": "2026-12-01T02:00:00Z", "member_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "phone": "138****8000"}],
    "next_cursor": "azo0Mg"}))]
pub struct RosterPage {
    pub items: Vec<RosterPerson>,
    /// Set while there may be more. A page can hold fewer than `limit` people and still have a
    /// cursor: one request looks at a bounded number of rows.
    pub next_cursor: Option<String>,
}

impl From<RosterMember> for RosterPerson {
    fn from(m: RosterMember) -> Self {
        Self {
            member_no: m.member_no,
            name: m.name.masked(),
            id_number: m.id_number.masked(),
            union_code: m.union_org_code,
            union_name: m.union_org_name,
            status: m.status.as_str().to_owned(),
            joined_at: m.joined_at,
            member_id: m.account.as_ref().map(|a| a.id.0),
            phone: m.account.and_then(|a| a.phone).map(|p| p.masked()),
        }
    }
}

fn criterion(body: &RosterSearch) -> Result<RosterCriterion, ApiError> {
    let given = [&body.name_prefix, &body.phone_suffix, &body.member_no].iter().filter(|f| f.is_some()).count();
    if given > 1 {
        return Err(ApiError::validation(
            "name_prefix",
            "姓名、手机尾号、会员编号只能按其一查找",
            "give at most one of name_prefix, phone_suffix and member_no".into(),
        ));
    }
    if let Some(raw) = &body.name_prefix {
        let prefix =
            NamePrefix::parse(raw).map_err(|e| ApiError::validation("name_prefix", "姓名开头无效", e.to_string()))?;
        return Ok(RosterCriterion::NamePrefix(prefix));
    }
    if let Some(raw) = &body.phone_suffix {
        let tail = PhoneTail::parse(raw)
            .map_err(|e| ApiError::validation("phone_suffix", "手机尾号须为 4 位数字", e.to_string()))?;
        return Ok(RosterCriterion::PhoneTail(tail));
    }
    if let Some(raw) = &body.member_no {
        let no = domain::shared::text::fold_width(raw).trim().to_owned();
        if no.is_empty() || no.chars().count() > 64 {
            return Err(ApiError::validation("member_no", "会员编号无效", "member_no must be 1-64 characters".into()));
        }
        return Ok(RosterCriterion::MemberNo(no));
    }
    Ok(RosterCriterion::Everyone)
}

/// Searches the roster of the caller's part of the tree.
///
/// By the first characters of a name, the last four digits of a phone (people with an account), or a member
/// number; everyone when none is given. `union_code` narrows it to a union and the unions under it; a union outside
/// the caller's part of the tree is 404. In roster order, a page at a time. Names, 身份证 numbers and phones come
/// back masked. Each search is written to the audit log as `roster.search` (what was asked, masked, and how many
/// were found); a POST because it carries personal data, though it changes nothing.
///
/// Who: staff with role admin, operator or auditor; a union officer (its own union's roster).
#[utoipa::path(operation_id = "admin_search_roster", tag = "admin", security(("admin_jwt" = [])), request_body = RosterSearch,
    responses(
        (status = 200, body = RosterPage),
        (status = 400, description = "A bad `limit` or `cursor`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, description = "`union_code` is not a union in the caller's part of the tree", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "More than one criterion, or one that is not a name prefix, four digits or a member number", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[post("/v1/admin/roster/search")]
pub async fn search_roster(
    state: web::Data<MembersState>,
    unions: web::Data<UnionsState>,
    staff: Staff,
    body: web::Json<RosterSearch>,
) -> Result<web::Json<RosterPage>, ApiError> {
    Ok(web::Json(find(&state, &unions, &staff, body.into_inner()).await?))
}

/// A page of the roster search, as the API and the console answer it.
pub async fn find(
    state: &MembersState,
    unions: &UnionsState,
    staff: &Staff,
    body: RosterSearch,
) -> Result<RosterPage, ApiError> {
    let criterion = criterion(&body)?;
    let page = PageRequest::parse(body.limit, body.cursor.as_deref()).map_err(paging_error)?;
    // A closed union's roster is searched like any other: its former members are still on it.
    let within = match body.union_code.as_deref() {
        Some(raw) => {
            let node = unions.unions.get(&staff.actor, &crate::unions::code("union_code", raw)?).await?;
            Some(domain::unions::Scope { code: node.code, path: node.path })
        }
        None => None,
    };
    let found = state.profiles.search_roster(&staff.actor, within, criterion, page).await?;
    Ok(RosterPage {
        items: found.items.into_iter().map(RosterPerson::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    })
}
