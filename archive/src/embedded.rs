//! Messages carried inside other messages: attached `message/rfc822` parts
//! and forwards or replies pasted into the text ("-----Original
//! Message-----", "---------- Forwarded message ---------", "Begin
//! forwarded message:", Outlook's "From: … Sent: … To: … Subject:" blocks,
//! and their translations, e.g. Russian "Пересылаемое сообщение").
//!
//! Each one becomes an [`Embedded`] message with its own From, Date, Subject
//! and text. An attached message is exact: its identity is the SHA-256 of
//! its bytes. A pasted one is *reconstructed* from text: the header lines
//! are read back as written, the date may lack its zone, and its identity is
//! a digest of its sender, subject and whitespace-normalized own text, so
//! the same original forwarded in several messages is recognized as one.
//!
//! Extraction is bounded: at most [`MAX_EMBEDDED`] per message and
//! [`MAX_DEPTH`] attached messages inside each other.

use crate::digest::Digest;
use crate::message::{
    Address, AttachmentContent, MessageDate, ParsedMessage, parse_date_fallback,
    parse_message_with_attachments,
};
use serde::{Deserialize, Serialize};

/// Most embedded messages taken from one message.
pub const MAX_EMBEDDED: usize = 100;
/// Deepest nesting of attached messages followed.
pub const MAX_DEPTH: usize = 8;

/// How a message came to be inside another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddedKind {
    /// A `message/rfc822` part: the original's exact bytes.
    Attached,
    /// Pasted under a forward marker ("Forwarded message", "Begin forwarded
    /// message:", "Пересылаемое сообщение", a "Fw:" subject).
    Forwarded,
    /// Pasted under a reply marker ("Original Message", "Исходное
    /// сообщение", an Outlook header block).
    Quoted,
}

impl EmbeddedKind {
    /// The name stored in the catalog and the index.
    pub fn as_str(self) -> &'static str {
        match self {
            EmbeddedKind::Attached => "attached",
            EmbeddedKind::Forwarded => "forwarded",
            EmbeddedKind::Quoted => "quoted",
        }
    }

    /// The kind named `s` (see [`EmbeddedKind::as_str`]).
    pub fn parse(s: &str) -> Option<EmbeddedKind> {
        match s {
            "attached" => Some(EmbeddedKind::Attached),
            "forwarded" => Some(EmbeddedKind::Forwarded),
            "quoted" => Some(EmbeddedKind::Quoted),
            _ => None,
        }
    }
}

/// A message found inside another.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// How it is carried.
    pub kind: EmbeddedKind,
    /// True when read back from pasted text rather than from a MIME part.
    pub reconstructed: bool,
    /// Identity: SHA-256 of the bytes of an attached message; for a
    /// reconstructed one, of its sender, subject and normalized text.
    pub identity: Digest,
    /// Position (in the same list) of the embedded message that contains
    /// this one; `None` when the carrying message itself does.
    pub container: Option<usize>,
    /// The marker line as written ("-----Original Message-----"); `None`
    /// for attached messages and Outlook blocks without one.
    pub marker: Option<String>,
    /// Char offsets in the text of the container (the carrying message's
    /// text, or the containing embedded message's) where the pasted header
    /// starts and the pasted text ends.
    pub span: Option<(usize, usize)>,
    /// Message-ID, when one is written.
    pub message_id: Option<String>,
    /// From.
    pub from: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Subject.
    pub subject: Option<String>,
    /// The date as written.
    pub date_raw: Option<String>,
    /// The date resolved; for a pasted date without a zone, its wall-clock
    /// time read as UTC (see [`Embedded::zone_known`]).
    pub date: Option<MessageDate>,
    /// False when the written date names no zone.
    pub zone_known: bool,
    /// Its own text (for a pasted one: up to the next pasted message).
    pub text: String,
}

/// Every message embedded in `parsed`, outermost first. `parsed` must come
/// from [`parse_message_with_attachments`] for attached messages to be
/// found.
pub fn extract(parsed: &ParsedMessage) -> Vec<Embedded> {
    let mut out = Vec::new();
    collect(parsed, None, 0, &mut out);
    out
}

