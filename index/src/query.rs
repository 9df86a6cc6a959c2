//! The mailcite query language: parsed by our own parser into a [`Query`]
//! (an AST), then translated to a tantivy query by [`to_tantivy`].
//!
//! # Grammar
//!
//! ```text
//! budget report            both words (AND is implicit; explicit AND is accepted)
//! "active countermeasures" the exact phrase (a quoted single word is not stemmed)
//! "budget cuts"~3          the words within 3 positions of each other
//! budget OR report         either (also budget | report)
//! -draft   NOT draft       without the word
//! (a OR b) c               grouping
//! countermeas*             prefix
//! lubianka~1  lubianka~2   fuzzy: up to 1 or 2 edits
//! ```
//!
//! `OR` binds tighter than the implicit `AND`, as in web search engines:
//! `a b OR c` means `a AND (b OR c)`. `NOT` / `-` bind tightest.
//! Operators are upper case; `or`, `and`, `not` are ordinary words.
//!
//! A bare word or phrase searches the subject, the own text, the quoted text,
//! attachment names and the names and addresses of every party; a word with
//! `@` in it also matches addresses exactly. Words match case- and
//! accent-insensitively and, in the subject, own and quoted text, in any
//! inflection of the message's language (`countermeasure` finds
//! `countermeasures`, `контрмеры` finds `контрмерами`); see [`to_tantivy`].
//! Prefix, fuzzy and phrase searches are not stemmed.
//!
//! Fields (a field takes a word, a `"phrase"` or a `(group)`):
//!
//! | field | matches |
//! |---|---|
//! | `from:` `to:` `cc:` `bcc:` | a name word, a full address, or `@domain` (also parent domains) |
//! | `subject:` `body:` `quoted:` | subject; own text only; quoted text only |
//! | `attachment:` | attachment file names |
//! | `type:` | attachment MIME type: `type:pdf`, `type:image`, `type:application/pdf`, `type:docx`, `type:word` |
//! | `id:` | Message-ID (with or without `<>`), or the SHA-256 id or a prefix of it (8+ hex digits) |
//! | `thread:` `folder:` `source:` `article:` | thread id; folder (and its subfolders); source path or part of it; citing article id |
//! | `has:` | `attachment`, `date`, `quoted` |
//! | `lang:` | language, ISO 639-1 or 639-3 or English name: `lang:ru`, `lang:rus`, `lang:russian` |
//! | `cited:` | `yes` or `no` |
//! | `date:` | `2009`, `2009-07`, `2009-07-15`, or a range `2009-01..2009-06-30`, `..2009-06`, `2009-01..` (the right end is included: a month or year there means its end) |
//! | `before:` `after:` | `before:D` = before the start of D; `after:D` = from the start of D on (D may be a year, month or day) |
//!
//! Dates are UTC. Examples: `from:@example.org subject:"weekly report"`,
//! `from:(alice OR bob) date:2009-01..2009-06 has:attachment -type:pdf`.

use std::collections::HashMap;
use std::fmt;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, InvertedIndexRangeQuery,
    Occur, PhrasePrefixQuery, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::analyzers::{
    STEM_LANGUAGES, StemLanguage, analyze, base_analyzer, stem_analyzer, stem_term,
};
use crate::schema::{
    IndexSchema, normalize_address, normalize_domain, normalize_message_id, to_tantivy_date,
};

/// A query the user wrote that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The complete explanation, naming the column (1-based).
    pub message: String,
    /// Character offset (0-based) in the query where the problem is.
    pub position: usize,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

fn err<T>(position: usize, message: String) -> Result<T, QueryError> {
    Err(QueryError { message, position })
}

/// What a term or phrase is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Bare words: every text field and the parties.
    Any,
    /// `from:`
    From,
    /// `to:`
    To,
    /// `cc:`
    Cc,
    /// `bcc:`
    Bcc,
    /// `subject:`
    Subject,
    /// `body:` (own text)
    Body,
    /// `quoted:`
    Quoted,
    /// `attachment:` (file names)
    Attachment,
    /// `content:` (text extracted from attachments)
    Content,
    /// `type:`
    Type,
    /// `id:`
    Id,
    /// `thread:`
    Thread,
    /// `folder:`
    Folder,
    /// `source:`
    Source,
    /// `has:`
    Has,
    /// `lang:`
    Lang,
    /// `cited:`
    Cited,
    /// `article:`
    Article,
    /// `dkim:` (status of each DKIM signature)
    Dkim,
    /// `dkimdomain:` (d= of each DKIM signature)
    DkimDomain,
    /// `arc:` (status of each ARC set)
    Arc,
    /// `anomaly:` (evidence that does not add up, e.g. `anomaly:date`)
    Anomaly,
    /// `is:` (messages found inside other messages, e.g. `is:embedded`)
    Is,
}

/// The field names of the query language, in the order error messages list them.
pub const FIELD_NAMES: [&str; 26] = [
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "body",
    "quoted",
    "attachment",
    "content",
    "type",
    "id",
    "thread",
    "folder",
    "source",
    "has",
    "lang",
    "cited",
    "article",
    "dkim",
    "dkimdomain",
    "arc",
    "anomaly",
    "is",
    "date",
    "before",
    "after",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldName {
    Target(Target),
    Date,
    Before,
    After,
}

fn field_by_name(name: &str) -> Option<FieldName> {
    use Target::*;
    Some(FieldName::Target(match name {
        "from" => From,
        "to" => To,
        "cc" => Cc,
        "bcc" => Bcc,
        "subject" => Subject,
        "body" => Body,
        "quoted" => Quoted,
        "attachment" => Attachment,
        "content" => Content,
        "type" => Type,
        "id" => Id,
        "thread" => Thread,
        "folder" => Folder,
        "source" => Source,
        "has" => Has,
        "lang" => Lang,
        "cited" => Cited,
        "article" => Article,
        "dkim" => Dkim,
        "dkimdomain" => DkimDomain,
        "arc" => Arc,
        "anomaly" => Anomaly,
        "is" => Is,
        "date" => return Some(FieldName::Date),
        "before" => return Some(FieldName::Before),
        "after" => return Some(FieldName::After),
        _ => return None,
    }))
}

impl Target {
    fn name(self) -> &'static str {
        use Target::*;
        match self {
            Any => "",
            From => "from",
            To => "to",
            Cc => "cc",
            Bcc => "bcc",
            Subject => "subject",
            Body => "body",
            Quoted => "quoted",
            Attachment => "attachment",
            Content => "content",
            Type => "type",
            Id => "id",
            Thread => "thread",
            Folder => "folder",
            Source => "source",
            Has => "has",
            Lang => "lang",
            Cited => "cited",
            Article => "article",
            Dkim => "dkim",
            DkimDomain => "dkimdomain",
            Arc => "arc",
            Anomaly => "anomaly",
            Is => "is",
        }
    }

    /// Fields whose words are analyzed like text (as opposed to exact values).
    fn is_text(self) -> bool {
        use Target::*;
        matches!(
            self,
            Any | From | To | Cc | Bcc | Subject | Body | Quoted | Attachment | Content
        )
    }
}

/// How a word is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// The word (stemmed where the message's language allows).
    Exact,
    /// `word*`: any word starting with it.
    Prefix,
    /// `word~N`: within N edits (1 or 2).
    Fuzzy(u8),
}

/// A word (or exact value) in a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermNode {
    /// Where to look.
    pub target: Target,
    /// The word as typed, without the `*` or `~N` suffix; for `has:`, `lang:`
    /// and `cited:` the normalized value.
    pub text: String,
    /// Exact, prefix or fuzzy.
    pub kind: TermKind,
    /// Character offset in the query.
    pub position: usize,
}

/// A quoted phrase in a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseNode {
    /// Where to look.
    pub target: Target,
    /// The text between the quotes.
    pub text: String,
    /// Allowed distance between the words (`"a b"~3`); 0 means adjacent.
    pub slop: u32,
    /// Character offset in the query.
    pub position: usize,
}

/// A date range `[start, end)` in Unix seconds, UTC; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First second included.
    pub start: Option<i64>,
    /// First second excluded.
    pub end: Option<i64>,
}

