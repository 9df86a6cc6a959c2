//! Searching: running a query with a sort order, counting, facets, and
//! building highlighted snippets from text the caller supplies (the index
//! stores no text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::fastfield::Column;
use tantivy::schema::Value;
use tantivy::{
    DateTime, DocAddress, DocId, Index, IndexReader, Order, ReloadPolicy, Score, SegmentReader,
    TantivyDocument,
};

use crate::analyzers::{
    self, STEM_LANGUAGES, analyze, base_analyzer, prefix_on_char_boundary, stem_analyzer, stem_term,
};
use crate::error::{Result, TantivyContext};
use crate::query::{
    Query, TermKind, active_languages, edit_distance, expansion_prefix, parse, stems_script,
    to_tantivy_with,
};
use crate::schema::IndexSchema;
use crate::writer::open_checked;

/// How many senders [`Facets::top_senders`] lists.
pub const TOP_SENDERS: usize = 20;

/// How much of a text [`snippet`] looks at for matches.
pub const SNIPPET_SCAN_BYTES: usize = 256 * 1024;

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first; undated messages last.
    #[default]
    Date,
    /// Oldest first; undated messages last.
    DateAsc,
    /// Best match first (BM25).
    Relevance,
}

/// What to return from [`Searcher::search`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOptions {
    /// Order of the hits.
    pub sort: Sort,
    /// Maximum number of hits (0 returns none, but still counts).
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
    /// Only count; `hits` stays empty.
    pub count_only: bool,
    /// Compute [`Facets`] over all matches.
    pub facets: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            sort: Sort::Date,
            limit: 20,
            offset: 0,
            count_only: false,
            facets: false,
        }
    }
}

/// One matching message.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Catalog row id.
    pub key: u64,
    /// SHA-256 id.
    pub id: String,
    /// BM25 score; 0 when sorted by date.
    pub score: f32,
    /// Unix seconds, UTC.
    pub date: Option<i64>,
    /// Zone offset of the original Date header, seconds.
    pub date_offset: i32,
}

/// Counts over all matching messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    /// Messages per year (UTC), ascending.
    pub per_year: Vec<(i32, u64)>,
    /// Messages per month (`"2009-07"`, UTC), ascending.
    pub per_month: Vec<(String, u64)>,
    /// Matching messages without a date.
    pub undated: u64,
    /// The [`TOP_SENDERS`] most frequent From addresses, most frequent first.
    pub top_senders: Vec<(String, u64)>,
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    /// Number of matching messages.
    pub total: usize,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Facets, if requested.
    pub facets: Option<Facets>,
}

/// A passage of a message's text with the query's matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// The passage, whitespace collapsed, with `…` where text was cut.
    pub text: String,
    /// Byte ranges of matches in `text`, ascending, not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

/// Searches one index directory. Cheap to share and reuse: it sees new
/// commits automatically (shortly after they happen, or at once after
/// [`Searcher::reload`]).
pub struct Searcher {
    dir: PathBuf,
    schema: IndexSchema,
    reader: IndexReader,
    /// Stemmable languages present in the index, per searcher generation.
    languages: Mutex<Option<(u64, Arc<Vec<usize>>)>>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Searcher {
    /// Opens the index in `dir` for reading.
    ///
    /// Fails with [`crate::Error::Missing`] if there is none and
    /// [`crate::Error::SchemaVersion`] if it was built by another version.
    pub fn open(dir: &Path) -> Result<Self> {
        let schema = IndexSchema::new();
        let index: Index = open_checked(dir, &schema)?;
        analyzers::register(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .at(dir)?;
        Ok(Searcher {
            dir: dir.to_path_buf(),
            schema,
            reader,
            languages: Mutex::new(None),
        })
    }

    /// Picks up the latest commit now.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().at(&self.dir)
    }

    /// Number of messages in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Parses and runs a query.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        let query = parse(query)?;
        self.search_query(&query, options)
    }

