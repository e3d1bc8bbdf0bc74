//! Card numbers: 19 digits, the last a Luhn check digit over the first 18.

/// A card number that passed its check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardNumber(String);

impl CardNumber {
    pub const LEN: usize = 19;

    /// Spaces between digit groups, as printed on the card, are allowed.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits: String = raw.chars().filter(|c| *c != ' ').collect();
        let well_formed = digits.len() == Self::LEN && digits.bytes().all(|b| b.is_ascii_digit());
        (well_formed && luhn_digit(&digits[..Self::LEN - 1]) == digits.as_bytes()[Self::LEN - 1] - b'0')
            .then_some(Self(digits))
    }

    /// The number with its check digit appended to 18 digits of the bank's choosing.
    pub fn complete(first_18: &str) -> Option<Self> {
        (first_18.len() == Self::LEN - 1 && first_18.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(format!("{first_18}{}", luhn_digit(first_18))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, all a member or a merchant is ever shown.
    pub fn last4(&self) -> &str {
        &self.0[Self::LEN - 4..]
    }
}

/// The Luhn check digit for `payload` (ASCII digits).
fn luhn_digit(payload: &str) -> u8 {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            // From the right, every other digit starting with the one beside the check digit is doubled.
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_digit_is_luhn() {
        // The textbook example: 7992739871 gets 3.
        assert_eq!(luhn_digit("7992739871"), 3);
        let card = CardNumber::complete("622848001234567890").unwrap();
        assert_eq!(card.as_str().len(), 19);
        assert_eq!(CardNumber::parse(card.as_str()), Some(card.clone()));
        assert_eq!(CardNumber::parse(&format!("{} {}", &card.as_str()[..4], &card.as_str()[4..])), Some(card.clone()));
        assert_eq!(card.last4(), &card.as_str()[15..]);
    }

    #[test]
    fn a_wrong_digit_or_length_is_refused() {
        let card = CardNumber::complete("622848001234567890").unwrap();
        let mut wrong = card.as_str().as_bytes().to_vec();
        wrong[18] = if wrong[18] == b'9' { b'0' } else { wrong[18] + 1 };
        assert_eq!(CardNumber::parse(std::str::from_utf8(&wrong).unwrap()), None);
        // Swapping two neighbouring digits (here 8 and 4) is caught too.
        let mut swapped = card.as_str().as_bytes().to_vec();
        swapped.swap(3, 4);
        assert_eq!(CardNumber::parse(std::str::from_utf8(&swapped).unwrap()), None);
        for bad in ["", "62284800123456789", "62284800123456789012", "62284800123456789x1"] {
            assert_eq!(CardNumber::parse(bad), None, "{bad}");
        }
        assert_eq!(CardNumber::complete("1234"), None);
    }
}
