//! Reading an article (plain text, Markdown or HTML) and finding the passages
//! it quotes.
//!
//! [`article_text`] turns the article into plain text with its metadata; in
//! that text, block quotes (Markdown `>` lines, HTML `<blockquote>`) are kept
//! marked the Markdown way, one `> ` per level at the start of each line, and
//! an HTML `<q>` becomes “…”. [`extract_quotes`] then finds the passages in
//! quotation marks of every common style and the block quotes, with byte
//! offsets into that text.

use std::cell::RefCell;

use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde::{Deserialize, Serialize};

use super::normalize::{is_unspaced_script, normalize};

/// The format of an article file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleFormat {
    /// Plain text.
    Text,
    /// Markdown (CommonMark-like), optionally with YAML or TOML front matter.
    Markdown,
    /// An HTML page.
    Html,
}

/// An article reduced to plain text, with the metadata found in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleText {
    /// The headline.
    pub title: Option<String>,
    /// The publication date exactly as written in the article (not parsed).
    pub published: Option<String>,
    /// The article's canonical address.
    pub url: Option<String>,
    /// The author or authors, as written.
    pub author: Option<String>,
    /// The body as plain text; block quotes marked with `> ` line prefixes.
    pub text: String,
}

/// What marks a quoted passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    /// Inside quotation marks.
    Marks,
    /// A block quote (Markdown `>`, HTML `<blockquote>`).
    Block,
    /// An unmarked run of words shared with a message; found by
    /// [`shared_runs`](super::matcher::shared_runs), never by
    /// [`extract_quotes`].
    Verbatim,
}

/// A quoted passage of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The passage without its quotation marks or block-quote prefixes,
    /// trimmed. It equals `text[start..end]` of the article except that the
    /// `> ` prefixes of continuation lines inside a block quote are removed.
    pub text: String,
    /// What marks it.
    pub kind: QuoteKind,
    /// Byte offset of the passage's first character in [`ArticleText::text`].
    pub start: usize,
    /// Byte offset just after its last character.
    pub end: usize,
}

/// Guesses an article's format from its file name's extension, else from
/// its first 8 KiB: an HTML document or fragment with several tags is
/// [`ArticleFormat::Html`]; front matter or two kinds of Markdown syntax
/// (headings, block quotes, lists, fences, links, emphasis) make
/// [`ArticleFormat::Markdown`]; anything else is [`ArticleFormat::Text`].
pub fn detect_format(bytes_or_text: &str, file_name: Option<&str>) -> ArticleFormat {
    if let Some(name) = file_name
        && let Some((_, ext)) = name.rsplit_once('.')
    {
        match ext.to_ascii_lowercase().as_str() {
            "html" | "htm" | "xhtml" | "shtml" | "xht" => return ArticleFormat::Html,
            "md" | "markdown" | "mdown" | "mkd" | "mkdn" | "mdwn" | "mdx" => {
                return ArticleFormat::Markdown;
            }
            "txt" | "text" => return ArticleFormat::Text,
            _ => {}
        }
    }
    let prefix = &bytes_or_text[..floor_boundary(bytes_or_text, 8192)];
    let lower = prefix
        .trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n'])
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || (lower.starts_with("<?xml") && lower.contains("<html"))
    {
        return ArticleFormat::Html;
    }
    const TAGS: &[&str] = &[
        "<p>",
        "<p ",
        "<div",
        "<br",
        "</a>",
        "<body",
        "<head",
        "<meta",
        "<article",
        "<span",
        "<blockquote",
        "</p>",
        "<h1",
        "<h2",
        "<title",
    ];
    if TAGS.iter().filter(|t| lower.contains(*t)).count() >= 3 {
        return ArticleFormat::Html;
    }
    if lower.starts_with("---\n") || lower.starts_with("---\r\n") || lower.starts_with("+++\n") {
        return ArticleFormat::Markdown;
    }
    let mut signals = [false; 6];
    for line in lower.lines() {
        let t = line.trim_start();
        signals[0] |= t.starts_with("# ") || t.starts_with("## ") || t.starts_with("### ");
        signals[1] |= t.starts_with("> ");
        signals[2] |= t.starts_with("- ") || t.starts_with("* ") || t.starts_with("1. ");
        signals[3] |= t.starts_with("```") || t.starts_with("~~~");
        signals[4] |= line.contains("](");
        signals[5] |= line.contains("**") || line.contains("__");
    }
    if signals.iter().filter(|&&s| s).count() >= 2 {
        ArticleFormat::Markdown
    } else {
        ArticleFormat::Text
    }
}