    /// Runs an already parsed query.
    pub fn search_query(&self, query: &Query, options: &SearchOptions) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let languages = self.languages(&searcher);
        let tq = to_tantivy_with(query, &self.schema, &searcher, &languages);
        let facets = options.facets.then_some(FacetsCollector);
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        // Past the last document there is nothing to fetch (and tantivy sizes
        // its buffer by offset + limit).
        if options.count_only || options.limit == 0 || options.offset >= num_docs {
            let (total, facets) = searcher.search(&*tq, &(Count, facets)).at(&self.dir)?;
            return Ok(SearchResults {
                total,
                hits: Vec::new(),
                facets,
            });
        }
        let limit = options.limit.min(num_docs - options.offset);
        let top = TopDocs::with_limit(limit).and_offset(options.offset);
        let (total, addresses, facets) = match options.sort {
            Sort::Relevance => {
                let (total, top, facets) = searcher
                    .search(&*tq, &(Count, top.order_by_score(), facets))
                    .at(&self.dir)?;
                let addresses: Vec<(Score, DocAddress)> = top;
                (total, addresses, facets)
            }
            Sort::Date | Sort::DateAsc => {
                let order = if options.sort == Sort::Date {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let collector = (
                    Count,
                    top.order_by_fast_field::<DateTime>("date", order),
                    facets,
                );
                let (total, top, facets) = searcher.search(&*tq, &collector).at(&self.dir)?;
                let addresses = top.into_iter().map(|(_, a)| (0.0, a)).collect();
                (total, addresses, facets)
            }
        };
        let fields = self.schema.fields();
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address).at(&self.dir)?;
            let key = doc.get_first(fields.key).and_then(|v| v.as_u64());
            let id = doc
                .get_first(fields.id)
                .and_then(|v| v.as_str().map(str::to_string));
            let date = doc
                .get_first(fields.date)
                .and_then(|v| v.as_datetime())
                .map(DateTime::into_timestamp_secs);
            let date_offset = doc
                .get_first(fields.date_offset)
                .and_then(|v| v.as_i64())
                .map_or(0, |o| i32::try_from(o).unwrap_or(0));
            hits.push(Hit {
                key: key.unwrap_or(0),
                id: id.unwrap_or_default(),
                score,
                date,
                date_offset,
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// A highlighted passage of `text` (a message's decoded body, supplied by
    /// the caller) for `query`; see [`snippet`].
    pub fn snippet(&self, query: &Query, text: &str, max_chars: usize) -> Snippet {
        snippet(query, text, max_chars)
    }

    /// Every live document's catalog key and message id (SHA-256 hex), in
    /// index order: what `mailcite verify` compares with the catalog.
    pub fn documents(&self) -> Result<Vec<(u64, String)>> {
        let searcher = self.reader.searcher();
        let fields = self.schema.fields();
        let mut out = Vec::with_capacity(usize::try_from(searcher.num_docs()).unwrap_or(0));
        for segment in searcher.segment_readers() {
            let store = segment
                .get_store_reader(64)
                .map_err(|source| crate::Error::Io {
                    path: self.dir.clone(),
                    source,
                })?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                let d: TantivyDocument = store.get(doc).at(&self.dir)?;
                let key = d.get_first(fields.key).and_then(|v| v.as_u64());
                let id = d
                    .get_first(fields.id)
                    .and_then(|v| v.as_str().map(str::to_string));
                out.push((key.unwrap_or(0), id.unwrap_or_default()));
            }
        }
        Ok(out)
    }

    fn languages(&self, searcher: &tantivy::Searcher) -> Arc<Vec<usize>> {
        let generation = searcher.generation().generation_id();
        let mut cache = self.languages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((g, languages)) = cache.as_ref()
            && *g == generation
        {
            return Arc::clone(languages);
        }
        let languages = Arc::new(active_languages(&self.schema, searcher));
        *cache = Some((generation, Arc::clone(&languages)));
        languages
    }
}

// ---------------------------------------------------------------------------
// Facets

struct FacetsCollector;

/// Per-segment counts.
struct SegmentFacets {
    /// year * 12 + month0 → count.
    months: HashMap<i64, u64>,
    undated: u64,
    senders: Vec<(String, u64)>,
}

struct FacetsSegmentCollector {
    dates: Column<DateTime>,
    senders: Option<StrColumn>,
    months: HashMap<i64, u64>,
    undated: u64,
    sender_counts: Vec<u64>,
    /// The month of the last date seen: `[from, to)` seconds and its key.
    last_month: (i64, i64, i64),
    /// Messages counted for `last_month` and not yet added to `months`
    /// (messages mostly come in date order, so this saves most hashing).
    pending: u64,
}

impl FacetsSegmentCollector {
    fn flush_month(&mut self) {
        if self.pending > 0 {
            *self.months.entry(self.last_month.2).or_default() += self.pending;
            self.pending = 0;
        }
    }
}

fn month_of(secs: i64) -> (i64, i64, i64) {
    use chrono::Datelike;
    let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
        return (secs, secs + 1, 0);
    };
    let (y, m) = (dt.year(), dt.month());
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(secs, |d| d.and_utc().timestamp());
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = chrono::NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(secs + 1, |d| d.and_utc().timestamp());
    (start, end, i64::from(y) * 12 + i64::from(m) - 1)
}

