//! Normalizing text so that a quote and its source compare equal across the
//! editing both went through: Unicode compatibility forms, case, line
//! wrapping, typographic quotes and dashes, invisible characters, email quote
//! prefixes and hyphenation.
//!
//! Every character of the normalized text remembers the byte range of the
//! original it came from ([`Normalized::map`], [`Normalized::map_end`]), so a
//! match found in normalized space is reported as exact offsets in the
//! original text.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// Normalized text plus, for each of its bytes, the byte range of the
/// original text it came from.
///
/// Both maps have exactly `text.len()` entries. For byte `i` of `text`,
/// `map[i]..map_end[i]` is the range of the original that produced the
/// normalized character containing byte `i` (all bytes of one character share
/// one range). Ranges are on char boundaries of the original and never
/// decrease along `text`. One original range can produce several characters
/// (`ﬁ` → `fi`, `…` → `...`), and a character composed with the combining
/// marks that follow it maps to the whole sequence. Removed material (quote
/// prefixes, invisible characters, a hyphen and line break joined away, the
/// rest of a run of whitespace) maps to nothing, which is why the end of a
/// match is taken from `map_end` of its last byte rather than from `map` of
/// the next one: use [`Normalized::original_range`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The normalized text.
    pub text: String,
    /// For each byte of `text`, the byte offset in the original where its
    /// source starts.
    pub map: Vec<usize>,
    /// For each byte of `text`, the byte offset in the original where its
    /// source ends (exclusive).
    pub map_end: Vec<usize>,
}

impl Normalized {
    /// The range of the original text that produced `range` of the
    /// normalized text, or `None` if `range` is empty, out of bounds or not on
    /// char boundaries of [`Normalized::text`].
    pub fn original_range(&self, range: Range<usize>) -> Option<Range<usize>> {
        if range.start >= range.end
            || range.end > self.text.len()
            || !self.text.is_char_boundary(range.start)
            || !self.text.is_char_boundary(range.end)
        {
            return None;
        }
        let start = *self.map.get(range.start)?;
        let end = *self.map_end.get(range.end - 1)?;
        (start < end).then_some(start..end)
    }
}

/// Normalizes `original` for comparison.
///
/// In order of application:
/// * email quote prefixes at line starts (`> `, `>> `, `> > `, `| `) and the
///   indentation before them are removed;
/// * soft hyphens, zero-width characters, bidirectional controls, the byte
///   order mark and other control characters (except whitespace) are removed;
/// * a hyphen between two letters is removed, also when a line break (and a
///   quote prefix) follows it, or spaces and a lower-case letter:
///   `counter-\nmeasures`, `counter- measures` and `counter-measures` all
///   become `countermeasures`, so a quote matches whichever way its source
///   was wrapped or hyphenated; a hyphen next to a digit, after a space, or
///   before a space and anything but a lower-case letter is kept;
/// * quote marks are unified (`“ ” „ ‟ « » 「 」 『 』 〝 〞 ＂` → `"`,
///   `‘ ’ ‚ ‛ ‹ › ` ´ ＇` → `'`) and dashes unified (`‒ – — ― − ﹘ ﹣ －` →
///   `-`); an em dash (`—`, `―`) or a run of hyphens standing for one
///   (`--`) becomes ` - ` with spaces, so `word—word` and `word -- word`
///   compare equal, while `2009–2010` stays `2009-2010`;
/// * Unicode NFKC (full-width letters, ligatures, `…` → `...`), then lower
///   case;
/// * every run of whitespace (including line breaks and no-break spaces)
///   becomes one space; leading and trailing whitespace is dropped.
///
/// Never panics; the empty string normalizes to the empty string.
pub fn normalize(original: &str) -> Normalized {
    let mut out = Builder::with_capacity(original.len());
    let mut i = skip_line_prefix(original, 0);
    while let Some(c) = char_at(original, i) {
        let next = i + c.len_utf8();
        if c == '\n' || c == '\r' {
            let mut after = next;
            if c == '\r' && original.as_bytes().get(after) == Some(&b'\n') {
                after += 1;
            }
            out.push(' ', i..next);
            i = skip_line_prefix(original, after);
            continue;
        }
        if is_removed(c) {
            i = next;
            continue;
        }
        // An em dash, or two or more hyphens standing for one, separates
        // words: " - " whether it was written with spaces or not.
        let run_end =
            next + original[next..].len() - original[next..].trim_start_matches('-').len();
        if matches!(c, '—' | '―') || (c == '-' && run_end > next) {
            let end = if c == '-' { run_end } else { next };
            out.push(' ', i..end);
            out.push('-', i..end);
            out.push(' ', i..end);
            i = end;
            continue;
        }
        if is_hyphen(c) {
            if out.last_is_alphabetic()
                && let Some(resume) = hyphen_join(original, next)
            {
                i = resume;
                continue;
            }
            out.push('-', i..next);
            i = next;
            continue;
        }
        if let Some(u) = unify(c) {
            out.push(u, i..next);
            i = next;
            continue;
        }
        // The char and any combining marks after it form one unit.
        let mut end = next;
        for (k, m) in original[next..].char_indices() {
            if canonical_combining_class(m) == 0 {
                break;
            }
            end = next + k + m.len_utf8();
        }
        if c.is_ascii() && end == next {
            out.push(c.to_ascii_lowercase(), i..next);
        } else {
            let unit = &original[i..end];
            for n in unit.chars().filter(|&m| !is_removed(m)).nfkc() {
                let n = unify(n).unwrap_or(n);
                for l in n.to_lowercase() {
                    out.push(l, i..end);
                }
            }
        }
        i = end;
    }
    out.finish()
}

