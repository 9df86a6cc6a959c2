//! `mailcite article add|list|show|remove`.

use crate::cli::{ArticleAddArgs, ArticleCommand, ArticleRefArgs, JsonArg};
use crate::linking::{self, Texts};
use crate::output::{self, clip, message_date, outln, sanitize::line, sender, short_id};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::articles::{ArticleRow, CitationRow, NewArticle, NewCitation};
use mailcite_archive::citation;
use mailcite_archive::digest::Digest;
use serde::Serialize;

pub fn run(ctx: &Context, cmd: ArticleCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ArticleCommand::Add(a) => add(ctx, a),
        ArticleCommand::List(a) => list(ctx, a),
        ArticleCommand::Show(a) => show(ctx, a),
        ArticleCommand::Remove(a) => remove(ctx, a),
    }
}

fn open(ctx: &Context, mode: Mode) -> anyhow::Result<Archive> {
    Archive::open(&ctx.archive, mode)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))
}

/// A citation found by `article add`.
#[derive(Serialize)]
pub(crate) struct CitationOut {
    pub quote: String,
    /// Message-ID of the source.
    pub message_id: Option<String>,
    /// SHA-256 of the source.
    pub id: String,
    pub method: String,
    pub score: f32,
    pub passage: String,
    pub start_char: u64,
    pub end_char: u64,
    pub own_text: bool,
    pub also_in: Vec<String>,
}

/// A quote no message contains.
#[derive(Serialize)]
pub(crate) struct Unmatched {
    pub quote: String,
}

fn citation_out(archive: &Archive, c: &NewCitation) -> anyhow::Result<CitationOut> {
    let m = archive.message(c.message)?;
    Ok(CitationOut {
        quote: c.quote.clone(),
        message_id: m.message_id,
        id: m.id.to_hex(),
        method: c.method.clone(),
        score: c.score,
        passage: c.passage.clone(),
        start_char: c.start_char,
        end_char: c.end_char,
        own_text: c.own_text,
        also_in: c.also_in.clone(),
    })
}

/// An article to add: its bytes and what the user said about it.
pub(crate) struct ArticleInput {
    /// The file's bytes (text, Markdown or HTML).
    pub bytes: Vec<u8>,
    /// Its file name, for format detection and as the last-resort title.
    pub file_name: Option<String>,
    /// Where it came from, as stored (the path given, or the upload's name).
    pub source: Option<String>,
    /// Overrides of what the article's metadata says.
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub url: Option<String>,
    pub published: Option<String>,
    pub author: Option<String>,
    /// Lowest similarity of a fuzzy match.
    pub min_score: f32,
}

/// An added article with its citations and quotes without a source.
#[derive(Serialize)]
pub(crate) struct AddOut {
    pub article: ArticleRow,
    pub citations: Vec<CitationOut>,
    pub unmatched: Vec<Unmatched>,
    /// An article added earlier from a file with the same SHA-256.
    #[serde(skip)]
    pub same_as: Option<i64>,
    #[serde(skip)]
    new_citations: Vec<NewCitation>,
}

