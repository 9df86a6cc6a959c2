//! mbox splitting (mboxo, mboxrd, mboxcl, mboxcl2) and MMDF.
//!
//! Both splitters stream: they read with a [`BufRead`], hold at most one
//! message in memory (bounded by a size limit) and yield one
//! [`SplitItem`] per message, in container order, with the byte offset and
//! length of each message in the (decompressed) stream.
//!
//! # mbox rules
//!
//! * A message starts at a From_ line ([`is_from_line`]) that is at the start
//!   of the stream or follows a blank line (empty, or just `"\r"`). A From_
//!   line without a date (`From -`, `From alice@example.org`, as some
//!   exporters write; see [`is_dateless_from_line`]) only starts a message
//!   when the line after it is a header field.
//! * A message whose header block has `Content-Length: N` is split after its N
//!   body bytes when they are followed by the end of the stream, or by at
//!   most one blank line and then a From_ line; otherwise the splitter falls
//!   back to From_ lines and says so in a warning.
//! * Un-escaping is applied to every line after the From_ line, header lines
//!   included (mboxrd writers escape every line; escaped header lines do not
//!   occur in practice, so doing it everywhere keeps the rule simple):
//!   mboxrd removes one `>` from lines matching `^>+From `, mboxo and mboxcl
//!   from lines matching `^>From `, mboxcl2 removes nothing.
//! * The separator newline before the next From_ line (or at the end of the
//!   stream) is removed, so a message hashes the same from mbox and `.eml`.
//! * Offsets and lengths tile the stream from the first From_ line on; bytes
//!   before it (the preamble) become a message, a failure, or are ignored when
//!   they are only whitespace.
//!
//! # Choices worth knowing
//!
//! * A UTF-8 byte order mark just before the first From_ line is skipped
//!   (the first message says so in a warning).
//! * [`MboxReader::with_blankless_separators`] (off by default) also splits
//!   at a From_ line that follows no blank line when a header line comes
//!   next, for Netscape-era folders written without blank separators.
//! * When a Content-Length is not honoured, the bytes already read for it are
//!   pushed back and read again; a file where every message carries a huge,
//!   wrong Content-Length is therefore slow (quadratic) but still correct.

use super::{RawMessage, SplitFailure, SplitItem};
use serde::Serialize;
use std::io::{self, BufRead, Read};

/// Default message size limit of [`MboxReader`] and [`MmdfReader`]: 1 GiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 30;

/// How much of a line is kept when only its shape matters (skipped oversize
/// messages, look-ahead); a longer line is never a From_ line.
const LINE_PEEK: usize = 64 * 1024;

/// A UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The MMDF message delimiter line, without its line ending.
const MMDF_DELIMITER: &[u8] = b"\x01\x01\x01\x01";

/// Capacity above which the reused message buffer is released after a
/// message, so that one huge message does not pin its memory.
const KEEP_CAPACITY: usize = 64 << 20;

/// mbox variant, recorded per container in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Original mbox: body lines `From ` were escaped as `>From `, but
    /// `>From ` itself was not escaped, so un-escaping is ambiguous; one `>`
    /// is removed from lines starting with exactly `>From `.
    Mboxo,
    /// Reversible escaping: every `^>*From ` line gained one `>`; one `>` is
    /// removed from every line matching `^>+From `.
    Mboxrd,
    /// mboxo escaping plus a `Content-Length` header on every message.
    Mboxcl,
    /// `Content-Length` on every message and no escaping at all.
    Mboxcl2,
}

