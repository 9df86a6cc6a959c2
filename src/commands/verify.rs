//! `mailcite verify`: prove nothing in the archive changed since import, and
//! that catalog, store and index agree; `--repair` fixes what it can.

use crate::cli::VerifyArgs;
use crate::output::{self, outln, sanitize::line, thousands};
use crate::{Context, Outcome, indexing};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::verify::{self, Problem, RepairReport, VerifyReport};
use serde::Serialize;
use std::collections::HashMap;
use std::io::IsTerminal;

#[derive(Serialize)]
struct VerifyOut {
    #[serde(flatten)]
    report: VerifyReport,
    /// Documents in the search index.
    index_documents: u64,
    /// What `--repair` did, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    repair: Option<RepairOut>,
}

#[derive(Serialize)]
struct RepairOut {
    #[serde(flatten)]
    objects: RepairReport,
    index_rebuilt: bool,
    /// Problems left after the repair (verify ran again).
    remaining: Vec<Problem>,
}

pub fn run(ctx: &Context, args: VerifyArgs) -> anyhow::Result<Outcome> {
    let mode = if args.repair { Mode::Write } else { Mode::Read };
    let mut archive = Archive::open(&ctx.archive, mode)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let (mut report, mut docs) = check(ctx, &archive)?;
    let repair = if args.repair && !report.problems.is_empty() {
        let objects = verify::repair(&mut archive, &report)?;
        let index_bad = report.problems.iter().any(|p| p.kind.starts_with("index-"))
            || !objects.recovered.is_empty();
        if index_bad {
            indexing::rebuild_in_place(&mut archive, |_| {})?;
        }
        let (after, after_docs) = check(ctx, &archive)?;
        docs = after_docs;
        let out = RepairOut {
            objects,
            index_rebuilt: index_bad,
            remaining: after.problems.clone(),
        };
        // Report what was found, then what is left.
        let found = std::mem::replace(&mut report, after);
        report.problems = found.problems;
        Some(out)
    } else {
        None
    };
    let remaining = repair
        .as_ref()
        .map_or(report.problems.len(), |r| r.remaining.len());
    let out = VerifyOut {
        report,
        index_documents: docs,
        repair,
    };
    if args.json {
        output::print_json(&out)?;
    } else {
        print(&out)?;
    }
    Ok(if remaining == 0 {
        Outcome::Success
    } else {
        Outcome::NoMatch
    })
}

