//! Text analysis: the tokenizer registered on every index, the stemmers used
//! at query time, and language detection.
//!
//! * The **base** analyzer ([`BASE_TOKENIZER`]) turns text into the indexed
//!   terms: word segmentation, lowercase, accent folding for Latin (and Greek
//!   tonos), `ё` → `е`, and CJK runs as overlapping bigrams. The query side
//!   runs the same analyzer, so a word is normalized identically in both.
//! * One **stemming** analyzer per language tantivy can stem
//!   ([`STEM_LANGUAGES`]) is used at query time only: [`stem_term`] stems an
//!   already indexed (base) term, so a query word and an indexed word are
//!   compared by their stems computed the same way.
//!
//! Word segmentation is a character-class approximation of Unicode word
//! boundaries: a word is a run of letters, digits and combining marks; any
//! other character separates words (so `e-mail` is `e` `mail`, and a query for
//! it becomes a phrase). Han, Hiragana, Katakana and Hangul runs are emitted as
//! overlapping bigrams (`東京都` → `東京` `京都`); a lone CJK character is a
//! unigram. A single CJK character therefore only matches where it stands
//! alone; search for two characters or more. Scripts written without spaces
//! other than CJK (Thai, Lao, Khmer, Myanmar) are indexed run by run.
//!
//! Language detection ([`detect_language`]) runs whatlang on a bounded prefix
//! and only trusts a result that is reliable; otherwise the dominant script
//! decides (Cyrillic → Russian, Han → Mandarin, kana → Japanese, Hangul →
//! Korean, Latin → English).

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};

/// Name under which the base (unstemmed) analyzer is registered.
pub const BASE_TOKENIZER: &str = "mailcite_text";

/// Name of tantivy's built-in tokenizer that keeps a value as one term; the
/// exact-term fields use it on values this crate has already normalized.
pub const RAW_TOKENIZER: &str = "raw";

/// Tokens longer than this many bytes are dropped (base64 debris, hashes of
/// concatenated garbage); the longest words of real languages fit.
pub const MAX_TOKEN_BYTES: usize = 100;

/// How many bytes of text language detection looks at.
pub const DETECTION_PREFIX_BYTES: usize = 1024;

/// A language tantivy can stem, with the codes mailcite uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StemLanguage {
    /// tantivy's stemmer language.
    pub language: Language,
    /// ISO 639-1 code.
    pub suffix: &'static str,
    /// ISO 639-3 code, as whatlang reports it and as the `lang` field stores it.
    pub iso639_3: &'static str,
}

const fn stem(language: Language, suffix: &'static str, iso639_3: &'static str) -> StemLanguage {
    StemLanguage {
        language,
        suffix,
        iso639_3,
    }
}

/// Every language tantivy 0.27 has a stemmer for.
pub const STEM_LANGUAGES: [StemLanguage; 18] = [
    stem(Language::English, "en", "eng"),
    stem(Language::Russian, "ru", "rus"),
    stem(Language::German, "de", "deu"),
    stem(Language::French, "fr", "fra"),
    stem(Language::Spanish, "es", "spa"),
    stem(Language::Portuguese, "pt", "por"),
    stem(Language::Italian, "it", "ita"),
    stem(Language::Dutch, "nl", "nld"),
    stem(Language::Danish, "da", "dan"),
    stem(Language::Norwegian, "no", "nob"),
    stem(Language::Swedish, "sv", "swe"),
    stem(Language::Finnish, "fi", "fin"),
    stem(Language::Hungarian, "hu", "hun"),
    stem(Language::Romanian, "ro", "ron"),
    stem(Language::Turkish, "tr", "tur"),
    stem(Language::Greek, "el", "ell"),
    stem(Language::Arabic, "ar", "ara"),
    stem(Language::Tamil, "ta", "tam"),
];

/// The index in [`STEM_LANGUAGES`] of the language with this ISO 639-3 code.
pub fn stem_index_for_code(iso639_3: &str) -> Option<usize> {
    STEM_LANGUAGES.iter().position(|l| l.iso639_3 == iso639_3)
}

