//! The personal identifiers a member gives us, parsed so that an invalid one cannot exist, and
//! masked for every response.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// A mainland mobile number, normalised to its 11 digits (`1[3-9]` + 9 digits; `+86`/`86`, spaces
/// and dashes accepted on input).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a mainland China mobile number (11 digits starting 13-19)")]
pub struct InvalidPhone;

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhone> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix("+86").or_else(|| compact.strip_prefix("0086")).unwrap_or(&compact);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(Self(digits.to_owned()))
        } else {
            Err(InvalidPhone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****0000`
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// A 18-character 居民身份证 number: a known province code, a real birth date not in the future,
/// and a correct ISO 7064 MOD 11-2 check character (`x` is read as `X`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdNumber {
    #[error("an ID number has 18 characters: 17 digits and a digit or X")]
    Format,
    #[error("the first two digits are not a province code")]
    Region,
    #[error("the birth date in the ID number is not a real date in the past")]
    BirthDate,
    #[error("the check character does not match")]
    CheckDigit,
}

/// Province-level codes (GB/T 2260) that issue resident ID numbers, plus Taiwan, Hong Kong, Macau.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82, 83,
];
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    /// `today` bounds the birth date: nobody is born in the future.
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, InvalidIdNumber> {
        let s = crate::shared::text::fold_width(raw).trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(InvalidIdNumber::Format);
        }
        let digit = |i: usize| u32::from(b[i] - b'0');
        if !PROVINCES.contains(&((b[0] - b'0') * 10 + (b[1] - b'0'))) {
            return Err(InvalidIdNumber::Region);
        }
        let year = (6..10).fold(0, |acc, i| acc * 10 + digit(i)) as i32;
        let month = digit(10) * 10 + digit(11);
        let day = digit(12) * 10 + digit(13);
        match NaiveDate::from_ymd_opt(year, month, day) {
            Some(birth) if birth.year() >= 1900 && birth <= today => {}
            _ => return Err(InvalidIdNumber::BirthDate),
        }
        let sum: u32 = WEIGHTS.iter().enumerate().map(|(i, w)| w * digit(i)).sum();
        if CHECK[(sum % 11) as usize] != b[17] {
            return Err(InvalidIdNumber::CheckDigit);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `3205**********123X`
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// A person's name as on the ID card: 2–20 characters (counted as characters, not bytes or UTF-16
/// units) of Chinese script — any CJK Unified Ideograph Unicode defines, the compatibility
/// ideographs and `〇` — with `·` between the parts of a transliterated or minority name (e.g.
/// `阿卜杜·热合曼`). The dots people type for it are normalised to `·` (U+00B7).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a name has 2-20 Chinese characters, with '·' only between parts")]
pub struct InvalidName;

/// Every block of CJK Unified Ideographs (the basic block and Extensions A to I), the compatibility
/// ideographs and `〇` (U+3007): GB 18030-2022 requires them, and the 居民身份证 prints them (生僻字
/// such as `𬌗`, `𮧵`, `𰻞`, which the 2013 通用规范汉字表 includes).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'        // the basic block
        | '\u{3400}'..='\u{4DBF}'      // Extension A
        | '\u{20000}'..='\u{2A6DF}'    // B
        | '\u{2A700}'..='\u{2B73F}'    // C
        | '\u{2B740}'..='\u{2B81F}'    // D
        | '\u{2B820}'..='\u{2CEAF}'    // E
        | '\u{2CEB0}'..='\u{2EBEF}'    // F
        | '\u{2EBF0}'..='\u{2EE5F}'    // I
        | '\u{30000}'..='\u{3134F}'    // G
        | '\u{31350}'..='\u{323AF}'    // H
        | '\u{F900}'..='\u{FAFF}'      // compatibility ideographs
        | '\u{2F800}'..='\u{2FA1F}'    // compatibility supplement
        | '\u{3007}') // 〇
}

/// The dots typed between the parts of a name: `·` itself, `•`, `・` (katakana middle dot), `‧`
/// (hyphenation point), `．` (full-width full stop), `.`, `∙`, `⋅`.
fn is_name_dot(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' | '\u{2022}' | '\u{30FB}' | '\u{2027}' | '\u{FF0E}' | '.' | '\u{2219}' | '\u{22C5}' | '\u{FF65}'
    )
}

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, InvalidName> {
        let s: String = raw.trim().chars().map(|c| if is_name_dot(c) { '·' } else { c }).collect();
        let n = s.chars().count();
        let parts_ok = s.split('·').all(|part| !part.is_empty() && part.chars().all(is_han));
        if (2..=20).contains(&n) && parts_ok {
            Ok(Self(s))
        } else {
            Err(InvalidName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `张*`, `欧阳**`: the first character, then one star per remaining character.
    pub fn masked(&self) -> String {
        let mut chars = self.0.chars();
        let first = chars.next().unwrap_or('*');
        std::iter::once(first).chain(chars.map(|_| '*')).collect()
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    /// Appends the right check character to 17 digits.
    pub fn with_check(first17: &str) -> String {
        let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
    }

    #[test]
    fn phones_normalise_and_mask() {
        for raw in ["13800000000", "+86 138-0000-0000", "8613800000000", "0086 13800000000"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), "13800000000", "{raw}");
        }
        assert_eq!(PhoneNumber::parse("13812345678").unwrap().masked(), "138****5678");
        for bad in ["12800000000", "1380000000", "138000000000", "abc", "", "+1 13800000000"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn id_numbers_are_fully_checked() {
        let good = with_check("32050219900307123");
        let id = IdNumber::parse(&good, today()).unwrap();
        assert_eq!(id.masked(), format!("3205**********{}", &good[14..]));
        // Full-width digits and letters from Chinese input methods are read as ASCII.
        let wide: String = good.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
        assert_eq!(IdNumber::parse(&format!("\u{3000}{wide}"), today()).unwrap().as_str(), good);
        assert_eq!(IdNumber::parse("11010519491231002ｘ", today()).unwrap().as_str(), "11010519491231002X");
        // A known real-format example with X as check character.
        assert_eq!(IdNumber::parse("11010519491231002x", today()).unwrap().as_str(), "11010519491231002X");

        let bad_check = format!("{}{}", &good[..17], if good.ends_with('0') { '1' } else { '0' });
        assert_eq!(IdNumber::parse(&bad_check, today()), Err(InvalidIdNumber::CheckDigit));
        assert_eq!(IdNumber::parse(&good[..17], today()), Err(InvalidIdNumber::Format));
        assert_eq!(IdNumber::parse(&with_check("99050219900307123"), today()), Err(InvalidIdNumber::Region));
        assert_eq!(IdNumber::parse(&with_check("32050219900230123"), today()), Err(InvalidIdNumber::BirthDate));
        assert_eq!(IdNumber::parse(&with_check("32050220300101123"), today()), Err(InvalidIdNumber::BirthDate));
        assert_eq!(IdNumber::parse(&with_check("32050218991231123"), today()), Err(InvalidIdNumber::BirthDate));
    }

    #[test]
    fn names() {
        assert_eq!(PersonName::parse(" 张三 ").unwrap().masked(), "张*");
        assert_eq!(PersonName::parse("欧阳娜娜").unwrap().masked(), "欧***");
        assert_eq!(PersonName::parse("阿卜杜•热合曼").unwrap().as_str(), "阿卜杜·热合曼");
        for bad in ["张", "Zhang San", "张三1", "·张三", "张··三", &"张".repeat(21), "张\u{3000}三", "张〆"]
        {
            assert!(PersonName::parse(bad).is_err(), "{bad}");
        }
        // 生僻字 from every extension, 〇, compatibility ideographs; the dots minority names are typed with.
        for (raw, kept) in [
            ("张𬌗", "张𬌗"),
            ("赵𮧵", "赵𮧵"),
            ("何𰻞", "何𰻞"),
            ("陈〇", "陈〇"),
            ("刘䶮", "刘䶮"),
            ("王𠮷", "王𠮷"),
            ("李𪜀", "李𪜀"),
            ("周\u{2B740}", "周\u{2B740}"),
            ("吴\u{31350}", "吴\u{31350}"),
            ("郑\u{2EBF0}", "郑\u{2EBF0}"),
            ("金\u{F900}", "金\u{F900}"),
            ("阿卜杜・艾尼", "阿卜杜·艾尼"),
            ("阿卜杜‧艾尼", "阿卜杜·艾尼"),
            ("阿卜杜．艾尼", "阿卜杜·艾尼"),
        ] {
            assert_eq!(PersonName::parse(raw).map(|n| n.as_str().to_owned()), Ok(kept.to_owned()), "{raw}");
        }
        // Lengths and masks in characters, not bytes: a four-byte character is one.
        assert_eq!(PersonName::parse("张𬌗").unwrap().masked(), "张*");
        assert_eq!(PersonName::parse("𰻞𰻞").unwrap().masked(), "𰻞*");
        assert!(PersonName::parse(&"𰻞".repeat(20)).is_ok() && PersonName::parse(&"𰻞".repeat(21)).is_err());
    }
}
