//! Where the files attached to service cases are kept: a directory, or a bucket of an
//! S3-compatible object store. Both seal each file under the field keys before it is kept.

mod dir;
mod s3;
pub mod sigv4;

pub use dir::DirFileStore;
pub use s3::{S3FileStore, S3Settings};

use std::io::Read;

use domain::services::files::FileStore;
use domain::services::model::AttachmentId;

/// The store the configuration names.
#[derive(Clone)]
pub enum Files {
    Dir(DirFileStore),
    S3(Box<S3FileStore>),
}

impl FileStore for Files {
    async fn put(&self, id: AttachmentId, body: Box<dyn Read + Send>) -> anyhow::Result<()> {
        match self {
            Files::Dir(s) => s.put(id, body).await,
            Files::S3(s) => s.put(id, body).await,
        }
    }

    async fn get(&self, id: AttachmentId) -> anyhow::Result<Vec<u8>> {
        match self {
            Files::Dir(s) => s.get(id).await,
            Files::S3(s) => s.get(id).await,
        }
    }

    async fn delete(&self, id: AttachmentId) -> anyhow::Result<()> {
        match self {
            Files::Dir(s) => s.delete(id).await,
            Files::S3(s) => s.delete(id).await,
        }
    }
}
