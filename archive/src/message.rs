//! Parsing a raw message into the metadata the catalog keeps and the decoded
//! text the index needs.
//!
//! Parsing never fails: a message mail-parser cannot read is still stored raw;
//! [`ParsedMessage::parse_ok`] is then false and [`ParsedMessage::warnings`]
//! says why.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

use mail_parser::decoders::charsets::DecoderFnc;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    DateTime, Encoding, Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart,
    MimeHeaders, PartType,
};
use serde::{Deserialize, Serialize};

/// A postal address as written in a header: display name and address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Display name, decoded (RFC 2047), if any.
    pub name: Option<String>,
    /// The address (`local@domain`), if any.
    pub address: Option<String>,
}

/// A message's Date header resolved to an instant and its original zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDate {
    /// Seconds since the Unix epoch, UTC. Clamped to years 1000..=9999.
    pub utc: i64,
    /// The zone offset written in the header, in seconds east of UTC.
    pub offset_secs: i32,
}

/// An attachment (a part that is not the message's own text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// File name (RFC 2231 / RFC 2047 decoded), if any.
    pub name: Option<String>,
    /// MIME type, lower case (`application/pdf`).
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
}

/// Everything mailcite reads out of one message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedMessage {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The Date header, resolved.
    pub date: Option<MessageDate>,
    /// The Date header as written.
    pub date_raw: Option<String>,
    /// From addresses.
    pub from: Vec<Address>,
    /// To addresses.
    pub to: Vec<Address>,
    /// Cc addresses.
    pub cc: Vec<Address>,
    /// Bcc addresses.
    pub bcc: Vec<Address>,
    /// Reply-To addresses.
    pub reply_to: Vec<Address>,
    /// Subject, decoded.
    pub subject: Option<String>,
    /// In-Reply-To Message-IDs, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References Message-IDs, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// Attachments.
    pub attachments: Vec<AttachmentInfo>,
    /// The message's text: its text/plain parts decoded, or its HTML parts
    /// converted to text when it has no plain part.
    pub text: String,
    /// Charsets that had to be guessed, each once:
    /// `undeclared:utf-8` / `undeclared:windows-1252` (8-bit text without a
    /// charset, in a body part or raw in a header: UTF-8 when valid, else
    /// windows-1252), `undeclared:iso-2022-jp` (escape sequences without a
    /// charset), `unknown:<label>` (a label no decoder knows, read like
    /// undeclared text), `mislabeled:us-ascii` (8-bit bytes in a part
    /// declared US-ASCII: UTF-8 when valid, else windows-1252),
    /// `invalid:utf-8` (a UTF-8 part with invalid bytes, read as
    /// windows-1252).
    pub charset_fallbacks: Vec<String>,
    /// Problems found while parsing.
    pub warnings: Vec<String>,
    /// False when mail-parser could not parse the message at all.
    pub parse_ok: bool,
    /// When the first mail server saw the message: the bottom-most dated
    /// `Received:` header, Unix seconds UTC (see [`crate::received`]).
    #[serde(default)]
    pub first_received: Option<i64>,
    /// The decoded content of each attachment, in the order of
    /// [`ParsedMessage::attachments`]; filled only by
    /// [`parse_message_with_attachments`].
    #[serde(skip)]
    pub attachment_contents: Vec<AttachmentContent>,
    /// The HTML body as written (decoded, unsanitized), when the message has
    /// one; filled only by [`parse_message_with_attachments`].
    #[serde(skip)]
    pub html_source: Option<String>,
    /// Images the message embeds by Content-ID; filled only by
    /// [`parse_message_with_attachments`].
    #[serde(skip)]
    pub inline_images: Vec<InlineImage>,
    #[serde(skip)]
    collect_attachments: bool,
}

/// The content of one attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentContent {
    /// Decoded bytes (base64 and quoted-printable undone).
    Bytes(Vec<u8>),
    /// A text or HTML part: its decoded bytes, and its text decoded by its
    /// charset (HTML as written, not converted).
    Text {
        /// Transfer-decoded bytes, in the part's own charset.
        bytes: Vec<u8>,
        /// The text.
        text: String,
    },
    /// An attached message (`message/rfc822`): its raw bytes.
    Message(Vec<u8>),
    /// Nothing could be decoded.
    Unavailable,
}

impl AttachmentContent {
    /// The bytes to save or download: transfer encoding removed, otherwise
    /// as sent; an attached message as its raw bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            AttachmentContent::Bytes(b) | AttachmentContent::Message(b) => b,
            AttachmentContent::Text { bytes, .. } => bytes,
            AttachmentContent::Unavailable => &[],
        }
    }
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

/// One parser for every message: `MessageParser::default()` holds no state
/// between calls and building it allocates.
static PARSER: LazyLock<MessageParser> = LazyLock::new(MessageParser::default);

/// Parses raw message bytes. Never panics, never fails: returns
/// `parse_ok=false` with a warning when mail-parser returns `None`.
///
/// Headers come from the top-level message only; nested `message/rfc822`
/// parts are listed in [`ParsedMessage::attachments`] and contribute no text.
pub fn parse_message(raw: &[u8]) -> ParsedMessage {
    parse_inner(raw, false)
}

/// [`parse_message`], also keeping the decoded content of every attachment
/// in [`ParsedMessage::attachment_contents`] (for text extraction).
pub fn parse_message_with_attachments(raw: &[u8]) -> ParsedMessage {
    let mut m = parse_inner(raw, true);
    m.attachment_contents
        .resize(m.attachments.len(), AttachmentContent::Unavailable);
    m.attachment_contents.truncate(m.attachments.len());
    m
}

fn parse_inner(raw: &[u8], collect_attachments: bool) -> ParsedMessage {
    let mut out = ParsedMessage {
        first_received: crate::received::first_hop_time(&crate::received::hops(raw)).map(|d| d.utc),
        collect_attachments,
        ..ParsedMessage::default()
    };
    let Some(message) = parse_guarded(raw, &mut out) else {
        return out;
    };
    let Some(patched) = patch_swallowed_lines(raw, &message) else {
        return finish(raw, message, out);
    };
    drop_iteratively(message);
    // Rare path: parse a patched copy (see `patch_swallowed_lines`).
    let mut patched = patched;
    for _ in 0..3 {
        let Some(message) = parse_guarded(&patched, &mut out) else {
            return out;
        };
        match patch_swallowed_lines(&patched, &message) {
            Some(again) => {
                drop_iteratively(message);
                patched = again;
            }
            None => return finish(&patched, message, out),
        }
    }
    out.warnings
        .push("Date header could not be separated from the next line".into());
    out
}

/// Runs mail-parser, containing a panic (mail-parser documents that it
/// never panics, but it has `debug_assert!`s and offset arithmetic that
/// hostile input might reach). `None` (with a warning) when it gives no
/// message.
fn parse_guarded<'x>(raw: &'x [u8], out: &mut ParsedMessage) -> Option<Message<'x>> {
    match catch_unwind(AssertUnwindSafe(|| PARSER.parse(raw))) {
        Ok(Some(message)) => Some(message),
        Ok(None) => {
            out.warnings.push(if raw.is_empty() {
                "empty message".to_string()
            } else {
                "mail-parser found no header in the message; stored raw only".to_string()
            });
            None
        }
        Err(_) => {
            out.warnings
                .push("mail-parser panicked on the message; stored raw only".to_string());
            None
        }
    }
}

/// Extracts the fields of a parsed message into `out`.
fn finish(raw: &[u8], mut message: Message<'_>, mut out: ParsedMessage) -> ParsedMessage {
    out.parse_ok = true;
    if catch_unwind(AssertUnwindSafe(|| extract(raw, &mut message, &mut out))).is_err() {
        out.warnings.push(
            "internal error while reading the parsed message; fields may be incomplete".into(),
        );
    }
    drop_iteratively(message);
    out
}

/// mail-parser 0.11.9 reads a single-letter zone (`... 10:00:00 Z`,
/// military zones) as three bytes: the line end after it is swallowed and
/// the next header line (or the blank line before the body) becomes part of
/// the Date. When a Date or Resent-Date span holds a line break that is not
/// folding, returns a copy of `raw` with two spaces inserted before that
/// line end, which mail-parser then reads correctly. The spaces are trimmed
/// from `date_raw`.
fn patch_swallowed_lines(raw: &[u8], message: &Message<'_>) -> Option<Vec<u8>> {
    let root = message.parts.first()?;
    let mut inserts = Vec::new();
    for header in &root.headers {
        if !matches!(header.name, HeaderName::Date | HeaderName::ResentDate) {
            continue;
        }
        let start = header.offset_start as usize;
        let span = header_raw(raw, header);
        let swallowed = span.iter().enumerate().find_map(|(i, &c)| {
            (c == b'\n' && span.get(i + 1).is_some_and(|&n| n != b' ' && n != b'\t')).then_some(i)
        });
        if let Some(i) = swallowed {
            let mut at = start + i;
            if at > 0 && raw[at - 1] == b'\r' {
                at -= 1;
            }
            inserts.push(at);
        }
    }
    if inserts.is_empty() {
        return None;
    }
    inserts.sort_unstable();
    let mut patched = Vec::with_capacity(raw.len() + 2 * inserts.len());
    let mut copied = 0;
    for at in inserts {
        patched.extend_from_slice(&raw[copied..at]);
        patched.extend_from_slice(b"  ");
        copied = at;
    }
    patched.extend_from_slice(&raw[copied..]);
    Some(patched)
}

/// Drops a parsed message without recursion: nested `message/rfc822` parts
/// form a tree as deep as the input's nesting, and the derived `Drop` would
/// recurse once per level (a few thousand levels fit in a megabyte).
fn drop_iteratively(message: Message<'_>) {
    let mut stack = vec![message];
    while let Some(mut message) = stack.pop() {
        for part in &mut message.parts {
            if let PartType::Message(inner) = &mut part.body {
                stack.push(std::mem::take(inner));
            }
        }
    }
}

/// Reads everything mailcite keeps out of a parsed top-level message.
fn extract(raw: &[u8], message: &mut Message<'_>, out: &mut ParsedMessage) {
    let mut fallbacks = Vec::new();
    let Some(root) = message.parts.first() else {
        return;
    };

    let mut date_mp: Option<DateTime> = None;
    for header in &root.headers {
        let hraw = header_raw(raw, header);
        match header.name {
            HeaderName::Subject if out.subject.is_none() => {
                let fixed = reparse_header(hraw, Reparse::Unstructured, &mut fallbacks);
                let value = fixed.as_ref().unwrap_or(&header.value);
                out.subject = Some(strip_nul(header_text(value)));
            }
            HeaderName::From => push_addresses(hraw, header, &mut out.from, &mut fallbacks),
            HeaderName::To => push_addresses(hraw, header, &mut out.to, &mut fallbacks),
            HeaderName::Cc => push_addresses(hraw, header, &mut out.cc, &mut fallbacks),
            HeaderName::Bcc => push_addresses(hraw, header, &mut out.bcc, &mut fallbacks),
            HeaderName::ReplyTo => push_addresses(hraw, header, &mut out.reply_to, &mut fallbacks),
            HeaderName::Date if out.date_raw.is_none() => {
                out.date_raw = Some(unfold(&decode_header_bytes(hraw)));
                date_mp = header.value.as_datetime().copied();
            }
            HeaderName::MessageId if out.message_id.is_none() => {
                let mut ids = Vec::new();
                push_ids(hraw, header, &mut ids, &mut fallbacks);
                out.message_id = ids.into_iter().next();
            }
            HeaderName::InReplyTo => push_ids(hraw, header, &mut out.in_reply_to, &mut fallbacks),
            HeaderName::References => push_ids(hraw, header, &mut out.references, &mut fallbacks),
            _ => {}
        }
    }

    if let Some(date_raw) = &out.date_raw {
        out.date = resolve_date(date_raw, date_mp.as_ref(), &mut out.warnings);
    }

    extract_body(raw, message, out, &mut fallbacks);

    for fallback in fallbacks {
        if !out.charset_fallbacks.contains(&fallback) {
            out.charset_fallbacks.push(fallback);
        }
    }
}

