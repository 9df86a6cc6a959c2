//! Escaping text for the files mailcite writes: XML (GraphML, SVG) and
//! Graphviz DOT. Text is first made terminal-safe with
//! [`super::sanitize::line`], which also turns the control characters XML 1.0
//! forbids into visible escapes.

use super::sanitize::line;

/// Text for XML content or a double-quoted attribute.
pub fn xml(s: &str) -> String {
    let s = line(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not characters in XML 1.0.
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The inside of a DOT double-quoted string: quotes and backslashes escaped
/// (so `\n`, `\l` in a name stay literal), newlines already made visible.
pub fn dot(s: &str) -> String {
    let s = line(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            xml("a<b> & \"c\" 'd'"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"
        );
        assert_eq!(xml("x\u{1}y\u{ffff}"), "x\\x01y\u{fffd}");
        assert_eq!(dot("say \"hi\"\\n\nnext"), "say \\\"hi\\\"\\\\n\\\\x0anext");
    }
}
