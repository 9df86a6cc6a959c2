//! Text out of attachments: text and HTML parts, PDF, Office Open XML
//! (DOCX, XLSX, PPTX), OpenDocument (ODT, ODS, ODP), RTF and attached
//! messages. Pure Rust, no external program ever runs on a leaked file.
//!
//! Every extractor is bounded: inputs over [`MAX_INPUT`] are not read, zip
//! members are read through a [`MAX_UNZIPPED`] budget (a zip bomb stops
//! there), output stops at [`MAX_TEXT`] bytes, and a PDF gets
//! [`PDF_TIMEOUT`] on its own thread before it is given up. A failure is a
//! result for that attachment ([`Outcome::Failed`]), never an error for the
//! message.

use crate::message::{AttachmentContent, AttachmentInfo, html_to_text, parse_message};
use serde::Serialize;
use std::io::{Cursor, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// Attachments larger than this are not read (bytes).
pub const MAX_INPUT: usize = 64 << 20;
/// Decompressed bytes read from one Office or OpenDocument file.
pub const MAX_UNZIPPED: u64 = 128 << 20;
/// Text kept per attachment (bytes).
pub const MAX_TEXT: usize = 1 << 20;
/// Time one PDF may take.
pub const PDF_TIMEOUT: Duration = Duration::from_secs(20);

/// What came of one attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// Text extracted (possibly cut at [`MAX_TEXT`]).
    Text {
        /// The format read (`pdf`, `docx`, `text`, ...).
        format: String,
        /// The text.
        text: String,
        /// True when the text was cut at [`MAX_TEXT`].
        truncated: bool,
    },
    /// A format mailcite does not read text from (images, archives, ...).
    Unsupported,
    /// A format it reads, but this file failed.
    Failed {
        /// The format tried.
        format: String,
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// The text, when there is some.
    pub fn text(&self) -> Option<&str> {
        match self {
            Outcome::Text { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Formats recognized by MIME type or file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Html,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odf,
    Rtf,
    Message,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odf => "odf",
            Format::Rtf => "rtf",
            Format::Message => "message",
        }
    }
}

fn format_of(info: &AttachmentInfo, data: &[u8]) -> Option<Format> {
    let ct = info.content_type.as_str();
    let ext = info
        .name
        .as_deref()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if data.starts_with(b"%PDF-") || ct == "application/pdf" || ext == "pdf" {
        return Some(Format::Pdf);
    }
    if data.starts_with(b"{\\rtf") || ct == "application/rtf" || ct == "text/rtf" || ext == "rtf" {
        return Some(Format::Rtf);
    }
    let by_name = match ext.as_str() {
        "docx" | "docm" | "dotx" => Some(Format::Docx),
        "xlsx" | "xlsm" => Some(Format::Xlsx),
        "pptx" | "pptm" => Some(Format::Pptx),
        "odt" | "ods" | "odp" | "odg" => Some(Format::Odf),
        _ => None,
    };
    let by_type = if ct.contains("wordprocessingml") {
        Some(Format::Docx)
    } else if ct.contains("spreadsheetml") {
        Some(Format::Xlsx)
    } else if ct.contains("presentationml") {
        Some(Format::Pptx)
    } else if ct.starts_with("application/vnd.oasis.opendocument") {
        Some(Format::Odf)
    } else if ct == "message/rfc822" {
        Some(Format::Message)
    } else if ct == "text/html" || ext == "html" || ext == "htm" {
        Some(Format::Html)
    } else if ct.starts_with("text/")
        || matches!(
            ct,
            "message/delivery-status"
                | "message/disposition-notification"
                | "message/rfc822-headers"
                | "message/feedback-report"
                | "text/rfc822-headers"
        )
        || matches!(
            ext.as_str(),
            "txt" | "csv" | "md" | "log" | "json" | "xml" | "tsv"
        )
    {
        Some(Format::Text)
    } else {
        None
    };
    if data.starts_with(b"PK\x03\x04") && by_name.is_none() && by_type.is_none() {
        // An Office or OpenDocument file under a generic type: look inside.
        return sniff_zip(data);
    }
    by_type.or(by_name)
}

/// Extracts the text of every attachment of a parsed message (parsed with
/// [`crate::message::parse_message_with_attachments`]).
pub fn attachments(parsed: &crate::message::ParsedMessage) -> Vec<Outcome> {
    parsed
        .attachments
        .iter()
        .zip(&parsed.attachment_contents)
        .map(|(info, content)| attachment(info, content))
        .collect()
}

/// Extracts the text of one attachment.
pub fn attachment(info: &AttachmentInfo, content: &AttachmentContent) -> Outcome {
    let data: &[u8] = match content {
        AttachmentContent::Text { text, .. } => {
            return if info.content_type == "text/html" {
                text_outcome("html", html_to_text(text))
            } else {
                text_outcome("text", text.clone())
            };
        }
        AttachmentContent::Message(raw) => {
            if raw.len() > MAX_INPUT {
                return too_large("message", raw.len());
            }
            let m = parse_message(raw);
            let mut text = String::new();
            for (label, value) in [
                ("From", addresses(&m.from)),
                ("To", addresses(&m.to)),
                ("Subject", m.subject.clone().unwrap_or_default()),
                ("Date", m.date_raw.clone().unwrap_or_default()),
            ] {
                if !value.is_empty() {
                    text.push_str(&format!("{label}: {value}\n"));
                }
            }
            text.push('\n');
            text.push_str(&m.text);
            return text_outcome("message", text);
        }
        AttachmentContent::Bytes(b) => b,
        AttachmentContent::Unavailable => return Outcome::Unsupported,
    };
    let Some(format) = format_of(info, data) else {
        return Outcome::Unsupported;
    };
    if data.len() > MAX_INPUT {
        return too_large(format.name(), data.len());
    }
    let result = match format {
        Format::Text => Ok(decode_text(data)),
        Format::Html => Ok(html_to_text(&decode_text(data))),
        Format::Pdf => pdf(data),
        Format::Docx => office(
            data,
            &["word/document.xml"],
            &["word/footnotes.xml", "word/endnotes.xml"],
            "docx",
        ),
        Format::Xlsx => xlsx(data),
        Format::Pptx => pptx(data),
        Format::Odf => office(data, &["content.xml"], &[], "odf"),
        Format::Rtf => Ok(rtf(data)),
        Format::Message => {
            return attachment(info, &AttachmentContent::Message(data.to_vec()));
        }
    };
    match result {
        Ok(text) => text_outcome(format.name(), text),
        Err(reason) => Outcome::Failed {
            format: format.name().into(),
            reason,
        },
    }
}

fn addresses(list: &[crate::message::Address]) -> String {
    list.iter()
        .map(|a| match (&a.name, &a.address) {
            (Some(n), Some(ad)) => format!("{n} <{ad}>"),
            (None, Some(ad)) => ad.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn too_large(format: &str, len: usize) -> Outcome {
    Outcome::Failed {
        format: format.into(),
        reason: format!(
            "{len} bytes: larger than the {} MiB read for text",
            MAX_INPUT >> 20
        ),
    }
}

fn text_outcome(format: &str, mut text: String) -> Outcome {
    let truncated = text.len() > MAX_TEXT;
    if truncated {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    let text = text.replace('\0', "");
    Outcome::Text {
        format: format.into(),
        text,
        truncated,
    }
}

/// UTF-8 when valid, else windows-1252.
fn decode_text(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) => s.to_string(),
        Err(_) => data.iter().map(|&b| cp1252(b)).collect(),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

// --- PDF ---------------------------------------------------------------

fn pdf(data: &[u8]) -> Result<String, String> {
    let owned = data.to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("mailcite-pdf".into())
        .stack_size(16 << 20)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| {
                pdf_extract::extract_text_from_mem(&owned)
            }));
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start the PDF reader: {e}"));
    }
    match rx.recv_timeout(PDF_TIMEOUT) {
        Ok(Ok(Ok(text))) => Ok(text),
        Ok(Ok(Err(e))) => Err(format!("unreadable PDF: {e}")),
        Ok(Err(_)) => Err("the PDF reader failed on this file".into()),
        // The thread is left to finish on its own; its result is dropped.
        Err(_) => Err(format!(
            "gave up after {} s (the PDF is too complex or crafted)",
            PDF_TIMEOUT.as_secs()
        )),
    }
}

// --- Office Open XML and OpenDocument ---------------------------------

fn open_zip(data: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, String> {
    zip::ZipArchive::new(Cursor::new(data)).map_err(|e| format!("not a readable zip file: {e}"))
}

/// Reads one member within the remaining decompression `budget`.
fn member(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<Option<Vec<u8>>, String> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    let mut out = Vec::new();
    let mut limited = file.take(*budget + 1);
    limited
        .read_to_end(&mut out)
        .map_err(|e| format!("{name}: {e}"))?;
    if out.len() as u64 > *budget {
        return Err(format!(
            "expands to more than {} MiB: not read (a zip bomb?)",
            MAX_UNZIPPED >> 20
        ));
    }
    *budget -= out.len() as u64;
    Ok(Some(out))
}

fn names(z: &zip::ZipArchive<Cursor<&[u8]>>) -> Vec<String> {
    z.file_names()
        .filter_map(Result::ok)
        .map(|c| c.into_owned())
        .collect()
}

fn sniff_zip(data: &[u8]) -> Option<Format> {
    let mut z = open_zip(data).ok()?;
    let names = names(&z);
    if names.iter().any(|n| n == "word/document.xml") {
        return Some(Format::Docx);
    }
    if names.iter().any(|n| n == "xl/workbook.xml") {
        return Some(Format::Xlsx);
    }
    if names.iter().any(|n| n.starts_with("ppt/slides/")) {
        return Some(Format::Pptx);
    }
    let mut budget = 4096;
    if let Ok(Some(m)) = member(&mut z, "mimetype", &mut budget)
        && m.starts_with(b"application/vnd.oasis.opendocument")
    {
        return Some(Format::Odf);
    }
    None
}

fn office(data: &[u8], main: &[&str], extra: &[&str], kind: &str) -> Result<String, String> {
    let mut z = open_zip(data)?;
    let mut budget = MAX_UNZIPPED;
    let mut text = String::new();
    let mut found = false;
    for name in main.iter().chain(extra) {
        if let Some(xml) = member(&mut z, name, &mut budget)? {
            found = true;
            xml_text(&xml, &mut text)?;
        }
    }
    if !found {
        return Err(format!("no {} found: not a {kind} file", main.join(", ")));
    }
    Ok(text)
}

fn pptx(data: &[u8]) -> Result<String, String> {
    let mut z = open_zip(data)?;
    let mut slides: Vec<(u32, String)> = names(&z)
        .into_iter()
        .filter_map(|n| {
            let num = n
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((num, n.clone()))
        })
        .collect();
    slides.sort();
    if slides.is_empty() {
        return Err("no slides found: not a pptx file".into());
    }
    let mut budget = MAX_UNZIPPED;
    let mut text = String::new();
    for (_, name) in slides {
        if let Some(xml) = member(&mut z, &name, &mut budget)? {
            xml_text(&xml, &mut text)?;
            text.push('\n');
        }
        if text.len() > MAX_TEXT {
            break;
        }
    }
    Ok(text)
}

fn xlsx(data: &[u8]) -> Result<String, String> {
    let mut z = open_zip(data)?;
    let mut budget = MAX_UNZIPPED;
    let mut text = String::new();
    // Shared strings hold nearly all of a workbook's text.
    if let Some(xml) = member(&mut z, "xl/sharedStrings.xml", &mut budget)? {
        xml_text(&xml, &mut text)?;
    }
    let mut sheets: Vec<String> = names(&z)
        .into_iter()
        .filter(|n| n.starts_with("xl/worksheets/sheet") && n.ends_with(".xml"))
        .collect();
    sheets.sort();
    if sheets.is_empty() && text.is_empty() {
        return Err("no worksheets found: not an xlsx file".into());
    }
    // Inline strings and numbers live in the sheets.
    for name in sheets {
        if let Some(xml) = member(&mut z, &name, &mut budget)? {
            sheet_values(&xml, &mut text)?;
        }
        if text.len() > MAX_TEXT {
            break;
        }
    }
    Ok(text)
}

/// Appends the character data of an XML document, a line break after each
/// paragraph-like element and a tab for tab elements.
fn xml_text(xml: &[u8], out: &mut String) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Text(t)) => {
                let s = t.decode().map_err(|e| format!("bad XML text: {e}"))?;
                out.push_str(&unescape(&s));
            }
            Ok(Event::CData(t)) => out.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) => {
                let name = String::from_utf8_lossy(&r);
                out.push_str(&unescape(&format!("&{name};")));
            }
            Ok(Event::End(e)) => {
                let local = e.local_name();
                match local.as_ref() {
                    b"p" | b"h" | b"si" | b"tr" | b"br" | b"table-row" => out.push('\n'),
                    b"tc" | b"table-cell" => out.push('\t'),
                    _ => {}
                }
            }
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                b"tab" => out.push('\t'),
                b"br" | b"cr" | b"line-break" => out.push('\n'),
                b"s" => out.push(' '),
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("bad XML: {e}")),
        }
        if out.len() > MAX_TEXT {
            break;
        }
        buf.clear();
    }
    Ok(())
}