/// Registers the base analyzer on `manager` (`index.tokenizers()`); must be
/// done on every opened index before indexing or searching.
pub fn register(manager: &TokenizerManager) {
    manager.register(BASE_TOKENIZER, base_analyzer());
}

/// The base analyzer: segmentation, CJK bigrams, lowercase, folding.
pub fn base_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(MailTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalizer)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The stemming analyzer for `language`: the base analyzer followed by the
/// Snowball stemmer. Applied to base terms (already folded), it gives the
/// stems that query-time stemming compares.
pub fn stem_analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(MailTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(Normalizer)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

/// The stem of one base term with a stemming analyzer; `None` if the term
/// does not analyze to exactly one token.
pub fn stem_term(analyzer: &mut TextAnalyzer, term: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(term);
    let first = stream.next()?.text.clone();
    if stream.advance() { None } else { Some(first) }
}

/// Runs `analyzer` over `text` and returns the normalized terms in order.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

// ---------------------------------------------------------------------------
// Character classes

/// Han, Hiragana, Katakana and Hangul: scripts indexed as bigrams.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF     // Hangul Jamo
        | 0x3005..=0x3007   // 々 〆 〇
        | 0x3040..=0x309F   // Hiragana
        | 0x30A0..=0x30FF   // Katakana
        | 0x3130..=0x318F   // Hangul compatibility Jamo
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xA960..=0xA97F   // Hangul Jamo extended A
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xD7B0..=0xD7FF   // Hangul Jamo extended B
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // halfwidth Katakana
        | 0x20000..=0x323AF // CJK extensions B..H
    )
}

/// Combining marks and joiners that belong inside a word but are not
/// `char::is_alphanumeric` (accents in decomposed text, Indic viramas, Thai
/// tone marks, Hebrew points, Arabic harakat).
fn is_word_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05C7
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0670
        | 0x06D6..=0x06ED
        | 0x0900..=0x0963
        | 0x0966..=0x0DFF
        | 0x0E31..=0x0E3A
        | 0x0E47..=0x0E4E
        | 0x0EB1..=0x0EBC
        | 0x0EC8..=0x0ECE
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x200C..=0x200D
        | 0x20D0..=0x20FF
        | 0x3099..=0x309A
        | 0xFE20..=0xFE2F
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_word_mark(c)
}

/// Marks dropped by normalization (they only change accents or vowel points).
fn is_droppable_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05C7
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0670
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x200C..=0x200D
        | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F
    )
}

// ---------------------------------------------------------------------------
// Tokenizer

/// Splits text into words, CJK runs into overlapping bigrams.
#[derive(Clone, Default)]
pub struct MailTokenizer {
    token: Token,
}

/// Token stream of [`MailTokenizer`].
pub struct MailTokenStream<'a> {
    text: &'a str,
    /// Byte offset where scanning resumes.
    pos: usize,
    /// Within a CJK run: byte offset of the next bigram's first character and
    /// the run's end.
    cjk: Option<(usize, usize)>,
    token: &'a mut Token,
}

impl Tokenizer for MailTokenizer {
    type TokenStream<'a> = MailTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> MailTokenStream<'a> {
        self.token.reset();
        MailTokenStream {
            text,
            pos: 0,
            cjk: None,
            token: &mut self.token,
        }
    }
}

impl MailTokenStream<'_> {
    fn emit(&mut self, from: usize, to: usize) {
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
    }

    /// Emits the bigram starting at `start` inside the run ending at `end`.
    /// Returns false if fewer than two characters remain.
    fn emit_bigram(&mut self, start: usize, end: usize) -> bool {
        let mut chars = self.text[start..end].chars();
        let (Some(first), Some(second)) = (chars.next(), chars.next()) else {
            return false;
        };
        let second_start = start + first.len_utf8();
        let second_end = second_start + second.len_utf8();
        self.emit(start, second_end);
        self.cjk = if second_end < end {
            Some((second_start, end))
        } else {
            None
        };
        true
    }
}

