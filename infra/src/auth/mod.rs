//! Credentials: argon2 password hashes and signed session tokens.

mod jwt;
mod member_jwt;
mod password;

pub use jwt::JwtAdminTokens;
pub use member_jwt::JwtMemberTokens;
pub use password::Argon2Hasher;
