//! `mailcite reindex`: rebuild the derived index from the archive alone.

use crate::cli::ReindexArgs;
use crate::output::{self, outln, thousands};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcite_archive::archive::{Archive, Mode};
use serde::Serialize;
use std::io::IsTerminal;
use std::time::Instant;

#[derive(Serialize)]
struct ReindexOut {
    documents: u64,
    seconds: f64,
}

pub fn run(ctx: &Context, args: ReindexArgs) -> anyhow::Result<Outcome> {
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    if let Some(secs) = args.max_date_skew {
        archive.catalog.set_max_date_skew(secs)?;
    }
    let started = Instant::now();
    let total = archive.catalog.stats()?.messages;
    let bar = if !ctx.quiet && std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(8));
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} indexing {wide_bar} {pos}/{len} messages {per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let documents = indexing::rebuild_in_place(&mut archive, |n| bar.set_position(n))?;
    bar.finish_and_clear();
    let out = ReindexOut {
        documents,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        output::print_json(&out)?;
    } else {
        outln!(
            "Indexed {} messages in {:.1} s.",
            thousands(out.documents),
            out.seconds
        );
    }
    Ok(Outcome::Success)
}