/// Fills `text`, `attachments` and part warnings from the top-level parts.
fn extract_body(
    raw: &[u8],
    message: &mut Message<'_>,
    out: &mut ParsedMessage,
    fallbacks: &mut Vec<String>,
) {
    let count = message.parts.len();
    let mut in_body = vec![false; count];
    for &id in message.text_body.iter().chain(&message.html_body) {
        if let Some(flag) = in_body.get_mut(id as usize) {
            *flag = true;
        }
    }

    // Parents precede their children in `parts`: one pass gives each part's
    // parent type.
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

    // A message with a single text part is its own body even where
    // mail-parser did not list it (no body, or a multipart without boundary).
    if count == 1 && !is_attachment_disposition(&message.parts[0]) {
        let part = &message.parts[0];
        let plain_like = match part.content_type() {
            None => true,
            Some(ct) => {
                ct.ctype().eq_ignore_ascii_case("multipart")
                    || ct.ctype().eq_ignore_ascii_case("text")
                        && ct.subtype().is_none_or(|s| {
                            s.eq_ignore_ascii_case("plain") || s.eq_ignore_ascii_case("html")
                        })
            }
        };
        let is_multipart = part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
        match &part.body {
            PartType::Text(_) | PartType::Html(_) if plain_like => {
                if is_multipart {
                    out.warnings.push(
                        "multipart message without a usable boundary: body read as text".into(),
                    );
                }
                in_body[0] = true;
            }
            // `multipart/*` with no boundary parameter at all: mail-parser
            // keeps the body as binary.
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) if is_multipart => {
                out.warnings
                    .push("multipart message without a boundary: body read as text".into());
                let text = match std::str::from_utf8(bytes) {
                    Ok(text) => {
                        if !text.is_ascii() {
                            note(fallbacks, "undeclared:utf-8");
                        }
                        text.to_string()
                    }
                    Err(_) => {
                        note(fallbacks, "undeclared:windows-1252");
                        decode_cp1252(bytes)
                    }
                };
                out.text = strip_nul(text);
                return;
            }
            _ => {}
        }
    }

    let mut plain_ids = Vec::new();
    let mut html_ids = Vec::new();
    for (index, part) in message.parts.iter().enumerate() {
        if part.is_encoding_problem
            && part.offset_end > part.offset_body
            && !matches!(part.body, PartType::Multipart(_))
        {
            out.warnings.push(format!(
                "part {index}: content could not be decoded as declared; kept as is"
            ));
        }
        let body_part = in_body[index] && !is_attachment_disposition(part);
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Text(_) if body_part => plain_ids.push(index),
            PartType::Html(_) if body_part => html_ids.push(index),
            _ => {
                out.attachments.push(attachment_info(
                    raw,
                    part,
                    parent_is_digest[index],
                    fallbacks,
                ));
                if out.collect_attachments {
                    out.attachment_contents.push(attachment_content(raw, part));
                    if let Some(image) = inline_image(raw, part) {
                        out.inline_images.push(image);
                    }
                }
            }
        }
    }
    if out.collect_attachments && !html_ids.is_empty() {
        // The HTML body as written, for a sanitized view.
        let mut scratch = Vec::new();
        let mut html = String::new();
        for &index in &html_ids {
            let part = &message.parts[index];
            if let PartType::Html(text) = &part.body {
                html.push_str(&decode_body_text(raw, part, text.clone(), &mut scratch));
                html.push('\n');
            }
        }
        out.html_source = Some(html.replace('\0', ""));
    }

    // HTML bodies that are not an alternative of the plain text (e.g. an
    // inline HTML part next to a plain one in multipart/mixed) would
    // otherwise vanish: list them.
    if !plain_ids.is_empty() {
        for &index in &html_ids {
            if !under_alternative[index] {
                let part = &message.parts[index];
                out.attachments
                    .push(attachment_info(raw, part, false, fallbacks));
                if out.collect_attachments {
                    out.attachment_contents.push(attachment_content(raw, part));
                }
            }
        }
    }

    let (ids, is_html) = if plain_ids.is_empty() {
        (html_ids, true)
    } else {
        (plain_ids, false)
    };
    let mut text = String::new();
    for index in ids {
        let part = &mut message.parts[index];
        let body = match &mut part.body {
            PartType::Text(t) | PartType::Html(t) => std::mem::take(t),
            _ => continue,
        };
        let decoded = decode_body_text(raw, part, body, fallbacks);
        let decoded = if is_html {
            html_to_text(&decoded)
        } else {
            decoded
        };
        if text.is_empty() {
            text = decoded;
        } else {
            let trimmed = text.trim_end_matches(['\r', '\n']).len();
            text.truncate(trimmed);
            text.push_str("\n\n");
            text.push_str(&decoded);
        }
    }
    out.text = strip_nul(text);
}

/// True when the part says `Content-Disposition: attachment`.
fn is_attachment_disposition(part: &MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|cd| cd.is_attachment())
}

/// The content of a part that is not body text.
fn attachment_content(raw: &[u8], part: &MessagePart<'_>) -> AttachmentContent {
    match &part.body {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            AttachmentContent::Bytes(bytes.to_vec())
        }
        PartType::Text(text) | PartType::Html(text) => AttachmentContent::Text {
            bytes: decoded_bytes(raw, part)
                .map_or_else(|| text.as_bytes().to_vec(), |b| b.into_owned()),
            text: text.to_string(),
        },
        PartType::Message(nested) => AttachmentContent::Message(
            decoded_bytes(raw, part)
                .map_or_else(|| nested.raw_message.to_vec(), |b| b.into_owned()),
        ),
        PartType::Multipart(_) => AttachmentContent::Unavailable,
    }
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

/// Describes a part that is not body text.
fn attachment_info(
    raw: &[u8],
    part: &MessagePart<'_>,
    parent_is_digest: bool,
    fallbacks: &mut Vec<String>,
) -> AttachmentInfo {
    let content_type = match part.content_type() {
        Some(ct) => {
            let mut value = ct.ctype().to_ascii_lowercase();
            if let Some(subtype) = ct.subtype() {
                value.push('/');
                value.push_str(&subtype.to_ascii_lowercase());
            }
            value
        }
        None if parent_is_digest || matches!(part.body, PartType::Message(_)) => {
            "message/rfc822".to_string()
        }
        None => "text/plain".to_string(),
    };
    let size = match &part.body {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.len(),
        PartType::Text(text) | PartType::Html(text) => {
            decoded_bytes(raw, part).map_or(text.len(), |bytes| bytes.len())
        }
        PartType::Message(nested) => {
            if part.encoding == Encoding::None {
                (part.offset_end as usize).saturating_sub(part.offset_body as usize)
            } else {
                nested.raw_message.len()
            }
        }
        PartType::Multipart(_) => 0,
    };
    AttachmentInfo {
        name: part_name(raw, part, fallbacks),
        content_type,
        size: size as u64,
    }
}

/// The part's file name (`Content-Disposition` `filename`, else
/// `Content-Type` `name`), with charset and RFC 2231 repairs.
fn part_name(raw: &[u8], part: &MessagePart<'_>, fallbacks: &mut Vec<String>) -> Option<String> {
    for (name, param) in [
        (HeaderName::ContentDisposition, "filename"),
        (HeaderName::ContentType, "name"),
    ] {
        let Some(header) = part.headers.iter().rev().find(|h| h.name == name) else {
            continue;
        };
        let hraw = header_raw(raw, header);
        let mut value: Option<String> = header
            .value
            .as_content_type()
            .and_then(|ct| ct.attribute(param))
            .map(str::to_string);
        if let Some(fixed) = reparse_header(hraw, Reparse::ContentType, fallbacks) {
            value = fixed
                .as_content_type()
                .and_then(|ct| ct.attribute(param))
                .map(str::to_string);
        }
        // mail-parser decodes each RFC 2231 segment on its own: a UTF-8
        // sequence split across `filename*0*` / `filename*1*` comes out as
        // U+FFFD. Join the segments' bytes first, then decode.
        if value.as_deref().is_none_or(|v| v.contains('\u{FFFD}'))
            && let Some(joined) = rfc2231_parameter(&decode_header_bytes(hraw), param)
        {
            value = Some(joined);
        }
        if let Some(value) = value {
            return Some(strip_nul(value));
        }
    }
    None
}

/// The raw bytes of a header's value (after the colon, up to and including
/// the line end), as found in the message.
fn header_raw<'a>(raw: &'a [u8], header: &Header<'_>) -> &'a [u8] {
    raw.get(header.offset_start as usize..header.offset_end as usize)
        .unwrap_or_default()
}

/// A header value as text: unstructured text, or the items of a list joined
/// by spaces.
fn header_text(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Text(text) => text.to_string(),
        HeaderValue::TextList(list) => list.join(" "),
        _ => String::new(),
    }
}

/// Appends the addresses of an address header, groups flattened.
fn push_addresses(
    hraw: &[u8],
    header: &Header<'_>,
    into: &mut Vec<Address>,
    fallbacks: &mut Vec<String>,
) {
    let fixed = reparse_header(hraw, Reparse::Address, fallbacks);
    let value = fixed.as_ref().unwrap_or(&header.value);
    let convert = |addr: &mail_parser::Addr<'_>| Address {
        name: addr
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| strip_nul(n.to_string())),
        address: addr
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| strip_nul(a.to_string())),
    };
    match value {
        HeaderValue::Address(mail_parser::Address::List(list)) => {
            into.extend(list.iter().map(convert));
        }
        HeaderValue::Address(mail_parser::Address::Group(groups)) => {
            into.extend(groups.iter().flat_map(|g| g.addresses.iter()).map(convert));
        }
        _ => {}
    }
}

/// Appends the Message-IDs of an ID header (mail-parser strips the brackets).
fn push_ids(hraw: &[u8], header: &Header<'_>, into: &mut Vec<String>, fallbacks: &mut Vec<String>) {
    let fixed = reparse_header(hraw, Reparse::Id, fallbacks);
    let value = fixed.as_ref().unwrap_or(&header.value);
    let mut push = |id: &str| {
        let id = id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if !id.is_empty() {
            into.push(strip_nul(id.to_string()));
        }
    };
    match value {
        HeaderValue::Text(id) => push(id),
        HeaderValue::TextList(ids) => ids.iter().for_each(|id| push(id)),
        _ => {}
    }
}

/// Removes NUL characters without copying when there are none.
fn strip_nul(mut text: String) -> String {
    if text.contains('\0') {
        text.retain(|c| c != '\0');
    }
    text
}

/// Unfolds a header value (line breaks removed, the folding white space
/// kept) and trims it.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    out.extend(value.chars().filter(|&c| c != '\r' && c != '\n'));
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

// ---------------------------------------------------------------------------
// Charsets
// ---------------------------------------------------------------------------

/// Which mail-parser field parser to run again on a repaired header.
#[derive(Clone, Copy)]
enum Reparse {
    Unstructured,
    Address,
    Id,
    ContentType,
}

