//! What a signed-in member does with their own account, and what staff may do to it.

use chrono::{DateTime, Utc};
use std::time::Duration;

use super::error::ProfileError;
use super::identity::{IdNumber, PersonName, PhoneNumber};
use super::model::{ConsentEvent, MemberId, Profile};
use super::ports::{BindError, MemberRepository, Roster};
use super::roster_search::{RosterCriterion, RosterMember};
use crate::admin::{Actor, NewAuditEntry};
use crate::mail::OutboundEmail;
use crate::shared::ephemeral::{RateDecision, RateLimiter};
use crate::shared::{Clock, EmailAddress, Page, PageRequest};
use crate::unions::Scope;

/// Five real-name attempts per member per day: enough for typos, too few to probe the roster.
pub const REAL_NAME_ATTEMPTS_PER_DAY: u32 = 5;
pub const EMAIL_CODE_TTL: Duration = Duration::from_secs(1_800);
/// Wrong codes a pending address takes before its code is burned: with the mail limits below, a
/// guesser gets 15 tries an hour at a million codes, not the million a code's life once allowed.
pub const EMAIL_CODE_TRIES: u32 = 5;
/// Confirmation mails, each per member and per address: three an hour, ten a day.
pub const EMAIL_MAILS: [(u32, Duration); 2] = [(3, Duration::from_secs(3_600)), (10, Duration::from_secs(86_400))];

pub struct Profiles<M, R, E, C> {
    pub members: M,
    pub roster: R,
    pub limiter: E,
    pub clock: C,
    /// The privacy policy version members must have accepted to use benefits.
    pub policy_version: String,
}

