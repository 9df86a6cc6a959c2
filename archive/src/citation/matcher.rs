//! Finding a quote in a message: exactly, after normalization, and when the
//! quote was edited (elisions, bracketed insertions, changed words).
//!
//! The stages run in order of strength and the first that succeeds wins:
//!
//! 1. [`Method::Exact`]: the quote (then the quote without the punctuation
//!    around it) is a substring of the message.
//! 2. [`Method::Normalized`]: the [normalized](super::normalize::normalize) quote is a
//!    substring of the normalized message.
//! 3. [`Method::Fuzzy`]: a word-level local alignment (Smith-Waterman) of
//!    the quote against the message, where an ellipsis (`...`, `…`, `[...]`)
//!    lets the message skip up to [`ELLIPSIS_MAX_WORDS`] words for free and a
//!    standalone `[bracketed insertion]` is dropped from the quote and lets
//!    the message skip up to [`BRACKET_MAX_WORDS`] words. The score is the
//!    Dice coefficient `2·matched / (quote words + message words aligned)`,
//!    words skipped at an ellipsis or bracket not counted; it is 1.0 when
//!    every quote word was found in order.
//!
//! Work is bounded: the alignment runs only in a few regions of the message
//! chosen by votes of the quote's rarest words (anchors), each region a band
//! around one diagonal, within a fixed cell budget, and not at all when the
//! quote's words present in the message cannot reach the score threshold.
//! Offsets are always byte offsets on char boundaries of the original
//! message text.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::normalize::{Normalized, Token, is_unspaced_script, normalize, tokenize};

/// The score threshold for fuzzy matches that [`find_passage`] callers
/// should use unless they have a reason not to.
pub const DEFAULT_MIN_SCORE: f32 = 0.85;

/// At most this many message words are skipped at one ellipsis.
pub const ELLIPSIS_MAX_WORDS: usize = 300;

/// At most this many message words are replaced by one bracketed insertion.
pub const BRACKET_MAX_WORDS: usize = 4;

/// Quotes longer than this many words are only matched exactly or after
/// normalization, never fuzzily.
pub const FUZZY_MAX_QUOTE_WORDS: usize = 1500;

/// Alignment scores: a matching word, a different word, a word on one side
/// only.
const MATCH: i32 = 2;
const MISMATCH: i32 = -1;
const GAP: i32 = -1;

/// At most this many alignment cells are computed per quote and message.
const CELL_BUDGET: usize = 6_000_000;
/// At most this many candidate regions are aligned.
const MAX_REGIONS: usize = 6;
/// At most this many occurrences of anchor words are voted with.
const MAX_VOTES: usize = 20_000;
/// At most this many positions are kept per quote word.
const MAX_POSITIONS: usize = 4_096;
/// At most this many substring occurrences are examined for the best one.
const MAX_OCCURRENCES: usize = 256;

/// How a passage was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The quote is a substring of the message as it is.
    Exact,
    /// The quote is a substring of the message after [normalization](super::normalize::normalize).
    Normalized,
    /// The quote matched word by word, possibly with elisions, bracketed
    /// insertions and changed words; see the score.
    Fuzzy,
}

/// Where a quote was found in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassageMatch {
    /// How it was found.
    pub method: Method,
    /// 1.0 for exact and normalized matches; for fuzzy ones the word-level
    /// Dice similarity in 0..=1 (1.0: every quote word found in order, with
    /// only elisions and bracketed insertions).
    pub score: f32,
    /// Byte offset where the passage starts in the original message text.
    pub start: usize,
    /// Byte offset where the passage ends (exclusive).
    pub end: usize,
    /// `message_text[start..end]`.
    pub passage: String,
    /// The byte ranges of the message matched by each part of the quote, in
    /// order: one range for a contiguous match, one per part for a quote
    /// joined with ellipses or brackets. All lie within `start..end`.
    pub parts: Vec<Range<usize>>,
}

/// A message prepared for repeated searches: its normalized form, words and
/// quoted zones are computed once, on first use.
#[derive(Debug)]
pub struct PreparedMessage<'a> {
    text: &'a str,
    norm: OnceLock<Normalized>,
    tokens: OnceLock<Vec<Token>>,
    quoted_zones: OnceLock<Vec<Range<usize>>>,
}

impl<'a> PreparedMessage<'a> {
    /// Wraps a message's decoded text. Nothing is computed yet.
    pub fn new(text: &'a str) -> Self {
        PreparedMessage {
            text,
            norm: OnceLock::new(),
            tokens: OnceLock::new(),
            quoted_zones: OnceLock::new(),
        }
    }

    /// The original message text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The normalized message text.
    pub fn normalized(&self) -> &Normalized {
        self.norm.get_or_init(|| normalize(self.text))
    }

    fn tokens(&self) -> &[Token] {
        self.tokens
            .get_or_init(|| tokenize(&self.normalized().text))
    }

    /// Same as [`is_quoted_in`] on this message, with the scan for reply and
    /// forward separators done once.
    pub fn is_quoted(&self, start: usize) -> bool {
        let zones = self
            .quoted_zones
            .get_or_init(|| quoted_zones(self.text, self.text.len()));
        in_zones(zones, start) || line_is_quoted(self.text, start)
    }

    /// Finds `quote` in this message; see [`find_passage`].
    pub fn find(&self, quote: &str, min_score: f32) -> Option<PassageMatch> {
        let min_score = if min_score.is_nan() {
            DEFAULT_MIN_SCORE
        } else {
            min_score.clamp(0.0, 1.0)
        };
        let quote = quote.trim();
        if self.text.is_empty() || !quote.chars().any(char::is_alphanumeric) {
            return None;
        }
        let core = core_of(quote);

        // 1. Exact.
        let candidates: &[&str] = if core.len() == quote.len() {
            &[quote]
        } else {
            &[quote, core]
        };
        for &candidate in candidates {
            if let Some(start) = self.best_occurrence(self.text, candidate, None) {
                let end = start + candidate.len();
                return Some(self.make(Method::Exact, 1.0, start..end, Vec::new()));
            }
        }

        // 2. Normalized: the quote as it is (brackets and ellipses may be
        // the message's own, as in "[deleted]"), then, when it is one
        // contiguous part, with a bracket inside a word ("[T]he") resolved
        // and an ellipsis or bracketed insertion at either end dropped.
        let parts = edit_parts(core);
        let mut literal = vec![core];
        if let [(_, single)] = parts.as_slice()
            && single != core
        {
            literal.push(single);
        }
        let nm = self.normalized();
        for candidate in literal {
            let nq = normalize(candidate);
            if nq.text.is_empty() {
                continue;
            }
            if let Some(ns) = self.best_occurrence(&nm.text, &nq.text, Some(nm))
                && let Some(range) = nm.original_range(ns..ns + nq.text.len())
            {
                return Some(self.make(Method::Normalized, 1.0, range, Vec::new()));
            }
        }
        if let [(_, single)] = parts.as_slice()
            && normalize(single).text.is_empty()
        {
            return None;
        }

        // 3. Edited or changed.
        let seq = QuoteSeq::from_parts(parts);
        self.align(&seq, min_score)
    }

    /// A match of `range`; `parts` empty means one part, the whole range.
    fn make(
        &self,
        method: Method,
        score: f32,
        range: Range<usize>,
        mut parts: Vec<Range<usize>>,
    ) -> PassageMatch {
        if parts.is_empty() {
            parts.push(range.clone());
        }
        PassageMatch {
            method,
            score,
            start: range.start,
            end: range.end,
            passage: self.text.get(range).unwrap_or_default().to_string(),
            parts,
        }
    }

