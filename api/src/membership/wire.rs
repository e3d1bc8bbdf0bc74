//! The membership context's services.

use crate::wire::Infra;
use domain::membership::service::MembershipService;
use domain::shared::AppClock;
use infra::db::membership::DbMembership;
use infra::ephemeral::Ephemeral;

pub struct MembershipState {
    pub membership: MembershipService<DbMembership, AppClock, Ephemeral>,
}

pub fn wire(infra: &Infra) -> MembershipState {
    MembershipState {
        membership: MembershipService {
            store: DbMembership::new(infra.db.clone(), infra.crypto.clone()),
            clock: infra.clock.clone(),
            limiter: infra.ephemeral.clone(),
        },
    }
}