/// A node of the query AST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// All must match.
    And(Vec<Node>),
    /// At least one must match.
    Or(Vec<Node>),
    /// Must not match.
    Not(Box<Node>),
    /// A word or value.
    Term(TermNode),
    /// A phrase.
    Phrase(PhraseNode),
    /// A date range.
    Date(DateRange),
}

/// A parsed mailcite query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: Node,
}

/// A positive search term, for highlighting matches in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HighlightTerm {
    /// The word or phrase as typed.
    pub text: String,
    /// Exact, prefix or fuzzy.
    pub kind: TermKind,
    /// Whether inflections match too (false for quoted phrases).
    pub stemmed: bool,
}

impl Query {
    /// The root of the AST.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The words and phrases that a matching message's text may contain:
    /// bare ones and those of `body:`, `quoted:` and `subject:`, not under a
    /// negation.
    pub fn highlight_terms(&self) -> Vec<HighlightTerm> {
        fn walk(node: &Node, out: &mut Vec<HighlightTerm>) {
            match node {
                Node::And(children) | Node::Or(children) => {
                    children.iter().for_each(|c| walk(c, out));
                }
                Node::Not(_) | Node::Date(_) => {}
                Node::Term(t) => {
                    if highlightable(t.target) {
                        out.push(HighlightTerm {
                            text: t.text.clone(),
                            kind: t.kind,
                            stemmed: t.kind == TermKind::Exact,
                        });
                    }
                }
                Node::Phrase(p) => {
                    if highlightable(p.target) {
                        out.push(HighlightTerm {
                            text: p.text.clone(),
                            kind: TermKind::Exact,
                            stemmed: false,
                        });
                    }
                }
            }
        }
        fn highlightable(target: Target) -> bool {
            matches!(
                target,
                Target::Any | Target::Body | Target::Quoted | Target::Subject | Target::Content
            )
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}

/// Canonical text of the query, with explicit `AND`/`OR` and parentheses;
/// useful to show how a query was understood.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_node(&self.root, f)
    }
}

fn fmt_node(node: &Node, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let field = |t: Target| {
        if t == Target::Any {
            String::new()
        } else {
            format!("{}:", t.name())
        }
    };
    match node {
        Node::And(children) | Node::Or(children) => {
            let op = if matches!(node, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            f.write_str("(")?;
            for (i, c) in children.iter().enumerate() {
                if i > 0 {
                    f.write_str(op)?;
                }
                fmt_node(c, f)?;
            }
            f.write_str(")")
        }
        Node::Not(inner) => {
            f.write_str("-")?;
            fmt_node(inner, f)
        }
        Node::Term(t) => {
            write!(f, "{}{}", field(t.target), t.text)?;
            match t.kind {
                TermKind::Exact => Ok(()),
                TermKind::Prefix => f.write_str("*"),
                TermKind::Fuzzy(d) => write!(f, "~{d}"),
            }
        }
        Node::Phrase(p) => {
            write!(f, "{}\"{}\"", field(p.target), p.text)?;
            if p.slop > 0 {
                write!(f, "~{}", p.slop)?;
            }
            Ok(())
        }
        Node::Date(r) => {
            let show = |s: Option<i64>| {
                s.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                    .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default()
            };
            write!(f, "date:[{}..{})", show(r.start), show(r.end))
        }
    }
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Or,
    And,
    Not,
    Minus,
    Word(String),
    Phrase {
        text: String,
        slop: u32,
    },
    /// `name:` with the value that follows without a space, if any.
    Field {
        name: String,
        value: Option<(String, usize)>,
    },
}

fn is_word_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | '|')
}

fn lex(query: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                toks.push((Tok::LParen, start));
                i += 1;
            }
            ')' => {
                toks.push((Tok::RParen, start));
                i += 1;
            }
            '|' => {
                toks.push((Tok::Or, start));
                i += 1;
            }
            '"' => {
                let Some(len) = chars[i + 1..].iter().position(|&c| c == '"') else {
                    return err(
                        start,
                        format!("unclosed quote starting at column {}", start + 1),
                    );
                };
                let text: String = chars[i + 1..i + 1 + len].iter().collect();
                i += len + 2;
                let mut slop = 0;
                if chars.get(i) == Some(&'~') {
                    let digits: String = chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    if !digits.is_empty() {
                        slop = digits.parse().unwrap_or(u32::MAX).min(1000);
                        i += 1 + digits.chars().count();
                    }
                }
                toks.push((Tok::Phrase { text, slop }, start));
            }
            '-' if chars
                .get(i + 1)
                .is_some_and(|&n| !n.is_whitespace() && n != ')' && n != '|') =>
            {
                toks.push((Tok::Minus, start));
                i += 1;
            }
            _ => {
                let len = chars[i..]
                    .iter()
                    .position(|&c| is_word_end(c))
                    .unwrap_or(chars.len() - i);
                let word: String = chars[i..i + len].iter().collect();
                i += len;
                let tok = match word.as_str() {
                    "OR" => Tok::Or,
                    "AND" => Tok::And,
                    "NOT" => Tok::Not,
                    _ => match word.split_once(':') {
                        Some((name, value))
                            if !name.is_empty()
                                && name.len() <= 20
                                && name.chars().all(|c| c.is_ascii_alphabetic()) =>
                        {
                            let value_pos = start + name.chars().count() + 1;
                            let value = if value.is_empty() {
                                // The value must follow at once: a quote or a group.
                                if !matches!(chars.get(i), Some('"' | '(')) {
                                    return err(
                                        start,
                                        format!(
                                            "missing value after \"{name}:\" at column {}; \
                                             write {name}:word, {name}:\"a phrase\" or \
                                             {name}:(a OR b), without a space",
                                            start + 1
                                        ),
                                    );
                                }
                                None
                            } else {
                                Some((value.to_string(), value_pos))
                            };
                            Tok::Field {
                                name: name.to_string(),
                                value,
                            }
                        }
                        _ => Tok::Word(word),
                    },
                };
                toks.push((tok, start));
            }
        }
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Parser

