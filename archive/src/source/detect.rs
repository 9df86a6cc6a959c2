//! Format detection by content: is this file an mbox, an MMDF mailbox, a
//! single message, or not mail at all (and then, why not)?

use super::Format;

/// What a file's first bytes say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// A mail container of this format.
    Mail(Format),
    /// Not mail; the reason is printed in the import summary.
    NotMail(String),
}

/// Known header names that make a header block look like an email.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "delivered-to",
    "in-reply-to",
    "references",
    "reply-to",
    "sender",
    "x-mailer",
    "dkim-signature",
    "arc-seal",
    "x-original-to",
    "envelope-to",
    "user-agent",
    "thread-topic",
    "x-from",
    "x-to",
];

/// Classifies a file from its first (decompressed) bytes. `prefix` should hold
/// at least the first 64 KiB when the file is that large.
pub fn detect(prefix: &[u8]) -> Detected {
    if prefix.is_empty() {
        return Detected::NotMail("empty file".into());
    }
    if let Some(kind) = binary_kind(prefix) {
        return Detected::NotMail(format!("{kind}, not mail"));
    }
    if super::mbox::is_mmdf(prefix) {
        return Detected::Mail(Format::Mmdf);
    }
    let prefix = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    if is_emlx(prefix) {
        return Detected::Mail(Format::Emlx);
    }
    let body = skip_blank_lines(prefix);
    if super::mbox::starts_with_from_line(body) {
        return Detected::Mail(Format::Mbox);
    }
    let trimmed = body.trim_ascii_start();
    let structured = if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        Some("JSON or other structured data, not mail")
    } else if trimmed.starts_with(b"-----BEGIN PGP") {
        Some("a PGP key or armored block, not mail")
    } else if trimmed.starts_with(b"-----BEGIN ") {
        Some("a PEM key or certificate, not mail")
    } else if trimmed.starts_with(b"<") {
        Some("XML or HTML, not mail")
    } else {
        None
    };
    if let Some(reason) = structured {
        return Detected::NotMail(reason.into());
    }
    match header_block_score(body) {
        HeaderScore::Mail => Detected::Mail(Format::Message),
        HeaderScore::HeadersButNotMail => Detected::NotMail(
            "has a header block but no email header (From, Date, Subject, Received, ...)".into(),
        ),
        HeaderScore::NotHeaders => Detected::NotMail(
            if looks_binary(prefix) {
                "binary data, not mail"
            } else {
                "text that does not start with email headers"
            }
            .into(),
        ),
    }
}

/// Apple Mail's .emlx: a line holding the message's byte count, the message,
/// then an XML property list.
pub fn is_emlx(p: &[u8]) -> bool {
    let first = trim_cr(line_at(p));
    let digits = first.trim_ascii();
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let rest = &p[(line_at(p).len() + 1).min(p.len())..];
    matches!(header_block_score(rest), HeaderScore::Mail)
}

fn binary_kind(p: &[u8]) -> Option<&'static str> {
    let sigs: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive (extract it first)"),
        (b"Rar!", "a RAR archive (extract it first)"),
        (b"7z\xbc\xaf", "a 7-Zip archive (extract it first)"),
        (
            b"\xd0\xcf\x11\xe0",
            "an OLE2 file (Outlook .msg or Office document)",
        ),
        (b"!BDN", "an Outlook PST file (not supported yet)"),
        (b"BM", "a BMP image"),
        (b"RIFF", "a RIFF media file"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"\x7fELF", "an executable"),
        (b"SQLite format 3\x00", "an SQLite database"),
    ];
    for (sig, name) in sigs {
        if p.starts_with(sig) {
            return Some(name);
        }
    }
    if p.len() > 262 && &p[257..262] == b"ustar" {
        return Some("a tar archive (extract it first)");
    }
    None
}

fn looks_binary(p: &[u8]) -> bool {
    let sample = &p[..p.len().min(4096)];
    let ctrl = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x09) || (0x0e..0x1b).contains(&b))
        .count();
    ctrl * 20 > sample.len()
}

fn skip_blank_lines(mut p: &[u8]) -> &[u8] {
    loop {
        let line = line_at(p);
        if trim_cr(line).iter().all(|b| *b == b' ' || *b == b'\t') && line.len() < p.len() {
            p = &p[(line.len() + 1).min(p.len())..];
        } else {
            return p;
        }
    }
}