impl Variant {
    /// The name stored in the catalog: `mboxo`, `mboxrd`, `mboxcl`, `mboxcl2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Mboxo => "mboxo",
            Variant::Mboxrd => "mboxrd",
            Variant::Mboxcl => "mboxcl",
            Variant::Mboxcl2 => "mboxcl2",
        }
    }

    /// Parses a name as written by [`Variant::as_str`] (ASCII case ignored).
    pub fn parse(s: &str) -> Option<Variant> {
        [
            Variant::Mboxo,
            Variant::Mboxrd,
            Variant::Mboxcl,
            Variant::Mboxcl2,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// True when this variant removes one `>` from `line` (a whole line, with
    /// or without its line ending).
    pub fn unescapes(self, line: &[u8]) -> bool {
        if line.first() != Some(&b'>') {
            return false;
        }
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        let from = line[quotes..].starts_with(b"From ");
        match self {
            Variant::Mboxrd => from,
            Variant::Mboxo | Variant::Mboxcl => from && quotes == 1,
            Variant::Mboxcl2 => false,
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// Line shapes
// ---------------------------------------------------------------------------

/// The line without a trailing `"\n"` and then a trailing `"\r"`.
fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// True for an empty line or one holding just `"\r"` (with or without `"\n"`).
fn is_blank(line: &[u8]) -> bool {
    matches!(line, b"\n" | b"\r\n" | b"\r" | b"")
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits the part after `"From "` into the sender token and the rest.
fn split_sender(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = rest.iter().position(|&b| !is_ws(b))?;
    let rest = &rest[start..];
    let mut end = 0;
    if rest[0] == b'"' {
        // A quoted local part may hold blanks: `"john doe"@example.org`.
        end = rest[1..].iter().position(|&b| b == b'"')? + 2;
    }
    end += rest[end..]
        .iter()
        .position(|&b| is_ws(b))
        .unwrap_or(rest.len() - end);
    Some((&rest[..end], &rest[end..]))
}

/// True when `line` (without line ending; a trailing `"\r\n"` is tolerated)
/// has the shape of an mbox From_ separator: `"From "`, a sender token
/// (`MAILER-DAEMON`, an address, `-`, a UUCP path...), then a date in one of
/// the forms writers use: asctime (`Mon Jul 13 10:11:12 2009`,
/// `Sat Jan  3 01:05:34 1996`), with a zone (`Tue Mar 2 10:00:00 +0000 2021`),
/// RFC 5322-like (`Thu, 02 Mar 2006 12:00:00 +0100`), two-digit years
/// (`Tue, 04 Jan 11 08:44:27 PST remote from host`). The date needs a month
/// name, a day, a time and a year, in the first eight tokens after the
/// sender, with nothing but weekdays, numbers and zones between them; text
/// after the date is free. A body line such as `From the start we knew...`
/// does not qualify.
pub fn is_from_line(line: &[u8]) -> bool {
    let line = strip_eol(line);
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    match split_sender(rest) {
        Some((_, date)) => is_envelope_date(date),
        None => false,
    }
}

/// True when `line` is a From_ line without a date, as some exporters write
/// (`From -`, `From 1844347792267117879@xxx`, `From MAILER-DAEMON`): `"From "`
/// and one token that is `-`, `MAILER-DAEMON` or contains `@`, and nothing
/// else. Such a line is ambiguous, so the splitter takes it as a separator
/// only when it follows a blank line (or starts the file) *and* the next line
/// is a header field (`Name: value`).
pub fn is_dateless_from_line(line: &[u8]) -> bool {
    let line = strip_eol(line);
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let Some((sender, after)) = split_sender(rest) else {
        return false;
    };
    after.iter().all(|&b| is_ws(b))
        && (sender == b"-"
            || sender.eq_ignore_ascii_case(b"MAILER-DAEMON")
            || (sender.len() > 1 && sender.contains(&b'@')))
}

/// True when `line` starts like an RFC 5322 header field: a name of printable
/// ASCII characters other than `:` (obsolete blanks before the colon allowed),
/// then `:`.
pub fn is_header_line(line: &[u8]) -> bool {
    let name = line
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    if name == 0 {
        return false;
    }
    let blanks = line[name..].iter().take_while(|&&b| is_ws(b)).count();
    line.get(name + blanks) == Some(&b':')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateToken {
    Weekday,
    Month,
    Time,
    /// A number: its digit count and value.
    Number(usize, u32),
    Zone,
    Other,
}

const WEEKDAYS: [&[u8]; 7] = [
    b"monday",
    b"tuesday",
    b"wednesday",
    b"thursday",
    b"friday",
    b"saturday",
    b"sunday",
];
const MONTHS: [&[u8]; 12] = [
    b"january",
    b"february",
    b"march",
    b"april",
    b"may",
    b"june",
    b"july",
    b"august",
    b"september",
    b"october",
    b"november",
    b"december",
];

/// True when `token` is the 3-letter abbreviation or the full form of a name.
fn names_one_of(token: &[u8], names: &[&[u8]]) -> bool {
    token.len() >= 3
        && names.iter().any(|name| {
            (token.len() == 3 || token.len() == name.len())
                && token.eq_ignore_ascii_case(&name[..token.len()])
        })
}

fn classify(token: &[u8]) -> DateToken {
    let digits = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_digit);
    if digits(token) {
        if token.len() > 4 {
            return DateToken::Other;
        }
        let value = token
            .iter()
            .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        return DateToken::Number(token.len(), value);
    }
    if token.contains(&b':') {
        let mut parts = token.split(|&b| b == b':');
        let hour = parts.next().unwrap_or_default();
        let rest: Vec<&[u8]> = parts.collect();
        let ok = digits(hour)
            && hour.len() <= 2
            && (1..=2).contains(&rest.len())
            && rest.iter().all(|p| digits(p) && p.len() == 2);
        return if ok {
            DateToken::Time
        } else {
            DateToken::Other
        };
    }
    if let Some(zone) = token
        .strip_prefix(b"+")
        .or_else(|| token.strip_prefix(b"-"))
    {
        return if zone.len() == 4 && digits(zone) {
            DateToken::Zone
        } else {
            DateToken::Other
        };
    }
    if token.len() > 2 && token.starts_with(b"(") && token.ends_with(b")") {
        return DateToken::Zone;
    }
    if token.iter().all(u8::is_ascii_alphabetic) {
        if names_one_of(token, &WEEKDAYS) {
            return DateToken::Weekday;
        }
        if names_one_of(token, &MONTHS) {
            return DateToken::Month;
        }
        if token.len() <= 5 && token.iter().all(u8::is_ascii_uppercase) {
            return DateToken::Zone;
        }
    }
    DateToken::Other
}

/// True when `s` starts with an envelope date (see [`is_from_line`]).
fn is_envelope_date(s: &[u8]) -> bool {
    let (mut month, mut time, mut day, mut year) = (false, false, false, false);
    let tokens = s
        .split(|&b| is_ws(b) || b == b',')
        .filter(|t| !t.is_empty());
    for (i, token) in tokens.enumerate() {
        if i >= 8 {
            return false;
        }
        match classify(token) {
            DateToken::Weekday if i == 0 => {}
            DateToken::Month if !month => month = true,
            DateToken::Time if !time => time = true,
            DateToken::Number(n, v) if !day && n <= 2 && (1..=31).contains(&v) => day = true,
            DateToken::Number(n, _) if day && !year && (n == 2 || n == 4) => year = true,
            DateToken::Zone if i > 0 => {}
            _ => return false,
        }
        if month && time && day && year {
            return true;
        }
    }
    false
}

/// Parses a `Content-Length: N` header line.
fn content_length(line: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"content-length";
    if line.len() < NAME.len() || !line[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return None;
    }
    let rest = &line[NAME.len()..];
    let rest = &rest[rest.iter().take_while(|&&b| is_ws(b)).count()..];
    let value = rest.strip_prefix(b":")?.trim_ascii();
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        value
            .iter()
            .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
    )
}

/// Length of `buf` without its mbox separator: the last line is dropped when
/// it is blank and follows a newline (or is all there is). So `"x\n\n"` keeps
/// `"x\n"`, `"x\r\n\r\n"` keeps `"x\r\n"`, `"x\n"` stays whole.
fn trimmed_len(buf: &[u8]) -> usize {
    let eol = if buf.ends_with(b"\r\n") {
        2
    } else if buf.ends_with(b"\n") {
        1
    } else {
        return buf.len();
    };
    let rest = &buf[..buf.len() - eol];
    if rest.is_empty() || rest.ends_with(b"\n") {
        rest.len()
    } else {
        buf.len()
    }
}

/// True when `tail`, the bytes between the end of the body announced by
/// Content-Length (the end of `body`) and the next From_ line or the end of
/// the stream, is an acceptable separator: nothing, one line ending, or two
/// when the body does not end with a newline (the first ends its last line).
fn tail_ok(body: &[u8], tail: &[u8]) -> bool {
    let mut endings = 0;
    let mut i = 0;
    while i < tail.len() {
        if tail[i] == b'\n' {
            i += 1;
        } else if tail[i..].starts_with(b"\r\n") {
            i += 2;
        } else {
            return false;
        }
        endings += 1;
    }
    if body.last() == Some(&b'\r') && tail.first() == Some(&b'\n') {
        // Content-Length cut a CRLF in two.
        return false;
    }
    let ends_nl = body.last().is_none_or(|&b| b == b'\n');
    endings <= 1 || (endings == 2 && !ends_nl)
}

/// Copies `src` without the bytes at `skip` (ascending positions of the `>`
/// removed by un-escaping).
fn copy_unescaped(src: &[u8], skip: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut last = 0;
    for &p in skip {
        if p >= src.len() || p < last {
            break;
        }
        out.extend_from_slice(&src[last..p]);
        last = p + 1;
    }
    out.extend_from_slice(&src[last..]);
    out
}

// ---------------------------------------------------------------------------
// Variant and format detection on a prefix
// ---------------------------------------------------------------------------

/// End (after the `"\n"`, or the end of `buf`) of the line starting at `pos`.
fn line_end(buf: &[u8], pos: usize) -> usize {
    buf[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |i| pos + i + 1)
}

/// True when the line `buf[start..end]` is a From_ separator, looking at the
/// next line for a dateless one (see [`is_dateless_from_line`]).
fn slice_is_separator(buf: &[u8], start: usize, end: usize) -> bool {
    let line = &buf[start..end];
    is_from_line(line)
        || (is_dateless_from_line(line) && end < buf.len() && is_header_line(&buf[end..]))
}

/// True when the first line of `prefix` (after an optional UTF-8 byte order
/// mark) is a From_ line, dated or dateless with a header line after it.
pub fn starts_with_from_line(prefix: &[u8]) -> bool {
    let buf = prefix.strip_prefix(BOM).unwrap_or(prefix);
    !buf.is_empty() && slice_is_separator(buf, 0, line_end(buf, 0))
}

/// Guesses the variant from the first bytes of a file (pass up to a few MB).
///
/// Every complete message in the prefix has a Content-Length header that is
/// consistent (the announced body is followed by the end of the prefix, or
/// by at most a blank line and a From_ line): [`Variant::Mboxcl2`] when no
/// line matches `^>+From `, else [`Variant::Mboxcl`]. Otherwise
/// [`Variant::Mboxrd`], the safe default: for a `>From ` line mboxo and
/// mboxrd un-escape identically, and `>>From ` lines are only ever written by
/// mboxrd writers. A message cut by the end of the prefix is not judged.
pub fn detect_variant(prefix: &[u8]) -> Variant {
    let buf = prefix.strip_prefix(BOM).unwrap_or(prefix);
    let (mut with_cl, mut without_cl, mut bad_cl, mut escaped) = (0usize, 0usize, false, false);
    let mut pos = 0;
    let mut prev_blank = true;
    'lines: while pos < buf.len() {
        let end = line_end(buf, pos);
        if !(prev_blank && slice_is_separator(buf, pos, end)) {
            let line = &buf[pos..end];
            escaped |= Variant::Mboxrd.unescapes(line);
            prev_blank = is_blank(line);
            pos = end;
            continue;
        }
        // A message: read its header block.
        let mut cl = None;
        let mut p = end;
        let header_end = loop {
            if p >= buf.len() {
                break 'lines; // cut by the end of the prefix
            }
            let e = line_end(buf, p);
            let line = &buf[p..e];
            if is_blank(line) {
                break e;
            }
            escaped |= Variant::Mboxrd.unescapes(line);
            cl = cl.or_else(|| content_length(line));
            p = e;
        };
        pos = header_end;
        prev_blank = true;
        let Some(n) = cl else {
            without_cl += 1;
            continue;
        };
        let Some(target) = usize::try_from(n)
            .ok()
            .and_then(|n| header_end.checked_add(n))
            .filter(|&t| t <= buf.len())
        else {
            break; // the body is cut by the end of the prefix
        };
        // Find the next From_ line (or the end) after at most two line endings.
        let mut q = if target == 0 || buf[target - 1] == b'\n' {
            target
        } else {
            line_end(buf, target)
        };
        let mut consistent = false;
        for _ in 0..3 {
            if q >= buf.len() || slice_is_separator(buf, q, line_end(buf, q)) {
                consistent = tail_ok(&buf[..target], &buf[target..q]);
                break;
            }
            if !is_blank(&buf[q..line_end(buf, q)]) {
                break;
            }
            q = line_end(buf, q);
        }
        if consistent {
            with_cl += 1;
            let mut l = header_end;
            while l < target {
                let e = line_end(buf, l);
                escaped |= Variant::Mboxrd.unescapes(&buf[l..e]);
                l = e;
            }
            pos = q;
        } else {
            bad_cl = true;
        }
    }
    if with_cl > 0 && without_cl == 0 && !bad_cl {
        if escaped {
            Variant::Mboxcl
        } else {
            Variant::Mboxcl2
        }
    } else {
        Variant::Mboxrd
    }
}

/// True when `prefix` looks like an MMDF mailbox: its first non-blank line is
/// exactly `"\x01\x01\x01\x01"`.
pub fn is_mmdf(prefix: &[u8]) -> bool {
    let mut pos = 0;
    while pos < prefix.len() {
        let end = line_end(prefix, pos);
        let line = &prefix[pos..end];
        if !is_blank(line) {
            return strip_eol(line) == MMDF_DELIMITER;
        }
        pos = end;
    }
    false
}

// ---------------------------------------------------------------------------
// Byte source with push-back and offsets
// ---------------------------------------------------------------------------

/// One line read by [`Source::read_line`].
#[derive(Clone, Copy)]
struct Line {
    /// Bytes consumed, line ending included; 0 at the end of the stream.
    total: usize,
    /// Bytes appended to the output (fewer than `total` when cut).
    stored: usize,
}

impl Line {
    fn eof(self) -> bool {
        self.total == 0
    }
    fn complete(self) -> bool {
        self.total == self.stored
    }
}

/// A [`BufRead`] with a push-back buffer and the offset of the next byte.
struct Source<R> {
    reader: R,
    pushback: Vec<u8>,
    pb_pos: usize,
    offset: u64,
}

impl<R: BufRead> Source<R> {
    fn new(reader: R) -> Self {
        Source {
            reader,
            pushback: Vec::new(),
            pb_pos: 0,
            offset: 0,
        }
    }

    /// Appends at most `cap` bytes of the next line to `out` and consumes
    /// exactly those; returns how many.
    fn read_partial(&mut self, out: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
        let mut n = 0;
        if self.pb_pos < self.pushback.len() {
            let avail = &self.pushback[self.pb_pos..];
            let lim = avail.len().min(cap);
            let (take, newline) = match avail[..lim].iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (lim, false),
            };
            out.extend_from_slice(&avail[..take]);
            self.pb_pos += take;
            if self.pb_pos >= self.pushback.len() {
                self.pushback.clear();
                self.pb_pos = 0;
            }
            self.offset += take as u64;
            n = take;
            if newline || n >= cap {
                return Ok(n);
            }
        }
        let limit = u64::try_from(cap - n).unwrap_or(u64::MAX);
        let before = out.len();
        match (&mut self.reader).take(limit).read_until(b'\n', out) {
            Ok(m) => {
                self.offset += m as u64;
                Ok(n + m)
            }
            Err(e) => {
                // Bytes read before the error were consumed all the same.
                self.offset += (out.len() - before) as u64;
                Err(e)
            }
        }
    }

    /// Consumes the rest of the current line, returning how many bytes.
    fn skip_line(&mut self) -> io::Result<usize> {
        let mut n = 0;
        if self.pb_pos < self.pushback.len() {
            let avail = &self.pushback[self.pb_pos..];
            let (take, newline) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            self.pb_pos += take;
            if self.pb_pos >= self.pushback.len() {
                self.pushback.clear();
                self.pb_pos = 0;
            }
            self.offset += take as u64;
            n = take;
            if newline {
                return Ok(n);
            }
        }
        let m = self.reader.skip_until(b'\n')?;
        self.offset += m as u64;
        Ok(n + m)
    }

    /// Reads the next line, appending at most `cap` (at least 1) bytes of it
    /// to `out` and consuming the whole line.
    fn read_line(&mut self, out: &mut Vec<u8>, cap: usize) -> io::Result<Line> {
        let cap = cap.max(1);
        let stored = self.read_partial(out, cap)?;
        if stored < cap || out.last() == Some(&b'\n') {
            return Ok(Line {
                total: stored,
                stored,
            });
        }
        let skipped = self.skip_line()?;
        Ok(Line {
            total: stored + skipped,
            stored,
        })
    }

    /// Un-reads `bytes`, which must be the bytes consumed last.
    fn unread(&mut self, bytes: &[u8]) {
        let k = bytes.len();
        if k == 0 {
            return;
        }
        if self.pb_pos >= k {
            self.pb_pos -= k;
            debug_assert_eq!(&self.pushback[self.pb_pos..self.pb_pos + k], bytes);
        } else if self.pb_pos >= self.pushback.len() {
            self.pushback.clear();
            self.pushback.extend_from_slice(bytes);
            self.pb_pos = 0;
        } else {
            let mut v = Vec::with_capacity(k + self.pushback.len() - self.pb_pos);
            v.extend_from_slice(bytes);
            v.extend_from_slice(&self.pushback[self.pb_pos..]);
            self.pushback = v;
            self.pb_pos = 0;
        }
        self.offset = self.offset.saturating_sub(k as u64);
    }

    /// True when the next line starts like a header field; consumes nothing.
    fn next_is_header(&mut self, look: &mut Vec<u8>) -> io::Result<bool> {
        look.clear();
        self.read_partial(look, 1024)?;
        let header = is_header_line(look);
        self.unread(look);
        Ok(header)
    }

    /// True when `line` (just read, complete) is a From_ separator. After a
    /// blank line a dated From_ line is enough and a dateless one needs a
    /// header line after it; elsewhere (lenient mode) both need that.
    fn is_separator(
        &mut self,
        look: &mut Vec<u8>,
        line: &[u8],
        after_blank: bool,
    ) -> io::Result<bool> {
        if !line.starts_with(b"From ") {
            return Ok(false);
        }
        let dated = is_from_line(line);
        if dated && after_blank {
            return Ok(true);
        }
        if dated || is_dateless_from_line(line) {
            return self.next_is_header(look);
        }
        Ok(false)
    }
}

fn read_failure(index: u64, offset: u64, at: u64, e: &io::Error) -> SplitFailure {
    SplitFailure {
        index,
        offset,
        reason: format!("read error at byte {at}: {e}"),
    }
}

// ---------------------------------------------------------------------------
// mbox
// ---------------------------------------------------------------------------

enum State {
    Start,
    Message { from_line: Vec<u8>, offset: u64 },
    Done,
}

/// Where the bytes of a message ended.
struct End {
    /// The From_ line (without line ending) and offset of the next message.
    next: Option<(Vec<u8>, u64)>,
    /// The message was larger than the limit; its bytes were not kept.
    oversize: bool,
    /// Exact message length in the buffer when Content-Length was honoured;
    /// `None`: the buffer minus its separator line.
    exact: Option<usize>,
}

/// Streaming mbox splitter. Reads with a [`BufRead`], never the whole file
/// into memory (only one message at a time, at most
/// [`MboxReader::max_message_bytes`]); yields one [`SplitItem`] per message
/// in order. See the [module documentation](self) for the rules.
pub struct MboxReader<R: BufRead> {
    src: Source<R>,
    variant: Variant,
    max: usize,
    index: u64,
    state: State,
    /// The current message (or preamble) as read, before un-escaping.
    buf: Vec<u8>,
    /// Positions in `buf` of the `>` that un-escaping removes.
    escapes: Vec<usize>,
    /// Look-ahead line for dateless From_ lines.
    look: Vec<u8>,
    /// Warnings for the next message.
    warnings: Vec<String>,
    /// Split at From_ lines before a header line even without a blank line.
    blankless: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// A splitter reading `reader` as an mbox of `variant`.
    pub fn new(reader: R, variant: Variant) -> Self {
        MboxReader {
            src: Source::new(reader),
            variant,
            max: DEFAULT_MAX_MESSAGE_BYTES,
            index: 0,
            state: State::Start,
            buf: Vec::new(),
            escapes: Vec::new(),
            look: Vec::new(),
            warnings: Vec::new(),
            blankless: false,
        }
    }

    /// Sets the size limit: a message whose bytes after its From_ line exceed
    /// `n` becomes a [`SplitFailure`] naming its size, and splitting goes on
    /// with the next message. Default [`DEFAULT_MAX_MESSAGE_BYTES`].
    pub fn with_max_message_bytes(mut self, n: usize) -> Self {
        self.max = n;
        self
    }

    /// Lenient splitting, off by default: also start a message at a From_
    /// line (dated or dateless) that does not follow a blank line, when the
    /// line after it is a header field. Some Netscape-era folders and parser
    /// test files put no blank line between messages; the standard rule
    /// keeps such a line as body text, merging the messages (losslessly).
    /// Header blocks are never split.
    pub fn with_blankless_separators(mut self, on: bool) -> Self {
        self.blankless = on;
        self
    }

    /// The size limit (see [`MboxReader::with_max_message_bytes`]).
    pub fn max_message_bytes(&self) -> usize {
        self.max
    }

    /// The variant the splitter un-escapes for.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Offset in the stream of the next byte to be read.
    pub fn position(&self) -> u64 {
        self.src.offset
    }

    /// Buffer capacity for a line read into `buf` at `start`: enough to see
    /// the message pass the limit, and always enough to recognize a line.
    fn cap_at(&self, start: usize) -> usize {
        self.max
            .saturating_add(1)
            .saturating_sub(start)
            .max(LINE_PEEK)
    }

    fn fail_io(&mut self, index: u64, offset: u64, e: &io::Error) -> SplitFailure {
        self.state = State::Done;
        read_failure(index, offset, self.src.offset, e)
    }

    /// Reads lines into `buf` until a From_ separator (consumed, not kept) or
    /// the end of the stream. Past the limit, lines are only looked at.
    fn scan(&mut self, mut prev_blank: bool, mut oversize: bool) -> io::Result<End> {
        loop {
            if oversize {
                self.buf.clear();
                self.escapes.clear();
            }
            let start = self.buf.len();
            let cap = if oversize {
                LINE_PEEK
            } else {
                self.cap_at(start)
            };
            let line = self.src.read_line(&mut self.buf, cap)?;
            if line.eof() {
                return Ok(End {
                    next: None,
                    oversize,
                    exact: None,
                });
            }
            let text = &self.buf[start..];
            if (prev_blank || self.blankless)
                && line.complete()
                && self.src.is_separator(&mut self.look, text, prev_blank)?
            {
                let from = strip_eol(text).to_vec();
                let offset = self.src.offset - line.total as u64;
                self.buf.truncate(start);
                return Ok(End {
                    next: Some((from, offset)),
                    oversize,
                    exact: None,
                });
            }
            prev_blank = line.complete() && is_blank(text);
            if !oversize {
                if self.variant.unescapes(text) {
                    self.escapes.push(start);
                }
                oversize = self.buf.len() > self.max;
            }
        }
    }

    /// Puts back everything read after the header block.
    fn fall_back(&mut self, header_end: usize) {
        self.src.unread(&self.buf[header_end..]);
        self.buf.truncate(header_end);
        self.escapes.retain(|&p| p < header_end);
    }

    /// Tries to end the message after the `n` body bytes its Content-Length
    /// announces. `None`: not consistent; everything after the header block
    /// was put back and a warning added.
    fn content_length_body(
        &mut self,
        header_end: usize,
        n: u64,
        warnings: &mut Vec<String>,
    ) -> io::Result<Option<End>> {
        let mismatch =
            format!("Content-Length {n} does not match the message; split on From_ lines instead");
        let Some(target) = usize::try_from(n)
            .ok()
            .and_then(|n| header_end.checked_add(n))
            .filter(|&t| t <= self.max)
        else {
            warnings.push(format!(
                "Content-Length {n} exceeds the size limit of {} bytes; split on From_ lines instead",
                self.max
            ));
            return Ok(None);
        };
        let oversize = |this: &mut Self| -> io::Result<Option<End>> {
            let end = this.scan(false, true)?;
            Ok(Some(end))
        };
        // The announced body.
        while self.buf.len() < target {
            let start = self.buf.len();
            let cap = self.cap_at(start);
            let line = self.src.read_line(&mut self.buf, cap)?;
            if line.eof() {
                warnings.push(mismatch);
                warnings.push(format!(
                    "the file ends {} bytes before the end of the body announced by Content-Length (truncated?)",
                    target - self.buf.len()
                ));
                self.fall_back(header_end);
                return Ok(None);
            }
            if self.buf.len() > self.max {
                return oversize(self);
            }
            if self.variant.unescapes(&self.buf[start..]) {
                self.escapes.push(start);
            }
        }
        // What follows it: at most a blank line, then a From_ line or the end.
        loop {
            if !tail_ok(&self.buf[..target], &self.buf[target..]) {
                break;
            }
            let start = self.buf.len();
            let cap = self.cap_at(start);
            let line = self.src.read_line(&mut self.buf, cap)?;
            if line.eof() {
                self.escapes.retain(|&p| p < target);
                return Ok(Some(End {
                    next: None,
                    oversize: false,
                    exact: Some(target),
                }));
            }
            if self.buf.len() > self.max {
                return oversize(self);
            }
            let text = &self.buf[start..];
            if is_blank(text) {
                continue;
            }
            if self.src.is_separator(&mut self.look, text, true)? {
                let from = strip_eol(text).to_vec();
                let offset = self.src.offset - line.total as u64;
                self.buf.truncate(target);
                self.escapes.retain(|&p| p < target);
                return Ok(Some(End {
                    next: Some((from, offset)),
                    oversize: false,
                    exact: Some(target),
                }));
            }
            break;
        }
        warnings.push(mismatch);
        self.fall_back(header_end);
        Ok(None)
    }

    /// Reads one message after its From_ line into `buf`.
    fn read_body(&mut self, warnings: &mut Vec<String>) -> io::Result<End> {
        let mut cl = None;
        let header_end = loop {
            let start = self.buf.len();
            let cap = self.cap_at(start);
            let line = self.src.read_line(&mut self.buf, cap)?;
            if line.eof() {
                if !self.buf.is_empty() {
                    warnings.push(
                        "the file ends inside the message's header block (truncated?)".into(),
                    );
                }
                return Ok(End {
                    next: None,
                    oversize: false,
                    exact: None,
                });
            }
            if self.buf.len() > self.max {
                return self.scan(false, true);
            }
            let text = &self.buf[start..];
            if is_blank(text) {
                break self.buf.len();
            }
            if cl.is_none() {
                cl = content_length(text);
            }
            if self.variant.unescapes(text) {
                self.escapes.push(start);
            }
        };
        if let Some(n) = cl
            && let Some(end) = self.content_length_body(header_end, n, warnings)?
        {
            return Ok(end);
        }
        self.scan(true, false)
    }

    /// Moves to the next message (or the end) and releases the buffers.
    fn advance(&mut self, next: Option<(Vec<u8>, u64)>) {
        self.state = match next {
            Some((from_line, offset)) => State::Message { from_line, offset },
            None => State::Done,
        };
        self.buf.clear();
        self.escapes.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
    }

    /// Turns what was read into the item for message `index` and moves on.
    fn finish(
        &mut self,
        index: u64,
        offset: u64,
        from_line: Option<Vec<u8>>,
        end: End,
        warnings: Vec<String>,
    ) -> SplitItem {
        let end_offset = end.next.as_ref().map_or(self.src.offset, |(_, o)| *o);
        let length = end_offset.saturating_sub(offset);
        let item = if end.oversize {
            Err(SplitFailure {
                index,
                offset,
                reason: format!(
                    "message of {length} bytes is larger than the limit of {} bytes; not read",
                    self.max
                ),
            })
        } else {
            let len = end
                .exact
                .unwrap_or_else(|| trimmed_len(&self.buf))
                .min(self.buf.len());
            Ok(RawMessage {
                index,
                offset,
                length,
                from_line,
                bytes: copy_unescaped(&self.buf[..len], &self.escapes),
                flags: None,
                folder: None,
                file: None,
                warnings,
            })
        };
        self.advance(end.next);
        item
    }

    fn read_message(&mut self, from_line: Vec<u8>, offset: u64) -> SplitItem {
        let index = self.index;
        self.index += 1;
        let mut warnings = std::mem::take(&mut self.warnings);
        self.buf.clear();
        self.escapes.clear();
        match self.read_body(&mut warnings) {
            Ok(end) => self.finish(index, offset, Some(from_line), end, warnings),
            Err(e) => Err(self.fail_io(index, offset, &e)),
        }
    }

    /// Reads up to the first From_ line; returns the preamble's item, if any.
    fn read_preamble(&mut self) -> Option<SplitItem> {
        self.buf.clear();
        self.escapes.clear();
        let end = match self.read_preamble_bytes() {
            Ok(end) => end,
            Err(e) => {
                let index = self.index;
                self.index += 1;
                return Some(Err(self.fail_io(index, 0, &e)));
            }
        };
        let length = end.next.as_ref().map_or(self.src.offset, |(_, o)| *o);
        let bom = if self.buf.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        let content = &self.buf[bom..];
        if !end.oversize && content.iter().all(u8::is_ascii_whitespace) {
            if bom > 0 && end.next.is_some() {
                self.warnings
                    .push("a UTF-8 byte order mark before the first From_ line was skipped".into());
            }
            self.advance(end.next);
            return None;
        }
        let index = self.index;
        self.index += 1;
        let first = &content[..line_end(content, 0)];
        if !end.oversize && is_header_line(first) {
            let warnings = vec!["no From_ line before the first message".to_string()];
            return Some(self.finish(index, 0, None, end, warnings));
        }
        let reason = if end.oversize {
            format!(
                "{length} bytes before the first From_ line are not a message (and larger than the limit of {} bytes)",
                self.max
            )
        } else {
            format!("{length} bytes before the first From_ line are not a message")
        };
        self.advance(end.next);
        Some(Err(SplitFailure {
            index,
            offset: 0,
            reason,
        }))
    }

    fn read_preamble_bytes(&mut self) -> io::Result<End> {
        self.src.read_partial(&mut self.buf, BOM.len())?;
        if self.buf != BOM {
            self.src.unread(&self.buf);
            self.buf.clear();
        }
        self.scan(true, false)
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = SplitItem;

    fn next(&mut self) -> Option<SplitItem> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return None,
                State::Start => {
                    if let Some(item) = self.read_preamble() {
                        return Some(item);
                    }
                }
                State::Message { from_line, offset } => {
                    return Some(self.read_message(from_line, offset));
                }
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for MboxReader<R> {}

// ---------------------------------------------------------------------------
// MMDF
// ---------------------------------------------------------------------------

enum MmdfState {
    Outside,
    Inside(u64),
    Done,
}

/// Streaming MMDF splitter: messages between lines of exactly
/// `"\x01\x01\x01\x01"` (one before and one after each message). The bytes
/// exclude the delimiter lines and are otherwise kept as they are; `offset`
/// is that of the opening delimiter and `length` runs to the end of the
/// closing one. Text found outside delimiters becomes a message (with a
/// warning) when it starts with a header line, else a [`SplitFailure`];
/// blank lines there are ignored.
pub struct MmdfReader<R: BufRead> {
    src: Source<R>,
    max: usize,
    index: u64,
    state: MmdfState,
    buf: Vec<u8>,
}

/// How an MMDF read ended.
enum MmdfEnd {
    Delimiter(u64),
    Eof,
}

impl<R: BufRead> MmdfReader<R> {
    /// A splitter reading `reader` as an MMDF mailbox.
    pub fn new(reader: R) -> Self {
        MmdfReader {
            src: Source::new(reader),
            max: DEFAULT_MAX_MESSAGE_BYTES,
            index: 0,
            state: MmdfState::Outside,
            buf: Vec::new(),
        }
    }

    /// Sets the size limit, as [`MboxReader::with_max_message_bytes`].
    pub fn with_max_message_bytes(mut self, n: usize) -> Self {
        self.max = n;
        self
    }

    /// The size limit.
    pub fn max_message_bytes(&self) -> usize {
        self.max
    }

    /// Offset in the stream of the next byte to be read.
    pub fn position(&self) -> u64 {
        self.src.offset
    }

    /// Reads lines into `buf` up to a delimiter line (consumed, not kept) or
    /// the end. Returns how it ended, whether the limit was passed, and
    /// whether any line had non-blank text.
    fn read_to_delimiter(&mut self) -> io::Result<(MmdfEnd, bool, bool)> {
        let mut oversize = false;
        let mut text = false;
        loop {
            if oversize {
                self.buf.clear();
            }
            let start = self.buf.len();
            let cap = if oversize {
                LINE_PEEK
            } else {
                self.max
                    .saturating_add(1)
                    .saturating_sub(start)
                    .max(LINE_PEEK)
            };
            let line = self.src.read_line(&mut self.buf, cap)?;
            if line.eof() {
                return Ok((MmdfEnd::Eof, oversize, text));
            }
            let l = &self.buf[start..];
            if line.complete() && strip_eol(l) == MMDF_DELIMITER {
                self.buf.truncate(start);
                let at = self.src.offset - line.total as u64;
                return Ok((MmdfEnd::Delimiter(at), oversize, text));
            }
            text |= !l.iter().all(u8::is_ascii_whitespace);
            oversize |= self.buf.len() > self.max;
        }
    }

    fn step(&mut self) -> io::Result<Option<SplitItem>> {
        match std::mem::replace(&mut self.state, MmdfState::Done) {
            MmdfState::Done => Ok(None),
            MmdfState::Outside => {
                self.buf.clear();
                let start = self.src.offset;
                let (end, oversize, text) = self.read_to_delimiter()?;
                let stop = match end {
                    MmdfEnd::Delimiter(at) => {
                        self.state = MmdfState::Inside(at);
                        at
                    }
                    MmdfEnd::Eof => self.src.offset,
                };
                if !text {
                    return Ok(None);
                }
                let index = self.index;
                self.index += 1;
                let length = stop - start;
                let first = &self.buf[..line_end(&self.buf, 0)];
                if !oversize && is_header_line(first) {
                    return Ok(Some(Ok(RawMessage {
                        index,
                        offset: start,
                        length,
                        from_line: None,
                        bytes: self.buf.to_vec(),
                        flags: None,
                        folder: None,
                        file: None,
                        warnings: vec!["message not enclosed in ^A^A^A^A lines".into()],
                    })));
                }
                Ok(Some(Err(SplitFailure {
                    index,
                    offset: start,
                    reason: format!("{length} bytes outside ^A^A^A^A delimiters are not a message"),
                })))
            }
            MmdfState::Inside(offset) => {
                self.buf.clear();
                let (end, oversize, text) = self.read_to_delimiter()?;
                let mut warnings = Vec::new();
                match end {
                    MmdfEnd::Delimiter(_) => self.state = MmdfState::Outside,
                    MmdfEnd::Eof if !text => return Ok(None),
                    MmdfEnd::Eof => {
                        warnings.push("no closing ^A^A^A^A line (truncated?)".to_string())
                    }
                }
                let index = self.index;
                self.index += 1;
                let length = self.src.offset - offset;
                if oversize {
                    self.buf.clear();
                    return Ok(Some(Err(SplitFailure {
                        index,
                        offset,
                        reason: format!(
                            "message of {length} bytes is larger than the limit of {} bytes; not read",
                            self.max
                        ),
                    })));
                }
                Ok(Some(Ok(RawMessage {
                    index,
                    offset,
                    length,
                    from_line: None,
                    bytes: self.buf.to_vec(),
                    flags: None,
                    folder: None,
                    file: None,
                    warnings,
                })))
            }
        }
    }
}

impl<R: BufRead> Iterator for MmdfReader<R> {
    type Item = SplitItem;

    fn next(&mut self) -> Option<SplitItem> {
        loop {
            let offset = match self.state {
                MmdfState::Inside(at) => at,
                _ => self.src.offset,
            };
            match self.step() {
                Ok(Some(item)) => return Some(item),
                Ok(None) => {
                    if matches!(self.state, MmdfState::Done) {
                        return None;
                    }
                }
                Err(e) => {
                    self.state = MmdfState::Done;
                    let index = self.index;
                    self.index += 1;
                    return Some(Err(read_failure(index, offset, self.src.offset, &e)));
                }
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for MmdfReader<R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor};

    /// Splits `input` through buffers of several sizes (lines straddling
    /// buffer boundaries must not matter) and returns the items.
    fn split_with(input: &[u8], variant: Variant, max: usize, blankless: bool) -> Vec<SplitItem> {
        let run = |cap: usize| -> Vec<SplitItem> {
            MboxReader::new(BufReader::with_capacity(cap, Cursor::new(input)), variant)
                .with_max_message_bytes(max)
                .with_blankless_separators(blankless)
                .collect()
        };
        let reference = run(8192);
        for cap in [1, 2, 3, 7, 64] {
            assert_eq!(run(cap), reference, "buffer capacity {cap}");
        }
        reference
    }

    fn split(input: &[u8], variant: Variant) -> Vec<SplitItem> {
        split_with(input, variant, DEFAULT_MAX_MESSAGE_BYTES, false)
    }

    fn messages(input: &[u8], variant: Variant) -> Vec<RawMessage> {
        split(input, variant)
            .into_iter()
            .map(|item| item.expect("a message, not a failure"))
            .collect()
    }

    fn bodies(input: &[u8], variant: Variant) -> Vec<Vec<u8>> {
        messages(input, variant)
            .into_iter()
            .map(|m| m.bytes)
            .collect()
    }

    /// Messages with a From_ line tile the input from the first one to the end.
    fn assert_tiles(input: &[u8], items: &[SplitItem]) {
        let mut expected_next: Option<u64> = None;
        for item in items {
            let (offset, length) = match item {
                Ok(m) => {
                    if let Some(from) = &m.from_line {
                        assert!(input[m.offset as usize..].starts_with(from));
                    }
                    (m.offset, m.length)
                }
                Err(_) => {
                    expected_next = None;
                    continue;
                }
            };
            if let Some(next) = expected_next {
                assert_eq!(offset, next, "gap or overlap before offset {offset}");
            }
            assert!(offset + length <= input.len() as u64);
            expected_next = Some(offset + length);
        }
        if let Some(end) = expected_next {
            assert_eq!(
                end,
                input.len() as u64,
                "the last message must reach the end"
            );
        }
    }

    const FROM_A: &str = "From alice@example.org Mon Jul 13 10:11:12 2009";
    const FROM_B: &str = "From bob@example.net Sat Jan  3 01:05:34 1996";

    #[test]
    fn variant_names_round_trip() {
        for v in [
            Variant::Mboxo,
            Variant::Mboxrd,
            Variant::Mboxcl,
            Variant::Mboxcl2,
        ] {
            assert_eq!(Variant::parse(v.as_str()), Some(v));
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(Variant::parse("MBOXRD"), Some(Variant::Mboxrd));
        assert_eq!(Variant::parse("mbox"), None);
        assert_eq!(Variant::parse(""), None);
    }

    #[test]
    fn from_line_accepts_envelope_shapes() {
        for line in [
            "From alice@example.org Mon Jul 13 10:11:12 2009",
            "From - Mon Jul 13 10:11:12 2009",
            "From MAILER-DAEMON Mon Jul 13 10:11:12 2009",
            "From bob@x Sat Jan  3 01:05:34 1996",
            "From carol@example.com Tue Mar 2 10:00:00 +0000 2021",
            "From 1844000000000000000@xxx Tue Mar 2 10:00:00 +0000 2021",
            "From dave@example.org Thu, 02 Mar 2006 12:00:00 +0100",
            "From old|uucp|path!erin Tue, 04 Jan 11 08:44:27 PST remote from somehost",
            "From frank@example.org  Fri Jan 10 15:32:16 2014",
            "From \"grace hopper\"@example.org Mon Jul 13 10:11:12 2009",
            "From heidi@example.org Mon Jul 13 10:11 2009",
            "From ivan@example.org Monday July 13 10:11:12 2009",
            "From alice@example.org Mon Jul 13 10:11:12 2009\r\n",
            "From alice@example.org Mon Jul 13 10:11:12 2009\n",
        ] {
            assert!(
                is_from_line(line.as_bytes()),
                "{line:?} should be a From_ line"
            );
        }
    }

    #[test]
    fn from_line_rejects_prose_and_headers() {
        for line in [
            "From the start we knew it would end badly",
            "From 10:00 to 12:00 on Mon Jul 13 2009 we met",
            "From Jul 13 onwards, alice@example.org was away",
            "From Russia with love",
            "From: alice@example.org",
            "From",
            "From ",
            "From alice@example.org",
            "From alice@example.org Mon Jul 13 2009",
            "From alice@example.org Mon Jul 13 10:11:12",
            "From alice@example.org yesterday at 10:11",
            ">From alice@example.org Mon Jul 13 10:11:12 2009",
            "from alice@example.org Mon Jul 13 10:11:12 2009",
            " From alice@example.org Mon Jul 13 10:11:12 2009",
            "From alice@example.org Mon Jul 99 10:11:12 2009",
            "From alice@example.org Mon Jul 13 10:1:12 2009",
            "From \"unterminated@example.org Mon Jul 13 10:11:12 2009",
        ] {
            assert!(
                !is_from_line(line.as_bytes()),
                "{line:?} is not a From_ line"
            );
        }
        assert!(!is_from_line(b"From \xff\xfe Mon Jul 13 10:11:12 \xff"));
    }

    #[test]
    fn dateless_from_line_shapes() {
        for line in [
            "From -",
            "From - ",
            "From 1844347792267117879@xxx",
            "From MAILER-DAEMON",
        ] {
            assert!(is_dateless_from_line(line.as_bytes()), "{line:?}");
        }
        for line in [
            "From Russia with love",
            "From me",
            "From @",
            "From - x",
            "From",
            "From: -",
        ] {
            assert!(!is_dateless_from_line(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn header_line_shapes() {
        assert!(is_header_line(b"Subject: hi\n"));
        assert!(is_header_line(b"X-Empty:\r\n"));
        assert!(is_header_line(b"Subject : obsolete blank before the colon"));
        assert!(!is_header_line(b"From - \n"));
        assert!(!is_header_line(b": no name"));
        assert!(!is_header_line(b"no colon at all"));
        assert!(!is_header_line(b"two words: value"));
        assert!(!is_header_line(b""));
    }

    #[test]
    fn splits_messages_and_drops_the_separator_newline() {
        let input = format!(
            "{FROM_A}\nSubject: x\n\nhello\n\nFrom c@example.com Mon Jul 13 11:00:00 2009\nSubject: y\n\nbye\n"
        );
        let msgs = messages(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, b"Subject: x\n\nhello\n");
        assert_eq!(msgs[0].from_line.as_deref(), Some(FROM_A.as_bytes()));
        assert_eq!(msgs[0].index, 0);
        assert_eq!(msgs[0].offset, 0);
        assert!(msgs[0].warnings.is_empty());
        assert_eq!(msgs[1].bytes, b"Subject: y\n\nbye\n");
        assert_eq!(msgs[1].index, 1);
        assert_eq!(
            msgs[1].from_line.as_deref(),
            Some(&b"From c@example.com Mon Jul 13 11:00:00 2009"[..])
        );
        assert_eq!(msgs[0].length, msgs[1].offset);
        assert_eq!(
            (
                msgs[1].flags.as_ref(),
                msgs[1].folder.as_ref(),
                msgs[1].file.as_ref()
            ),
            (None, None, None)
        );
        assert_tiles(input.as_bytes(), &split(input.as_bytes(), Variant::Mboxrd));
    }

    const ESCAPED_BODY: &str = "Subject: quoting\n\n>From x\n>>From y\n>>>From z\n> From q\n>Fromage\nFrom inside a line\n";

    fn escaped_mbox() -> String {
        format!("{FROM_A}\n{ESCAPED_BODY}\n")
    }

    #[test]
    fn mboxrd_unescapes_every_quoting_level() {
        assert_eq!(
            bodies(escaped_mbox().as_bytes(), Variant::Mboxrd),
            vec![b"Subject: quoting\n\nFrom x\n>From y\n>>From z\n> From q\n>Fromage\nFrom inside a line\n".to_vec()]
        );
    }

    #[test]
    fn mboxo_unescapes_only_a_single_quote() {
        assert_eq!(
            bodies(escaped_mbox().as_bytes(), Variant::Mboxo),
            vec![b"Subject: quoting\n\nFrom x\n>>From y\n>>>From z\n> From q\n>Fromage\nFrom inside a line\n".to_vec()]
        );
    }

    #[test]
    fn mboxcl_unescapes_like_mboxo_and_honours_content_length() {
        let body = ">From x\n>>From y\n\nFrom bob@example.net Sat Jan  3 01:05:34 1996\n";
        let input = format!(
            "{FROM_A}\nContent-Length: {}\n\n{body}\n{FROM_B}\n\nsecond\n",
            body.len()
        );
        let msgs = messages(input.as_bytes(), Variant::Mboxcl);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].bytes,
            format!(
                "Content-Length: {}\n\nFrom x\n>>From y\n\nFrom bob@example.net Sat Jan  3 01:05:34 1996\n",
                body.len()
            )
            .as_bytes()
        );
        assert!(msgs[0].warnings.is_empty());
    }

    #[test]
    fn mboxcl2_unescapes_nothing() {
        let input = escaped_mbox();
        assert_eq!(
            bodies(input.as_bytes(), Variant::Mboxcl2),
            vec![ESCAPED_BODY.as_bytes().to_vec()]
        );
    }

    #[test]
    fn from_line_not_after_a_blank_line_does_not_split() {
        let input = format!("{FROM_A}\nSubject: x\n\nquoted mail follows\n{FROM_B}\nmore text\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            msgs[0].bytes,
            format!("Subject: x\n\nquoted mail follows\n{FROM_B}\nmore text\n").as_bytes()
        );
        // Nor in the header block.
        let input =
            format!("{FROM_A}\nReturn-Path: <a@example.org>\n{FROM_B}\nSubject: x\n\nbody\n");
        assert_eq!(messages(input.as_bytes(), Variant::Mboxrd).len(), 1);
    }

    #[test]
    fn prose_from_after_a_blank_line_does_not_split() {
        let input = format!(
            "{FROM_A}\nSubject: x\n\nFirst paragraph.\n\nFrom the start we knew.\n\nFrom Russia with love\nSubject: not a header block\n"
        );
        let msgs = messages(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(msgs.len(), 1);
        assert!(
            msgs[0]
                .bytes
                .ends_with(b"From Russia with love\nSubject: not a header block\n")
        );
    }

    #[test]
    fn dateless_from_line_splits_only_before_a_header() {
        let input = b"From -\nFrom: alice@example.org\n\none\n\nFrom -\nplain text, not headers\n\nFrom 1844@xxx\nSubject: two\n\ntwo\n";
        let msgs = messages(input, Variant::Mboxrd);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].bytes,
            b"From: alice@example.org\n\none\n\nFrom -\nplain text, not headers\n"
        );
        assert_eq!(msgs[1].from_line.as_deref(), Some(&b"From 1844@xxx"[..]));
        assert_eq!(msgs[1].bytes, b"Subject: two\n\ntwo\n");
        assert_tiles(input, &split(input, Variant::Mboxrd));
        // A dateless line at the very end is body text.
        assert_eq!(
            messages(b"From -\nSubject: a\n\nx\n\nFrom -\n", Variant::Mboxrd).len(),
            1
        );
    }

    #[test]
    fn blankless_mode_splits_before_headers_only_when_asked() {
        let input = format!(
            "{FROM_A}\nSubject: one\n\n--boundary--\n{FROM_B}\nSubject: two\n\ntwo\n{FROM_B}\nnot a header\n"
        );
        let strict = split_with(
            input.as_bytes(),
            Variant::Mboxrd,
            DEFAULT_MAX_MESSAGE_BYTES,
            false,
        );
        assert_eq!(strict.len(), 1);
        let lenient = split_with(
            input.as_bytes(),
            Variant::Mboxrd,
            DEFAULT_MAX_MESSAGE_BYTES,
            true,
        );
        assert_eq!(lenient.len(), 2);
        assert_tiles(input.as_bytes(), &lenient);
        let msgs: Vec<RawMessage> = lenient.into_iter().map(|i| i.expect("message")).collect();
        assert_eq!(msgs[0].bytes, b"Subject: one\n\n--boundary--\n");
        assert_eq!(
            msgs[1].bytes,
            format!("Subject: two\n\ntwo\n{FROM_B}\nnot a header\n").as_bytes()
        );
    }

    #[test]
    fn content_length_is_honoured_over_a_from_line_in_the_body() {
        let body = "An mbox excerpt:\n\nFrom eve@example.org Mon Jul 13 10:11:12 2009\nSubject: inner\n\ninner body\n";
        let input = format!(
            "{FROM_A}\nSubject: outer\nContent-Length: {}\n\n{body}\n{FROM_B}\nSubject: next\n\nnext\n",
            body.len()
        );
        for v in [Variant::Mboxrd, Variant::Mboxcl2] {
            let items = split(input.as_bytes(), v);
            assert_tiles(input.as_bytes(), &items);
            let msgs: Vec<RawMessage> = items.into_iter().map(|i| i.expect("message")).collect();
            assert_eq!(msgs.len(), 2, "{v:?}");
            assert_eq!(
                msgs[0].bytes,
                format!("Subject: outer\nContent-Length: {}\n\n{body}", body.len()).as_bytes()
            );
            assert!(msgs[0].warnings.is_empty());
            assert_eq!(msgs[1].bytes, b"Subject: next\n\nnext\n");
        }
    }

    #[test]
    fn content_length_followed_directly_by_from_line_or_end() {
        // No blank line between the body and the next From_ line.
        let input =
            format!("{FROM_A}\nContent-Length: 6\n\nhello\n{FROM_B}\nContent-Length: 3\n\nbye");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 6\n\nhello\n");
        assert_eq!(msgs[1].bytes, b"Content-Length: 3\n\nbye");
        assert!(msgs.iter().all(|m| m.warnings.is_empty()));
        // A body without a final newline, then the separator line ending.
        let input = format!("{FROM_A}\nContent-Length: 5\n\nhello\n\n{FROM_B}\n\nx\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 5\n\nhello");
        assert!(msgs[0].warnings.is_empty());
        // Content-Length 0 with the separator blank line.
        let input = format!("{FROM_A}\nContent-Length: 0\n\n\n{FROM_B}\n\nx\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 0\n\n");
        assert!(msgs[0].warnings.is_empty());
    }

    #[test]
    fn inconsistent_content_length_falls_back_with_a_warning() {
        for n in [3, 40, 999_999] {
            let input = format!(
                "{FROM_A}\nContent-Length: {n}\n\nshort body\n\n{FROM_B}\nSubject: two\n\ntwo\n"
            );
            let items = split(input.as_bytes(), Variant::Mboxrd);
            assert_tiles(input.as_bytes(), &items);
            let msgs: Vec<RawMessage> = items.into_iter().map(|i| i.expect("message")).collect();
            assert_eq!(msgs.len(), 2, "Content-Length {n}");
            assert_eq!(
                msgs[0].bytes,
                format!("Content-Length: {n}\n\nshort body\n").as_bytes()
            );
            assert_eq!(
                msgs[0].warnings[0],
                format!(
                    "Content-Length {n} does not match the message; split on From_ lines instead"
                )
            );
            assert_eq!(msgs[1].bytes, b"Subject: two\n\ntwo\n");
            assert!(msgs[1].warnings.is_empty());
        }
        // Beyond the size limit: not even tried.
        let input = format!("{FROM_A}\nContent-Length: 99999999999\n\nbody\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 99999999999\n\nbody\n");
        assert!(msgs[0].warnings[0].contains("exceeds the size limit"));
    }

    #[test]
    fn crlf_mbox_splits_like_lf() {
        let lf =
            format!("{FROM_A}\nSubject: x\n\n>From here\nhello\n\n{FROM_B}\nSubject: y\n\nbye\n\n");
        let crlf = lf.replace('\n', "\r\n");
        let a = messages(lf.as_bytes(), Variant::Mboxrd);
        let b = messages(crlf.as_bytes(), Variant::Mboxrd);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].bytes, b"Subject: x\r\n\r\nFrom here\r\nhello\r\n");
        assert_eq!(b[1].bytes, b"Subject: y\r\n\r\nbye\r\n");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.from_line, y.from_line);
            assert_eq!(
                String::from_utf8_lossy(&x.bytes)
                    .replace('\n', "\r\n")
                    .as_bytes(),
                &y.bytes[..]
            );
        }
        assert_tiles(crlf.as_bytes(), &split(crlf.as_bytes(), Variant::Mboxrd));
        // Content-Length counts CRLF bytes in a CRLF file.
        let input =
            format!("{FROM_A}\r\nContent-Length: 7\r\n\r\nhello\r\n\r\n{FROM_B}\r\n\r\nx\r\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 7\r\n\r\nhello\r\n");
        assert!(msgs[0].warnings.is_empty());
    }

    #[test]
    fn mixed_line_endings_do_not_panic() {
        let input = format!(
            "{FROM_A}\r\nSubject: x\n\r\nbody\r\n\n{FROM_B}\nSubject: y\r\n\nbye\n\r\n\r\r\n\rFrom \r"
        );
        let items = split(input.as_bytes(), Variant::Mboxrd);
        assert_tiles(input.as_bytes(), &items);
        let msgs: Vec<RawMessage> = items.into_iter().map(|i| i.expect("message")).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, b"Subject: x\n\r\nbody\r\n");
    }

    #[test]
    fn whitespace_preamble_is_ignored() {
        let input = format!(" \n\r\n\n{FROM_A}\nSubject: x\n\nhi\n");
        let items = split(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(items.len(), 1);
        let m = items[0].clone().expect("message");
        assert_eq!((m.index, m.offset), (0, 5));
        assert!(m.warnings.is_empty());
    }

    #[test]
    fn header_block_preamble_becomes_the_first_message() {
        let input = format!(
            "Subject: lost envelope\nFrom: alice@example.org\n\nbody\n\n{FROM_B}\nSubject: y\n\nbye\n"
        );
        let items = split(input.as_bytes(), Variant::Mboxrd);
        assert_tiles(input.as_bytes(), &items);
        let msgs: Vec<RawMessage> = items.into_iter().map(|i| i.expect("message")).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].index, 0);
        assert_eq!(msgs[0].offset, 0);
        assert_eq!(msgs[0].from_line, None);
        assert_eq!(
            msgs[0].bytes,
            b"Subject: lost envelope\nFrom: alice@example.org\n\nbody\n"
        );
        assert_eq!(
            msgs[0].warnings,
            vec!["no From_ line before the first message".to_string()]
        );
        assert_eq!(msgs[1].index, 1);
        // A lone message file without any From_ line is kept whole.
        let eml = b"Subject: only\r\n\r\nbody\r\n";
        let msgs = messages(eml, Variant::Mboxrd);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].bytes, eml);
        assert_eq!(msgs[0].length, eml.len() as u64);
    }

    #[test]
    fn text_preamble_becomes_a_failure() {
        let input = format!("this is not mail\n\n{FROM_A}\nSubject: x\n\nhi\n");
        let items = split(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0],
            Err(SplitFailure {
                index: 0,
                offset: 0,
                reason: "18 bytes before the first From_ line are not a message".into()
            })
        );
        let m = items[1].clone().expect("message");
        assert_eq!((m.index, m.offset), (1, 18));
        assert_tiles(input.as_bytes(), &items);
    }

    #[test]
    fn byte_order_mark_before_the_first_from_line_is_skipped() {
        let input = format!("\u{feff}From -\nFrom: alice@example.org\n\nbody\n\n{FROM_B}\n\nx\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].offset, 3);
        assert_eq!(msgs[0].from_line.as_deref(), Some(&b"From -"[..]));
        assert_eq!(msgs[0].bytes, b"From: alice@example.org\n\nbody\n");
        assert_eq!(msgs[0].warnings.len(), 1);
        assert!(msgs[1].warnings.is_empty());
        assert!(starts_with_from_line(input.as_bytes()));
    }

    #[test]
    fn mbox_bytes_equal_eml_bytes() {
        let emls: [&[u8]; 6] = [
            b"Subject: a\n\nbody\n",
            b"Subject: b\n\nbody ending in a blank line\n\n",
            b"Subject: c\n\nFrom the start\n>From quoted\n",
            b"Subject: d\r\n\r\ncrlf body\r\n",
            b"Subject: e\n\n",
            b"",
        ];
        // An mboxrd writer: From_ line, escaped message, one separator newline.
        let mut mbox = Vec::new();
        for eml in emls {
            mbox.extend_from_slice(FROM_A.as_bytes());
            mbox.extend_from_slice(if eml.ends_with(b"\r\n") {
                b"\r\n"
            } else {
                b"\n"
            });
            for line in eml.split_inclusive(|&b| b == b'\n') {
                if Variant::Mboxrd.unescapes(line) || line.starts_with(b"From ") {
                    mbox.push(b'>');
                }
                mbox.extend_from_slice(line);
            }
            mbox.extend_from_slice(if eml.ends_with(b"\r\n") {
                b"\r\n"
            } else {
                b"\n"
            });
        }
        let got = bodies(&mbox, Variant::Mboxrd);
        let want: Vec<Vec<u8>> = emls.iter().map(|e| e.to_vec()).collect();
        assert_eq!(got, want);
        assert_tiles(&mbox, &split(&mbox, Variant::Mboxrd));
    }

    #[test]
    fn offsets_and_lengths_tile_the_stream() {
        let input = format!(
            "junk line\n\n{FROM_A}\nSubject: 1\n\none\n\n{FROM_B}\nContent-Length: 4\n\ntwo\n\n{FROM_A}\r\nSubject: 3\r\n\r\nthree\r\n\r\n{FROM_B}\n"
        );
        let items = split(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(items.len(), 5);
        assert!(items[0].is_err());
        assert_tiles(input.as_bytes(), &items);
        let first = items[1].clone().expect("message");
        assert_eq!(first.offset, 11);
        let indexes: Vec<u64> = items
            .iter()
            .map(|i| match i {
                Ok(m) => m.index,
                Err(f) => f.index,
            })
            .collect();
        assert_eq!(indexes, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn empty_and_minimal_inputs() {
        assert!(split(b"", Variant::Mboxrd).is_empty());
        assert!(split(b"\n\n", Variant::Mboxrd).is_empty());
        for input in [format!("{FROM_A}\n"), FROM_A.to_string()] {
            let msgs = messages(input.as_bytes(), Variant::Mboxrd);
            assert_eq!(msgs.len(), 1);
            assert!(msgs[0].bytes.is_empty());
            assert!(msgs[0].warnings.is_empty());
            assert_eq!(msgs[0].length, input.len() as u64);
        }
        let input = format!("{FROM_A}\n\n{FROM_B}\n\n");
        assert_eq!(
            bodies(input.as_bytes(), Variant::Mboxrd),
            vec![Vec::<u8>::new(), Vec::new()]
        );
    }

    #[test]
    fn truncated_file_yields_the_partial_message() {
        let input = format!("{FROM_A}\nSubject: x\n\nhello\n\n{FROM_B}\nSubject: cut\nTo: bob@exa");
        let msgs = messages(input.as_bytes(), Variant::Mboxrd);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].bytes, b"Subject: cut\nTo: bob@exa");
        assert_eq!(msgs[1].warnings.len(), 1);
        assert!(msgs[1].warnings[0].contains("truncated"));
        // Cut inside a body announced by Content-Length.
        let input = format!("{FROM_A}\nContent-Length: 100\n\nonly a little\n");
        let msgs = messages(input.as_bytes(), Variant::Mboxcl2);
        assert_eq!(msgs[0].bytes, b"Content-Length: 100\n\nonly a little\n");
        assert_eq!(msgs[0].warnings.len(), 2);
        assert!(msgs[0].warnings[1].contains("truncated"));
    }

    #[test]
    fn oversize_message_becomes_a_failure_and_splitting_goes_on() {
        let big = "x".repeat(300);
        let input = format!(
            "{FROM_A}\nSubject: small\n\nok\n\n{FROM_B}\nSubject: big\n\n{big}\n{big}\n\n{FROM_A}\nSubject: after\n\nfine\n"
        );
        let items = split_with(input.as_bytes(), Variant::Mboxrd, 200, false);
        assert_eq!(items.len(), 3);
        assert_tiles(input.as_bytes(), &items);
        let Err(f) = &items[1] else {
            panic!("expected a failure")
        };
        assert_eq!(f.index, 1);
        let start = input.find(FROM_B).expect("from line") as u64;
        assert_eq!(f.offset, start);
        let size = input.rfind(FROM_A).expect("from line") as u64 - start;
        assert_eq!(
            f.reason,
            format!("message of {size} bytes is larger than the limit of 200 bytes; not read")
        );
        assert_eq!(
            items[2].clone().expect("message").bytes,
            b"Subject: after\n\nfine\n"
        );
        // A Content-Length body that does not fit, and a preamble that does not.
        let input = format!("{FROM_A}\nContent-Length: 600\n\n{big}\n{big}\n\n{FROM_B}\n\nx\n");
        let items = split_with(input.as_bytes(), Variant::Mboxcl2, 200, false);
        assert_eq!(items.len(), 2);
        assert!(items[0].is_err());
        assert!(items[1].is_ok());
        let input = format!("{big}\n{big}\n\n{FROM_B}\n\nx\n");
        let items = split_with(input.as_bytes(), Variant::Mboxcl2, 200, false);
        assert!(items[0].as_ref().is_err_and(|f| f.reason.contains("limit")));
        assert_eq!(items.len(), 2);
    }

    /// A reader that fails after handing out its data.
    struct Failing<'a>(&'a [u8]);

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_error_yields_one_failure_then_ends() {
        let input = format!("{FROM_A}\nSubject: x\n\nhello\n\n{FROM_B}\nSubject: y\n\npart");
        let items: Vec<SplitItem> = MboxReader::new(
            BufReader::with_capacity(16, Failing(input.as_bytes())),
            Variant::Mboxrd,
        )
        .collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let Err(f) = &items[1] else {
            panic!("expected a failure")
        };
        assert_eq!(f.index, 1);
        assert_eq!(f.offset, input.find(FROM_B).expect("from line") as u64);
        assert!(f.reason.contains("disk on fire"), "{}", f.reason);
        assert!(f.reason.contains(&input.len().to_string()), "{}", f.reason);
        let items: Vec<SplitItem> =
            MboxReader::new(BufReader::new(Failing(b"")), Variant::Mboxrd).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
        let items: Vec<SplitItem> =
            MmdfReader::new(BufReader::new(Failing(b"\x01\x01\x01\x01\nSubject: x\n"))).collect();
        assert_eq!(items.len(), 1);
        assert!(items[0].as_ref().is_err_and(|f| f.offset == 0));
    }

    /// Deterministic pseudo-random inputs from mbox-like fragments: nothing
    /// panics, everything tiles, and without un-escaping no byte is lost.
    #[test]
    fn random_inputs_never_panic_and_tile() {
        const PIECES: [&[u8]; 16] = [
            b"From alice@example.org Mon Jul 13 10:11:12 2009\n",
            b"From -\n",
            b"From - \r\n",
            b"From the start\n",
            b"\n",
            b"\r\n",
            b"\r",
            b"Subject: x\n",
            b"Content-Length: 5\n",
            b"Content-Length: 0\r\n",
            b">From y\n",
            b">>From z\n",
            b"body text\n",
            b"\xef\xbb\xbf",
            b"\x01\x01\x01\x01\n",
            b"no newline",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..400 {
            let mut input = Vec::new();
            for _ in 0..(round % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.extend_from_slice(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            for v in [Variant::Mboxrd, Variant::Mboxo, Variant::Mboxcl2] {
                for (max, blankless) in [
                    (DEFAULT_MAX_MESSAGE_BYTES, false),
                    (40, false),
                    (DEFAULT_MAX_MESSAGE_BYTES, true),
                ] {
                    let items = split_with(&input, v, max, blankless);
                    assert_tiles(&input, &items);
                    if v == Variant::Mboxcl2 && max == DEFAULT_MAX_MESSAGE_BYTES {
                        for m in items.iter().flatten() {
                            let start = m.offset as usize;
                            let raw = &input[start..start + m.length as usize];
                            let after_from = m.from_line.as_ref().map_or(0, |l| l.len());
                            let body = &raw[after_from.min(raw.len())..];
                            let body = body
                                .strip_prefix(b"\r\n")
                                .or(body.strip_prefix(b"\n"))
                                .unwrap_or(body);
                            let found = if m.from_line.is_some() { body } else { raw };
                            assert!(found.starts_with(&m.bytes), "round {round}");
                        }
                    }
                }
            }
            let _ = detect_variant(&input);
            let _ = is_mmdf(&input);
            let _ = starts_with_from_line(&input);
            let _: Vec<SplitItem> = MmdfReader::new(Cursor::new(&input))
                .with_max_message_bytes(30)
                .collect();
        }
    }

    #[test]
    fn detect_variant_cases() {
        let plain = format!("{FROM_A}\nSubject: x\n\n>From quoted\n\n{FROM_B}\n\ny\n");
        assert_eq!(detect_variant(plain.as_bytes()), Variant::Mboxrd);
        let rd = format!("{FROM_A}\nSubject: x\n\n>>From twice quoted\n");
        assert_eq!(detect_variant(rd.as_bytes()), Variant::Mboxrd);
        let cl2 = format!(
            "{FROM_A}\nContent-Length: 48\n\n\nFrom bob@example.net Sat Jan  3 01:05:34 1996\n\n{FROM_B}\nContent-Length: 4\n\nbye\n"
        );
        assert_eq!(detect_variant(cl2.as_bytes()), Variant::Mboxcl2);
        // The same with a message cut by the end of the prefix.
        let cut = format!("{cl2}\n{FROM_A}\nContent-Length: 400\n\nonly the start");
        assert_eq!(detect_variant(cut.as_bytes()), Variant::Mboxcl2);
        let cl = format!(
            "{FROM_A}\nContent-Length: 8\n\n>From x\n\n{FROM_B}\nContent-Length: 4\n\nbye\n"
        );
        assert_eq!(detect_variant(cl.as_bytes()), Variant::Mboxcl);
        let wrong = format!(
            "{FROM_A}\nContent-Length: 2\n\nlonger body\n\n{FROM_B}\nContent-Length: 4\n\nbye\n"
        );
        assert_eq!(detect_variant(wrong.as_bytes()), Variant::Mboxrd);
        let some = format!("{FROM_A}\nSubject: x\n\nhello\n\n{FROM_B}\nContent-Length: 4\n\nbye\n");
        assert_eq!(detect_variant(some.as_bytes()), Variant::Mboxrd);
        assert_eq!(detect_variant(b""), Variant::Mboxrd);
    }

    #[test]
    fn mmdf_splits_between_delimiters() {
        let input = b"\x01\x01\x01\x01\nSubject: one\n\nFrom the start\n\x01\x01\x01\x01\n\x01\x01\x01\x01\r\nSubject: two\r\n\r\nbody\r\n\x01\x01\x01\x01\r\n";
        assert!(is_mmdf(input));
        let items: Vec<SplitItem> =
            MmdfReader::new(BufReader::with_capacity(3, &input[..])).collect();
        let msgs: Vec<RawMessage> = items.into_iter().map(|i| i.expect("message")).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, b"Subject: one\n\nFrom the start\n");
        assert_eq!((msgs[0].offset, msgs[0].length), (0, 39));
        assert_eq!(msgs[0].from_line, None);
        assert_eq!(msgs[1].bytes, b"Subject: two\r\n\r\nbody\r\n");
        assert_eq!(msgs[1].offset, 39);
        assert_eq!(msgs[1].offset + msgs[1].length, input.len() as u64);
        assert_eq!(msgs[1].index, 1);
    }

    #[test]
    fn mmdf_text_outside_delimiters_and_unclosed_messages() {
        let input = b"\n\x01\x01\x01\x01\nSubject: one\n\n1\n\x01\x01\x01\x01\nSubject: stray\n\n2\n\x01\x01\x01\x01\nSubject: cut\n";
        let items: Vec<SplitItem> = MmdfReader::new(&input[..]).collect();
        assert_eq!(items.len(), 3);
        let stray = items[1].clone().expect("message");
        assert_eq!(stray.bytes, b"Subject: stray\n\n2\n");
        assert_eq!(stray.warnings.len(), 1);
        let cut = items[2].clone().expect("message");
        assert_eq!(cut.bytes, b"Subject: cut\n");
        assert!(cut.warnings[0].contains("truncated"));
        let junk =
            b"garbage\n\x01\x01\x01\x01\nSubject: x\n\n\x01\x01\x01\x01\n\x01\x01\x01\x01\n  \n";
        let items: Vec<SplitItem> = MmdfReader::new(&junk[..]).collect();
        assert_eq!(items.len(), 2);
        assert!(
            items[0]
                .as_ref()
                .is_err_and(|f| f.offset == 0 && f.index == 0)
        );
        assert!(items[1].is_ok());
        let big = b"\x01\x01\x01\x01\nSubject: big\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\x01\x01\x01\x01\n\x01\x01\x01\x01\nSubject: s\n\x01\x01\x01\x01\n";
        let items: Vec<SplitItem> = MmdfReader::new(&big[..])
            .with_max_message_bytes(20)
            .collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].as_ref().is_err_and(|f| f.reason.contains("limit")));
        assert_eq!(items[1].clone().expect("message").bytes, b"Subject: s\n");
        assert!(MmdfReader::new(&b""[..]).next().is_none());
        assert!(!is_mmdf(FROM_A.as_bytes()));
        assert!(is_mmdf(b"\r\n\x01\x01\x01\x01"));
        assert!(!is_mmdf(b"\x01\x01\x01\x01\x01\n"));
    }
}
