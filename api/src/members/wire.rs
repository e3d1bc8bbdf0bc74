//! The members context's services: sign-in, profiles and real names, the roster.

use crate::wire::Infra;
use domain::members::auth::{MemberAuth, OtpPolicy};
use domain::members::profile::Profiles;
use domain::members::roster_import::RosterImports;
use domain::shared::AppClock;
use infra::auth::JwtMemberTokens;
use infra::db::alerts::DbOperatorAlerts;
use infra::db::audit::DbAuditLog;
use infra::db::members::DbMembers;
use infra::db::refresh::DbRefreshTokens;
use infra::db::roster::DbRoster;
use infra::ephemeral::Ephemeral;
use infra::http_clients::{AnySms, HttpSms, HttpWeChat, LogSms};

pub type MemberAuthService =
    MemberAuth<DbMembers, DbRefreshTokens, JwtMemberTokens, AnySms, HttpWeChat, Ephemeral, AppClock, DbOperatorAlerts>;
pub type ProfileService = Profiles<DbMembers, DbRoster, Ephemeral, AppClock>;
pub type Roster = RosterImports<DbRoster, DbAuditLog, AppClock>;

/// What the members handlers (and the member extractors every context uses) receive.
pub struct MembersState {
    pub auth: MemberAuthService,
    pub profiles: ProfileService,
    pub roster: Roster,
    /// Who may use member routes, remembered a page's life.
    pub standing: super::standing::Standings,
    pub clock: AppClock,
}

pub fn wire(infra: &Infra) -> MembersState {
    let config = &infra.config.members;
    let members = DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let roster = DbRoster::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.jwt;
    let previous = config.previous_jwt.as_ref().map(|(k, s)| (k.as_str(), s.as_bytes()));
    let sms = match &config.sms_gateway {
        Some((url, key)) => AnySms::Http(HttpSms::new(url, key)),
        None => AnySms::Log(LogSms),
    };
    let wechat_app = config.wechat_app.as_ref().map(|(id, secret)| (id.as_str(), secret.as_str()));
    MembersState {
        auth: MemberAuth {
            members: members.clone(),
            refresh: DbRefreshTokens::new(infra.db.clone(), config.refresh_token_ttl, config.session_max_age),
            tokens: JwtMemberTokens::new((kid, secret.as_bytes()), previous, config.token_ttl),
            sms,
            wechat: HttpWeChat::new(&config.wechat_base_url, wechat_app),
            ephemeral: infra.ephemeral.clone(),
            clock: infra.clock.clone(),
            alerts: DbOperatorAlerts(infra.db.clone()),
            policy: OtpPolicy {
                ttl: config.otp_ttl,
                resend_after: config.otp_resend_after,
                sms_per_hour: config.sms_budget_per_hour,
                ..OtpPolicy::default()
            },
        },
        profiles: Profiles {
            members,
            roster: roster.clone(),
            limiter: infra.ephemeral.clone(),
            clock: infra.clock.clone(),
            policy_version: config.privacy_policy_version.clone(),
        },
        roster: RosterImports { importer: roster, audit: DbAuditLog(infra.db.clone()), clock: infra.clock.clone() },
        standing: Default::default(),
        clock: infra.clock.clone(),
    }
}