fn collect(
    parsed: &ParsedMessage,
    container: Option<usize>,
    depth: usize,
    out: &mut Vec<Embedded>,
) {
    for block in pasted(&parsed.text) {
        if out.len() >= MAX_EMBEDDED {
            return;
        }
        // A pasted message inside a pasted message is contained by the one
        // before it (each block's text stops where the next one starts).
        let within = match block.nested_in {
            Some(k) => Some(out.len() - (block.index - k)),
            None => container,
        };
        out.push(block.into_embedded(within));
    }
    if depth >= MAX_DEPTH {
        return;
    }
    for content in &parsed.attachment_contents {
        if out.len() >= MAX_EMBEDDED {
            return;
        }
        let AttachmentContent::Message(raw) = content else {
            continue;
        };
        let inner = parse_message_with_attachments(raw);
        let here = out.len();
        out.push(Embedded {
            kind: EmbeddedKind::Attached,
            reconstructed: false,
            identity: Digest::of(raw),
            container,
            marker: None,
            span: None,
            message_id: inner.message_id.clone(),
            from: inner.from.clone(),
            to: inner.to.clone(),
            cc: inner.cc.clone(),
            subject: inner.subject.clone(),
            date_raw: inner.date_raw.clone(),
            date: inner.date,
            zone_known: inner.date.is_some(),
            text: inner.text.clone(),
        });
        collect(&inner, Some(here), depth + 1, out);
    }
}

/// A pasted message found in a text.
struct Block {
    /// Its position among the blocks of the text.
    index: usize,
    /// The block it is pasted into, if it is pasted inside another one.
    nested_in: Option<usize>,
    kind: EmbeddedKind,
    marker: Option<String>,
    start_char: usize,
    end_char: usize,
    headers: Headers,
    text: String,
}

#[derive(Default)]
struct Headers {
    from: Option<String>,
    to: Option<String>,
    cc: Option<String>,
    date: Option<String>,
    subject: Option<String>,
    message_id: Option<String>,
}

impl Block {
    fn into_embedded(self, container: Option<usize>) -> Embedded {
        let h = self.headers;
        let from = h.from.as_deref().map(addresses).unwrap_or_default();
        let subject = h.subject.clone();
        let text = self.text;
        let (date, zone_known) = match h.date.as_deref().and_then(pasted_date) {
            Some((d, known)) => (Some(d), known),
            None => (None, false),
        };
        let identity = reconstructed_identity(&from, subject.as_deref(), &text);
        Embedded {
            kind: self.kind,
            reconstructed: true,
            identity,
            container,
            marker: self.marker,
            span: Some((self.start_char, self.end_char)),
            message_id: h.message_id.map(|m| {
                m.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            }),
            from,
            to: h.to.as_deref().map(addresses).unwrap_or_default(),
            cc: h.cc.as_deref().map(addresses).unwrap_or_default(),
            subject,
            date_raw: h.date,
            date,
            zone_known,
            text,
        }
    }
}

/// The identity of a reconstructed message: its sender's address (or name),
/// its subject and its text without quote marks, each with runs of white
/// space made one space, so that rewrapping and quoting by different mail
/// programs do not matter. The date is left out: programs print it in
/// different layouts and zones.
fn reconstructed_identity(from: &[Address], subject: Option<&str>, text: &str) -> Digest {
    let sender = from
        .first()
        .and_then(|a| a.address.clone().or_else(|| a.name.clone()))
        .unwrap_or_default()
        .to_lowercase();
    let mut s = String::from("mailcite-embedded/1\n");
    s.push_str(&collapse(&sender));
    s.push('\n');
    s.push_str(&collapse(subject.unwrap_or("")));
    s.push('\n');
    // Quote marks go too: one forwarder quotes the original, another not.
    let unquoted: Vec<&str> = text.lines().map(|l| unquote(l).1).collect();
    s.push_str(&collapse(&unquoted.join("\n")));
    Digest::of(s.as_bytes())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A line of the text: where it starts (chars), how deep it is quoted
/// ("> > "), and its content without the quote marks.
struct Line<'a> {
    start_byte: usize,
    start_char: usize,
    end_char: usize,
    depth: usize,
    content: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let (mut chars, mut bytes) = (0, 0);
    for raw in text.split('\n') {
        let n = raw.chars().count();
        let (depth, content) = unquote(raw.trim_end_matches('\r'));
        out.push(Line {
            start_byte: bytes,
            start_char: chars,
            end_char: chars + n,
            depth,
            content,
        });
        chars += n + 1;
        bytes += raw.len() + 1;
    }
    out
}

