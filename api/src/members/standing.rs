//! Whether a member may use the app at all — not suspended, not erased, the token not from before
//! their sessions were ended — decided for every member route before its handler runs.
//!
//! The answer is kept a page's life ([`MEMBER_FOR_SECS`]): a member browsing card, voucher and
//! merchant pages costs one read per few seconds, not one per request. A suspension, a lift or an
//! erasure through this instance replaces the member's entry at once; other instances see it within
//! two TTLs at most, as they see the member's pages.

use std::sync::Arc;

use actix_web::web;
use chrono::{DateTime, Utc};

use super::MembersState;
use domain::members::error::AuthError;
use domain::members::ports::MemberSession;
use domain::members::{MemberId, Profile};
use domain::shared::short_lived::{Lookup, ShortLived};

/// How long an answer is reused (and served as long again while one request reads it anew): the
/// life of a member's page.
pub const MEMBER_FOR_SECS: i64 = 5;

/// Members remembered at most (a profile each, under a KB): past it, the least a flood costs is one
/// read per member per few seconds.
const MEMBERS_HELD: usize = 200_000;

#[derive(Clone)]
enum Known {
    InStanding(Arc<Profile>),
    Suspended,
    Erased,
}

pub struct Standings {
    known: ShortLived<MemberId, Known>,
}

impl Default for Standings {
    fn default() -> Self {
        Self { known: ShortLived::new(chrono::Duration::seconds(MEMBER_FOR_SECS), MEMBERS_HELD) }
    }
}

/// The member's profile as the gatekeeper read it for this request: a handler that needs the
/// member fresh takes it rather than reading again.
#[derive(Clone)]
pub struct ReadNow(pub Arc<Profile>);

/// A member found in standing, and whether this request read them from the database (then the
/// profile is as fresh as a handler's own read would be).
pub struct InStanding {
    pub profile: Arc<Profile>,
    pub read_now: bool,
}

impl Standings {
    /// The member in standing for this token, or why not.
    pub async fn check(state: &web::Data<MembersState>, session: MemberSession) -> Result<InStanding, AuthError> {
        let now = state.clock.now();
        match state.standing.known.lookup(&session.member, now) {
            Lookup::Fresh(known) => judge(known, session).map(|profile| InStanding { profile, read_now: false }),
            Lookup::Due(known) => {
                let state = state.clone();
                // Should it fail, the entry lapses within a TTL and a request reads it itself.
                actix_web::rt::spawn(async move { read(&state, session.member, now).await.map(drop) });
                judge(known, session).map(|profile| InStanding { profile, read_now: false })
            }
            Lookup::Missing => {
                let known = read(state, session.member, now).await?;
                judge(known, session).map(|profile| InStanding { profile, read_now: true })
            }
        }
    }

    /// What is known without reading, for the claim path: its sold-out answers must cost no read,
    /// and its insert checks the member's standing in its own statement anyway.
    pub fn known_refusal(&self, session: MemberSession, now: DateTime<Utc>) -> Option<AuthError> {
        match self.known.lookup(&session.member, now) {
            Lookup::Fresh(known) | Lookup::Due(known) => judge(known, session).err(),
            Lookup::Missing => None,
        }
    }

    /// After the member's standing changed through this instance (suspended, lifted, erased): the
    /// next request of theirs is judged on what is now true.
    pub fn changed(&self, member: MemberId, now: DateTime<Utc>, profile: Option<&Profile>) {
        self.known.forget(&member);
        let start = self.known.read_start(&member);
        self.known.put_read(member, classify(profile.cloned()), now, start);
    }
}

fn classify(profile: Option<Profile>) -> Known {
    match profile {
        None => Known::Erased,
        Some(p) if p.member.erased_at.is_some() => Known::Erased,
        Some(p) if p.member.suspension.is_some() => Known::Suspended,
        Some(p) => Known::InStanding(Arc::new(p)),
    }
}

fn judge(known: Known, session: MemberSession) -> Result<Arc<Profile>, AuthError> {
    match known {
        Known::Suspended => Err(AuthError::Suspended),
        Known::Erased => Err(AuthError::Erased),
        Known::InStanding(p) if p.member.sessions_since.is_some_and(|since| session.issued_at < since) => {
            Err(AuthError::InvalidToken)
        }
        Known::InStanding(p) => Ok(p),
    }
}

async fn read(state: &MembersState, member: MemberId, now: DateTime<Utc>) -> Result<Known, AuthError> {
    let start = state.standing.known.read_start(&member);
    let known = match state.auth.ensure_active(member).await {
        Ok(profile) => Known::InStanding(Arc::new(profile)),
        Err(AuthError::Suspended) => Known::Suspended,
        Err(AuthError::Erased) => Known::Erased,
        Err(other) => return Err(other),
    };
    state.standing.known.put_read(member, known.clone(), now, start);
    Ok(known)
}