    /// The best occurrence of `needle` in `hay` (the original text, or the
    /// normalized text when `norm` is given): the first on word boundaries
    /// outside quoted material, else the first on word boundaries, else the
    /// first.
    fn best_occurrence(&self, hay: &str, needle: &str, norm: Option<&Normalized>) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        let starts_word = needle.chars().next().is_some_and(char::is_alphanumeric);
        let ends_word = needle
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let mut first = None;
        let mut first_bounded = None;
        for (pos, _) in hay.match_indices(needle).take(MAX_OCCURRENCES) {
            first.get_or_insert(pos);
            let before_ok = !starts_word
                || !hay[..pos]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
            let after_ok = !ends_word
                || !hay[pos + needle.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
            if !(before_ok && after_ok) {
                continue;
            }
            first_bounded.get_or_insert(pos);
            let original = match norm {
                Some(n) => n.map.get(pos).copied().unwrap_or(0),
                None => pos,
            };
            if !self.is_quoted(original) {
                return Some(pos);
            }
        }
        first_bounded.or(first)
    }

    /// Stage 3: word-level alignment in candidate regions.
    fn align(&self, seq: &QuoteSeq, min_score: f32) -> Option<PassageMatch> {
        let q = seq.hashes.len();
        if q == 0 || q > FUZZY_MAX_QUOTE_WORDS {
            return None;
        }
        let tokens = self.tokens();
        let n = tokens.len();
        if n == 0 {
            return None;
        }

        // Positions of the quote's words in the message.
        let mut slot: HashMap<u64, usize> = HashMap::new();
        let mut quote_count: Vec<usize> = Vec::new();
        for &h in &seq.hashes {
            let k = *slot.entry(h).or_insert_with(|| {
                quote_count.push(0);
                quote_count.len() - 1
            });
            quote_count[k] += 1;
        }
        let mut count = vec![0usize; quote_count.len()];
        let mut positions: Vec<Vec<u32>> = vec![Vec::new(); quote_count.len()];
        for (j, t) in tokens.iter().enumerate() {
            if let Some(&k) = slot.get(&t.hash) {
                count[k] += 1;
                if positions[k].len() < MAX_POSITIONS {
                    positions[k].push(u32::try_from(j).unwrap_or(u32::MAX));
                }
            }
        }

        // Upper bound of the score: every present word matched, nothing else.
        let present: usize = quote_count.iter().zip(&count).map(|(a, b)| *a.min(b)).sum();
        if present == 0 || dice(present, q, present) < min_score {
            return None;
        }

        // Anchors: the rarest present words vote for diagonals.
        let mut order: Vec<usize> = (0..count.len()).filter(|&k| count[k] > 0).collect();
        order.sort_by_key(|&k| (count[k], k));
        let band = (8 + q / 5).min(256);
        let bucket = band.max(4) as i64;
        let mut votes: HashMap<i64, Vec<usize>> = HashMap::new();
        let mut used = 0usize;
        for (rank, &k) in order.iter().enumerate() {
            if rank >= 64 || (rank >= 3 && used + positions[k].len() > MAX_VOTES) {
                break;
            }
            for (i, _) in seq
                .hashes
                .iter()
                .enumerate()
                .filter(|(_, h)| slot.get(h) == Some(&k))
            {
                for &p in &positions[k] {
                    if used >= MAX_VOTES {
                        break;
                    }
                    used += 1;
                    let d = i64::from(p) - i as i64;
                    let voters = votes.entry(d.div_euclid(bucket)).or_default();
                    if !voters.contains(&k) {
                        voters.push(k);
                    }
                }
            }
        }
        let mut buckets: Vec<(usize, i64)> = votes
            .iter()
            .map(|(&b, v)| {
                let neighbours = [b - 1, b + 1]
                    .iter()
                    .filter_map(|nb| votes.get(nb))
                    .flatten()
                    .filter(|k| !v.contains(k))
                    .count();
                (v.len() * 2 + neighbours, b)
            })
            .collect();
        buckets.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

        // Regions around the best diagonals, widened by the allowed skips.
        let slack = seq.max_skip();
        let mut regions: Vec<Range<usize>> = Vec::new();
        for &(_, b) in buckets.iter() {
            if regions.len() >= MAX_REGIONS {
                break;
            }
            let lo = b * bucket - band as i64 - slack as i64;
            let hi = (b + 1) * bucket + (q + band + slack) as i64;
            let lo = lo.clamp(0, n as i64) as usize;
            let hi = hi.clamp(0, n as i64) as usize;
            if lo >= hi {
                continue;
            }
            if let Some(r) = regions.iter_mut().find(|r| r.start <= hi && lo <= r.end) {
                r.start = r.start.min(lo);
                r.end = r.end.max(hi);
            } else {
                regions.push(lo..hi);
            }
        }

        let mut budget = CELL_BUDGET;
        let mut best: Option<(f32, Alignment, usize)> = None;
        for region in regions {
            let mut region = region;
            let max_len = (budget / (q + 1)).saturating_sub(1);
            if max_len == 0 {
                break;
            }
            if region.len() > max_len {
                region.end = region.start + max_len;
            }
            budget = budget.saturating_sub((q + 1) * (region.len() + 1));
            let hashes: Vec<u64> = tokens[region.clone()].iter().map(|t| t.hash).collect();
            let Some(al) = align_tokens(seq, &hashes) else {
                continue;
            };
            let score = dice(al.matched, q, al.message_words);
            let better = match &best {
                None => true,
                Some((s, b, off)) => {
                    score > *s || (score == *s && region.start + al.first < off + b.first)
                }
            };
            if better {
                best = Some((score, al, region.start));
            }
        }
        let (score, al, offset) = best?;
        if score < min_score || al.matched == 0 {
            return None;
        }
        let nm = self.normalized();
        let to_original = |first: usize, last: usize| -> Option<Range<usize>> {
            let a = tokens.get(offset + first)?;
            let b = tokens.get(offset + last)?;
            nm.original_range(a.range.start..b.range.end)
        };
        let range = to_original(al.first, al.last)?;
        let parts = al
            .parts
            .iter()
            .filter_map(|p| p.as_ref().and_then(|(f, l)| to_original(*f, *l)))
            .collect();
        Some(self.make(Method::Fuzzy, score, range, parts))
    }
}

/// Finds `quote` in `message_text`.
///
/// Tries, in order: an exact substring; a substring of the normalized texts;
/// a word-level alignment allowing `...`/`…` elisions (each part in order,
/// at most [`ELLIPSIS_MAX_WORDS`] words apart), `[bracketed]` editorial
/// insertions or replacements (ignored; they may stand for up to
/// [`BRACKET_MAX_WORDS`] message words; a bracket inside a word, as in
/// `[T]he`, is kept as letters) and changed words, accepted when its score
/// reaches `min_score` (clamped to 0..=1; NaN means [`DEFAULT_MIN_SCORE`]).
/// Among several exact or normalized occurrences, the first on word
/// boundaries outside quoted material wins.
///
/// Returns `None` for an empty message, a quote without letters or digits,
/// or no match good enough. Never panics. To search one message for many
/// quotes, use [`PreparedMessage`].
pub fn find_passage(quote: &str, message_text: &str, min_score: f32) -> Option<PassageMatch> {
    PreparedMessage::new(message_text).find(quote, min_score)
}

/// The Dice similarity of an alignment.
fn dice(matched: usize, quote_words: usize, message_words: usize) -> f32 {
    let denominator = quote_words + message_words;
    if denominator == 0 {
        return 0.0;
    }
    (2.0 * matched as f64 / denominator as f64) as f32
}

/// The quote without whitespace, punctuation and quote marks around it.
fn core_of(quote: &str) -> &str {
    let trimmed = quote.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | '.'
                    | ';'
                    | ':'
                    | '!'
                    | '?'
                    | '"'
                    | '\''
                    | '“'
                    | '”'
                    | '„'
                    | '‘'
                    | '’'
                    | '‚'
                    | '«'
                    | '»'
                    | '‹'
                    | '›'
                    | '「'
                    | '」'
                    | '『'
                    | '』'
                    | '…'
                    | '-'
                    | '–'
                    | '—'
            )
    });
    if trimmed.is_empty() { quote } else { trimmed }
}

/// What lies between two parts of an edited quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    None,
    Bracket,
    Ellipsis,
}

impl Gap {
    fn max_skip(self) -> usize {
        match self {
            Gap::None => 0,
            Gap::Bracket => BRACKET_MAX_WORDS,
            Gap::Ellipsis => ELLIPSIS_MAX_WORDS,
        }
    }
}

