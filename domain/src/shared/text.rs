//! Text a person typed: trimmed, of bounded length, printable, and with something to see.

/// Characters that take no space on screen: a name made only of them looks empty.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// The compatibility (width) fold of Unicode's NFKC for what identifiers and codes are typed with:
/// full-width ASCII (`３２０５`, `ＳＺ－００１`, from Chinese input methods) becomes ASCII, the
/// ideographic space a space. Everything else is left as it is.
pub fn fold_width(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
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
    fn full_width_becomes_ascii() {
        assert_eq!(super::fold_width("３２０５０２１９９００３０７１２３ｘ"), "32050219900307123x");
        assert_eq!(super::fold_width("ＳＺ－００１\u{3000}"), "SZ-001 ");
        assert_eq!(super::fold_width("苏州·工会"), "苏州·工会");
    }

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
