//! Linking articles to the messages they quote: candidate messages come from
//! the search index, each is verified on its decoded text with the citation
//! matcher, and the best source is chosen: the message where the passage is
//! its own text (not quoted from another), earliest first; the others are
//! listed as also containing it.

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
    own: bool,
    date: i64,
}

fn method_name(m: &PassageMatch) -> &'static str {
    match m.method {
        citation::Method::Exact => "exact",
        citation::Method::Normalized => "normalized",
        citation::Method::Fuzzy => "fuzzy",
    }
}

/// Candidate messages for a quote: the index is asked for its most
/// distinctive words, all together, then (if that finds nothing) fewer.
fn candidates(searcher: &Searcher, quote: &str) -> anyhow::Result<Vec<i64>> {
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
            found.push(Found {
                key,
                sha: row.id.to_hex(),
                own: !citation::is_quoted_in(text, m.start),
                date: row.date_utc.unwrap_or(i64::MAX),
                m,
            });
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
    // Best match quality first, then the message's own text, then earliest.
    found.sort_by(|a, b| {
        b.m.score
            .partial_cmp(&a.m.score)
            .unwrap_or(std::cmp::Ordering::Equal)
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
    let Some(m) = citation::find_passage(passage, text, 0.9) else {
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
        limit: 20,
        ..Default::default()
    };
    let step = (min_words / 2).max(1);
    let mut i = 0;
    while i + min_words <= words.len() {
        let start = words[i].0;
        if !covered.iter().any(|r| r.contains(&start)) {
            let phrase: Vec<String> = words[i..i + min_words]
                .iter()
                .map(|(_, w)| {
                    w.chars()
                        .filter(|c| c.is_alphanumeric())
                        .collect::<String>()
                })
                .filter(|w| !w.is_empty())
                .collect();
            if phrase.len() >= min_words.saturating_sub(1) && phrase.len() >= 2 {
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
            runs.push((
                range,
                Found {
                    key,
                    sha: row.id.to_hex(),
                    own: !citation::is_quoted_in(text, m.start),
                    date: row.date_utc.unwrap_or(i64::MAX),
                    m,
                },
            ));
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