/// A quote as words, with the gaps that editing left between them.
#[derive(Debug, Default)]
struct QuoteSeq {
    /// Word hashes, bracketed insertions removed.
    hashes: Vec<u64>,
    /// For each word, the gap before it (always `Gap::None` for the first).
    gap_before: Vec<Gap>,
}

impl QuoteSeq {
    /// The words of the parts of an edited quote.
    fn from_parts(parts: Vec<(Gap, String)>) -> QuoteSeq {
        let mut seq = QuoteSeq::default();
        let mut pending = Gap::None;
        for (gap, text) in parts {
            pending = pending.max(gap);
            let norm = normalize(&text);
            let toks = tokenize(&norm.text);
            for (k, t) in toks.iter().enumerate() {
                let gap = if k == 0 && !seq.hashes.is_empty() {
                    pending
                } else {
                    Gap::None
                };
                seq.hashes.push(t.hash);
                seq.gap_before.push(gap);
            }
            if !toks.is_empty() {
                pending = Gap::None;
            }
        }
        seq
    }

    /// The most message words all gaps together may skip.
    fn max_skip(&self) -> usize {
        self.gap_before
            .iter()
            .map(|g| g.max_skip())
            .fold(0usize, usize::saturating_add)
    }
}

/// Splits a quote at ellipses (`...`, `…`, `. . .`, `[...]`, `(...)`) and
/// standalone brackets (`[to Moscow]`, dropped); a bracket touching a word
/// (`[T]he`, `investigat[ing]`) is kept as letters. Each part comes with the
/// gap before it; a gap at either end is dropped.
fn edit_parts(quote: &str) -> Vec<(Gap, String)> {
    let mut parts: Vec<(Gap, String)> = vec![(Gap::None, String::new())];
    let mut i = 0;
    while let Some(c) = quote.get(i..).and_then(|r| r.chars().next()) {
        let rest = &quote[i..];
        if let Some(len) = ellipsis_len(rest) {
            start_part(&mut parts, Gap::Ellipsis);
            i += len;
            continue;
        }
        if c == '['
            && let Some(close) = find_near(rest, ']', 200)
        {
            let inner = rest[1..1 + close].trim();
            let after = i + close + 2;
            let prev_word = quote[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            let next_word = quote
                .get(after..)
                .and_then(|r| r.chars().next())
                .is_some_and(char::is_alphanumeric);
            if is_elision_mark(inner) {
                start_part(&mut parts, Gap::Ellipsis);
            } else if prev_word || next_word {
                if let Some(last) = parts.last_mut() {
                    last.1.push_str(inner);
                }
            } else {
                start_part(&mut parts, Gap::Bracket);
            }
            i = after;
            continue;
        }
        if let Some(close_char) = match c {
            '(' => Some(')'),
            '<' => Some('>'),
            _ => None,
        } && let Some(close) = find_near(rest, close_char, 12)
        {
            let inner = rest[1..1 + close].trim();
            if is_elision_mark(inner) {
                start_part(&mut parts, Gap::Ellipsis);
                i += close + 2;
                continue;
            }
        }
        if let Some(last) = parts.last_mut() {
            last.1.push(c);
        }
        i += c.len_utf8();
    }
    if parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| !p.1.chars().any(char::is_alphanumeric))
    {
        parts.pop();
    }
    parts
}

/// The position of `c` in `rest[1..]` if it lies within `limit` bytes of
/// the start (so that scanning a hostile quote stays linear).
fn find_near(rest: &str, c: char, limit: usize) -> Option<usize> {
    let mut end = (1 + limit + c.len_utf8()).min(rest.len());
    while end > 1 && !rest.is_char_boundary(end) {
        end -= 1;
    }
    rest.get(1..end)?.find(c)
}

/// Starts a new quote part after a gap, merging with an empty current part.
fn start_part(parts: &mut Vec<(Gap, String)>, gap: Gap) {
    match parts.last_mut() {
        Some(last) if !last.1.chars().any(char::is_alphanumeric) => {
            last.0 = last.0.max(gap);
            last.1.clear();
        }
        _ => parts.push((gap, String::new())),
    }
}

/// Whether the inside of a bracket marks an elision: an ellipsis, two dots
/// (`[..]`) or a word saying so (`[snip]`, `<snip>`, `[cut]`).
fn is_elision_mark(inner: &str) -> bool {
    !inner.is_empty()
        && (ellipsis_len(inner) == Some(inner.len())
            || inner == ".."
            || ["snip", "snipped", "cut"]
                .iter()
                .any(|w| inner.eq_ignore_ascii_case(w)))
}

/// The length of an ellipsis at the start of `s`: `...`, `…`, `. . .`
/// (and longer runs of dots).
fn ellipsis_len(s: &str) -> Option<usize> {
    if s.starts_with('…') || s.starts_with("...") {
        return Some(s.len() - s.trim_start_matches(['.', '…']).len());
    }
    if s.starts_with(". . .") {
        let rest = s.trim_start_matches(['.', ' ']);
        let len = s.len() - rest.len();
        return Some(len - (s[..len].len() - s[..len].trim_end().len()));
    }
    None
}

/// The best local alignment of a quote against a slice of message words.
#[derive(Debug, Clone)]
struct Alignment {
    /// Quote words equal to the message word they are aligned with.
    matched: usize,
    /// Message words aligned (matched, changed or extra), not counting those
    /// skipped at a gap.
    message_words: usize,
    /// First and last message word of the alignment (indices in the slice).
    first: usize,
    last: usize,
    /// For each quote part (split at gaps), its first and last message word.
    parts: Vec<Option<(usize, usize)>>,
}

const STOP: u8 = 0;
const DIAG: u8 = 1;
const UP: u8 = 2;
const LEFT: u8 = 3;
const SKIP: u8 = 4;

