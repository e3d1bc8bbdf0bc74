//! RSA signatures of the partner API, as WeChat Pay API v3 makes them (`WECHATPAY2-SHA256-RSA2048`:
//! SHA256withRSA, PKCS #1 v1.5, base64): our platform key signs every answer, merchants' public
//! keys check their requests. aws-lc does the arithmetic, in constant time for the private key.

use anyhow::Context;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKey, RsaParameters};
use aws_lc_rs::signature::{
    Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// The private key our answers are signed with, and how SDKs name its public half.
pub struct PlatformKey {
    id: String,
    pair: RsaKeyPair,
    public_pem: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKey").field("id", &self.id).finish_non_exhaustive()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside a PEM block (or bare base64, as some consoles hand keys out).
fn pem_body(text: &str) -> Option<Vec<u8>> {
    let b64: String = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
    STANDARD.decode(b64).ok().filter(|der| !der.is_empty())
}

impl PlatformKey {
    pub fn from_pkcs8_pem(text: &str) -> anyhow::Result<Self> {
        let der = pem_body(text).context("the platform key is not PEM")?;
        let pair = RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| anyhow::anyhow!("the platform key is not an RSA PKCS #8 key: {e}"))?;
        anyhow::ensure!(pair.public_modulus_len() >= 256, "the platform key must have at least 2048 bits");
        let spki = AsDer::<PublicKeyX509Der>::as_der(pair.public_key())
            .map_err(|_| anyhow::anyhow!("the platform key's public half cannot be encoded"))?;
        let spki = spki.as_ref();
        let digest = Sha256::digest(spki);
        let n = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes")) % 10u128.pow(26);
        Ok(Self {
            id: format!("PUB_KEY_ID_01{n:026}"),
            pair,
            public_pem: pem("PUBLIC KEY", spki),
            rng: SystemRandom::new(),
        })
    }

    /// A new RSA-2048 key, as PKCS #8 PEM.
    pub fn generate_pem() -> anyhow::Result<String> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
        let der = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?;
        Ok(pem("PRIVATE KEY", der.as_ref()))
    }

    /// The key at `path`, generated there (readable by the owner only) on first start.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let text = read_or_create(path, Self::generate_pem)?;
        Self::from_pkcs8_pem(&text).with_context(|| format!("loading {}", path.display()))
    }

    /// `PUB_KEY_ID_…`, derived from the public key: stable for as long as the key is.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// The base64 SHA256withRSA signature of `message`.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .expect("signing with a valid RSA key into a buffer of its modulus length cannot fail");
        STANDARD.encode(signature)
    }
}

/// The PEM at `path`, written there first by `generate` if there is no file yet (readable by the
/// owner only; of two processes starting at once, the second uses the first one's key).
fn read_or_create(path: &Path, generate: fn() -> anyhow::Result<String>) -> anyhow::Result<String> {
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The key webhook events are signed with: Ed25519, as Standard Webhooks' asymmetric `v1a`
/// signatures are made, so receivers verify with a public key and we hold no shared secret.
pub struct WebhookKey {
    pair: Ed25519KeyPair,
    public: String,
}

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl WebhookKey {
    pub fn from_pkcs8_pem(text: &str) -> anyhow::Result<Self> {
        let der = pem_body(text).context("the webhook key is not PEM")?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| anyhow::anyhow!("the webhook key is not an Ed25519 PKCS #8 key: {e}"))?;
        let public = format!("whpk_{}", STANDARD.encode(pair.public_key().as_ref()));
        Ok(Self { pair, public })
    }

    pub fn generate_pem() -> anyhow::Result<String> {
        let pair = Ed25519KeyPair::generate().map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?;
        let der = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| anyhow::anyhow!("Ed25519 key encoding failed"))?;
        Ok(pem("PRIVATE KEY", der.as_ref()))
    }

    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let text = read_or_create(path, Self::generate_pem)?;
        Self::from_pkcs8_pem(&text).with_context(|| format!("loading {}", path.display()))
    }

    /// `whpk_<base64 of the raw 32-byte key>`, as Standard Webhooks libraries take it.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The `webhook-signature` value for an event: `v1a,` and the signature of
    /// `{id}.{timestamp}.{body}`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &str) -> String {
        let signed = self.pair.sign(format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1a,{}", STANDARD.encode(signed.as_ref()))
    }
}

/// Whether a `webhook-signature` header (space-separated `version,signature` pairs) holds a
/// `v1a` signature of `public_key`'s (`whpk_…`) over the event: what a receiver checks.
pub fn verify_webhook(public_key: &str, id: &str, timestamp: i64, body: &str, header: &str) -> bool {
    let Some(Ok(key)) = public_key.strip_prefix("whpk_").map(|k| STANDARD.decode(k)) else { return false };
    let message = format!("{id}.{timestamp}.{body}");
    header.split(' ').filter_map(|s| s.strip_prefix("v1a,")).filter_map(|s| STANDARD.decode(s).ok()).any(|sig| {
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &key)
            .verify(message.as_bytes(), &sig)
            .is_ok()
    })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("not a PEM public key")]
    NotPem,
    #[error("not an RSA public key")]
    NotRsa,
    #[error("the key has {0} bits; 2048 to 8192 are accepted")]
    Size(usize),
}