/// Parses a mailcite query (grammar in the [module documentation](self)).
pub fn parse(query: &str) -> Result<Query, QueryError> {
    let toks = lex(query)?;
    if toks.is_empty() {
        return err(0, "empty query".to_string());
    }
    let mut parser = Parser { toks, i: 0 };
    let root = parser.and_list(None, None)?;
    if let Some((_, pos)) = parser.peek() {
        // and_list stops only at ')' or the end.
        return err(
            pos,
            format!(
                "unbalanced parenthesis: \")\" at column {} has no matching \"(\"",
                pos + 1
            ),
        );
    }
    match root {
        Some(root) => Ok(Query { root }),
        None => err(
            0,
            "nothing to search for: the query has no letters or digits".to_string(),
        ),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
}

/// The field a parenthesized group applies to.
type Ctx = Option<(FieldName, &'static str)>;

impl Parser {
    fn peek(&self) -> Option<(&Tok, usize)> {
        self.toks.get(self.i).map(|(t, p)| (t, *p))
    }

    fn next(&mut self) -> Option<(Tok, usize)> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    /// True at the end, before `)`, or before an operator that needs a left side.
    fn at_operand_end(&self) -> bool {
        matches!(
            self.peek(),
            None | Some((Tok::RParen | Tok::Or | Tok::And, _))
        )
    }

    /// A sequence of operands joined by implicit or explicit AND, up to `)` or
    /// the end. `open` is the position of the `(` that started the group.
    fn and_list(&mut self, ctx: Ctx, open: Option<usize>) -> Result<Option<Node>, QueryError> {
        let mut items = Vec::new();
        let mut seen_operand = false;
        while let Some((tok, pos)) = self.peek() {
            match tok {
                Tok::RParen => {
                    if open.is_none() {
                        return err(
                            pos,
                            format!(
                                "unbalanced parenthesis: \")\" at column {} has no matching \"(\"",
                                pos + 1
                            ),
                        );
                    }
                    break;
                }
                Tok::Or => {
                    return err(
                        pos,
                        format!("OR at column {} needs a search term on its left", pos + 1),
                    );
                }
                Tok::And => {
                    self.i += 1;
                    if !seen_operand || self.at_operand_end() {
                        return err(
                            pos,
                            format!("AND at column {} needs search terms on both sides", pos + 1),
                        );
                    }
                }
                _ => {
                    seen_operand = true;
                    if let Some(node) = self.or_list(ctx)? {
                        items.push(node);
                    }
                }
            }
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Node::And(items)),
        })
    }

    fn or_list(&mut self, ctx: Ctx) -> Result<Option<Node>, QueryError> {
        let mut items: Vec<Node> = self.unary(ctx)?.into_iter().collect();
        while let Some((Tok::Or, pos)) = self.peek() {
            self.i += 1;
            if self.at_operand_end() {
                return err(
                    pos,
                    format!("OR at column {} needs a search term on its right", pos + 1),
                );
            }
            if let Some(node) = self.unary(ctx)? {
                items.push(node);
            }
        }
        Ok(match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Node::Or(items)),
        })
    }

    fn unary(&mut self, ctx: Ctx) -> Result<Option<Node>, QueryError> {
        if let Some((tok @ (Tok::Not | Tok::Minus), pos)) = self.peek() {
            let what = if *tok == Tok::Not { "NOT" } else { "\"-\"" };
            self.i += 1;
            if self.at_operand_end() {
                return err(
                    pos,
                    format!("{what} at column {} needs a search term after it", pos + 1),
                );
            }
            return Ok(self.unary(ctx)?.map(|n| Node::Not(Box::new(n))));
        }
        self.primary(ctx)
    }

    fn primary(&mut self, ctx: Ctx) -> Result<Option<Node>, QueryError> {
        let Some((tok, pos)) = self.next() else {
            return Ok(None);
        };
        match tok {
            Tok::LParen => self.group(ctx, pos),
            Tok::Word(word) => value_word(ctx, &word, pos),
            Tok::Phrase { text, slop } => value_phrase(ctx, &text, slop, pos),
            Tok::Field { name, value } => {
                let lower = name.to_ascii_lowercase();
                let Some(field) = field_by_name(&lower) else {
                    return err(pos, unknown_field_message(&name, pos));
                };
                let display = FIELD_NAMES
                    .iter()
                    .find(|n| **n == lower)
                    .copied()
                    .unwrap_or("");
                let ctx: Ctx = Some((field, display));
                match value {
                    Some((value, value_pos)) => value_word(ctx, &value, value_pos),
                    None => match self.next() {
                        Some((Tok::Phrase { text, slop }, p)) => value_phrase(ctx, &text, slop, p),
                        Some((Tok::LParen, p)) => self.group(ctx, p),
                        _ => err(
                            pos,
                            format!("missing value after \"{name}:\" at column {}", pos + 1),
                        ),
                    },
                }
            }
            // Operators are handled by the callers; reaching one here means a
            // missing operand, which the callers report first.
            Tok::RParen | Tok::Or | Tok::And | Tok::Not | Tok::Minus => {
                err(pos, format!("unexpected operator at column {}", pos + 1))
            }
        }
    }

    fn group(&mut self, ctx: Ctx, open: usize) -> Result<Option<Node>, QueryError> {
        if let Some((Tok::RParen, _)) = self.peek() {
            return err(open, format!("empty parentheses at column {}", open + 1));
        }
        let inner = self.and_list(ctx, Some(open))?;
        match self.next() {
            Some((Tok::RParen, _)) => Ok(inner),
            _ => err(
                open,
                format!(
                    "unbalanced parenthesis: \"(\" at column {} is never closed",
                    open + 1
                ),
            ),
        }
    }
}

fn unknown_field_message(name: &str, pos: usize) -> String {
    let lower = name.to_ascii_lowercase();
    let suggestion = FIELD_NAMES
        .iter()
        .map(|f| (edit_distance(&lower, f), *f))
        .filter(|(d, _)| *d <= 2)
        .min();
    let hint = match suggestion {
        Some((_, f)) => format!(" (did you mean \"{f}:\"?)"),
        None => String::new(),
    };
    format!(
        "unknown field \"{name}:\" at column {}{hint}; known fields: {}; \
         to search for text containing \":\", put it in quotes",
        pos + 1,
        FIELD_NAMES.join(", ")
    )
}

/// Splits a `*` or `~N` suffix off a word.
fn word_kind(word: &str, pos: usize) -> Result<(String, TermKind), QueryError> {
    if let Some(stem) = word.strip_suffix('*') {
        let stem = stem.trim_end_matches('*');
        if stem.is_empty() {
            return err(
                pos,
                format!(
                    "\"*\" at column {} must follow the beginning of a word",
                    pos + 1
                ),
            );
        }
        return Ok((stem.to_string(), TermKind::Prefix));
    }
    if let Some((stem, digits)) = word.rsplit_once('~')
        && !stem.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        let distance = match digits {
            "" | "1" => 1,
            "2" => 2,
            "0" => return Ok((stem.to_string(), TermKind::Exact)),
            _ => {
                return err(
                    pos,
                    format!(
                        "fuzzy distance in \"{word}\" at column {} must be 1 or 2",
                        pos + 1
                    ),
                );
            }
        };
        return Ok((stem.to_string(), TermKind::Fuzzy(distance)));
    }
    Ok((word.to_string(), TermKind::Exact))
}

