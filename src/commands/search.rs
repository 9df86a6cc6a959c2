//! `mailcite search`: the query language over the index, hits shown with
//! their best passage.

use crate::cli::{SearchArgs, SortArg};
use crate::output::{self, clip, outln, sanitize::line, sender, short_id, thousands};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::message::{Address, parse_message, parse_message_with_attachments};
use mailcite_index::{SearchOptions, Sort};
use rayon::prelude::*;
use serde::Serialize;

/// One search hit as shown.
#[derive(Serialize)]
pub(crate) struct HitOut {
    pub id: String,
    pub message_id: Option<String>,
    pub date: Option<String>,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub subject: Option<String>,
    pub snippet: String,
    /// Byte ranges of the matches in `snippet`.
    pub highlights: Vec<(usize, usize)>,
    /// The attachment the snippet comes from, when the match is in its text.
    pub in_attachment: Option<String>,
    pub score: f32,
    /// Articles that cite the message.
    pub cited_by: Vec<CitedBy>,
    /// Headline DKIM status: `pass`, `fail`, `nokey`, `revoked`, `expired`,
    /// `weak`, `invalid`, `none` (unsigned) or `unchecked`.
    pub dkim: String,
    /// The DKIM result of every signature in words.
    #[serde(skip)]
    pub dkim_summary: String,
    /// For a message found inside archived messages (`is:embedded`): how it
    /// is carried and by which messages; `id` is then `e-` and its identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded: Option<EmbeddedOut>,
}

/// How an embedded message hit is carried.
#[derive(Serialize)]
pub(crate) struct EmbeddedOut {
    /// `attached`, `forwarded` or `quoted`.
    pub kind: String,
    /// Read back from pasted text: header lines as written, the date maybe
    /// without its zone.
    pub reconstructed: bool,
    /// Whether the date names its zone.
    pub zone_known: bool,
    /// Ids of the archived messages that carry it.
    pub carried_by: Vec<String>,
}

/// An article citing a hit.
#[derive(Serialize)]
pub(crate) struct CitedBy {
    pub article: i64,
    pub title: Option<String>,
}

#[derive(Serialize)]
struct FacetsOut {
    per_year: Vec<(i32, u64)>,
    per_month: Vec<(String, u64)>,
    undated: u64,
    top_senders: Vec<(String, u64)>,
}

#[derive(Serialize)]
struct SearchOut {
    query: String,
    total: usize,
    hits: Vec<HitOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<FacetsOut>,
}

