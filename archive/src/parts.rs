//! The parts of a message a reader opens: its HTML body (for a sanitized
//! view), the images it embeds by `Content-ID`, and the bytes of each
//! attachment, numbered as [`crate::message::ParsedMessage::attachments`]
//! lists them.
//!
//! Parsing follows [`crate::message::parse_message`]: the same guarded
//! parse, the same repair of a Date header that swallowed the next line, and
//! the same rule for what is body and what is an attachment, so attachment
//! `n` here is attachment `n` in the catalog.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::message::{
    AttachmentInfo, ParsedMessage, attachment_info, decode_body_text, decoded_bytes,
    drop_iteratively, is_attachment_disposition, parse_guarded, patch_swallowed_lines,
};

/// An attachment with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    /// Name, type and size as the catalog lists them.
    pub info: AttachmentInfo,
    /// Its content, transfer encoding (base64, quoted-printable) removed;
    /// a nested message as its raw bytes.
    pub bytes: Vec<u8>,
}

/// An image a part of the message embeds by `Content-ID` (`cid:` URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The Content-ID without angle brackets.
    pub content_id: String,
    /// MIME type, lower case (`image/png`).
    pub content_type: String,
    /// Decoded bytes.
    pub bytes: Vec<u8>,
}

/// What [`parts`] finds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageParts {
    /// The HTML body parts, decoded to text and joined, unsanitized: `None`
    /// when the message has no HTML body.
    pub html: Option<String>,
    /// Images referenced by Content-ID.
    pub inline_images: Vec<InlineImage>,
    /// Every attachment, in catalog order.
    pub attachments: Vec<AttachmentData>,
}

/// Reads the HTML body, inline images and attachments of a raw message.
/// Never panics; a message mail-parser cannot read has none of them.
pub fn parts(raw: &[u8]) -> MessageParts {
    let mut scratch = ParsedMessage::default();
    let Some(message) = parse_guarded(raw, &mut scratch) else {
        return MessageParts::default();
    };
    let Some(mut patched) = patch_swallowed_lines(raw, &message) else {
        return collect(raw, &message);
    };
    drop_iteratively(message);
    for _ in 0..3 {
        let Some(message) = parse_guarded(&patched, &mut scratch) else {
            return MessageParts::default();
        };
        match patch_swallowed_lines(&patched, &message) {
            Some(again) => {
                drop_iteratively(message);
                patched = again;
            }
            None => return collect(&patched, &message),
        }
    }
    MessageParts::default()
}

fn collect(raw: &[u8], message: &Message<'_>) -> MessageParts {
    let mut out = MessageParts::default();
    let count = message.parts.len();
    let mut in_body = vec![false; count];
    for &id in message.text_body.iter().chain(&message.html_body) {
        if let Some(flag) = in_body.get_mut(id as usize) {
            *flag = true;
        }
    }
    let mut under_alternative = vec![false; count];
    let mut parent_is_digest = vec![false; count];
    for index in 0..count {
        if let PartType::Multipart(children) = &message.parts[index].body {
            let is_alternative = message.parts[index].is_content_type("multipart", "alternative");
            let is_digest = message.parts[index].is_content_type("multipart", "digest");
            let inherited = under_alternative[index];
            for &child in children {
                let child = child as usize;
                if child > index && child < count {
                    under_alternative[child] = inherited || is_alternative;
                    parent_is_digest[child] = is_digest;
                }
            }
        }
    }
    // As in `extract_body`: a lone text part is the body even where
    // mail-parser did not list it.
    if count == 1 && !is_attachment_disposition(&message.parts[0]) {
        let part = &message.parts[0];
        let multipart = part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
        let plain_like = match part.content_type() {
            None => true,
            Some(ct) => {
                multipart
                    || ct.ctype().eq_ignore_ascii_case("text")
                        && ct.subtype().is_none_or(|s| {
                            s.eq_ignore_ascii_case("plain") || s.eq_ignore_ascii_case("html")
                        })
            }
        };
        match &part.body {
            PartType::Text(_) | PartType::Html(_) if plain_like => in_body[0] = true,
            // A multipart without boundary: its body is read as text.
            PartType::Binary(_) | PartType::InlineBinary(_) if multipart => return out,
            _ => {}
        }
    }
    let mut fallbacks = Vec::new();
    let mut plain = false;
    let mut html_ids = Vec::new();
    for (index, part) in message.parts.iter().enumerate() {
        let body_part = in_body[index] && !is_attachment_disposition(part);
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Text(_) if body_part => plain = true,
            PartType::Html(_) if body_part => html_ids.push(index),
            _ => {
                out.attachments.push(attachment(
                    raw,
                    part,
                    parent_is_digest[index],
                    &mut fallbacks,
                ));
                if let Some(image) = inline_image(raw, part) {
                    out.inline_images.push(image);
                }
            }
        }
    }
    if plain {
        for &index in &html_ids {
            if !under_alternative[index] {
                out.attachments.push(attachment(
                    raw,
                    &message.parts[index],
                    false,
                    &mut fallbacks,
                ));
            }
        }
    }
    let mut html = String::new();
    for &index in &html_ids {
        let part = &message.parts[index];
        if let PartType::Html(text) = &part.body {
            let decoded = decode_body_text(raw, part, text.clone(), &mut fallbacks);
            html.push_str(&decoded);
            html.push('\n');
        }
    }
    if !html_ids.is_empty() {
        out.html = Some(html.replace('\0', ""));
    }
    out
}