fn has_searchable(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// A word, bare or as a field's value.
fn value_word(ctx: Ctx, word: &str, pos: usize) -> Result<Option<Node>, QueryError> {
    let (field, name) = ctx.unwrap_or((FieldName::Target(Target::Any), ""));
    let target = match field {
        FieldName::Target(t) => t,
        FieldName::Date | FieldName::Before | FieldName::After => {
            return date_value(field, name, word, pos).map(Some);
        }
    };
    let (text, kind) = word_kind(word, pos)?;
    if target.is_text() {
        if !has_searchable(&text) {
            if target == Target::Any {
                return Ok(None);
            }
            return err(
                pos,
                format!("nothing to search for in \"{word}\" at column {}", pos + 1),
            );
        }
        return Ok(Some(term(target, text, kind, pos)));
    }
    if let TermKind::Fuzzy(_) = kind {
        return err(
            pos,
            format!(
                "fuzzy search (~) at column {} only works on words, not on {name}: values",
                pos + 1
            ),
        );
    }
    match target {
        Target::Has
        | Target::Lang
        | Target::Cited
        | Target::Dkim
        | Target::Arc
        | Target::Anomaly
        | Target::Is => {
            if kind == TermKind::Prefix {
                return err(
                    pos,
                    format!("{name}: at column {} does not take a prefix (*)", pos + 1),
                );
            }
            let value = keyword_value(target, &text, pos)?;
            Ok(Some(term(target, value, TermKind::Exact, pos)))
        }
        _ => {
            if text.trim().is_empty() {
                return err(
                    pos,
                    format!("missing value after \"{name}:\" at column {}", pos + 1),
                );
            }
            Ok(Some(term(target, text, kind, pos)))
        }
    }
}

fn term(target: Target, text: String, kind: TermKind, position: usize) -> Node {
    Node::Term(TermNode {
        target,
        text,
        kind,
        position,
    })
}

/// A quoted phrase, bare or as a field's value.
fn value_phrase(ctx: Ctx, text: &str, slop: u32, pos: usize) -> Result<Option<Node>, QueryError> {
    let (field, name) = ctx.unwrap_or((FieldName::Target(Target::Any), ""));
    let target = match field {
        FieldName::Target(t) => t,
        _ => {
            return err(
                pos,
                format!(
                    "{name}: at column {} takes a date such as 2009-07-15, not a phrase",
                    pos + 1
                ),
            );
        }
    };
    if target.is_text() {
        if !has_searchable(text) {
            if target == Target::Any {
                return Ok(None);
            }
            return err(
                pos,
                format!("nothing to search for in \"{text}\" at column {}", pos + 1),
            );
        }
        return Ok(Some(Node::Phrase(PhraseNode {
            target,
            text: text.to_string(),
            slop,
            position: pos,
        })));
    }
    if text.trim().is_empty() {
        return err(
            pos,
            format!("empty value for {name}: at column {}", pos + 1),
        );
    }
    let value = match target {
        Target::Has
        | Target::Lang
        | Target::Cited
        | Target::Dkim
        | Target::Arc
        | Target::Anomaly
        | Target::Is => keyword_value(target, text.trim(), pos)?,
        _ => text.to_string(),
    };
    Ok(Some(term(target, value, TermKind::Exact, pos)))
}

/// Validates and normalizes the value of `has:`, `lang:` or `cited:`.
fn keyword_value(target: Target, value: &str, pos: usize) -> Result<String, QueryError> {
    let lower = value.trim().to_lowercase();
    let col = pos + 1;
    match target {
        Target::Has => match lower.as_str() {
            "attachment" | "attachments" => Ok("attachment".into()),
            "date" => Ok("date".into()),
            "quoted" | "quote" | "quotes" => Ok("quoted".into()),
            _ => err(
                pos,
                format!(
                    "unknown value \"{value}\" for has: at column {col}; \
                     use has:attachment, has:date or has:quoted"
                ),
            ),
        },
        Target::Dkim | Target::Arc => match lower.as_str() {
            "pass" | "fail" | "nokey" | "revoked" | "expired" | "weak" | "none" | "invalid"
            | "unchecked" => Ok(lower),
            "no-key" | "missing" => Ok("nokey".into()),
            _ => err(
                pos,
                format!(
                    "unknown value \"{value}\" for {}: at column {col}; use pass, fail, nokey, \
                     revoked, expired, weak, none, invalid or unchecked",
                    target.name()
                ),
            ),
        },
        Target::Is => match lower.as_str() {
            "embedded" | "attached" | "forwarded" | "quoted" | "reconstructed" => Ok(lower),
            "forward" | "fwd" => Ok("forwarded".into()),
            _ => err(
                pos,
                format!(
                    "unknown value \"{value}\" for is: at column {col}; use is:embedded, \
                     is:attached, is:forwarded, is:quoted or is:reconstructed"
                ),
            ),
        },
        Target::Anomaly => match lower.as_str() {
            "date" => Ok(lower),
            _ => err(
                pos,
                format!("unknown value \"{value}\" for anomaly: at column {col}; use anomaly:date"),
            ),
        },
        Target::Cited => match lower.as_str() {
            "yes" | "true" | "y" => Ok("yes".into()),
            "no" | "false" | "n" => Ok("no".into()),
            _ => err(
                pos,
                format!("cited: at column {col} takes yes or no, not \"{value}\""),
            ),
        },
        _ => match language_code(&lower) {
            Some(code) => Ok(code.to_string()),
            None => err(
                pos,
                format!(
                    "unknown language \"{value}\" at column {col}; use an ISO 639-1 or \
                     639-3 code or an English name, e.g. lang:ru, lang:rus, lang:russian, \
                     or lang:und for messages without letters"
                ),
            ),
        },
    }
}

/// ISO 639-1 codes of the languages whatlang detects, with their 639-3 codes.
const LANGUAGE_CODES: &[(&str, &str)] = &[
    ("af", "afr"),
    ("ak", "aka"),
    ("am", "amh"),
    ("ar", "ara"),
    ("az", "aze"),
    ("be", "bel"),
    ("bg", "bul"),
    ("bn", "ben"),
    ("ca", "cat"),
    ("cs", "ces"),
    ("cy", "cym"),
    ("da", "dan"),
    ("de", "deu"),
    ("el", "ell"),
    ("en", "eng"),
    ("eo", "epo"),
    ("es", "spa"),
    ("et", "est"),
    ("fa", "pes"),
    ("fi", "fin"),
    ("fr", "fra"),
    ("gu", "guj"),
    ("he", "heb"),
    ("hi", "hin"),
    ("hr", "hrv"),
    ("hu", "hun"),
    ("hy", "hye"),
    ("id", "ind"),
    ("it", "ita"),
    ("ja", "jpn"),
    ("jv", "jav"),
    ("ka", "kat"),
    ("km", "khm"),
    ("kn", "kan"),
    ("ko", "kor"),
    ("la", "lat"),
    ("lt", "lit"),
    ("lv", "lav"),
    ("mk", "mkd"),
    ("ml", "mal"),
    ("mr", "mar"),
    ("my", "mya"),
    ("nb", "nob"),
    ("ne", "nep"),
    ("nl", "nld"),
    ("no", "nob"),
    ("or", "ori"),
    ("pa", "pan"),
    ("pl", "pol"),
    ("pt", "por"),
    ("ro", "ron"),
    ("ru", "rus"),
    ("si", "sin"),
    ("sk", "slk"),
    ("sl", "slv"),
    ("sn", "sna"),
    ("sr", "srp"),
    ("sv", "swe"),
    ("ta", "tam"),
    ("te", "tel"),
    ("th", "tha"),
    ("tk", "tuk"),
    ("tl", "tgl"),
    ("tr", "tur"),
    ("uk", "ukr"),
    ("ur", "urd"),
    ("uz", "uzb"),
    ("vi", "vie"),
    ("yi", "yid"),
    ("zh", "cmn"),
    ("zu", "zul"),
];

fn language_code(value: &str) -> Option<&'static str> {
    if value == "und" {
        return Some("und");
    }
    if matches!(value, "zho" | "chi" | "chinese") {
        return Some("cmn");
    }
    if let Some((_, code)) = LANGUAGE_CODES.iter().find(|(short, _)| *short == value) {
        return Some(code);
    }
    let lang = whatlang::Lang::from_code(value).or_else(|| {
        whatlang::Lang::all()
            .iter()
            .copied()
            .find(|l| l.eng_name().eq_ignore_ascii_case(value))
    })?;
    Some(lang.code())
}

// ---------------------------------------------------------------------------
// Dates

#[derive(Debug, Clone, Copy)]
struct DateSpec {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
}

fn bad_date(text: &str, pos: usize, why: &str) -> QueryError {
    QueryError {
        message: format!("bad date \"{text}\" at column {}: {why}", pos + 1),
        position: pos,
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let this = chrono::NaiveDate::from_ymd_opt(year, month, 1);
    match (this, next) {
        (Some(a), Some(b)) => u32::try_from((b - a).num_days()).unwrap_or(31),
        _ => 31,
    }
}

fn parse_date_spec(text: &str, pos: usize) -> Result<DateSpec, QueryError> {
    let format = "expected YYYY, YYYY-MM or YYYY-MM-DD";
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(bad_date(text, pos, format));
    }
    if parts[0].len() != 4 {
        return Err(bad_date(text, pos, "the year must have four digits"));
    }
    let year: i32 = parts[0].parse().map_err(|_| bad_date(text, pos, format))?;
    if year == 0 {
        return Err(bad_date(text, pos, "year must be 0001..9999"));
    }
    let number = |p: &str| -> Result<u32, QueryError> {
        if p.len() > 2 {
            return Err(bad_date(text, pos, format));
        }
        p.parse().map_err(|_| bad_date(text, pos, format))
    };
    let month = match parts.get(1) {
        Some(p) => {
            let m = number(p)?;
            if !(1..=12).contains(&m) {
                return Err(bad_date(text, pos, "month must be 01..12"));
            }
            Some(m)
        }
        None => None,
    };
    let day = match (parts.get(2), month) {
        (Some(p), Some(m)) => {
            let d = number(p)?;
            let max = days_in_month(year, m);
            if d < 1 || d > max {
                return Err(bad_date(text, pos, &format!("day must be 01..{max:02}")));
            }
            Some(d)
        }
        _ => None,
    };
    Ok(DateSpec { year, month, day })
}

fn timestamp(year: i32, month: u32, day: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |dt| dt.and_utc().timestamp())
}