/// Smith-Waterman over words, with free skips of the message at gaps.
fn align_tokens(seq: &QuoteSeq, m: &[u64]) -> Option<Alignment> {
    let q = seq.hashes.len();
    let n = m.len();
    if q == 0 || n == 0 {
        return None;
    }
    let cols = n + 1;
    let mut trace = vec![STOP; (q + 1) * cols];
    let mut skip_from: Vec<Vec<u32>> = vec![Vec::new(); q + 1];
    let mut prev = vec![0i32; cols];
    let mut cur = vec![0i32; cols];
    let mut best = (0i32, 0usize, 0usize);
    let mut window: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for i in 1..=q {
        let qh = seq.hashes[i - 1];
        let gap = seq.gap_before[i - 1];
        let limit = gap.max_skip();
        if limit > 0 {
            skip_from[i] = vec![0; cols];
        }
        window.clear();
        cur[0] = 0;
        for j in 1..=n {
            // Window of rows i-1 cells j' in [j-1-limit, j-2] for skips.
            if limit > 0 && j >= 2 {
                let add = j - 2;
                while window.back().is_some_and(|&b| prev[b] <= prev[add]) {
                    window.pop_back();
                }
                window.push_back(add);
                while window.front().is_some_and(|&f| f + 1 + limit < j) {
                    window.pop_front();
                }
            }
            let equal = m[j - 1] == qh;
            let s = if equal { MATCH } else { MISMATCH };
            let mut value = 0;
            let mut op = STOP;
            let diag = prev[j - 1] + s;
            if diag > value {
                value = diag;
                op = DIAG;
            }
            if equal
                && limit > 0
                && let Some(&from) = window.front()
                && prev[from] > 0
                && prev[from] + MATCH > value
            {
                value = prev[from] + MATCH;
                op = SKIP;
                skip_from[i][j] = u32::try_from(from).unwrap_or(0);
            }
            let up = prev[j] + GAP;
            if up > value {
                value = up;
                op = UP;
            }
            let left = cur[j - 1] + GAP;
            if left > value {
                value = left;
                op = LEFT;
            }
            cur[j] = value;
            trace[i * cols + j] = op;
            if value > best.0 {
                best = (value, i, j);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    if best.0 <= 0 {
        return None;
    }

    // Quote part of each row: a new part starts at every gap.
    let mut part_of_row = vec![0usize; q + 1];
    let mut part = 0;
    for (row, gap) in part_of_row.iter_mut().skip(1).zip(&seq.gap_before) {
        if *gap != Gap::None {
            part += 1;
        }
        *row = part;
    }
    let mut parts: Vec<Option<(usize, usize)>> = vec![None; part + 1];
    let note = |row: usize, col: usize, parts: &mut Vec<Option<(usize, usize)>>| {
        if let Some(slot) = parts.get_mut(part_of_row[row]) {
            *slot = Some(match *slot {
                None => (col, col),
                Some((a, b)) => (a.min(col), b.max(col)),
            });
        }
    };

    let (_, mut i, mut j) = best;
    let mut matched = 0;
    let mut message_words = 0;
    let (mut first, last) = (j - 1, j - 1);
    while i > 0 && j > 0 {
        match trace[i * cols + j] {
            DIAG => {
                if m[j - 1] == seq.hashes[i - 1] {
                    matched += 1;
                }
                message_words += 1;
                first = j - 1;
                note(i, j - 1, &mut parts);
                i -= 1;
                j -= 1;
            }
            SKIP => {
                matched += 1;
                message_words += 1;
                first = j - 1;
                note(i, j - 1, &mut parts);
                j = skip_from[i].get(j).map_or(0, |&f| f as usize);
                i -= 1;
            }
            UP => i -= 1,
            LEFT => {
                message_words += 1;
                first = j - 1;
                note(i, j - 1, &mut parts);
                j -= 1;
            }
            _ => break,
        }
    }
    Some(Alignment {
        matched,
        message_words,
        first,
        last,
        parts,
    })
}

/// Unmarked verbatim runs: the maximal runs of at least `min_words`
/// consecutive words (after [normalization](super::normalize::normalize);
/// punctuation between words is ignored) that `article_text` shares with
/// `message_text`, in article order, not overlapping each other nor any of
/// `exclude` (byte ranges of `article_text` already attributed, such as the
/// quotes found by [`find_passage`]).
///
/// Each run is returned as its byte range in `article_text` and the match in
/// the message ([`Method::Normalized`], score 1.0). When a run occurs several
/// times in the message, the longest extension wins, then the first. Work is
/// linear in the two texts (hashing of `min_words`-word windows; at most 16
/// message positions kept per window). `min_words` below 1 counts as 1.
pub fn shared_runs(
    article_text: &str,
    message_text: &str,
    min_words: usize,
    exclude: &[Range<usize>],
) -> Vec<(Range<usize>, PassageMatch)> {
    const MAX_CANDIDATES: usize = 16;
    const BASE: u64 = 0x9E37_79B9_7F4A_7C15;
    let k = min_words.max(1);
    let an = normalize(article_text);
    let at = tokenize(&an.text);
    let message = PreparedMessage::new(message_text);
    let mn = message.normalized();
    let mt = message.tokens();
    if at.len() < k || mt.len() < k {
        return Vec::new();
    }

    // Which article words are excluded.
    let mut excluded = vec![false; at.len()];
    for (idx, t) in at.iter().enumerate() {
        if let Some(r) = an.original_range(t.range.clone()) {
            excluded[idx] = exclude.iter().any(|e| e.start < r.end && r.start < e.end);
        }
    }

    let window_hashes = |tokens: &[Token]| -> Vec<u64> {
        let mut out = Vec::with_capacity(tokens.len().saturating_sub(k) + 1);
        let mut power: u64 = 1;
        for _ in 1..k {
            power = power.wrapping_mul(BASE);
        }
        let mut h: u64 = 0;
        for (idx, t) in tokens.iter().enumerate() {
            if idx >= k {
                h = h.wrapping_sub(tokens[idx - k].hash.wrapping_mul(power));
            }
            h = h.wrapping_mul(BASE).wrapping_add(t.hash);
            if idx + 1 >= k {
                out.push(h);
            }
        }
        out
    };
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for (p, h) in window_hashes(mt).into_iter().enumerate() {
        let v = index.entry(h).or_default();
        if v.len() < MAX_CANDIDATES {
            v.push(p);
        }
    }
    let article_windows = window_hashes(&at);

    let mut runs = Vec::new();
    let mut i = 0;
    while i + k <= at.len() {
        if excluded[i..i + k].iter().any(|&e| e) {
            i += 1;
            continue;
        }
        let mut best: Option<(usize, usize)> = None; // (message start, length)
        if let Some(cands) = article_windows.get(i).and_then(|h| index.get(h)) {
            for &p in cands {
                let mut len = 0;
                while i + len < at.len()
                    && p + len < mt.len()
                    && !excluded[i + len]
                    && at[i + len].hash == mt[p + len].hash
                {
                    len += 1;
                }
                if len >= k && best.is_none_or(|(_, l)| len > l) {
                    best = Some((p, len));
                }
            }
        }
        let Some((p, len)) = best else {
            i += 1;
            continue;
        };
        let article_range = an.original_range(at[i].range.start..at[i + len - 1].range.end);
        let message_range = mn.original_range(mt[p].range.start..mt[p + len - 1].range.end);
        if let (Some(ar), Some(mr)) = (article_range, message_range) {
            let m = message.make(Method::Normalized, 1.0, mr, Vec::new());
            runs.push((ar, m));
        }
        i += len;
    }
    runs
}

/// Whether the byte offset `start` of `message_text` lies in quoted
/// material rather than in the message's own text: on a line starting with
/// `>`, or after a reply or forward separator (`-----Original Message-----`
/// and its translations, `---------- Forwarded message ----------`, `Begin
/// forwarded message:`, a line ending in `wrote:` and its translations,
/// possibly wrapped after an `On ...` line, or an Outlook header block `From:`
/// followed by `Sent:` and their translations). A `wrote:` line followed
/// (past blank lines and editorial notes such as `[snip]`) by quoted lines
/// (`>`, or `| ` and `: ` as some clients quote) introduces only those
/// lines, blank lines between them, and lines
/// that continue a quoted sentence in lower case (a quoted line wrapped
/// without its prefix): the first other line is the writer's own again, as
/// in interleaved and bottom-posted replies. A `wrote:` line followed by a
/// note and then unquoted text (`<argument omitted>`) introduces nothing.
/// Separator lines that are themselves `>`-quoted are ignored. Offsets past
/// the end count as the end.
pub fn is_quoted_in(message_text: &str, start: usize) -> bool {
    let start = floor_boundary(message_text, start);
    line_is_quoted(message_text, start) || in_zones(&quoted_zones(message_text, start), start)
}

/// Whether `pos` lies in one of `zones`; a zone ending at `usize::MAX` runs
/// to the end of the text and beyond.
fn in_zones(zones: &[Range<usize>], pos: usize) -> bool {
    zones
        .iter()
        .any(|z| z.start <= pos && (pos < z.end || z.end == usize::MAX))
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether a line starts (after indentation) with a quote prefix: `>`, or
/// `|` or `:` followed by white space or the end of the line, as some mail
/// and news clients quote.
fn has_quote_prefix(line: &str) -> bool {
    let t = line.trim_start_matches([' ', '\t']);
    let mut chars = t.chars();
    match chars.next() {
        Some('>') => true,
        Some('|' | ':') => chars.next().is_none_or(char::is_whitespace),
        _ => false,
    }
}

/// Whether a line is an editorial note between an attribution and the
/// quotation: a short line in brackets (`[...]`, `[snip]`, `(snip)`,
/// `<snip>`, `[quoting me]`) or only dots.
fn is_note(line: &str) -> bool {
    let t = line.trim();
    let bracketed = [('[', ']'), ('(', ')'), ('<', '>')]
        .iter()
        .any(|&(a, b)| t.starts_with(a) && t.ends_with(b));
    (bracketed && t.chars().count() <= 80)
        || (!t.is_empty() && t.chars().all(|c| matches!(c, '.' | '…' | ' ')))
}

/// Whether line `k` continues the sentence of line `k - 1`: that line does
/// not end a sentence and this one starts with a lower-case letter.
fn continues(lines: &[(usize, &str)], k: usize) -> bool {
    let Some(prev) = k.checked_sub(1).and_then(|p| lines.get(p)) else {
        return false;
    };
    let ended = prev.1.trim_end().ends_with(['.', '!', '?', ':', ';']);
    !ended
        && lines
            .get(k)
            .and_then(|(_, l)| l.trim_start().chars().next())
            .is_some_and(char::is_lowercase)
}

/// Whether the line containing `pos` starts with `>` (after indentation).
fn line_is_quoted(text: &str, pos: usize) -> bool {
    let pos = floor_boundary(text, pos);
    let line_start = text[..pos].rfind('\n').map_or(0, |k| k + 1);
    text[line_start..]
        .trim_start_matches([' ', '\t'])
        .starts_with('>')
}

/// The zones of quoted material introduced by separator lines, in order,
/// looking no further than a few lines past `limit`: from the line after a
/// forward or `Original Message` separator, or from the `From:` line of an
/// Outlook header block, to the end (`usize::MAX`); from the line after a
/// `wrote:` attribution to the end, or, when the attribution is followed by
/// quoted lines ([`has_quote_prefix`]), to the first line that is neither
/// quoted, nor blank with a quoted line after it, nor the lower-case
/// continuation of a quoted sentence (none when only a note and unquoted text
/// follow). Quoted lines are not separators.
fn quoted_zones(text: &str, limit: usize) -> Vec<Range<usize>> {
    const SEPARATORS: &[&str] = &[
        "original message",
        "ursprüngliche nachricht",
        "message d'origine",
        "mensaje original",
        "messaggio originale",
        "oorspronkelijk bericht",
        "исходное сообщение",
        "forwarded message",
        "weitergeleitete nachricht",
        "message transféré",
        "mensaje reenviado",
        "пересылаемое сообщение",
    ];
    const WROTE: &[&str] = &[
        "wrote",
        "schrieb",
        "a écrit",
        "escribió",
        "ha scritto",
        "schreef",
        "skrev",
        "kirjoitti",
        "napisał",
        "написал",
        "пишет",
        "escreveu",
    ];
    const FROM: &[&str] = &["from:", "von:", "de :", "de:", "от:", "da:", "van:"];
    const SENT: &[&str] = &[
        "sent:",
        "gesendet:",
        "envoyé :",
        "envoyé:",
        "enviado:",
        "enviado el:",
        "отправлено:",
        "inviato:",
        "verzonden:",
    ];
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line));
        offset += line.len();
    }
    let blank = |k: usize| lines.get(k).is_none_or(|(_, l)| l.trim().is_empty());
    let quoted = |k: usize| lines.get(k).is_some_and(|(_, l)| has_quote_prefix(l));
    let mut zones = Vec::new();
    let mut recent: std::collections::VecDeque<(usize, bool)> = std::collections::VecDeque::new();
    let mut past_limit = 0;
    let mut k = 0;
    while k < lines.len() {
        let (line_start, line) = lines[k];
        let line_end = line_start + line.len();
        k += 1;
        if line_start > limit {
            past_limit += 1;
            if past_limit > 4 {
                break;
            }
        }
        if quoted(k - 1) {
            continue;
        }
        let l = line.trim().to_lowercase();
        let dashed = l.starts_with("---") || l.starts_with("___") || l.starts_with("***");
        if (dashed && SEPARATORS.iter().any(|s| l.contains(s)))
            || l.starts_with("begin forwarded message")
        {
            zones.push(line_end..usize::MAX);
            break;
        }
        if l.len() < 400 && l.ends_with(':') && WROTE.iter().any(|w| l.contains(w)) {
            // The first line of the quotation, past blank lines and
            // editorial notes ("[...]", "[snip]", "<snip>", "[quoting me]").
            let mut j = k;
            let mut noted = false;
            while j < lines.len() && (blank(j) || is_note(lines[j].1)) {
                noted |= !blank(j);
                j += 1;
            }
            if !quoted(j) {
                if noted {
                    // "<argument omitted>": the note stands for the
                    // quotation, and what follows is the writer's own.
                    k = j;
                    recent.clear();
                    continue;
                }
                zones.push(line_end..usize::MAX);
                break;
            }
            // A `>`-quoted block (possibly several, separated by blank
            // lines): it ends at a blank line followed by an unquoted line,
            // or at an unquoted line that does not continue the line before
            // it (a quoted line wrapped without its prefix continues a
            // sentence in lower case).
            let mut end = usize::MAX;
            while j < lines.len() {
                if blank(j) {
                    let mut n = j;
                    while n < lines.len() && blank(n) {
                        n += 1;
                    }
                    if !quoted(n) {
                        end = lines[j].0;
                        break;
                    }
                    j = n;
                } else if quoted(j) || continues(&lines, j) {
                    j += 1;
                } else {
                    end = lines[j].0;
                    break;
                }
            }
            zones.push(line_end..end);
            if end == usize::MAX {
                break;
            }
            k = j;
            recent.clear();
            continue;
        }
        if SENT.iter().any(|s| l.starts_with(s))
            && let Some(&(from_start, _)) = recent.iter().rev().find(|(_, is_from)| *is_from)
        {
            zones.push(from_start..usize::MAX);
            break;
        }
        recent.push_back((line_start, FROM.iter().any(|f| l.starts_with(f))));
        if recent.len() > 3 {
            recent.pop_front();
        }
    }
    zones
}

/// A few distinctive words of `quote` to query a full-text index with for
/// candidate messages: no stop words, no words shorter than three letters
/// (except numbers), longest and rarest-looking first (capitalized words in
/// mid-sentence, words with digits, long words), at most six, in NFKC lower
/// case. Words end at apostrophes and hyphens, as in the index. In scripts
/// written without spaces, runs of up to four characters.
pub fn search_terms(quote: &str) -> Vec<String> {
    let mut terms = Terms::default();
    let mut after_sentence_end = true;
    for c in quote.chars() {
        if is_unspaced_script(c) {
            terms.flush_word(after_sentence_end);
            after_sentence_end = false;
            terms.cjk.push(c);
        } else if c.is_alphanumeric() {
            terms.flush_cjk();
            terms.word.push(c);
        } else {
            terms.flush_cjk();
            if !terms.word.is_empty() {
                terms.flush_word(after_sentence_end);
                after_sentence_end = false;
            }
            if matches!(
                c,
                '.' | '!' | '?' | '。' | '！' | '？' | '"' | '“' | '«' | '„' | '「'
            ) {
                after_sentence_end = true;
            }
        }
    }
    terms.flush_word(after_sentence_end);
    terms.flush_cjk();
    let mut scored = terms.scored;
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, _, w) in scored {
        if !out.contains(&w) {
            out.push(w);
        }
        if out.len() == 6 {
            break;
        }
    }
    out
}