/// Repairs what mail-parser does to header bytes it cannot place:
///
/// * raw 8-bit bytes (not RFC 2047): mail-parser reads them as UTF-8 and
///   turns invalid sequences into U+FFFD. Valid UTF-8 is kept (recorded as
///   `undeclared:utf-8`); anything else is read as windows-1252
///   (`undeclared:windows-1252`) and the header parsed again;
/// * RFC 2047 words with a charset mail-parser does not know
///   (`=?unknown-8bit?Q?...?=`): mail-parser decodes them as lossy UTF-8.
///   The label is replaced by `utf-8` when the decoded bytes are valid UTF-8,
///   else by `windows-1252`, and recorded as `unknown:<label>`.
///
/// Returns `None` when mail-parser's value can be used as is.
fn reparse_header(
    hraw: &[u8],
    kind: Reparse,
    fallbacks: &mut Vec<String>,
) -> Option<HeaderValue<'static>> {
    let mut repaired: Option<Vec<u8>> = None;
    if !hraw.is_ascii() {
        if std::str::from_utf8(hraw).is_ok() {
            note(fallbacks, "undeclared:utf-8");
        } else {
            note(fallbacks, "undeclared:windows-1252");
            repaired = Some(decode_cp1252(hraw).into_bytes());
        }
    }
    let current = repaired.as_deref().unwrap_or(hraw);
    if find(current, b"=?", 0).is_some()
        && let Some(fixed) = fix_encoded_word_charsets(current, fallbacks)
    {
        repaired = Some(fixed);
    }
    let bytes = repaired?;
    let mut stream = MessageStream::new(&bytes);
    let value = match kind {
        Reparse::Unstructured => stream.parse_unstructured(),
        Reparse::Address => stream.parse_address(),
        Reparse::Id => stream.parse_id(),
        Reparse::ContentType => stream.parse_content_type(),
    };
    Some(value.into_owned())
}