impl DateSpec {
    fn start(self) -> i64 {
        timestamp(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The first second after the period.
    fn end(self) -> i64 {
        match (self.month, self.day) {
            (Some(_), Some(_)) => self.start().saturating_add(86_400),
            (Some(12), None) => timestamp(self.year + 1, 1, 1),
            (Some(m), None) => timestamp(self.year, m + 1, 1),
            (None, _) => timestamp(self.year + 1, 1, 1),
        }
    }
}

fn date_value(field: FieldName, name: &str, value: &str, pos: usize) -> Result<Node, QueryError> {
    let range = match field {
        FieldName::Date => match value.split_once("..") {
            Some((left, right)) => {
                let start = if left.is_empty() {
                    None
                } else {
                    Some(parse_date_spec(left, pos)?.start())
                };
                let right_pos = pos + left.chars().count() + 2;
                let end = if right.is_empty() {
                    None
                } else {
                    Some(parse_date_spec(right, right_pos)?.end())
                };
                if let (Some(s), Some(e)) = (start, end)
                    && s >= e
                {
                    return err(
                        pos,
                        format!(
                            "bad date range \"{value}\" at column {}: the start is after the end",
                            pos + 1
                        ),
                    );
                }
                DateRange { start, end }
            }
            None => {
                let spec = parse_date_spec(value, pos)?;
                DateRange {
                    start: Some(spec.start()),
                    end: Some(spec.end()),
                }
            }
        },
        _ => {
            if value.contains("..") {
                return err(
                    pos,
                    format!(
                        "{name}: at column {} takes one date; for a range write date:FROM..TO",
                        pos + 1
                    ),
                );
            }
            let start = parse_date_spec(value, pos)?.start();
            if field == FieldName::Before {
                DateRange {
                    start: None,
                    end: Some(start),
                }
            } else {
                DateRange {
                    start: Some(start),
                    end: None,
                }
            }
        }
    };
    Ok(Node::Date(range))
}

/// Levenshtein distance on characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------
// Translation to tantivy

/// At most this many dictionary terms are examined per segment, field and
/// language when expanding a word to its inflections.
pub const MAX_EXPANSION_SCAN: usize = 20_000;

/// At most this many inflections are added for one word, field and language.
pub const MAX_EXPANSIONS: usize = 200;

/// The stemmable languages (indexes into [`STEM_LANGUAGES`]) of at least
/// 0.1% of the indexed messages (and at least one), according to the `lang`
/// field. Rarer languages are mostly misdetections; their messages still
/// match words exactly.
pub(crate) fn active_languages(schema: &IndexSchema, searcher: &tantivy::Searcher) -> Vec<usize> {
    let lang = schema.fields().lang;
    let min_docs = (searcher.num_docs() / 1000).max(1);
    STEM_LANGUAGES
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            searcher
                .doc_freq(&Term::from_field_text(lang, l.iso639_3))
                .is_ok_and(|n| n >= min_docs)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Translates a parsed query into a tantivy query for `searcher`'s index.
///
/// Words are analyzed exactly as at indexing time. Stemming happens here: a
/// single word (not a phrase, prefix or fuzzy term) of the subject, own text
/// or quoted text also matches the indexed words that have the same stem in
/// language L, in messages whose `lang` is L, for every stemmable language of
/// at least 0.1% of the messages. Those words are found in `searcher`'s term
/// dictionaries (bounded by [`MAX_EXPANSION_SCAN`] and [`MAX_EXPANSIONS`]).
///
/// Never fails: a word that yields no terms matches nothing.
pub fn to_tantivy(
    query: &Query,
    schema: &IndexSchema,
    searcher: &tantivy::Searcher,
) -> Box<dyn TantivyQuery> {
    let languages = active_languages(schema, searcher);
    to_tantivy_with(query, schema, searcher, &languages)
}

pub(crate) fn to_tantivy_with(
    query: &Query,
    schema: &IndexSchema,
    searcher: &tantivy::Searcher,
    languages: &[usize],
) -> Box<dyn TantivyQuery> {
    let mut t = Translator {
        schema,
        searcher,
        base: base_analyzer(),
        stemmers: languages
            .iter()
            .filter_map(|&i| {
                STEM_LANGUAGES
                    .get(i)
                    .map(|l| (*l, stem_analyzer(l.language)))
            })
            .collect(),
    };
    let q = t.node(&query.root);
    // Messages found inside other messages have documents of their own;
    // they answer only queries that ask for them with `is:`.
    if query.root.mentions(Target::Is) {
        q
    } else {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (
                Occur::MustNot,
                term_query(schema.fields().is, "embedded", IndexRecordOption::Basic),
            ),
        ]))
    }
}

impl Node {
    /// Whether a term of the query targets `target`.
    fn mentions(&self, target: Target) -> bool {
        match self {
            Node::And(c) | Node::Or(c) => c.iter().any(|n| n.mentions(target)),
            Node::Not(n) => n.mentions(target),
            Node::Term(t) => t.target == target,
            Node::Phrase(_) | Node::Date(_) => false,
        }
    }
}

struct Translator<'a> {
    schema: &'a IndexSchema,
    searcher: &'a tantivy::Searcher,
    base: TextAnalyzer,
    /// Stemmers of the languages present in the index.
    stemmers: Vec<(StemLanguage, TextAnalyzer)>,
}

/// The text fields that get stemming.
#[derive(Clone, Copy)]
enum Family {
    Subject,
    Body,
    Quoted,
}

/// Whether `term` is written in a script `lang` stems.
pub(crate) fn stems_script(lang: &StemLanguage, term: &str) -> bool {
    let Some(c) = term.chars().find(|c| c.is_alphabetic()) else {
        return false;
    };
    let c = c as u32;
    match lang.iso639_3 {
        "rus" => (0x0400..=0x052F).contains(&c),
        "ell" => (0x0370..=0x03FF).contains(&c) || (0x1F00..=0x1FFF).contains(&c),
        "ara" => (0x0600..=0x06FF).contains(&c) || (0x0750..=0x077F).contains(&c),
        "tam" => (0x0B80..=0x0BFF).contains(&c),
        _ => c < 0x0250 || (0x1E00..=0x1EFF).contains(&c),
    }
}

/// The prefix every word sharing `stem` is looked for under: the stem minus
/// its last character (Snowball may change a final letter, as in
/// country → countri), or the stem itself when short.
pub(crate) fn expansion_prefix(stem: &str) -> &str {
    let count = stem.chars().count();
    if count < 4 {
        return stem;
    }
    match stem.char_indices().last() {
        Some((i, _)) => &stem[..i],
        None => stem,
    }
}

fn union(mut clauses: Vec<Box<dyn TantivyQuery>>) -> Box<dyn TantivyQuery> {
    match clauses.len() {
        0 => Box::new(EmptyQuery),
        1 => clauses.remove(0),
        _ => Box::new(BooleanQuery::new(
            clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
        )),
    }
}

fn term_query(field: Field, text: &str, record: IndexRecordOption) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn prefix_query(field: Field, prefix: &str) -> Box<dyn TantivyQuery> {
    let lower = Term::from_field_text(field, prefix);
    let upper = Term::from_field_text(field, &format!("{prefix}{}", char::MAX));
    Box::new(InvertedIndexRangeQuery::new(
        std::ops::Bound::Included(lower),
        std::ops::Bound::Included(upper),
    ))
}

fn phrase_query(field: Field, tokens: &[String], slop: u32) -> Box<dyn TantivyQuery> {
    match tokens {
        [] => Box::new(EmptyQuery),
        [one] => term_query(field, one, IndexRecordOption::WithFreqs),
        _ => {
            let terms = tokens
                .iter()
                .enumerate()
                .map(|(i, t)| (i, Term::from_field_text(field, t)))
                .collect();
            Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop))
        }
    }
}