impl<M, R, E, C> Profiles<M, R, E, C>
where
    M: MemberRepository,
    R: Roster,
    E: RateLimiter,
    C: Clock,
{
    pub async fn get(&self, id: MemberId) -> Result<Profile, ProfileError> {
        self.members.profile(id).await?.ok_or(ProfileError::NotFound)
    }

    /// Benefits need the current policy accepted (PIPL consent).
    pub fn require_consent(&self, profile: &Profile) -> Result<(), ProfileError> {
        match &profile.member.consent_version {
            Some(v) if *v == self.policy_version => Ok(()),
            _ => Err(ProfileError::ConsentRequired),
        }
    }

    pub async fn consent(&self, id: MemberId, version: &str) -> Result<Profile, ProfileError> {
        if version != self.policy_version {
            return Err(ProfileError::UnknownPolicyVersion);
        }
        self.members.record_consent(id, version, self.clock.now()).await?;
        self.get(id).await
    }

    /// Withdraws the member's consent: every benefit stops at once (each checks the consent in its
    /// own statement), the records the audit trail needs stay, and the member may consent again.
    pub async fn withdraw_consent(&self, id: MemberId) -> Result<Profile, ProfileError> {
        if !self.members.withdraw_consent(id, self.clock.now()).await? {
            return Err(ProfileError::NoConsent);
        }
        self.get(id).await
    }

    /// The member's consent history, oldest first.
    pub async fn consent_history(&self, id: MemberId) -> Result<Vec<ConsentEvent>, ProfileError> {
        Ok(self.members.consent_history(id).await?)
    }

    /// Binds name + ID number, accepted only when they match an active roster row; the member is
    /// then activated. Each well-formed attempt counts towards the daily limit.
    pub async fn bind_real_name(
        &self,
        profile: &Profile,
        name: &str,
        id_number: &str,
    ) -> Result<Profile, ProfileError> {
        self.require_consent(profile)?;
        if profile.member.real_name.is_some() {
            return Err(ProfileError::AlreadyBound);
        }
        let now = self.clock.now();
        let name = PersonName::parse(name)?;
        let id_number = IdNumber::parse(id_number, now.date_naive())?;
        // Only look-ups count: a malformed number tells nothing about the roster.
        let key = format!("realname:{}", profile.member.id);
        if let RateDecision::Limited { retry_after } =
            self.limiter.hit(&key, REAL_NAME_ATTEMPTS_PER_DAY, Duration::from_secs(86_400)).await?
        {
            return Err(ProfileError::TooManyAttempts { retry_after });
        }
        if !self.roster.is_active_member(&name, &id_number).await? {
            return Err(ProfileError::NotMatched);
        }
        self.members.bind_real_name(profile.member.id, &name, &id_number, now).await.map_err(|e| match e {
            BindError::Taken => ProfileError::IdTaken,
            BindError::Unknown(e) => ProfileError::Unknown(e),
        })?;
        self.get(profile.member.id).await
    }

    pub async fn update(
        &self,
        id: MemberId,
        nickname: Option<Option<String>>,
        avatar_url: Option<Option<String>>,
    ) -> Result<Profile, ProfileError> {
        self.members.update_profile(id, nickname, avatar_url, self.clock.now()).await?;
        self.get(id).await
    }

    /// Sends a confirmation code to the new address through the outbox; the address becomes the
    /// member's only once confirmed.
    pub async fn request_email(&self, id: MemberId, email: EmailAddress) -> Result<(), ProfileError> {
        // Nobody mails any address from the union's domain at will, their own account's or another's.
        for (limit, window) in EMAIL_MAILS {
            // The local part is case-blind at every mail host members use: `Li@` and `LI@` are one inbox.
            for key in [format!("mail-member:{id}"), format!("mail-to:{}", email.as_str().to_lowercase())] {
                let key = format!("{key}:{}", window.as_secs());
                if let RateDecision::Limited { retry_after } = self.limiter.hit(&key, limit, window).await? {
                    return Err(ProfileError::TooManyMails { retry_after });
                }
            }
        }
        let code = crate::shared::random::six_digits();
        let mail = OutboundEmail {
            to: email.clone(),
            subject: "苏工惠邮箱验证 / Confirm your e-mail".into(),
            body: format!(
                "您的邮箱验证码是 {code}，30 分钟内有效。\nYour confirmation code is {code}; it is valid for 30 minutes.\n"
            ),
            attachment: None,
        };
        let now = self.clock.now();
        let expires = now + chrono::Duration::from_std(EMAIL_CODE_TTL).unwrap_or_default();
        Ok(self.members.request_email(id, &email, &code, now, expires, mail).await?)
    }

    pub async fn confirm_email(&self, id: MemberId, code: &str) -> Result<Profile, ProfileError> {
        match self.members.confirm_email(id, code, self.clock.now(), EMAIL_CODE_TRIES).await? {
            Some(_) => self.get(id).await,
            None => Err(ProfileError::BadEmailCode),
        }
    }

    pub async fn erase(&self, id: MemberId) -> Result<(), ProfileError> {
        Ok(self.members.erase(id, self.clock.now()).await?)
    }

    /// Staff look-up by exact phone or ID number, each one written to the audit log as
    /// `member.lookup`: what was asked (masked), and whom it found (the row's target). Nothing is
    /// answered unless the row was written.
    pub async fn search(&self, actor: &Actor, query: &str) -> Result<Vec<Profile>, ProfileError> {
        let now = self.clock.now();
        let phone = PhoneNumber::parse(query).ok();
        let id = IdNumber::parse(query, now.date_naive()).ok();
        let member_no = member_number(query);
        let (by, asked) = match (&phone, &id, &member_no) {
            (Some(phone), _, _) => ("phone", Some(phone.masked())),
            (None, Some(id), _) => ("id_number", Some(id.masked())),
            (None, None, Some(no)) => ("member_no", Some(no.clone())),
            // Not a number of any kind (perhaps a name): nothing is read, and it is not kept.
            (None, None, None) => ("unrecognised", None),
        };
        let mut found = match (&phone, &id, &member_no) {
            (None, None, Some(no)) => self.members.search_member_no(no).await?,
            _ if asked.is_some() => self.members.search(phone.as_ref(), id.as_ref()).await?,
            _ => Vec::new(),
        };
        if !actor.sees_everything() {
            let mut seen = Vec::with_capacity(found.len());
            for p in found {
                if self.in_scope(actor, &p).await? {
                    seen.push(p);
                }
            }
            found = seen;
        }
        let ids: Vec<String> = found.iter().map(|p| p.member.id.to_string()).collect();
        let target = if ids.is_empty() { "-".to_owned() } else { ids.join(",") };
        let entry = NewAuditEntry::by(actor, now, "member.lookup", target)
            .change(None, Some(serde_json::json!({ "by": by, "query": asked, "found": ids.len() })));
        self.members.record_lookup(entry).await?;
        Ok(found)
    }

    /// Staff finding people on the roster of their part of the tree (or of the union `within`, which
    /// must lie in it: elsewhere it does not exist for them). Every search is written to the audit log
    /// as `roster.search` with what was asked, masked, and how many rows the page held.
    pub async fn search_roster(
        &self,
        actor: &Actor,
        within: Option<Scope>,
        criterion: RosterCriterion,
        page: PageRequest,
    ) -> Result<Page<RosterMember>, ProfileError> {
        let under = match &within {
            Some(scope) if !actor.sees(&scope.path) => return Err(ProfileError::NotFound),
            Some(scope) => Some(scope.path.clone()),
            None => actor.confined_to().cloned(),
        };
        let found = self.roster.search(&criterion, under.as_ref(), page).await?;
        let (by, asked) = criterion.audited();
        let target = within.as_ref().map_or_else(|| "-".to_owned(), |s| s.code.to_string());
        let entry = NewAuditEntry::by(actor, self.clock.now(), "roster.search", target).change(
            None,
            Some(serde_json::json!({ "by": by, "query": asked, "found": found.items.len(), "more": found.next.is_some() })),
        );
        self.members.record_lookup(entry).await?;
        Ok(found)
    }

    /// One member as `actor` may see them: in their part of the tree, or not found.
    pub async fn for_staff(&self, actor: &Actor, id: MemberId) -> Result<Profile, ProfileError> {
        let p = self.get(id).await?;
        if !self.in_scope(actor, &p).await? {
            return Err(ProfileError::NotFound);
        }
        Ok(p)
    }

    /// Whether the member belongs to a union in `actor`'s part of the tree. Members on no roster
    /// row belong to no union: only staff of the whole tree see them.
    async fn in_scope(&self, actor: &Actor, p: &Profile) -> Result<bool, ProfileError> {
        if actor.sees_everything() {
            return Ok(true);
        }
        let Some(affiliation) = &p.affiliation else { return Ok(false) };
        let path = self.roster.union_path(&affiliation.union_org_code).await?;
        Ok(path.is_some_and(|path| actor.sees(&path)))
    }

    pub async fn set_suspension(
        &self,
        actor: &Actor,
        id: MemberId,
        reason: Option<&str>,
    ) -> Result<Profile, ProfileError> {
        let before = self.get(id).await?;
        if !self.in_scope(actor, &before).await? {
            return Err(ProfileError::NotFound);
        }
        let now: DateTime<Utc> = self.clock.now();
        let action = if reason.is_some() { "member.suspend" } else { "member.unsuspend" };
        let audit = NewAuditEntry::by(actor, now, action, id.to_string()).change(
            Some(serde_json::json!({ "suspension": before.member.suspension })),
            Some(serde_json::json!({ "suspension": reason })),
        );
        self.members.set_suspension(id, reason, audit).await?;
        self.get(id).await
    }
}

/// A member number as staff type it (`M000123`, `SZ-SIP-WT-000042`): letters and digits (both), `-`
/// and `_`, at most 64, full-width forms folded; `None` for anything else (a name, say).
fn member_number(query: &str) -> Option<String> {
    let folded = crate::shared::text::fold_width(query).trim().to_owned();
    let ok = !folded.is_empty()
        && folded.chars().count() <= 64
        && folded.chars().any(|c| c.is_ascii_digit())
        // A number of digits alone is more likely a mistyped phone or ID number, which must not
        // be kept whole in the audit log.
        && folded.chars().any(|c| c.is_ascii_alphabetic())
        && folded.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(folded)
}

#[cfg(test)]
mod member_number_tests {
    use super::member_number;

    #[test]
    fn member_numbers_are_told_from_names() {
        assert_eq!(member_number(" SZ-SIP-WT-000042 ").as_deref(), Some("SZ-SIP-WT-000042"));
        assert_eq!(member_number("Ｍ０００１２３").as_deref(), Some("M000123"), "full-width folded");
        for not in ["张三", "", "MEMBER", "M 1", "M1;DROP", "110105194912310021", "1380013800"] {
            assert_eq!(member_number(not), None, "{not}");
        }
    }
}
