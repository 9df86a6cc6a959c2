//! Neutralizing hostile text before it reaches a terminal.
//!
//! Headers and bodies of leaked mail can carry escape sequences that rewrite
//! the screen, and bidirectional or zero-width characters that hide or reorder
//! text. Everything printed for a person goes through [`for_terminal`].

/// Replaces control, escape, bidirectional-override and zero-width characters
/// with visible escapes (`\x1b`, `\u{202e}`). Newlines are kept when
/// `keep_newlines` is true (message bodies), tabs always.
pub fn for_terminal(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\t' => out.push('\t'),
            '\r' if keep_newlines => {}
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            '\u{80}'..='\u{9f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// A single-line version: newlines become visible too.
pub fn line(s: &str) -> String {
    for_terminal(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_characters() {
        assert_eq!(line("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(line("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(line("x\ny"), "x\\x0ay");
        assert_eq!(for_terminal("x\r\ny", true), "x\ny");
        assert_eq!(line("Привет 東京"), "Привет 東京");
    }
}
