//! `mailcite cite`: a citation recorded by hand.

use crate::cli::CiteArgs;
use crate::linking::{self, Texts};
use crate::output::{self, outln, sanitize::line, short_id};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};

pub fn run(ctx: &Context, args: CiteArgs) -> anyhow::Result<Outcome> {
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let article = archive.catalog.article(args.article)?;
    let m = archive.lookup(&args.id)?;
    let citation = {
        let mut texts = Texts::new(&archive);
        linking::cite_manual(&mut texts, m.key, &args.passage)?
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
    let mut writer = indexing::open_writer(&mut archive)?;
    indexing::catch_up(&mut archive, &mut writer, |_| {})?;
    writer.close()?;
    if args.json {
        output::print_json(&serde_json::json!({
            "citation": ids.first(),
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