impl TokenStream for MailTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some((next, end)) = self.cjk.take()
            && self.emit_bigram(next, end)
        {
            return true;
        }
        let text = self.text;
        let rest = &text[self.pos..];
        let Some((rel_start, first)) = rest.char_indices().find(|&(_, c)| is_word_char(c)) else {
            self.pos = text.len();
            return false;
        };
        let start = self.pos + rel_start;
        let cjk = is_cjk(first);
        let after_first = start + first.len_utf8();
        let end = text[after_first..]
            .char_indices()
            .find(|&(_, c)| {
                if cjk {
                    !is_cjk(c)
                } else {
                    !is_word_char(c) || is_cjk(c)
                }
            })
            .map_or(text.len(), |(i, _)| after_first + i);
        self.pos = end;
        if cjk && self.emit_bigram(start, end) {
            return true;
        }
        self.emit(start, end);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

// ---------------------------------------------------------------------------
// Normalizer

/// Lowercases and removes distinctions search should not make: combining
/// accents (recomposing Cyrillic `й`), `ё` → `е`, Greek tonos and final sigma,
/// joiners. Latin accent folding proper is tantivy's `AsciiFoldingFilter`,
/// applied after stemming; it leaves non-Latin scripts alone.
#[derive(Clone)]
pub struct Normalizer;

impl TokenFilter for Normalizer {
    type Tokenizer<T: Tokenizer> = NormalizerWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NormalizerWrapper<T> {
        NormalizerWrapper {
            inner: tokenizer,
            buffer: String::new(),
        }
    }
}

/// [`Normalizer`] applied to a tokenizer.
#[derive(Clone)]
pub struct NormalizerWrapper<T> {
    inner: T,
    buffer: String,
}

impl<T: Tokenizer> Tokenizer for NormalizerWrapper<T> {
    type TokenStream<'a> = NormalizerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.buffer.clear();
        NormalizerStream {
            tail: self.inner.token_stream(text),
            buffer: &mut self.buffer,
        }
    }
}

/// Token stream of [`NormalizerWrapper`].
pub struct NormalizerStream<'a, T> {
    tail: T,
    buffer: &'a mut String,
}