/// A merchant's RSA public key from PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), as SubjectPublicKeyInfo
/// DER, refused unless it has 2048 to 8192 bits.
pub fn public_key_der_from_pem(text: &str) -> Result<Vec<u8>, PublicKeyError> {
    let der = pem_body(text).ok_or(PublicKeyError::NotPem)?;
    let key = PublicKey::from_der(&der).map_err(|_| PublicKeyError::NotRsa)?;
    let bits = RsaParameters::public_modulus_len(key.as_ref()).map_err(|_| PublicKeyError::NotRsa)? as usize;
    if !(2048..=8192).contains(&bits) {
        return Err(PublicKeyError::Size(bits));
    }
    let spki = AsDer::<PublicKeyX509Der>::as_der(&key).map_err(|_| PublicKeyError::NotRsa)?;
    Ok(spki.as_ref().to_vec())
}

/// A merchant key, parsed once and kept for checking many requests.
#[derive(Debug)]
pub struct VerifyingKey(ParsedPublicKey);

impl VerifyingKey {
    pub fn from_der(der: &[u8]) -> anyhow::Result<Self> {
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            .map(Self)
            .map_err(|e| anyhow::anyhow!("stored partner key unreadable: {e}"))
    }

    /// Whether `signature_b64` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        match STANDARD.decode(signature_b64.trim()) {
            Ok(signature) => self.0.verify_sig(message, &signature).is_ok(),
            Err(_) => false,
        }
    }
}

/// Signs `message` with a PKCS #8 PEM key as a merchant's SDK would: for tests and load tools.
pub fn sign_with_pem(private_pem: &str, message: &[u8]) -> anyhow::Result<String> {
    Ok(PlatformKey::from_pkcs8_pem(private_pem)?.sign(message))
}

/// The PEM public half of a PKCS #8 PEM private key.
pub fn public_pem_of(private_pem: &str) -> anyhow::Result<String> {
    Ok(PlatformKey::from_pkcs8_pem(private_pem)?.public_pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_names_the_key_stably() {
        let private = PlatformKey::generate_pem().unwrap();
        let key = PlatformKey::from_pkcs8_pem(&private).unwrap();
        assert_eq!(key.id(), PlatformKey::from_pkcs8_pem(&private).unwrap().id());
        assert!(key.id().starts_with("PUB_KEY_ID_01") && key.id().len() == 39, "{}", key.id());
        let der = public_key_der_from_pem(key.public_key_pem()).unwrap();
        let verifying = VerifyingKey::from_der(&der).unwrap();
        let signature = key.sign(b"1700000000\nnonce\n{}\n");
        assert!(verifying.verify(b"1700000000\nnonce\n{}\n", &signature));
        assert!(!verifying.verify(b"1700000000\nnonce\n{ }\n", &signature));
        assert!(!verifying.verify(b"1700000000\nnonce\n{}\n", "not base64!"));

        let other = PlatformKey::from_pkcs8_pem(&PlatformKey::generate_pem().unwrap()).unwrap();
        assert!(!verifying.verify(b"1700000000\nnonce\n{}\n", &other.sign(b"1700000000\nnonce\n{}\n")));
        assert_ne!(other.id(), key.id());
    }

    #[test]
    fn refuses_what_is_not_an_rsa_public_key() {
        assert_eq!(public_key_der_from_pem("hello"), Err(PublicKeyError::NotPem));
        assert_eq!(
            public_key_der_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(PublicKeyError::NotRsa)
        );
    }

    #[test]
    fn webhook_signatures_verify_with_the_public_key_only() {
        let key = WebhookKey::from_pkcs8_pem(&WebhookKey::generate_pem().unwrap()).unwrap();
        assert!(key.public_key().starts_with("whpk_"));
        let signature = key.signature("msg_1", 1_700_000_000, "{\"type\":\"sale.recorded\"}");
        assert!(signature.starts_with("v1a,"));
        assert!(verify_webhook(key.public_key(), "msg_1", 1_700_000_000, "{\"type\":\"sale.recorded\"}", &signature));
        assert!(!verify_webhook(key.public_key(), "msg_2", 1_700_000_000, "{\"type\":\"sale.recorded\"}", &signature));
        assert!(!verify_webhook(key.public_key(), "msg_1", 1_700_000_001, "{\"type\":\"sale.recorded\"}", &signature));
        let other = WebhookKey::from_pkcs8_pem(&WebhookKey::generate_pem().unwrap()).unwrap();
        assert!(!verify_webhook(
            other.public_key(),
            "msg_1",
            1_700_000_000,
            "{\"type\":\"sale.recorded\"}",
            &signature
        ));
    }

    #[test]
    fn creates_the_key_file_once() {
        let dir = std::env::temp_dir().join(format!("sgh-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("platform-key.pem");
        let first = PlatformKey::load_or_create(&path).unwrap();
        let again = PlatformKey::load_or_create(&path).unwrap();
        assert_eq!(first.id(), again.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