impl Translator<'_> {
    fn node(&mut self, node: &Node) -> Box<dyn TantivyQuery> {
        match node {
            Node::And(children) => {
                let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
                for child in children {
                    match child {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.node(inner))),
                        _ => clauses.push((Occur::Must, self.node(child))),
                    }
                }
                if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Or(children) => union(children.iter().map(|c| self.node(c)).collect()),
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.node(inner)),
            ])),
            Node::Term(t) => self.term(t),
            Node::Phrase(p) => self.phrase(p),
            Node::Date(range) => self.date(range),
        }
    }

    fn family_field(&self, family: Family) -> Field {
        let f = self.schema.fields();
        match family {
            Family::Subject => f.subject,
            Family::Body => f.body,
            Family::Quoted => f.quoted,
        }
    }

    /// Clauses for a word on an unstemmed text field.
    fn word_on(&self, field: Field, tokens: &[String], kind: TermKind) -> Box<dyn TantivyQuery> {
        match (kind, tokens) {
            (_, []) => Box::new(EmptyQuery),
            (TermKind::Exact, _) => phrase_query(field, tokens, 0),
            (TermKind::Prefix, [one]) => prefix_query(field, one),
            (TermKind::Prefix, _) => {
                let terms = tokens
                    .iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect();
                let mut q = PhrasePrefixQuery::new(terms);
                q.set_max_expansions(1000);
                Box::new(q)
            }
            (TermKind::Fuzzy(d), [one]) => Box::new(FuzzyTermQuery::new(
                Term::from_field_text(field, one),
                d,
                true,
            )),
            (TermKind::Fuzzy(_), _) => phrase_query(field, tokens, 0),
        }
    }

    /// The indexed words of `fields` that share `token`'s stem in the
    /// stemmer's language (without `token` itself), as `(field, word)`.
    fn expansions(
        searcher: &tantivy::Searcher,
        stemmer: &mut TextAnalyzer,
        fields: &[Field],
        token: &str,
        stem: &str,
    ) -> Vec<(Field, String)> {
        let prefix = expansion_prefix(stem);
        let end = format!("{prefix}{}", char::MAX);
        let mut found = std::collections::BTreeSet::new();
        // Verdicts are shared by all fields and segments: stemming dominates.
        let mut verdicts: HashMap<String, bool> = HashMap::new();
        for &field in fields {
            let mut for_field = 0;
            for segment in searcher.segment_readers() {
                let Ok(inverted) = segment.inverted_index(field) else {
                    continue;
                };
                let Ok(mut stream) = inverted
                    .terms()
                    .range()
                    .ge(prefix.as_bytes())
                    .le(end.as_bytes())
                    .into_stream()
                else {
                    continue;
                };
                let mut scanned = 0;
                while stream.advance() && scanned < MAX_EXPANSION_SCAN {
                    scanned += 1;
                    let Ok(term) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if term == token {
                        continue;
                    }
                    let matches = match verdicts.get(term) {
                        Some(v) => *v,
                        None => {
                            let v = stem_term(stemmer, term).as_deref() == Some(stem);
                            verdicts.insert(term.to_string(), v);
                            v
                        }
                    };
                    if matches
                        && for_field < MAX_EXPANSIONS
                        && found.insert((field, term.to_string()))
                    {
                        for_field += 1;
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    /// Clauses for a word on text-field families: the word itself on each,
    /// and for single exact words, its inflections in each language present,
    /// limited to messages in that language.
    fn family_word(
        &mut self,
        families: &[Family],
        tokens: &[String],
        kind: TermKind,
        out: &mut Vec<Box<dyn TantivyQuery>>,
    ) {
        for family in families {
            out.push(self.word_on(self.family_field(*family), tokens, kind));
        }
        let ([token], TermKind::Exact) = (tokens, kind) else {
            return;
        };
        if token.chars().count() < 3 || !token.chars().any(char::is_alphabetic) {
            return;
        }
        let fields: Vec<Field> = families.iter().map(|f| self.family_field(*f)).collect();
        let lang_field = self.schema.fields().lang;
        for (lang, stemmer) in &mut self.stemmers {
            if !stems_script(lang, token) {
                continue;
            }
            let Some(stem) = stem_term(stemmer, token) else {
                continue;
            };
            let inflections: Vec<Box<dyn TantivyQuery>> =
                Self::expansions(self.searcher, stemmer, &fields, token, &stem)
                    .into_iter()
                    .map(|(field, word)| term_query(field, &word, IndexRecordOption::WithFreqs))
                    .collect();
            if !inflections.is_empty() {
                out.push(Box::new(BooleanQuery::new(vec![
                    // A filter: the language adds nothing to the score.
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(
                            term_query(lang_field, lang.iso639_3, IndexRecordOption::Basic),
                            0.0,
                        )),
                    ),
                    (Occur::Must, union(inflections)),
                ])));
            }
        }
    }

    fn party_fields(&self, target: Target) -> Option<(Field, Field)> {
        let f = self.schema.fields();
        match target {
            Target::From => Some((f.from, f.from_addr)),
            Target::To => Some((f.to, f.to_addr)),
            Target::Cc => Some((f.cc, f.cc_addr)),
            Target::Bcc => Some((f.bcc, f.bcc_addr)),
            _ => None,
        }
    }

    /// Exact-address clauses for a value containing `@`.
    fn address_word(&self, addr_field: Field, text: &str, kind: TermKind) -> Box<dyn TantivyQuery> {
        let value = if text.trim_start().starts_with('@') {
            normalize_domain(text)
        } else {
            normalize_address(text)
        };
        match kind {
            TermKind::Prefix => prefix_query(addr_field, &value),
            _ => term_query(addr_field, &value, IndexRecordOption::Basic),
        }
    }

    fn term(&mut self, t: &TermNode) -> Box<dyn TantivyQuery> {
        let f = self.schema.fields();
        let text = t.text.as_str();
        match t.target {
            Target::Any | Target::Subject | Target::Body | Target::Quoted => {
                let tokens = analyze(&mut self.base, text);
                let families: &[Family] = match t.target {
                    Target::Subject => &[Family::Subject],
                    Target::Body => &[Family::Body],
                    Target::Quoted => &[Family::Quoted],
                    _ => &[Family::Subject, Family::Body, Family::Quoted],
                };
                let mut clauses = Vec::new();
                self.family_word(families, &tokens, t.kind, &mut clauses);
                if t.target == Target::Any {
                    for field in [f.attachment, f.content, f.from, f.to, f.cc, f.bcc] {
                        clauses.push(self.word_on(field, &tokens, t.kind));
                    }
                    if text.contains('@') {
                        for field in [f.from_addr, f.to_addr, f.cc_addr, f.bcc_addr] {
                            clauses.push(self.address_word(field, text, t.kind));
                        }
                    }
                }
                union(clauses)
            }
            Target::Attachment => {
                let tokens = analyze(&mut self.base, text);
                self.word_on(f.attachment, &tokens, t.kind)
            }
            Target::Content => {
                let tokens = analyze(&mut self.base, text);
                self.word_on(f.content, &tokens, t.kind)
            }
            Target::From | Target::To | Target::Cc | Target::Bcc => {
                let Some((text_field, addr_field)) = self.party_fields(t.target) else {
                    return Box::new(EmptyQuery);
                };
                let mut clauses = Vec::new();
                if text.contains('@') {
                    clauses.push(self.address_word(addr_field, text, t.kind));
                }
                if !text.trim_start().starts_with('@') {
                    let tokens = analyze(&mut self.base, text);
                    clauses.push(self.word_on(text_field, &tokens, t.kind));
                }
                union(clauses)
            }
            Target::Type => self.type_term(t),
            Target::Id => {
                let value = normalize_message_id(text);
                let is_hex = value.len() >= 8
                    && value.len() <= 64
                    && value.chars().all(|c| c.is_ascii_hexdigit());
                let mut clauses = Vec::new();
                match t.kind {
                    TermKind::Prefix => {
                        clauses.push(prefix_query(f.message_id, &value));
                        if is_hex {
                            clauses.push(prefix_query(f.id, &value));
                        }
                    }
                    _ => {
                        clauses.push(term_query(f.message_id, &value, IndexRecordOption::Basic));
                        if is_hex && value.len() == 64 {
                            clauses.push(term_query(f.id, &value, IndexRecordOption::Basic));
                        } else if is_hex {
                            clauses.push(prefix_query(f.id, &value));
                        }
                    }
                }
                union(clauses)
            }
            Target::Source => {
                let value = text.trim().to_lowercase();
                let tokens = analyze(&mut self.base, text);
                let raw = match t.kind {
                    TermKind::Prefix => prefix_query(f.source, &value),
                    _ => term_query(f.source, &value, IndexRecordOption::Basic),
                };
                union(vec![raw, self.word_on(f.source_text, &tokens, t.kind)])
            }
            Target::Folder => {
                let value = text.trim().trim_matches(['/', '\\']).to_lowercase();
                self.raw_term(f.folder, &value, t.kind)
            }
            Target::Thread => self.raw_term(f.thread, &text.trim().to_lowercase(), t.kind),
            Target::Article => self.raw_term(f.article, &text.trim().to_lowercase(), t.kind),
            Target::Has => term_query(f.has, text, IndexRecordOption::Basic),
            Target::Lang => term_query(f.lang, text, IndexRecordOption::Basic),
            Target::Cited => term_query(f.cited, text, IndexRecordOption::Basic),
            Target::Dkim => term_query(f.dkim, text, IndexRecordOption::Basic),
            Target::Arc => term_query(f.arc, text, IndexRecordOption::Basic),
            Target::Anomaly => term_query(f.anomaly, text, IndexRecordOption::Basic),
            Target::Is => term_query(f.is, text, IndexRecordOption::Basic),
            Target::DkimDomain => self.raw_term(
                f.dkim_domain,
                &text.trim().trim_matches('.').to_lowercase(),
                t.kind,
            ),
        }
    }

    fn raw_term(&self, field: Field, value: &str, kind: TermKind) -> Box<dyn TantivyQuery> {
        match kind {
            TermKind::Prefix => prefix_query(field, value),
            _ => term_query(field, value, IndexRecordOption::Basic),
        }
    }

    fn type_term(&self, t: &TermNode) -> Box<dyn TantivyQuery> {
        let field = self.schema.fields().mime_type;
        let mut value = t.text.trim().to_lowercase();
        if let Some(major) = value.strip_suffix("/*") {
            value = major.to_string();
        }
        if t.kind == TermKind::Prefix {
            return prefix_query(field, &value);
        }
        let aliases: &[&str] = match value.as_str() {
            "word" => &["doc", "docx", "odt", "rtf"],
            "excel" => &["xls", "xlsx", "ods", "csv"],
            "powerpoint" => &["ppt", "pptx", "odp"],
            "spreadsheet" => &["xls", "xlsx", "ods", "csv"],
            "jpeg" => &["jpg"],
            "archive" => &["zip", "rar", "7z", "gz", "tar", "tgz"],
            "calendar" => &["ics"],
            "email" | "message" => &["eml", "message/rfc822", "msg"],
            _ => &[],
        };
        let mut clauses = vec![term_query(field, &value, IndexRecordOption::Basic)];
        for alias in aliases {
            clauses.push(term_query(field, alias, IndexRecordOption::Basic));
        }
        union(clauses)
    }

    fn phrase(&mut self, p: &PhraseNode) -> Box<dyn TantivyQuery> {
        let f = self.schema.fields();
        let tokens = analyze(&mut self.base, &p.text);
        let fields: Vec<Field> = match p.target {
            Target::Any => vec![
                f.subject,
                f.body,
                f.quoted,
                f.attachment,
                f.content,
                f.from,
                f.to,
                f.cc,
                f.bcc,
            ],
            Target::Content => vec![f.content],
            Target::Subject => vec![f.subject],
            Target::Body => vec![f.body],
            Target::Quoted => vec![f.quoted],
            Target::Attachment => vec![f.attachment],
            Target::From => vec![f.from],
            Target::To => vec![f.to],
            Target::Cc => vec![f.cc],
            Target::Bcc => vec![f.bcc],
            // Phrases on exact-value fields became terms in the parser.
            _ => Vec::new(),
        };
        let mut clauses: Vec<Box<dyn TantivyQuery>> = fields
            .into_iter()
            .map(|field| phrase_query(field, &tokens, p.slop))
            .collect();
        let single_address = p.text.contains('@') && !p.text.trim().contains(char::is_whitespace);
        if single_address {
            let addr_fields = match self.party_fields(p.target) {
                Some((_, addr)) => vec![addr],
                None if p.target == Target::Any => {
                    vec![f.from_addr, f.to_addr, f.cc_addr, f.bcc_addr]
                }
                None => Vec::new(),
            };
            for field in addr_fields {
                clauses.push(self.address_word(field, p.text.trim(), TermKind::Exact));
            }
        }
        union(clauses)
    }

    fn date(&self, range: &DateRange) -> Box<dyn TantivyQuery> {
        let f = self.schema.fields();
        let bound = |secs: Option<i64>, inclusive: bool| match secs {
            None => std::ops::Bound::Unbounded,
            Some(s) => {
                let term = Term::from_field_date(f.date, to_tantivy_date(s));
                if inclusive {
                    std::ops::Bound::Included(term)
                } else {
                    std::ops::Bound::Excluded(term)
                }
            }
        };
        match (range.start, range.end) {
            (None, None) => term_query(f.has, "date", IndexRecordOption::Basic),
            (start, end) => Box::new(RangeQuery::new(bound(start, true), bound(end, false))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(q: &str) -> String {
        match parse(q) {
            Ok(q) => q.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    fn error(q: &str) -> (String, usize) {
        match parse(q) {
            Ok(q) => panic!("expected an error for {q:?}, got {q}"),
            Err(e) => (e.message, e.position),
        }
    }

    #[test]
    fn words_phrases_and_operators() {
        assert_eq!(canon("budget"), "budget");
        assert_eq!(canon("budget report"), "(budget AND report)");
        assert_eq!(canon("budget AND report"), "(budget AND report)");
        assert_eq!(canon("a b OR c"), "(a AND (b OR c))");
        assert_eq!(canon("a | b | c"), "(a OR b OR c)");
        assert_eq!(canon("-draft budget"), "(-draft AND budget)");
        assert_eq!(canon("NOT draft"), "-draft");
        assert_eq!(canon("(a OR b) c"), "((a OR b) AND c)");
        assert_eq!(
            canon("\"active countermeasures\"~2"),
            "\"active countermeasures\"~2"
        );
        assert_eq!(canon("e-mail"), "e-mail");
        assert_eq!(canon("or and not"), "(or AND and AND not)");
    }

    #[test]
    fn prefix_and_fuzzy_suffixes() {
        assert_eq!(canon("countermeas*"), "countermeas*");
        assert_eq!(canon("lubianka~"), "lubianka~1");
        assert_eq!(canon("lubianka~2"), "lubianka~2");
        assert_eq!(canon("lubianka~0"), "lubianka");
    }

    #[test]
    fn fields_words_phrases_and_groups() {
        assert_eq!(canon("from:alice"), "from:alice");
        assert_eq!(canon("From:@Example.org"), "from:@Example.org");
        assert_eq!(
            canon("subject:\"weekly report\""),
            "subject:\"weekly report\""
        );
        assert_eq!(canon("from:(alice OR bob)"), "(from:alice OR from:bob)");
        assert_eq!(canon("from:(alice to:bob)"), "(from:alice AND to:bob)");
        assert_eq!(canon("has:Attachments"), "has:attachment");
        assert_eq!(
            canon("lang:ru lang:rus lang:Russian"),
            "(lang:rus AND lang:rus AND lang:rus)"
        );
        assert_eq!(canon("cited:YES"), "cited:yes");
        assert_eq!(canon("folder:\"Sent Items\""), "folder:Sent Items");
        assert_eq!(canon("id:<a@b>"), "id:<a@b>");
        assert_eq!(canon("10:30"), "10:30");
    }

    #[test]
    fn dates() {
        assert_eq!(
            canon("date:2009"),
            "date:[2009-01-01T00:00:00Z..2010-01-01T00:00:00Z)"
        );
        assert_eq!(
            canon("date:2009-07"),
            "date:[2009-07-01T00:00:00Z..2009-08-01T00:00:00Z)"
        );
        assert_eq!(
            canon("date:2009-12"),
            "date:[2009-12-01T00:00:00Z..2010-01-01T00:00:00Z)"
        );
        assert_eq!(
            canon("date:2009-07-15"),
            "date:[2009-07-15T00:00:00Z..2009-07-16T00:00:00Z)"
        );
        assert_eq!(
            canon("date:2009-01..2009-06-30"),
            "date:[2009-01-01T00:00:00Z..2009-07-01T00:00:00Z)"
        );
        assert_eq!(canon("date:..2009-06"), "date:[..2009-07-01T00:00:00Z)");
        assert_eq!(canon("date:2009-01.."), "date:[2009-01-01T00:00:00Z..)");
        assert_eq!(canon("date:.."), "date:[..)");
        assert_eq!(canon("before:2009-07-15"), "date:[..2009-07-15T00:00:00Z)");
        assert_eq!(canon("after:2009-07-15"), "date:[2009-07-15T00:00:00Z..)");
        assert_eq!(
            canon("date:2008-02-29"),
            "date:[2008-02-29T00:00:00Z..2008-03-01T00:00:00Z)"
        );
    }

    #[test]
    fn error_messages_name_the_column() {
        let (m, p) = error("frm:alice");
        assert!(m.starts_with("unknown field \"frm:\" at column 1 (did you mean \"from:\"?); known fields: from, to, cc, bcc, subject,"), "{m}");
        assert_eq!(p, 0);
        assert_eq!(
            error("budget \"weekly report"),
            ("unclosed quote starting at column 8".into(), 7)
        );
        assert_eq!(error(""), ("empty query".into(), 0));
        assert_eq!(error("   "), ("empty query".into(), 0));
        assert_eq!(
            error("date:2009-13"),
            (
                "bad date \"2009-13\" at column 6: month must be 01..12".into(),
                5
            )
        );
        assert_eq!(
            error("date:2009-02-30"),
            (
                "bad date \"2009-02-30\" at column 6: day must be 01..28".into(),
                5
            )
        );
        assert_eq!(
            error("date:2010..2009-13"),
            (
                "bad date \"2009-13\" at column 12: month must be 01..12".into(),
                11
            )
        );
        assert_eq!(
            error("date:09"),
            (
                "bad date \"09\" at column 6: the year must have four digits".into(),
                5
            )
        );
        assert_eq!(
            error("date:2009/07"),
            (
                "bad date \"2009/07\" at column 6: expected YYYY, YYYY-MM or YYYY-MM-DD".into(),
                5
            )
        );
        assert_eq!(
            error("date:2010..2009"),
            (
                "bad date range \"2010..2009\" at column 6: the start is after the end".into(),
                5
            )
        );
        assert_eq!(
            error("(budget OR report"),
            (
                "unbalanced parenthesis: \"(\" at column 1 is never closed".into(),
                0
            )
        );
        assert_eq!(
            error("budget)"),
            (
                "unbalanced parenthesis: \")\" at column 7 has no matching \"(\"".into(),
                6
            )
        );
        assert_eq!(error("a ()"), ("empty parentheses at column 3".into(), 2));
        assert_eq!(
            error("OR a"),
            ("OR at column 1 needs a search term on its left".into(), 0)
        );
        assert_eq!(
            error("a OR"),
            ("OR at column 3 needs a search term on its right".into(), 2)
        );
        assert_eq!(
            error("a AND"),
            ("AND at column 3 needs search terms on both sides".into(), 2)
        );
        assert_eq!(
            error("NOT"),
            ("NOT at column 1 needs a search term after it".into(), 0)
        );
        assert_eq!(
            error("word~3"),
            (
                "fuzzy distance in \"word~3\" at column 1 must be 1 or 2".into(),
                0
            )
        );
        assert_eq!(
            error("has:money"),
            (
                "unknown value \"money\" for has: at column 5; use has:attachment, has:date or has:quoted"
                    .into(),
                4
            )
        );
        assert_eq!(
            error("cited:maybe"),
            (
                "cited: at column 7 takes yes or no, not \"maybe\"".into(),
                6
            )
        );
        assert!(
            error("lang:klingon")
                .0
                .starts_with("unknown language \"klingon\" at column 6")
        );
        assert!(
            error("from: alice")
                .0
                .starts_with("missing value after \"from:\" at column 1")
        );
        assert_eq!(
            error("before:2009..2010"),
            (
                "before: at column 8 takes one date; for a range write date:FROM..TO".into(),
                7
            )
        );
        assert_eq!(
            error("date:\"2009\""),
            (
                "date: at column 6 takes a date such as 2009-07-15, not a phrase".into(),
                5
            )
        );
        assert_eq!(
            error("&&"),
            (
                "nothing to search for: the query has no letters or digits".into(),
                0
            )
        );
        assert_eq!(
            error("subject:!!"),
            ("nothing to search for in \"!!\" at column 9".into(), 8)
        );
        assert_eq!(
            error("*"),
            (
                "\"*\" at column 1 must follow the beginning of a word".into(),
                0
            )
        );
    }

    #[test]
    fn punctuation_only_words_are_ignored() {
        assert_eq!(canon("budget & report"), "(budget AND report)");
        assert_eq!(canon("budget - report"), "(budget AND report)");
    }

    #[test]
    fn highlight_terms_skip_negations_and_metadata() {
        let q = parse("budget \"active countermeasures\" -draft from:alice body:plan* date:2009")
            .expect("valid");
        let terms: Vec<(String, TermKind, bool)> = q
            .highlight_terms()
            .into_iter()
            .map(|t| (t.text, t.kind, t.stemmed))
            .collect();
        assert_eq!(
            terms,
            [
                ("budget".to_string(), TermKind::Exact, true),
                ("active countermeasures".to_string(), TermKind::Exact, false),
                ("plan".to_string(), TermKind::Prefix, false),
            ]
        );
    }

    #[test]
    fn parser_never_panics() {
        let samples = [
            "(",
            ")",
            "\"",
            "-",
            "--",
            "-(",
            "a:",
            "a:(",
            "from:(",
            "from:()",
            "((((a",
            "a))))",
            "~",
            "~1",
            "a~~",
            "*a",
            "a**",
            "date:",
            "date:..",
            "date:...",
            "date:-1",
            "date:9999-12",
            "date:0001",
            "id:",
            "id:<>",
            "type:/*",
            "NOT NOT a",
            "- -a",
            "a OR OR b",
            "| a",
            "lang:",
            "from:@",
            "subject:\"\"",
            "\"\"",
            "\"a\"~",
            "\"a\"~99999999999999",
            "é:x",
            "x:y:z",
            "AND",
            "OR",
            "(a OR) b",
            "a (OR b)",
            "東京都",
            "date:2009-1-1",
        ];
        for s in samples {
            let _ = parse(s);
        }
        // Every prefix of a complex query.
        let q = "from:(alice OR @example.org) subject:\"weekly report\"~2 -draft date:2009-01..2009-06 lubi* x~2";
        for (i, _) in q.char_indices() {
            let _ = parse(&q[..i]);
        }
    }

    #[test]
    fn translation_never_panics() {
        let schema = IndexSchema::new();
        let index = tantivy::Index::create_in_ram(schema.schema().clone());
        crate::analyzers::register(index.tokenizers());
        let searcher = index.reader().expect("reader").searcher();
        for s in [
            "a",
            "e-mail",
            "東京都",
            "from:alice@example.org",
            "from:@example.org",
            "id:0123abcd",
            "id:<X@Y>",
            "type:pdf",
            "type:image/*",
            "date:..",
            "-a",
            "a OR -b",
            "source:/a/b.mbox",
            "e-mai*",
            "e-mail~1",
            "\"a\"",
            "folder:inbox*",
            "\"alice@example.org\"",
        ] {
            let q = parse(s).expect(s);
            let _ = to_tantivy(&q, &schema, &searcher);
        }
    }

    #[test]
    fn expansion_prefixes_and_scripts() {
        assert_eq!(expansion_prefix("countri"), "countr");
        assert_eq!(expansion_prefix("run"), "run");
        assert_eq!(expansion_prefix("контрмер"), "контрме");
        let en = STEM_LANGUAGES[0];
        let ru = STEM_LANGUAGES[1];
        assert!(stems_script(&en, "resume") && !stems_script(&en, "контрмеры"));
        assert!(stems_script(&ru, "контрмеры") && !stems_script(&ru, "resume"));
        assert!(!stems_script(&en, "東京"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("frm", "from"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
