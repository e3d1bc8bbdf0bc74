//! The staff context's settings (`SGH_ADMIN_*`).

use crate::config::{invalid, secret, span, ConfigError, Profile, Vars, DAY, DEV_ADMIN_JWT_SECRET};

#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub jwt_secret: String,
    pub token_ttl: chrono::Duration,
}

impl AdminConfig {
    pub(crate) fn read(v: &Vars, profile: Profile) -> Result<Self, ConfigError> {
        let jwt_secret = secret(v, profile, "SGH_ADMIN_JWT_SECRET", DEV_ADMIN_JWT_SECRET, "signs staff sessions")?;
        if jwt_secret.len() < 32 {
            return Err(invalid("SGH_ADMIN_JWT_SECRET", "must be at least 32 bytes"));
        }
        Ok(Self { jwt_secret, token_ttl: span(v.secs("SGH_ADMIN_TOKEN_TTL_SECS", 900, 1..=DAY)?) })
    }
}