/// The char starting at byte `i`, if `i` is a char boundary inside `s`.
fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|rest| rest.chars().next())
}

/// Skips indentation (spaces, tabs, no-break spaces) and email quote
/// prefixes (`>`, `| `) at a line start.
fn skip_line_prefix(s: &str, mut i: usize) -> usize {
    let bytes = s.as_bytes();
    loop {
        loop {
            match bytes.get(i) {
                Some(b' ' | b'\t') => i += 1,
                Some(0xC2) if bytes.get(i + 1) == Some(&0xA0) => i += 2,
                _ => break,
            }
        }
        match bytes.get(i) {
            Some(b'>') => i += 1,
            Some(b'|') if matches!(bytes.get(i + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r')) => {
                i += 1
            }
            _ => return i,
        }
    }
}

/// After a hyphen that follows a letter, where to resume if the hyphen joins
/// two parts of a word: directly (`e-mail`), across a line break and the
/// next line's quote prefix (`counter-\n> measures`), or across spaces
/// before a lower-case letter (`counter- measures`: a hyphenated line break
/// flattened into a space, as when a wrapped passage is copied).
fn hyphen_join(s: &str, after_hyphen: usize) -> Option<usize> {
    if char_at(s, after_hyphen)?.is_alphabetic() {
        return Some(after_hyphen);
    }
    let bytes = s.as_bytes();
    let mut j = after_hyphen;
    while matches!(bytes.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    if j > after_hyphen && char_at(s, j).is_some_and(char::is_lowercase) {
        return Some(j);
    }
    match bytes.get(j) {
        Some(b'\r') => {
            j += 1;
            if bytes.get(j) == Some(&b'\n') {
                j += 1;
            }
        }
        Some(b'\n') => j += 1,
        _ => return None,
    }
    let j = skip_line_prefix(s, j);
    char_at(s, j)?.is_alphabetic().then_some(j)
}

/// Characters dropped entirely: invisible formatting and control characters.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    ) || (c.is_control() && !c.is_whitespace())
}

/// Hyphens that may join the parts of a word.
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// Unified quote marks and dashes.
fn unify(c: char) -> Option<char> {
    match c {
        '“' | '”' | '„' | '‟' | '«' | '»' | '「' | '」' | '『' | '』' | '〝' | '〞' | '〟'
        | '＂' | '″' => Some('"'),
        '‘' | '’' | '‚' | '‛' | '‹' | '›' | '`' | '´' | '′' | '＇' => Some('\''),
        '‒' | '–' | '—' | '―' | '−' | '﹘' | '﹣' | '－' | '⁃' => Some('-'),
        _ => None,
    }
}

/// Accumulates the normalized text and its maps, collapsing whitespace.
struct Builder {
    text: String,
    map: Vec<usize>,
    map_end: Vec<usize>,
    pending_space: Option<Range<usize>>,
    last: Option<char>,
}

impl Builder {
    fn with_capacity(n: usize) -> Self {
        Builder {
            text: String::with_capacity(n),
            map: Vec::with_capacity(n),
            map_end: Vec::with_capacity(n),
            pending_space: None,
            last: None,
        }
    }

    fn push(&mut self, c: char, src: Range<usize>) {
        if c.is_whitespace() {
            if !self.text.is_empty() && self.pending_space.is_none() {
                self.pending_space = Some(src);
            }
            return;
        }
        if let Some(space) = self.pending_space.take() {
            self.emit(' ', space);
        }
        self.emit(c, src);
    }

    fn emit(&mut self, c: char, src: Range<usize>) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.map.push(src.start);
            self.map_end.push(src.end);
        }
        self.last = Some(c);
    }

    fn last_is_alphabetic(&self) -> bool {
        self.pending_space.is_none() && self.last.is_some_and(char::is_alphabetic)
    }

    fn finish(self) -> Normalized {
        Normalized {
            text: self.text,
            map: self.map,
            map_end: self.map_end,
        }
    }
}

