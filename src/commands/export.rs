//! `mailcite export`: cited passages with their full provenance.

use crate::cli::{ExportArgs, ExportFormat};
use crate::output::{self, addresses};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::articles::ArticleRow;
use mailcite_archive::catalog::Occurrence;
use mailcite_archive::message::parse_message;
use serde::Serialize;
use std::io::Write;

/// One exported passage with everything needed to check it.
#[derive(Serialize)]
struct Record {
    n: usize,
    quote: String,
    passage: String,
    context_before: String,
    context_after: String,
    method: String,
    score: f32,
    own_text: bool,
    id: String,
    message_id: Option<String>,
    date: Option<String>,
    date_header: Option<String>,
    from: String,
    to: String,
    cc: String,
    subject: Option<String>,
    occurrences: Vec<Occurrence>,
    also_in: Vec<String>,
    /// One line per DKIM signature, or "not signed" / "not checked yet".
    authenticity: String,
    /// Headline DKIM status (`pass`, `fail`, ..., `none`, `unchecked`).
    dkim: String,
    /// Every stored signature check.
    signatures: Vec<mailcite_archive::auth::AuthResult>,
}

#[derive(Serialize)]
struct ExportOut {
    article: Option<ArticleRow>,
    query: Option<String>,
    citations: Vec<Record>,
}

/// Characters `start..end` of `text` with `n` characters of context each side.
fn cut(text: &str, start: u64, end: u64, n: usize) -> (String, String, String) {
    let chars: Vec<char> = text.chars().collect();
    let (s, e) = (
        (start as usize).min(chars.len()),
        (end as usize).min(chars.len()),
    );
    let b = s.saturating_sub(n);
    let a = (e + n).min(chars.len());
    let collect = |r: std::ops::Range<usize>| -> String {
        chars[r]
            .iter()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (collect(b..s), collect(s..e.max(s)), collect(e.max(s)..a))
}

/// What to export: the citations of an article, or the passages a query
/// matches.
pub(crate) enum Selection<'a> {
    /// Every citation of this article.
    Article(i64),
    /// The best passage of each of the first `limit` messages matching.
    Query { query: &'a str, limit: usize },
}

/// Renders an export in `format` with `context` characters each side of each
/// passage. Shared by `export` and the web view.
pub(crate) fn render(
    archive: &Archive,
    selection: Selection<'_>,
    format: ExportFormat,
    context: usize,
) -> anyhow::Result<Vec<u8>> {
    let mut records = Vec::new();
    let mut article = None;
    let mut query_text = None;
    match selection {
        Selection::Article(id) => {
            let a = archive.catalog.article(id)?;
            for (i, c) in archive
                .catalog
                .citations_of_article(id)?
                .into_iter()
                .enumerate()
            {
                let m = archive.message(c.message)?;
                let text = parse_message(&archive.raw(&m)?).text;
                let (before, passage, after) =
                    cut(&text, c.citation.start_char, c.citation.end_char, context);
                records.push(record(
                    archive,
                    i + 1,
                    &m,
                    c.citation.quote.clone(),
                    passage,
                    before,
                    after,
                    &c.citation.method,
                    c.citation.score,
                    c.citation.own_text,
                    c.citation.also_in.clone(),
                )?);
            }
            article = Some(a);
        }
        Selection::Query { query: q, limit } => {
            query_text = Some(q.to_string());
            let query =
                mailcite_index::parse(q).map_err(|e| anyhow::anyhow!("invalid query: {e}"))?;
            let searcher = crate::indexing::open_searcher(archive)?;
            let res = searcher.search_query(
                &query,
                &mailcite_index::SearchOptions {
                    limit,
                    ..Default::default()
                },
            )?;
            for (i, h) in res.hits.iter().enumerate() {
                let m = archive.message(h.key as i64)?;
                let text = parse_message(&archive.raw(&m)?).text;
                // The passage is the stretch of the message from the snippet's
                // first match to its last, found again in the decoded text so the
                // context around it can be cut as for a citation.
                let snip = searcher.snippet(&query, &text, 300);
                let span = match (snip.highlights.first(), snip.highlights.last()) {
                    (Some(a), Some(b)) => snip.text.get(a.0..b.1).unwrap_or_default(),
                    _ => "",
                };
                let found = if span.is_empty() {
                    None
                } else {
                    mailcite_archive::citation::find_passage(span, &text, 0.99)
                };
                let (before, passage, after) = match found {
                    Some(f) => cut(
                        &text,
                        text[..f.start].chars().count() as u64,
                        text[..f.end].chars().count() as u64,
                        context,
                    ),
                    None => (String::new(), snip.text.clone(), String::new()),
                };
                records.push(record(
                    archive,
                    i + 1,
                    &m,
                    q.to_string(),
                    passage,
                    before,
                    after,
                    "search",
                    h.score,
                    true,
                    Vec::new(),
                )?);
            }
        }
    }
    let out = ExportOut {
        article,
        query: query_text,
        citations: records,
    };
    let mut buf: Vec<u8> = Vec::new();
    match format {
        ExportFormat::Json => {
            let mut v = serde_json::to_value(&out)?;
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("schema_version".into(), output::JSON_SCHEMA_VERSION.into());
            }
            buf.extend(serde_json::to_string_pretty(&v)?.as_bytes());
            buf.push(b'\n');
        }
        ExportFormat::Markdown => markdown(&out, &mut buf)?,
        ExportFormat::Csv => csv_out(&out, &mut buf)?,
        ExportFormat::Html => html(&out, &mut buf)?,
    }
    Ok(buf)
}

