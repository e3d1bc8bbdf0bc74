//! AWS Signature Version 4 for S3 requests with the `Authorization` header: what every
//! S3-compatible store (MinIO, Ceph, the clouds' object stores) verifies. Only what the file
//! store sends is covered: path-style URLs, no query string, the payload's SHA-256 signed.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Who signs, and for which region.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).field("region", &self.region).finish()
    }
}

/// The hex SHA-256 of a payload, as `x-amz-content-sha256` carries it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `x-amz-date`'s form.
pub fn amz_date(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Each path segment percent-encoded as S3 expects (unreserved characters kept, `/` between).
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The `Authorization` header's value for `method` on `path` (already encoded) with `headers`
/// (lower-case names; `host`, `x-amz-date` and `x-amz-content-sha256` among them) at `at`.
pub fn authorization(
    credentials: &Credentials,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    at: DateTime<Utc>,
) -> String {
    let mut sorted: Vec<(String, String)> =
        headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned())).collect();
    sorted.sort();
    let canonical_headers: String = sorted.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: String = sorted.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let payload = sorted.iter().find(|(k, _)| k == "x-amz-content-sha256").map(|(_, v)| v.as_str()).unwrap_or("");
    let canonical = format!("{method}\n{path}\n\n{canonical_headers}\n{signed}\n{payload}");
    let day = at.format("%Y%m%d").to_string();
    let scope = format!("{day}/{}/s3/aws4_request", credentials.region);
    let to_sign =
        format!("AWS4-HMAC-SHA256\n{}\n{scope}\n{}", amz_date(at), hex::encode(Sha256::digest(canonical.as_bytes())));
    let key = ["s3", "aws4_request"].iter().fold(
        hmac(&hmac(format!("AWS4{}", credentials.secret_key).as_bytes(), &day), &credentials.region),
        |key, part| hmac(&key, part),
    );
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed},Signature={}",
        credentials.access_key,
        hex::encode(hmac(&key, &to_sign))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The example of a signed GET in the S3 API reference ("Signature Calculations for the
    /// Authorization Header"), with its published signature.
    #[test]
    fn the_published_get_object_example_signs_as_published() {
        let credentials = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
        };
        let at = Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap();
        let empty = payload_hash(b"");
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let header = authorization(
            &credentials,
            "GET",
            "/test.txt",
            &[
                ("host", "examplebucket.s3.amazonaws.com"),
                ("range", "bytes=0-9"),
                ("x-amz-content-sha256", &empty),
                ("x-amz-date", &amz_date(at)),
            ],
            at,
        );
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn paths_are_encoded_segment_by_segment() {
        assert_eq!(encode_path("/bucket/a b/c$d.txt"), "/bucket/a%20b/c%24d.txt");
        assert_eq!(encode_path("/b/0a/0193a2c47f1e"), "/b/0a/0193a2c47f1e");
    }
}
