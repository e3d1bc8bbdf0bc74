//! `GET /v1/campaigns` and `GET /v1/campaigns/{id}`: the page members refresh before an opening.
//! The part that is the same for everyone comes from the in-memory board
//! ([`domain::campaigns::board`]); the caller's part (eligible or why not, claims left) from a
//! few seconds' memory of the member, so a refresh costs no database round trip. Without a token
//! the shared part alone is served, serialized once per board, for the app's pre-login screens
//! and a CDN; every answer has an `ETag`, and `If-None-Match` gets 304.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::dto::{CampaignList, CampaignView};
use super::CampaignsState;
use crate::error::ApiError;
use crate::members::standing::ReadNow;
use crate::members::{MemberToken, MembersState};
use domain::campaigns::board::Board;
use domain::campaigns::model::Ineligible;
use domain::campaigns::{Campaign, CampaignId};
use domain::members::error::AuthError;
use domain::members::{MemberId, Profile};
use domain::shared::short_lived::{Lookup, ShortLived};

const PROBLEM: &str = "application/problem+json";

/// How long a member's claim counts are reused for their pages (and for as long again while one
/// page reads them anew): as long as their standing is. A claim through this instance forgets them
/// at once; the claim itself always reads the member again.
pub use crate::members::standing::MEMBER_FOR_SECS;

/// Members remembered at most: each holds a profile and a rendered list (a few KB with a handful of
/// campaigns), so this bounds the memory to a few hundred MB. Past it, the least a flood costs is
/// one database read per member per five seconds.
const MEMBERS_HELD: usize = 100_000;

/// What a member's page needs besides the board, and their list as last rendered.
pub struct MemberPart {
    profile: Profile,
    claimed: HashMap<CampaignId, u32>,
    list: Rendered,
}

/// A list's JSON, made once per board (and member part) and served until the board changes.
struct Json {
    version: u64,
    body: web::Bytes,
    etag: String,
}

type Rendered = Mutex<Option<Arc<Json>>>;

pub struct Pages {
    members: ShortLived<MemberId, Arc<MemberPart>>,
    /// The list without a token.
    shared: Rendered,
}

impl Default for Pages {
    fn default() -> Self {
        Self {
            members: ShortLived::new(chrono::Duration::seconds(MEMBER_FOR_SECS), MEMBERS_HELD),
            shared: Mutex::default(),
        }
    }
}

impl Pages {
    /// After the member's own claim: their next page counts it.
    pub fn forget_member(&self, member: MemberId) {
        self.members.forget(&member);
    }
}

/// The member's part, from memory when it is a few seconds old at most; up to as old again while
/// one page's request reads it anew beside the page. A token from before the member's last sign-out
/// everywhere is refused here as it is on a fresh read, and a read that refuses the member (now
/// suspended, erased or signed out) forgets them, so their next page is refused too.
async fn member_part(
    state: &web::Data<CampaignsState>,
    members: &web::Data<MembersState>,
    token: MemberToken,
    read_now: Option<Arc<Profile>>,
) -> Result<Arc<MemberPart>, ApiError> {
    let now = state.clock.now();
    let session = token.0;
    let current = |part: &MemberPart| part.profile.member.sessions_since.is_none_or(|since| session.issued_at >= since);
    match state.pages.members.lookup(&session.member, now) {
        Lookup::Fresh(part) if current(&part) => return Ok(part),
        Lookup::Due(part) if current(&part) => {
            let (state, members) = (state.clone(), members.clone());
            // Should it fail otherwise, the part lapses within a TTL and a page reads it itself.
            actix_web::rt::spawn(async move { read_member_part(&state, &members, token, None).await.map(drop) });
            return Ok(part);
        }
        _ => {}
    }
    read_member_part(state, members, token, read_now).await
}

fn read_now(req: &HttpRequest) -> Option<Arc<Profile>> {
    req.extensions().get::<ReadNow>().map(|r| Arc::clone(&r.0))
}

async fn read_member_part(
    state: &CampaignsState,
    members: &MembersState,
    token: MemberToken,
    read_now: Option<Arc<Profile>>,
) -> Result<Arc<MemberPart>, ApiError> {
    let now = state.clock.now();
    let session = token.0;
    let start = state.pages.members.read_start(&session.member);
    let read = match read_now {
        // The gatekeeper read them for this request.
        Some(profile) => Ok(Profile::clone(&profile)),
        None => members.auth.ensure_session(session).await,
    };
    let profile = match read {
        Ok(profile) => profile,
        Err(refused) => {
            if matches!(refused, AuthError::Suspended | AuthError::Erased | AuthError::InvalidToken) {
                state.pages.forget_member(session.member);
            }
            return Err(refused.into());
        }
    };
    let claimed = state.campaigns.claims_per_campaign(session.member).await?.into_iter().collect();
    let part = Arc::new(MemberPart { profile, claimed, list: Mutex::default() });
    // A claim of theirs during the read forgets them: this read may not have counted it.
    state.pages.members.put_read(session.member, Arc::clone(&part), now, start);
    Ok(part)
}