pub fn run(ctx: &Context, args: ExportArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let selection = match (args.article, args.query.as_deref()) {
        (Some(id), _) => Selection::Article(id),
        (None, Some(query)) => Selection::Query {
            query,
            limit: args.limit,
        },
        (None, None) => anyhow::bail!("give --article ARTICLE or --query QUERY"),
    };
    let buf = render(&archive, selection, args.format, args.context)?;
    match &args.out {
        Some(path) => mailcite_archive::archive::write_atomic(path, &buf)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    Ok(Outcome::Success)
}

#[allow(clippy::too_many_arguments)]
fn record(
    archive: &Archive,
    n: usize,
    m: &mailcite_archive::catalog::MessageRow,
    quote: String,
    passage: String,
    context_before: String,
    context_after: String,
    method: &str,
    score: f32,
    own_text: bool,
    also_in: Vec<String>,
) -> anyhow::Result<Record> {
    let auth = crate::authenticity::authenticity(archive.catalog.auth_results(m.key)?.as_deref());
    Ok(Record {
        n,
        quote,
        passage,
        context_before,
        context_after,
        method: method.to_string(),
        score,
        own_text,
        id: m.id.to_hex(),
        message_id: m.message_id.clone(),
        date: m
            .date_utc
            .map(|t| output::date_in_zone(t, m.date_offset.unwrap_or(0))),
        date_header: m.date_raw.clone(),
        from: addresses(&m.from),
        to: addresses(&m.to),
        cc: addresses(&m.cc),
        subject: m.subject.clone(),
        occurrences: archive.catalog.occurrences(m.key)?,
        also_in,
        authenticity: format!("DKIM {}: {}", auth.dkim, auth.summary),
        dkim: auth.dkim,
        signatures: auth.signatures,
    })
}

/// Escapes text for Markdown so that nothing in a passage becomes markup,
/// a link or HTML.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn occurrence_text(o: &Occurrence) -> String {
    match &o.file {
        Some(f) => f.clone(),
        None => format!(
            "{} (message {}, byte offset {})",
            o.source, o.index, o.offset
        ),
    }
}

fn markdown(out: &ExportOut, w: &mut Vec<u8>) -> anyhow::Result<()> {
    if let Some(a) = &out.article {
        writeln!(
            w,
            "Sources for {}\n",
            md(a.title.as_deref().unwrap_or("the article"))
        )?;
    } else if let Some(q) = &out.query {
        writeln!(w, "Passages matching {}\n", md(q))?;
    }
    for r in &out.citations {
        write!(w, "[^{}]: “{}” — email", r.n, md(&r.passage))?;
        if !r.from.is_empty() {
            write!(w, " from {}", md(&r.from))?;
        }
        if !r.to.is_empty() {
            write!(w, " to {}", md(&r.to))?;
        }
        if !r.cc.is_empty() {
            write!(w, ", cc {}", md(&r.cc))?;
        }
        if let Some(d) = &r.date {
            write!(w, ", dated {}", md(d))?;
        }
        if let Some(s) = &r.subject {
            write!(w, ", subject “{}”", md(s))?;
        }
        if let Some(mid) = &r.message_id {
            write!(w, ", Message-ID {}", md(&format!("<{mid}>")))?;
        }
        write!(w, ". SHA-256 of the raw message: {}.", r.id)?;
        let occ: Vec<String> = r
            .occurrences
            .iter()
            .map(|o| md(&occurrence_text(o)))
            .collect();
        if !occ.is_empty() {
            write!(w, " Found in: {}.", occ.join("; "))?;
        }
        if r.quote != r.passage && !r.quote.is_empty() && r.method != "search" {
            write!(w, " Quoted as: “{}” ({} match", md(&r.quote), r.method)?;
            if r.method == "fuzzy" {
                write!(w, ", similarity {:.2}", r.score)?;
            }
            write!(w, ").")?;
        }
        if !r.own_text {
            write!(
                w,
                " The passage is quoted in this message; its original was not found in the archive."
            )?;
        }
        if !r.also_in.is_empty() {
            write!(w, " Also in {} other message(s).", r.also_in.len())?;
        }
        write!(w, " Authenticity: {}.", md(&r.authenticity))?;
        if !r.context_before.is_empty() || !r.context_after.is_empty() {
            write!(
                w,
                " Context: “…{} **{}** {}…”",
                md(&r.context_before),
                md(&r.passage),
                md(&r.context_after)
            )?;
        }
        writeln!(w, "\n")?;
    }
    Ok(())
}

