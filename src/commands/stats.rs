//! `mailcite stats`: what the archive holds.

use crate::cli::StatsArgs;
use crate::output::{self, human_bytes, outln, sanitize::line, thousands};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, DiskUsage, Mode};
use mailcite_archive::catalog::{SourceRow, Stats};
use serde::Serialize;

#[derive(Serialize)]
struct StatsOut {
    archive: String,
    #[serde(flatten)]
    stats: Stats,
    first_date_rfc3339: Option<String>,
    last_date_rfc3339: Option<String>,
    disk: DiskUsage,
    #[serde(skip_serializing_if = "Option::is_none")]
    sources_list: Option<Vec<SourceRow>>,
}

fn rfc3339(t: Option<i64>) -> Option<String> {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

pub fn run(ctx: &Context, args: StatsArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let stats = archive.catalog.stats()?;
    let disk = archive.disk_usage();
    let sources = if args.sources {
        Some(archive.catalog.sources()?)
    } else {
        None
    };
    let out = StatsOut {
        archive: archive.dir().display().to_string(),
        first_date_rfc3339: rfc3339(stats.first_date),
        last_date_rfc3339: rfc3339(stats.last_date),
        stats,
        disk,
        sources_list: sources,
    };
    if args.json {
        output::print_json(&out)?;
        return Ok(Outcome::Success);
    }
    let s = &out.stats;
    outln!("archive      {}", line(&out.archive));
    outln!(
        "messages     {}  (distinct raw messages, by SHA-256)",
        thousands(s.messages)
    );
    outln!(
        "occurrences  {}  (copies found; {} duplicates)",
        thousands(s.occurrences),
        thousands(s.duplicates)
    );
    outln!(
        "sources      {}{}",
        thousands(s.sources),
        if s.incomplete_sources > 0 {
            format!(
                "  ({} not finished: run the same import again to complete)",
                s.incomplete_sources
            )
        } else {
            String::new()
        }
    );
    outln!(
        "failed       {}  (found but unreadable; see `import --json`)",
        thousands(s.failed)
    );
    outln!(
        "conflicts    {}  (Message-IDs carried by different messages)",
        thousands(s.conflicts)
    );
    outln!(
        "warnings     {}  ({} not parseable, stored raw)",
        thousands(s.with_warnings),
        thousands(s.unparsed)
    );
    match (&out.first_date_rfc3339, &out.last_date_rfc3339) {
        (Some(a), Some(b)) => outln!(
            "dates        {a} .. {b}  ({} undated)",
            thousands(s.undated)
        ),
        _ => outln!("dates        none  ({} undated)", thousands(s.undated)),
    }
    let total = out.disk.packs + out.disk.catalog + out.disk.index;
    outln!(
        "size         {} raw; on disk {} = store {} + catalog {} + index {} ({:.0}% of raw)",
        human_bytes(s.raw_bytes),
        human_bytes(total),
        human_bytes(out.disk.packs),
        human_bytes(out.disk.catalog),
        human_bytes(out.disk.index),
        if s.raw_bytes > 0 {
            total as f64 * 100.0 / s.raw_bytes as f64
        } else {
            0.0
        }
    );
    if let Some(list) = &out.sources_list {
        outln!();
        outln!(
            "{:>9} {:>9} {:>10} {:>7}  {:<10} path",
            "messages",
            "imported",
            "duplicates",
            "failed",
            "format"
        );
        for r in list {
            outln!(
                "{:>9} {:>9} {:>10} {:>7}  {:<10} {}{}",
                thousands(r.messages),
                thousands(r.imported),
                thousands(r.duplicates),
                thousands(r.failed),
                r.format,
                line(&r.path),
                if r.complete { "" } else { "  (incomplete)" }
            );
        }
    }
    Ok(Outcome::Success)
}
