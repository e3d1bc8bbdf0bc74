//! Where attached files are kept: a directory on the embedded default, an S3-compatible store in
//! production. Files arrive whole (spooled by the edge), are sealed by the store, and are read
//! back only through a case their reader may see.

use std::future::Future;
use std::io::Read;

use super::form::FileType;
use super::model::AttachmentId;

/// A file as it arrived, checked by the edge: its type sniffed from its bytes, its size and digest
/// counted, its name cleaned. `body` reads it from its start.
pub struct Upload {
    pub slot: String,
    pub file_name: String,
    pub file_type: FileType,
    pub bytes: u64,
    pub sha256: String,
    pub body: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload").field("slot", &self.slot).field("file_name", &self.file_name).finish_non_exhaustive()
    }
}

pub trait FileStore: Send + Sync + 'static {
    /// Keeps `body` under `id`, sealed; done once it is durable.
    fn put(&self, id: AttachmentId, body: Box<dyn Read + Send>) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// The plain bytes kept under `id`.
    fn get(&self, id: AttachmentId) -> impl Future<Output = anyhow::Result<Vec<u8>>> + Send;
    /// Forgets `id`; forgetting what is not there is not an error.
    fn delete(&self, id: AttachmentId) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A file name a member's device sent, as shown back: the last path segment, control and path
/// characters dropped, at most 100 characters; `file` if nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .take(100)
        .collect();
    let kept = kept.trim().trim_start_matches('.').to_owned();
    if kept.is_empty() {
        "file".to_owned()
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_lose_their_paths_and_tricks() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\诊断书.pdf"), "诊断书.pdf");
        assert_eq!(clean_name("..\u{0}"), "file");
        assert_eq!(clean_name(".hidden"), "hidden");
        assert_eq!(clean_name("a\u{7}b|c.png"), "abc.png");
        assert_eq!(clean_name(""), "file");
    }
}
