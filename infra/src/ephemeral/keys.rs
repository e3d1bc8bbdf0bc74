//! What Redis sees instead of the keys and codes the domain names: HMAC-SHA256 digests under a
//! server key. A plain hash of a phone number is reversed by hashing the 10⁹ possible numbers, and
//! a plain hash of a six-digit code by hashing 10⁶ guesses; under a key nobody outside holds,
//! neither reveals anything to whoever reads Redis.
//!
//! The key derives from the field-encryption key, so it rotates with it: during a rotation (the
//! previous field key configured) codes, tickets and nonces stored under the previous key are still
//! found; rate-limit windows start again under the new one.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct StoreKeys {
    current: Digests,
    previous: Option<Digests>,
}

/// Digests under one key.
#[derive(Clone)]
pub(crate) struct Digests([u8; 32]);

impl StoreKeys {
    pub fn new(encryption_key: &[u8; 32], previous: Option<&[u8; 32]>) -> Self {
        Self { current: Digests::under(encryption_key), previous: previous.map(Digests::under) }
    }

    pub(crate) fn current(&self) -> &Digests {
        &self.current
    }

    /// The key before a rotation, while one is configured.
    pub(crate) fn previous(&self) -> Option<&Digests> {
        self.previous.as_ref()
    }
}

/// A key of its own for one process (the in-process store, which nobody else reads).
impl Default for Digests {
    fn default() -> Self {
        Self(rand::random())
    }
}

impl Digests {
    fn under(encryption_key: &[u8; 32]) -> Self {
        Self(crate::crypto::derive(encryption_key, "sgh/ephemeral-keys/v1"))
    }

    fn mac(&self, parts: &[&str]) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac.finalize().into_bytes().into()
    }

    /// The store's name for a key the domain names (which may hold a phone number).
    pub(crate) fn key(&self, key: &str) -> String {
        hex::encode(&self.mac(&["key", key])[..16])
    }

    /// What is kept of a code issued for `key`.
    pub(crate) fn code(&self, key: &str, code: &str) -> String {
        hex::encode(self.mac(&["code", key, code]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn digests_are_keyed_and_differ_by_purpose() {
        let one = StoreKeys::new(&[1; 32], None);
        let two = StoreKeys::new(&[2; 32], Some(&[1; 32]));
        let phone = "otp:13800000000";
        assert_eq!(one.current().key(phone), one.current().key(phone));
        assert_ne!(one.current().key(phone), two.current().key(phone), "another server key, another name");
        assert_eq!(
            two.previous().map(|d| d.key(phone)),
            Some(one.current().key(phone)),
            "the previous key still finds"
        );
        assert_ne!(one.current().key(phone), hex::encode(&Sha256::digest(phone.as_bytes())[..16]), "not a plain hash");
        assert_ne!(one.current().code(phone, "123456"), one.current().code(phone, "123457"));
        assert_ne!(one.current().code(phone, "123456")[..32], one.current().key(phone));
    }
}
