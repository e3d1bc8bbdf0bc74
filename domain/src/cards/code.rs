//! The code a cardholder shows at a till: 18 digits (a barcode scanner's length, like a WeChat
//! Pay payment code), `67` + a 10-digit handle for the card that is new every Beijing day + a
//! 6-digit code for the 30-second step, derived TOTP-style (RFC 6238) from the card's secret.
//!
//! Nothing in it is personal, and the part that finds the card changes daily, so a merchant can
//! link two of a member's codes within a day but not across days. The app needs only today's and
//! tomorrow's handles and the secret to show codes offline. The HMAC itself is the adapter's
//! (infra); this module is the layout, the steps and RFC 4226's truncation.

use chrono::{DateTime, Utc};

/// Seconds per step.
pub const STEP_SECS: i64 = 30;

/// The step `at` falls in (Unix time / 30, as RFC 6238's T).
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECS)
}

/// A card's handle for one Beijing day: 10 random digits, unique among that day's handles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DayHandle(String);

impl DayHandle {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 10 && raw.bytes().all(|b| b.is_ascii_digit())).then(|| Self(raw.to_owned()))
    }

    pub fn random() -> Self {
        let digits = crate::shared::random::six_digits() + &crate::shared::random::six_digits();
        Self(digits[..10].to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The 6 digits for one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StepCode(u32);

impl StepCode {
    /// RFC 4226's dynamic truncation of an HMAC digest (at least 20 bytes), to 6 digits.
    pub fn truncate(digest: &[u8]) -> Self {
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let word = u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
        Self((word & 0x7fff_ffff) % 1_000_000)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A code as scanned at the till.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RotatingCode {
    pub handle: DayHandle,
    pub step_code: StepCode,
}

impl RotatingCode {
    pub const PREFIX: &'static str = "67";

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let rest = raw.strip_prefix(Self::PREFIX).filter(|r| r.len() == 16)?;
        let handle = DayHandle::parse(&rest[..10])?;
        let digits = &rest[10..];
        let step_code = digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok()).flatten()?;
        Some(Self { handle, step_code: StepCode(step_code) })
    }

    /// The 18 digits the barcode and QR code carry.
    pub fn digits(&self) -> String {
        format!("{}{}{:06}", Self::PREFIX, self.handle.as_str(), self.step_code.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn truncation_follows_rfc_4226() {
        // RFC 4226 § 5.4's worked example: offset 10, 0x50ef7f19 = 1357872921 → 872921.
        let digest: Vec<u8> = (0..20)
            .map(|i| u8::from_str_radix(&"1f8698690e02ca16618550ef7f19da8e945b555a"[i * 2..i * 2 + 2], 16).unwrap())
            .collect();
        assert_eq!(StepCode::truncate(&digest).get(), 872_921);
    }

    #[test]
    fn steps_are_thirty_seconds_of_unix_time() {
        let at = |s| Utc.timestamp_opt(s, 0).unwrap();
        assert_eq!(step_of(at(59)), 1, "RFC 6238's first test time");
        assert_eq!(step_of(at(60)), 2);
        assert_eq!(step_of(at(1_111_111_109)), 0x0235_23EC);
    }

    #[test]
    fn codes_are_eighteen_digits_and_round_trip() {
        let code = RotatingCode { handle: DayHandle::random(), step_code: StepCode(42) };
        let digits = code.digits();
        assert_eq!(digits.len(), 18);
        assert!(digits.starts_with("67") && digits.ends_with("000042"), "{digits}");
        assert_eq!(RotatingCode::parse(&digits), Some(code));
        for bad in ["", "661234567890123456", "67123456789012345", "6712345678901234567", "67123456789012345x"] {
            assert_eq!(RotatingCode::parse(bad), None, "{bad}");
        }
    }
}