/// A word of normalized text: its byte range there and a hash of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte range in the normalized text.
    pub(crate) range: Range<usize>,
    /// FNV-1a hash of the word's bytes.
    pub(crate) hash: u64,
}

/// Scripts written without spaces between words: each character is a token.
pub fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}' // Katakana extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and later
        | '\u{0E00}'..='\u{0EFF}' // Thai, Lao
        | '\u{1000}'..='\u{109F}' // Myanmar
        | '\u{1780}'..='\u{17FF}' // Khmer
    )
}

/// Splits normalized text into words: runs of letters, digits and combining
/// marks; in scripts written without spaces, single characters. Punctuation
/// and spaces separate words and are not words.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(text.len() / 5 + 1);
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_unspaced_script(c) {
            if let Some(s) = start.take() {
                tokens.push(token(text, s..i));
            }
            tokens.push(token(text, i..i + c.len_utf8()));
        } else if c.is_alphanumeric() || (start.is_some() && canonical_combining_class(c) != 0) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            tokens.push(token(text, s..i));
        }
    }
    if let Some(s) = start {
        tokens.push(token(text, s..text.len()));
    }
    tokens
}

fn token(text: &str, range: Range<usize>) -> Token {
    let hash = fnv1a(text.as_bytes().get(range.clone()).unwrap_or_default());
    Token { range, hash }
}

