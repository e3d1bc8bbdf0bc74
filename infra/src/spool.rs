//! An upload kept on disk while it arrives: an import starts only once the whole file is in, so a
//! broken upload imports nothing, and memory stays flat however large the file.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom, Write};

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the upload is over {0} bytes")]
    TooLarge(u64),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub struct Spool {
    file: File,
    len: u64,
    cap: u64,
}

impl Spool {
    /// A file in the temporary directory (`TMPDIR`), unlinked at once: nothing is left behind
    /// however the process ends.
    pub fn new(cap: u64) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("sgh-upload-{}", uuid::Uuid::now_v7()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(Self { file, len: 0, cap })
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), SpoolError> {
        self.len += chunk.len() as u64;
        if self.len > self.cap {
            return Err(SpoolError::TooLarge(self.cap));
        }
        self.file.write_all(chunk)?;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The upload from its start.
    pub fn into_reader(mut self) -> std::io::Result<BufReader<File>> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(BufReader::with_capacity(1 << 16, self.file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn reads_back_what_was_written_and_refuses_past_its_cap() {
        let mut spool = Spool::new(10).unwrap();
        spool.write(b"hello ").unwrap();
        spool.write(b"you").unwrap();
        assert_eq!(spool.len(), 9);
        let mut text = String::new();
        spool.into_reader().unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello you");

        let mut spool = Spool::new(4).unwrap();
        assert!(matches!(spool.write(b"12345"), Err(SpoolError::TooLarge(4))));
    }
}