/// Reduces an article to plain text and its metadata.
///
/// * HTML: title from `og:title`, else `twitter:title`, else a JSON-LD
///   `headline`, else `<title>`, else the first `<h1>`; publication date from
///   `article:published_time`, else JSON-LD `datePublished`, else other
///   common date metas, else the first `<time datetime>`; URL from
///   `<link rel="canonical">`, else `og:url`; author from `<meta
///   name="author">`, else JSON-LD `author`, else `article:author` (when it
///   is not a link) and other bylines. The body text leaves out `script`,
///   `style`, `noscript`, `template`, `svg`, `math`, `nav`, form controls
///   and the head; blocks are separated by blank lines; character references
///   are decoded.
/// * Markdown: title, date, author and URL from YAML (`---`) or TOML (`+++`)
///   front matter, the title otherwise from the first `# ` heading; the text
///   keeps headings, list items, link texts, image alt texts and code, and
///   drops the markup, HTML tags and link definitions.
/// * Text: the text as it is; no metadata.
///
/// Line endings become `\n` and a byte order mark is dropped. Never panics.
pub fn article_text(input: &str, format: ArticleFormat) -> ArticleText {
    let input = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let input = if input.contains('\r') {
        std::borrow::Cow::Owned(input.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(input)
    };
    match format {
        ArticleFormat::Text => ArticleText {
            text: input.into_owned(),
            ..ArticleText::default()
        },
        ArticleFormat::Markdown => markdown_text(&input),
        ArticleFormat::Html => html_text(&input),
    }
}

/// Every quoted passage of an article, in order of position, without
/// duplicates.
///
/// * Passages in quotation marks of the common styles: `"…"`, `“…”`, `„…“`,
///   `„…”`, `”…”`, `«…»`, `»…«`, `‹…›`, `›…‹`, `‘…’`, `‚…‘`, `「…」`,
///   `『…』`, `〝…〞`, and `'…'` when it is clearly a quote: an apostrophe
///   inside a word (`don't`, `O'Brien`), an elision (`the '90s`, `'em`) or a
///   possessive (`the reporters' notes`) is not a quotation mark. A quote
///   stays within its paragraph; an unclosed quote is dropped unless the next
///   paragraph opens with the same mark (the convention for quotes running
///   over several paragraphs), in which case its part in this paragraph is
///   kept.
/// * Block quotes: runs of lines starting with `>` (as [`article_text`]
///   renders HTML `<blockquote>` and Markdown block quotes, and plain-text
///   articles often quote), one passage per block.
/// * Nesting: the outer passage is returned; passages in quotation marks
///   inside another quote or a block quote are returned too when they have at
///   least three words.
/// * Passages of fewer than two words (scare quotes like “expert”) are
///   skipped; in scripts written without spaces two characters count as one
///   word. A passage with the same words as an earlier one is skipped.
///
/// `format` is the format the article was read from; all formats use the
/// same rules on [`ArticleText::text`], which [`article_text`] has already
/// reduced to the Markdown-like convention.
pub fn extract_quotes(article: &ArticleText, format: ArticleFormat) -> Vec<Quote> {
    let _ = format;
    let text = article.text.as_str();
    let lines = split_lines(text);
    let mut found: Vec<Quote> = Vec::new();

    // Block quotes.
    let mut k = 0;
    while k < lines.len() {
        if lines[k].depth == 0 {
            k += 1;
            continue;
        }
        let first = k;
        while k < lines.len() && lines[k].depth > 0 {
            k += 1;
        }
        let chars = paragraph_chars(text, &lines[first..k]);
        if let Some(q) = quote_from_chars(&chars, 0, chars.len(), QuoteKind::Block)
            && word_count(&q.text) >= 2.0
        {
            found.push(q);
        }
    }

    // Passages in quotation marks, paragraph by paragraph.
    let paragraphs = split_paragraphs(&lines);
    for (p, range) in paragraphs.iter().enumerate() {
        let chars = paragraph_chars(text, &lines[range.clone()]);
        let base_depth = usize::from(lines[range.start].depth > 0);
        let next_first = paragraphs
            .get(p + 1)
            .and_then(|r| lines.get(r.start))
            .and_then(|l| text.get(l.content_start..l.end))
            .and_then(|t| t.chars().next());
        scan_marks(&chars, base_depth, next_first, &mut found);
    }

    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut seen = std::collections::HashSet::new();
    found.retain(|q| {
        let key = dedup_key(&q.text);
        !key.is_empty() && seen.insert(key)
    });
    found
}

/// A line of the article text.
#[derive(Debug, Clone)]
struct Line {
    /// Byte offset of the first content char, after any `>` prefix.
    content_start: usize,
    /// Byte offset of the end of the line, before `\n`.
    end: usize,
    /// Block-quote depth (number of `>`).
    depth: usize,
    /// Whether the content is only whitespace.
    blank: bool,
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let end = start + line.len();
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < 3 && bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        let mut depth = 0;
        while bytes.get(i) == Some(&b'>') {
            depth += 1;
            i += 1;
            if bytes.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        if depth == 0 {
            i = 0;
        }
        let blank = line[i..].trim().is_empty();
        lines.push(Line {
            content_start: start + i,
            end,
            depth,
            blank,
        });
    }
    lines
}

/// Paragraphs: runs of non-blank lines with the same block-quote state.
fn split_paragraphs(lines: &[Line]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < lines.len() {
        if lines[k].blank {
            k += 1;
            continue;
        }
        let first = k;
        let in_block = lines[k].depth > 0;
        while k < lines.len() && !lines[k].blank && (lines[k].depth > 0) == in_block {
            k += 1;
        }
        out.push(first..k);
    }
    out
}

/// The content chars of some lines with their byte offsets, prefixes
/// skipped, lines joined by a `\n` (at the offset of the line break).
fn paragraph_chars(text: &str, lines: &[Line]) -> Vec<(usize, char)> {
    let mut chars = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if n > 0 {
            chars.push((lines[n - 1].end, '\n'));
        }
        if let Some(content) = text.get(line.content_start..line.end) {
            chars.extend(
                content
                    .char_indices()
                    .map(|(i, c)| (line.content_start + i, c)),
            );
        }
    }
    chars
}

/// A quote made of `chars[from..to]`, trimmed; `None` if only whitespace.
fn quote_from_chars(
    chars: &[(usize, char)],
    from: usize,
    to: usize,
    kind: QuoteKind,
) -> Option<Quote> {
    let slice = chars.get(from..to)?;
    let first = slice.iter().position(|(_, c)| !c.is_whitespace())?;
    let last = slice.iter().rposition(|(_, c)| !c.is_whitespace())?;
    let text: String = slice[first..=last].iter().map(|(_, c)| *c).collect();
    let (start, c_last) = (slice[first].0, slice[last]);
    Some(Quote {
        text,
        kind,
        start,
        end: c_last.0 + c_last.1.len_utf8(),
    })
}

/// How many words a passage has; two characters of a script written
/// without spaces count as one word.
fn word_count(text: &str) -> f32 {
    let mut words = 0.0;
    let mut in_word = false;
    for c in text.chars() {
        if is_unspaced_script(c) {
            words += 0.5;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                words += 1.0;
            }
            in_word = true;
        } else if !(in_word && matches!(c, '\'' | '’' | '-')) {
            in_word = false;
        }
    }
    words
}

/// The key under which two passages count as duplicates.
fn dedup_key(text: &str) -> String {
    let n = normalize(text).text;
    n.trim_matches(|c: char| !c.is_alphanumeric()).to_string()
}

/// The quotation marks that open a quote, and which marks close each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Ascii2,
    Curly2,
    Low2,
    Right2,
    Guil2,
    RevGuil2,
    Ascii1,
    Curly1,
    Low1,
    Right1,
    Guil1,
    RevGuil1,
    Corner,
    WhiteCorner,
    Prime,
}

impl Mark {
    fn opened_by(c: char) -> Option<Mark> {
        Some(match c {
            '"' => Mark::Ascii2,
            '“' => Mark::Curly2,
            '„' => Mark::Low2,
            '”' => Mark::Right2,
            '«' => Mark::Guil2,
            '»' => Mark::RevGuil2,
            '\'' => Mark::Ascii1,
            '‘' => Mark::Curly1,
            '‚' => Mark::Low1,
            '’' => Mark::Right1,
            '‹' => Mark::Guil1,
            '›' => Mark::RevGuil1,
            '「' => Mark::Corner,
            '『' => Mark::WhiteCorner,
            '〝' => Mark::Prime,
            _ => return None,
        })
    }

    fn closed_by(self, c: char) -> bool {
        match self {
            Mark::Ascii2 => matches!(c, '"' | '”'),
            Mark::Curly2 => matches!(c, '”' | '"'),
            Mark::Low2 => matches!(c, '“' | '”' | '"'),
            Mark::Right2 => c == '”',
            Mark::Guil2 => c == '»',
            Mark::RevGuil2 => matches!(c, '«' | '»'),
            Mark::Ascii1 => c == '\'',
            Mark::Curly1 => c == '’',
            Mark::Low1 => matches!(c, '‘' | '’'),
            Mark::Right1 => c == '’',
            Mark::Guil1 => c == '›',
            Mark::RevGuil1 => matches!(c, '‹' | '›'),
            Mark::Corner => c == '」',
            Mark::WhiteCorner => c == '』',
            Mark::Prime => matches!(c, '〞' | '〟'),
        }
    }
}

fn is_mark(c: char) -> bool {
    matches!(
        c,
        '"' | '“'
            | '”'
            | '„'
            | '«'
            | '»'
            | '\''
            | '‘'
            | '’'
            | '‚'
            | '‹'
            | '›'
            | '「'
            | '」'
            | '『'
            | '』'
            | '〝'
            | '〞'
            | '〟'
    )
}

fn is_single(c: char) -> bool {
    matches!(c, '\'' | '‘' | '’' | '‚')
}

/// Marks that may have a space inside them (French « guillemets ») or touch
/// letters around them (Japanese 「かぎ括弧」).
fn is_spaced_or_cjk(c: char) -> bool {
    matches!(
        c,
        '«' | '»' | '‹' | '›' | '「' | '」' | '『' | '』' | '〝' | '〞' | '〟' | '„'
    )
}

