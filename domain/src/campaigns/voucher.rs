//! Voucher codes: 12 random characters from an alphabet without look-alikes, plus a check character
//! (Luhn mod 32) that catches any single mistyped character and most swaps of neighbours.

const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Luhn mod N over the 32 symbols: detects every single substitution and most adjacent swaps.
fn check_char(body: &[u8]) -> u8 {
    const N: u32 = 32;
    let mut factor = 2;
    let mut sum = 0;
    for &c in body.iter().rev() {
        let addend = factor * value(c).unwrap_or(0);
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / N + addend % N;
    }
    ALPHABET[((N - sum % N) % N) as usize]
}

/// A fresh random code, 13 characters.
pub fn new_code() -> String {
    let random = uuid::Uuid::new_v4();
    let bytes = random.as_bytes();
    let mut body: Vec<u8> = (0..12).map(|i| ALPHABET[(bytes[i] & 0x1f) as usize]).collect();
    let check = check_char(&body);
    body.push(check);
    String::from_utf8(body).expect("alphabet is ASCII")
}

/// Normalises what a person typed (case, spaces, dashes) and checks it; `None` if it cannot be a code.
pub fn parse_code(raw: &str) -> Option<String> {
    let s: Vec<u8> = raw.bytes().filter(|b| !matches!(b, b' ' | b'-')).map(|b| b.to_ascii_uppercase()).collect();
    if s.len() != 13 || !s.iter().all(|&b| value(b).is_some()) {
        return None;
    }
    (check_char(&s[..12]) == s[12]).then(|| String::from_utf8(s).expect("ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_themselves() {
        let code = new_code();
        assert_eq!(code.len(), 13);
        assert_eq!(parse_code(&code.to_lowercase()).as_deref(), Some(code.as_str()));
        assert_eq!(parse_code(&format!("{}-{}", &code[..6], &code[6..])).as_deref(), Some(code.as_str()));
        for i in 0..13 {
            for &c in ALPHABET {
                let mut typo = code.clone().into_bytes();
                if typo[i] == c {
                    continue;
                }
                typo[i] = c;
                assert_eq!(parse_code(std::str::from_utf8(&typo).unwrap()), None, "typo at {i}");
            }
        }
        assert!(parse_code("0OIL11111111A").is_none());
        assert_ne!(new_code(), new_code());
    }

    /// Fixed vectors, so a change to the check arithmetic cannot pass by agreeing with itself.
    #[test]
    fn check_characters_match_known_vectors() {
        for (body, check) in
            [("ABCDEFGHJKLM", b'A'), ("7KQ2M9XH4TPW", b'5'), ("ZZZZZZZZZZZZ", b'E'), ("23456789ABCD", b'U')]
        {
            assert_eq!(check_char(body.as_bytes()), check, "{body}");
            assert_eq!(
                parse_code(&format!("{body}{}", check as char)).as_deref(),
                Some(&*format!("{body}{}", check as char))
            );
        }
        // Look-alike characters are not read as the ones they resemble, even where the sums agree.
        assert_eq!(check_char(b"222222222222"), b'2');
        assert_eq!(parse_code("0222222222222"), None);
        assert_eq!(parse_code("222222222222"), None, "twelve characters are too few");
    }
}