/// Runs every check: objects and catalog (archive crate), then the index.
fn check(ctx: &Context, archive: &Archive) -> anyhow::Result<(VerifyReport, u64)> {
    let total = verify::object_count(archive)?;
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
    let mut report = verify::verify(archive, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    let docs = check_index(archive, &mut report)?;
    Ok((report, docs))
}

/// Compares the index with the catalog: every message indexed once under
/// its own id, nothing else indexed.
fn check_index(archive: &Archive, report: &mut VerifyReport) -> anyhow::Result<u64> {
    let dir = archive.index_dir();
    let opened = match mailcite_index::Searcher::open(&dir) {
        // An index built by an earlier mailcite is upgraded (rebuilt from
        // the archive), as every command does; then it is checked.
        Err(mailcite_index::Error::SchemaVersion { .. }) => {
            indexing::open_searcher(archive).map_err(|e| format!("{e:#}"))
        }
        other => other.map_err(|e| e.to_string()),
    };
    let searcher = match opened {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(Problem {
                kind: "index-missing".into(),
                id: None,
                key: None,
                message_id: None,
                problem: format!("the search index cannot be opened: {e}"),
                occurrences: Vec::new(),
            });
            return Ok(0);
        }
    };
    let docs = searcher.documents()?;
    let mut indexed: HashMap<i64, Vec<String>> = HashMap::with_capacity(docs.len());
    // Messages found inside archived messages: one document each, under the
    // key of the first message that carries it.
    let mut embedded: HashMap<String, Vec<i64>> = HashMap::new();
    for (key, id) in &docs {
        match id.strip_prefix("e-") {
            Some(identity) => embedded
                .entry(identity.to_string())
                .or_default()
                .push(*key as i64),
            None => indexed.entry(*key as i64).or_default().push(id.clone()),
        }
    }
    let mut expected: Vec<(String, i64)> = archive.catalog.embedded_first_carriers()?;
    expected.sort();
    for (identity, parent) in &expected {
        let found = embedded.remove(identity).unwrap_or_default();
        if found.len() == 1 && found[0] == *parent {
            continue;
        }
        let m = archive.message(*parent)?;
        let (kind, problem) = if found.is_empty() {
            (
                "index-missing",
                format!(
                    "the message found inside {} is not in the search index; `mailcite verify --repair` or `mailcite reindex` rebuilds the index",
                    m.id.to_hex()
                ),
            )
        } else {
            (
                "index-extra",
                format!(
                    "the search index holds the message found inside {} {} time(s), under other keys than its carrier's",
                    m.id.to_hex(),
                    found.len()
                ),
            )
        };
        report.problems.push(Problem {
            kind: kind.into(),
            id: Some(format!("e-{identity}")),
            key: Some(*parent),
            message_id: None,
            problem,
            occurrences: verify::occurrence_labels(archive, *parent)?,
        });
    }
    let mut unknown: Vec<(String, Vec<i64>)> = embedded.into_iter().collect();
    unknown.sort();
    for (identity, keys) in unknown {
        report.problems.push(Problem {
            kind: "index-extra".into(),
            id: Some(format!("e-{identity}")),
            key: keys.first().copied(),
            message_id: None,
            problem: "the search index holds a message found inside another that the catalog does not know".into(),
            occurrences: Vec::new(),
        });
    }
    let catalog: HashMap<i64, String> = archive
        .catalog
        .all_ids()?
        .into_iter()
        .map(|(k, d)| (k, d.to_hex()))
        .collect();
    let mut missing: Vec<i64> = catalog
        .iter()
        .filter(|(k, id)| !indexed.get(k).is_some_and(|ids| ids.contains(id)))
        .map(|(k, _)| *k)
        .collect();
    missing.sort_unstable();
    for key in missing {
        let m = archive.message(key)?;
        report.problems.push(Problem {
            kind: "index-missing".into(),
            id: Some(m.id.to_hex()),
            key: Some(key),
            message_id: m.message_id.clone(),
            problem: "the message is not in the search index (searches cannot find it); `mailcite verify --repair` or `mailcite reindex` rebuilds the index".into(),
            occurrences: verify::occurrence_labels(archive, key)?,
        });
    }
    let mut extra: Vec<(i64, String)> = indexed
        .iter()
        .flat_map(|(k, ids)| ids.iter().map(move |id| (*k, id.clone())))
        .filter(|(k, id)| catalog.get(k) != Some(id))
        .collect();
    let mut dups: Vec<i64> = indexed
        .iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(k, _)| *k)
        .collect();
    extra.sort();
    dups.sort_unstable();
    for (key, id) in extra {
        report.problems.push(Problem {
            kind: "index-extra".into(),
            id: Some(id),
            key: None,
            message_id: None,
            problem: format!(
                "the search index holds a document (catalog key {key}) for a message the catalog does not have"
            ),
            occurrences: Vec::new(),
        });
    }
    for key in dups {
        report.problems.push(Problem {
            kind: "index-extra".into(),
            id: catalog.get(&key).cloned(),
            key: Some(key),
            message_id: None,
            problem: "the search index holds this message more than once".into(),
            occurrences: Vec::new(),
        });
    }
    Ok(docs.len() as u64)
}

fn print(out: &VerifyOut) -> anyhow::Result<()> {
    let r = &out.report;
    outln!(
        "{} objects checked: {} re-hash to their id; index holds {} documents; {} problem{}",
        thousands(r.objects),
        thousands(r.ok),
        thousands(out.index_documents),
        thousands(r.problems.len() as u64),
        if r.problems.len() == 1 { "" } else { "s" }
    );
    print_problems(&r.problems)?;
    if let Some(rep) = &out.repair {
        outln!();
        outln!(
            "Repair: {} message{} read again from their sources{}; {} could not be recovered.",
            rep.objects.recovered.len(),
            if rep.objects.recovered.len() == 1 {
                ""
            } else {
                "s"
            },
            if rep.index_rebuilt {
                ", search index rebuilt"
            } else {
                ""
            },
            rep.objects.unrecovered.len()
        );
        for (id, why) in &rep.objects.unrecovered {
            outln!("  {}: {}", id, line(why));
        }
        if rep.remaining.is_empty() {
            outln!("Verified again: no problem left.");
        } else {
            outln!(
                "Verified again: {} problem{} left:",
                rep.remaining.len(),
                if rep.remaining.len() == 1 { "" } else { "s" }
            );
            print_problems(&rep.remaining)?;
        }
    } else if !r.problems.is_empty() {
        outln!(
            "Run `mailcite verify --repair` to re-read damaged messages from their source files and rebuild the index."
        );
    }
    Ok(())
}

fn print_problems(problems: &[Problem]) -> anyhow::Result<()> {
    for p in problems {
        outln!(
            "  [{}] {}: {}",
            p.kind,
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
    Ok(())
}