/// Counts and strips leading `>` quote marks (with the spaces around them).
fn unquote(line: &str) -> (usize, &str) {
    let mut depth = 0;
    let mut rest = line;
    loop {
        let t = rest.trim_start_matches([' ', '\t']);
        if let Some(r) = t.strip_prefix('>') {
            depth += 1;
            rest = r;
        } else {
            return (depth, if depth == 0 { line } else { t });
        }
    }
}

/// Marker phrases (lower case, without the dashes around them) and whether
/// they announce a forward.
const MARKERS: &[(&str, bool)] = &[
    ("original message", false),
    ("forwarded message", true),
    ("begin forwarded message:", true),
    ("forwarded message follows", true),
    ("исходное сообщение", false),
    ("пересылаемое сообщение", true),
    ("перенаправленное сообщение", true),
    ("пересланное сообщение", true),
    ("ursprüngliche nachricht", false),
    ("weitergeleitete nachricht", true),
    ("message d'origine", false),
    ("message transféré", true),
    ("mensaje original", false),
    ("mensaje reenviado", true),
    ("messaggio originale", false),
    ("messaggio inoltrato", true),
    ("oorspronkelijk bericht", false),
    ("doorgestuurd bericht", true),
    // Apple Mail's "Begin forwarded message:" in other languages.
    ("начало переадресованного сообщения:", true),
    ("anfang der weitergeleiteten nachricht:", true),
    ("début du message réexpédié:", true),
    ("inicio del mensaje reenviado:", true),
    ("inizio messaggio inoltrato:", true),
    ("begin doorgestuurd bericht:", true),
];

/// If `content` is a marker line, whether it announces a forward.
fn marker(content: &str) -> Option<bool> {
    let t = content.trim();
    // Most lines are prose: only a framed line ("-----…-----") or one that
    // ends with a colon can be a marker. Decide that without allocating.
    let frame = ['-', '_', '=', '*'];
    if t.len() > 80 || !(t.starts_with(frame) || t.ends_with(frame) || t.ends_with(':')) {
        return None;
    }
    // "réexpédié :" (French puts a space before the colon).
    let core = t
        .trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c == '*' || c.is_whitespace())
        .to_lowercase()
        .replace(" :", ":");
    let framed = t.len() != core.len() || t.starts_with('-');
    MARKERS.iter().find_map(|&(phrase, forward)| {
        let ok = core == phrase
            || (core.starts_with(phrase)
                && core[phrase.len()..]
                    .trim()
                    .trim_end_matches(':')
                    .trim()
                    .is_empty());
        (ok && (framed || phrase.ends_with(':'))).then_some(forward)
    })
}

/// Which header a pasted `Label: value` line gives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    From,
    To,
    Cc,
    Date,
    Subject,
    MessageId,
}