impl Collector for FacetsCollector {
    type Fruit = Facets;
    type Child = FacetsSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetsSegmentCollector> {
        let dates = segment.fast_fields().date("date")?;
        let senders = segment.fast_fields().str("from_addr")?;
        let num_terms = senders.as_ref().map_or(0, |s| s.num_terms());
        Ok(FacetsSegmentCollector {
            dates,
            senders,
            months: HashMap::new(),
            undated: 0,
            sender_counts: vec![0; num_terms],
            last_month: (0, 0, 0),
            pending: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFacets>) -> tantivy::Result<Facets> {
        let mut months: HashMap<i64, u64> = HashMap::new();
        let mut senders: HashMap<String, u64> = HashMap::new();
        let mut undated = 0;
        for fruit in fruits {
            for (k, n) in fruit.months {
                *months.entry(k).or_default() += n;
            }
            for (s, n) in fruit.senders {
                *senders.entry(s).or_default() += n;
            }
            undated += fruit.undated;
        }
        let mut months: Vec<(i64, u64)> = months.into_iter().collect();
        months.sort_unstable();
        let mut per_year: Vec<(i32, u64)> = Vec::new();
        let mut per_month = Vec::with_capacity(months.len());
        for (key, n) in months {
            let year = i32::try_from(key.div_euclid(12)).unwrap_or(0);
            let month = key.rem_euclid(12) + 1;
            per_month.push((format!("{year:04}-{month:02}"), n));
            match per_year.last_mut() {
                Some((y, count)) if *y == year => *count += n,
                _ => per_year.push((year, n)),
            }
        }
        let mut top_senders: Vec<(String, u64)> = senders.into_iter().collect();
        top_senders.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_senders.truncate(TOP_SENDERS);
        Ok(Facets {
            per_year,
            per_month,
            undated,
            top_senders,
        })
    }
}

impl SegmentCollector for FacetsSegmentCollector {
    type Fruit = SegmentFacets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        match self.dates.first(doc) {
            Some(date) => {
                let secs = date.into_timestamp_secs();
                let (from, to, _) = self.last_month;
                if secs < from || secs >= to {
                    self.flush_month();
                    self.last_month = month_of(secs);
                }
                self.pending += 1;
            }
            None => self.undated += 1,
        }
        if let Some(senders) = &self.senders {
            for ord in senders.term_ords(doc) {
                if let Some(count) = usize::try_from(ord)
                    .ok()
                    .and_then(|i| self.sender_counts.get_mut(i))
                {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(mut self) -> SegmentFacets {
        self.flush_month();
        let mut senders = Vec::new();
        if let Some(column) = &self.senders {
            let (ords, counts): (Vec<u64>, Vec<u64>) = self
                .sender_counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(ord, n)| (ord as u64, *n))
                .unzip();
            let mut counts = counts.into_iter();
            // A dictionary read error only loses the sender facet.
            let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                let n = counts.next().unwrap_or(0);
                if let Ok(address) = std::str::from_utf8(bytes)
                    && !address.starts_with('@')
                {
                    senders.push((address.to_string(), n));
                }
            });
        }
        SegmentFacets {
            months: self.months,
            undated: self.undated,
            senders,
        }
    }
}

// ---------------------------------------------------------------------------
// Snippets

/// Replaces every run of whitespace by one space and trims the ends.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// What a text token must look like to match one highlight term.
struct Matchers {
    /// Normalized token → term id.
    exact: HashMap<String, usize>,
    prefixes: Vec<(String, usize)>,
    fuzzy: Vec<(String, u8, usize)>,
    /// Stemmed words: candidate prefix, language index, stem, term id.
    stems: Vec<(String, usize, String, usize)>,
    terms: usize,
}

fn build_matchers(query: &Query) -> Matchers {
    let mut base = base_analyzer();
    let mut m = Matchers {
        exact: HashMap::new(),
        prefixes: Vec::new(),
        fuzzy: Vec::new(),
        stems: Vec::new(),
        terms: 0,
    };
    let mut stemmers: Vec<Option<tantivy::tokenizer::TextAnalyzer>> =
        STEM_LANGUAGES.iter().map(|_| None).collect();
    for term in query.highlight_terms() {
        let tokens = analyze(&mut base, &term.text);
        let last = tokens.len().saturating_sub(1);
        for (i, token) in tokens.into_iter().enumerate() {
            let id = m.terms;
            m.terms += 1;
            match term.kind {
                TermKind::Prefix if i == last => m.prefixes.push((token, id)),
                TermKind::Fuzzy(d) if last == 0 => m.fuzzy.push((token, d, id)),
                _ => {
                    if term.stemmed && last == 0 && token.chars().count() >= 3 {
                        for (lang, slot) in STEM_LANGUAGES.iter().zip(stemmers.iter_mut()) {
                            if !stems_script(lang, &token) {
                                continue;
                            }
                            let stemmer = slot.get_or_insert_with(|| stem_analyzer(lang.language));
                            if let Some(stem) = stem_term(stemmer, &token) {
                                let lang_index =
                                    STEM_LANGUAGES.iter().position(|l| l == lang).unwrap_or(0);
                                let prefix = expansion_prefix(&stem).to_string();
                                m.stems.push((prefix, lang_index, stem, id));
                            }
                        }
                    }
                    m.exact.entry(token).or_insert(id);
                }
            }
        }
    }
    m
}

/// Finds matches of the query's terms in `text`: `(from, to, term id)`,
/// sorted by position. A word matches a stemmed term if it has the same stem
/// in any stemmable language (a superset of what the search matched, which
/// used the message's language only).
fn find_matches(m: &Matchers, text: &str) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    if m.terms == 0 {
        return found;
    }
    let mut stemmers: Vec<Option<tantivy::tokenizer::TextAnalyzer>> =
        STEM_LANGUAGES.iter().map(|_| None).collect();
    let mut analyzer = base_analyzer();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        let word = token.text.as_str();
        let mut id = m.exact.get(word).copied();
        if id.is_none() {
            id = m
                .prefixes
                .iter()
                .find(|(p, _)| word.starts_with(p.as_str()))
                .map(|(_, id)| *id);
        }
        if id.is_none() {
            id = m
                .fuzzy
                .iter()
                .find(|(w, d, _)| {
                    word.len().abs_diff(w.len()) <= usize::from(*d) * 4
                        && edit_distance(word, w) <= usize::from(*d)
                })
                .map(|(_, _, id)| *id);
        }
        if id.is_none() {
            for (prefix, lang, stem, stem_id) in &m.stems {
                if !word.starts_with(prefix.as_str()) {
                    continue;
                }
                let (Some(slot), Some(language)) =
                    (stemmers.get_mut(*lang), STEM_LANGUAGES.get(*lang))
                else {
                    continue;
                };
                let stemmer = slot.get_or_insert_with(|| stem_analyzer(language.language));
                if stem_term(stemmer, word).as_deref() == Some(stem.as_str()) {
                    id = Some(*stem_id);
                    break;
                }
            }
        }
        if let Some(id) = id {
            found.push((token.offset_from, token.offset_to, id));
        }
    }
    found
}

