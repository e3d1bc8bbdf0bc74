//! Credentials: argon2 password hashes and signed session tokens.

mod jwt;
mod member_jwt;
mod password;
mod verified;

pub use jwt::JwtAdminTokens;
pub use member_jwt::JwtMemberTokens;
pub use password::Argon2Hasher;

/// Seconds a token is still taken after its `exp`, for clocks of other hosts that run a little
/// behind ours.
const LEEWAY_SECS: i64 = 5;

fn unexpired(exp: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    now.timestamp() < exp + LEEWAY_SECS
}
