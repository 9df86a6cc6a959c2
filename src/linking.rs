//! Linking articles to the messages they quote: candidate messages come from
//! the search index (phrases of the quote, then its distinctive words), each
//! is verified on its decoded text with the citation matcher, and the best
//! source is chosen: the best match (on word boundaries before one cutting a
//! word), then the message where the passage is its own text (not quoted
//! from another), earliest first; the others are listed as also containing
//! it.

use anyhow::Context as _;
use mailcite_archive::archive::Archive;
use mailcite_archive::articles::NewCitation;
use mailcite_archive::catalog::MessageRow;
use mailcite_archive::citation::{self, PassageMatch};
use mailcite_archive::message::parse_message;
use mailcite_index::{SearchOptions, Searcher, Sort};
use std::collections::HashMap;

/// How many candidate messages the index is asked for per quote.
const CANDIDATES: usize = 200;

/// Decoded texts of messages, read once per run.
pub struct Texts<'a> {
    archive: &'a Archive,
    cache: HashMap<i64, (MessageRow, String)>,
}

impl<'a> Texts<'a> {
    /// An empty cache over `archive`.
    pub fn new(archive: &'a Archive) -> Self {
        Texts {
            archive,
            cache: HashMap::new(),
        }
    }

    /// The message row and decoded text of `key`.
    pub fn get(&mut self, key: i64) -> anyhow::Result<&(MessageRow, String)> {
        if !self.cache.contains_key(&key) {
            let m = self.archive.message(key)?;
            let raw = self.archive.raw(&m)?;
            let text = parse_message(&raw).text;
            self.cache.insert(key, (m, text));
        }
        self.cache.get(&key).context("message cache")
    }
}

/// Character offset of byte offset `b` in `s`.
pub fn char_offset(s: &str, b: usize) -> u64 {
    s.get(..b).map(|p| p.chars().count()).unwrap_or(0) as u64
}

/// One source found for a quote.
struct Found {
    key: i64,
    sha: String,
    m: PassageMatch,
    /// The passage starts and ends on word boundaries of the message.
    whole_words: bool,
    own: bool,
    date: i64,
}

impl Found {
    fn new(key: i64, row: &MessageRow, text: &str, m: PassageMatch) -> Found {
        Found {
            key,
            sha: row.id.to_hex(),
            whole_words: on_word_boundaries(text, m.start, m.end),
            own: !citation::is_quoted_in(text, m.start),
            date: row.date_utc.unwrap_or(i64::MAX),
            m,
        }
    }
}

/// Whether `text[start..end]` neither starts nor ends inside a word: an
/// exact or normalized match of "Timmy May" in "Timmy Maypole" does not. In
/// scripts written without spaces every character is a word.
fn on_word_boundaries(text: &str, start: usize, end: usize) -> bool {
    let letter = |c: Option<char>| {
        c.is_some_and(|c| c.is_alphanumeric() && !citation::normalize::is_unspaced_script(c))
    };
    let (Some(before), Some(passage), Some(after)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return true;
    };
    let cut_start = letter(before.chars().next_back()) && letter(passage.chars().next());
    let cut_end = letter(passage.chars().next_back()) && letter(after.chars().next());
    !cut_start && !cut_end
}

fn method_name(m: &PassageMatch) -> &'static str {
    match m.method {
        citation::Method::Exact => "exact",
        citation::Method::Normalized => "normalized",
        citation::Method::Fuzzy => "fuzzy",
    }
}

/// Words per phrase query.
const PHRASE_WORDS: usize = 8;
/// Fewest words in a phrase query.
const PHRASE_MIN_WORDS: usize = 4;
/// At most this many phrase queries per quote.
const PHRASES: usize = 3;
/// How many candidate messages each phrase query is asked for, oldest first.
const PHRASE_CANDIDATES: usize = 100;

