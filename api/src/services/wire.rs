//! The services context's wiring.

use crate::config::Config;
use crate::wire::Infra;
use domain::services::service::ServiceWindows;
use domain::shared::AppClock;
use infra::crypto::FieldCrypto;
use infra::db::services::DbCases;
use infra::files::{DirFileStore, Files, S3FileStore};

pub struct ServicesState {
    pub services: ServiceWindows<DbCases, Files, AppClock>,
}

pub fn wire(infra: &Infra) -> anyhow::Result<ServicesState> {
    Ok(ServicesState {
        services: ServiceWindows {
            store: DbCases::new(infra.db.clone(), infra.crypto.clone()),
            files: file_store(&infra.config, infra.crypto.clone(), infra.clock.clone())?,
            clock: infra.clock.clone(),
        },
    })
}

/// The bucket if one is configured, else the directory.
pub fn file_store(config: &Config, crypto: FieldCrypto, clock: AppClock) -> anyhow::Result<Files> {
    let storage = &config.storage;
    Ok(match &storage.files_s3 {
        Some(s3) => Files::S3(Box::new(S3FileStore::new(s3.clone(), crypto, clock)?)),
        None => Files::Dir(DirFileStore::open(&storage.files_dir, crypto)?),
    })
}
