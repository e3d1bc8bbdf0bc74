//! The file store of production: a bucket of any S3-compatible object store, reached by path-style
//! URLs (`<endpoint>/<bucket>/<key>`) and SigV4-signed requests. Files are sealed here before they
//! leave, exactly as on disk, so the store's operators see only ciphertext; a PUT is atomic, so an
//! object under its key is always whole.

use std::io::Read;
use std::time::Duration;

use super::sigv4::{self, Credentials};
use crate::crypto::FieldCrypto;
use crate::unavailable::Unavailable;
use domain::services::files::FileStore;
use domain::services::form::MAX_FILE_BYTES;
use domain::services::model::AttachmentId;
use domain::shared::AppClock;

/// Where the bucket is and who may write to it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `http(s)://host[:port]`, no path.
    pub endpoint: reqwest::Url,
    pub bucket: String,
    /// Prepended to each key, e.g. `sgh/`; may be empty.
    pub prefix: String,
    pub credentials: Credentials,
    pub timeout: Duration,
}

impl S3Settings {
    /// A key prefix the URL keeps as signed: empty, or segments ending in `/`, none of them empty,
    /// `.` or `..` (which a URL would normalise away).
    pub fn prefix_ok(prefix: &str) -> bool {
        prefix.is_empty()
            || prefix.strip_suffix('/').is_some_and(|p| p.split('/').all(|s| !s.is_empty() && s != "." && s != ".."))
    }

    /// An endpoint as configured: an http(s) URL with a host and no path.
    pub fn endpoint(raw: &str) -> Option<reqwest::Url> {
        reqwest::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.path() == "/")
    }
}

#[derive(Clone)]
pub struct S3FileStore {
    settings: S3Settings,
    http: reqwest::Client,
    crypto: FieldCrypto,
    clock: AppClock,
}

impl S3FileStore {
    pub fn new(settings: S3Settings, crypto: FieldCrypto, clock: AppClock) -> anyhow::Result<Self> {
        anyhow::ensure!(
            matches!(settings.endpoint.scheme(), "http" | "https") && settings.endpoint.host_str().is_some(),
            "the file store's endpoint is an http(s) URL"
        );
        anyhow::ensure!(
            settings.bucket.len() >= 3
                && settings.bucket.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && settings.bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b)),
            "a bucket's name is 3 or more lower-case letters, digits, '-' and '.', starting with a letter or digit"
        );
        anyhow::ensure!(
            S3Settings::prefix_ok(&settings.prefix),
            "a key prefix ends in '/', has no empty, '.' or '..' segment and does not start with '/'"
        );
        let http =
            reqwest::Client::builder().timeout(settings.timeout).redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(Self { settings, http, crypto, clock })
    }

    /// The object's path: ids are UUIDs, so no key holds a separator or dot segment whatever was
    /// uploaded; two hex digits of fan-out keep listings short.
    fn path(&self, id: AttachmentId) -> String {
        let name = id.0.simple().to_string();
        sigv4::encode_path(&format!("/{}/{}{}/{name}", self.settings.bucket, self.settings.prefix, &name[30..32]))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        id: AttachmentId,
        body: Vec<u8>,
    ) -> anyhow::Result<reqwest::Response> {
        let path = self.path(id);
        let url = self.settings.endpoint.join(&path)?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => anyhow::bail!("the file store's endpoint has no host"),
        };
        let at = self.clock.now();
        let (date, hash) = (sigv4::amz_date(at), sigv4::payload_hash(&body));
        let auth = sigv4::authorization(
            &self.settings.credentials,
            method.as_str(),
            &path,
            &[("host", &host), ("x-amz-content-sha256", &hash), ("x-amz-date", &date)],
            at,
        );
        let sent = self
            .http
            .request(method, url)
            .header("x-amz-date", date)
            .header("x-amz-content-sha256", hash)
            .header("authorization", auth)
            .body(body)
            .send()
            .await;
        match sent {
            // Not answering, or answering that it cannot now: the store is down, not wrong.
            Err(e) => Err(anyhow::Error::new(e.without_url()).context(Unavailable("the file store"))),
            Ok(r) if r.status().is_server_error() || r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                Err(anyhow::anyhow!("the file store answered {}", r.status()).context(Unavailable("the file store")))
            }
            Ok(r) => Ok(r),
        }
    }

    /// The store's refusal, with its S3 error code for the log. A store that refuses our
    /// credentials, lacks the bucket or refuses the request is out of reach for members as much as
    /// a store that is down (a 503 to retry once operators mend it); only `NoSuchKey`, a file it
    /// does not have, is a fault of ours.
    async fn refused(r: reqwest::Response, what: &str) -> anyhow::Error {
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        let code = text.split("<Code>").nth(1).and_then(|t| t.split("</Code>").next()).unwrap_or("");
        let e = anyhow::anyhow!("the file store refused to {what}: {status} {code}");
        if code == "NoSuchKey" {
            e
        } else {
            e.context(Unavailable("the file store"))
        }
    }
}

impl FileStore for S3FileStore {
    async fn put(&self, id: AttachmentId, mut body: Box<dyn Read + Send>) -> anyhow::Result<()> {
        let crypto = self.crypto.clone();
        // Sealed whole before sending: the payload's hash is signed, and slots cap a file's size.
        let sealed = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            crypto.seal_file(&mut body, &mut out)?;
            Ok::<_, anyhow::Error>(out)
        })
        .await??;
        let r = self.send(reqwest::Method::PUT, id, sealed).await?;
        if !r.status().is_success() {
            return Err(Self::refused(r, "keep a file").await);
        }
        Ok(())
    }

    async fn get(&self, id: AttachmentId) -> anyhow::Result<Vec<u8>> {
        let r = self.send(reqwest::Method::GET, id, Vec::new()).await?;
        if !r.status().is_success() {
            return Err(Self::refused(r, "give a file back").await);
        }
        // No slot takes more than MAX_FILE_BYTES; sealing adds a header and 28 bytes a segment.
        let most = MAX_FILE_BYTES + MAX_FILE_BYTES / 1024 + 4096;
        if r.content_length().is_some_and(|n| n > most) {
            anyhow::bail!(
                "the file store answered {} bytes for {id:?}, more than any file",
                r.content_length().unwrap_or(0)
            );
        }
        let sealed = r.bytes().await.map_err(|e| anyhow::Error::new(e).context(Unavailable("the file store")))?;
        let crypto = self.crypto.clone();
        tokio::task::spawn_blocking(move || Ok(crypto.open_file(&mut sealed.as_ref())?)).await?
    }

    async fn delete(&self, id: AttachmentId) -> anyhow::Result<()> {
        let r = self.send(reqwest::Method::DELETE, id, Vec::new()).await?;
        // S3 answers 204 whether or not the object was there.
        if !r.status().is_success() && r.status() != reqwest::StatusCode::NOT_FOUND {
            let e = Self::refused(r, "forget a file").await;
            tracing::warn!(file = %id.0, error = %e, "a file could not be removed");
            return Err(e);
        }
        Ok(())
    }
}
