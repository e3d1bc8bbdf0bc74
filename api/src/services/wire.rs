//! The services context's wiring.

use crate::wire::Infra;
use domain::services::service::ServiceWindows;
use domain::shared::AppClock;
use infra::db::services::DbCases;
use infra::files::DirFileStore;

pub struct ServicesState {
    pub services: ServiceWindows<DbCases, DirFileStore, AppClock>,
}

pub fn wire(infra: &Infra) -> anyhow::Result<ServicesState> {
    Ok(ServicesState {
        services: ServiceWindows {
            store: DbCases::new(infra.db.clone(), infra.crypto.clone()),
            files: DirFileStore::open(&infra.config.storage.files_dir, infra.crypto.clone())?,
            clock: infra.clock.clone(),
        },
    })
}
