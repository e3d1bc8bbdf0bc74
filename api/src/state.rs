//! The composition root's product: every adapter wired into every service, shared by all workers.

use infra::auth::{Argon2Hasher, JwtAdminTokens};
use infra::db::admin::DbAdmins;
use infra::db::audit::DbAuditLog;
use infra::db::Database;
use infra::ephemeral::Ephemeral;
use infra::redis_client::Redis;

use domain::admin::AdminService;
use domain::shared::SystemClock;

pub type Admins = AdminService<DbAdmins, DbAuditLog, Argon2Hasher, JwtAdminTokens, SystemClock>;

pub struct AppState {
    pub db: Database,
    pub redis: Option<Redis>,
    pub ephemeral: Ephemeral,
    pub admins: Admins,
}