/// Adds an article: finds the source of every quote, records the citations
/// and refreshes the index terms of the cited messages. Shared by
/// `article add` and the web view.
pub(crate) fn add_article(archive: &mut Archive, input: ArticleInput) -> anyhow::Result<AddOut> {
    let text = String::from_utf8_lossy(&input.bytes).into_owned();
    let format = citation::detect_format(&text, input.file_name.as_deref());
    let art = citation::article_text(&text, format);
    let quotes = citation::extract_quotes(&art, format);
    let sha256 = Digest::of(&input.bytes).to_hex();
    let same_as = archive
        .catalog
        .articles()?
        .into_iter()
        .find(|a| a.sha256 == sha256)
        .map(|a| a.id);
    let mut writer = indexing::open_writer(archive)?;
    indexing::catch_up(archive, &mut writer, |_| {})?;
    let searcher = mailcite_index::Searcher::open(&archive.index_dir())?;

    let mut citations: Vec<NewCitation> = Vec::new();
    let mut unmatched = Vec::new();
    {
        let mut texts = Texts::new(archive);
        for q in &quotes {
            match linking::cite_quote(&searcher, &mut texts, &q.text, input.min_score)? {
                Some(c) => citations.push(c),
                None => unmatched.push(q.text.clone()),
            }
        }
        let covered: Vec<_> = quotes.iter().map(|q| q.start..q.end).collect();
        citations.extend(linking::verbatim_runs(
            &searcher, &mut texts, &art.text, &covered, 8,
        )?);
    }
    let format_name = match format {
        citation::ArticleFormat::Text => "text",
        citation::ArticleFormat::Markdown => "markdown",
        citation::ArticleFormat::Html => "html",
    };
    let new = NewArticle {
        title: input
            .title
            .or(art.title)
            .or_else(|| input.file_name.clone()),
        outlet: input.outlet,
        url: input.url.or(art.url),
        published: input.published.or(art.published),
        author: input.author.or(art.author),
        format: format_name.into(),
        file_name: input.source,
        sha256,
        text: art.text,
    };
    let id = archive.catalog.add_article(&new, &citations, &unmatched)?;
    // Cited messages were marked stale: refresh their `cited` terms.
    indexing::catch_up(archive, &mut writer, |_| {})?;
    writer.close()?;

    Ok(AddOut {
        article: archive.catalog.article(id)?,
        citations: citations
            .iter()
            .map(|c| citation_out(archive, c))
            .collect::<anyhow::Result<_>>()?,
        unmatched: unmatched
            .iter()
            .map(|q| Unmatched { quote: q.clone() })
            .collect(),
        same_as,
        new_citations: citations,
    })
}

fn add(ctx: &Context, args: ArticleAddArgs) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read the article {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let mut archive = open(ctx, Mode::Write)?;
    let out = add_article(
        &mut archive,
        ArticleInput {
            bytes,
            file_name,
            source: Some(args.file.display().to_string()),
            title: args.title,
            outlet: args.outlet,
            url: args.url,
            published: args.published,
            author: args.author,
            min_score: args.min_score,
        },
    )?;
    if let Some(same) = out.same_as {
        eprintln!(
            "mailcite: note: {} was already added as article {} (same SHA-256); adding it again as a new article (remove the old one with `mailcite article remove {}`)",
            args.file.display(),
            same,
            same
        );
    }
    if args.json {
        output::print_json(&out)?;
        return Ok(Outcome::Success);
    }
    print_article_head(&out.article)?;
    outln!(
        "{} quoted passage{}: {} linked to a message, {} without a source",
        out.citations.len() + out.unmatched.len(),
        if out.citations.len() + out.unmatched.len() == 1 {
            ""
        } else {
            "s"
        },
        out.citations.len(),
        out.unmatched.len()
    );
    for (i, c) in out.new_citations.iter().enumerate() {
        print_citation(&archive, i + 1, c)?;
    }
    let unmatched: Vec<String> = out.unmatched.iter().map(|u| u.quote.clone()).collect();
    print_unmatched(&unmatched)?;
    Ok(Outcome::Success)
}

fn print_article_head(a: &ArticleRow) -> anyhow::Result<()> {
    let mut meta = Vec::new();
    for v in [&a.outlet, &a.author, &a.published, &a.url]
        .into_iter()
        .flatten()
    {
        meta.push(line(v));
    }
    outln!(
        "Article {}: {}{}",
        a.id,
        line(a.title.as_deref().unwrap_or("(untitled)")),
        if meta.is_empty() {
            String::new()
        } else {
            format!(" ({})", meta.join(", "))
        }
    );
    Ok(())
}

