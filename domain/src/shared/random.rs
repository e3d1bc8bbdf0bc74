//! Random codes made by the domain (one-time codes), from the operating system's generator
//! behind `uuid`'s v4 ids.

/// Six decimal digits, uniform: draws that would favour low codes are drawn again.
pub fn six_digits() -> String {
    // The largest multiple of 10⁶ that fits in a u32: draws at or above it are skewed.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| six_digits()).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 190, "{}", codes.len());
    }
}
