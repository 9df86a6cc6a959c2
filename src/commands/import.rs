//! `mailcite import`: containers in, accounting out.

use crate::cli::ImportArgs;
use crate::output::{self, outln, sanitize::line, thousands};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::ingest::{self, ImportOptions, Progress};
use mailcite_archive::source::mbox::Variant;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How many failures and warnings per container the text summary shows.
const SHOW_PER_CONTAINER: usize = 5;

pub fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<Outcome> {
    for p in &args.paths {
        if !p.exists() {
            anyhow::bail!(
                "{}: no such file or directory; check the path (nothing was imported)",
                p.display()
            );
        }
    }
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let defaults = ImportOptions::default();
    let opts = ImportOptions {
        variant: args.mbox_variant.as_deref().and_then(Variant::parse),
        args: std::env::args().collect::<Vec<_>>().join(" "),
        max_message_bytes: args
            .max_message_bytes
            .map_or(defaults.max_message_bytes, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
        batch_messages: args.batch_messages.map_or(defaults.batch_messages, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        }),
        ..defaults
    };
    let progress = Arc::new(Progress::default());
    let show_bar = !ctx.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let ticker = show_bar.then(|| spawn_progress(progress.clone()));
    // The index is derived: bring it up to date with the archive first (an
    // earlier import may have been interrupted), then feed it as batches commit.
    let mut writer = indexing::open_writer(&mut archive)?;
    indexing::catch_up(&mut archive, &mut writer, |_| {})?;
    let mut feed = indexing::Feed::new(&mut writer, archive.catalog.max_date_skew()?);
    let result = ingest::import(&mut archive, &args.paths, &opts, &progress, &mut feed);
    let feed_error = feed.error.take();
    if let Some((bar, stop)) = ticker {
        stop.store(true, Ordering::Relaxed);
        bar.finish_and_clear();
    }
    let report = result.with_context(|| "import failed".to_string())?;
    match feed_error {
        None => {
            let upto = archive.catalog.max_key()?;
            indexing::commit(&mut archive, &mut writer, upto, &[])?;
        }
        Some(e) => {
            // The archive is complete; rebuild what the index missed from it.
            eprintln!(
                "mailcite: warning: the search index missed messages ({e}); catching up from the archive"
            );
            writer.rollback()?;
        }
    }
    indexing::catch_up(&mut archive, &mut writer, |_| {})?;
    writer.close()?;
    let elapsed = started.elapsed();
    if args.json {
        output::print_json(&report)?;
    } else {
        print_summary(&report, elapsed, args.verbose)?;
    }
    Ok(Outcome::Success)
}

