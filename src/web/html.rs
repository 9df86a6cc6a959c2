//! Server-side HTML: escaping, URL encoding and the page layout. Every
//! string from the archive reaches a page through [`escape`] (element text
//! and attribute values alike) or [`url_component`].

use axum::response::Html;

/// Escapes text for HTML element content and quoted attribute values.
/// Control characters other than line breaks and tabs become U+FFFD so that
/// nothing invisible reaches the page.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string or path component (everything but
/// unreserved characters).
pub fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `/search?q=...` for a query (and sort, unless the default).
pub fn search_url(query: &str, sort: &str) -> String {
    let mut url = format!("/search?q={}", url_component(query));
    if !sort.is_empty() && sort != "date" {
        url.push_str("&sort=");
        url.push_str(&url_component(sort));
    }
    url
}

/// Permalink of a message.
pub fn message_url(id_hex: &str) -> String {
    format!("/m/{}", url_component(id_hex))
}

/// Text with byte ranges marked (`<mark>`), escaped. Ranges that are out of
/// order or not on character boundaries are ignored.
pub fn highlighted(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 13);
    let mut pos = 0;
    for &(a, b) in ranges {
        if a < pos
            || b > text.len()
            || a > b
            || !text.is_char_boundary(a)
            || !text.is_char_boundary(b)
        {
            continue;
        }
        out.push_str(&escape(&text[pos..a]));
        out.push_str("<mark>");
        out.push_str(&escape(&text[a..b]));
        out.push_str("</mark>");
        pos = b;
    }
    out.push_str(&escape(&text[pos..]));
    out
}

/// An address list as `Name <addr>, ...`, escaped.
pub fn addresses(list: &[mailcite_archive::message::Address]) -> String {
    escape(&crate::output::addresses(list))
}

/// A whole page: layout, navigation, the stylesheet and the script (both
/// served by this binary), `body` inserted as is (already escaped HTML).
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"referrer\" content=\"no-referrer\">
<title>{} · mailcite</title>
<link rel=\"icon\" href=\"data:,\">
<link rel=\"stylesheet\" href=\"/static/app.css\">
<script src=\"/static/app.js\" defer></script>
</head>
<body>
<header class=\"top\"><a class=\"brand\" href=\"/search\">mailcite</a>
<nav><a href=\"/search\">Search</a> <a href=\"/a\">Articles</a></nav>
<form class=\"quick\" action=\"/search\" method=\"get\" role=\"search\"><input type=\"search\" name=\"q\" placeholder=\"Search the archive\" aria-label=\"Search the archive\"></form>
</header>
<main>
{}
</main>
</body>
</html>
",
        escape(title),
        body
    ))
}

/// `1 message`, `3 messages`.
pub fn plural(n: u64, word: &str) -> String {
    format!(
        "{} {word}{}",
        crate::output::thousands(n),
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("a\u{1b}[31mb\r\n"), "a\u{FFFD}[31mb\n");
    }

    #[test]
    fn encodes_url_components() {
        assert_eq!(url_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            search_url("from:x date:2009-07", "relevance"),
            "/search?q=from%3Ax%20date%3A2009-07&sort=relevance"
        );
    }

    #[test]
    fn highlights_and_escapes() {
        assert_eq!(
            highlighted("a <b> c", &[(2, 5), (1, 2), (6, 9)]),
            "a <mark>&lt;b&gt;</mark> c"
        );
    }
}