/// Rewrites RFC 2047 encoded words whose charset label mail-parser does not
/// know; `None` when there is none.
fn fix_encoded_word_charsets(bytes: &[u8], fallbacks: &mut Vec<String>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut copied = 0;
    let mut pos = 0;
    while let Some(start) = find(bytes, b"=?", pos) {
        pos = start + 2;
        let label_start = start + 2;
        let Some(label_len) = bytes[label_start..]
            .iter()
            .take(80)
            .position(|&c| c == b'?' || c.is_ascii_whitespace())
        else {
            continue;
        };
        let label_end = label_start + label_len;
        let (Some(&b'?'), Some(&encoding), Some(&b'?')) = (
            bytes.get(label_end),
            bytes.get(label_end + 1),
            bytes.get(label_end + 2),
        ) else {
            continue;
        };
        if !matches!(encoding, b'b' | b'B' | b'q' | b'Q') || label_len == 0 {
            continue;
        }
        let data_start = label_end + 3;
        let Some(data_end) = find(bytes, b"?=", data_start) else {
            continue;
        };
        pos = data_end + 2;
        let full_label = &bytes[label_start..label_end];
        // RFC 2231 section 5: `charset*language`.
        let label = full_label
            .split(|&c| c == b'*')
            .next()
            .unwrap_or(full_label);
        if is_known_charset(label) {
            continue;
        }
        let payload = &bytes[data_start..data_end];
        let decoded = if encoding.eq_ignore_ascii_case(&b'b') {
            mail_parser::decoders::base64::base64_decode(payload)
        } else {
            Some(decode_q(payload))
        };
        let replacement: &[u8] = match decoded {
            Some(d) if std::str::from_utf8(&d).is_ok() => b"utf-8",
            _ => b"windows-1252",
        };
        note(fallbacks, &format!("unknown:{}", label_for_record(label)));
        out.extend_from_slice(&bytes[copied..label_start]);
        out.extend_from_slice(replacement);
        copied = label_end;
    }
    if copied == 0 {
        return None;
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

/// Decodes the RFC 2047 "Q" encoding.
fn decode_q(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'_' => out.push(b' '),
            b'=' if data.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && data.get(i + 2).is_some_and(u8::is_ascii_hexdigit) =>
            {
                out.push(hex_value(data[i + 1]) << 4 | hex_value(data[i + 2]));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The value of one hexadecimal digit.
fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Position of `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut pos = from;
    while pos + needle.len() <= haystack.len() {
        let offset = haystack[pos..].iter().position(|&c| c == first)?;
        pos += offset;
        if haystack.get(pos..pos + needle.len()) == Some(needle) {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// Records a charset fallback once.
fn note(fallbacks: &mut Vec<String>, what: &str) {
    if !fallbacks.iter().any(|f| f == what) {
        fallbacks.push(what.to_string());
    }
}

/// A charset label as it may appear in a record: lower case, printable
/// ASCII, at most 40 characters.
fn label_for_record(label: &[u8]) -> String {
    label
        .iter()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .map(|c| c.to_ascii_lowercase() as char)
        .collect()
}

/// Labels of UTF-8, which mail-parser's charset table leaves out (it decodes
/// UTF-8 when it finds no decoder).
fn is_utf8_label(label: &[u8]) -> bool {
    [
        &b"utf-8"[..],
        b"utf8",
        b"utf_8",
        b"unicode-1-1-utf-8",
        b"unicode11utf8",
        b"unicode20utf8",
        b"x-unicode20utf8",
    ]
    .iter()
    .any(|l| l.eq_ignore_ascii_case(label))
}

/// Labels of US-ASCII (mail-parser decodes them as windows-1252).
fn is_us_ascii_label(label: &[u8]) -> bool {
    [
        &b"us-ascii"[..],
        b"us_ascii",
        b"ascii",
        b"ansi_x3.4-1968",
        b"ansi_x3.4-1986",
        b"iso646-us",
        b"iso-ir-6",
        b"csascii",
        b"us",
    ]
    .iter()
    .any(|l| l.eq_ignore_ascii_case(label))
}

/// True when mail-parser decodes this label (UTF-8 included).
fn is_known_charset(label: &[u8]) -> bool {
    !label.is_empty() && (is_utf8_label(label) || charset_decoder(label).is_some())
}

/// windows-1252 for bytes 0x80..=0x9F; the five bytes it leaves undefined
/// map to the C1 control of the same value (as in the WHATWG encoding
/// standard), so that the original bytes can always be recovered.
const CP1252_HIGH: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Decodes bytes as windows-1252; every byte maps to one character.
fn decode_cp1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for &byte in bytes {
        out.push(match byte {
            0x80..=0x9f => CP1252_HIGH[usize::from(byte - 0x80)],
            _ => char::from(byte),
        });
    }
    out
}

/// Decodes header bytes as UTF-8 when valid, else as windows-1252.
fn decode_header_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(decode_cp1252(bytes)),
    }
}

/// Decodes UTF-8 with the invalid bytes read as windows-1252 (mixed
/// encodings, e.g. a Latin-1 footer appended to a UTF-8 body).
fn decode_utf8_or_cp1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push_str(&decode_cp1252(chunk.invalid()));
        }
    }
    out
}

/// The charset parameter of a text part, as mailcite treats it.
enum Charset {
    /// No charset parameter.
    Undeclared,
    /// A UTF-8 label.
    Utf8,
    /// A US-ASCII label.
    UsAscii,
    /// A label mail-parser decoded correctly.
    Known,
    /// A label mail-parser did not know as written but knows once cleaned
    /// (quotes, spaces, a trailing `;`): decode again with it.
    Cleaned(DecoderFnc),
    /// A label nobody knows.
    Unknown(String),
}

/// Classifies a charset parameter.
fn classify_charset(label: Option<&str>) -> Charset {
    let Some(label) = label else {
        return Charset::Undeclared;
    };
    let cleaned = label.trim_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';'));
    if cleaned.is_empty() {
        return Charset::Undeclared;
    }
    let bytes = cleaned.as_bytes();
    if is_utf8_label(bytes) {
        Charset::Utf8
    } else if is_us_ascii_label(bytes) {
        Charset::UsAscii
    } else if let Some(decoder) = charset_decoder(bytes) {
        if cleaned.len() == label.len() {
            Charset::Known
        } else {
            Charset::Cleaned(decoder)
        }
    } else {
        Charset::Unknown(label_for_record(bytes))
    }
}

/// The transfer-decoded bytes of a top-level part (what mail-parser handed
/// to its charset decoder), or `None` when they cannot be rebuilt.
fn decoded_bytes<'a>(raw: &'a [u8], part: &MessagePart<'_>) -> Option<Cow<'a, [u8]>> {
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    let (end, bytes) = match part.encoding {
        Encoding::None => return Some(Cow::Borrowed(body)),
        Encoding::Base64 => MessageStream::new(body).decode_base64_mime(b""),
        Encoding::QuotedPrintable => MessageStream::new(body).decode_quoted_printable_mime(b""),
    };
    (end != usize::MAX).then(|| Cow::Owned(bytes.into_owned()))
}

/// Repairs the text mail-parser decoded for a body part, recording any
/// charset that had to be guessed (see the crate docs of
/// [`ParsedMessage::charset_fallbacks`]).
fn decode_body_text(
    raw: &[u8],
    part: &MessagePart<'_>,
    text: Cow<'_, str>,
    fallbacks: &mut Vec<String>,
) -> String {
    let is_html = matches!(part.body, PartType::Html(_)) || part.is_content_type("text", "html");
    let label = part.content_type().and_then(|ct| ct.attribute("charset"));
    match classify_charset(label) {
        Charset::Known => text.into_owned(),
        Charset::Cleaned(decoder) => match decoded_bytes(raw, part) {
            Some(bytes) => decoder(&bytes),
            None => text.into_owned(),
        },
        Charset::Utf8 => {
            if !text.contains('\u{FFFD}') {
                return text.into_owned();
            }
            match decoded_bytes(raw, part) {
                Some(bytes) if std::str::from_utf8(&bytes).is_err() => {
                    note(fallbacks, "invalid:utf-8");
                    decode_utf8_or_cp1252(&bytes)
                }
                _ => text.into_owned(),
            }
        }
        Charset::UsAscii => {
            if text.is_ascii() {
                return text.into_owned();
            }
            // 8-bit bytes in a part that says US-ASCII: mail-parser read them
            // as windows-1252; UTF-8 is likelier when they are valid UTF-8.
            note(fallbacks, "mislabeled:us-ascii");
            match decoded_bytes(raw, part) {
                Some(bytes) => match String::from_utf8(bytes.into_owned()) {
                    Ok(utf8) => utf8,
                    Err(_) => text.into_owned(),
                },
                None => text.into_owned(),
            }
        }
        Charset::Undeclared => {
            if text.is_ascii() {
                if (text.contains("\x1b$B") || text.contains("\x1b$@"))
                    && let Some(decoder) = charset_decoder(b"iso-2022-jp")
                {
                    note(fallbacks, "undeclared:iso-2022-jp");
                    return decoder(text.as_bytes());
                }
                return text.into_owned();
            }
            undeclared_fallback(raw, part, text, is_html, "undeclared", fallbacks)
        }
        Charset::Unknown(label) => {
            note(fallbacks, &format!("unknown:{label}"));
            if text.is_ascii() {
                return text.into_owned();
            }
            undeclared_fallback(raw, part, text, is_html, "", fallbacks)
        }
    }
}

/// Text with no usable charset label: UTF-8 when valid, else the HTML's own
/// `<meta charset>`, else windows-1252. `record` is the prefix to record
/// (`undeclared`), or empty when the caller has recorded the fallback.
fn undeclared_fallback(
    raw: &[u8],
    part: &MessagePart<'_>,
    text: Cow<'_, str>,
    is_html: bool,
    record: &str,
    fallbacks: &mut Vec<String>,
) -> String {
    let utf8 = |fallbacks: &mut Vec<String>| {
        if !record.is_empty() {
            note(fallbacks, &format!("{record}:utf-8"));
        }
    };
    if !text.contains('\u{FFFD}') {
        // mail-parser read the bytes as UTF-8 without loss.
        utf8(fallbacks);
        return text.into_owned();
    }
    let Some(bytes) = decoded_bytes(raw, part) else {
        return text.into_owned();
    };
    if std::str::from_utf8(&bytes).is_ok() {
        utf8(fallbacks);
        return text.into_owned();
    }
    if is_html && let Some(decoder) = html_meta_charset(&bytes) {
        return decoder(&bytes);
    }
    if !record.is_empty() {
        note(fallbacks, &format!("{record}:windows-1252"));
    }
    decode_cp1252(&bytes)
}

/// The decoder named by an HTML document's `<meta charset=...>` (or
/// `http-equiv` content type) in its first 2 KB, if mail-parser knows it.
fn html_meta_charset(bytes: &[u8]) -> Option<DecoderFnc> {
    let head = &bytes[..bytes.len().min(2048)];
    let mut pos = 0;
    while let Some(start) = find_ignore_case(head, b"charset", pos) {
        pos = start + 7;
        let rest = &head[pos..];
        let rest = rest.strip_prefix(b"=").or_else(|| {
            let trimmed = rest.trim_ascii_start();
            trimmed.strip_prefix(b"=")
        });
        let Some(rest) = rest else { continue };
        let rest = rest.trim_ascii_start();
        let rest = rest
            .strip_prefix(b"\"")
            .or_else(|| rest.strip_prefix(b"'"))
            .unwrap_or(rest);
        let len = rest
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':')))
            .unwrap_or(rest.len());
        if len > 0 && !is_utf8_label(&rest[..len]) {
            return charset_decoder(&rest[..len]);
        }
    }
    None
}

/// Case-insensitive [`find`] for an ASCII needle.
fn find_ignore_case(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len())
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Reassembles an RFC 2231 parameter (`name*0*=utf-8''%E2%82; name*1*=%AC`)
/// from a raw `Content-Type` / `Content-Disposition` value: the segments'
/// bytes are joined before decoding. `None` when the parameter is not split
/// or not extended.
fn rfc2231_parameter(header: &str, param: &str) -> Option<String> {
    let mut segments: Vec<(u32, bool, String)> = Vec::new();
    for item in split_parameters(header) {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let Some(rest) = key
            .get(..param.len())
            .filter(|k| k.eq_ignore_ascii_case(param))
            .and_then(|_| key.get(param.len()..))
        else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('*') else {
            continue;
        };
        let (number, encoded) = match rest.strip_suffix('*') {
            Some(number) => (number, true),
            None => (rest, rest.is_empty()),
        };
        let number = if number.is_empty() {
            0
        } else {
            match number.parse::<u32>() {
                Ok(n) => n,
                Err(_) => continue,
            }
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .map(|v| v.strip_suffix('"').unwrap_or(v))
            .unwrap_or(value);
        segments.push((number, encoded, value.to_string()));
        if segments.len() > 1000 {
            break;
        }
    }
    if segments.is_empty() {
        return None;
    }
    segments.sort_by_key(|s| s.0);
    let mut charset: Option<String> = None;
    let mut bytes = Vec::new();
    for (index, (_, encoded, value)) in segments.iter().enumerate() {
        let mut value = value.as_str();
        if *encoded {
            if index == 0 {
                let mut pieces = value.splitn(3, '\'');
                if let (Some(cs), Some(_lang), Some(data)) =
                    (pieces.next(), pieces.next(), pieces.next())
                {
                    charset = Some(cs.to_string());
                    value = data;
                }
            }
            let data = value.as_bytes();
            let mut i = 0;
            while i < data.len() {
                if data[i] == b'%'
                    && data.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && data.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                {
                    bytes.push(hex_value(data[i + 1]) << 4 | hex_value(data[i + 2]));
                    i += 3;
                } else {
                    bytes.push(data[i]);
                    i += 1;
                }
            }
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    let decoder = charset
        .as_deref()
        .filter(|cs| !is_utf8_label(cs.as_bytes()))
        .and_then(|cs| charset_decoder(cs.as_bytes()));
    Some(match decoder {
        Some(decoder) => decoder(&bytes),
        None => decode_utf8_or_cp1252(&bytes),
    })
}

/// Splits a header value on `;` outside quoted strings.
fn split_parameters(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                items.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&value[start..]);
    items
}

// ---------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------

/// Converts an HTML body to plain text for display and indexing: tags,
/// comments, `<head>`, `<style>` and `<script>` dropped, entities decoded,
/// block elements on their own lines. A pure string transform: nothing is
/// fetched. Linear time, no recursion (safe on hostile nesting).
///
/// Uses mail-parser's converter (about ten times faster than html2text on
/// mail-sized documents), after marking block boundaries so that words in
/// adjacent blocks (`<div>a</div><div>b</div>`) stay apart.
pub fn html_to_text(html: &str) -> String {
    let marked = mark_block_boundaries(html);
    let text = mail_parser::decoders::html::html_to_text(&marked);
    tidy_lines(&text)
}

/// Inserts `<br>` before block-level tags and a space before table cells.
fn mark_block_boundaries(html: &str) -> Cow<'_, str> {
    const BLOCKS: &[&[u8]] = &[
        b"p",
        b"div",
        b"tr",
        b"li",
        b"ul",
        b"ol",
        b"dl",
        b"dt",
        b"dd",
        b"table",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"blockquote",
        b"pre",
        b"hr",
        b"section",
        b"article",
        b"header",
        b"footer",
        b"address",
        b"aside",
        b"nav",
        b"main",
        b"figure",
        b"figcaption",
        b"form",
        b"fieldset",
        b"center",
        b"tbody",
        b"thead",
        b"tfoot",
        b"caption",
    ];
    const CELLS: &[&[u8]] = &[b"td", b"th"];
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut pos = 0;
    while let Some(offset) = bytes[pos..].iter().position(|&c| c == b'<') {
        let start = pos + offset;
        pos = start + 1;
        let mut name_start = start + 1;
        if bytes.get(name_start) == Some(&b'/') {
            name_start += 1;
        }
        let name_end = bytes[name_start..]
            .iter()
            .take(12)
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(bytes.len().min(name_start + 12), |len| name_start + len);
        let name = &bytes[name_start..name_end];
        if name.is_empty() {
            continue;
        }
        let insert = if BLOCKS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            "<br>"
        } else if CELLS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            " "
        } else {
            continue;
        };
        let out = out.get_or_insert_with(|| String::with_capacity(html.len() + html.len() / 8));
        out.push_str(&html[copied..start]);
        out.push_str(insert);
        copied = start;
    }
    match out {
        Some(mut out) => {
            out.push_str(&html[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(html),
    }
}

/// Trims trailing spaces of lines and keeps at most one empty line in a row.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim_start().is_empty() {
            blank_run += 1;
            if blank_run > 1 || out.is_empty() {
                continue;
            }
            out.push('\n');
        } else {
            blank_run = 0;
            out.push_str(line);
            out.push('\n');
        }
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// Named zones and their offsets east of UTC, in seconds. Ambiguous
/// abbreviations (IST, ...) are left out: they resolve to UTC with a warning.
const NAMED_ZONES: &[(&str, i32)] = &[
    ("UT", 0),
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("WET", 0),
    ("EST", -5 * 3600),
    ("EDT", -4 * 3600),
    ("CST", -6 * 3600),
    ("CDT", -5 * 3600),
    ("MST", -7 * 3600),
    ("MDT", -6 * 3600),
    ("PST", -8 * 3600),
    ("PDT", -7 * 3600),
    ("AST", -4 * 3600),
    ("ADT", -3 * 3600),
    ("NST", -(3 * 3600 + 1800)),
    ("NDT", -(2 * 3600 + 1800)),
    ("AKST", -9 * 3600),
    ("AKDT", -8 * 3600),
    ("HST", -10 * 3600),
    ("BST", 3600),
    ("WEST", 3600),
    ("CET", 3600),
    ("MET", 3600),
    ("MEZ", 3600),
    ("CEST", 2 * 3600),
    ("MEST", 2 * 3600),
    ("MESZ", 2 * 3600),
    ("EET", 2 * 3600),
    ("EEST", 3 * 3600),
    ("MSK", 3 * 3600),
    ("MSD", 4 * 3600),
    ("SAST", 2 * 3600),
    ("CAT", 2 * 3600),
    ("EAT", 3 * 3600),
    ("WAT", 3600),
    ("HKT", 8 * 3600),
    ("SGT", 8 * 3600),
    ("AWST", 8 * 3600),
    ("JST", 9 * 3600),
    ("KST", 9 * 3600),
    ("ACST", 9 * 3600 + 1800),
    ("ACDT", 10 * 3600 + 1800),
    ("AEST", 10 * 3600),
    ("AEDT", 11 * 3600),
    ("NZST", 12 * 3600),
    ("NZDT", 13 * 3600),
    ("BRT", -3 * 3600),
    ("ART", -3 * 3600),
];

/// Zones mail-parser itself maps to a non-zero offset (upper case only).
const MAIL_PARSER_ZONES: &[&str] = &["EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The layout a date was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateForm {
    /// `[Tue,] 2 Mar 2021 ...` (day before month).
    Rfc5322,
    /// `Mon Jul 13 10:11:12 2009` (month before day).
    Asctime,
    /// `2009-07-13T10:11:12+04:00`.
    Iso,
    /// Anything else that still had a day, a month name and a year.
    Other,
}

/// How the zone was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZoneKind {
    /// `+0100`, `-05:00`.
    Numeric,
    /// A name from [`NAMED_ZONES`]; `true` when mail-parser maps it right.
    Named(bool),
    /// A military single letter (resolved to UTC, as RFC 5322 advises).
    Military,
    /// Something else (resolved to UTC).
    Unknown,
    /// No zone (resolved to UTC).
    Missing,
}

/// A date read by [`parse_date_with_warnings`] and how it was written.
struct DateParse {
    date: MessageDate,
    form: DateForm,
    zone: ZoneKind,
    year_digits: usize,
    warnings: Vec<String>,
}

/// Fallback date parser for a raw Date header value (used when mail-parser
/// gives none): dates without seconds (`Tue, 2 Mar 2021 10:00 EST`), wrong
/// weekdays, named zones (EST, EDT, PST, GMT, UT, MSK, CET, ...), missing
/// weekday, two-digit years (RFC 5322: 00-49 -> 2000s, 50-99 -> 1900s;
/// three digits: + 1900), comments (`(PST)`), asctime
/// (`Mon Jul 13 10:11:12 2009`), ISO 8601 (`2009-07-13T10:11:12+04:00`).
/// Years are clamped to 1000..=9999 (never panics, never overflows).
/// Unknown and military zones resolve to UTC; see
/// [`parse_date_with_warnings`] to learn about such guesses.
pub fn parse_date_fallback(value: &str) -> Option<MessageDate> {
    parse_date_with_warnings(value).map(|(date, _)| date)
}

/// [`parse_date_fallback`], also returning what had to be guessed (zone
/// unknown, military or missing; year clamped; day past the month's end).
pub fn parse_date_with_warnings(value: &str) -> Option<(MessageDate, Vec<String>)> {
    parse_date_detailed(value).map(|p| (p.date, p.warnings))
}

/// Chooses between mail-parser's reading of the Date header and the
/// fallback parser: mail-parser's is used when its fields are in range and
/// the header is in the RFC 5322 layout with a zone mail-parser maps right
/// (numeric, UT/GMT, or the eight upper-case US zones) and a 2- or 4-digit
/// year. mail-parser silently reads other named zones (MSK, CET, `est`) as
/// UTC, 3-digit years as years 100-999, truncates years longer than 4 digits
/// (`20210` -> 2021) and gives nothing for asctime and ISO 8601 dates.
fn resolve_date(
    date_raw: &str,
    mp: Option<&DateTime>,
    warnings: &mut Vec<String>,
) -> Option<MessageDate> {
    let date = resolve_date_as_written(date_raw, mp, warnings)?;
    if date_is_plausible(&date) {
        return Some(date);
    }
    // A garbled header ("id AA03087sendmail ... via SMTPSun, 18 Apr 93
    // 13:14:19 -0700") can hide a real date after some noise: look for one
    // that starts at a later word.
    let shown: String = date_raw.chars().take(80).collect();
    for (i, _) in date_raw.char_indices().filter(|&(i, c)| {
        i > 0 && c.is_ascii_digit() && !date_raw[..i].ends_with(|p: char| p.is_ascii_alphanumeric())
    }) {
        if let Some(p) = parse_date_detailed(&date_raw[i..])
            && p.form == DateForm::Rfc5322
            && date_is_plausible(&p.date)
        {
            warnings.push(format!(
                "date read from inside a garbled Date header: {shown:?}"
            ));
            return Some(p.date);
        }
    }
    warnings.push(format!(
        "Date header lies in the future, treated as undated: {shown:?}"
    ));
    None
}

/// Mail cannot be dated more than a year after it is imported.
fn date_is_plausible(d: &MessageDate) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs() as i64)
        .unwrap_or(i64::MAX / 2);
    d.utc <= now.saturating_add(366 * 86400)
}

fn resolve_date_as_written(
    date_raw: &str,
    mp: Option<&DateTime>,
    warnings: &mut Vec<String>,
) -> Option<MessageDate> {
    let fallback = parse_date_detailed(date_raw);
    let mp = mp.filter(|dt| mail_parser_date_in_range(dt));
    match (mp, fallback) {
        (Some(dt), Some(parsed))
            if parsed.form == DateForm::Rfc5322
                && matches!(parsed.year_digits, 2 | 4)
                && matches!(parsed.zone, ZoneKind::Numeric | ZoneKind::Named(true)) =>
        {
            Some(date_from_mail_parser(dt))
        }
        (_, Some(parsed)) => {
            warnings.extend(parsed.warnings);
            Some(parsed.date)
        }
        (Some(dt), None) => Some(date_from_mail_parser(dt)),
        (None, None) => {
            let shown: String = date_raw.chars().take(80).collect();
            warnings.push(format!("unparseable Date header: {shown:?}"));
            None
        }
    }
}

/// True when every field of mail-parser's date is in range.
fn mail_parser_date_in_range(dt: &DateTime) -> bool {
    (1000..=9999).contains(&dt.year)
        && (1..=12).contains(&dt.month)
        && dt.day >= 1
        && i64::from(dt.day) <= days_in_month(i64::from(dt.year), i64::from(dt.month))
        && dt.hour <= 23
        && dt.minute <= 59
        && dt.second <= 60
        && dt.tz_hour <= 23
        && dt.tz_minute <= 59
}

/// Converts mail-parser's date.
fn date_from_mail_parser(dt: &DateTime) -> MessageDate {
    let offset = (i32::from(dt.tz_hour) * 3600 + i32::from(dt.tz_minute) * 60)
        * if dt.tz_before_gmt { -1 } else { 1 };
    let year = i64::from(dt.year).clamp(1000, 9999);
    MessageDate {
        utc: to_unix(
            year,
            i64::from(dt.month),
            i64::from(dt.day),
            i64::from(dt.hour) * 3600 + i64::from(dt.minute) * 60 + i64::from(dt.second),
            offset,
        ),
        offset_secs: offset,
    }
}

/// Seconds since the epoch of a civil date and time at `offset` east of UTC.
fn to_unix(year: i64, month: i64, day: i64, seconds_of_day: i64, offset: i32) -> i64 {
    days_from_civil(year, month, day) * 86400 + seconds_of_day - i64::from(offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Number of days in a month.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A token of a date.
#[derive(Clone, Copy, Debug)]
enum DateToken<'a> {
    /// Digits.
    Number(&'a [u8]),
    /// `10:11[:12[.345]]`.
    Time(&'a [u8]),
    /// `+0100`, `-5`.
    Offset(&'a [u8]),
    /// Letters (month, weekday, zone, AM/PM, noise).
    Word(&'a [u8]),
}

/// Splits a comment-free date into tokens.
fn tokenize_date(text: &[u8]) -> Vec<DateToken<'_>> {
    let mut tokens = Vec::new();
    for raw in text.split(|&c| c.is_ascii_whitespace() || c == b',') {
        if raw.is_empty() || tokens.len() > 32 {
            continue;
        }
        split_date_token(raw, &mut tokens);
    }
    tokens
}

/// Splits one whitespace-separated piece (`10:00EST`, `2-Mar-2021`,
/// `GMT+0100`) into tokens.
fn split_date_token<'a>(raw: &'a [u8], tokens: &mut Vec<DateToken<'a>>) {
    let first = raw[0];
    if first.is_ascii_digit() {
        if raw.contains(&b':') {
            let end = raw
                .iter()
                .position(|c| !(c.is_ascii_digit() || *c == b':' || *c == b'.'))
                .unwrap_or(raw.len());
            tokens.push(DateToken::Time(&raw[..end]));
            if end < raw.len() {
                split_date_token(&raw[end..], tokens);
            }
        } else if raw.iter().all(u8::is_ascii_digit) {
            tokens.push(DateToken::Number(raw));
        } else if raw.iter().any(|c| matches!(c, b'-' | b'/')) {
            for piece in raw.split(|c| matches!(c, b'-' | b'/')) {
                if !piece.is_empty() {
                    split_date_token(piece, tokens);
                }
            }
        } else {
            let end = raw
                .iter()
                .position(|c| !c.is_ascii_digit())
                .unwrap_or(raw.len());
            tokens.push(DateToken::Number(&raw[..end]));
            split_date_token(&raw[end..], tokens);
        }
    } else if first == b'+' || first == b'-' {
        if raw.len() > 1 {
            tokens.push(DateToken::Offset(raw));
        }
    } else if first.is_ascii_alphabetic() {
        let end = raw
            .iter()
            .position(|c| !c.is_ascii_alphabetic())
            .unwrap_or(raw.len());
        tokens.push(DateToken::Word(&raw[..end]));
        let rest = &raw[end..];
        match rest.first() {
            Some(b'+' | b'-') if rest.len() > 1 && rest[1].is_ascii_digit() => {
                tokens.push(DateToken::Offset(rest));
            }
            Some(_) if rest.len() > 1 => {
                split_date_token(&rest[1..], tokens);
            }
            _ => {}
        }
    } else if raw.len() > 1 {
        split_date_token(&raw[1..], tokens);
    }
}

/// Removes `(comments)` (nested, with `\` escapes) and returns them apart.
fn strip_date_comments(value: &[u8]) -> (Vec<u8>, Vec<&[u8]>) {
    let mut text = Vec::with_capacity(value.len());
    let mut comments = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut escaped = false;
    for (i, &c) in value.iter().enumerate() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        comments.push(&value[start..i]);
                        text.push(b' ');
                    }
                }
                _ => {}
            }
        } else if c == b'(' {
            depth = 1;
            start = i + 1;
        } else {
            text.push(c);
        }
    }
    (text, comments)
}

/// Parses a numeric zone (`+0100`, `-05:00`, `+1`); `None` when malformed.
fn parse_offset(token: &[u8]) -> Option<i32> {
    let sign = match token.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = token[1..].iter().copied().filter(|&c| c != b':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value: i32 = digits
        .iter()
        .fold(0, |acc, &c| acc * 10 + i32::from(c - b'0'));
    let (hours, minutes) = if digits.len() <= 2 {
        (value, 0)
    } else {
        (value / 100, value % 100)
    };
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A zone name: its offset and whether mail-parser maps it the same way.
fn named_zone(word: &[u8]) -> Option<(i32, bool)> {
    let (name, offset) = NAMED_ZONES
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))?;
    let mail_parser_agrees =
        *offset == 0 || MAIL_PARSER_ZONES.contains(name) && word == name.as_bytes();
    Some((*offset, mail_parser_agrees))
}

/// True for a month or weekday name written as its 3-letter abbreviation or
/// a longer prefix of the full name (`Sept`, `Tues`, `Thursday`).
fn name_matches(word: &[u8], full: &str) -> bool {
    word.len() >= 3
        && word.len() <= full.len()
        && full.as_bytes()[..word.len()].eq_ignore_ascii_case(word)
}

/// Parses `HH:MM[:SS[.fraction]]` into seconds of the day.
fn parse_time(token: &[u8]) -> Option<(i64, i64, i64)> {
    let mut fields = token.split(|&c| c == b':');
    let mut next = |required: bool| -> Option<Option<i64>> {
        match fields.next() {
            None if !required => Some(None),
            None => None,
            Some(field) => {
                let field = field.split(|&c| c == b'.').next().unwrap_or(field);
                if field.is_empty() || field.len() > 2 || !field.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                Some(Some(
                    field
                        .iter()
                        .fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0')),
                ))
            }
        }
    };
    let hour = next(true)??;
    let minute = next(true)??;
    let second = next(false)?.unwrap_or(0);
    (hour <= 24 && minute <= 59 && second <= 60).then_some((hour, minute, second))
}

/// Reads up to 18 digits; longer numbers saturate.
fn digits_value(digits: &[u8]) -> i64 {
    if digits.len() > 18 {
        return i64::MAX;
    }
    digits
        .iter()
        .fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0'))
}

/// Turns a written year into a full one (RFC 5322 section 4.3) clamped to
/// 1000..=9999.
fn full_year(digits: &[u8], warnings: &mut Vec<String>) -> i64 {
    let value = digits_value(digits);
    let year = match digits.len() {
        0..=2 if value < 50 => 2000 + value,
        0..=2 => 1900 + value,
        3 => 1900 + value,
        _ => value,
    };
    let clamped = year.clamp(1000, 9999);
    if clamped != year {
        let shown: String = digits.iter().take(20).map(|&c| c as char).collect();
        warnings.push(format!(
            "date year {shown} out of range, clamped to {clamped}"
        ));
    }
    clamped
}

/// The fallback parser behind [`parse_date_fallback`].
fn parse_date_detailed(value: &str) -> Option<DateParse> {
    // A Date is a few dozen bytes; do not scan a hostile megabyte.
    let bytes = &value.as_bytes()[..value.len().min(512)];
    let (text, comments) = strip_date_comments(bytes);
    let trimmed = text.trim_ascii();
    if is_iso_date(trimmed) {
        return parse_iso_date(trimmed);
    }
    let tokens = tokenize_date(trimmed);

    let mut warnings = Vec::new();
    let mut month: Option<(usize, i64)> = None;
    let mut numbers: Vec<(usize, &[u8])> = Vec::new();
    let mut time: Option<(i64, i64, i64)> = None;
    let mut zone: Option<(i32, ZoneKind)> = None;
    let mut zone_word_at: Option<usize> = None;
    let mut pm: Option<bool> = None;

    for (pos, token) in tokens.iter().enumerate() {
        match *token {
            DateToken::Number(digits) => numbers.push((pos, digits)),
            DateToken::Time(t) => {
                if time.is_none() {
                    time = Some(parse_time(t)?);
                }
            }
            DateToken::Offset(t) => {
                // `GMT+0100`: the offset refines the word just before it.
                let refines = zone_word_at == Some(pos.wrapping_sub(1))
                    && zone.is_some_and(|(offset, _)| offset == 0);
                if zone.is_none() || refines {
                    zone = Some(match parse_offset(t) {
                        Some(offset) => (offset, ZoneKind::Numeric),
                        None => {
                            warnings.push(format!(
                                "malformed zone {:?} read as UTC",
                                String::from_utf8_lossy(t)
                            ));
                            (0, ZoneKind::Unknown)
                        }
                    });
                }
            }
            DateToken::Word(word) => {
                if month.is_none()
                    && let Some(index) = MONTHS.iter().position(|m| name_matches(word, m))
                {
                    month = Some((pos, index as i64 + 1));
                } else if WEEKDAYS.iter().any(|d| name_matches(word, d)) {
                } else if word.eq_ignore_ascii_case(b"am") || word.eq_ignore_ascii_case(b"pm") {
                    pm = Some(word.eq_ignore_ascii_case(b"pm"));
                } else if zone.is_none() {
                    if let Some((offset, agrees)) = named_zone(word) {
                        zone = Some((offset, ZoneKind::Named(agrees)));
                        zone_word_at = Some(pos);
                    } else if word.len() == 1 && !word.eq_ignore_ascii_case(b"j") {
                        warnings.push(format!(
                            "military time zone {:?} read as UTC",
                            word[0].to_ascii_uppercase() as char
                        ));
                        zone = Some((0, ZoneKind::Military));
                    } else if time.is_some() && word.len() <= 6 {
                        warnings.push(format!(
                            "unknown time zone {:?} read as UTC",
                            String::from_utf8_lossy(word)
                        ));
                        zone = Some((0, ZoneKind::Unknown));
                    }
                }
            }
        }
    }

    let (month_pos, month) = month?;
    let day_like = |digits: &[u8]| digits.len() <= 2 && (1..=31).contains(&digits_value(digits));
    let (&(day_pos, day_digits), rest) = numbers.split_first()?;
    let (day_pos, day_digits, year_pos, year_digits) = if day_like(day_digits) {
        let &(year_pos, year_digits) = rest.first()?;
        (day_pos, day_digits, year_pos, year_digits)
    } else {
        // `2021 Mar 02`
        let &(next_pos, next_digits) = rest.first()?;
        if !day_like(next_digits) {
            return None;
        }
        (next_pos, next_digits, day_pos, day_digits)
    };
    let form = if day_pos < month_pos && month_pos < year_pos {
        DateForm::Rfc5322
    } else if month_pos < day_pos && day_pos < year_pos {
        DateForm::Asctime
    } else {
        DateForm::Other
    };
    let day = digits_value(day_digits);
    let year = full_year(year_digits, &mut warnings);

    let (mut hour, minute, second) = time.unwrap_or_else(|| {
        warnings.push("date has no time of day; midnight assumed".into());
        (0, 0, 0)
    });
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }

    if zone.is_none() {
        // `... 10:00:00 (PST)`: a zone only in a comment.
        zone = comments.iter().find_map(|c| {
            let c = c.trim_ascii();
            named_zone(c).map(|(offset, _)| (offset, ZoneKind::Named(false)))
        });
    }
    let (offset, zone_kind) = zone.unwrap_or_else(|| {
        warnings.push("date has no time zone; UTC assumed".into());
        (0, ZoneKind::Missing)
    });

    finish_date(
        year,
        month,
        day,
        (hour, minute, second),
        offset,
        warnings,
        form,
        zone_kind,
        year_digits.len(),
    )
}

/// Builds the result, noting a day past the end of its month.
#[allow(clippy::too_many_arguments)]
fn finish_date(
    year: i64,
    month: i64,
    day: i64,
    (hour, minute, second): (i64, i64, i64),
    offset: i32,
    mut warnings: Vec<String>,
    form: DateForm,
    zone: ZoneKind,
    year_digits: usize,
) -> Option<DateParse> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if day > days_in_month(year, month) {
        warnings.push(format!(
            "day {day} past the end of month {month}; counted into the next month"
        ));
    }
    Some(DateParse {
        date: MessageDate {
            utc: to_unix(year, month, day, hour * 3600 + minute * 60 + second, offset),
            offset_secs: offset,
        },
        form,
        zone,
        year_digits,
        warnings,
    })
}

/// True for `YYYY-MM-DD...`.
fn is_iso_date(text: &[u8]) -> bool {
    text.len() >= 10
        && text[..4].iter().all(u8::is_ascii_digit)
        && text[4] == b'-'
        && text[5..7].iter().all(u8::is_ascii_digit)
        && text[7] == b'-'
        && text[8..10].iter().all(u8::is_ascii_digit)
}

/// Parses `YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][ ](Z|+HH[:]MM|name)`.
fn parse_iso_date(text: &[u8]) -> Option<DateParse> {
    let mut warnings = Vec::new();
    let year = full_year(&text[..4], &mut warnings);
    let month = digits_value(&text[5..7]);
    let day = digits_value(&text[8..10]);
    let mut rest = &text[10..];
    let mut time = (0, 0, 0);
    if let Some((&sep, after)) = rest.split_first()
        && matches!(sep, b'T' | b't' | b' ')
        && after.first().is_some_and(u8::is_ascii_digit)
    {
        let end = after
            .iter()
            .position(|c| !(c.is_ascii_digit() || *c == b':' || *c == b'.'))
            .unwrap_or(after.len());
        time = parse_time(&after[..end])?;
        rest = &after[end..];
    } else {
        warnings.push("date has no time of day; midnight assumed".into());
    }
    let rest = rest.trim_ascii();
    let (offset, zone) = if rest.is_empty() {
        warnings.push("date has no time zone; UTC assumed".into());
        (0, ZoneKind::Missing)
    } else if rest.eq_ignore_ascii_case(b"z") {
        (0, ZoneKind::Named(true))
    } else if let Some(offset) = parse_offset(rest) {
        (offset, ZoneKind::Numeric)
    } else if let Some((offset, agrees)) = named_zone(rest) {
        (offset, ZoneKind::Named(agrees))
    } else {
        warnings.push(format!(
            "unknown time zone {:?} read as UTC",
            String::from_utf8_lossy(rest)
        ));
        (0, ZoneKind::Unknown)
    };
    finish_date(
        year,
        month,
        day,
        time,
        offset,
        warnings,
        DateForm::Iso,
        zone,
        4,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a message from header lines and a body, CRLF line ends.
    fn msg(headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
        let mut raw = Vec::new();
        for h in headers {
            raw.extend_from_slice(h);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(body);
        raw
    }

    fn date(value: &str) -> MessageDate {
        parse_date_fallback(value).unwrap_or_else(|| panic!("no date from {value:?}"))
    }

    /// Unix time of a UTC civil date and time.
    fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
        to_unix(y, mo, d, h * 3600 + mi * 60 + s, 0)
    }

    // --- charsets ----------------------------------------------------------

    #[test]
    fn koi8r_body_and_rfc2047_subject_are_cyrillic() {
        let raw = msg(
            &[
                b"From: Alice <alice@example.org>",
                b"Subject: =?KOI8-R?Q?=D0=D2=C9=D7=C5=D4?= =?koi8-r?B?0NLJ18XU?=",
                b"Content-Type: text/plain; charset=KOI8-R",
            ],
            b"\xd0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2\r\n",
        );
        let m = parse_message(&raw);
        assert!(m.parse_ok);
        assert_eq!(m.subject.as_deref(), Some("приветпривет"));
        assert_eq!(m.text.trim_end(), "привет, мир");
        assert!(m.charset_fallbacks.is_empty(), "{:?}", m.charset_fallbacks);
    }

    #[test]
    fn windows_1251_body_is_cyrillic() {
        let raw = msg(
            &[b"Content-Type: text/plain; charset=\"windows-1251\""],
            b"\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0",
        );
        assert_eq!(parse_message(&raw).text, "Привет, мир");
    }

    #[test]
    fn cjk_charsets_decode() {
        let cases: [(&str, &[u8], &str); 5] = [
            (
                "Shift_JIS",
                b"\x83n\x83\x8d\x81[\x81E\x83\x8f\x81[\x83\x8b\x83h",
                "ハロー・ワールド",
            ),
            (
                "ISO-2022-JP",
                b"\x1b$B%O%m!<!&%o!<%k%I\x1b(B",
                "ハロー・ワールド",
            ),
            (
                "gb2312",
                b"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7",
                "你好，世界",
            ),
            ("big5", b"\xa7A\xa6n\xa1A\xa5@\xac\xc9", "你好，世界"),
            (
                "euc-kr",
                b"\xbe\xc8\xb3\xe7\xc7\xcf\xbc\xbc\xbf\xe4",
                "안녕하세요",
            ),
        ];
        for (charset, bytes, expected) in cases {
            let ct = format!("Content-Type: text/plain; charset={charset}");
            let raw = msg(&[ct.as_bytes()], bytes);
            assert_eq!(parse_message(&raw).text, expected, "{charset}");
        }
    }

    #[test]
    fn iso_2022_jp_subject_and_base64_body() {
        let raw = msg(
            &[
                b"Subject: =?ISO-2022-JP?B?GyRCJU8lbSE8ISYlbyE8JWslSRsoQg==?=",
                b"Content-Type: text/plain; charset=iso-2022-jp",
                b"Content-Transfer-Encoding: base64",
            ],
            b"GyRCJU8lbSE8ISYlbyE8JWslSRsoQg==\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("ハロー・ワールド"));
        assert_eq!(m.text, "ハロー・ワールド");
    }

    #[test]
    fn undeclared_latin1_body_falls_back_to_windows_1252() {
        let raw = msg(
            &[b"From: bob@example.org", b"Subject: plain"],
            b"Caf\xe9 cr\xe8me \x80 5\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "Café crème € 5\r\n");
        assert_eq!(m.charset_fallbacks, ["undeclared:windows-1252"]);
    }

    #[test]
    fn undeclared_latin1_quoted_printable_body() {
        let raw = msg(
            &[b"Content-Transfer-Encoding: quoted-printable"],
            b"Caf=E9 cr=E8me",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "Café crème");
        assert_eq!(m.charset_fallbacks, ["undeclared:windows-1252"]);
    }

    #[test]
    fn undeclared_latin1_base64_body() {
        let raw = msg(
            &[b"Content-Transfer-Encoding: base64"],
            b"Q2Fm6SBjcuhtZQ==\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "Café crème");
        assert_eq!(m.charset_fallbacks, ["undeclared:windows-1252"]);
    }

    #[test]
    fn undeclared_utf8_body_is_recorded() {
        let raw = msg(&[b"Subject: x"], "Grüße, Мир".as_bytes());
        let m = parse_message(&raw);
        assert_eq!(m.text, "Grüße, Мир");
        assert_eq!(m.charset_fallbacks, ["undeclared:utf-8"]);
    }

    #[test]
    fn undeclared_ascii_body_records_nothing() {
        let m = parse_message(&msg(&[b"Subject: x"], b"hello"));
        assert!(m.charset_fallbacks.is_empty());
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn raw_8bit_headers_are_repaired() {
        let raw = msg(
            &[
                b"From: J\xf6rg M\xfcller <joerg@example.org>",
                "To: Пётр <petr@example.org>".as_bytes(),
                b"Subject: R\xe9sum\xe9 attached",
            ],
            b"x",
        );
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("Résumé attached"));
        assert_eq!(m.from[0].name.as_deref(), Some("Jörg Müller"));
        assert_eq!(m.from[0].address.as_deref(), Some("joerg@example.org"));
        assert_eq!(m.to[0].name.as_deref(), Some("Пётр"));
        assert_eq!(
            m.charset_fallbacks,
            ["undeclared:windows-1252", "undeclared:utf-8"]
        );
    }

    #[test]
    fn unknown_charset_labels_fall_back_and_are_recorded() {
        let raw = msg(
            &[
                b"Subject: =?unknown-8bit?Q?Caf=E9?= and =?x-bogus?B?0J/RgNC40LLQtdGC?=",
                b"Content-Type: text/plain; charset=x-no-such-charset",
            ],
            b"na\xefve",
        );
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("Café and Привет"));
        assert_eq!(m.text, "naïve");
        assert_eq!(
            m.charset_fallbacks,
            [
                "unknown:unknown-8bit",
                "unknown:x-bogus",
                "unknown:x-no-such-charset"
            ]
        );
    }

    #[test]
    fn us_ascii_label_on_utf8_bytes() {
        let raw = msg(
            &[b"Content-Type: text/plain; charset=us-ascii"],
            "naïve".as_bytes(),
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "naïve");
        assert_eq!(m.charset_fallbacks, ["mislabeled:us-ascii"]);
    }

    #[test]
    fn invalid_utf8_in_utf8_part_reads_stray_bytes_as_windows_1252() {
        let mut body = "Grüße ".as_bytes().to_vec();
        body.extend_from_slice(b"caf\xe9");
        let raw = msg(&[b"Content-Type: text/plain; charset=utf-8"], &body);
        let m = parse_message(&raw);
        assert_eq!(m.text, "Grüße café");
        assert_eq!(m.charset_fallbacks, ["invalid:utf-8"]);
    }

    #[test]
    fn html_meta_charset_is_used_when_the_part_declares_none() {
        let raw = msg(
            &[b"Content-Type: text/html"],
            b"<html><head><meta charset=\"koi8-r\"></head><body>\xd0\xd2\xc9\xd7\xc5\xd4</body></html>",
        );
        assert_eq!(parse_message(&raw).text, "привет");
    }

    // --- attachments -------------------------------------------------------

    #[test]
    fn rfc2231_filename_continuations_are_joined_before_decoding() {
        // "€" is E2 82 AC: split across two encoded segments.
        let raw = msg(
            &[
                b"Content-Type: multipart/mixed; boundary=\"b\"",
            ],
            b"--b\r\n\
Content-Type: text/plain\r\n\r\nsee attached\r\n\
--b\r\n\
Content-Type: application/pdf; name*0=\"quarterly-\"; name*1=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n\
--b\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82;\r\n filename*1*=%AC%20rates;\r\n filename*2=\".xls\"\r\n\r\n\
data\r\n\
--b--\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "see attached");
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(
            m.attachments[0].name.as_deref(),
            Some("quarterly-report.pdf")
        );
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(m.attachments[0].size, 5);
        assert_eq!(m.attachments[1].name.as_deref(), Some("€ rates.xls"));
    }

    #[test]
    fn rfc2047_and_8bit_attachment_names() {
        let raw = msg(
            &[b"Content-Type: multipart/mixed; boundary=b"],
            b"--b\r\n\
Content-Type: text/plain\r\n\r\nbody\r\n\
--b\r\n\
Content-Type: application/pdf; name=\"=?utf-8?B?0L7RgtGH0LXRgi5wZGY=?=\"\r\n\r\nx\r\n\
--b\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"r\xe9sum\xe9.pdf\"\r\n\r\ny\r\n\
--b--\r\n",
        );
        let m = parse_message(&raw);
        let names: Vec<_> = m.attachments.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(names, [Some("отчет.pdf"), Some("résumé.pdf")]);
        assert!(
            m.charset_fallbacks
                .contains(&"undeclared:windows-1252".to_string())
        );
    }

    #[test]
    fn multipart_attachment_listed_with_decoded_size() {
        let raw = msg(
            &[
                b"From: alice@example.org",
                b"MIME-Version: 1.0",
                b"Content-Type: multipart/mixed; boundary=\"XYZ\"",
            ],
            b"preamble\r\n--XYZ\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob\r\n\
--XYZ\r\n\
Content-Type: IMAGE/PNG\r\n\
Content-Disposition: attachment; filename=\"pixel.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n\
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk\r\n\
YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n\
--XYZ\r\n\
Content-Type: text/plain\r\n\
Content-Disposition: attachment; filename=\"notes.txt\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\nnot =3D body\r\n\
--XYZ--\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "Hello Bob");
        assert_eq!(
            m.attachments,
            [
                AttachmentInfo {
                    name: Some("pixel.png".into()),
                    content_type: "image/png".into(),
                    size: 70,
                },
                AttachmentInfo {
                    name: Some("notes.txt".into()),
                    content_type: "text/plain".into(),
                    size: 10,
                },
            ]
        );
    }

    #[test]
    fn message_rfc822_part_is_an_attachment_without_text() {
        let inner =
            b"From: carol@example.org\r\nSubject: inner secret\r\n\r\nnested body words\r\n";
        let mut body = b"--b\r\nContent-Type: text/plain\r\n\r\nForwarding this.\r\n--b\r\n\
Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"
            .to_vec();
        body.extend_from_slice(inner);
        body.extend_from_slice(b"--b--\r\n");
        let raw = msg(
            &[
                b"Subject: outer",
                b"Content-Type: multipart/mixed; boundary=b",
            ],
            &body,
        );
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("outer"));
        assert_eq!(m.text, "Forwarding this.");
        assert!(!m.text.contains("nested"));
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].content_type, "message/rfc822");
        assert_eq!(m.attachments[0].name.as_deref(), Some("fwd.eml"));
        assert_eq!(m.attachments[0].size, inner.len() as u64 - 2);
    }

    #[test]
    fn alternative_html_is_neither_text_nor_attachment() {
        let raw = msg(
            &[b"Content-Type: multipart/alternative; boundary=b"],
            b"--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--b--\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "plain words");
        assert!(m.attachments.is_empty(), "{:?}", m.attachments);
    }

    #[test]
    fn multipart_without_boundary_is_read_as_text() {
        let m = parse_message(&msg(&[b"Content-Type: multipart/mixed"], b"lost words"));
        assert_eq!(m.text, "lost words");
        assert!(m.attachments.is_empty());
        assert_eq!(m.warnings.len(), 1);
        let m = parse_message(&msg(
            &[b"Content-Type: multipart/mixed; boundary=nowhere"],
            b"more words",
        ));
        assert_eq!(m.text, "more words");
        assert_eq!(m.warnings.len(), 1);
    }

    #[test]
    fn single_part_attachment_is_not_text() {
        let raw = msg(
            &[
                b"Content-Type: text/plain",
                b"Content-Disposition: attachment; filename=x.txt",
            ],
            b"file",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "");
        assert_eq!(m.attachments[0].name.as_deref(), Some("x.txt"));
        assert_eq!(m.attachments[0].size, 4);
    }

    #[test]
    fn digest_children_are_rfc822_attachments() {
        let raw = msg(
            &[b"Content-Type: multipart/digest; boundary=b"],
            b"--b\r\n\r\nSubject: d1\r\n\r\nb1\r\n--b\r\n\r\nSubject: d2\r\n\r\nb2\r\n--b--\r\n",
        );
        let m = parse_message(&raw);
        let types: Vec<_> = m
            .attachments
            .iter()
            .map(|a| a.content_type.as_str())
            .collect();
        assert_eq!(types, ["message/rfc822", "message/rfc822"]);
    }

    #[test]
    fn plain_parts_are_joined_by_a_blank_line() {
        let raw = msg(
            &[b"Content-Type: multipart/mixed; boundary=b"],
            b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n\r\n\
--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n\
--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nsecond \xe9\r\n--b--\r\n",
        );
        let m = parse_message(&raw);
        assert_eq!(m.text, "first\n\nsecond é");
        assert_eq!(m.attachments.len(), 1);
    }

    // --- HTML --------------------------------------------------------------

    #[test]
    fn html_only_message_gives_text_without_tags() {
        let raw = msg(
            &[b"Content-Type: text/html; charset=utf-8"],
            b"<html><head><title>T</title><style>p{color:red}</style>\
<script>alert(1)</script></head><body>\
<div>Meeting&nbsp;at <b>noon</b></div><div>Bring&amp;share</div>\
<img src=\"http://192.0.2.1/track.gif\"><a href=\"https://example.org/x\">link text</a>\
<table><tr><td>cell1</td><td>cell2</td></tr></table><!-- hidden comment --></body></html>",
        );
        let m = parse_message(&raw);
        let text = &m.text;
        assert!(text.contains("Meeting\u{a0}at noon"), "{text:?}");
        assert!(text.contains("Bring&share"), "{text:?}");
        assert!(text.contains("link text"), "{text:?}");
        assert!(text.contains("cell1 cell2"), "{text:?}");
        for absent in [
            "<",
            ">",
            "color",
            "alert",
            "hidden",
            "192.0.2.1",
            "track.gif",
        ] {
            assert!(!text.contains(absent), "{absent:?} in {text:?}");
        }
        assert!(!text.contains("noonBring"), "blocks glued: {text:?}");
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn html_alternative_only_is_converted() {
        let raw = msg(
            &[b"Content-Type: multipart/alternative; boundary=b"],
            b"--b\r\nContent-Type: text/html\r\n\r\n<p>one</p><p>two</p>\r\n--b--\r\n",
        );
        assert_eq!(parse_message(&raw).text, "one\n\ntwo");
    }

    // --- identifiers and addresses ----------------------------------------

    #[test]
    fn message_ids_without_brackets_and_references_in_order() {
        let raw = msg(
            &[
                b"Message-ID: <20210302.1000@mail.example.org>",
                b"In-Reply-To: <parent@example.org>",
                b"References: <root@example.org> <mid@example.org>\r\n\t<parent@example.org>",
            ],
            b"x",
        );
        let m = parse_message(&raw);
        assert_eq!(
            m.message_id.as_deref(),
            Some("20210302.1000@mail.example.org")
        );
        assert_eq!(m.in_reply_to, ["parent@example.org"]);
        assert_eq!(
            m.references,
            ["root@example.org", "mid@example.org", "parent@example.org"]
        );
    }

    #[test]
    fn group_syntax_is_flattened() {
        let raw = msg(
            &[
                b"From: \"Alice A.\" <alice@example.org>",
                b"To: undisclosed-recipients:;",
                b"Cc: Team: bob@example.org, \"Carol\" <carol@example.org>;, dave@example.org",
                b"Bcc: =?utf-8?Q?Eve_=C3=89?= <eve@example.org>",
                b"Reply-To: list@example.org",
            ],
            b"x",
        );
        let m = parse_message(&raw);
        assert_eq!(m.from[0].name.as_deref(), Some("Alice A."));
        assert!(m.to.is_empty(), "{:?}", m.to);
        let cc: Vec<_> = m.cc.iter().map(|a| a.address.as_deref().unwrap()).collect();
        assert_eq!(
            cc,
            ["bob@example.org", "carol@example.org", "dave@example.org"]
        );
        assert_eq!(m.cc[1].name.as_deref(), Some("Carol"));
        assert_eq!(m.bcc[0].name.as_deref(), Some("Eve É"));
        assert_eq!(m.reply_to[0].address.as_deref(), Some("list@example.org"));
    }

    #[test]
    fn subject_keeps_controls_but_not_nul() {
        let raw = msg(&[b"Subject: a\x00b\x07c"], b"body\x00text");
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("ab\u{7}c"));
        assert_eq!(m.text, "bodytext");
    }

    // --- dates -------------------------------------------------------------

    #[test]
    fn date_without_seconds() {
        let m = parse_message(&msg(&[b"Date: Tue, 2 Mar 2021 10:00 EST"], b"x"));
        assert_eq!(
            m.date,
            Some(MessageDate {
                utc: utc(2021, 3, 2, 15, 0, 0),
                offset_secs: -5 * 3600
            })
        );
        assert_eq!(m.date_raw.as_deref(), Some("Tue, 2 Mar 2021 10:00 EST"));
    }

    #[test]
    fn date_with_wrong_weekday() {
        assert_eq!(
            date("Mon, 2 Mar 2021 10:00:00 +0000").utc,
            utc(2021, 3, 2, 10, 0, 0)
        );
        let m = parse_message(&msg(&[b"Date: Mon, 2 Mar 2021 10:00:00 +0100"], b"x"));
        assert_eq!(m.date.map(|d| d.utc), Some(utc(2021, 3, 2, 9, 0, 0)));
    }

    #[test]
    fn named_zones() {
        let cases = [
            ("EST", -5),
            ("EDT", -4),
            ("CST", -6),
            ("CDT", -5),
            ("MST", -7),
            ("MDT", -6),
            ("PST", -8),
            ("PDT", -7),
            ("GMT", 0),
            ("UT", 0),
            ("UTC", 0),
            ("Z", 0),
            ("MSK", 3),
            ("CET", 1),
            ("CEST", 2),
            ("est", -5),
        ];
        for (zone, hours) in cases {
            let header = format!("Date: Tue, 2 Mar 2021 10:00:00 {zone}");
            let m = parse_message(&msg(&[header.as_bytes()], b"x"));
            let d = m.date.unwrap_or_else(|| panic!("{zone}"));
            assert_eq!(d.offset_secs, hours * 3600, "{zone}");
            assert_eq!(
                d.utc,
                utc(2021, 3, 2, 10, 0, 0) - i64::from(hours) * 3600,
                "{zone}"
            );
            assert!(m.warnings.is_empty(), "{zone}: {:?}", m.warnings);
        }
    }

    #[test]
    fn military_and_unknown_zones_are_utc_with_a_warning() {
        for zone in ["Q", "XYZT"] {
            let header = format!("Date: Tue, 2 Mar 2021 10:00:00 {zone}");
            let m = parse_message(&msg(&[header.as_bytes(), b"Subject: kept"], b"x"));
            assert_eq!(m.subject.as_deref(), Some("kept"), "{zone}");
            assert_eq!(m.text, "x", "{zone}");
            assert_eq!(m.date.map(|d| d.offset_secs), Some(0), "{zone}");
            assert_eq!(m.date.map(|d| d.utc), Some(utc(2021, 3, 2, 10, 0, 0)));
            assert_eq!(m.warnings.len(), 1, "{zone}: {:?}", m.warnings);
        }
    }

    #[test]
    fn short_zone_does_not_swallow_the_next_header() {
        // mail-parser 0.11.9 reads three bytes for a zone: after `UT` + LF
        // or a one-letter zone it loses the next line.
        for raw in [
            &b"Date: Tue, 2 Mar 2021 10:00:00 UT\nSubject: kept\n\nbody\n"[..],
            b"Date: Tue, 2 Mar 2021 10:00:00 Z\r\nSubject: kept\r\n\r\nbody\r\n",
            b"Subject: kept\nDate: Tue, 2 Mar 2021 10:00:00 Z\n\nbody\n",
        ] {
            let m = parse_message(raw);
            assert_eq!(m.subject.as_deref(), Some("kept"));
            assert_eq!(m.text.trim_end(), "body");
            assert_eq!(m.date.map(|d| d.utc), Some(utc(2021, 3, 2, 10, 0, 0)));
            assert_eq!(
                m.date_raw
                    .as_deref()
                    .map(|d| d.ends_with('Z') || d.ends_with("UT")),
                Some(true)
            );
        }
    }

    #[test]
    fn zone_in_comment_and_missing_weekday() {
        assert_eq!(
            date("2 Mar 2021 10:00:00 -0800 (PST)"),
            MessageDate {
                utc: utc(2021, 3, 2, 18, 0, 0),
                offset_secs: -8 * 3600
            }
        );
        assert_eq!(
            date("Tue, 2 Mar 2021 10:00:00 (PST)").offset_secs,
            -8 * 3600
        );
    }

    #[test]
    fn two_and_three_digit_years() {
        assert_eq!(
            date("Tue, 2 Mar 21 10:00:00 +0000").utc,
            utc(2021, 3, 2, 10, 0, 0)
        );
        assert_eq!(
            date("Wed, 2 Mar 49 10:00:00 +0000").utc,
            utc(2049, 3, 2, 10, 0, 0)
        );
        assert_eq!(
            date("Sun, 2 Mar 97 10:00:00 +0000").utc,
            utc(1997, 3, 2, 10, 0, 0)
        );
        assert_eq!(
            date("Sun, 2 Mar 103 10:00:00 +0000").utc,
            utc(2003, 3, 2, 10, 0, 0)
        );
        let m = parse_message(&msg(&[b"Date: Sun, 2 Mar 103 10:00:00 +0000"], b"x"));
        assert_eq!(m.date.map(|d| d.utc), Some(utc(2003, 3, 2, 10, 0, 0)));
    }

    #[test]
    fn absurd_years_are_clamped() {
        // The parser clamps; a message dated after its import is then
        // treated as undated, with a warning.
        let m = parse_message(&msg(&[b"Date: Mon, 1 Jan 99999999 00:00:00 +0000"], b"x"));
        assert_eq!(m.date, None);
        assert!(
            m.warnings.iter().any(|w| w.contains("clamped"))
                && m.warnings.iter().any(|w| w.contains("in the future")),
            "{:?}",
            m.warnings
        );
        assert_eq!(
            date("Mon, 1 Jan 99999999999999999999999999 00:00:00 +0000").utc,
            utc(9999, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            date("Mon, 1 Jan 0000 00:00:00 +0000").utc,
            utc(1000, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            date("Mon, 1 Jan 20210 00:00:00 +0000").utc,
            utc(9999, 1, 1, 0, 0, 0)
        );
    }

    #[test]
    fn asctime_and_unix_date_forms() {
        let m = parse_message(&msg(&[b"Date: Mon Jul 13 10:11:12 2009"], b"x"));
        assert_eq!(
            m.date,
            Some(MessageDate {
                utc: utc(2009, 7, 13, 10, 11, 12),
                offset_secs: 0
            })
        );
        assert_eq!(
            date("Mon Jul 13 10:11:12 EDT 2009").utc,
            utc(2009, 7, 13, 14, 11, 12)
        );
        assert_eq!(
            date("Mon Jul 13 2009 10:11:12 GMT+0200 (CEST)"),
            MessageDate {
                utc: utc(2009, 7, 13, 8, 11, 12),
                offset_secs: 7200
            }
        );
    }

    #[test]
    fn iso_8601_dates() {
        assert_eq!(
            date("2009-07-13T10:11:12+04:00"),
            MessageDate {
                utc: utc(2009, 7, 13, 6, 11, 12),
                offset_secs: 4 * 3600
            }
        );
        assert_eq!(
            date("2009-07-13 10:11:12.5Z").utc,
            utc(2009, 7, 13, 10, 11, 12)
        );
        let m = parse_message(&msg(&[b"Date: 2009-07-13T10:11:12-0330"], b"x"));
        assert_eq!(m.date.map(|d| d.offset_secs), Some(-(3 * 3600 + 1800)));
    }

    #[test]
    fn missing_or_garbage_date() {
        let m = parse_message(&msg(&[b"Subject: no date"], b"x"));
        assert_eq!(m.date, None);
        assert_eq!(m.date_raw, None);
        let m = parse_message(&msg(&[b"Date: sometime last week"], b"x"));
        assert_eq!(m.date, None);
        assert_eq!(m.date_raw.as_deref(), Some("sometime last week"));
        assert_eq!(m.warnings.len(), 1);
        assert_eq!(parse_date_fallback(""), None);
        assert_eq!(parse_date_fallback("99:99:99 Foo 1 2"), None);
    }

    #[test]
    fn date_raw_is_unfolded_and_trimmed() {
        let m = parse_message(&msg(
            &[b"Date:   Tue, 2 Mar 2021\r\n 10:00:00 +0000  "],
            b"x",
        ));
        assert_eq!(
            m.date_raw.as_deref(),
            Some("Tue, 2 Mar 2021 10:00:00 +0000")
        );
        assert_eq!(m.date.map(|d| d.utc), Some(utc(2021, 3, 2, 10, 0, 0)));
    }

    #[test]
    fn epoch_arithmetic() {
        assert_eq!(utc(1970, 1, 1, 0, 0, 0), 0);
        assert_eq!(utc(2000, 3, 1, 0, 0, 0), 951_868_800);
        assert_eq!(utc(1000, 1, 1, 0, 0, 0), -30_610_224_000);
        assert_eq!(utc(9999, 12, 31, 23, 59, 59), 253_402_300_799);
    }

    // --- hostile input -----------------------------------------------------

    #[test]
    fn garbage_and_empty_input_do_not_panic() {
        let m = parse_message(b"");
        assert!(!m.parse_ok);
        assert_eq!(m.warnings.len(), 1);
        let m = parse_message(b"\r\n\r\n");
        assert!(!m.warnings.is_empty() || m.parse_ok);

        // Deterministic pseudo-random bytes (xorshift).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..300 {
            let len = (round * 37) % 3000;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(state as u8);
            }
            if round % 3 == 0 {
                // Mix in structure so that the MIME paths run too.
                let mut structured = msg(
                    &[
                        b"Content-Type: multipart/mixed; boundary=q",
                        b"Date: \xff\xfe 99 Foo",
                    ],
                    b"--q\r\nContent-Type: text/plain; charset=\xff\r\n\r\n",
                );
                structured.extend_from_slice(&bytes);
                bytes = structured;
            }
            let _ = parse_message(&bytes);
        }
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_in_headers() {
        let raw = b"Subject: \x00\xff\xfe\x00\r\nFrom: \x00<a\x00@example.org>\r\nX-\xff: \xc3\r\n\r\n\x00\x00";
        let m = parse_message(raw);
        assert!(m.parse_ok);
        assert!(!m.subject.unwrap_or_default().contains('\0'));
        assert!(!m.text.contains('\0'));
    }

    #[test]
    fn megabyte_header_line() {
        let mut raw = b"Subject: ".to_vec();
        raw.extend(std::iter::repeat_n(b'a', 1 << 20));
        raw.extend_from_slice(b"\r\nTo: ");
        for i in 0..20_000 {
            raw.extend_from_slice(format!("u{i}@example.org, ").as_bytes());
        }
        raw.extend_from_slice(b"\r\nDate: ");
        raw.extend(std::iter::repeat_n(b'9', 1 << 20));
        raw.extend_from_slice(b"\r\n\r\nbody");
        let started = std::time::Instant::now();
        let m = parse_message(&raw);
        assert_eq!(m.subject.map(|s| s.len()), Some(1 << 20));
        assert_eq!(m.to.len(), 20_000);
        assert_eq!(m.date, None);
        assert_eq!(m.text, "body");
        assert!(started.elapsed().as_secs() < 10);
    }

    #[test]
    fn deep_multipart_nesting() {
        let depth = 100;
        let mut raw =
            b"Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n".to_vec();
        for i in 1..depth {
            raw.extend_from_slice(
                format!(
                    "--b{}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n",
                    i - 1
                )
                .as_bytes(),
            );
        }
        raw.extend_from_slice(
            format!(
                "--b{}\r\nContent-Type: text/plain\r\n\r\nbottom\r\n",
                depth - 1
            )
            .as_bytes(),
        );
        for i in (0..depth).rev() {
            raw.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
        }
        let m = parse_message(&raw);
        assert!(m.parse_ok);
        assert_eq!(m.text, "bottom");
    }

    #[test]
    fn deep_message_rfc822_nesting_on_a_small_stack() {
        // Each level is a message/rfc822 part: mail-parser builds a tree as
        // deep as this, which must not overflow the stack when dropped.
        let depth = 20_000;
        let mut raw = Vec::new();
        for _ in 0..depth {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
        }
        raw.extend_from_slice(b"Subject: innermost\r\n\r\nhi\r\n");
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let m = parse_message(&raw);
                (m.parse_ok, m.attachments.len(), m.text.len())
            })
            .expect("thread");
        let (ok, attachments, text) = handle.join().expect("no stack overflow");
        assert!(ok);
        assert_eq!(attachments, 1);
        assert_eq!(text, 0);

        let depth = 100;
        let mut raw = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\ntop\r\n--x\r\n".to_vec();
        for _ in 0..depth {
            raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\nSubject: level\r\n");
        }
        raw.extend_from_slice(b"\r\ninner\r\n--x--\r\n");
        let m = parse_message(&raw);
        assert_eq!(m.subject.as_deref(), Some("outer"));
        assert_eq!(m.text, "top");
        assert_eq!(m.attachments[0].content_type, "message/rfc822");
    }

    #[test]
    fn ten_thousand_parts() {
        let mut raw =
            b"Subject: many\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
        raw.extend_from_slice(b"--p\r\nContent-Type: text/plain\r\n\r\nintro\r\n");
        for i in 0..10_000 {
            raw.extend_from_slice(
                format!(
                    "--p\r\nContent-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"f{i}.bin\"\r\n\r\nxx\r\n"
                )
                .as_bytes(),
            );
        }
        raw.extend_from_slice(b"--p--\r\n");
        let started = std::time::Instant::now();
        let m = parse_message(&raw);
        assert_eq!(m.text, "intro");
        assert_eq!(m.attachments.len(), 10_000);
        assert_eq!(m.attachments[9_999].name.as_deref(), Some("f9999.bin"));
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    /// Parses every file of the shared hard corpora (read-only) and checks
    /// that nothing panics. Runs only with `MAILCITE_SHARED=1`.
    #[test]
    fn shared_hard_corpora_do_not_panic() {
        let base = std::env::var_os("MAILCITE_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
            });
        let root = base.join("corpora/hard");
        if !root.is_dir() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} is missing, and CI=true",
                root.display()
            );
            eprintln!(
                "skipped: {} is missing (set MAILCITE_SHARED)",
                root.display()
            );
            return;
        }
        let mut stack = vec![root.to_path_buf()];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let m = parse_message(&bytes);
                    assert!(!m.text.contains('\0'), "{}", path.display());
                    files += 1;
                }
            }
        }
        eprintln!("parsed {files} files");
        assert!(files > 0);
    }
}
