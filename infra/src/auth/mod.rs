//! Credentials: argon2 password hashes and signed session tokens.

mod jwt;
mod password;

pub use jwt::JwtAdminTokens;
pub use password::Argon2Hasher;