fn attachment(
    raw: &[u8],
    part: &MessagePart<'_>,
    parent_is_digest: bool,
    fallbacks: &mut Vec<String>,
) -> AttachmentData {
    let info = attachment_info(raw, part, parent_is_digest, fallbacks);
    let bytes =
        match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.to_vec(),
            PartType::Text(text) | PartType::Html(text) => decoded_bytes(raw, part)
                .map_or_else(|| text.as_bytes().to_vec(), |b| b.into_owned()),
            PartType::Message(nested) => decoded_bytes(raw, part)
                .map_or_else(|| nested.raw_message.to_vec(), |b| b.into_owned()),
            PartType::Multipart(_) => Vec::new(),
        };
    AttachmentData { info, bytes }
}

fn inline_image(raw: &[u8], part: &MessagePart<'_>) -> Option<InlineImage> {
    let cid = part
        .content_id()?
        .trim()
        .trim_matches(['<', '>'])
        .to_string();
    let ct = part.content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("image") {
        return None;
    }
    let content_type = format!(
        "image/{}",
        ct.subtype().unwrap_or("octet-stream").to_ascii_lowercase()
    );
    let bytes = match &part.body {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.to_vec(),
        _ => decoded_bytes(raw, part)?.into_owned(),
    };
    Some(InlineImage {
        content_id: cid,
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse_message;

    fn check_same_attachments(raw: &[u8]) -> MessageParts {
        let p = parts(raw);
        let infos: Vec<AttachmentInfo> = p.attachments.iter().map(|a| a.info.clone()).collect();
        assert_eq!(infos, parse_message(raw).attachments);
        p
    }

    #[test]
    fn html_body_attachments_and_inline_images() {
        let raw = b"From: a@x.example\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nplain words\r\n--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html <img src=\"cid:logo@x\"> <img src=\"https://tracker.example/p.gif\"></p>\r\n--a--\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n--m\r\nContent-Type: application/pdf; name=\"../../etc/passwd.pdf\"\r\nContent-Disposition: attachment; filename=\"../../etc/passwd.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n";
        let p = check_same_attachments(raw);
        assert!(p.html.as_deref().unwrap().contains("tracker.example"));
        assert_eq!(p.inline_images.len(), 1);
        assert_eq!(p.inline_images[0].content_id, "logo@x");
        assert_eq!(p.inline_images[0].bytes, b"\x89PNG\r\n\x1a\n");
        assert_eq!(p.attachments.len(), 2);
        assert_eq!(p.attachments[1].bytes, b"%PDF-1.4\n");
    }

    #[test]
    fn plain_message_has_no_html_and_garbage_never_panics() {
        let p = check_same_attachments(b"From: a@x.example\nSubject: s\n\nhello\n");
        assert!(p.html.is_none());
        assert!(p.attachments.is_empty());
        for raw in [
            &b""[..],
            b"\xff\xfe",
            b"Content-Type: multipart/mixed\n\n--\n",
        ] {
            let _ = check_same_attachments(raw);
        }
    }

    #[test]
    fn html_only_message() {
        let p = check_same_attachments(
            b"From: a@x.example\nContent-Type: text/html; charset=utf-8\n\n<b>bold</b>\n",
        );
        assert!(p.html.unwrap().contains("<b>bold</b>"));
    }
}
