//! The parts of a message a reader opens: its HTML body (for a sanitized
//! view), the images it embeds by `Content-ID`, and the bytes of each
//! attachment, numbered as [`crate::message::ParsedMessage::attachments`]
//! lists them.
//!
//! It is [`crate::message::parse_message_with_attachments`] seen from a
//! reader's side, so attachment `n` here is attachment `n` in the catalog.

use crate::message::{AttachmentInfo, parse_message_with_attachments};

pub use crate::message::InlineImage;

/// An attachment with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    /// Name, type and size as the catalog lists them.
    pub info: AttachmentInfo,
    /// Its content, transfer encoding (base64, quoted-printable) removed;
    /// a nested message as its raw bytes.
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

/// Reads the HTML body, inline images and attachments of a raw message
/// (one parse, by [`parse_message_with_attachments`]). Never panics; a
/// message mail-parser cannot read has none of them.
pub fn parts(raw: &[u8]) -> MessageParts {
    let m = parse_message_with_attachments(raw);
    MessageParts {
        html: m.html_source,
        inline_images: m.inline_images,
        attachments: m
            .attachments
            .into_iter()
            .zip(m.attachment_contents)
            .map(|(info, content)| AttachmentData {
                info,
                bytes: content.bytes().to_vec(),
            })
            .collect(),
    }
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
