//! The unions context's services.

use crate::wire::Infra;
use domain::shared::AppClock;
use domain::unions::service::UnionService;
use infra::db::unions::DbUnions;
use infra::tree_file::CsvTreeFile;

pub struct UnionsState {
    pub unions: UnionService<DbUnions, CsvTreeFile, AppClock>,
}

pub fn wire(infra: &Infra) -> UnionsState {
    UnionsState {
        unions: UnionService { tree: DbUnions(infra.db.clone()), file: CsvTreeFile, clock: infra.clock.clone() },
    }
}
