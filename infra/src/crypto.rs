//! Field encryption for personal data at rest (AES-256-GCM, random nonce, key id) and HMAC-SHA256
//! blind indexes for finding and de-duplicating encrypted values.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::io::{Read, Write};
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
    /// Files (a case's attachments) are sealed under keys of their own, rotated with these.
    files: Aes256Gcm,
    previous_files: Option<Aes256Gcm>,
}

impl domain::mail::Unseal for FieldCrypto {
    fn unseal(&self, sealed: &str) -> Result<String, String> {
        self.open(sealed).map_err(|e| e.to_string())
    }
}

/// A sealed file's segment: 64 KiB of plain bytes.
pub const FILE_SEGMENT: usize = 64 * 1024;
const FILE_MAGIC: &[u8; 5] = b"SGHF1";

fn file_nonce(prefix: &[u8; 8], n: u32) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(&n.to_be_bytes());
    Nonce::from(nonce)
}

/// Reads until `buf` is full or the input ends: how many bytes it holds.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[derive(Debug, thiserror::Error)]
#[error("encrypted field unreadable: {0}")]
pub struct CryptoError(&'static str);

impl FieldCrypto {
    /// `key_id` tags every ciphertext, so values written under a previous key stay readable after a
    /// rotation. Blind indexes derive from the index key, which does not rotate with the cipher key.
    pub fn new(key_id: &str, key: &[u8; 32], previous: Option<(&str, &[u8; 32])>, index_master: &[u8; 32]) -> Self {
        let cipher = |k: &[u8; 32], purpose: &str| Aes256Gcm::new_from_slice(&derive(k, purpose)).expect("32-byte key");
        const FIELDS: &str = "sgh/field-encryption/v1";
        const FILES: &str = "sgh/file-encryption/v1";
        Self {
            inner: Arc::new(Inner {
                key_id: key_id.to_owned(),
                current: cipher(key, FIELDS),
                previous: previous.map(|(id, k)| (id.to_owned(), cipher(k, FIELDS))),
                index_key: derive(index_master, "sgh/blind-index/v1"),
                files: cipher(key, FILES),
                previous_files: previous.map(|(_, k)| cipher(k, FILES)),
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

    /// Seals `plain` into `out` in segments of [`FILE_SEGMENT`] bytes, so a file of any size costs
    /// one segment of memory: `SGHF1`, the key id's length and the key id, an 8-byte random
    /// prefix, then each segment as its sealed length (u32, big-endian) and the sealed bytes. Each
    /// segment's nonce is the prefix and its number; the last one is sealed as last, so a file cut
    /// short or with segments reordered does not open.
    pub fn seal_file(&self, plain: &mut dyn Read, out: &mut dyn Write) -> std::io::Result<u64> {
        let mut prefix = [0u8; 8];
        rand::rng().fill_bytes(&mut prefix);
        let kid = self.inner.key_id.as_bytes();
        out.write_all(FILE_MAGIC)?;
        out.write_all(&[u8::try_from(kid.len()).map_err(|_| std::io::Error::other("key id too long"))?])?;
        out.write_all(kid)?;
        out.write_all(&prefix)?;
        let mut buf = vec![0u8; FILE_SEGMENT];
        let mut next = read_full(plain, &mut buf)?;
        let (mut n, mut total) = (0u32, 0u64);
        loop {
            let this = next;
            // One segment ahead, to know which is the last.
            let mut ahead = vec![0u8; FILE_SEGMENT];
            next = if this == FILE_SEGMENT { read_full(plain, &mut ahead)? } else { 0 };
            let last = next == 0;
            let sealed = self
                .inner
                .files
                .encrypt(&file_nonce(&prefix, n), Payload { msg: &buf[..this], aad: &[u8::from(last)] })
                .map_err(|_| std::io::Error::other("sealing failed"))?;
            out.write_all(&u32::try_from(sealed.len()).unwrap_or(u32::MAX).to_be_bytes())?;
            out.write_all(&sealed)?;
            total += this as u64;
            if last {
                return Ok(total);
            }
            buf = ahead;
            n = n.checked_add(1).ok_or_else(|| std::io::Error::other("file too large"))?;
        }
    }

    /// The plain bytes of a file sealed by [`FieldCrypto::seal_file`].
    pub fn open_file(&self, sealed: &mut dyn Read) -> Result<Vec<u8>, CryptoError> {
        let io = |_| CryptoError("file unreadable");
        let mut magic = [0u8; 5];
        sealed.read_exact(&mut magic).map_err(io)?;
        if &magic != FILE_MAGIC {
            return Err(CryptoError("not a sealed file"));
        }
        let mut len = [0u8; 1];
        sealed.read_exact(&mut len).map_err(io)?;
        let mut kid = vec![0u8; usize::from(len[0])];
        sealed.read_exact(&mut kid).map_err(io)?;
        let cipher = if kid == self.inner.key_id.as_bytes() {
            &self.inner.files
        } else {
            match (&self.inner.previous, &self.inner.previous_files) {
                (Some((id, _)), Some(c)) if id.as_bytes() == kid.as_slice() => c,
                _ => return Err(CryptoError("unknown key id")),
            }
        };
        let mut prefix = [0u8; 8];
        sealed.read_exact(&mut prefix).map_err(io)?;
        let mut plain = Vec::new();
        let mut n = 0u32;
        let mut len = [0u8; 4];
        if read_full(sealed, &mut len).map_err(io)? != 4 {
            return Err(CryptoError("file cut short"));
        }
        loop {
            let size = u32::from_be_bytes(len) as usize;
            if size > FILE_SEGMENT + 16 {
                return Err(CryptoError("segment too long"));
            }
            let mut seg = vec![0u8; size];
            sealed.read_exact(&mut seg).map_err(|_| CryptoError("file cut short"))?;
            // What follows says whether this was the last segment.
            let last = match read_full(sealed, &mut len).map_err(io)? {
                0 => true,
                4 => false,
                _ => return Err(CryptoError("file cut short")),
            };
            let p = cipher
                .decrypt(&file_nonce(&prefix, n), Payload { msg: &seg, aad: &[u8::from(last)] })
                .map_err(|_| CryptoError("authentication failed"))?;
            plain.extend_from_slice(&p);
            if last {
                return Ok(plain);
            }
            n = n.checked_add(1).ok_or(CryptoError("too many segments"))?;
        }
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
    fn files_seal_in_segments_and_open_only_whole() {
        let old = FieldCrypto::new("k1", &[1; 32], None, &[9; 32]);
        for size in [0, 1, FILE_SEGMENT - 1, FILE_SEGMENT, FILE_SEGMENT * 2 + 17] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut sealed = Vec::new();
            assert_eq!(old.seal_file(&mut plain.as_slice(), &mut sealed).unwrap(), size as u64);
            assert_eq!(old.open_file(&mut sealed.as_slice()).unwrap(), plain, "{size}");
            // After a rotation the old key still opens it; without it, nothing does.
            let new = FieldCrypto::new("k2", &[2; 32], Some(("k1", &[1; 32])), &[9; 32]);
            assert_eq!(new.open_file(&mut sealed.as_slice()).unwrap(), plain);
            assert!(FieldCrypto::new("k1", &[3; 32], None, &[9; 32]).open_file(&mut sealed.as_slice()).is_err());
            if size > FILE_SEGMENT {
                // Cut after the first segment: its "not last" seal refuses to end the file.
                let first = 5 + 1 + 2 + 8 + 4 + FILE_SEGMENT + 16;
                assert!(old.open_file(&mut &sealed[..first]).is_err());
            }
            let mut flipped = sealed.clone();
            let at = flipped.len() - 1;
            flipped[at] ^= 1;
            assert!(old.open_file(&mut flipped.as_slice()).is_err());
        }
    }

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
