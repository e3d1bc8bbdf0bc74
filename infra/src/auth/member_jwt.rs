use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use domain::members::ports::{MemberSession, MemberTokens};
use domain::members::MemberId;

use super::verified::Verified;

pub const MEMBER_AUDIENCE: &str = "sgh-member";
const ISSUER: &str = "sgh";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    aud: String,
    iss: String,
    iat: i64,
    exp: i64,
}

struct Key {
    kid: String,
    decoding: DecodingKey,
}

/// HS256 member access tokens carrying a `kid`: tokens signed with the previous key stay valid
/// through a rotation, until they expire.
pub struct JwtMemberTokens {
    kid: String,
    encoding: EncodingKey,
    keys: Vec<Key>,
    validation: Validation,
    ttl: Duration,
    /// Each token's member, issue and expiry once it verified.
    verified: Verified<(MemberSession, i64)>,
}

impl JwtMemberTokens {
    /// `current` and `previous` are `(kid, secret)`.
    pub fn new(current: (&str, &[u8]), previous: Option<(&str, &[u8])>, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[MEMBER_AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Expiry is checked against the clock port, not the library's reading of the system time.
        validation.validate_exp = false;
        let keys = std::iter::once(current)
            .chain(previous)
            .map(|(kid, secret)| Key { kid: kid.to_owned(), decoding: DecodingKey::from_secret(secret) })
            .collect();
        Self {
            kid: current.0.to_owned(),
            encoding: EncodingKey::from_secret(current.1),
            keys,
            validation,
            ttl,
            verified: Verified::default(),
        }
    }

    /// The session a token speaks for and when it expires, if one of our keys signed it for us.
    fn check(&self, token: &str) -> Option<(MemberSession, i64)> {
        // Nearly every token is signed with the current key: it is tried first, and the header is
        // read on its own to pick the previous key only when that fails (during a rotation).
        let (current, others) = self.keys.split_first()?;
        let (key, data) = match decode::<Claims>(token, &current.decoding, &self.validation) {
            Ok(data) => (current, data),
            Err(_) if others.is_empty() => return None,
            Err(_) => {
                let kid = decode_header(token).ok()?.kid?;
                let key = others.iter().find(|k| k.kid == kid)?;
                (key, decode::<Claims>(token, &key.decoding, &self.validation).ok()?)
            }
        };
        if data.header.kid.as_deref() != Some(key.kid.as_str()) {
            return None;
        }
        let issued_at = chrono::TimeZone::timestamp_opt(&Utc, data.claims.iat, 0).single()?;
        Some((MemberSession { member: MemberId(data.claims.sub.parse().ok()?), issued_at }, data.claims.exp))
    }
}

impl MemberTokens for JwtMemberTokens {
    fn issue(&self, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + self.ttl;
        let claims = Claims {
            sub: member.to_string(),
            aud: MEMBER_AUDIENCE.to_owned(),
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        Ok((encode(&header, &claims, &self.encoding)?, expires))
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<MemberSession> {
        let (session, exp) = match self.verified.get(token) {
            Some(said) => said,
            None => {
                let said = self.check(token)?;
                self.verified.put(token, said);
                said
            }
        };
        super::unexpired(exp, now).then_some(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_key_tokens_survive_a_rotation_and_unknown_kids_do_not() {
        let id = MemberId::new();
        let old = JwtMemberTokens::new(("k1", b"old-secret-old-secret-old-secret!!"), None, Duration::minutes(15));
        let (token, _) = old.issue(id, at()).unwrap();
        let rotated = JwtMemberTokens::new(
            ("k2", b"new-secret-new-secret-new-secret!!"),
            Some(("k1", b"old-secret-old-secret-old-secret!!")),
            Duration::minutes(15),
        );
        assert_eq!(rotated.verify(&token, at()), Some(MemberSession { member: id, issued_at: at() }));
        let (fresh, _) = rotated.issue(id, at()).unwrap();
        assert_eq!(rotated.verify(&fresh, at()), Some(MemberSession { member: id, issued_at: at() }));
        assert_eq!(old.verify(&fresh, at()), None, "k2 unknown to the old server");
        let dropped = JwtMemberTokens::new(("k3", b"another-secret-another-secret-xx"), None, Duration::minutes(15));
        assert_eq!(dropped.verify(&token, at()), None);
    }

    #[test]
    fn a_token_must_name_the_key_that_signed_it() {
        let secret = b"one-secret-one-secret-one-secret!!";
        let (mislabelled, _) =
            JwtMemberTokens::new(("k9", secret), None, Duration::minutes(15)).issue(MemberId::new(), at()).unwrap();
        let server = JwtMemberTokens::new(("k1", secret), None, Duration::minutes(15));
        assert_eq!(server.verify(&mislabelled, at()), None);
        let expired = server.issue(MemberId::new(), at() - Duration::hours(1)).unwrap().0;
        assert_eq!(server.verify(&expired, at()), None);
        let (fresh, _) = server.issue(MemberId::new(), at()).unwrap();
        assert!(server.verify(&fresh, at() + Duration::minutes(15)).is_some(), "a few seconds' leeway");
        assert_eq!(server.verify(&fresh, at() + Duration::minutes(15) + Duration::seconds(6)), None);
    }

    #[test]
    fn a_remembered_token_still_expires_and_its_altered_bytes_are_not_remembered() {
        let server = JwtMemberTokens::new(("k1", b"one-secret-one-secret-one-secret!!"), None, Duration::minutes(15));
        let id = MemberId::new();
        let (token, _) = server.issue(id, at()).unwrap();
        assert_eq!(server.verify(&token, at()), Some(MemberSession { member: id, issued_at: at() }));
        let (head, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{head}.{flipped}{}", &signature[1..]);
        assert_eq!(server.verify(&forged, at()), None);
        assert_eq!(server.verify(&format!("{token}A"), at()), None);
        assert_eq!(server.verify(&token, at() + Duration::minutes(16)), None, "expired, though verified before");
        let other = JwtMemberTokens::new(("k1", b"two-secret-two-secret-two-secret!!"), None, Duration::minutes(15));
        assert_eq!(other.verify(&token, at()), None, "each key set remembers its own tokens");
    }

    fn at() -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap()
    }
}