/// Adds what this member may do in a campaign to its view.
fn for_member(mut view: CampaignView, c: &Campaign, part: &MemberPart) -> CampaignView {
    let verdict = c.eligibility.check(&part.profile);
    view.eligible = Some(verdict.is_ok());
    view.ineligible_reason = verdict.err().map(|r| match r {
        Ineligible::NotActivated => "not_activated",
        Ineligible::OtherUnion => "other_union",
        Ineligible::JoinedTooLate => "joined_too_late",
        Ineligible::NoCard => "no_card",
    });
    let claimed = part.claimed.get(&c.id).copied().unwrap_or(0);
    view.claims_left = Some(c.per_member_limit.saturating_sub(claimed));
    view
}

/// The board's campaigns, with their statuses as of its reading.
fn views(board: &Board, only: Option<CampaignId>, part: Option<&MemberPart>) -> Vec<CampaignView> {
    board
        .campaigns
        .iter()
        .filter(|(c, _)| only.is_none_or(|id| c.id == id))
        .map(|(c, offers)| {
            let view = CampaignView::with_offers(c, offers, board.as_of);
            match part {
                Some(part) => for_member(view, c, part),
                None => view,
            }
        })
        .collect()
}

fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// The answer, or 304 when the client holds it already.
fn answer(req: &HttpRequest, body: web::Bytes, etag: &str, shared: bool) -> HttpResponse {
    let cache = if shared { "public, max-age=1" } else { "private, max-age=1" };
    let held = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if held { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, HeaderValue::from_static("Authorization")));
    if held {
        return res.finish();
    }
    res.content_type("application/json").body(body)
}

fn json(value: &impl serde::Serialize) -> Result<web::Bytes, ApiError> {
    serde_json::to_vec(value).map(web::Bytes::from).map_err(|e| ApiError::internal(&e.into()))
}

/// The list for `part` (or for everyone), rendered once per board version.
fn list_json(slot: &Rendered, board: &Board, part: Option<&MemberPart>) -> Result<Arc<Json>, ApiError> {
    let mut held = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(json) = held.as_ref().filter(|j| j.version == board.version) {
        return Ok(Arc::clone(json));
    }
    let body = json(&CampaignList { items: views(board, None, part) })?;
    let made = Arc::new(Json { version: board.version, etag: etag_of(&body), body });
    if held.as_ref().is_none_or(|j| j.version < board.version) {
        *held = Some(Arc::clone(&made));
    }
    Ok(made)
}

/// Live and upcoming campaigns.
///
/// With what is left of each gift, at most a second behind the claims. With a member token, also whether the caller is
/// eligible and how many more gifts they may claim; without one, the part that is the same for everyone, cacheable by a
/// CDN for a second. Answers carry an `ETag`; `If-None-Match` gets 304. Changes nothing.
///
/// Who: anyone; a member token, when sent, must be valid.
#[utoipa::path(operation_id = "member_list_campaigns", tag = "campaigns", security((), ("member_jwt" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = CampaignList, headers(("ETag" = String), ("Cache-Control" = String, description = "`public, max-age=1` without a token, `private, max-age=1` with one"))),
        (status = 304, description = "Unchanged since the given `ETag`"),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 503, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/campaigns")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<CampaignsState>,
    members: web::Data<MembersState>,
) -> Result<HttpResponse, ApiError> {
    state.rush.page_turn().await;
    let board = state.campaigns.board().await?;
    let token = req.extensions().get::<MemberToken>().copied();
    let Some(token) = token else {
        let shared = list_json(&state.pages.shared, &board, None)?;
        return Ok(answer(&req, shared.body.clone(), &shared.etag, true));
    };
    let part = member_part(&state, &members, token, read_now(&req)).await?;
    let mine = list_json(&part.list, &board, Some(&part))?;
    Ok(answer(&req, mine.body.clone(), &mine.etag, false))
}

/// One live or upcoming campaign.
///
/// Like an item of the list: with a member token, the caller's eligibility and claims left too. Changes nothing.
///
/// Who: anyone; a member token, when sent, must be valid.
#[utoipa::path(operation_id = "member_get_campaign", tag = "campaigns", security((), ("member_jwt" = [])),
    params(("id" = uuid::Uuid, Path), ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer")),
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the given `ETag`"),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 404, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 503, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/campaigns/{id}")]
pub async fn get(
    req: HttpRequest,
    state: web::Data<CampaignsState>,
    members: web::Data<MembersState>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.rush.page_turn().await;
    let board = state.campaigns.board().await?;
    let token = req.extensions().get::<MemberToken>().copied();
    let part = match token {
        Some(token) => Some(member_part(&state, &members, token, read_now(&req)).await?),
        None => None,
    };
    let found = views(&board, Some(CampaignId(id.into_inner())), part.as_deref()).pop();
    let view = found
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "campaign.not_found", "活动不存在", "No such campaign"))?;
    let body = json(&view)?;
    let etag = etag_of(&body);
    Ok(answer(&req, body, &etag, part.is_none()))
}