/// The `[i, j)` range of matches whose window of about `window` bytes holds
/// the most distinct terms (then the most matches; the earliest on ties).
fn best_window(matches: &[(usize, usize, usize)], terms: usize, window: usize) -> (usize, usize) {
    let mut counts = vec![0usize; terms];
    let mut distinct = 0;
    let mut best = (0, 0, 0, 0); // (distinct, count, i, j)
    let mut j = 0;
    for i in 0..matches.len() {
        while j < matches.len() && matches[j].1.saturating_sub(matches[i].0) <= window {
            if let Some(c) = counts.get_mut(matches[j].2) {
                if *c == 0 {
                    distinct += 1;
                }
                *c += 1;
            }
            j += 1;
        }
        if j == i {
            // A single match longer than the window still counts.
            if let Some(c) = counts.get_mut(matches[i].2) {
                if *c == 0 {
                    distinct += 1;
                }
                *c += 1;
            }
            j = i + 1;
        }
        if (distinct, j - i) > (best.0, best.1) {
            best = (distinct, j - i, i, j);
        }
        if let Some(c) = counts.get_mut(matches[i].2) {
            *c = c.saturating_sub(1);
            if *c == 0 {
                distinct -= 1;
            }
        }
    }
    (best.2, best.3)
}

/// Byte offset of the `n`-th character of `text` (or its length).
fn byte_at_char(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(b, _)| b)
}