/// Candidate search terms with their scores and positions.
#[derive(Default)]
struct Terms {
    word: String,
    cjk: String,
    scored: Vec<(i64, usize, String)>,
}

impl Terms {
    fn flush_word(&mut self, after_sentence_end: bool) {
        if self.word.is_empty() {
            return;
        }
        let lower: String = self.word.nfkc().flat_map(char::to_lowercase).collect();
        let chars = lower.chars().count();
        let has_digit = lower.chars().any(char::is_numeric);
        if (chars >= 3 || (has_digit && chars >= 2)) && !is_stop_word(&lower) {
            let capital =
                self.word.chars().next().is_some_and(char::is_uppercase) && !after_sentence_end;
            let score = chars as i64 + if capital { 4 } else { 0 } + if has_digit { 2 } else { 0 };
            let index = self.scored.len();
            self.scored.push((score, index, lower));
        }
        self.word.clear();
    }

    fn flush_cjk(&mut self) {
        let chars: Vec<char> = self.cjk.nfkc().collect();
        for chunk in chars.chunks(4) {
            if chunk.len() >= 2 {
                let index = self.scored.len();
                self.scored
                    .push((chunk.len() as i64 * 2, index, chunk.iter().collect()));
            }
        }
        self.cjk.clear();
    }
}

