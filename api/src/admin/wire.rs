//! The admin context's services: staff accounts and sessions, the audit log, the jobs outbox.

use crate::wire::Infra;
use domain::admin::AdminService;
use domain::jobs::JobsService;
use domain::shared::AppClock;
use infra::auth::{Argon2Hasher, JwtAdminTokens};
use infra::db::admin::DbAdmins;
use infra::db::audit::DbAuditLog;
use infra::db::books::DbBooks;
use infra::db::jobs::DbJobs;
use infra::ephemeral::Ephemeral;

pub type Admins = AdminService<DbAdmins, DbAuditLog, Argon2Hasher, JwtAdminTokens, AppClock>;
pub type Jobs = JobsService<DbJobs, AppClock>;

/// What the admin handlers (and the staff extractors every context uses) receive.
pub struct AdminState {
    pub admins: Admins,
    pub jobs: Jobs,
    /// The money books, for the auditor's checks.
    pub books: DbBooks,
    /// Counts sign-in attempts per client address.
    pub limiter: Ephemeral,
    pub clock: AppClock,
}

pub fn wire(infra: &Infra) -> AdminState {
    let config = &infra.config.admin;
    AdminState {
        admins: AdminService::new(
            DbAdmins(infra.db.clone()),
            DbAuditLog(infra.db.clone()),
            Argon2Hasher,
            JwtAdminTokens::new(config.jwt_secret.as_bytes(), config.token_ttl),
            infra.clock.clone(),
        ),
        jobs: JobsService { store: DbJobs(infra.db.clone()), clock: infra.clock.clone() },
        books: DbBooks(infra.db.clone()),
        limiter: infra.ephemeral.clone(),
        clock: infra.clock.clone(),
    }
}