fn can_open(c: char, prev: Option<char>, next: Option<char>) -> bool {
    let Some(next) = next else {
        return false;
    };
    if next.is_whitespace() && !matches!(c, '«' | '‹' | '»' | '›') {
        return false;
    }
    if is_spaced_or_cjk(c) {
        return true;
    }
    match prev {
        None => true,
        Some(p) => {
            p.is_whitespace()
                || matches!(p, '(' | '[' | '{' | '<' | '—' | '–' | '-' | '/' | ':')
                || is_mark(p)
        }
    }
}

fn can_close(c: char, prev: Option<char>, next: Option<char>) -> bool {
    let Some(prev) = prev else {
        return false;
    };
    if prev.is_whitespace() && !matches!(c, '»' | '›' | '«' | '‹') {
        return false;
    }
    if matches!(c, '」' | '』' | '〞' | '〟') {
        return true;
    }
    match next {
        None => true,
        Some(n) => !n.is_alphanumeric(),
    }
}

/// Whether a single quotation mark followed by `rest` is an elision (`'90s`,
/// `'em`, `’tis`) rather than an opening mark.
fn is_elision(rest: &[(usize, char)]) -> bool {
    let word: String = rest
        .iter()
        .map(|(_, c)| *c)
        .take_while(|c| c.is_alphanumeric())
        .take(8)
        .flat_map(char::to_lowercase)
        .collect();
    if word.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return true;
    }
    matches!(
        word.as_str(),
        "em" | "tis"
            | "twas"
            | "cause"
            | "cos"
            | "n"
            | "bout"
            | "til"
            | "till"
            | "round"
            | "s"
            | "ll"
            | "re"
            | "ve"
            | "d"
            | "m"
            | "t"
    )
}

/// Quotes nested deeper than this are not tracked.
const MAX_NESTING: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Open {
    mark: Mark,
    ch: char,
    idx: usize,
}

/// Finds the passages in quotation marks of one paragraph.
fn scan_marks(
    chars: &[(usize, char)],
    base_depth: usize,
    next_paragraph_first: Option<char>,
    found: &mut Vec<Quote>,
) {
    let mut stack: Vec<Open> = Vec::new();
    let push = |from: usize, to: usize, depth: usize, found: &mut Vec<Quote>| {
        if let Some(q) = quote_from_chars(chars, from, to, QuoteKind::Marks) {
            let min_words = if depth == 0 { 2.0 } else { 3.0 };
            if word_count(&q.text) >= min_words {
                found.push(q);
            }
        }
    };
    for idx in 0..chars.len() {
        let c = chars[idx].1;
        if !is_mark(c) {
            continue;
        }
        let prev = idx.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(idx + 1).map(|n| n.1);
        if is_single(c)
            && prev.is_some_and(char::is_alphanumeric)
            && next.is_some_and(char::is_alphanumeric)
        {
            continue; // an apostrophe inside a word
        }
        if can_close(c, prev, next)
            && let Some(pos) = stack.iter().rposition(|o| o.mark.closed_by(c))
            && (!is_single(c) || pos + 1 == stack.len())
        {
            let open = stack[pos];
            stack.truncate(pos);
            push(open.idx + 1, idx, base_depth + stack.len(), found);
            continue;
        }
        if can_open(c, prev, next)
            && let Some(mark) = Mark::opened_by(c)
        {
            if is_single(c) && is_elision(&chars[idx + 1..]) {
                continue;
            }
            if stack.len() < MAX_NESTING {
                stack.push(Open { mark, ch: c, idx });
            }
        }
    }
    // An unclosed outer quote continues into the next paragraph only if that
    // paragraph opens with the same mark.
    if let Some(open) = stack.first()
        && next_paragraph_first == Some(open.ch)
    {
        push(open.idx + 1, chars.len(), base_depth, found);
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Collapses whitespace and trims; `None` if nothing is left.
fn clean(s: &str) -> Option<String> {
    let out = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

// ---------------------------------------------------------------------------
// HTML

/// Plain text of the body, marked like Markdown, built from tokens.
#[derive(Debug, Default)]
struct TextOut {
    out: String,
    pending_space: bool,
    pending_break: u8,
    depth: usize,
    line_depth: usize,
    pre: usize,
    fresh_line: bool,
}

impl TextOut {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.pre > 0 && c == '\n' {
                if !self.out.is_empty() {
                    self.flush();
                    self.out.push('\n');
                    self.fresh_line = true;
                }
            } else if self.pre == 0 && c.is_whitespace() {
                self.pending_space = true;
            } else {
                self.flush();
                self.out.push(c);
            }
        }
    }

    /// Writes what is pending before the next char: line breaks, blank
    /// lines, block-quote prefixes or a space.
    fn flush(&mut self) {
        let mut at_line_start = self.out.is_empty() || self.fresh_line;
        if self.pending_break > 0 && !self.out.is_empty() {
            if !self.fresh_line {
                self.out.push('\n');
            }
            if self.pending_break >= 2 {
                for _ in 0..self.depth.min(self.line_depth) {
                    self.out.push('>');
                }
                self.out.push('\n');
            }
            at_line_start = true;
        }
        if at_line_start {
            for _ in 0..self.depth {
                self.out.push_str("> ");
            }
            self.line_depth = self.depth;
        } else if self.pending_space {
            self.out.push(' ');
        }
        self.pending_break = 0;
        self.pending_space = false;
        self.fresh_line = false;
    }

    fn block(&mut self, level: u8) {
        self.pending_break = self.pending_break.max(level);
    }
}

/// Metadata and text collected while tokenizing HTML.
#[derive(Debug, Default)]
struct HtmlState {
    out: TextOut,
    skip_depth: usize,
    in_raw: bool,
    in_ld_json: bool,
    ld_json: String,
    in_title: bool,
    title: String,
    in_h1: bool,
    h1_done: bool,
    h1: String,
    og_title: Option<String>,
    twitter_title: Option<String>,
    ld_headline: Option<String>,
    published_meta: Option<String>,
    ld_published: Option<String>,
    published_other: Option<String>,
    time_datetime: Option<String>,
    canonical: Option<String>,
    og_url: Option<String>,
    author_meta: Option<String>,
    ld_author: Option<String>,
    author_other: Option<String>,
}

/// Elements whose text is not part of the article. (Elements whose end tag
/// is optional, like `head` and `option`, are not counted here: an unclosed
/// one would hide the rest of the page.)
const SKIPPED: &[&str] = &[
    "svg", "math", "template", "nav", "select", "object", "canvas", "button",
];
const PARAGRAPH_BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "figure",
    "figcaption",
    "hr",
    "form",
    "fieldset",
    "address",
    "details",
    "summary",
    "center",
    "hgroup",
    "body",
    "html",
];
const LINE_BLOCKS: &[&str] = &["li", "tr", "dt", "dd", "caption", "legend"];

