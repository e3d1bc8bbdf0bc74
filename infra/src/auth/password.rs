use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::LazyLock;

use domain::admin::{Password, PasswordHasher};

/// A real hash of a password nobody knows, verified against when the username does not exist so
/// that both cases take the same time.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(uuid::Uuid::new_v4().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
});

/// Argon2id with the crate's defaults (19 MiB, 2 passes), run off the async threads.
#[derive(Clone, Copy, Default)]
pub struct Argon2Hasher;

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let plain = password.expose().to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(plain.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
        })
        .await?
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let plain = password.to_owned();
        let known = hash.is_some();
        let hash = hash.map(str::to_owned).unwrap_or_else(|| DECOY.clone());
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
            let matches = Argon2::default().verify_password(plain.as_bytes(), &parsed).is_ok();
            Ok(known && matches)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hasher = Argon2Hasher;
        let pw = Password::parse("雨巷里的丁香花 2026".into()).unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify(pw.expose(), Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong password!", Some(&hash)).await.unwrap());
        assert!(!hasher.verify(pw.expose(), None).await.unwrap());
    }
}
