//! Staff finding people on the roster of their part of the tree: by the first characters of a
//! name, the last four digits of a phone, or a member number, a page at a time.
//!
//! Names and phones are sealed at rest, so nothing can be matched by `LIKE`: the store keeps keyed
//! digests of a name's first one and first two characters and of a phone's last four digits, and
//! matches those. A longer prefix is narrowed from its first two characters by opening the names.

use chrono::{DateTime, Utc};

use super::identity::{IdNumber, PersonName, PhoneNumber};
use super::model::MemberId;
use super::roster::RosterStatus;

/// The first 1–20 characters of a person's name as on the ID card (Chinese script, with `·`
/// between the parts of a minority name; the dots people type folded to `·`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePrefix(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a name prefix is 1–20 characters of Chinese script, starting with one")]
pub struct InvalidNamePrefix;

impl NamePrefix {
    pub fn parse(raw: &str) -> Result<Self, InvalidNamePrefix> {
        // A full name parses as a name; a prefix is a name cut short, so parse it with one more
        // character (which cannot be a dot) and take that away again.
        let trimmed = raw.trim();
        let n = trimmed.chars().count();
        if !(1..=20).contains(&n) {
            return Err(InvalidNamePrefix);
        }
        let cut_short = n == 1 || trimmed.chars().last().is_some_and(|c| !c.is_alphanumeric());
        let whole = if cut_short { format!("{trimmed}一") } else { trimmed.to_owned() };
        let name = PersonName::parse(&whole).map_err(|_| InvalidNamePrefix)?;
        let folded: String = name.as_str().chars().take(n).collect();
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its first one or two characters, the part the store keeps a digest of.
    pub fn head(&self) -> &str {
        let end = self.0.char_indices().nth(2).map_or(self.0.len(), |(i, _)| i);
        &self.0[..end]
    }

    /// Whether the digest of [`Self::head`] alone decides it (no name need be opened).
    pub fn is_head(&self) -> bool {
        self.head().len() == self.0.len()
    }

    /// What the audit log keeps of it: the first character, a star for each other.
    pub fn masked(&self) -> String {
        let mut chars = self.0.chars();
        chars.next().into_iter().chain(chars.map(|_| '*')).collect()
    }
}

/// The first one and the first two characters of a name: what [`NamePrefix::head`] is matched
/// against.
pub fn name_heads(name: &PersonName) -> (String, String) {
    let s = name.as_str();
    let cut = |n: usize| s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i]).to_owned();
    (cut(1), cut(2))
}

/// The last four digits of a mainland mobile number, as staff read them off a masked one
/// (`139****1234`, `****1234`, `1234`; full-width digits folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneTail(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a phone suffix is the last four digits of the number")]
pub struct InvalidPhoneTail;

impl PhoneTail {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhoneTail> {
        let folded = crate::shared::text::fold_width(raw);
        let s = folded.trim();
        // Whatever stands before the digits is the masked rest of the number: stars, perhaps
        // after its first three digits.
        let (masked, digits) = s.rfind('*').map_or(("", s), |i| (&s[..=i], &s[i + 1..]));
        let masked_ok = masked.len() <= 7 && masked.bytes().all(|b| b == b'*' || b.is_ascii_digit());
        if masked_ok && digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits.to_owned()))
        } else {
            Err(InvalidPhoneTail)
        }
    }

    pub fn of(phone: &PhoneNumber) -> Self {
        let s = phone.as_str();
        Self(s[s.len() - 4..].to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a roster search matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterCriterion {
    /// Everyone in the part of the tree searched.
    Everyone,
    NamePrefix(NamePrefix),
    /// Members with an account whose phone ends so.
    PhoneTail(PhoneTail),
    MemberNo(String),
}

impl RosterCriterion {
    /// `(by, query)` as the audit log keeps them: never a name or a number whole.
    pub fn audited(&self) -> (&'static str, Option<String>) {
        match self {
            Self::Everyone => ("everyone", None),
            Self::NamePrefix(p) => ("name_prefix", Some(p.masked())),
            Self::PhoneTail(t) => ("phone_suffix", Some(format!("****{}", t.as_str()))),
            Self::MemberNo(no) => ("member_no", Some(no.clone())),
        }
    }
}

/// A roster row found, with the account matched to it if the person has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    /// The row's position in the roster, the key pages are cut by.
    pub key: i64,
    pub name: PersonName,
    pub id_number: IdNumber,
    pub union_org_code: String,
    pub union_org_name: String,
    pub member_no: String,
    pub status: RosterStatus,
    pub joined_at: Option<DateTime<Utc>>,
    pub account: Option<RosterAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterAccount {
    pub id: MemberId,
    pub phone: Option<PhoneNumber>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_prefixes_are_chinese_script_of_one_to_twenty_characters() {
        for (raw, folded) in [("王", "王"), (" 欧阳 ", "欧阳"), ("阿卜杜.", "阿卜杜·"), ("阿卜杜・热", "阿卜杜·热")]
        {
            assert_eq!(NamePrefix::parse(raw).map(|p| p.0), Ok(folded.to_owned()), "{raw:?}");
        }
        for bad in ["", " ", "W", "王1", "·王", "王··", &"王".repeat(21), "%", "王%"] {
            assert_eq!(NamePrefix::parse(bad), Err(InvalidNamePrefix), "{bad:?}");
        }
    }

    #[test]
    fn the_head_is_what_the_digests_hold() {
        let name = PersonName::parse("欧阳娜娜").unwrap();
        assert_eq!(name_heads(&name), ("欧".to_owned(), "欧阳".to_owned()));
        let p = NamePrefix::parse("欧阳娜").unwrap();
        assert_eq!((p.head(), p.is_head(), p.masked().as_str()), ("欧阳", false, "欧**"));
        let p = NamePrefix::parse("欧").unwrap();
        assert_eq!((p.head(), p.is_head()), ("欧", true));
        assert!(NamePrefix::parse("欧阳").unwrap().is_head());
    }

    #[test]
    fn phone_tails_are_four_digits_however_masked() {
        for raw in ["1234", "****1234", "139****1234", " １２３４ "] {
            assert_eq!(PhoneTail::parse(raw).map(|t| t.0), Ok("1234".to_owned()), "{raw:?}");
        }
        for bad in ["", "123", "12345", "12a4", "*", "1234*", "13912341234", "ab**1234", "1391****1234"] {
            assert_eq!(PhoneTail::parse(bad), Err(InvalidPhoneTail), "{bad:?}");
        }
        assert_eq!(PhoneTail::of(&PhoneNumber::parse("13912341234").unwrap()).as_str(), "1234");
    }
}