/// Numbers and inline strings of a worksheet (`<v>` and `<is><t>`), one
/// row per line. Cells of shared-string type are skipped (read above).
fn sheet_values(xml: &[u8], out: &mut String) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut shared = false;
    let mut in_value = false;
    let mut row_has = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"c" => {
                    shared = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.local_name().as_ref() == b"t" && a.value.as_ref() == b"s");
                }
                b"v" | b"t" => in_value = !shared,
                _ => {}
            },
            Ok(Event::Text(t)) if in_value => {
                let s = t.decode().map_err(|e| format!("bad XML text: {e}"))?;
                if row_has {
                    out.push('\t');
                }
                out.push_str(&unescape(&s));
                row_has = true;
            }
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"v" | b"t" => in_value = false,
                b"row" if row_has => {
                    out.push('\n');
                    row_has = false;
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("bad XML: {e}")),
        }
        if out.len() > MAX_TEXT {
            break;
        }
        buf.clear();
    }
    Ok(())
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

// --- RTF ---------------------------------------------------------------

/// Destinations whose content is not text.
const RTF_SKIP: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "footer",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "fldinst",
];

/// Plain text of an RTF document: groups, control words and hidden
/// destinations removed, `\par` and `\line` as line breaks, `\'hh` read in the
/// document's code page (`\ansicpgN`: 1251 and 1252 known, others as 1252),
/// `\uN` as Unicode (skipping `\ucN` fallback characters).
fn rtf(data: &[u8]) -> String {
    let mut out = String::new();
    // Per group: (skipping, unicode fallback count).
    let mut stack: Vec<(bool, usize)> = vec![(false, 1)];
    let mut codepage = 1252u32;
    let mut pending_skip = 0usize;
    let mut i = 0;
    let n = data.len();
    let mut first_in_group = false;
    while i < n && out.len() <= MAX_TEXT {
        let c = data[i];
        let (skipping, uc) = *stack.last().unwrap_or(&(false, 1));
        match c {
            b'{' => {
                if stack.len() < 512 {
                    stack.push((skipping, uc));
                }
                first_in_group = true;
                i += 1;
                continue;
            }
            b'}' => {
                if stack.len() > 1 {
                    stack.pop();
                }
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&next) = data.get(i) else { break };
                if next == b'*' && first_in_group {
                    if let Some(top) = stack.last_mut() {
                        top.0 = true;
                    }
                    i += 1;
                } else if next == b'\'' {
                    let hex = data
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    i += 3;
                    if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        if pending_skip > 0 {
                            pending_skip -= 1;
                        } else if !skipping {
                            out.push(if codepage == 1251 {
                                cp1251(b)
                            } else {
                                cp1252(b)
                            });
                        }
                    }
                } else if next.is_ascii_alphabetic() {
                    let start = i;
                    while i < n && data[i].is_ascii_alphabetic() && i - start < 32 {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&data[start..i]).unwrap_or("");
                    let num_start = i;
                    if i < n && data[i] == b'-' {
                        i += 1;
                    }
                    while i < n && data[i].is_ascii_digit() && i - num_start < 10 {
                        i += 1;
                    }
                    let num: Option<i64> = std::str::from_utf8(&data[num_start..i])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if i < n && data[i] == b' ' {
                        i += 1;
                    }
                    if first_in_group
                        && RTF_SKIP.contains(&word)
                        && let Some(top) = stack.last_mut()
                    {
                        top.0 = true;
                    }
                    match word {
                        "ansicpg" => codepage = num.unwrap_or(1252).clamp(0, 65535) as u32,
                        "uc" => {
                            if let Some(top) = stack.last_mut() {
                                top.1 = num.unwrap_or(1).clamp(0, 10) as usize;
                            }
                        }
                        "u" if !skipping => {
                            let v = num.unwrap_or(0);
                            let v = if v < 0 { v + 65_536 } else { v };
                            if let Some(ch) = u32::try_from(v).ok().and_then(char::from_u32) {
                                out.push(ch);
                            }
                            pending_skip = uc;
                        }
                        "par" | "line" | "row" | "sect" | "page" if !skipping => out.push('\n'),
                        "tab" | "cell" if !skipping => out.push('\t'),
                        _ => {}
                    }
                } else {
                    // Escaped symbol: \\ \{ \} and \~ \- \_ .
                    if !skipping {
                        match next {
                            b'\\' | b'{' | b'}' => out.push(next as char),
                            b'~' => out.push(' '),
                            b'\n' | b'\r' => out.push('\n'),
                            _ => {}
                        }
                    }
                    i += 1;
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if pending_skip > 0 {
                    pending_skip -= 1;
                } else if !skipping {
                    out.push(if c < 0x80 { c as char } else { cp1252(c) });
                }
                i += 1;
            }
        }
        first_in_group = false;
    }
    out
}

