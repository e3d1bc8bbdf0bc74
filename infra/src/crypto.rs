//! Field encryption for personal data at rest (AES-256-GCM, random nonce, key id) and HMAC-SHA256
//! blind indexes for finding and de-duplicating encrypted values.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

/// Derives an independent 32-byte key for one purpose from the configured master key, so the
/// cipher key and the index key are never the same bytes.
pub(crate) fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

#[derive(Clone)]
pub struct FieldCrypto {
    inner: Arc<Inner>,
}

struct Inner {
    key_id: String,
    current: Aes256Gcm,
    previous: Option<(String, Aes256Gcm)>,
    index_key: [u8; 32],
}

impl domain::mail::Unseal for FieldCrypto {
    fn unseal(&self, sealed: &str) -> Result<String, String> {
        self.open(sealed).map_err(|e| e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("encrypted field unreadable: {0}")]
pub struct CryptoError(&'static str);

impl FieldCrypto {
    /// `key_id` tags every ciphertext, so values written under a previous key stay readable after a
    /// rotation. Blind indexes derive from the index key, which does not rotate with the cipher key.
    pub fn new(key_id: &str, key: &[u8; 32], previous: Option<(&str, &[u8; 32])>, index_master: &[u8; 32]) -> Self {
        let cipher =
            |k: &[u8; 32]| Aes256Gcm::new_from_slice(&derive(k, "sgh/field-encryption/v1")).expect("32-byte key");
        Self {
            inner: Arc::new(Inner {
                key_id: key_id.to_owned(),
                current: cipher(key),
                previous: previous.map(|(id, k)| (id.to_owned(), cipher(k))),
                index_key: derive(index_master, "sgh/blind-index/v1"),
            }),
        }
    }

    /// The id of the key new values are sealed under.
    pub fn key_id(&self) -> &str {
        &self.inner.key_id
    }

    /// `<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .inner
            .current
            .encrypt(&Nonce::from(nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of a short field cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{}:{}", self.inner.key_id, STANDARD_NO_PAD.encode(bytes))
    }

    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let (kid, body) = sealed.split_once(':').ok_or(CryptoError("no key id"))?;
        let cipher = if kid == self.inner.key_id {
            &self.inner.current
        } else {
            match &self.inner.previous {
                Some((id, c)) if id == kid => c,
                _ => return Err(CryptoError("unknown key id")),
            }
        };
        let bytes = STANDARD_NO_PAD.decode(body).map_err(|_| CryptoError("not base64"))?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError("too short"));
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError("bad nonce"))?;
        let plain = cipher.decrypt(&Nonce::from(nonce), ct).map_err(|_| CryptoError("authentication failed"))?;
        String::from_utf8(plain).map_err(|_| CryptoError("not UTF-8"))
    }

    /// A deterministic keyed digest of a normalised value, namespaced by `kind` so equal strings of
    /// different kinds never collide.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.inner.index_key).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..20])
    }

    /// A partner's own pseudonym for a 16-byte id: AES-256 of the one block under a key derived
    /// from the index key and `partner`. Deterministic (the same member is the same reference at
    /// one merchant), unlinkable across merchants (each has its own key: a block cipher's output
    /// under an unknown key looks random), and reversible only here, so nothing need be stored.
    pub fn pseudonym(&self, partner: &str, id: [u8; 16]) -> [u8; 16] {
        use aws_lc_rs::cipher::{EncryptingKey, UnboundCipherKey, AES_256};
        let key = UnboundCipherKey::new(&AES_256, &self.pseudonym_key(partner)).expect("a 32-byte AES-256 key");
        let mut block = id;
        EncryptingKey::ecb(key).and_then(|k| k.encrypt(&mut block)).expect("one whole block encrypts");
        block
    }

    /// The id behind `pseudonym` at `partner` (any 16 bytes open to some id: the caller checks it
    /// names something real).
    pub fn id_of_pseudonym(&self, partner: &str, pseudonym: [u8; 16]) -> [u8; 16] {
        use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, UnboundCipherKey, AES_256};
        let key = UnboundCipherKey::new(&AES_256, &self.pseudonym_key(partner)).expect("a 32-byte AES-256 key");
        let mut block = pseudonym;
        DecryptingKey::ecb(key)
            .and_then(|k| k.decrypt(&mut block, DecryptionContext::None).map(|_| ()))
            .expect("one whole block decrypts");
        block
    }

    fn pseudonym_key(&self, partner: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.inner.index_key).expect("HMAC takes any key length");
        mac.update(b"partner-pseudonym-key\0");
        mac.update(partner.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_partner_apart_across_partners_and_open_only_here() {
        let c = FieldCrypto::new("k1", &[1; 32], None, &[9; 32]);
        let id = [7u8; 16];
        let at_a = c.pseudonym("merchant-a", id);
        assert_eq!(c.pseudonym("merchant-a", id), at_a);
        assert_ne!(c.pseudonym("merchant-b", id), at_a);
        assert_ne!(at_a, id);
        assert_eq!(c.id_of_pseudonym("merchant-a", at_a), id);
        assert_ne!(c.id_of_pseudonym("merchant-b", at_a), id);
        // A rotated field key changes nothing; another index key, everything.
        assert_eq!(FieldCrypto::new("k2", &[2; 32], None, &[9; 32]).pseudonym("merchant-a", id), at_a);
        assert_ne!(FieldCrypto::new("k1", &[1; 32], None, &[8; 32]).pseudonym("merchant-a", id), at_a);
    }

    #[test]
    fn seals_with_fresh_nonces_and_opens_across_rotation() {
        let old = FieldCrypto::new("k1", &[1; 32], None, &[9; 32]);
        let a = old.seal("320502199003071234");
        let b = old.seal("320502199003071234");
        assert_ne!(a, b, "random nonce per value");
        assert!(a.starts_with("k1:") && !a.contains("3205021990"));
        assert_eq!(old.open(&a).unwrap(), "320502199003071234");

        let new = FieldCrypto::new("k2", &[2; 32], Some(("k1", &[1; 32])), &[9; 32]);
        assert_eq!(new.open(&a).unwrap(), "320502199003071234", "old values stay readable");
        assert!(new.seal("x").starts_with("k2:"));
        assert_eq!(new.blind_index("id", "x"), old.blind_index("id", "x"), "indexes survive rotation");
        assert!(FieldCrypto::new("k3", &[3; 32], None, &[9; 32]).open(&a).is_err());

        let mut tampered = a.clone();
        tampered.replace_range(10..11, if &a[10..11] == "A" { "B" } else { "A" });
        assert!(old.open(&tampered).is_err());
    }

    #[test]
    fn blind_indexes_are_keyed_and_namespaced() {
        let c = FieldCrypto::new("k1", &[1; 32], None, &[9; 32]);
        assert_eq!(c.blind_index("phone", "13800000000"), c.blind_index("phone", "13800000000"));
        assert_ne!(c.blind_index("phone", "13800000000"), c.blind_index("id", "13800000000"));
        assert_ne!(
            c.blind_index("phone", "13800000000"),
            FieldCrypto::new("k1", &[1; 32], None, &[8; 32]).blind_index("phone", "13800000000")
        );
    }
}