/// Common words of English, German, French, Spanish and Russian.
fn is_stop_word(w: &str) -> bool {
    const STOP: &[&str] = &[
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
        "one", "our", "out", "has", "his", "how", "its", "may", "new", "now", "old", "see", "two",
        "who", "did", "get", "him", "let", "say", "she", "too", "use", "that", "with", "have",
        "this", "will", "your", "from", "they", "been", "were", "said", "each", "which", "their",
        "there", "what", "about", "would", "these", "other", "into", "than", "then", "them",
        "some", "could", "more", "also", "only", "very", "just", "over", "such", "when", "where",
        "while", "should", "being", "because", "those", "after", "before", "does", "doing", "here",
        "most", "much", "must", "shall", "upon", "whom", "whose", "why", "yes", "yet", "der",
        "die", "das", "und", "ist", "nicht", "den", "dem", "des", "ein", "eine", "einer", "mit",
        "auf", "für", "sich", "von", "wir", "ich", "sie", "les", "des", "une", "est", "pas", "que",
        "qui", "dans", "pour", "par", "sur", "avec", "nous", "vous", "los", "las", "del", "por",
        "con", "una", "para", "como", "más", "pero", "что", "как", "это", "для", "его", "она",
        "они", "мы", "вы", "так", "все", "был", "была", "было", "быть", "при", "или", "уже", "нет",
        "да", "по", "на", "не", "per", "via",
    ];
    STOP.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(quote: &str, message: &str) -> PassageMatch {
        match find_passage(quote, message, DEFAULT_MIN_SCORE) {
            Some(m) => {
                assert_eq!(&message[m.start..m.end], m.passage);
                for p in &m.parts {
                    assert!(
                        m.start <= p.start && p.end <= m.end,
                        "part {p:?} outside {m:?}"
                    );
                }
                m
            }
            None => panic!("{quote:?} not found in {message:?}"),
        }
    }

    const MESSAGE: &str = "From the desk of alice@example.org\n\n\
        Bob,\n\n\
        The new module ships next week per a big request on the Lubyanka\n\
        side. We expect active counter-\nmeasures from the other vendors, so\n\
        keep the release notes short and do not name the customer.\n\n\
        Thanks, Alice\n";

    #[test]
    fn exact_match() {
        let m = found("per a big request on the Lubyanka", MESSAGE);
        assert_eq!(m.method, Method::Exact);
        assert_eq!(m.score, 1.0);
        assert_eq!(m.passage, "per a big request on the Lubyanka");
        assert_eq!(m.parts.len(), 1);
        assert_eq!(m.parts[0], m.start..m.end);
    }

    #[test]
    fn exact_match_without_surrounding_punctuation() {
        let m = found("“do not name the customer,”", MESSAGE);
        assert_eq!(m.method, Method::Exact);
        assert_eq!(m.passage, "do not name the customer");
    }

    #[test]
    fn line_wrapped_differently() {
        let m = found("per a big request on the Lubyanka side. We expect", MESSAGE);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(
            m.passage,
            "per a big request on the Lubyanka\nside. We expect"
        );
    }

    #[test]
    fn hyphenation_across_lines() {
        let m = found("active countermeasures", MESSAGE);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "active counter-\nmeasures");
    }

    #[test]
    fn quote_prefixes_in_message() {
        let message = "On Monday, Carol wrote:\n> per a big request\n> on the Lubyanka side\n";
        let m = found("per a big request on the Lubyanka side", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "per a big request\n> on the Lubyanka side");
        assert!(is_quoted_in(message, m.start));
    }

    #[test]
    fn soft_hyphen_and_curly_quotes_and_dashes() {
        let message = "He said \"it's coun\u{00AD}termeasures - again\" and left.";
        let m = found("it’s countermeasures – again", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "it's coun\u{00AD}termeasures - again");
    }

    #[test]
    fn nfkc_full_width_and_ligature() {
        let message = "Ｔｈｅ ﬁnal ﬁgures are in.";
        let m = found("The final figures", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "Ｔｈｅ ﬁnal ﬁgures");
    }

    #[test]
    fn ellipsis_joins_parts() {
        for quote in [
            "The new module ships next week ... keep the release notes short",
            "The new module ships next week … keep the release notes short",
            "The new module ships next week [...] keep the release notes short",
            "The new module ships next week. . . keep the release notes short",
        ] {
            let m = found(quote, MESSAGE);
            assert_eq!(m.method, Method::Fuzzy, "{quote}");
            assert_eq!(m.score, 1.0, "{quote}");
            assert_eq!(m.parts.len(), 2, "{quote}");
            assert_eq!(
                &MESSAGE[m.parts[0].clone()],
                "The new module ships next week"
            );
            assert_eq!(&MESSAGE[m.parts[1].clone()], "keep the release notes short");
            assert!(m.passage.starts_with("The new module"));
            assert!(m.passage.ends_with("notes short"));
        }
    }

    #[test]
    fn ellipsis_at_the_ends_is_not_an_edit() {
        let m = found("…keep the release notes short…", MESSAGE);
        assert_eq!(m.method, Method::Exact);
        let m = found("[...] keep the release\nnotes short [...]", MESSAGE);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "keep the release notes short");
    }

    #[test]
    fn ellipsis_parts_must_be_in_order() {
        let quote = "keep the release notes short ... The new module ships next week";
        let m = find_passage(quote, MESSAGE, DEFAULT_MIN_SCORE);
        assert!(m.is_none(), "{m:?}");
    }

    #[test]
    fn ellipsis_window_is_bounded() {
        let filler = "lorem ipsum dolor sit amet ".repeat(200); // 1000 words
        let message = format!("alpha bravo charlie delta {filler} echo foxtrot golf hotel");
        let quote = "alpha bravo charlie delta ... echo foxtrot golf hotel";
        let m = find_passage(quote, &message, DEFAULT_MIN_SCORE);
        assert!(m.as_ref().is_none_or(|m| m.score < 1.0), "{m:?}");
    }

    #[test]
    fn bracketed_insertion_and_replacement() {
        // Replacement: "[the module]" stands for "it".
        let message = "Carol says it will ship on Friday without the new logging.";
        let m = found(
            "[The module] will ship on Friday without the new logging",
            message,
        );
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.score, 1.0);
        assert_eq!(m.passage, "will ship on Friday without the new logging");
        let m = found("Carol says [the module] will ship on Friday", message);
        assert_eq!(m.method, Method::Fuzzy);
        assert_eq!(m.score, 1.0);
        assert_eq!(m.passage, "Carol says it will ship on Friday");
        assert_eq!(m.parts.len(), 2);
        assert_eq!(&message[m.parts[0].clone()], "Carol says");
        assert_eq!(&message[m.parts[1].clone()], "will ship on Friday");
        // Insertion: nothing in the message.
        let m = found(
            "it will ship [to Moscow] on Friday without the new logging",
            message,
        );
        assert_eq!(m.score, 1.0);
        assert_eq!(m.passage, "it will ship on Friday without the new logging");
        // Letters changed inside a word.
        let m = found("[I]t will ship on Friday", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "it will ship on Friday");
    }

    #[test]
    fn one_word_changed_is_fuzzy() {
        let message = "We expect the regulators to approve the merger before the end of March.";
        let quote = "We expect the regulators to approve the deal before the end of March";
        let m = found(quote, message);
        assert_eq!(m.method, Method::Fuzzy);
        assert!(m.score < 1.0 && m.score >= 0.85, "{}", m.score);
        assert_eq!(
            m.passage,
            "We expect the regulators to approve the merger before the end of March"
        );
        // A stricter threshold rejects it.
        assert!(find_passage(quote, message, 0.99).is_none());
    }

    #[test]
    fn one_word_omitted_or_added() {
        let message = "We expect the regulators to approve the merger before the end of March.";
        let m = found(
            "We expect regulators to approve the merger before the end of March",
            message,
        );
        assert_eq!(m.method, Method::Fuzzy);
        assert!(m.score >= 0.85 && m.score < 1.0);
        assert_eq!(m.start, 0);
    }

    #[test]
    fn unrelated_text_is_none() {
        let quote = "the committee rejected the proposal after a long debate";
        assert!(find_passage(quote, MESSAGE, DEFAULT_MIN_SCORE).is_none());
        assert!(
            find_passage("completely different words here", "nothing in common", 0.5).is_none()
        );
    }

    #[test]
    fn offsets_map_back_exactly() {
        let message = "Привет!\n> «По большой просьбе\n> с Лубянки» — так и было.\n";
        let m = found("по большой просьбе с Лубянки", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(&message[m.start..m.end], "По большой просьбе\n> с Лубянки");
        assert!(message.is_char_boundary(m.start) && message.is_char_boundary(m.end));
    }

    #[test]
    fn cyrillic_fuzzy() {
        let message = "Мы ожидаем активные контрмеры со стороны конкурентов уже в этом месяце.";
        let m = found(
            "Мы ожидаем активные контрмеры со стороны партнёров уже в этом месяце",
            message,
        );
        assert_eq!(m.method, Method::Fuzzy);
        assert!(m.score >= 0.85 && m.score < 1.0);
    }

    #[test]
    fn cjk_quotes() {
        let message = "山田さんへ\n「来週までに新しいモジュールを出荷します」と書いた。";
        let m = found("来週までに新しいモジュールを出荷します", message);
        assert_eq!(m.method, Method::Exact);
        // One character changed in a long CJK quote.
        let m = found("来週までに新しいモジュールを発送します", message);
        assert_eq!(m.method, Method::Fuzzy);
        assert!(m.score >= 0.85 && m.score < 1.0, "{}", m.score);
        assert!(m.passage.starts_with("来週"));
    }

    #[test]
    fn prefers_own_text_over_quoted() {
        let message = "per a big request\n\n-----Original Message-----\nper a big request\n";
        let m = found("per a big request", message);
        assert_eq!(m.start, 0);
        let quoted = "> per a big request\n\nper a big request";
        let m = found("per a big request", quoted);
        assert!(!is_quoted_in(quoted, m.start));
        assert_eq!(m.start, quoted.rfind("per").unwrap_or(0));
        let normalized = "> Per a big\n> request\n\nPer a BIG request";
        let m = found("per a big request", normalized);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.passage, "Per a BIG request");
    }

    #[test]
    fn word_boundaries_preferred() {
        let message = "the preamble on: amble on";
        let m = found("amble on", message);
        assert_eq!(m.start, message.find(": amble").map_or(0, |p| p + 2));
    }

    #[test]
    fn quoted_zones() {
        let m = "Own text here.\n\nOn Tue, 2 Mar 2021, Alice <alice@example.org>\nwrote:\n> quoted line\nstill quoted\n";
        assert!(!is_quoted_in(m, 0));
        assert!(is_quoted_in(m, m.find("quoted line").unwrap_or(0)));
        assert!(is_quoted_in(m, m.find("still").unwrap_or(0)));
        let fwd =
            "FYI\n---------- Forwarded message ---------\nFrom: Bob <bob@example.org>\nhello\n";
        assert!(!is_quoted_in(fwd, 1));
        assert!(is_quoted_in(fwd, fwd.find("hello").unwrap_or(0)));
        let outlook =
            "Sounds good.\n\nFrom: Bob\nSent: Monday\nTo: Alice\nSubject: plan\n\nthe plan\n";
        assert!(!is_quoted_in(outlook, 3));
        assert!(is_quoted_in(outlook, outlook.find("the plan").unwrap_or(0)));
        let de = "Gut.\n\nAm Montag schrieb Bob:\n> Plan\n";
        assert!(is_quoted_in(de, de.find("> Plan").unwrap_or(0)));
        assert!(!is_quoted_in("", 10));
        assert!(!is_quoted_in("plain ünïcode", 9));
    }

    #[test]
    fn elision_marks_in_brackets() {
        let message = "I was flipping through a copy of Spirit, the magazine of the \
                       airline, on a long and boring flight to Vegas with my family, and \
                       found a thoroughly enjoyable advertisement.";
        for quote in [
            "I was flipping through a copy of Spirit [..] and found a thoroughly enjoyable advertisement",
            "I was flipping through a copy of Spirit <snip> and found a thoroughly enjoyable advertisement",
            "I was flipping through a copy of Spirit (...) and found a thoroughly enjoyable advertisement",
        ] {
            let m = found(quote, message);
            assert_eq!(m.score, 1.0, "{quote}");
            assert_eq!(m.parts.len(), 2, "{quote}");
        }
    }

    #[test]
    fn brackets_and_ellipses_of_the_message_itself() {
        let message = "Sam wrote:\n\n[This post cc the list to aid\npropagation.]\n\n\
                       Tim C[unt] May's brain\nis wired . . . badly.\n";
        let m = found("[This post cc the list to aid propagation.]", message);
        assert_eq!(m.method, Method::Normalized);
        assert!(m.passage.starts_with("[This post"));
        let m = found("Tim C[unt] May's brain is wired . . . badly", message);
        assert_eq!(m.method, Method::Normalized);
        assert_eq!(m.score, 1.0);
        // An editorial bracket still stands for the message's words.
        let m = found("[Tim's] brain is wired", message);
        assert!(m.passage.ends_with("wired"));
    }

    #[test]
    fn interleaved_reply_is_own_text_after_the_quote() {
        let m = "At 10:21 PM, blanc wrote:\n>Look, I've proposed a method.\n>\n>Why here?\n\n\
                 Because it's on-topic.\n\n> Another point\nwrapped on\n\nMy answer.\n";
        assert!(is_quoted_in(m, m.find("Look").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("Because").unwrap_or(0)));
        assert!(is_quoted_in(m, m.find("Another").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("My answer").unwrap_or(0)));
        // Blank lines between quoted paragraphs keep the zone open; a quoted
        // line wrapped without its prefix is still quoted, an answer right
        // under the quote is not.
        let m = "Bob wrote:\n\n> one\n\n> two\ncontinued\n\nOwn.\n";
        assert!(is_quoted_in(m, m.find("continued").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("Own").unwrap_or(0)));
        let m = "Bob wrote:\n> Why is that?\nPerhaps he knew.\n> More\nmore\n";
        assert!(!is_quoted_in(m, m.find("Perhaps").unwrap_or(0)));
        assert!(is_quoted_in(m, m.find("More").unwrap_or(0)));
        // A quoted attribution does not make the rest quoted.
        let m = "x writes:\n>On Sat, Charlie wrote:\n>> fear\n>\n>Feeling righteous?\n\nI agree.\n";
        assert!(!is_quoted_in(m, m.find("I agree").unwrap_or(0)));
        let prepared = PreparedMessage::new(m);
        assert!(!prepared.is_quoted(m.find("I agree").unwrap_or(0)));
        assert!(prepared.is_quoted(m.find("fear").unwrap_or(0)));
        // Editorial notes between the attribution and the quotation.
        let m = "Jim wrote:\n[quoting me]\n>> quoted\n>\n>also\n\nYes, I did.\n\n\
                 Sam wrote:\n\n[...]\n\n> more\n\nOwn again.\n";
        assert!(is_quoted_in(m, m.find("quoted").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("Yes").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("Own again").unwrap_or(0)));
        // Other quote prefixes after an attribution.
        let m = "P.J. wrote:\n\n| has anyone looked at the card?\n\n\tI got one.\n\n\
                 Bob (bob@x.org) wrote:\n: read the group first\n:\n\nI'm a Mac user.\n";
        assert!(is_quoted_in(m, m.find("has anyone").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("I got one").unwrap_or(0)));
        assert!(is_quoted_in(m, m.find("read the group").unwrap_or(0)));
        assert!(!is_quoted_in(m, m.find("Mac user").unwrap_or(0)));
        // A note standing for the whole quotation.
        let m = "At 12:48, Mike wrote:\n\n<Long argument, omitted>\n\nThis is simply incorrect.\n";
        assert!(!is_quoted_in(m, m.find("This is").unwrap_or(0)));
        // A forward separator after an interleaved quote still applies.
        let m = "Sam wrote:\n> hi\n\nOwn.\n\n-----Original Message-----\nold text\n";
        assert!(!is_quoted_in(m, m.find("Own").unwrap_or(0)));
        assert!(is_quoted_in(m, m.find("old text").unwrap_or(0)));
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let cases = [
            ("", ""),
            ("", "text"),
            ("text", ""),
            ("...", "..."),
            ("[", "["),
            ("[]", "a [] b"),
            ("[[[[", "x"),
            ("…", "…"),
            ("!!!", "!!! ???"),
            ("\u{0301}\u{0301}", "\u{0301}"),
            ("a", "a"),
            ("( ... )", "( ... )"),
            ("[...] [...]", "a b c"),
            (". . . . . .", "a"),
            ("ﬁ", "ﬁ"),
            ("> > >", "> > >"),
            ("a...b", "a b"),
            ("x [y", "x y"),
        ];
        for (q, m) in cases {
            let r = find_passage(q, m, DEFAULT_MIN_SCORE);
            if let Some(r) = r {
                assert_eq!(&m[r.start..r.end], r.passage);
            }
            let _ = find_passage(q, m, f32::NAN);
            let _ = find_passage(q, m, -3.0);
            let _ = shared_runs(q, m, 0, &[]);
            let _ = search_terms(q);
            let _ = is_quoted_in(m, usize::MAX);
        }
        // Only punctuation.
        assert!(find_passage("?!., -- ...", "?!., -- ...", 0.0).is_none());
    }

    /// A tiny deterministic generator for fuzzing.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn text(&mut self, len: usize) -> String {
            const ALPHABET: &[&str] = &[
                "a", "b", " ", " ", "\n", "> ", "-", "…", "...", "[", "]", "(", ")", "\"", "“",
                "”", "'", "’", "«", "»", "「", "」", "\u{00AD}", "\u{200B}", "\u{0301}", "ﬁ", "Ａ",
                "é", "ж", "字", "the", "word", "|", "\r", "\t", ".", ",",
            ];
            let mut s = String::new();
            for _ in 0..len {
                let k = (self.next() % ALPHABET.len() as u64) as usize;
                s.push_str(ALPHABET[k]);
            }
            s
        }
    }

    #[test]
    fn fuzz_never_panics_and_offsets_hold() {
        let mut rng = XorShift(0x5eed_1234_abcd_0001);
        for round in 0..3000 {
            let len = (rng.next() % 80) as usize;
            let message = rng.text(len);
            let quote = if round % 3 == 0 && message.len() > 4 {
                // A slice of the message, on char boundaries.
                let a = floor_boundary(&message, (rng.next() as usize) % message.len());
                let b = floor_boundary(
                    &message,
                    a + (rng.next() as usize) % (message.len() - a + 1),
                );
                message[a..b].to_string()
            } else {
                let len = (rng.next() % 20) as usize;
                rng.text(len)
            };
            let score = (rng.next() % 100) as f32 / 100.0;
            if let Some(m) = find_passage(&quote, &message, score) {
                assert!(message.is_char_boundary(m.start) && message.is_char_boundary(m.end));
                assert_eq!(&message[m.start..m.end], m.passage);
                assert!((0.0..=1.0).contains(&m.score));
            }
            for (r, m) in shared_runs(&quote, &message, 1 + (round % 3), &[]) {
                assert_eq!(&message[m.start..m.end], m.passage);
                assert!(quote.get(r).is_some());
            }
            let _ = is_quoted_in(&message, (rng.next() as usize) % (message.len() + 2));
            let _ = search_terms(&quote);
        }
    }

    fn pseudo_words(n: usize, seed: u64) -> String {
        let mut rng = XorShift(seed);
        let syllables = [
            "ka", "lo", "mer", "sin", "ta", "vo", "re", "du", "pli", "an", "os", "ek",
        ];
        let mut out = String::with_capacity(n * 7);
        for k in 0..n {
            let len = 1 + rng.next() % 3;
            for _ in 0..len {
                out.push_str(syllables[(rng.next() % syllables.len() as u64) as usize]);
            }
            out.push(if k % 12 == 11 { '\n' } else { ' ' });
        }
        out
    }

    #[test]
    fn one_megabyte_message_is_bounded() {
        let mut message = pseudo_words(220_000, 7);
        let target = "Our agents reported active countermeasures at the plant in Tula on Tuesday";
        let at = message.len() * 9 / 10;
        let at = floor_boundary(&message, at);
        message.insert_str(at, &format!(" {target} "));
        assert!(message.len() > 1_000_000);
        let m = found(target, &message);
        assert_eq!(m.method, Method::Exact);
        let m = found(
            "Our agents reported active countermeasures at the factory in Tula on Tuesday",
            &message,
        );
        assert_eq!(m.method, Method::Fuzzy);
        assert_eq!(m.start, at + 1);
        let m = found(
            "Our agents reported ... at the plant in Tula on Tuesday",
            &message,
        );
        assert_eq!(m.method, Method::Fuzzy);
        // Nothing to find: quick reject.
        assert!(find_passage("zebra quantum harmonica", &message, DEFAULT_MIN_SCORE).is_none());
        // Every word common: anchors are capped.
        let common = message
            .split_whitespace()
            .take(30)
            .collect::<Vec<_>>()
            .join(" ");
        let _ = find_passage(&format!("{common} xylophone"), &message, 0.5);
        // Shared runs over the whole message.
        let article = format!("In the article: {target}. End.");
        let runs = shared_runs(&article, &message, 8, &[]);
        assert_eq!(runs.len(), 1);
        assert_eq!(&article[runs[0].0.clone()], target);
    }

    #[test]
    fn repetitive_message_is_bounded() {
        let message = "the ".repeat(250_000);
        let quote = format!("{}cat", "the ".repeat(40));
        let _ = find_passage(&quote, &message, 0.5);
        let _ = find_passage("the the the ... the the", &message, 0.9);
        let _ = shared_runs(&message, &message, 8, &[]);
    }

    #[test]
    fn huge_quote_is_bounded() {
        let quote = pseudo_words(50_000, 3);
        let message = pseudo_words(20_000, 3);
        // The message is a prefix of the quote: no match, nothing quadratic.
        assert!(find_passage(&quote, &message, DEFAULT_MIN_SCORE).is_none());
        let m = found(&message[..message.len() / 2], &quote);
        assert_eq!(m.method, Method::Exact);
    }

    #[test]
    fn shared_runs_finds_unmarked_verbatim_text() {
        let message = "Team,\n\nThe new module ships next week per a big request on the Lubyanka side, \
            and support will follow.\n";
        let article = "Kaspersky said the new module ships next week per a big request on the \
            Lubyanka side, according to the email. Support is \"will follow\" maybe.";
        let runs = shared_runs(article, message, 8, &[]);
        assert_eq!(runs.len(), 1);
        let (r, m) = &runs[0];
        assert_eq!(
            &article[r.clone()],
            "the new module ships next week per a big request on the \
            Lubyanka side"
        );
        assert_eq!(
            m.passage,
            "The new module ships next week per a big request on the Lubyanka side"
        );
        // Excluding an already-found quote splits or removes the run.
        let quote_at = article.find("per a big").unwrap_or(0);
        let excluded = quote_at..quote_at + 20;
        let runs = shared_runs(article, message, 8, std::slice::from_ref(&excluded));
        assert!(
            runs.iter()
                .all(|(r, _)| r.end <= quote_at || r.start >= quote_at + 20)
        );
        // Too short.
        assert!(shared_runs("a b c", "a b c", 8, &[]).is_empty());
    }

    #[test]
    fn search_terms_are_distinctive() {
        let t = search_terms("per a big request on the Lubyanka side, with active countermeasures");
        assert_eq!(t.first().map(String::as_str), Some("countermeasures"));
        assert!(t.contains(&"lubyanka".to_string()));
        assert!(!t.contains(&"the".to_string()) && !t.contains(&"with".to_string()));
        assert!(t.len() <= 6);
        let t = search_terms("「来週までに新しいモジュールを出荷します」");
        assert!(!t.is_empty());
        assert!(search_terms("").is_empty());
        assert!(search_terms("... !!!").is_empty());
        let t = search_terms("Мы ожидаем активные контрмеры");
        assert!(t.contains(&"контрмеры".to_string()));
    }
}