impl HtmlState {
    fn tag(&mut self, tag: html5ever::tokenizer::Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let attr = |key: &str| -> Option<String> {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == key)
                .map(|a| a.value.to_string())
        };
        match tag.kind {
            TagKind::StartTag => match name {
                "script" => {
                    self.in_raw = true;
                    self.in_ld_json =
                        attr("type").is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"));
                    self.ld_json.clear();
                    return TokenSinkResult::RawData(RawKind::ScriptData);
                }
                "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                    self.in_raw = true;
                    return TokenSinkResult::RawData(RawKind::Rawtext);
                }
                "textarea" => {
                    self.in_raw = true;
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
                "title" => {
                    // Not an SVG <title>, and only the first one.
                    self.in_title = self.skip_depth == 0 && self.title.is_empty();
                    return TokenSinkResult::RawData(RawKind::Rcdata);
                }
                "body" => self.skip_depth = 0,
                "plaintext" => return TokenSinkResult::Plaintext,
                "meta" => self.meta(&tag),
                "link" => {
                    let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
                    if rel.split_whitespace().any(|r| r == "canonical") && self.canonical.is_none()
                    {
                        self.canonical = attr("href").and_then(|h| clean(&h));
                    }
                }
                "time" => {
                    if self.time_datetime.is_none() {
                        self.time_datetime = attr("datetime").and_then(|d| clean(&d));
                    }
                }
                "br" => self.out.block(1),
                "blockquote" => {
                    self.out.block(2);
                    self.out.depth += 1;
                }
                "pre" | "listing" => {
                    self.out.block(2);
                    self.out.pre += 1;
                }
                "q" => self.text("“"),
                "td" | "th" => self.out.pending_space = true,
                _ => {
                    if SKIPPED.contains(&name) && !tag.self_closing {
                        self.skip_depth += 1;
                    } else if PARAGRAPH_BLOCKS.contains(&name) {
                        self.out.block(2);
                    } else if LINE_BLOCKS.contains(&name) {
                        self.out.block(1);
                    }
                    if name == "h1" && !self.h1_done {
                        self.in_h1 = true;
                    }
                }
            },
            TagKind::EndTag => match name {
                "script" | "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript"
                | "textarea" => {
                    self.in_raw = false;
                    if self.in_ld_json {
                        self.in_ld_json = false;
                        self.read_ld_json();
                    }
                }
                "title" => self.in_title = false,
                "blockquote" => {
                    self.out.block(2);
                    self.out.depth = self.out.depth.saturating_sub(1);
                }
                "pre" | "listing" => {
                    self.out.pre = self.out.pre.saturating_sub(1);
                    self.out.block(2);
                }
                "q" => self.text("”"),
                _ => {
                    if SKIPPED.contains(&name) {
                        self.skip_depth = self.skip_depth.saturating_sub(1);
                    } else if PARAGRAPH_BLOCKS.contains(&name) {
                        self.out.block(2);
                    } else if LINE_BLOCKS.contains(&name) {
                        self.out.block(1);
                    }
                    if name == "h1" && self.in_h1 {
                        self.in_h1 = false;
                        self.h1_done = true;
                    }
                }
            },
        }
        TokenSinkResult::Continue
    }

    fn text(&mut self, s: &str) {
        if self.in_title {
            self.title.push_str(s);
        } else if self.in_raw {
            if self.in_ld_json && self.ld_json.len() < 1 << 20 {
                self.ld_json.push_str(s);
            }
        } else if self.skip_depth == 0 {
            if self.in_h1 {
                self.h1.push_str(s);
            }
            self.out.text(s);
        }
    }

    fn meta(&mut self, tag: &html5ever::tokenizer::Tag) {
        let mut key = String::new();
        let mut content = None;
        for a in &tag.attrs {
            match &*a.name.local {
                "name" | "property" | "itemprop" if key.is_empty() => {
                    key = a.value.to_ascii_lowercase();
                }
                "content" => content = clean(&a.value),
                _ => {}
            }
        }
        let Some(content) = content else {
            return;
        };
        let slot = match key.as_str() {
            "og:title" => &mut self.og_title,
            "twitter:title" => &mut self.twitter_title,
            "article:published_time" => &mut self.published_meta,
            "datepublished" | "date" | "pubdate" | "publishdate" | "publish-date"
            | "publish_date" | "dc.date" | "dc.date.issued" | "dcterms.created"
            | "dcterms.date" | "sailthru.date" | "parsely-pub-date" | "article.published"
            | "og:published_time" | "article:published" => &mut self.published_other,
            "og:url" => &mut self.og_url,
            "author" => &mut self.author_meta,
            "article:author" | "byl" | "parsely-author" | "sailthru.author" | "dc.creator" => {
                if content.contains("://") {
                    return;
                }
                &mut self.author_other
            }
            _ => return,
        };
        if slot.is_none() {
            let content = if key == "byl" {
                content
                    .strip_prefix("By ")
                    .or_else(|| content.strip_prefix("by "))
                    .map(str::to_string)
                    .unwrap_or(content)
            } else {
                content
            };
            *slot = Some(content);
        }
    }

    fn read_ld_json(&mut self) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(self.ld_json.trim()) else {
            return;
        };
        let mut stack = vec![(&value, 0usize)];
        while let Some((v, depth)) = stack.pop() {
            if depth > 8 {
                continue;
            }
            match v {
                serde_json::Value::Array(items) => {
                    stack.extend(items.iter().rev().map(|i| (i, depth + 1)))
                }
                serde_json::Value::Object(map) => {
                    let get = |k: &str| map.get(k).and_then(|v| v.as_str()).and_then(clean);
                    if self.ld_headline.is_none() {
                        self.ld_headline = get("headline");
                    }
                    if self.ld_published.is_none() {
                        self.ld_published = get("datePublished");
                    }
                    if self.ld_author.is_none()
                        && let Some(a) = map.get("author")
                    {
                        self.ld_author = ld_names(a);
                    }
                    if let Some(graph) = map.get("@graph") {
                        stack.push((graph, depth + 1));
                    }
                }
                _ => {}
            }
        }
    }

    fn finish(self) -> ArticleText {
        let mut text = self.out.out;
        text.truncate(text.trim_end().len());
        ArticleText {
            title: self
                .og_title
                .or(self.twitter_title)
                .or(self.ld_headline)
                .or_else(|| clean(&self.title))
                .or_else(|| clean(&self.h1)),
            published: self
                .published_meta
                .or(self.ld_published)
                .or(self.published_other)
                .or(self.time_datetime),
            url: self.canonical.or(self.og_url),
            author: self.author_meta.or(self.ld_author).or(self.author_other),
            text,
        }
    }
}

/// Author names from a JSON-LD `author` value: a string, an object with a
/// `name`, or a list of those.
fn ld_names(v: &serde_json::Value) -> Option<String> {
    let name = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.contains("://") => clean(s),
            serde_json::Value::Object(m) => m.get("name").and_then(|n| n.as_str()).and_then(clean),
            _ => None,
        }
    };
    match v {
        serde_json::Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(name).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        other => name(other),
    }
}

