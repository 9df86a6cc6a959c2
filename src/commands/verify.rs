//! `mailcite verify`: prove nothing in the archive changed since import.

use crate::cli::VerifyArgs;
use crate::output::{self, outln, sanitize::line, thousands};
use crate::{Context, Outcome};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::verify;
use std::io::IsTerminal;

pub fn run(ctx: &Context, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let total = verify::object_count(&archive)?;
    let bar = if !ctx.quiet && std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(8));
        b.set_style(
            ProgressStyle::with_template("{spinner} verifying {wide_bar} {pos}/{len} objects")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let report = verify::verify(&archive, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    if args.json {
        output::print_json(&report)?;
    } else {
        outln!(
            "{} objects checked: {} re-hash to their id, {} problem{}",
            thousands(report.objects),
            thousands(report.ok),
            thousands(report.problems.len() as u64),
            if report.problems.len() == 1 { "" } else { "s" }
        );
        for p in &report.problems {
            outln!(
                "  {}: {}",
                p.id.as_deref().unwrap_or("archive"),
                line(&p.problem)
            );
            if let Some(mid) = &p.message_id {
                outln!("    Message-ID <{}>", line(mid));
            }
            for o in &p.occurrences {
                outln!("    from {}", line(o));
            }
        }
    }
    if report.problems.is_empty() {
        Ok(Outcome::Success)
    } else {
        Ok(Outcome::NoMatch)
    }
}