/// Runs of consecutive words of a quote to look up as phrases: the quote is
/// cut at elisions (`...`, `…`) and at bracketed insertions (`[T]he`, a
/// bracket inside a word, keeps its letters), each part into windows of up to
/// [`PHRASE_WORDS`] words (a short tail becomes the part's last full window);
/// windows shorter than [`PHRASE_MIN_WORDS`] are dropped, and of the others
/// the [`PHRASES`] with the most letters are kept.
/// Words are runs of letters and digits, as in the index.
fn phrases(quote: &str) -> Vec<String> {
    let chars: Vec<char> = quote.chars().collect();
    let mut parts: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let end_word = |parts: &mut Vec<Vec<String>>, word: &mut String| {
        if !word.is_empty()
            && let Some(part) = parts.last_mut()
        {
            part.push(std::mem::take(word));
        }
    };
    let cut = |parts: &mut Vec<Vec<String>>, word: &mut String| {
        end_word(parts, word);
        if parts.last().is_some_and(|p| !p.is_empty()) {
            parts.push(Vec::new());
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            // Within 200 characters, so that a hostile quote stays linear.
            let close = chars[i + 1..]
                .iter()
                .take(200)
                .position(|&c| c == ']')
                .map(|k| i + 1 + k);
            if let Some(close) = close {
                let inner = &chars[i + 1..close];
                let in_word = !inner.is_empty()
                    && inner.iter().all(|c| c.is_alphanumeric())
                    && chars.get(close + 1).is_some_and(|c| c.is_alphanumeric());
                if in_word {
                    word.extend(inner);
                } else {
                    cut(&mut parts, &mut word);
                }
                i = close + 1;
                continue;
            }
        }
        let elision = c == '…' || (c == '.' && chars.get(i + 1..i + 3) == Some(&['.', '.']));
        if elision {
            cut(&mut parts, &mut word);
            while i < chars.len() && matches!(chars[i], '.' | '…') {
                i += 1;
            }
            continue;
        }
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            end_word(&mut parts, &mut word);
        }
        i += 1;
    }
    cut(&mut parts, &mut word);
    let mut windows: Vec<(usize, usize, String)> = Vec::new();
    for part in &parts {
        for (n, mut chunk) in part.chunks(PHRASE_WORDS).enumerate() {
            if chunk.len() < PHRASE_MIN_WORDS && n > 0 {
                // A short tail: the last full window instead.
                chunk = &part[part.len() - PHRASE_WORDS..];
            }
            if chunk.len() >= PHRASE_MIN_WORDS {
                let letters = chunk.iter().map(|w| w.chars().count()).sum();
                windows.push((letters, windows.len(), chunk.join(" ")));
            }
        }
    }
    windows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    windows.into_iter().take(PHRASES).map(|w| w.2).collect()
}