struct Sink(RefCell<HtmlState>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let Ok(mut state) = self.0.try_borrow_mut() else {
            return TokenSinkResult::Continue;
        };
        match token {
            Token::TagToken(tag) => state.tag(tag),
            Token::CharacterTokens(t) => {
                state.text(&t);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

fn html_text(input: &str) -> ArticleText {
    let tokenizer = Tokenizer::new(
        Sink(RefCell::new(HtmlState::default())),
        TokenizerOpts::default(),
    );
    let queue = BufferQueue::default();
    // Feed in chunks: a tendril holds at most 4 GiB.
    let mut rest = input;
    while !rest.is_empty() {
        let cut = floor_boundary(rest, 1 << 20);
        let cut = if cut == 0 { rest.len() } else { cut };
        let (chunk, tail) = rest.split_at(cut);
        queue.push_back(StrTendril::from_slice(chunk));
        while let TokenizerResult::Script(()) = tokenizer.feed(&queue) {}
        rest = tail;
    }
    tokenizer.end();
    let state = tokenizer
        .sink
        .0
        .try_borrow_mut()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    state.finish()
}

// ---------------------------------------------------------------------------
// Markdown

fn markdown_text(input: &str) -> ArticleText {
    let mut article = ArticleText::default();
    let body = front_matter(input, &mut article);
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<String> = None;
    let mut in_comment = false;
    let mut prev_blank = true;
    let mut prev_text: Option<String> = None;
    for raw in body.lines() {
        // Fenced code: kept as it is.
        if let Some(f) = &fence {
            if raw.trim_start().starts_with(f.as_str()) {
                fence = None;
            } else {
                out.push(raw.to_string());
            }
            continue;
        }
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|&c| c == '`' || c == '~')
                .collect();
            fence = Some(marker);
            continue;
        }
        if in_comment {
            if raw.contains("-->") {
                in_comment = false;
            }
            continue;
        }
        if trimmed.starts_with("<!--") && !trimmed.contains("-->") {
            in_comment = true;
            continue;
        }
        // Block-quote prefixes.
        let mut depth = 0;
        let mut rest = raw;
        loop {
            let t = rest.trim_start_matches(' ');
            if rest.len() - t.len() > 3 {
                break;
            }
            match t.strip_prefix('>') {
                Some(after) => {
                    depth += 1;
                    rest = after.strip_prefix(' ').unwrap_or(after);
                }
                None => break,
            }
        }
        let prefix = "> ".repeat(depth);
        let content = if depth > 0 { rest } else { raw };
        if content.trim().is_empty() {
            out.push(">".repeat(depth));
            prev_blank = true;
            prev_text = None;
            continue;
        }
        // Indented code after a blank line: kept.
        if depth == 0 && prev_blank && (content.starts_with("    ") || content.starts_with('\t')) {
            out.push(content.trim_start().to_string());
            continue;
        }
        let line = content.trim();
        // Setext underline: the previous line was a heading.
        if (line.chars().all(|c| c == '=') || line.chars().all(|c| c == '-')) && line.len() >= 2 {
            if line.starts_with('=')
                && article.title.is_none()
                && let Some(t) = &prev_text
            {
                article.title = clean(t);
            }
            if prev_text.is_none() {
                out.push(String::new()); // a rule
            }
            prev_blank = false;
            continue;
        }
        if is_rule(line) {
            out.push(String::new());
            prev_blank = true;
            continue;
        }
        if is_link_definition(line) {
            continue;
        }
        if line.starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue; // table separator row
        }
        let (line, heading) = strip_heading(line);
        let line = strip_list_marker(line);
        let text = strip_inline(line);
        let text = if text.starts_with('|') {
            text.replace('|', " ").trim().to_string()
        } else {
            text
        };
        if heading == Some(1) && article.title.is_none() && depth == 0 {
            article.title = clean(&text);
        }
        out.push(format!("{prefix}{text}"));
        prev_blank = false;
        prev_text = Some(text);
    }
    let mut text = out.join("\n");
    text.truncate(text.trim_end().len());
    article.text = text.trim_start_matches('\n').to_string();
    article
}

/// Reads YAML or TOML front matter into `article`; returns the body.
fn front_matter<'a>(input: &'a str, article: &mut ArticleText) -> &'a str {
    let (delimiter, sep) = if input.starts_with("---\n") {
        ("---", ':')
    } else if input.starts_with("+++\n") {
        ("+++", '=')
    } else {
        return input;
    };
    let after_open = &input[4..];
    let mut offset = 0;
    let mut end = None;
    for line in after_open.split_inclusive('\n') {
        let l = line.trim_end();
        if l == delimiter || (delimiter == "---" && l == "...") {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((fm_end, body_start)) = end else {
        return input;
    };
    let mut list_key: Option<String> = None;
    for line in after_open[..fm_end].lines() {
        if let Some(item) = line.trim_start().strip_prefix("- ")
            && line.starts_with([' ', '-'])
        {
            if let Some(k) = &list_key
                && (k == "author" || k == "authors")
                && article.author.is_none()
            {
                article.author = clean(unquote(item));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(sep) else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = unquote(value.trim());
        list_key = Some(key.clone());
        let value = if value.len() >= 2 && value.starts_with('[') && value.ends_with(']') {
            value[1..value.len() - 1]
                .split(',')
                .next()
                .map(|v| unquote(v.trim()))
                .unwrap_or("")
        } else {
            value
        };
        let slot = match key.as_str() {
            "title" => &mut article.title,
            "date" | "published" | "publishdate" | "publish_date" | "pubdate" | "published_at"
            | "date_published" => &mut article.published,
            "author" | "authors" | "byline" => &mut article.author,
            "url" | "canonical" | "canonical_url" | "canonicalurl" | "link" | "permalink" => {
                &mut article.url
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = clean(value);
        }
    }
    &after_open[body_start..]
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2
            && let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q))
        {
            return inner;
        }
    }
    s
}

fn is_rule(line: &str) -> bool {
    let chars: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    chars.len() >= 3 && chars.iter().all(|&c| c == chars[0]) && matches!(chars[0], '*' | '-' | '_')
}

fn is_link_definition(line: &str) -> bool {
    line.starts_with('[')
        && line
            .find("]:")
            .is_some_and(|k| k > 1 && !line[1..k].contains(']'))
}

/// Strips ATX heading marks; returns the level if it was a heading.
fn strip_heading(line: &str) -> (&str, Option<usize>) {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) {
        let rest = &line[level..];
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            let rest = rest.trim();
            let rest = rest.trim_end_matches('#').trim_end();
            return (rest, Some(level));
        }
    }
    (line, None)
}

fn strip_list_marker(line: &str) -> &str {
    let rest = if let Some(r) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        r
    } else {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        if (1..=9).contains(&digits)
            && let Some(r) = line[digits..]
                .strip_prefix(". ")
                .or_else(|| line[digits..].strip_prefix(") "))
        {
            r
        } else {
            return line;
        }
    };
    let rest = rest.trim_start();
    for task in ["[ ] ", "[x] ", "[X] "] {
        if let Some(r) = rest.strip_prefix(task) {
            return r;
        }
    }
    rest
}

/// Removes inline Markdown: emphasis, code spans, links and images (keeping
/// their text), inline HTML tags, escapes; decodes common entities. Linear
/// in the line's length: matching brackets, code-span closers and the next
/// `>` are found in one pass first.
fn strip_inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let tables = InlineTables::new(&chars);
    let mut out = String::with_capacity(line.len());
    strip_range(&chars, &tables, 0..chars.len(), &mut out, 0);
    out
}

const NONE: usize = usize::MAX;

/// Per-char lookups for one line of Markdown.
struct InlineTables {
    /// For `[` and `(`: the index of the matching `]` or `)`.
    matching: Vec<usize>,
    /// For the first backtick of a run: the start of the next run of the
    /// same length.
    tick_close: Vec<usize>,
    /// The index of the next `>` at or after each index.
    next_gt: Vec<usize>,
}