/// Builds a passage of about `max_chars` characters of `text` around the
/// densest cluster of the query's matches, with the matches' byte ranges.
///
/// Matching uses the index's analyzer (case- and accent-insensitive, CJK
/// bigrams) and stemming: a word sharing a query word's stem in any
/// stemmable language is highlighted, so `countermeasure` highlights
/// `countermeasures` and `контрмеры` highlights `контрмерами`. Phrase words
/// are highlighted one by one. Only the first [`SNIPPET_SCAN_BYTES`] are
/// searched; without a match the passage is the beginning of the text.
pub fn snippet(query: &Query, text: &str, max_chars: usize) -> Snippet {
    if max_chars == 0 {
        return Snippet::default();
    }
    let scanned = prefix_on_char_boundary(text, SNIPPET_SCAN_BYTES);
    let truncated = scanned.len() < text.len();
    let collapsed = collapse_whitespace(scanned);
    if collapsed.is_empty() {
        return Snippet::default();
    }
    let matchers = build_matchers(query);
    let matches = find_matches(&matchers, &collapsed);
    let total_chars = collapsed.chars().count();
    let bytes_per_char = collapsed.len().div_ceil(total_chars.max(1));

    // Choose the passage [start, end) in characters.
    let (start_char, end_char) = if matches.is_empty() {
        (0, max_chars.min(total_chars))
    } else {
        let (i, j) = best_window(&matches, matchers.terms, max_chars * bytes_per_char);
        let span_from = matches[i].0;
        let span_to = matches[j.saturating_sub(1).max(i)].1;
        let from_char = collapsed[..span_from].chars().count();
        let span_chars = collapsed[span_from..span_to].chars().count();
        let lead = (max_chars.saturating_sub(span_chars) / 2).min(40);
        let mut start = from_char.saturating_sub(lead);
        // Start at a word boundary when one is near.
        if start > 0 {
            let window: Vec<char> = collapsed
                .chars()
                .skip(start)
                .take(from_char - start)
                .collect();
            if let Some(space) = window.iter().position(|c| *c == ' ') {
                start += space + 1;
            }
        }
        (start, (start + max_chars).min(total_chars))
    };
    let mut start = byte_at_char(&collapsed, start_char);
    let mut end = byte_at_char(&collapsed, end_char);
    // End at a word boundary when one is near (but keep the matches).
    if end < collapsed.len() {
        let keep = matches
            .iter()
            .filter(|m| m.0 < end)
            .map(|m| m.1)
            .max()
            .unwrap_or(start)
            .min(end);
        if let Some(space) = collapsed[keep..end].rfind(' ')
            && keep + space > start
        {
            end = keep + space;
        }
    }
    while collapsed[start..end].starts_with(' ') {
        start += 1;
    }
    while end > start && collapsed[start..end].ends_with(' ') {
        end -= 1;
    }

    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < collapsed.len() || truncated {
        "…"
    } else {
        ""
    };
    let mut out = String::with_capacity(end - start + 6);
    out.push_str(prefix);
    out.push_str(&collapsed[start..end]);
    out.push_str(suffix);

    let shift = prefix.len();
    let mut highlights: Vec<(usize, usize)> = Vec::new();
    for &(from, to, _) in &matches {
        let (from, to) = (from.max(start), to.min(end));
        if from >= to {
            continue;
        }
        let (a, b) = (from - start + shift, to - start + shift);
        match highlights.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => highlights.push((a, b)),
        }
    }
    Snippet {
        text: out,
        highlights,
    }
}

// ---------------------------------------------------------------------------
// All matching keys

/// Collects the `key` fast field of every matching document, without
/// scoring or sorting.
struct KeysCollector;

struct KeysSegmentCollector {
    keys: Option<Column<u64>>,
    out: Vec<u64>,
}