/// A passage on one line: line breaks and runs of white space become one
/// space, then everything is made safe for the terminal.
fn one_line(s: &str) -> String {
    line(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn print_citation(archive: &Archive, n: usize, c: &NewCitation) -> anyhow::Result<()> {
    let m = archive.message(c.message)?;
    outln!();
    outln!("{n:>3}. \"{}\"", one_line(&clip(&c.quote, 200)));
    outln!(
        "     → {}  {}  {}  {}",
        short_id(&m.id.to_hex()),
        message_date(m.date_utc, m.date_offset),
        clip(&line(&sender(&m.from)), 30),
        clip(&line(m.subject.as_deref().unwrap_or("(no subject)")), 60)
    );
    let mut how = c.method.clone();
    if c.method == "fuzzy" {
        how.push_str(&format!(" {:.2}", c.score));
    }
    if !c.own_text {
        how.push_str(", quoted in that message: its original was not found");
    }
    if !c.also_in.is_empty() {
        how.push_str(&format!(
            "; also in {} other message{}",
            c.also_in.len(),
            if c.also_in.len() == 1 { "" } else { "s" }
        ));
    }
    outln!("       {how}");
    if c.method != "exact" {
        outln!(
            "       message has: \"{}\"",
            one_line(&clip(&c.passage, 200))
        );
    }
    Ok(())
}

fn print_unmatched(unmatched: &[String]) -> anyhow::Result<()> {
    if !unmatched.is_empty() {
        outln!();
        outln!("Quotes without a source in the archive:");
        for q in unmatched {
            outln!("  \"{}\"", one_line(&clip(q, 200)));
        }
    }
    Ok(())
}

fn list(ctx: &Context, args: JsonArg) -> anyhow::Result<Outcome> {
    let archive = open(ctx, Mode::Read)?;
    let articles = archive.catalog.articles()?;
    if args.json {
        output::print_json(&serde_json::json!({ "articles": articles }))?;
        return Ok(Outcome::Success);
    }
    if articles.is_empty() {
        outln!("No articles yet; add one with `mailcite article add FILE`.");
    }
    for a in &articles {
        outln!(
            "{:>4}  {:>3} citations  {:>3} unmatched  {}{}",
            a.id,
            a.citations,
            a.unmatched,
            line(a.title.as_deref().unwrap_or("(untitled)")),
            a.outlet
                .as_deref()
                .map(|o| format!(" ({})", line(o)))
                .unwrap_or_default()
        );
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct ShowOut {
    article: ArticleRow,
    citations: Vec<CitationRow>,
    unmatched: Vec<Unmatched>,
}

fn show(ctx: &Context, args: ArticleRefArgs) -> anyhow::Result<Outcome> {
    let archive = open(ctx, Mode::Read)?;
    let article = archive.catalog.article(args.id)?;
    let citations = archive.catalog.citations_of_article(args.id)?;
    let unmatched = archive.catalog.unmatched_quotes(args.id)?;
    if args.json {
        output::print_json(&ShowOut {
            article,
            citations,
            unmatched: unmatched
                .into_iter()
                .map(|quote| Unmatched { quote })
                .collect(),
        })?;
        return Ok(Outcome::Success);
    }
    print_article_head(&article)?;
    outln!(
        "{} citation{}, {} quote{} without a source",
        citations.len(),
        if citations.len() == 1 { "" } else { "s" },
        unmatched.len(),
        if unmatched.len() == 1 { "" } else { "s" }
    );
    for (i, c) in citations.iter().enumerate() {
        print_citation(&archive, i + 1, &c.citation)?;
    }
    print_unmatched(&unmatched)?;
    Ok(Outcome::Success)
}

fn remove(ctx: &Context, args: ArticleRefArgs) -> anyhow::Result<Outcome> {
    let mut archive = open(ctx, Mode::Write)?;
    let n = archive.catalog.remove_article(args.id)?;
    let mut writer = indexing::open_writer(&mut archive)?;
    indexing::catch_up(&mut archive, &mut writer, |_| {})?;
    writer.close()?;
    if args.json {
        output::print_json(&serde_json::json!({ "article": args.id, "citations_removed": n }))?;
    } else {
        outln!(
            "Removed article {} and its {n} citation{} (no message was removed).",
            args.id,
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(Outcome::Success)
}