/// 64-bit FNV-1a.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the map invariants and returns the normalized text.
    fn norm(s: &str) -> String {
        let n = normalize(s);
        assert_eq!(n.map.len(), n.text.len());
        assert_eq!(n.map_end.len(), n.text.len());
        let mut prev = (0, 0);
        for (i, (&a, &b)) in n.map.iter().zip(&n.map_end).enumerate() {
            assert!(a < b && b <= s.len(), "bad range {a}..{b} at {i} for {s:?}");
            assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
            assert!(a >= prev.0 && b >= prev.1, "map decreases at {i} for {s:?}");
            prev = (a, b);
        }
        n.text
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(norm(""), "");
        assert_eq!(norm("   \n\t \r\n"), "");
        assert_eq!(norm("\u{200B}\u{00AD}"), "");
        assert_eq!(norm(">>>"), "");
    }

    #[test]
    fn whitespace_and_case_collapse() {
        assert_eq!(norm("  Per a BIG\n\trequest  "), "per a big request");
        assert_eq!(norm("one\u{00A0}two\u{2003}three"), "one two three");
        assert_eq!(norm("one\r\ntwo\rthree"), "one two three");
    }

    #[test]
    fn nfkc_full_width_and_ligatures() {
        assert_eq!(norm("ＡＢＣ１２３"), "abc123");
        assert_eq!(norm("the ﬁnal ﬂow"), "the final flow");
        assert_eq!(norm("wait…"), "wait...");
        // e + combining acute composes to é, mapped to both original chars.
        let n = normalize("cafe\u{0301} ok");
        assert_eq!(n.text, "café ok");
        assert_eq!(n.original_range(3..5), Some(3..6));
    }

    #[test]
    fn quotes_and_dashes_unified() {
        assert_eq!(
            norm("“a” „b“ «c» 「d」 『e』 ‘f’ ‚g‘ ‹h›"),
            "\"a\" \"b\" \"c\" \"d\" \"e\" 'f' 'g' 'h'"
        );
        assert_eq!(norm("a – b — c ‒ d − e"), "a - b - c - d - e");
        assert_eq!(norm("word—word"), "word - word");
        assert_eq!(norm("word -- word"), "word - word");
        assert_eq!(norm("word---word"), "word - word");
        assert_eq!(norm("2009–2010"), "2009-2010");
        assert_eq!(norm("—"), "-");
        assert_eq!(norm("don’t"), norm("don't"));
    }

    #[test]
    fn quote_prefixes_removed() {
        assert_eq!(
            norm("> per a big\n> request on the\n>> Lubyanka side"),
            "per a big request on the lubyanka side"
        );
        assert_eq!(norm("| quoted\n| text"), "quoted text");
        assert_eq!(norm("> > nested\n  >  > deeper"), "nested deeper");
        // A '>' or '|' inside a line is text.
        assert_eq!(norm("a > b | c"), "a > b | c");
    }

    #[test]
    fn hyphenation_across_lines_joined() {
        assert_eq!(norm("active counter-\nmeasures"), "active countermeasures");
        assert_eq!(
            norm("active counter-  \r\n> measures"),
            "active countermeasures"
        );
        assert_eq!(norm("counter-measures"), "countermeasures");
        // Lines indented with no-break spaces (as HTML mail converted to text).
        assert_eq!(
            norm("inode informa-\n> \u{a0} \u{a0} tion"),
            "inode information"
        );
        // A hyphenated line break flattened into spaces.
        assert_eq!(norm("informa- tion"), "information");
        assert_eq!(norm("Anglo- American"), "anglo- american");
        // Not between letters: kept.
        assert_eq!(norm("2009-\n2010"), "2009- 2010");
        assert_eq!(norm("a - b"), "a - b");
        assert_eq!(norm("plan -\nwhich"), "plan - which");
        // A paragraph break is not a line wrap.
        assert_eq!(norm("counter-\n\nmeasures"), "counter- measures");
    }

    #[test]
    fn soft_hyphens_and_zero_width_removed() {
        assert_eq!(norm("counter\u{00AD}measures"), "countermeasures");
        assert_eq!(norm("Lub\u{200B}yanka\u{FEFF}"), "lubyanka");
        assert_eq!(norm("a\u{202E}b\u{200D}c"), "abc");
    }

    #[test]
    fn map_points_back_into_original() {
        let original = "Per a BIG\n> request, ﬁne";
        let n = normalize(original);
        assert_eq!(n.text, "per a big request, fine");
        let at = n.text.find("big request").unwrap_or(usize::MAX);
        let r = n.original_range(at..at + "big request".len());
        assert_eq!(r.map(|r| &original[r]), Some("BIG\n> request"));
        // Half of a ligature maps to the whole ligature.
        let at = n.text.find("fine").unwrap_or(usize::MAX);
        let r = n.original_range(at..at + 1);
        assert_eq!(r.map(|r| &original[r]), Some("ﬁ"));
        assert_eq!(n.original_range(0..0), None);
        assert_eq!(n.original_range(0..1000), None);
    }

    #[test]
    fn cyrillic_and_cjk() {
        assert_eq!(norm("По БОЛЬШОЙ просьбе"), "по большой просьбе");
        assert_eq!(norm("「これは テスト」"), "\"これは テスト\"");
        let toks = tokenize(&norm("我们需要 active 対策"));
        assert_eq!(toks.len(), 4 + 1 + 2);
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let t = "don't stop, 2009 «now»";
        let n = norm(t);
        let words: Vec<&str> = tokenize(&n).iter().map(|t| &n[t.range.clone()]).collect();
        assert_eq!(words, ["don", "t", "stop", "2009", "now"]);
    }
}
