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
    let started = Instant::now();
    let dir = archive.index_dir();
    // The index is derived data: rebuild it from nothing, in a fresh
    // directory, and swap it in only when it is complete.
    let tmp = archive.dir().join("index.rebuild");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("cannot remove {}", tmp.display()))?;
    }
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
    let documents = {
        let mut writer = mailcite_index::IndexWriter::open(&tmp)
            .with_context(|| format!("cannot create the index {}", tmp.display()))?;
        let n = indexing::rebuild(&mut archive, &mut writer, |n| bar.set_position(n))?;
        writer.close()?;
        n
    };
    bar.finish_and_clear();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::rename(&tmp, &dir)
        .with_context(|| format!("cannot move the new index to {}", dir.display()))?;
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