impl InlineTables {
    fn new(chars: &[char]) -> Self {
        let n = chars.len();
        let mut matching = vec![NONE; n];
        let (mut brackets, mut parens) = (Vec::new(), Vec::new());
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '[' => brackets.push(i),
                '(' => parens.push(i),
                ']' => {
                    if let Some(o) = brackets.pop() {
                        matching[o] = i;
                    }
                }
                ')' => {
                    if let Some(o) = parens.pop() {
                        matching[o] = i;
                    }
                }
                _ => {}
            }
        }
        let mut runs = Vec::new();
        let mut i = 0;
        while i < n {
            if chars[i] == '`' {
                let len = chars[i..].iter().take_while(|&&c| c == '`').count();
                runs.push((i, len));
                i += len;
            } else {
                i += 1;
            }
        }
        let mut tick_close = vec![NONE; n];
        let mut next_of_len: std::collections::HashMap<usize, usize> =
            std::collections::HashMap::new();
        for &(start, len) in runs.iter().rev() {
            if let Some(&close) = next_of_len.get(&len) {
                tick_close[start] = close;
            }
            next_of_len.insert(len, start);
        }
        let mut next_gt = vec![NONE; n + 1];
        for i in (0..n).rev() {
            next_gt[i] = if chars[i] == '>' { i } else { next_gt[i + 1] };
        }
        InlineTables {
            matching,
            tick_close,
            next_gt,
        }
    }

    fn get(table: &[usize], i: usize, end: usize) -> Option<usize> {
        table.get(i).copied().filter(|&k| k != NONE && k < end)
    }
}

