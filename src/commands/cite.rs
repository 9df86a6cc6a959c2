//! `mailcite cite`: a citation recorded by hand.

use crate::cli::CiteArgs;
use crate::linking::{self, Texts};
use crate::output::{self, outln, sanitize::line, short_id};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::articles::{ArticleRow, NewCitation};
use mailcite_archive::catalog::MessageRow;

/// A citation recorded by hand.
pub(crate) struct Recorded {
    /// Its id.
    pub citation: Option<i64>,
    pub article: ArticleRow,
    pub message: MessageRow,
    pub new: NewCitation,
}

/// Records that `article` quotes `passage` of the message `reference` (id,
/// prefix or Message-ID), after checking that the passage is in it (only
/// case, white space, wrapping, quote marks and dashes may differ), and
/// refreshes the message's index terms. Shared by `cite` and the web view.
pub(crate) fn record(
    archive: &mut Archive,
    article: i64,
    reference: &str,
    passage: &str,
) -> anyhow::Result<Recorded> {
    let article = archive.catalog.article(article)?;
    let m = archive.lookup(reference)?;
    let citation = {
        let mut texts = Texts::new(archive);
        linking::cite_manual(&mut texts, m.key, passage)?
    };
    let Some(c) = citation else {
        anyhow::bail!(
            "the passage is not in message {} (compared ignoring case, white space, line wrapping and quote marks); check it with `mailcite show {}`",
            short_id(&m.id.to_hex()),
            short_id(&m.id.to_hex())
        );
    };
    let ids = archive
        .catalog
        .add_citations(article.id, std::slice::from_ref(&c))?;
    let mut writer = indexing::open_writer(archive)?;
    indexing::catch_up(archive, &mut writer, |_| {})?;
    writer.close()?;
    Ok(Recorded {
        citation: ids.first().copied(),
        article,
        message: m,
        new: c,
    })
}

pub fn run(ctx: &Context, args: CiteArgs) -> anyhow::Result<Outcome> {
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let Recorded {
        citation,
        article,
        message: m,
        new: c,
    } = record(&mut archive, args.article, &args.id, &args.passage)?;
    if args.json {
        output::print_json(&serde_json::json!({
            "citation": citation,
            "article": article.id,
            "id": m.id.to_hex(),
            "message_id": m.message_id,
            "passage": c.passage,
            "start_char": c.start_char,
            "end_char": c.end_char,
            "score": c.score,
        }))?;
    } else {
        outln!(
            "Recorded: article {} quotes message {} at characters {}..{}: \"{}\"",
            article.id,
            short_id(&m.id.to_hex()),
            c.start_char,
            c.end_char,
            line(&c.passage)
        );
    }
    Ok(Outcome::Success)
}