/// Replaces the message reference in each `thread:REF` with the thread's
/// number, which is what the index holds.
pub(crate) fn resolve_thread_refs(query: &str, archive: &Archive) -> anyhow::Result<String> {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(pos) = rest.find("thread:") {
        let at_word_start = pos == 0
            || rest[..pos]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_whitespace() || c == '(' || c == '-');
        out.push_str(&rest[..pos + 7]);
        rest = &rest[pos + 7..];
        if !at_word_start {
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == ')')
            .unwrap_or(rest.len());
        let token = rest[..end].trim_matches('"');
        if !token.is_empty() {
            let key = archive.catalog.resolve(token).with_context(|| {
                format!("thread:{token}: give the id, an id prefix or the Message-ID of a message in the conversation")
            })?;
            out.push_str(&archive.catalog.thread_of(key)?.to_string());
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The hits of a page with their catalog record, citing articles, DKIM
/// headline and best passage (read and decoded in parallel). Shared by
/// `search` and the web view.
pub(crate) fn hits(
    archive: &Archive,
    searcher: &mailcite_index::Searcher,
    query: &mailcite_index::Query,
    page: &[mailcite_index::Hit],
) -> anyhow::Result<Vec<HitOut>> {
    // Catalog look-ups first (one connection), then the costly part, reading
    // and decoding each message to cut its snippet, in parallel.
    let mut rows = Vec::with_capacity(page.len());
    for h in page {
        if let Some(identity) = h.id.strip_prefix("e-") {
            if let Some((row, _)) = archive.catalog.embedded_by_identity(identity)? {
                let carried_by = archive.catalog.embedded_carrier_ids(row.child)?;
                rows.push(Row::Embedded(h.score, Box::new(row), carried_by));
            }
        } else if let Some(m) = archive.catalog.message(h.key as i64)? {
            let cited = archive.catalog.articles_citing(m.key)?;
            let auth =
                crate::authenticity::authenticity(archive.catalog.auth_results(m.key)?.as_deref());
            rows.push(Row::Message(h.score, m, cited, auth));
        }
    }
    let store = &archive.store;
    let snippets: Vec<(mailcite_index::Snippet, Option<String>)> = rows
        .par_iter()
        .map(|row| {
            let m = match row {
                Row::Embedded(_, e, _) => return (searcher.snippet(query, &e.text, 200), None),
                Row::Message(_, m, _, _) => m,
            };
            let Ok(raw) = store.read(&m.id, &m.location) else {
                return (searcher.snippet(query, "", 200), None);
            };
            let body = parse_message(&raw).text;
            let snip = searcher.snippet(query, &body, 200);
            if !snip.highlights.is_empty() || m.attachments.is_empty() {
                return (snip, None);
            }
            // The match may be in an attachment's text: show it from there.
            attachment_snippet(searcher, query, &raw).unwrap_or((snip, None))
        })
        .collect();
    let hits: Vec<HitOut> = rows
        .into_iter()
        .zip(snippets)
        .map(|(row, (snip, in_attachment))| match row {
            Row::Message(score, m, cited, auth) => HitOut {
                id: m.id.to_hex(),
                message_id: m.message_id.clone(),
                date: m
                    .date_utc
                    .map(|t| output::date_in_zone(t, m.date_offset.unwrap_or(0))),
                from: m.from,
                to: m.to,
                subject: m.subject,
                snippet: snip.text,
                highlights: snip.highlights,
                in_attachment,
                score,
                cited_by: cited
                    .into_iter()
                    .map(|(article, title)| CitedBy { article, title })
                    .collect(),
                dkim: auth.dkim,
                dkim_summary: auth.summary,
                embedded: None,
            },
            Row::Embedded(score, e, carried_by) => {
                let e = *e;
                HitOut {
                    id: format!("e-{}", e.identity),
                    message_id: e.message_id.clone(),
                    date: e.date_utc.map(|t| embedded_date(t, e.date_offset)),
                    from: e.from,
                    to: e.to,
                    subject: e.subject,
                    snippet: snip.text,
                    highlights: snip.highlights,
                    in_attachment: None,
                    score,
                    cited_by: Vec::new(),
                    dkim: "unchecked".into(),
                    dkim_summary: String::new(),
                    embedded: Some(EmbeddedOut {
                        kind: e.kind,
                        reconstructed: e.reconstructed,
                        zone_known: e.zone_known,
                        carried_by,
                    }),
                }
            }
        })
        .collect();
    Ok(hits)
}

/// A hit's catalog record: an archived message, or a message found inside
/// archived messages with the ids of those that carry it.
// A page holds at most a few hundred rows: their size does not matter.
#[allow(clippy::large_enum_variant)]
enum Row {
    Message(
        f32,
        mailcite_archive::catalog::MessageRow,
        Vec<(i64, Option<String>)>,
        crate::authenticity::Authenticity,
    ),
    Embedded(
        f32,
        Box<mailcite_archive::catalog::EmbeddedRow>,
        Vec<String>,
    ),
}

/// [`embedded_date`], or `(no date)`.
pub(crate) fn embedded_date_or_none(utc: Option<i64>, offset: Option<i32>) -> String {
    utc.map_or_else(|| "(no date)".to_string(), |t| embedded_date(t, offset))
}

/// The date of an embedded message: in its zone, or its wall-clock time
/// marked "zone unknown" when the pasted date named none.
pub(crate) fn embedded_date(utc: i64, offset: Option<i32>) -> String {
    match offset {
        Some(o) => output::date_in_zone(utc, o),
        None => {
            let s = output::date_in_zone(utc, 0);
            format!(
                "{} (zone unknown)",
                s.trim_end_matches(" +0000").trim_end_matches(" UTC")
            )
        }
    }
}

pub fn run(ctx: &Context, args: SearchArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let text = args.query.join(" ");
    let resolved = resolve_thread_refs(&text, &archive)?;
    let query =
        mailcite_index::parse(&resolved).map_err(|e| anyhow::anyhow!("invalid query: {e}"))?;
    let searcher = crate::indexing::open_searcher(&archive)?;
    let opts = SearchOptions {
        sort: match args.sort {
            SortArg::Date => Sort::Date,
            SortArg::DateAsc => Sort::DateAsc,
            SortArg::Relevance => Sort::Relevance,
        },
        limit: args.limit,
        offset: args.offset,
        count_only: args.count,
        facets: args.facets,
    };
    let results = searcher.search_query(&query, &opts)?;
    let outcome = if results.total > 0 {
        Outcome::Success
    } else {
        Outcome::NoMatch
    };
    if args.count {
        if args.json {
            output::print_json(&serde_json::json!({ "query": text, "total": results.total }))?;
        } else {
            outln!("{}", results.total);
        }
        return Ok(outcome);
    }
    let hits = hits(&archive, &searcher, &query, &results.hits)?;
    let facets = results.facets.map(|f| FacetsOut {
        per_year: f.per_year,
        per_month: f.per_month,
        undated: f.undated,
        top_senders: f.top_senders,
    });
    if args.json {
        output::print_json(&SearchOut {
            query: text,
            total: results.total,
            hits,
            facets,
        })?;
        return Ok(outcome);
    }
    let shown_to = args.offset + hits.len();
    outln!(
        "{} message{} match{}{}",
        thousands(results.total as u64),
        if results.total == 1 { "" } else { "s" },
        if results.total == 1 { "es" } else { "" },
        if hits.is_empty() {
            String::new()
        } else {
            format!("; showing {}-{}", args.offset + 1, shown_to)
        }
    );
    for h in &hits {
        outln!();
        let (b, r) = if ctx.color {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("", "")
        };
        outln!(
            "{b}{}{r}  {}  {}  {}",
            short_id(&h.id),
            h.date.as_deref().unwrap_or("(no date)"),
            clip(&line(&sender(&h.from)), 30),
            clip(&line(h.subject.as_deref().unwrap_or("(no subject)")), 80)
        );
        if let Some(e) = &h.embedded {
            outln!(
                "    {} inside {}{}",
                e.kind,
                e.carried_by
                    .iter()
                    .map(|id| short_id(id))
                    .collect::<Vec<_>>()
                    .join(", "),
                if e.reconstructed {
                    " (reconstructed from the text)"
                } else {
                    ""
                }
            );
        }
        if !h.snippet.is_empty() {
            match &h.in_attachment {
                Some(name) => outln!(
                    "    in attachment {}: {}",
                    line(name),
                    highlighted(&h.snippet, &h.highlights, ctx.color)
                ),
                None => outln!("    {}", highlighted(&h.snippet, &h.highlights, ctx.color)),
            }
        }
        if !matches!(h.dkim.as_str(), "none" | "unchecked") {
            outln!("    {}", line(&h.dkim_summary));
        }
        for c in &h.cited_by {
            outln!(
                "    cited in article {}: {}",
                c.article,
                line(c.title.as_deref().unwrap_or("(untitled)"))
            );
        }
    }
    if let Some(f) = &facets {
        outln!();
        outln!("Per year:");
        for (y, n) in &f.per_year {
            outln!("  {y}  {:>8}", thousands(*n));
        }
        if f.undated > 0 {
            outln!("  none  {:>7}", thousands(f.undated));
        }
        outln!("Per month:");
        for (mth, n) in &f.per_month {
            outln!("  {mth}  {:>8}", thousands(*n));
        }
        outln!("Top senders:");
        for (s, n) in &f.top_senders {
            outln!("  {:>8}  {}", thousands(*n), line(s));
        }
    }
    Ok(outcome)
}

/// The best passage from the text of a message's attachments, with the
/// attachment's name (`attachment N` when it has none).
fn attachment_snippet(
    searcher: &mailcite_index::Searcher,
    query: &mailcite_index::Query,
    raw: &[u8],
) -> Option<(mailcite_index::Snippet, Option<String>)> {
    let parsed = parse_message_with_attachments(raw);
    for (i, (info, content)) in parsed
        .attachments
        .iter()
        .zip(&parsed.attachment_contents)
        .enumerate()
    {
        let outcome = mailcite_archive::extract::attachment(info, content);
        if let Some(text) = outcome.text() {
            let snip = searcher.snippet(query, text, 200);
            if !snip.highlights.is_empty() {
                let name = info
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("attachment {}", i + 1));
                return Some((snip, Some(name)));
            }
        }
    }
    None
}

/// The snippet with its matches emphasized (colour on a terminal), every
/// character made safe for the terminal.
fn highlighted(snippet: &str, ranges: &[(usize, usize)], color: bool) -> String {
    let mut out = String::with_capacity(snippet.len() + ranges.len() * 8);
    let mut pos = 0;
    for &(a, b) in ranges {
        if a < pos
            || b > snippet.len()
            || !snippet.is_char_boundary(a)
            || !snippet.is_char_boundary(b)
        {
            continue;
        }
        out.push_str(&line(&snippet[pos..a]));
        if color {
            out.push_str("\x1b[1;31m");
        }
        out.push_str(&line(&snippet[a..b]));
        if color {
            out.push_str("\x1b[0m");
        }
        pos = b;
    }
    out.push_str(&line(&snippet[pos..]));
    out
}