fn spawn_progress(progress: Arc<Progress>) -> (ProgressBar, Arc<std::sync::atomic::AtomicBool>) {
    let bar = ProgressBar::with_draw_target(
        Some(progress.total_bytes.load(Ordering::Relaxed)),
        ProgressDrawTarget::stderr_with_hz(8),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (b, s) = (bar.clone(), stop.clone());
    std::thread::spawn(move || {
        let start = Instant::now();
        while !s.load(Ordering::Relaxed) {
            let total = progress.total_bytes.load(Ordering::Relaxed);
            b.set_length(total.max(1));
            b.set_position(progress.bytes_read.load(Ordering::Relaxed).min(total));
            let n = progress.messages.load(Ordering::Relaxed);
            let rate = n as f64 / start.elapsed().as_secs_f64().max(0.001);
            let cur = progress
                .current
                .lock()
                .map(|c| c.rsplit('/').next().unwrap_or("").to_string())
                .unwrap_or_default();
            b.set_message(format!(
                "{} messages, {:.0}/s  {}",
                thousands(n),
                rate,
                line(&cur)
            ));
            std::thread::sleep(Duration::from_millis(120));
        }
    });
    (bar, stop)
}

fn print_summary(r: &ingest::ImportReport, elapsed: Duration, verbose: bool) -> anyhow::Result<()> {
    let t = &r.totals;
    let read: Vec<_> = r
        .containers
        .iter()
        .filter(|c| c.status != "unchanged")
        .collect();
    let unchanged = r.containers.len() - read.len();
    let secs = elapsed.as_secs_f64();
    outln!(
        "{} messages in {} container{} read in {:.1} s ({:.0} messages/s): {} imported, {} duplicates, {} failed",
        thousands(t.messages),
        read.len(),
        if read.len() == 1 { "" } else { "s" },
        secs,
        t.messages as f64 / secs.max(0.001),
        thousands(t.imported),
        thousands(t.duplicates),
        thousands(t.failed),
    );
    if unchanged > 0 {
        outln!(
            "{unchanged} container{} already imported and unchanged: nothing new from {}.",
            if unchanged == 1 { " was" } else { "s were" },
            if unchanged == 1 { "it" } else { "them" }
        );
    }
    if !r.containers.is_empty() {
        outln!();
        outln!(
            "{:>9} {:>9} {:>10} {:>7}  {:<24} path",
            "messages",
            "imported",
            "duplicates",
            "failed",
            "format"
        );
        for c in &r.containers {
            let mut fmt = c.format.clone();
            let extra: Vec<&str> = [c.variant.as_deref(), c.compression.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !extra.is_empty() {
                fmt = format!("{fmt} ({})", extra.join(", "));
            }
            if c.status == "unchanged" {
                fmt = format!("{fmt} unchanged");
            } else if c.status == "resumed" {
                fmt = format!("{fmt} resumed");
            }
            outln!(
                "{:>9} {:>9} {:>10} {:>7}  {:<24} {}",
                thousands(c.messages),
                thousands(c.imported),
                thousands(c.duplicates),
                thousands(c.failed),
                fmt,
                line(&c.path.display().to_string())
            );
        }
    }
    let failed: Vec<_> = r
        .containers
        .iter()
        .filter(|c| !c.failures.is_empty())
        .collect();
    if !failed.is_empty() {
        outln!("\nFailed messages (not stored; the reason says what was wrong):");
        for c in failed {
            let n = if verbose {
                usize::MAX
            } else {
                SHOW_PER_CONTAINER
            };
            for f in c.failures.iter().take(n) {
                outln!(
                    "  {}: message {} at byte {}: {}",
                    line(&c.path.display().to_string()),
                    f.index,
                    f.offset,
                    line(&f.reason)
                );
            }
            if c.failures.len() > n {
                outln!(
                    "  ... and {} more (use --verbose or --json)",
                    c.failures.len() - n
                );
            }
        }
    }
    let warned: Vec<_> = r
        .containers
        .iter()
        .filter(|c| !c.warnings.is_empty())
        .collect();
    if !warned.is_empty() {
        let total: usize = warned.iter().map(|c| c.warnings.len()).sum();
        outln!(
            "\n{} message{} stored with warnings (imported; the raw bytes are kept exactly):",
            thousands(total as u64),
            if total == 1 { "" } else { "s" }
        );
        for c in warned {
            let n = if verbose {
                usize::MAX
            } else {
                SHOW_PER_CONTAINER.min(3)
            };
            for w in c.warnings.iter().take(n) {
                outln!(
                    "  {}: message {} at byte {}: {}",
                    line(&c.path.display().to_string()),
                    w.index,
                    w.offset,
                    line(&w.warning)
                );
            }
            if c.warnings.len() > n {
                outln!(
                    "  ... and {} more (use --verbose or --json)",
                    c.warnings.len() - n
                );
            }
        }
    }
    if !r.skipped.is_empty() {
        outln!(
            "\nSkipped {} path{} that {} not mail:",
            r.skipped.len(),
            if r.skipped.len() == 1 { "" } else { "s" },
            if r.skipped.len() == 1 { "is" } else { "are" }
        );
        let n = if verbose { usize::MAX } else { 20 };
        for s in r.skipped.iter().take(n) {
            outln!(
                "  {}: {}",
                line(&s.path.display().to_string()),
                line(&s.reason)
            );
        }
        if r.skipped.len() > n {
            outln!(
                "  ... and {} more (use --verbose or --json)",
                r.skipped.len() - n
            );
        }
    }
    Ok(())
}