fn cp1251(b: u8) -> char {
    match b {
        0xc0..=0xff => char::from_u32(0x410 + u32::from(b - 0xc0)).unwrap_or('?'),
        0xa8 => 'Ё',
        0xb8 => 'ё',
        _ => cp1252(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn info(name: &str, ct: &str) -> AttachmentInfo {
        AttachmentInfo {
            name: Some(name.into()),
            content_type: ct.into(),
            size: 0,
        }
    }

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, body) in files {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(body.as_bytes()).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    fn text_of(o: Outcome) -> String {
        match o {
            Outcome::Text { text, .. } => text,
            other => panic!("no text: {other:?}"),
        }
    }

    #[test]
    fn docx_paragraphs_and_entities() {
        let doc = zip_of(&[(
            "word/document.xml",
            r#"<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Per a big request</w:t></w:r><w:r><w:t xml:space="preserve"> on the &amp; side</w:t></w:r></w:p><w:p><w:r><w:t>second</w:t><w:tab/><w:t>para</w:t></w:r></w:p></w:body></w:document>"#,
        )]);
        let t = text_of(attachment(
            &info("memo.docx", "application/octet-stream"),
            &AttachmentContent::Bytes(doc),
        ));
        assert_eq!(t, "Per a big request on the & side\nsecond\tpara\n");
    }

    #[test]
    fn xlsx_shared_strings_and_numbers() {
        let x = zip_of(&[
            ("xl/workbook.xml", "<workbook/>"),
            (
                "xl/sharedStrings.xml",
                "<sst><si><t>Budget</t></si><si><t>Lubyanka</t></si></sst>",
            ),
            (
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row><c t="s"><v>0</v></c><c><v>1500</v></c></row><row><c t="inlineStr"><is><t>inline</t></is></c></row></sheetData></worksheet>"#,
            ),
        ]);
        let t = text_of(attachment(
            &info(
                "budget.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            &AttachmentContent::Bytes(x),
        ));
        assert!(t.contains("Budget\nLubyanka\n"), "{t:?}");
        assert!(t.contains("1500\n"), "{t:?}");
        assert!(t.contains("inline"), "{t:?}");
    }

    #[test]
    fn pptx_slides_in_order_and_odt() {
        let p = zip_of(&[
            (
                "ppt/slides/slide2.xml",
                "<p:sld><a:p><a:t>two</a:t></a:p></p:sld>",
            ),
            (
                "ppt/slides/slide10.xml",
                "<p:sld><a:p><a:t>ten</a:t></a:p></p:sld>",
            ),
            (
                "ppt/slides/slide1.xml",
                "<p:sld><a:p><a:t>one</a:t></a:p></p:sld>",
            ),
        ]);
        let t = text_of(attachment(
            &info("deck.pptx", ""),
            &AttachmentContent::Bytes(p),
        ));
        let order: Vec<&str> = t.split_whitespace().collect();
        assert_eq!(order, ["one", "two", "ten"]);
        let o = zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            (
                "content.xml",
                "<office:document-content><text:p>Активные <text:s/>меры</text:p></office:document-content>",
            ),
        ]);
        let t = text_of(attachment(
            &info("x.bin", "application/octet-stream"),
            &AttachmentContent::Bytes(o),
        ));
        assert_eq!(t, "Активные  меры\n");
    }

    #[test]
    fn zip_bombs_and_garbage_fail_without_panic() {
        let big = "a".repeat((MAX_UNZIPPED + 10) as usize);
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            w.start_file(
                "word/document.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
            w.write_all(big.as_bytes()).unwrap();
            w.finish().unwrap();
        }
        let bomb = buf.into_inner();
        assert!(bomb.len() < 1 << 20, "compressed {}", bomb.len());
        match attachment(&info("bomb.docx", ""), &AttachmentContent::Bytes(bomb)) {
            Outcome::Failed { reason, .. } => assert!(reason.contains("zip bomb"), "{reason}"),
            other => panic!("{other:?}"),
        }
        for junk in [
            &b"PK\x03\x04garbage"[..],
            b"%PDF-1.4 nothing",
            b"{\\rtf1 {{{{\\'zz\\u-",
        ] {
            let _ = attachment(
                &info("x.docx", ""),
                &AttachmentContent::Bytes(junk.to_vec()),
            );
            let _ = attachment(&info("x.pdf", ""), &AttachmentContent::Bytes(junk.to_vec()));
            let _ = attachment(&info("x.rtf", ""), &AttachmentContent::Bytes(junk.to_vec()));
        }
        assert_eq!(
            attachment(
                &info("x.png", "image/png"),
                &AttachmentContent::Bytes(vec![1, 2])
            ),
            Outcome::Unsupported
        );
    }

    #[test]
    fn rtf_text_codepages_and_unicode() {
        let r = br"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}{\*\generator Riched20;}\f0 \'e0\'ea\'f2\'e8\'e2\'ed\'fb\'e5 \u1084?\u1077?\u1088?\u1099?\par second \{line\}\tab end}";
        let t = rtf(r);
        assert_eq!(t, "активные меры\nsecond {line}\tend");
    }

    #[test]
    fn attached_messages_and_text_parts() {
        let inner = b"From: A <a@example.org>\nSubject: inner\n\nforwarded words\n".to_vec();
        let t = text_of(attachment(
            &info("fwd.eml", "message/rfc822"),
            &AttachmentContent::Message(inner),
        ));
        assert!(
            t.contains("Subject: inner") && t.contains("forwarded words"),
            "{t}"
        );
        let t = text_of(attachment(
            &info("notes.txt", "text/plain"),
            &AttachmentContent::Text {
                bytes: Vec::new(),
                text: "x".repeat(MAX_TEXT + 5),
            },
        ));
        assert_eq!(t.len(), MAX_TEXT);
    }

    #[test]
    fn a_real_pdf_made_here() {
        // A minimal one-page PDF with one line of text (Helvetica).
        let content = "BT /F1 12 Tf 72 712 Td (active countermeasures) Tj ET";
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        ];
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for off in offsets {
            pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        let t = text_of(attachment(
            &info("r.pdf", "application/pdf"),
            &AttachmentContent::Bytes(pdf),
        ));
        assert!(t.contains("active countermeasures"), "{t:?}");
    }
}