/// Candidate messages for a quote: the messages containing runs of its words
/// as phrases ([`phrases`]; oldest first, so that the original of a passage
/// quoted in many replies is among them), then the best matches of its most
/// distinctive words, all together, then (if that finds nothing) fewer. The
/// phrases find the source of a quote made of common words, which the words
/// alone rank too low; the words find edited quotes, which no phrase matches.
fn candidates(searcher: &Searcher, quote: &str) -> anyhow::Result<Vec<i64>> {
    let mut keys: Vec<i64> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let phrase_opts = SearchOptions {
        sort: Sort::DateAsc,
        limit: PHRASE_CANDIDATES,
        ..Default::default()
    };
    for phrase in phrases(quote) {
        let Ok(res) = searcher.search(&format!("\"{phrase}\""), &phrase_opts) else {
            continue;
        };
        for h in res.hits {
            if seen.insert(h.key as i64) {
                keys.push(h.key as i64);
            }
        }
    }
    for key in term_candidates(searcher, quote)? {
        if seen.insert(key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Candidate messages for a quote from its most distinctive words.
fn term_candidates(searcher: &Searcher, quote: &str) -> anyhow::Result<Vec<i64>> {
    let terms: Vec<String> = citation::search_terms(quote)
        .into_iter()
        .map(|t| {
            t.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let opts = SearchOptions {
        sort: Sort::Relevance,
        limit: CANDIDATES,
        ..Default::default()
    };
    let mut n = terms.len();
    while n > 0 {
        let q = terms[..n]
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" ");
        let res = searcher.search(&q, &opts)?;
        if res.total > 0 {
            return Ok(res.hits.iter().map(|h| h.key as i64).collect());
        }
        n = n.saturating_sub(if n > 2 { 2 } else { 1 });
    }
    Ok(Vec::new())
}

/// Finds the sources of one quote. `None` when no message contains it.
pub fn cite_quote(
    searcher: &Searcher,
    texts: &mut Texts<'_>,
    quote: &str,
    min_score: f32,
) -> anyhow::Result<Option<NewCitation>> {
    let mut found = Vec::new();
    for key in candidates(searcher, quote)? {
        let (row, text) = texts.get(key)?;
        if let Some(m) = citation::find_passage(quote, text, min_score) {
            found.push(Found::new(key, row, text, m));
        }
    }
    choose(found, quote, texts)
}

fn choose(
    mut found: Vec<Found>,
    quote: &str,
    texts: &mut Texts<'_>,
) -> anyhow::Result<Option<NewCitation>> {
    if found.is_empty() {
        return Ok(None);
    }
    // Best match quality first (a passage on word boundaries before one
    // that cuts a word), then the message's own text, then earliest.
    found.sort_by(|a, b| {
        b.m.score
            .partial_cmp(&a.m.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.whole_words.cmp(&a.whole_words))
            .then(b.own.cmp(&a.own))
            .then(a.date.cmp(&b.date))
            .then(a.key.cmp(&b.key))
    });
    let best = &found[0];
    let also_in = found[1..].iter().map(|f| f.sha.clone()).collect();
    let (_, text) = texts.get(best.key)?;
    Ok(Some(NewCitation {
        message: best.key,
        quote: quote.to_string(),
        passage: best.m.passage.clone(),
        start_char: char_offset(text, best.m.start),
        end_char: char_offset(text, best.m.end),
        method: method_name(&best.m).into(),
        score: best.m.score,
        manual: false,
        own_text: best.own,
        also_in,
    }))
}

/// Verifies a passage given by hand against one message: the citation, or
/// `None` when the passage is not in the message.
pub fn cite_manual(
    texts: &mut Texts<'_>,
    key: i64,
    passage: &str,
) -> anyhow::Result<Option<NewCitation>> {
    let (_, text) = texts.get(key)?;
    // By hand, the passage must be in the message as given: only the
    // differences normalization absorbs (case, white space and wrapping,
    // quote marks, dashes, `> ` prefixes) are allowed, no fuzzy match.
    let Some(m) = citation::find_passage(passage, text, 1.0)
        .filter(|m| !matches!(m.method, citation::Method::Fuzzy))
    else {
        return Ok(None);
    };
    Ok(Some(NewCitation {
        message: key,
        quote: passage.to_string(),
        passage: m.passage.clone(),
        start_char: char_offset(text, m.start),
        end_char: char_offset(text, m.end),
        method: "manual".into(),
        score: m.score,
        manual: true,
        own_text: !citation::is_quoted_in(text, m.start),
        also_in: Vec::new(),
    }))
}

/// Unmarked verbatim runs of at least `min_words` words that the article
/// shares with a message, outside the ranges already cited. Candidate
/// messages come from phrase queries on windows of the article.
pub fn verbatim_runs(
    searcher: &Searcher,
    texts: &mut Texts<'_>,
    article: &str,
    covered: &[std::ops::Range<usize>],
    min_words: usize,
) -> anyhow::Result<Vec<NewCitation>> {
    let words: Vec<(usize, &str)> = article
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - article.as_ptr() as usize, w))
        .collect();
    let mut keys: Vec<i64> = Vec::new();
    let opts = SearchOptions {
        sort: Sort::Relevance,
        limit: 50,
        ..Default::default()
    };
    // Phrase queries of half a run, stepping by half a run: every run of
    // `min_words` words, wherever it starts, contains one whole window, so
    // its message becomes a candidate; `shared_runs` then checks the length.
    let window = (min_words / 2).max(2);
    let step = window;
    let mut i = 0;
    while i + window <= words.len() {
        let start = words[i].0;
        if !covered.iter().any(|r| r.contains(&start)) {
            let phrase: Vec<String> = words[i..i + window]
                .iter()
                .map(|(_, w)| {
                    w.chars()
                        .filter(|c| c.is_alphanumeric())
                        .collect::<String>()
                })
                .filter(|w| !w.is_empty())
                .collect();
            if phrase.len() == window {
                let q = format!("\"{}\"", phrase.join(" "));
                if let Ok(res) = searcher.search(&q, &opts) {
                    for h in res.hits {
                        if !keys.contains(&(h.key as i64)) {
                            keys.push(h.key as i64);
                        }
                    }
                }
            }
        }
        i += step;
    }
    let mut runs: Vec<(std::ops::Range<usize>, Found)> = Vec::new();
    for key in keys {
        let (row, text) = texts.get(key)?;
        for (range, m) in citation::shared_runs(article, text, min_words, covered) {
            if covered
                .iter()
                .any(|c| c.start < range.end && range.start < c.end)
            {
                continue;
            }
            runs.push((range, Found::new(key, row, text, m)));
        }
    }
    // Group runs by article range; one citation per range.
    runs.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
    let mut out = Vec::new();
    let mut group: Vec<Found> = Vec::new();
    let mut range: Option<std::ops::Range<usize>> = None;
    for (r, f) in runs {
        match &range {
            Some(cur) if r.start < cur.end => group.push(f),
            _ => {
                if let Some(cur) = range.take() {
                    let quote = article.get(cur).unwrap_or_default().to_string();
                    if let Some(c) = choose(std::mem::take(&mut group), &quote, texts)? {
                        out.push(c);
                    }
                }
                range = Some(r);
                group.push(f);
            }
        }
    }
    if let Some(cur) = range {
        let quote = article.get(cur).unwrap_or_default().to_string();
        if let Some(c) = choose(group, &quote, texts)? {
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_avoid_elisions_and_insertions() {
        assert_eq!(
            phrases("I can't think of a reason why this should be so."),
            ["I can t think of a reason why", "this should be so"]
        );
        // Cut at an ellipsis and a bracketed insertion; "[T]he" keeps its
        // letters; short runs are left out.
        assert_eq!(
            phrases(
                "[T]he spirit of the document [the Constitution] to the reality of the day … and so on"
            ),
            ["The spirit of the document", "to the reality of the day"]
        );
        assert!(phrases("too short").is_empty());
        assert!(phrases("").is_empty());
        // At most PHRASES windows, the longest words first.
        let long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi \
                    omicron pi rho sigma tau upsilon phi chi psi omega extraordinarily";
        let p = phrases(long);
        assert_eq!(p.len(), PHRASES);
        assert!(p[0].contains("extraordinarily"));
    }

    #[test]
    fn word_boundaries() {
        let text = "Timmy Maypole and Timmy May, 来週の会議";
        let cut = text.find("Timmy Maypole").unwrap_or(0);
        assert!(!on_word_boundaries(text, cut, cut + "Timmy May".len()));
        let whole = text.rfind("Timmy May").unwrap_or(0);
        assert!(on_word_boundaries(text, whole, whole + "Timmy May".len()));
        let cjk = text.find("会議").unwrap_or(0);
        assert!(on_word_boundaries(text, cjk, cjk + "会".len()));
        assert!(on_word_boundaries(text, 0, text.len() + 1));
    }
}
