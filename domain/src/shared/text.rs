//! Text a person typed: trimmed, of bounded length, printable, and with something to see.

/// Characters that take no space on screen: a name made only of them looks empty.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// `raw` trimmed, if it is 1–`max` characters with no control character and at least one visible
/// one.
pub fn visible(raw: &str, max: usize) -> Option<String> {
    let t = raw.trim();
    let ok = !t.is_empty()
        && t.chars().count() <= max
        && !t.chars().any(char::is_control)
        && t.chars().any(|c| !invisible(c));
    ok.then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn names_need_something_to_see() {
        assert_eq!(visible("  国庆会员有礼 ", 60).as_deref(), Some("国庆会员有礼"));
        for bad in ["", "   ", "\u{200B}\u{200B}", "\u{FEFF}", "a\u{0000}b", "a\nb"] {
            assert_eq!(visible(bad, 60), None, "{bad:?}");
        }
        assert_eq!(visible(&"字".repeat(61), 60), None);
        assert!(visible(&"字".repeat(60), 60).is_some());
    }
}
