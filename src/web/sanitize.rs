//! Making message content safe to show and to download: the HTML body
//! through ammonia with every remote reference removed, and attachment
//! names that cannot escape a download folder or name a device.

use mailcite_archive::parts::InlineImage;
use std::borrow::Cow;
use std::collections::HashSet;

/// A message's HTML body as a standalone page that loads nothing: scripts,
/// styles, forms, frames and event handlers are removed by ammonia; links
/// lose their target (following one from the sandboxed frame would reveal
/// the reader); an image stays only when the message carries it (`cid:`,
/// inlined as a `data:` URL) or when it is already a `data:` image. The
/// route that serves it adds a CSP that blocks any load that slipped
/// through.
pub fn message_html(html: &str, images: &[InlineImage]) -> String {
    let images: Vec<(String, String)> = images
        .iter()
        .map(|i| {
            (
                i.content_id.clone(),
                format!("data:{};base64,{}", i.content_type, base64(&i.bytes)),
            )
        })
        .collect();
    let mut b = ammonia::Builder::default();
    // `cid:` passes the scheme check only to be rewritten (or dropped) below.
    b.url_schemes(HashSet::from(["data", "cid"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            match (element, attribute) {
                ("img", "src") => {
                    let v = value.trim();
                    if let Some(cid) = v
                        .get(..4)
                        .filter(|p| p.eq_ignore_ascii_case("cid:"))
                        .map(|_| &v[4..])
                    {
                        let cid = cid.trim_matches(['<', '>']);
                        return images
                            .iter()
                            .find(|(id, _)| id.eq_ignore_ascii_case(cid))
                            .map(|(_, url)| Cow::Owned(url.clone()));
                    }
                    let lower = v.to_ascii_lowercase();
                    (lower.starts_with("data:image/") && !lower.starts_with("data:image/svg"))
                        .then(|| Cow::Owned(v.to_string()))
                }
                // Any other URL-bearing attribute goes: href (links),
                // cite, longdesc, srcset, background, poster.
                (_, "href" | "cite" | "longdesc" | "srcset" | "background" | "poster") => None,
                _ => Some(Cow::Borrowed(value)),
            }
        });
    let clean = b.clean(html).to_string();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\"><style>body{{font:15px/1.5 sans-serif;color:#111;background:#fff;margin:.5em;overflow-wrap:anywhere}}img{{max-width:100%;height:auto}}a{{color:#135;text-decoration:underline dotted}}</style></head><body>\n{clean}\n</body></html>\n"
    )
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                out.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file name safe to save anywhere: the last path component only, no
/// separators, control, bidirectional or zero-width characters, no leading
/// dots, no trailing dots or spaces, no device names, at most 150
/// characters; `attachment-N.bin` when nothing is left.
pub fn safe_file_name(name: Option<&str>, n: usize) -> String {
    let fallback = || format!("attachment-{n}.bin");
    let Some(name) = name else {
        return fallback();
    };
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut s: String = last
        .chars()
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => '_',
            '\u{FEFF}' => '_',
            c => c,
        })
        .collect();
    s = s.trim_start_matches(['.', ' ']).to_string();
    s = s.trim_end_matches(['.', ' ']).to_string();
    if s.chars().count() > 150 {
        // Keep the extension.
        let ext: String = s
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| e.chars().count() <= 10)
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let stem: String = s.chars().take(150 - ext.chars().count()).collect();
        s = format!("{stem}{ext}");
    }
    let stem = s.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        s = format!("_{s}");
    }
    if s.chars().all(|c| c == '_') {
        return fallback();
    }
    s
}

/// `Content-Disposition: attachment` for a (safe) file name: an ASCII
/// fallback and the UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        super::html::url_component(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_content_is_removed() {
        let page = message_html(
            "<p onclick=\"x()\">Hi <img src=\"https://tracker.example/p.gif\"><img src=\"//t.example/a\"><img src=\"cid:logo\"><script>alert(1)</script><style>body{background:url(https://t.example/b)}</style><a href=\"https://evil.example/\">link</a><form action=\"https://x.example\"><input name=q></form><iframe src=\"https://x.example\"></iframe><img srcset=\"https://t.example/s 2x\" src=\"data:image/png;base64,AAAA\"></p>",
            &[InlineImage {
                content_id: "logo".into(),
                content_type: "image/png".into(),
                bytes: b"\x89PNG".to_vec(),
            }],
        );
        for bad in [
            "tracker.example",
            "t.example",
            "evil.example",
            "x.example",
            "<script",
            "onclick",
            "alert",
            "<form",
            "<input",
            "<iframe",
            "href",
        ] {
            assert!(!page.contains(bad), "{bad} left in {page}");
        }
        assert!(
            page.contains("src=\"data:image/png;base64,iVBORw==\""),
            "{page}"
        );
        assert!(
            page.contains("src=\"data:image/png;base64,AAAA\""),
            "{page}"
        );
        assert!(page.contains(">link</a>"));
    }

    #[test]
    fn svg_data_images_go() {
        let page = message_html("<img src=\"data:image/svg+xml,<svg/>\">", &[]);
        assert!(!page.contains("svg"), "{page}");
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name(Some("../../etc/passwd"), 1), "passwd");
        assert_eq!(safe_file_name(Some("C:\\Windows\\evil.exe"), 1), "evil.exe");
        assert_eq!(safe_file_name(Some(".bashrc"), 1), "bashrc");
        assert_eq!(safe_file_name(Some("con.txt"), 1), "_con.txt");
        assert_eq!(safe_file_name(Some("LPT1"), 1), "_LPT1");
        assert_eq!(
            safe_file_name(Some("invoice\u{202E}fdp.exe"), 1),
            "invoice_fdp.exe"
        );
        assert_eq!(safe_file_name(Some("a\nb\u{0}.pdf"), 1), "a_b_.pdf");
        assert_eq!(safe_file_name(Some("..."), 2), "attachment-2.bin");
        assert_eq!(safe_file_name(Some("/"), 3), "attachment-3.bin");
        assert_eq!(safe_file_name(None, 4), "attachment-4.bin");
        assert_eq!(safe_file_name(Some("report. "), 1), "report");
        let long = format!("{}.pdf", "x".repeat(300));
        let s = safe_file_name(Some(&long), 1);
        assert_eq!(s.chars().count(), 150);
        assert!(s.ends_with(".pdf"));
        assert_eq!(safe_file_name(Some("Отчёт 2009.pdf"), 1), "Отчёт 2009.pdf");
    }

    #[test]
    fn dispositions_are_ascii() {
        assert_eq!(
            content_disposition("Отчёт.pdf"),
            "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf"
        );
    }
}
