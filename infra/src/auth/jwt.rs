use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use domain::admin::{AdminClaims, AdminId, AdminTokens, AdminUser};

/// Staff tokens have their own audience, so a member token can never pass as one even if the keys
/// were ever shared by mistake.
pub const ADMIN_AUDIENCE: &str = "sgh-admin";
const ISSUER: &str = "sgh";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    aud: String,
    iss: String,
    iat: i64,
    /// `iat` to the millisecond: a password or role change ends the sessions begun before it, also
    /// earlier in the same second. Tokens from before this claim existed carry `iat` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat_ms: Option<i64>,
    exp: i64,
}

/// HS256 tokens for staff sessions.
pub struct JwtAdminTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtAdminTokens {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[ADMIN_AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Expiry is checked against the clock port, not the library's reading of the system time.
        validation.validate_exp = false;
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation, ttl }
    }
}

impl AdminTokens for JwtAdminTokens {
    fn issue(&self, admin: &AdminUser, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + self.ttl;
        let claims = Claims {
            sub: admin.id.to_string(),
            role: admin.role.as_str().to_owned(),
            aud: ADMIN_AUDIENCE.to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            iat_ms: Some(now.timestamp_millis()),
            exp: expires.timestamp(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<AdminClaims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation).ok()?.claims;
        if !super::unexpired(claims.exp, now) {
            return None;
        }
        Some(AdminClaims {
            admin_id: AdminId(claims.sub.parse().ok()?),
            role: claims.role.parse().ok()?,
            issued_at: match claims.iat_ms {
                Some(ms) => Utc.timestamp_millis_opt(ms).single()?,
                None => Utc.timestamp_opt(claims.iat, 0).single()?,
            },
            expires_at: Utc.timestamp_opt(claims.exp, 0).single()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::admin::{Role, Username};

    fn admin() -> AdminUser {
        let now = at();
        AdminUser {
            id: AdminId::new(),
            username: Username::parse("ops").unwrap(),
            display_name: "Ops".into(),
            email: None,
            role: Role::Operator,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            password_hash: String::new(),
            created_at: now,
            updated_at: now,
            sessions_since: None,
            scope: domain::unions::Scope {
                code: domain::unions::UnionCode::parse("ROOT").unwrap(),
                path: domain::unions::NodePath::root(&domain::unions::UnionCode::parse("ROOT").unwrap()),
            },
        }
    }

    #[test]
    fn round_trips_and_rejects_other_keys_and_expired_tokens() {
        let tokens = JwtAdminTokens::new(b"k1-0123456789abcdef0123456789abcdef", Duration::minutes(15));
        let a = admin();
        let (token, _) = tokens.issue(&a, at()).unwrap();
        let claims = tokens.verify(&token, at() + Duration::minutes(14)).unwrap();
        assert_eq!((claims.admin_id, claims.role), (a.id, Role::Operator));
        assert!(tokens.verify(&token, at() + Duration::minutes(15) + Duration::seconds(6)).is_none());

        let other = JwtAdminTokens::new(b"k2-0123456789abcdef0123456789abcdef", Duration::minutes(15));
        assert!(other.verify(&token, at()).is_none());

        let (old, _) = tokens.issue(&a, at() - Duration::hours(1)).unwrap();
        assert!(tokens.verify(&old, at()).is_none());
        assert!(tokens.verify("not.a.token", at()).is_none());
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap()
    }
}