fn line_at(p: &[u8]) -> &[u8] {
    match p.iter().position(|&b| b == b'\n') {
        Some(i) => &p[..i],
        None => p,
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

enum HeaderScore {
    Mail,
    HeadersButNotMail,
    NotHeaders,
}

/// Name of a header line (`Name: value`), if the line is one.
fn header_name(line: &[u8]) -> Option<&[u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    let name = &line[..colon];
    // Obsolete syntax allows white space before the colon ("Subject : x").
    let name = name.trim_ascii_end();
    if name.is_empty() || name.len() > 76 {
        return None;
    }
    if name.iter().all(|&b| (33..=126).contains(&b) && b != b':') {
        Some(name)
    } else {
        None
    }
}

fn header_block_score(p: &[u8]) -> HeaderScore {
    let mut lines = 0usize;
    let mut good = 0usize;
    let mut mail_headers = 0usize;
    let mut first = true;
    for raw in p.split(|&b| b == b'\n').take(400) {
        let line = trim_cr(raw);
        if line.is_empty() {
            break;
        }
        lines += 1;
        if line[0] == b' ' || line[0] == b'\t' {
            if !first {
                good += 1;
            }
            continue;
        }
        match header_name(line) {
            Some(name) => {
                good += 1;
                let lower = name.to_ascii_lowercase();
                if MAIL_HEADERS
                    .iter()
                    .any(|h| h.as_bytes() == lower.as_slice())
                {
                    mail_headers += 1;
                }
            }
            None if first => return HeaderScore::NotHeaders,
            None => {}
        }
        first = false;
    }
    if lines == 0 || good * 2 < lines {
        HeaderScore::NotHeaders
    } else if mail_headers == 0 {
        HeaderScore::HeadersButNotMail
    } else {
        HeaderScore::Mail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_and_not_mail() {
        assert_eq!(
            detect(b"From alice@example.org Mon Jul 13 10:11:12 2009\nSubject: x\n\nhi\n"),
            Detected::Mail(Format::Mbox)
        );
        assert_eq!(
            detect(b"Return-Path: <a@example.org>\nSubject: x\n\nhi\n"),
            Detected::Mail(Format::Message)
        );
        assert_eq!(
            detect(b"\r\nX-Thing: 1\r\nFrom: a@example.org\r\n\r\nhi\r\n"),
            Detected::Mail(Format::Message)
        );
        assert_eq!(
            detect(b"\x01\x01\x01\x01\nFrom: a@example.org\n\nhi\n\x01\x01\x01\x01\n"),
            Detected::Mail(Format::Mmdf)
        );
        assert!(matches!(detect(b"{\"from\": \"a\"}"), Detected::NotMail(r) if r.contains("JSON")));
        assert!(
            matches!(detect(b"\x89PNG\r\n\x1a\n...."), Detected::NotMail(r) if r.contains("PNG"))
        );
        assert!(
            matches!(detect(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), Detected::NotMail(r) if r.contains("PGP"))
        );
        assert!(matches!(
            detect(b"Hello there,\nthis is text.\n"),
            Detected::NotMail(_)
        ));
        assert!(
            matches!(detect(b"Key: value\nOther: thing\n\nbody"), Detected::NotMail(r) if r.contains("no email header"))
        );
        assert!(matches!(detect(b""), Detected::NotMail(r) if r == "empty file"));
        assert_eq!(
            detect(b"\xef\xbb\xbfFrom: <a@example.org>\nSubject: bom\n\nx\n"),
            Detected::Mail(Format::Message)
        );
        assert_eq!(
            detect(b"From  : John <j@example.org>\r\nSubject     : obsolete\r\n\r\nx\r\n"),
            Detected::Mail(Format::Message)
        );
        assert_eq!(
            detect(b"29      \nSubject: emlx\nFrom: a@example.org\n\nhi\n<?xml version"),
            Detected::Mail(Format::Emlx)
        );
        // A body line that merely starts with "From " is not an mbox.
        assert!(matches!(
            detect(b"From the start we knew.\n"),
            Detected::NotMail(_)
        ));
    }
}
