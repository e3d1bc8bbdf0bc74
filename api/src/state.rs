//! The composition root's product: every adapter wired into every service, shared by all workers.

use domain::mail::MailJobs;
use infra::auth::{Argon2Hasher, JwtAdminTokens};
use infra::db::admin::DbAdmins;
use infra::db::audit::DbAuditLog;
use infra::db::jobs::DbJobs;
use infra::db::Database;
use infra::ephemeral::Ephemeral;
use infra::mail::AnyMailer;
use infra::redis_client::Redis;

use infra::auth::JwtMemberTokens;
use infra::crypto::FieldCrypto;
use infra::db::members::DbMembers;
use infra::db::refresh::DbRefreshTokens;
use infra::db::roster::DbRoster;
use infra::http_clients::{AnySms, HttpWeChat};

use domain::admin::AdminService;
use domain::campaigns::service::CampaignService;
use domain::members::auth::MemberAuth;
use domain::members::profile::Profiles;
use domain::shared::AppClock;
use infra::db::campaign_cache::CachedCampaigns;
use infra::db::claims::DbClaims;
use infra::gate::AnyGate;

pub type Admins = AdminService<DbAdmins, DbAuditLog, Argon2Hasher, JwtAdminTokens, AppClock>;
pub type MemberAuthService =
    MemberAuth<DbMembers, DbRefreshTokens, JwtMemberTokens, AnySms, HttpWeChat, Ephemeral, AppClock>;
pub type ProfileService = Profiles<DbMembers, DbRoster, Ephemeral, AppClock>;
pub type Pickup = domain::campaigns::pickup::PickupService<infra::db::pickup::DbPickup, AppClock>;
pub type JobRunnerService = domain::jobs::JobRunner<DbJobs, MailJobs<AnyMailer>, AppClock>;
pub type Jobs = domain::jobs::JobsService<DbJobs, AppClock>;
pub type Idempotency = domain::shared::idempotency::Idempotency<infra::db::idempotency::DbIdempotency, AppClock>;
pub type Campaigns = CampaignService<CachedCampaigns, DbClaims, AnyGate, AppClock>;

pub struct AppState {
    pub db: Database,
    pub redis: Option<Redis>,
    pub ephemeral: Ephemeral,
    pub admins: Admins,
    pub member_auth: MemberAuthService,
    pub profiles: ProfileService,
    pub roster: DbRoster,
    pub campaigns: Campaigns,
    pub jobs: Jobs,
    pub idempotency: Idempotency,
    pub pickup: Pickup,
    pub crypto: FieldCrypto,
    pub clock: AppClock,
}