fn strip_range(
    chars: &[char],
    tables: &InlineTables,
    range: std::ops::Range<usize>,
    out: &mut String,
    depth: usize,
) {
    let end = range.end.min(chars.len());
    let mut i = range.start;
    while i < end {
        let c = chars[i];
        match c {
            '\\' if i + 1 < end && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                let run = chars[i..end].iter().take_while(|&&c| c == '`').count();
                match InlineTables::get(&tables.tick_close, i, end) {
                    Some(close) => {
                        let inner: String = chars[i + run..close].iter().collect();
                        out.push_str(inner.trim());
                        i = close + run;
                    }
                    None => {
                        for _ in 0..run {
                            out.push('`');
                        }
                        i += run;
                    }
                }
            }
            '!' | '[' => {
                let open = if c == '!' { i + 1 } else { i };
                match link_at(chars, tables, open, end) {
                    Some((text, after))
                        if depth < 4 && (c == '[' || chars.get(open) == Some(&'[')) =>
                    {
                        strip_range(chars, tables, text, out, depth + 1);
                        i = after;
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '*' | '_' | '~' => {
                let run = chars[i..end].iter().take_while(|&&x| x == c).count();
                let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
                let next = chars.get(i + run).copied();
                let space_before = prev.is_none_or(char::is_whitespace);
                let space_after = next.is_none_or(char::is_whitespace);
                let intraword = prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric);
                let keep = (space_before && space_after)
                    || (c == '_' && intraword)
                    || (c == '~' && run < 2);
                if keep {
                    for _ in 0..run {
                        out.push(c);
                    }
                }
                i += run;
            }
            '<' => match InlineTables::get(&tables.next_gt, i, end) {
                Some(close)
                    if close - i <= 300
                        && chars
                            .get(i + 1)
                            .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!')) =>
                {
                    let inner: String = chars[i + 1..close].iter().collect();
                    if !inner.contains(char::is_whitespace)
                        && (inner.contains("://") || inner.contains('@'))
                    {
                        out.push_str(inner.trim_start_matches("mailto:"));
                    }
                    i = close + 1;
                }
                _ => {
                    out.push('<');
                    i += 1;
                }
            },
            '&' => match entity_at(&chars[..end], i) {
                Some((decoded, len)) => {
                    out.push(decoded);
                    i += len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// A link or image whose text opens at `open` (`[text](target)`,
/// `[text][ref]`, `[text][]`), ending before `end`: the range of its text and
/// the index after it.
fn link_at(
    chars: &[char],
    tables: &InlineTables,
    open: usize,
    end: usize,
) -> Option<(std::ops::Range<usize>, usize)> {
    if chars.get(open) != Some(&'[') {
        return None;
    }
    let close = InlineTables::get(&tables.matching, open, end)?;
    if !matches!(chars.get(close + 1), Some('(' | '[')) {
        return None;
    }
    let target_close = InlineTables::get(&tables.matching, close + 1, end)?;
    Some((open + 1..close, target_close + 1))
}

/// A character reference at `at`: the char and the reference's length.
fn entity_at(chars: &[char], at: usize) -> Option<(char, usize)> {
    let semi = chars[at..].iter().take(12).position(|&c| c == ';')?;
    let name: String = chars[at + 1..at + semi].iter().collect();
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code).filter(|&c| c != '\0')?
    } else {
        match name.as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{A0}',
            "shy" => '\u{AD}',
            "mdash" => '—',
            "ndash" => '–',
            "hellip" => '…',
            "lsquo" => '‘',
            "rsquo" => '’',
            "sbquo" => '‚',
            "ldquo" => '“',
            "rdquo" => '”',
            "bdquo" => '„',
            "laquo" => '«',
            "raquo" => '»',
            "lsaquo" => '‹',
            "rsaquo" => '›',
            _ => return None,
        }
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotes_of(text: &str) -> Vec<String> {
        let article = ArticleText {
            text: text.to_string(),
            ..ArticleText::default()
        };
        let quotes = extract_quotes(&article, ArticleFormat::Text);
        for q in &quotes {
            let slice = &text[q.start..q.end];
            assert_eq!(slice.trim(), slice, "untrimmed {q:?}");
            if q.kind == QuoteKind::Marks && !slice.contains('\n') {
                assert_eq!(slice, q.text);
            }
        }
        quotes.into_iter().map(|q| q.text).collect()
    }

    #[test]
    fn english_double_quotes() {
        assert_eq!(
            quotes_of("He wrote “per a big request on the Lubyanka side” in 2009."),
            ["per a big request on the Lubyanka side"]
        );
        assert_eq!(
            quotes_of("\"Hello there,\" she said, \"it's done.\""),
            ["Hello there,", "it's done."]
        );
    }

    #[test]
    fn russian_guillemets() {
        assert_eq!(
            quotes_of("Он написал: «по большой просьбе с Лубянки», и всё."),
            ["по большой просьбе с Лубянки"]
        );
        // Nested „лапки“ inside «ёлочки».
        assert_eq!(
            quotes_of("«Проект „Активные контрмеры“ закрыт окончательно», — сказал он."),
            ["Проект „Активные контрмеры“ закрыт окончательно"]
        );
        assert_eq!(
            quotes_of("«Проект „Активные контрмеры для всех“ закрыт», — сказал он."),
            [
                "Проект „Активные контрмеры для всех“ закрыт",
                "Активные контрмеры для всех"
            ]
        );
    }

    #[test]
    fn german_and_french_and_swiss_styles() {
        assert_eq!(
            quotes_of("Er schrieb: „Das ist ein Test“."),
            ["Das ist ein Test"]
        );
        assert_eq!(
            quotes_of("Sie sagte »wir kommen morgen« dazu."),
            ["wir kommen morgen"]
        );
        assert_eq!(
            quotes_of("Il a dit « nous viendrons demain » hier."),
            ["nous viendrons demain"]
        );
        assert_eq!(quotes_of("Polski: „to jest test”."), ["to jest test"]);
        assert_eq!(
            quotes_of("Svenska: ”det är ett test” sa hon."),
            ["det är ett test"]
        );
        assert_eq!(
            quotes_of("Single: ‹ un deux › et ‚eins zwei‘ fin."),
            ["un deux", "eins zwei"]
        );
    }

    #[test]
    fn japanese_corner_brackets() {
        assert_eq!(
            quotes_of("彼は「来週までに出荷します」と書いた。『二重の引用です』も。"),
            ["来週までに出荷します", "二重の引用です"]
        );
        // Too short: two characters are one word.
        assert!(quotes_of("いわゆる「専門」だ。").is_empty());
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        assert!(quotes_of("Don't worry, it's the '90s and rock'n'roll.").is_empty());
        assert!(quotes_of("The reporters' notes and O'Brien's files, ’til ’em all.").is_empty());
        assert!(quotes_of("They don’t know it’s over.").is_empty());
        assert_eq!(
            quotes_of("He called it 'a big request from above' in the '90s."),
            ["a big request from above"]
        );
        assert_eq!(
            quotes_of("‘It’s the plan we agreed on,’ she wrote."),
            ["It’s the plan we agreed on,"]
        );
    }

    #[test]
    fn scare_quotes_skipped_and_duplicates_removed() {
        assert!(quotes_of("An “expert” said so.").is_empty());
        assert_eq!(
            quotes_of("“active countermeasures” again: “Active countermeasures.”"),
            ["active countermeasures"]
        );
    }

    #[test]
    fn nested_quotes() {
        let q = quotes_of("“She told me ‘ship it next week no matter what’ and left,” he said.");
        assert_eq!(
            q,
            [
                "She told me ‘ship it next week no matter what’ and left,",
                "ship it next week no matter what"
            ]
        );
        // Inner quote of two words is not returned separately.
        let q = quotes_of("“She said ‘ship it’ and left,” he said.");
        assert_eq!(q, ["She said ‘ship it’ and left,"]);
    }

    #[test]
    fn unclosed_quotes() {
        assert!(quotes_of("He said “this never closes.\n\nNext paragraph here.").is_empty());
        let q =
            quotes_of("“First paragraph of a long quote.\n\n“Second paragraph ends it,” he said.");
        assert_eq!(
            q,
            [
                "First paragraph of a long quote.",
                "Second paragraph ends it,"
            ]
        );
    }

    #[test]
    fn quotes_span_lines_but_not_paragraphs() {
        let text = "He wrote “per a big\nrequest on the Lubyanka side” then.";
        let article = ArticleText {
            text: text.to_string(),
            ..ArticleText::default()
        };
        let q = extract_quotes(&article, ArticleFormat::Text);
        assert_eq!(q.len(), 1);
        assert_eq!(
            &text[q[0].start..q[0].end],
            "per a big\nrequest on the Lubyanka side"
        );
    }

    #[test]
    fn markdown_block_quotes() {
        let md = "# Leaked emails show plans\n\nIntro text.\n\n> We expect active\n> countermeasures from them.\n>\n> “Keep it quiet,” she added, “until the launch is done.”\n\nAfter.\n";
        let article = article_text(md, ArticleFormat::Markdown);
        assert_eq!(article.title.as_deref(), Some("Leaked emails show plans"));
        let quotes = extract_quotes(&article, ArticleFormat::Markdown);
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We expect active\ncountermeasures from them.\n\n“Keep it quiet,” she added, “until the launch is done.”",
                "Keep it quiet,",
                "until the launch is done."
            ]
        );
        assert_eq!(quotes[0].kind, QuoteKind::Block);
        assert_eq!(quotes[1].kind, QuoteKind::Marks);
        assert_eq!(
            &article.text[quotes[1].start..quotes[1].end],
            "Keep it quiet,"
        );
        let t = &article.text;
        assert!(
            t[quotes[0].start..quotes[0].end].starts_with("We expect active\n> countermeasures")
        );
    }

    #[test]
    fn markdown_markup_removed() {
        let md = "---\ntitle: \"Spies and code\"\ndate: 2015-03-19\nauthor:\n  - Alice Example\n  - Bob Example\nurl: https://news.example.org/spies\n---\n\n## Section\n\nThe **email** said [“per a big request”](https://example.org/a) and `code` and *more* here.\n\n- item one\n1. item two\n\n[ref]: https://example.org/ref\n\n![alt text](img.png) snake_case_name \\*literal\\* &amp; &#8220;x&#8221;\n\n```\n# not a heading\n```\n";
        let a = article_text(md, ArticleFormat::Markdown);
        assert_eq!(a.title.as_deref(), Some("Spies and code"));
        assert_eq!(a.published.as_deref(), Some("2015-03-19"));
        assert_eq!(a.author.as_deref(), Some("Alice Example"));
        assert_eq!(a.url.as_deref(), Some("https://news.example.org/spies"));
        assert_eq!(
            a.text,
            "Section\n\nThe email said “per a big request” and code and more here.\n\nitem one\nitem two\n\n\nalt text snake_case_name *literal* & “x”\n\n# not a heading"
        );
    }

    #[test]
    fn markdown_title_from_first_heading_and_setext() {
        let a = article_text("Intro\n\n# The Title #\n\nBody", ArticleFormat::Markdown);
        assert_eq!(a.title.as_deref(), Some("The Title"));
        let a = article_text(
            "Setext Title\n============\n\nBody",
            ArticleFormat::Markdown,
        );
        assert_eq!(a.title.as_deref(), Some("Setext Title"));
        assert_eq!(a.text, "Setext Title\n\nBody");
        let a = article_text(
            "+++\ntitle = 'Toml title'\n+++\nBody",
            ArticleFormat::Markdown,
        );
        assert_eq!(a.title.as_deref(), Some("Toml title"));
        assert_eq!(a.text, "Body");
    }

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head>
<title>Kaspersky Lab emails - Example News</title>
<meta property="og:title" content="Leaked Emails Show Lab Worked With Spies">
<meta property="article:published_time" content="2017-07-11T10:00:00Z">
<meta name="author" content="Alice Example">
<link rel="canonical" href="https://news.example.org/2017/lab">
<meta property="og:url" content="https://news.example.org/og">
<style>p { color: red; } "not a quote at all here"</style>
<script>var s = "not a quote either, really not";</script>
</head><body>
<nav>“Navigation items are not quotes”</nav>
<h1>Leaked Emails &amp; Spies</h1>
<p>The email described a project done &ldquo;per a big request on the Lubyanka side&rdquo; in 2009.</p>
<blockquote><p>We expect active countermeasures</p><p>from the other vendors.</p></blockquote>
<p>He called it <q>a quiet <em>technical</em> partnership</q>.</p>
<noscript>“Enable JavaScript to read everything”</noscript>
</body></html>"#;

    #[test]
    fn html_metadata_and_text() {
        assert_eq!(detect_format(PAGE, None), ArticleFormat::Html);
        let a = article_text(PAGE, ArticleFormat::Html);
        assert_eq!(
            a.title.as_deref(),
            Some("Leaked Emails Show Lab Worked With Spies")
        );
        assert_eq!(a.published.as_deref(), Some("2017-07-11T10:00:00Z"));
        assert_eq!(a.author.as_deref(), Some("Alice Example"));
        assert_eq!(a.url.as_deref(), Some("https://news.example.org/2017/lab"));
        assert_eq!(
            a.text,
            "Leaked Emails & Spies\n\nThe email described a project done “per a big request on the Lubyanka side” in 2009.\n\n> We expect active countermeasures\n>\n> from the other vendors.\n\nHe called it “a quiet technical partnership”."
        );
        let q = extract_quotes(&a, ArticleFormat::Html);
        let texts: Vec<&str> = q.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "per a big request on the Lubyanka side",
                "We expect active countermeasures\n\nfrom the other vendors.",
                "a quiet technical partnership"
            ]
        );
        assert_eq!(q[1].kind, QuoteKind::Block);
        for quote in &q {
            assert!(a.text.get(quote.start..quote.end).is_some());
        }
    }

    #[test]
    fn html_metadata_fallbacks() {
        let page = r#"<html><head><title> Plain   title </title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle","headline":"LD headline","datePublished":"2020-01-02","author":[{"@type":"Person","name":"Alice Example"},{"name":"Bob Example"}]}]}</script>
</head><body><time datetime="2019-05-05">May 5</time><p>Text</p></body></html>"#;
        let a = article_text(page, ArticleFormat::Html);
        assert_eq!(a.title.as_deref(), Some("LD headline"));
        assert_eq!(a.published.as_deref(), Some("2020-01-02"));
        assert_eq!(a.author.as_deref(), Some("Alice Example, Bob Example"));
        assert_eq!(a.url, None);
        let page = "<html><head><title>Only   title</title></head><body><h1>Head</h1><time datetime='2019-05-05'>x</time><p>Body</p><pre>a\n  b</pre></body></html>";
        let a = article_text(page, ArticleFormat::Html);
        assert_eq!(a.title.as_deref(), Some("Only title"));
        assert_eq!(a.published.as_deref(), Some("2019-05-05"));
        assert_eq!(a.text, "Head\n\nx\n\nBody\n\na\n  b");
        let a = article_text("<body><h1>H <b>one</b></h1>", ArticleFormat::Html);
        assert_eq!(a.title.as_deref(), Some("H one"));
    }

    #[test]
    fn html_optional_end_tags_and_svg_titles() {
        let page = "<html><head><title>Real title</title><body><svg><title>Close icon</title></svg>\
            <select><option>One<option>Two</select><p>He wrote “we need this done by Friday”.</p>";
        let a = article_text(page, ArticleFormat::Html);
        assert_eq!(a.title.as_deref(), Some("Real title"));
        assert_eq!(a.text, "He wrote “we need this done by Friday”.");
        let q = extract_quotes(&a, ArticleFormat::Html);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].text, "we need this done by Friday");
    }

    #[test]
    fn html_nested_blockquotes() {
        let page = "<p>Intro</p><blockquote>Outer words here<blockquote>Inner words here</blockquote>tail</blockquote>";
        let a = article_text(page, ArticleFormat::Html);
        assert_eq!(
            a.text,
            "Intro\n\n> Outer words here\n>\n> > Inner words here\n>\n> tail"
        );
        let q = extract_quotes(&a, ArticleFormat::Html);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].text, "Outer words here\n\nInner words here\n\ntail");
    }

    #[test]
    fn format_detection() {
        assert_eq!(
            detect_format("anything", Some("a/b/story.HTM")),
            ArticleFormat::Html
        );
        assert_eq!(
            detect_format("<p>x</p>", Some("notes.md")),
            ArticleFormat::Markdown
        );
        assert_eq!(detect_format("# x", Some("notes.txt")), ArticleFormat::Text);
        assert_eq!(
            detect_format("<div><p>a</p><br></div>", None),
            ArticleFormat::Html
        );
        assert_eq!(
            detect_format("---\ntitle: x\n---\nbody", None),
            ArticleFormat::Markdown
        );
        assert_eq!(
            detect_format("# Title\n\n> quoted\n", None),
            ArticleFormat::Markdown
        );
        assert_eq!(
            detect_format("Just words. a < b > c", None),
            ArticleFormat::Text
        );
        assert_eq!(detect_format("", None), ArticleFormat::Text);
        let long = "é".repeat(10_000);
        assert_eq!(detect_format(&long, Some("noext")), ArticleFormat::Text);
    }

    #[test]
    fn text_articles_and_line_endings() {
        let a = article_text(
            "\u{FEFF}Title line\r\n\r\n> quoted words here\r\n",
            ArticleFormat::Text,
        );
        assert_eq!(a.text, "Title line\n\n> quoted words here\n");
        let q = extract_quotes(&a, ArticleFormat::Text);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].kind, QuoteKind::Block);
        assert_eq!(&a.text[q[0].start..q[0].end], "quoted words here");
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let inputs = [
            "",
            "\"",
            "“",
            "'''''",
            "> ",
            ">>>>>>>>",
            "<",
            "<<<>>>",
            "<!--",
            "<script>",
            "<blockquote><blockquote>",
            "</blockquote></blockquote></pre></pre>x",
            "---\n",
            "---\ntitle: x",
            "+++\n+++\n",
            "[](",
            "[a](b",
            "![",
            "``` ",
            "&#xFFFFFFFF; &#0; &#55296; &",
            "「「「」」」",
            "« » „ “ ‚ ‘ ’ ”",
            "*_~`\\",
            "# ",
            "1. ",
            "- [ ] ",
            "<q>unclosed",
            "<time datetime=''><meta content>",
            "<script type='application/ld+json'>{\"author\": [[[[[[[[[[[[[]]]]]]]]]]]]]}</script>",
        ];
        for input in inputs {
            for format in [
                ArticleFormat::Text,
                ArticleFormat::Markdown,
                ArticleFormat::Html,
            ] {
                let a = article_text(input, format);
                for q in extract_quotes(&a, format) {
                    assert!(a.text.get(q.start..q.end).is_some());
                }
            }
            let _ = detect_format(input, Some(input));
        }
    }

    #[test]
    fn long_hostile_articles_are_linear() {
        for unit in [
            "[", "[a](", "` `` ", "<a", "«", "“", "\"", "'a ", "> ", "> “", "&#", "*_", "„a ",
        ] {
            let text = unit.repeat(300_000 / unit.len());
            for format in [
                ArticleFormat::Text,
                ArticleFormat::Markdown,
                ArticleFormat::Html,
            ] {
                let a = article_text(&text, format);
                let _ = extract_quotes(&a, format);
            }
        }
        // Many short quotes on one line.
        let text = "“a b” ".repeat(50_000);
        let a = article_text(&text, ArticleFormat::Text);
        assert_eq!(extract_quotes(&a, ArticleFormat::Text).len(), 1);
    }

    #[test]
    fn fuzz_extract_never_panics() {
        let alphabet = [
            "a",
            "b ",
            " ",
            "\n",
            "\n\n",
            "> ",
            "\"",
            "“",
            "”",
            "'",
            "’",
            "‘",
            "«",
            "»",
            "„",
            "「",
            "」",
            "<p>",
            "</p>",
            "<blockquote>",
            "</blockquote>",
            "<q>",
            "[",
            "]",
            "(",
            ")",
            "*",
            "_",
            "`",
            "&amp;",
            "#",
            "é",
            "字",
            "-",
            "\r",
        ];
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..2000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for _ in 0..(x % 60) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            for format in [
                ArticleFormat::Text,
                ArticleFormat::Markdown,
                ArticleFormat::Html,
            ] {
                let a = article_text(&s, format);
                for q in extract_quotes(&a, format) {
                    assert!(a.text.get(q.start..q.end).is_some(), "{s:?} {q:?}");
                    assert!(q.start < q.end);
                }
            }
        }
    }
}