fn label(content: &str) -> Option<(Label, &str)> {
    let t = content.trim_start();
    let colon = t.find(':')?;
    if colon > 48 {
        return None;
    }
    let name = t[..colon].trim().trim_matches('*').trim().to_lowercase();
    if name.is_empty() || name.chars().count() > 20 {
        return None;
    }
    let value = t[colon + 1..].trim().trim_start_matches('*').trim();
    let l = match name.as_str() {
        "from" | "от" | "von" | "de" | "da" | "van" | "remitente" => Label::From,
        "to" | "кому" | "an" | "à" | "a" | "para" | "aan" | "destinatario" => Label::To,
        "cc" | "копия" | "kopie" | "cc/bcc" => Label::Cc,
        "date"
        | "sent"
        | "отправлено"
        | "дата"
        | "gesendet"
        | "datum"
        | "envoyé"
        | "envoye"
        | "fecha"
        | "enviado"
        | "data"
        | "inviato"
        | "verzonden"
        | "sent at" => Label::Date,
        "subject" | "тема" | "betreff" | "objet" | "asunto" | "oggetto" | "onderwerp" => {
            Label::Subject
        }
        "message-id" => Label::MessageId,
        _ => return None,
    };
    Some((l, value))
}

/// Reads `Label: value` lines at `depth` from line `i` (continuation lines
/// of a long To: or Cc: folded in). Returns the headers and the first line
/// after them.
fn header_block(lines: &[Line<'_>], mut i: usize, depth: usize) -> (Headers, usize) {
    let mut h = Headers::default();
    let mut last: Option<Label> = None;
    let mut open = false;
    while i < lines.len() && lines[i].depth == depth {
        let c = lines[i].content;
        if c.trim().is_empty() {
            break;
        }
        let ends_open = c.trim_end().ends_with([';', ',']);
        if let Some((l, v)) = label(c) {
            let slot = match l {
                Label::From => &mut h.from,
                Label::To => &mut h.to,
                Label::Cc => &mut h.cc,
                Label::Date => &mut h.date,
                Label::Subject => &mut h.subject,
                Label::MessageId => &mut h.message_id,
            };
            if slot.is_some() {
                break;
            }
            *slot = Some(v.to_string());
            last = Some(l);
            open = ends_open;
        } else if is_continuation(c, last, open) {
            let slot = match last {
                Some(Label::From) => &mut h.from,
                Some(Label::To) => &mut h.to,
                _ => &mut h.cc,
            };
            if let Some(s) = slot {
                s.push(' ');
                s.push_str(c.trim());
            }
            open = ends_open;
        } else {
            break;
        }
        i += 1;
    }
    (h, i)
}

/// Whether `line`, which is not a `Label: value` line, continues the
/// address header before it: an indented line, or one that text
/// conversion wrapped (an address in angle brackets, a `;`-separated list,
/// or any line after one that ended with `;` or `,`: `open`).
fn is_continuation(line: &str, last: Option<Label>, open: bool) -> bool {
    if !matches!(last, Some(Label::From | Label::To | Label::Cc)) {
        return false;
    }
    let t = line.trim();
    open || line.starts_with([' ', '\t'])
        || t.starts_with('<')
        || t.starts_with("[mailto:")
        || (last != Some(Label::From) && (t.contains(';') || t.ends_with(',')))
}

/// Where a pasted message starts at line `i`: the line after its marker (or
/// `i` itself for an Outlook block), its kind and marker.
fn block_start(lines: &[Line<'_>], i: usize) -> Option<(usize, EmbeddedKind, Option<String>)> {
    let line = &lines[i];
    if let Some(forward) = marker(line.content) {
        // The header usually follows at once; allow a blank line.
        let mut j = i + 1;
        while j < lines.len() && j <= i + 2 && lines[j].content.trim().is_empty() {
            j += 1;
        }
        let kind = if forward {
            EmbeddedKind::Forwarded
        } else {
            EmbeddedKind::Quoted
        };
        return Some((j, kind, Some(line.content.trim().to_string())));
    }
    // Outlook: "From:" then, within a few lines, a date and a subject, all
    // at one quote depth; often under a line of underscores.
    let (l, _) = label(line.content)?;
    if l != Label::From {
        return None;
    }
    let (h, end) = header_block(lines, i, line.depth);
    if end - i < 3 || h.date.is_none() || h.subject.is_none() {
        return None;
    }
    let forward = h.subject.as_deref().is_some_and(|s| {
        let s = s.trim_start().to_lowercase();
        s.starts_with("fw:") || s.starts_with("fwd:") || s.starts_with("пересл")
    });
    let kind = if forward {
        EmbeddedKind::Forwarded
    } else {
        EmbeddedKind::Quoted
    };
    Some((i, kind, None))
}

/// Every pasted message in `text`, in order.
fn pasted(text: &str) -> Vec<Block> {
    let lines = lines(text);
    let mut starts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match block_start(&lines, i) {
            Some((header_at, kind, marker)) => {
                let depth = lines.get(header_at).map_or(lines[i].depth, |l| l.depth);
                let (headers, body_at) = header_block(&lines, header_at, depth);
                if headers.from.is_none() || (headers.subject.is_none() && headers.date.is_none()) {
                    i += 1;
                    continue;
                }
                starts.push((i, body_at, depth, kind, marker, headers));
                i = body_at.max(i + 1);
            }
            None => i += 1,
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    let n = starts.len();
    let mut iter = starts.into_iter().enumerate().peekable();
    while let Some((index, (first, body_at, depth, kind, marker, headers))) = iter.next() {
        if index >= MAX_EMBEDDED {
            break;
        }
        let end_line = iter.peek().map_or(lines.len(), |(_, s)| s.0);
        let mut body: Vec<&str> = Vec::new();
        for l in &lines[body_at.min(end_line)..end_line] {
            // Lines quoted deeper than the pasted header keep their extra
            // marks; shallower ones (the forwarder's own text after the
            // paste) end it.
            if l.depth < depth && !l.content.trim().is_empty() {
                break;
            }
            body.push(if l.depth > depth {
                requote(lines_raw(text, l), depth)
            } else {
                l.content
            });
        }
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        let blank = body.iter().take_while(|l| l.trim().is_empty()).count();
        body.drain(..blank);
        let end_char = lines[end_line.saturating_sub(1).max(first)].end_char;
        out.push(Block {
            index,
            nested_in: (index > 0 && index < n).then(|| index - 1),
            kind,
            marker,
            start_char: lines[first].start_char,
            end_char,
            headers,
            text: body.join("\n"),
        });
    }
    out
}

/// The text of line `l` as written (quote marks included).
fn lines_raw<'a>(text: &'a str, l: &Line<'_>) -> &'a str {
    let rest = text.get(l.start_byte..).unwrap_or("");
    rest.split('\n').next().unwrap_or("").trim_end_matches('\r')
}

/// `line` with its first `depth` quote marks removed.
fn requote(line: &str, depth: usize) -> &str {
    let mut rest = line;
    for _ in 0..depth {
        let t = rest.trim_start_matches([' ', '\t']);
        match t.strip_prefix('>') {
            Some(r) => rest = r.strip_prefix(' ').unwrap_or(r),
            None => break,
        }
    }
    rest
}

/// Addresses from a pasted header value: `Name <a@b>`, `Name [mailto:a@b]`,
/// `a@b`, or a bare name; several separated by `;` or `,`.
fn addresses(value: &str) -> Vec<Address> {
    let v = value.replace("[mailto:", "<").replace(']', ">");
    let mut out = Vec::new();
    // Split on ';' always, and on ',' outside quotes and angle brackets.
    let mut parts = Vec::new();
    let (mut cur, mut quoted, mut angle) = (String::new(), false, false);
    for c in v.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' => angle = true,
            '>' => angle = false,
            _ => {}
        }
        if c == ';' || (c == ',' && !quoted && !angle && cur.contains('@')) {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        // The first <...>: a wrapped header may repeat the address.
        let close = p.find('<').and_then(|a| p[a..].find('>').map(|b| a + b));
        let (name, address) = match (p.find('<'), close) {
            (Some(a), Some(b)) if b > a => {
                let addr = p[a + 1..b].trim().to_string();
                let name = p[..a].trim().trim_matches('"').trim().to_string();
                (name, Some(addr).filter(|a| a.contains('@')))
            }
            _ if p.contains('@') && !p.contains(' ') => (String::new(), Some(p.to_string())),
            _ => (p.trim_matches('"').to_string(), None),
        };
        out.push(Address {
            name: (!name.is_empty()).then_some(name),
            address,
        });
    }
    out
}

/// A pasted date: RFC 5322 and the other layouts of the Date header, or the
/// forms mail programs print ("Tuesday, March 3, 2009 10:15 AM", "3 марта
/// 2009 г. 10:15", "03.03.2009 10:15"). The flag says whether a zone was
/// written.
fn pasted_date(value: &str) -> Option<(MessageDate, bool)> {
    let v = value.trim();
    if let Some(d) = parse_date_fallback(v)
        && has_zone(v)
    {
        return Some((d, true));
    }
    local_date(v).map(|d| (d, false))
}

fn has_zone(v: &str) -> bool {
    v.contains('+')
        || v.split_whitespace().any(|w| {
            let w = w.trim_matches(|c: char| c == '(' || c == ')');
            (w.starts_with('-') && w.len() == 5)
                || matches!(
                    w,
                    "GMT"
                        | "UT"
                        | "UTC"
                        | "EST"
                        | "EDT"
                        | "CST"
                        | "CDT"
                        | "MST"
                        | "MDT"
                        | "PST"
                        | "PDT"
                        | "MSK"
                        | "CET"
                        | "CEST"
                )
        })
}

const MONTHS_EN: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTHS_RU: [&str; 12] = [
    "янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
];

fn month_of(word: &str) -> Option<i64> {
    let w = word.to_lowercase();
    if let Some(i) = MONTHS_EN.iter().position(|m| w.starts_with(m)) {
        return Some(i as i64 + 1);
    }
    // "мая"/"май" share "ма" with "марта": test March first.
    if w.starts_with("мар") {
        return Some(3);
    }
    MONTHS_RU
        .iter()
        .position(|m| w.starts_with(m))
        .map(|i| i as i64 + 1)
}

/// A date and time without a zone, its wall-clock time read as UTC.
fn local_date(v: &str) -> Option<MessageDate> {
    let words: Vec<String> = v
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "г." && *w != "г" && *w != "at" && *w != "в")
        .map(str::to_string)
        .collect();
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second) = (None, None, 0i64);
    let mut pm = None;
    for w in &words {
        let lw = w.to_lowercase();
        if lw == "am" || lw == "pm" {
            pm = Some(lw == "pm");
        } else if w.contains(':') {
            // 10:15 or 10:15:00; not a zone such as GMT+03:00.
            let p: Vec<Option<i64>> = w.split(':').map(|p| p.parse::<i64>().ok()).collect();
            if hour.is_none() && p.len() <= 3 && p.iter().all(Option::is_some) {
                hour = p[0];
                minute = p.get(1).copied().flatten();
                second = p.get(2).copied().flatten().unwrap_or(0);
            }
        } else if w.contains('.') || w.contains('/') {
            // 03.03.2009 (day first) or 3/3/2009 (month first).
            let sep = if w.contains('.') { '.' } else { '/' };
            let p: Vec<i64> = w
                .trim_end_matches('.')
                .split(sep)
                .filter_map(|p| p.parse().ok())
                .collect();
            if p.len() == 3 {
                let (a, b) = if sep == '.' {
                    (p[0], p[1])
                } else {
                    (p[1], p[0])
                };
                day = Some(a);
                month = Some(b);
                year = Some(p[2]);
            }
        } else if let Ok(n) = w.parse::<i64>() {
            if n >= 1000 {
                year = Some(n);
            } else if day.is_none() {
                day = Some(n);
            }
        } else if month.is_none()
            && let Some(m) = month_of(w)
        {
            month = Some(m);
        }
    }
    let (year, month, day) = (year?, month?, day?);
    let mut hour = hour.unwrap_or(0);
    let minute = minute.unwrap_or(0);
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    if !(1000..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..61).contains(&second)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(MessageDate {
        utc: days * 86_400 + hour * 3600 + minute * 60 + second,
        offset_secs: 0,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse_message_with_attachments;

    fn text_message(body: &str) -> ParsedMessage {
        let raw = format!(
            "From: Desk <desk@newsroom.example>\r\nTo: Ed <ed@newsroom.example>\r\n\
             Subject: FW: harbour\r\nDate: Tue, 3 Mar 2009 12:00:00 +0300\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
        );
        parse_message_with_attachments(raw.as_bytes())
    }

    #[test]
    fn outlook_original_message_chain() {
        let p = text_message(
            "See below.\r\n\r\n-----Original Message-----\r\n\
             From: Ivan Petrov [mailto:ivan.petrov@borealis-shipping.example]\r\n\
             Sent: Tuesday, March 3, 2009 10:15 AM\r\n\
             To: Anna Berg; lena.sokol@borealis-shipping.example\r\n\
             Subject: RE: harbour fees\r\n\r\n\
             Agreed, pay them in cash.\r\n\r\n\
             -----Original Message-----\r\n\
             From: Anna Berg <anna.berg@nordlicht-trade.example>\r\n\
             Sent: Monday, March 2, 2009 6:40 PM\r\n\
             Subject: harbour fees\r\n\r\n\
             How do we pay the harbour fees?\r\n",
        );
        let e = extract(&p);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(e[0].kind, EmbeddedKind::Quoted);
        assert!(e[0].reconstructed);
        assert_eq!(
            e[0].from[0].address.as_deref(),
            Some("ivan.petrov@borealis-shipping.example")
        );
        assert_eq!(e[0].from[0].name.as_deref(), Some("Ivan Petrov"));
        assert_eq!(e[0].to.len(), 2);
        assert_eq!(e[0].subject.as_deref(), Some("RE: harbour fees"));
        assert_eq!(e[0].text, "Agreed, pay them in cash.");
        assert!(!e[0].zone_known);
        // 2009-03-03 10:15 wall clock.
        assert_eq!(e[0].date.unwrap().utc, 1_236_075_300);
        assert_eq!(e[0].container, None);
        assert_eq!(e[1].container, Some(0));
        assert_eq!(e[1].text, "How do we pay the harbour fees?");
        assert_eq!(e[1].date.unwrap().utc, 1_236_019_200);
    }

    #[test]
    fn russian_forward_with_quote_marks() {
        let p = text_message(
            "Для сведения.\n\n\
             > -------- Пересылаемое сообщение --------\n\
             > От: Иван Петров <ivan.petrov@borealis-shipping.example>\n\
             > Дата: 3 марта 2009 г. 10:15\n\
             > Кому: board@borealis-shipping.example\n\
             > Тема: Активные мероприятия\n\
             >\n\
             > По большой просьбе с той стороны.\n\
             > Продолжаем.\n",
        );
        let e = extract(&p);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].kind, EmbeddedKind::Forwarded);
        assert_eq!(e[0].subject.as_deref(), Some("Активные мероприятия"));
        assert_eq!(e[0].from[0].name.as_deref(), Some("Иван Петров"));
        assert_eq!(e[0].text, "По большой просьбе с той стороны.\nПродолжаем.");
        assert_eq!(e[0].date.unwrap().utc, 1_236_075_300);
    }

    #[test]
    fn gmail_and_apple_forwards() {
        let gmail = text_message(
            "---------- Forwarded message ---------\n\
             From: Lena Sokol <lena.sokol@borealis-shipping.example>\n\
             Date: Tue, Mar 3, 2009 at 10:15 AM\n\
             Subject: invoice 114\n\
             To: <ivan.petrov@borealis-shipping.example>\n\n\
             Invoice attached.\n",
        );
        let e = extract(&gmail);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind, EmbeddedKind::Forwarded);
        assert_eq!(e[0].date.unwrap().utc, 1_236_075_300);
        let apple = text_message(
            "Begin forwarded message:\n\n\
             From: Lena Sokol <lena.sokol@borealis-shipping.example>\n\
             Subject: invoice 114\n\
             Date: 3 March 2009 10:15:00 GMT+03:00\n\
             To: ivan.petrov@borealis-shipping.example\n\n\
             Invoice attached.\n",
        );
        let f = extract(&apple);
        assert_eq!(f.len(), 1);
        // The same original, forwarded twice with other dates and wrapping:
        // one identity.
        assert_eq!(e[0].identity, f[0].identity);
    }

    #[test]
    fn outlook_block_without_marker_and_false_alarms() {
        let p = text_message(
            "Thanks.\n\n________________________________\n\
             From: Anna Berg\nSent: 02 March 2009 18:40\nTo: Ivan Petrov\n\
             Subject: harbour fees\n\nHow do we pay?\n",
        );
        let e = extract(&p);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].marker, None);
        assert_eq!(e[0].from[0].name.as_deref(), Some("Anna Berg"));
        // Prose that mentions a forwarded message, and a lone "From:" line.
        let q = text_message(
            "The forwarded message was lost.\nFrom: the harbour master, with thanks.\nBye\n",
        );
        assert!(extract(&q).is_empty());
    }

    #[test]
    fn attached_message_and_its_forward() {
        let inner = "From: Anna Berg <anna.berg@nordlicht-trade.example>\r\n\
                     Subject: harbour fees\r\nDate: Mon, 2 Mar 2009 18:40:00 +0100\r\n\
                     Message-ID: <fees-1@nordlicht-trade.example>\r\n\r\n\
                     How do we pay?\r\n\r\n-----Original Message-----\r\n\
                     From: Port Office <office@port.example>\r\nSent: 1 March 2009 09:00\r\n\
                     Subject: fees due\r\n\r\nFees are due.\r\n";
        let raw = format!(
            "From: Desk <desk@newsroom.example>\r\nSubject: tip\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
             --b\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--b--\r\n"
        );
        let p = parse_message_with_attachments(raw.as_bytes());
        let e = extract(&p);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert_eq!(e[0].kind, EmbeddedKind::Attached);
        assert!(!e[0].reconstructed);
        assert_eq!(
            e[0].message_id.as_deref(),
            Some("fees-1@nordlicht-trade.example")
        );
        assert_eq!(e[0].date.unwrap().offset_secs, 3600);
        assert_eq!(e[1].container, Some(0));
        assert_eq!(e[1].subject.as_deref(), Some("fees due"));
    }

    #[test]
    fn wrapped_headers_and_translated_apple_markers() {
        let p = text_message(
            "Ecco.\n\nInizio messaggio inoltrato:\n\n\
             Da: Port Office\n<office@port-murmansk.example>\n\
             A: Ivan Petrov; Lena Sokol;\nBoard\n\
             Oggetto: fattura 114\nData: 2 marzo 2009 09:00\n\n\
             Fattura allegata.\n",
        );
        let e = extract(&p);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].kind, EmbeddedKind::Forwarded);
        assert_eq!(
            e[0].from[0].address.as_deref(),
            Some("office@port-murmansk.example")
        );
        assert_eq!(e[0].to.len(), 3, "{:?}", e[0].to);
        assert_eq!(e[0].subject.as_deref(), Some("fattura 114"));
        assert_eq!(e[0].text, "Fattura allegata.");
        let f = text_message(
            "Début du message réexpédié :\n\nDe : Anna Berg <anna.berg@nordlicht-trade.example>\n\
             Objet : frais de port\nDate : 2 mars 2009 18:40\n\nCombien ?\n",
        );
        let e = extract(&f);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(e[0].subject.as_deref(), Some("frais de port"));
    }

    #[test]
    fn hostile_texts_are_bounded() {
        let many = "-----Original Message-----\nFrom: a@b.example\nSubject: s\n\nx\n".repeat(500);
        assert_eq!(extract(&text_message(&many)).len(), MAX_EMBEDDED);
        for t in [
            "",
            "-----Original Message-----",
            "From:",
            "-----Original Message-----\nFrom: \nSent: 99/99/99999 99:99\nSubject:",
            "> > > > >",
        ] {
            let _ = extract(&text_message(t));
        }
        assert_eq!(local_date("Tuesday, March 45, 2009 10:15 AM"), None);
    }
}