fn csv_out(out: &ExportOut, w: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record([
        "n",
        "quote",
        "passage",
        "context_before",
        "context_after",
        "method",
        "score",
        "own_text",
        "sha256",
        "message_id",
        "date",
        "from",
        "to",
        "cc",
        "subject",
        "occurrences",
        "also_in",
        "dkim",
        "authenticity",
    ])?;
    for r in &out.citations {
        // A leading = + - @ would make a spreadsheet evaluate the cell.
        let cell = |s: &str| -> String {
            if s.starts_with(['=', '+', '-', '@']) {
                format!("'{s}")
            } else {
                s.to_string()
            }
        };
        c.write_record([
            r.n.to_string(),
            cell(&r.quote),
            cell(&r.passage),
            cell(&r.context_before),
            cell(&r.context_after),
            r.method.clone(),
            format!("{:.3}", r.score),
            r.own_text.to_string(),
            r.id.clone(),
            cell(r.message_id.as_deref().unwrap_or("")),
            r.date.clone().unwrap_or_default(),
            cell(&r.from),
            cell(&r.to),
            cell(&r.cc),
            cell(r.subject.as_deref().unwrap_or("")),
            r.occurrences
                .iter()
                .map(occurrence_text)
                .collect::<Vec<_>>()
                .join("; "),
            r.also_in.join(" "),
            r.dkim.clone(),
            cell(&r.authenticity),
        ])?;
    }
    c.flush()?;
    Ok(())
}

/// Escapes text for HTML element content and attribute values.
fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn html(out: &ExportOut, w: &mut Vec<u8>) -> anyhow::Result<()> {
    let title = match (&out.article, &out.query) {
        (Some(a), _) => format!(
            "Sources for {}",
            a.title.as_deref().unwrap_or("the article")
        ),
        (None, Some(q)) => format!("Passages matching {q}"),
        _ => "Sources".into(),
    };
    writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<style>body{{font:15px/1.5 Georgia,serif;max-width:50em;margin:2em auto;padding:0 1em;color:#111}}h1{{font-size:1.4em}}.c{{border-top:1px solid #ccc;padding:.8em 0}}blockquote{{margin:.5em 0;padding:.3em .8em;border-left:3px solid #888;background:#f6f6f6}}mark{{background:#ffe066}}dl{{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;font:13px/1.4 monospace}}dt{{color:#555}}dd{{margin:0;word-break:break-all}}</style>\n</head><body>\n<h1>{}</h1>",
        h(&title),
        h(&title)
    )?;
    for r in &out.citations {
        writeln!(w, "<div class=\"c\" id=\"c{}\"><h2>{}.</h2>", r.n, r.n)?;
        writeln!(
            w,
            "<blockquote>…{} <mark>{}</mark> {}…</blockquote>",
            h(&r.context_before),
            h(&r.passage),
            h(&r.context_after)
        )?;
        writeln!(w, "<dl>")?;
        let row = |w: &mut Vec<u8>, k: &str, v: &str| -> std::io::Result<()> {
            if v.is_empty() {
                Ok(())
            } else {
                writeln!(w, "<dt>{}</dt><dd>{}</dd>", h(k), h(v))
            }
        };
        if r.method != "search" {
            row(w, "Quoted as", &r.quote)?;
            row(
                w,
                "Match",
                &format!(
                    "{} (score {:.2}){}",
                    r.method,
                    r.score,
                    if r.own_text {
                        ""
                    } else {
                        "; quoted in this message"
                    }
                ),
            )?;
        }
        row(w, "From", &r.from)?;
        row(w, "To", &r.to)?;
        row(w, "Cc", &r.cc)?;
        row(w, "Date", r.date.as_deref().unwrap_or(""))?;
        row(w, "Subject", r.subject.as_deref().unwrap_or(""))?;
        row(
            w,
            "Message-ID",
            &r.message_id
                .as_deref()
                .map(|m| format!("<{m}>"))
                .unwrap_or_default(),
        )?;
        row(w, "SHA-256", &r.id)?;
        for o in &r.occurrences {
            row(w, "Found in", &occurrence_text(o))?;
        }
        row(w, "Authenticity", &r.authenticity)?;
        if !r.also_in.is_empty() {
            row(w, "Also in", &r.also_in.join(" "))?;
        }
        writeln!(w, "</dl></div>")?;
    }
    writeln!(w, "</body></html>")?;
    Ok(())
}
