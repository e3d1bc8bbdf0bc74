//! A union's stable code: its 18-character 统一社会信用代码 (GB 32100-2015) where it has one,
//! otherwise the federation's own code.

use std::fmt;

/// The characters of a 统一社会信用代码, in the order that gives each its value (no I, O, S, V, Z).
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUnionCode {
    #[error("a union code has 1-32 characters: letters, digits and '-'")]
    Format,
    #[error("the check character of the 统一社会信用代码 does not match")]
    CheckCharacter,
}

impl UnionCode {
    /// Full-width characters folded, letters upper-cased. Eighteen characters of the credit code's
    /// alphabet are taken as a 统一社会信用代码 and must carry its check character; anything else is
    /// the federation's own code (`SZ-SIP-001`).
    pub fn parse(raw: &str) -> Result<Self, InvalidUnionCode> {
        let s = crate::shared::text::fold_width(raw).trim().to_ascii_uppercase();
        let ok = (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(InvalidUnionCode::Format);
        }
        if s.len() == 18 && s.bytes().all(|b| USCC_CHARS.contains(&b)) && !uscc_check(&s) {
            return Err(InvalidUnionCode::CheckCharacter);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As the database holds it: parsed when it was written (codes from rosters older than the
    /// tree were folded to upper case when the tree was made).
    pub fn stored(code: String) -> Self {
        Self(code)
    }

    /// Whether it is a 统一社会信用代码 (rather than the federation's own code).
    pub fn is_credit_code(&self) -> bool {
        self.0.len() == 18 && self.0.bytes().all(|b| USCC_CHARS.contains(&b))
    }
}

fn uscc_check(s: &str) -> bool {
    let value = |b: u8| USCC_CHARS.iter().position(|c| *c == b).map(|v| v as u32);
    let bytes = s.as_bytes();
    let Some(sum) = bytes[..17].iter().zip(USCC_WEIGHTS).try_fold(0u32, |acc, (b, w)| value(*b).map(|v| acc + v * w))
    else {
        return false;
    };
    let check = (31 - sum % 31) % 31;
    value(bytes[17]) == Some(check)
}

impl fmt::Debug for UnionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnionCode({})", self.0)
    }
}

impl fmt::Display for UnionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the right check character to 17 characters.
    fn with_check(first17: &str) -> String {
        let sum: u32 = first17
            .bytes()
            .zip(USCC_WEIGHTS)
            .map(|(b, w)| USCC_CHARS.iter().position(|c| *c == b).unwrap() as u32 * w)
            .sum();
        format!("{first17}{}", USCC_CHARS[((31 - sum % 31) % 31) as usize] as char)
    }

    #[test]
    fn credit_codes_carry_their_check_character() {
        // A published example of the standard: 91350100M000100Y43.
        assert_eq!(UnionCode::parse("91350100M000100Y43").unwrap().as_str(), "91350100M000100Y43");
        assert!(UnionCode::parse("91350100M000100Y43").unwrap().is_credit_code());
        let made = with_check("8132050000000123A");
        assert_eq!(UnionCode::parse(&made.to_lowercase()).unwrap().as_str(), made);
        let wrong = format!("{}{}", &made[..17], if made.ends_with('0') { '1' } else { '0' });
        assert_eq!(UnionCode::parse(&wrong), Err(InvalidUnionCode::CheckCharacter));
    }

    #[test]
    fn the_federations_own_codes_and_full_width_input() {
        assert_eq!(UnionCode::parse(" ｓｚ－ｓｉｐ－００１ ").unwrap().as_str(), "SZ-SIP-001");
        assert!(!UnionCode::parse("SZ-SIP-001").unwrap().is_credit_code());
        for bad in ["", "SZ 001", "苏州", &"A".repeat(33)] {
            assert_eq!(UnionCode::parse(bad), Err(InvalidUnionCode::Format), "{bad}");
        }
    }
}