impl<T: TokenStream> TokenStream for NormalizerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.is_ascii() {
            token.text.make_ascii_lowercase();
        } else {
            normalize_word(&token.text, self.buffer);
            std::mem::swap(&mut token.text, self.buffer);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

fn normalize_word(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        if is_droppable_mark(c) {
            // Recompose the two Cyrillic letters whose decomposition matters.
            if c == '\u{0306}' && out.ends_with('и') {
                out.pop();
                out.push('й');
            }
            continue;
        }
        for lower in c.to_lowercase() {
            out.push(match lower {
                'ё' => 'е',
                'ς' => 'σ',
                'ά' => 'α',
                'έ' => 'ε',
                'ή' => 'η',
                'ί' | 'ϊ' | 'ΐ' => 'ι',
                'ό' => 'ο',
                'ύ' | 'ϋ' | 'ΰ' => 'υ',
                'ώ' => 'ω',
                other => other,
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Language detection

/// The language of a piece of text, as used for indexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectedLanguage {
    /// ISO 639-3 code (`eng`, `rus`, `cmn`, ...), as stored in the `lang` field.
    pub code: &'static str,
    /// Index into [`STEM_LANGUAGES`] when tantivy can stem this language.
    pub stem: Option<usize>,
    /// Whether whatlang was confident; if not, the script decided.
    pub reliable: bool,
}

impl DetectedLanguage {
    fn from_code(code: &'static str, reliable: bool) -> Self {
        DetectedLanguage {
            code,
            stem: stem_index_for_code(code),
            reliable,
        }
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn prefix_on_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Detects the language of `text` from its first [`DETECTION_PREFIX_BYTES`].
///
/// Returns `None` when the text has no letters. whatlang's answer is used only
/// when it is reliable; otherwise the script decides: Cyrillic → Russian
/// (whatlang confuses Russian and Ukrainian at low confidence), Han →
/// Mandarin, kana → Japanese, Hangul → Korean, Latin → English, and for other
/// scripts whatlang's best guess.
pub fn detect_language(text: &str) -> Option<DetectedLanguage> {
    let sample = prefix_on_char_boundary(text, DETECTION_PREFIX_BYTES);
    if !sample.chars().any(char::is_alphabetic) {
        return None;
    }
    let info = whatlang::detect(sample);
    if let Some(info) = &info
        && info.is_reliable()
    {
        return Some(DetectedLanguage::from_code(info.lang().code(), true));
    }
    let code = match dominant_script(sample) {
        Script::Cyrillic => "rus",
        Script::Han => "cmn",
        Script::Kana => "jpn",
        Script::Hangul => "kor",
        Script::Latin => "eng",
        Script::Other => match &info {
            Some(info) => info.lang().code(),
            None => "eng",
        },
    };
    Some(DetectedLanguage::from_code(code, false))
}

/// The language of a message: detected on its own text; when that has fewer
/// than 40 letters (a bare forward), on the own text, the subject and the
/// beginning of the quoted text together.
pub fn message_language(own: &str, quoted: &str, subject: &str) -> Option<DetectedLanguage> {
    let own_sample = prefix_on_char_boundary(own, DETECTION_PREFIX_BYTES);
    if own_sample.chars().filter(|c| c.is_alphabetic()).count() >= 40 {
        return detect_language(own_sample);
    }
    let mut sample = String::with_capacity(DETECTION_PREFIX_BYTES + 64);
    sample.push_str(own_sample);
    sample.push('\n');
    sample.push_str(subject);
    sample.push('\n');
    sample.push_str(prefix_on_char_boundary(quoted, DETECTION_PREFIX_BYTES));
    detect_language(&sample)
}

enum Script {
    Latin,
    Cyrillic,
    Han,
    Kana,
    Hangul,
    Other,
}

fn dominant_script(text: &str) -> Script {
    let (mut latin, mut cyrillic, mut han, mut kana, mut hangul, mut other) = (0, 0, 0, 0, 0, 0);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        match c as u32 {
            0x0041..=0x024F | 0x1E00..=0x1EFF => latin += 1,
            0x0400..=0x052F => cyrillic += 1,
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => kana += 1,
            0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => hangul += 1,
            _ if is_cjk(c) => han += 1,
            _ => other += 1,
        }
    }
    // Japanese mixes kanji and kana: any real amount of kana makes it Japanese.
    if kana > 0 && kana * 5 >= han {
        return Script::Kana;
    }
    let counts = [(latin, 0), (cyrillic, 1), (han, 2), (hangul, 3), (other, 4)];
    let (_, winner) = counts
        .iter()
        .copied()
        .max_by_key(|&(n, order)| (n, std::cmp::Reverse(order)))
        .unwrap_or((0, 0));
    match winner {
        1 => Script::Cyrillic,
        2 => Script::Han,
        3 => Script::Hangul,
        4 => Script::Other,
        _ => Script::Latin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> Vec<String> {
        analyze(&mut base_analyzer(), text)
    }

    fn stemmed(lang: Language, text: &str) -> Vec<String> {
        analyze(&mut stem_analyzer(lang), text)
    }

    #[test]
    fn words_are_lowercased_and_split_on_punctuation() {
        assert_eq!(
            base("Hello, World! e-mail"),
            ["hello", "world", "e", "mail"]
        );
        assert_eq!(base("alice@example.org"), ["alice", "example", "org"]);
    }

    #[test]
    fn latin_accents_fold_but_cyrillic_survives() {
        assert_eq!(base("Résumé CAFÉ"), ["resume", "cafe"]);
        // Decomposed accents fold the same way.
        assert_eq!(base("re\u{301}sume\u{301}"), ["resume"]);
        assert_eq!(base("Контрмеры ЁЛКА"), ["контрмеры", "елка"]);
        // Decomposed й is recomposed, not reduced to и.
        assert_eq!(base("и\u{306}од"), ["йод"]);
        assert_eq!(base("Straße"), ["strasse"]);
    }

    #[test]
    fn greek_tonos_and_final_sigma_fold() {
        assert_eq!(base("ΟΔΟΣ οδός"), ["οδοσ", "οδοσ"]);
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        assert_eq!(base("東京都"), ["東京", "京都"]);
        assert_eq!(base("東"), ["東"]);
        assert_eq!(base("abc東京def"), ["abc", "東京", "def"]);
        assert_eq!(base("北京 大学"), ["北京", "大学"]);
        assert_eq!(base("カタカナ"), ["カタ", "タカ", "カナ"]);
        assert_eq!(base("한국어"), ["한국", "국어"]);
    }

    #[test]
    fn bigram_offsets_and_positions_are_consecutive() {
        let mut analyzer = base_analyzer();
        let mut stream = analyzer.token_stream("x 東京都");
        let mut seen = Vec::new();
        while let Some(t) = stream.next() {
            seen.push((t.position, t.offset_from, t.offset_to));
        }
        assert_eq!(seen, [(0, 0, 1), (1, 2, 8), (2, 5, 11)]);
    }

    #[test]
    fn stemming_per_language() {
        assert_eq!(
            stemmed(Language::English, "countermeasures"),
            stemmed(Language::English, "countermeasure")
        );
        assert_eq!(
            stemmed(Language::Russian, "контрмерами"),
            stemmed(Language::Russian, "контрмеры")
        );
        assert_eq!(
            stemmed(Language::German, "Verhandlungen"),
            stemmed(Language::German, "Verhandlung")
        );
        // Folded before stemming: accents do not change the stem.
        assert_eq!(
            stemmed(Language::French, "résumés"),
            stemmed(Language::French, "resume")
        );
        assert_eq!(
            stemmed(Language::Spanish, "información"),
            stemmed(Language::Spanish, "informaciones")
        );
        assert_eq!(
            stemmed(Language::German, "Grüße"),
            stemmed(Language::German, "Gruß")
        );
        assert_eq!(
            stemmed(Language::English, "countries"),
            stemmed(Language::English, "country")
        );
        let mut en = stem_analyzer(Language::English);
        assert_eq!(stem_term(&mut en, "running").as_deref(), Some("run"));
        assert_eq!(stem_term(&mut en, "e mail"), None);
    }

    #[test]
    fn long_tokens_are_dropped() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(base(&format!("ok {long} fine")), ["ok", "fine"]);
    }

    #[test]
    fn tokenizer_never_panics_on_odd_input() {
        for text in [
            "",
            " ",
            "\u{0301}",
            "東",
            "\u{0306}и",
            "💥💥",
            "\0\u{FFFD}",
            "ǅ",
        ] {
            let _ = base(text);
            let _ = stemmed(Language::Greek, text);
        }
    }

    #[test]
    fn detection_uses_reliable_results_or_the_script() {
        let en = detect_language(
            "The committee will meet next week to discuss the budget and the new \
             security countermeasures that were proposed by the working group.",
        );
        assert_eq!(en.map(|d| d.code), Some("eng"));
        let ru = detect_language(
            "Комитет соберётся на следующей неделе, чтобы обсудить бюджет и новые \
             меры безопасности, которые предложила рабочая группа.",
        );
        assert_eq!(ru.map(|d| d.code), Some("rus"));
        assert_eq!(ru.and_then(|d| d.stem), stem_index_for_code("rus"));
        // Too short to be reliable: the script decides.
        assert_eq!(detect_language("привет").map(|d| d.code), Some("rus"));
        assert_eq!(detect_language("ok").map(|d| d.code), Some("eng"));
        assert_eq!(detect_language("12345 !!!"), None);
        assert_eq!(detect_language(""), None);
    }

    #[test]
    fn prefix_cut_respects_char_boundaries() {
        assert_eq!(prefix_on_char_boundary("ééé", 3), "é");
        assert_eq!(prefix_on_char_boundary("abc", 10), "abc");
    }
}
