//! The file store of the embedded default (and of a single server): a directory, each file sealed under the field keys
//! (see [`FieldCrypto::seal_file`]) and named by its id, two levels of fan-out so no directory
//! grows huge. A file is written to a temporary name and renamed once synced, so a file under its
//! id is always whole.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::crypto::FieldCrypto;
use domain::services::files::FileStore;
use domain::services::model::AttachmentId;

#[derive(Clone)]
pub struct DirFileStore {
    root: PathBuf,
    crypto: FieldCrypto,
}

impl DirFileStore {
    pub fn open(root: &Path, crypto: FieldCrypto) -> anyhow::Result<Self> {
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root: root.to_owned(), crypto })
    }

    /// Ids are UUIDs, so the path holds no separator or dot segment whatever was uploaded.
    fn path(&self, id: AttachmentId) -> PathBuf {
        let name = id.0.simple().to_string();
        self.root.join(&name[30..32]).join(&name)
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await?
}

impl FileStore for DirFileStore {
    async fn put(&self, id: AttachmentId, mut body: Box<dyn Read + Send>) -> anyhow::Result<()> {
        let (this, path) = (self.clone(), self.path(id));
        blocking(move || {
            let tmp = this.root.join("tmp").join(format!("{}.part", uuid::Uuid::now_v7().simple()));
            let written = (|| {
                let file = fs::File::create(&tmp)?;
                let mut out = BufWriter::with_capacity(1 << 16, file);
                this.crypto.seal_file(&mut body, &mut out)?;
                out.flush()?;
                out.get_ref().sync_all()?;
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir)?;
                }
                fs::rename(&tmp, &path)
            })();
            if written.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            Ok(written?)
        })
        .await
    }

    async fn get(&self, id: AttachmentId) -> anyhow::Result<Vec<u8>> {
        let (crypto, path) = (self.crypto.clone(), self.path(id));
        blocking(move || {
            let mut file = BufReader::with_capacity(1 << 16, fs::File::open(&path)?);
            Ok(crypto.open_file(&mut file)?)
        })
        .await
    }

    async fn delete(&self, id: AttachmentId) -> anyhow::Result<()> {
        let path = self.path(id);
        blocking(move || match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(file = %path.display(), error = %e, "a file could not be removed");
                Err(e.into())
            }
            _ => Ok(()),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_kept_sealed_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sgh-files-{}", uuid::Uuid::now_v7()));
        let store = DirFileStore::open(&dir, FieldCrypto::new("k1", &[1; 32], None, &[9; 32])).unwrap();
        let id = AttachmentId::new();
        let plain = b"%PDF-1.7 a diagnosis".repeat(5000);
        store.put(id, Box::new(std::io::Cursor::new(plain.clone()))).await.unwrap();
        let on_disk = fs::read(store.path(id)).unwrap();
        assert!(!on_disk.windows(9).any(|w| w == b"diagnosis"), "sealed at rest");
        assert_eq!(store.get(id).await.unwrap(), plain);
        store.delete(id).await.unwrap();
        store.delete(id).await.unwrap();
        assert!(store.get(id).await.is_err());
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }
}
