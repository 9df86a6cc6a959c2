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

/// A file name safe to save anywhere, for attachment `n` (from 1): see
/// [`mailcite_archive::safe_name::safe_file_name`].
pub fn safe_file_name(name: Option<&str>, n: usize) -> String {
    mailcite_archive::safe_name::safe_file_name(name.unwrap_or(""), n.saturating_sub(1))
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
        // The rules are archive::safe_name's (tested there); downloads
        // number attachments from 1.
        assert_eq!(safe_file_name(Some("../../etc/passwd"), 1), "passwd");
        assert_eq!(safe_file_name(Some("C:\\Windows\\evil.exe"), 1), "evil.exe");
        assert_eq!(safe_file_name(Some("con.txt"), 1), "_con.txt");
        assert_eq!(
            safe_file_name(Some("invoice\u{202E}fdp.exe"), 1),
            "invoicefdp.exe"
        );
        assert_eq!(safe_file_name(Some("..."), 2), "attachment-2");
        assert_eq!(safe_file_name(None, 4), "attachment-4");
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
