//! `mailcite dkim`: check signatures again against the archived keys.

use crate::cli::DkimArgs;
use crate::output::{self, message_date, outln, sanitize::line, sender, short_id};
use crate::{Context, Outcome, authenticity};
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::auth::{AuthResult, NewKey};
use mailcite_archive::catalog::now_rfc3339;
use mailcite_archive::dkim;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::IsTerminal;

#[derive(Serialize)]
struct MessageOut {
    id: String,
    message_id: Option<String>,
    date: Option<String>,
    from: String,
    subject: Option<String>,
    #[serde(flatten)]
    authenticity: authenticity::Authenticity,
}

#[derive(Serialize)]
struct DkimOut {
    checked: usize,
    changed: usize,
    /// DKIM signatures per status, plus `none` for unsigned messages.
    counts: BTreeMap<String, u64>,
    keys_fetched: Vec<String>,
    messages: Vec<MessageOut>,
}

/// Runs `mailcite dkim`.
pub fn run(ctx: &Context, args: DkimArgs) -> anyhow::Result<Outcome> {
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let keys = if args.query.is_empty() {
        let mut keys = Vec::new();
        let mut after = 0;
        loop {
            let chunk = archive.catalog.keys_after(after, 50_000)?;
            match chunk.last() {
                Some(&k) => after = k,
                None => break,
            }
            keys.extend(chunk);
        }
        keys
    } else {
        // Bring the index up to date under this process's write lock first
        // (an outdated index is rebuilt), then search it.
        let mut writer = crate::indexing::open_writer(&mut archive)?;
        crate::indexing::catch_up(&mut archive, &mut writer, |_| {})?;
        writer.close()?;
        crate::indexing::matching_keys(&archive, &args.query.join(" "))?
            .into_iter()
            .map(|k| k as i64)
            .collect()
    };
    let bar = if !ctx.quiet && std::io::stderr().is_terminal() {
        let b = ProgressBar::with_draw_target(
            Some(keys.len() as u64),
            ProgressDrawTarget::stderr_with_hz(8),
        );
        b.set_style(
            ProgressStyle::with_template("{spinner} checking {wide_bar} {pos}/{len} messages")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let (mut results, mut changed) =
        authenticity::recheck(&mut archive, &keys, |n| bar.set_position(n))?;
    bar.finish_and_clear();

    let mut fetched = Vec::new();
    if args.dns {
        let missing = missing_keys(&results);
        if !missing.is_empty() && !ctx.quiet {
            eprintln!(
                "mailcite: looking up {} key{} in DNS; the domains' owners can see these look-ups",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            );
        }
        let today = now_rfc3339().chars().take(10).collect::<String>();
        for (domain, selector) in &missing {
            match dkim::fetch_key_dns(domain, selector) {
                Ok(records) if !records.is_empty() => {
                    let new: Vec<NewKey<'_>> = records
                        .iter()
                        .map(|r| NewKey {
                            domain,
                            selector,
                            record: r,
                            first_seen: Some(&today),
                            last_seen: Some(&today),
                            origin: "dns",
                        })
                        .collect();
                    archive.catalog.add_keys(&new)?;
                    fetched.push(format!("{selector}._domainkey.{domain}"));
                }
                Ok(_) => {
                    eprintln!("mailcite: warning: DNS has no key at {selector}._domainkey.{domain}")
                }
                Err(e) => eprintln!(
                    "mailcite: warning: DNS look-up of {selector}._domainkey.{domain} failed: {e}"
                ),
            }
        }
        if !fetched.is_empty() {
            let again: Vec<i64> = results
                .iter()
                .filter(|(_, r)| r.iter().any(|s| s.status == "nokey"))
                .map(|(k, _)| *k)
                .collect();
            let (redone, more) = authenticity::recheck(&mut archive, &again, |_| {})?;
            for (k, r) in redone {
                if let Some(slot) = results.iter_mut().find(|(key, _)| *key == k) {
                    slot.1 = r;
                }
            }
            changed.extend(more);
            changed.sort_unstable();
            changed.dedup();
        }
    }

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut messages = Vec::new();
    for (key, res) in &results {
        let dkim_results: Vec<&AuthResult> = res.iter().filter(|r| r.is_dkim()).collect();
        if dkim_results.is_empty() {
            *counts.entry("none".into()).or_default() += 1;
        }
        for r in &dkim_results {
            *counts.entry(r.status.clone()).or_default() += 1;
        }
        if res.is_empty() && !args.all {
            continue;
        }
        let m = archive.message(*key)?;
        messages.push(MessageOut {
            id: m.id.to_hex(),
            message_id: m.message_id.clone(),
            date: m
                .date_utc
                .map(|t| output::date_in_zone(t, m.date_offset.unwrap_or(0))),
            from: sender(&m.from),
            subject: m.subject.clone(),
            authenticity: authenticity::authenticity(Some(res)),
        });
    }
    let out = DkimOut {
        checked: results.len(),
        changed: changed.len(),
        counts,
        keys_fetched: fetched,
        messages,
    };
    if args.json {
        output::print_json(&out)?;
        return Ok(Outcome::Success);
    }
    for m in &out.messages {
        let d = archive.lookup(&m.id)?;
        outln!(
            "{}  {}  {}  {}",
            short_id(&m.id),
            message_date(d.date_utc, d.date_offset),
            line(&output::clip(&m.from, 30)),
            line(&output::clip(m.subject.as_deref().unwrap_or(""), 50))
        );
        for s in &m.authenticity.signatures {
            outln!("    {}", line(&authenticity::describe(s)));
        }
        if m.authenticity.signatures.is_empty() {
            outln!("    not signed");
        }
    }
    let counts: Vec<String> = out.counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    outln!(
        "Checked {} message{} ({} changed). DKIM signatures: {}.",
        out.checked,
        if out.checked == 1 { "" } else { "s" },
        out.changed,
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    );
    if out.counts.contains_key("nokey") {
        outln!(
            "Some keys are missing: add archived keys with `mailcite keys add FILE` (see `mailcite dkim --help`)."
        );
    }
    Ok(Outcome::Success)
}

/// `(domain, selector)` of every signature that found no key.
fn missing_keys(results: &[(i64, Vec<AuthResult>)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = results
        .iter()
        .flat_map(|(_, r)| r.iter())
        .filter(|r| r.status == "nokey" && !r.domain.is_empty())
        .map(|r| (r.domain.clone(), r.selector.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}