impl Collector for KeysCollector {
    type Fruit = Vec<u64>;
    type Child = KeysSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<KeysSegmentCollector> {
        Ok(KeysSegmentCollector {
            keys: segment.fast_fields().u64("key").ok(),
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        let mut keys: Vec<u64> = fruits.into_iter().flatten().collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }
}

impl SegmentCollector for KeysSegmentCollector {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(key) = self.keys.as_ref().and_then(|c| c.first(doc)) {
            self.out.push(key);
        }
    }

    fn harvest(self) -> Vec<u64> {
        self.out
    }
}

impl Searcher {
    /// The catalog keys of every message matching `query`, ascending and
    /// without duplicates. Reads the `key` fast field of each match; nothing
    /// is scored, sorted by relevance or loaded from the document store, so
    /// this stays fast for queries that match most of a large index.
    pub fn matching_keys(&self, query: &Query) -> Result<Vec<u64>> {
        let searcher = self.reader.searcher();
        let languages = self.languages(&searcher);
        let tq = to_tantivy_with(query, &self.schema, &searcher, &languages);
        searcher.search(&*tq, &KeysCollector).at(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(query: &str, text: &str, max: usize) -> String {
        let q = parse(query).expect("valid query");
        let s = snippet(&q, text, max);
        let mut out = String::new();
        let mut last = 0;
        for (a, b) in &s.highlights {
            out.push_str(&s.text[last..*a]);
            out.push('[');
            out.push_str(&s.text[*a..*b]);
            out.push(']');
            last = *b;
        }
        out.push_str(&s.text[last..]);
        out
    }

    #[test]
    fn searcher_is_shareable_between_threads() {
        fn assert_sync<T: Send + Sync>() {}
        assert_sync::<Searcher>();
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(collapse_whitespace("  a \n\n b\tc  "), "a b c");
    }

    #[test]
    fn highlights_words_case_and_accent_insensitively() {
        assert_eq!(
            marked("resume", "Send me your Résumé today", 200),
            "Send me your [Résumé] today"
        );
        assert_eq!(
            marked("BUDGET", "the budget,\n\nthe  Budget", 200),
            "the [budget], the [Budget]"
        );
    }

    #[test]
    fn highlights_stemmed_english() {
        let text = "The working group proposed several active countermeasures against the \
                    intrusion, and the committee will discuss these countermeasures next week.";
        let out = marked("countermeasure", text, 300);
        assert_eq!(out.matches("[countermeasures]").count(), 2, "{out}");
    }

    #[test]
    fn highlights_stemmed_russian() {
        let text = "Рабочая группа предложила несколько активных мер, а комитет обсудит \
                    эти меры вместе с другими контрмерами на следующей неделе в Москве.";
        let out = marked("контрмеры", text, 300);
        assert!(out.contains("[контрмерами]"), "{out}");
    }

    #[test]
    fn highlights_cjk_bigrams() {
        assert_eq!(
            marked("東京都", "私は東京都に住んでいます", 100),
            "私は[東京都]に住んでいます"
        );
    }

    #[test]
    fn highlights_prefix_and_fuzzy() {
        assert_eq!(
            marked("counter*", "a counterattack here", 100),
            "a [counterattack] here"
        );
        assert_eq!(
            marked("lubianka~1", "near Lubyanka square", 100),
            "near [Lubyanka] square"
        );
    }

    #[test]
    fn negated_terms_are_not_highlighted() {
        assert_eq!(
            marked("budget -draft", "budget draft", 100),
            "[budget] draft"
        );
    }

    #[test]
    fn passage_is_cut_around_the_best_cluster() {
        let filler = "lorem ipsum dolor sit amet ".repeat(40);
        let text = format!("{filler} alpha {filler} alpha beta gamma {filler}");
        let q = parse("alpha beta gamma").expect("valid");
        let s = snippet(&q, &text, 80);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(s.text.chars().count() <= 82, "{}", s.text);
        let words: Vec<&str> = s.highlights.iter().map(|(a, b)| &s.text[*a..*b]).collect();
        assert_eq!(words, ["alpha", "beta", "gamma"]);
    }

    #[test]
    fn no_match_gives_the_beginning() {
        let s = snippet(
            &parse("zzz").expect("valid"),
            "Hello   world, this is a test",
            11,
        );
        assert_eq!(s.text, "Hello…");
        assert!(s.highlights.is_empty());
    }

    #[test]
    fn cuts_on_char_boundaries_and_never_panics() {
        let q = parse("контрмеры OR 東京 OR x*").expect("valid");
        for text in [
            "",
            " ",
            "ééééé",
            "東京東京東京東京",
            "контрмеры контрмеры",
            "x\u{0301}y",
        ] {
            for max in [0, 1, 2, 3, 5, 200] {
                let s = snippet(&q, text, max);
                for (a, b) in s.highlights {
                    assert!(s.text.is_char_boundary(a) && s.text.is_char_boundary(b));
                }
            }
        }
    }
}
