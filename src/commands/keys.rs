//! `mailcite keys`: the archive's store of DKIM public keys.

use crate::cli::{KeysAddArgs, KeysCommand, KeysListArgs};
use crate::output::{self, outln, sanitize::line};
use crate::{Context, Outcome, authenticity};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::auth::NewKey;
use mailcite_archive::dkim;
use serde::Serialize;

/// Runs a `keys` subcommand.
pub fn run(ctx: &Context, cmd: KeysCommand) -> anyhow::Result<Outcome> {
    match cmd {
        KeysCommand::Add(a) => add(ctx, a),
        KeysCommand::List(a) => list(ctx, a),
    }
}

#[derive(Serialize)]
struct AddOut {
    read: usize,
    added: usize,
    rechecked: usize,
    changed: Vec<Changed>,
}

#[derive(Serialize)]
struct Changed {
    id: String,
    dkim: String,
}

fn add(ctx: &Context, args: KeysAddArgs) -> anyhow::Result<Outcome> {
    let mut records = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the key file {}", file.display()))?;
        let parsed = dkim::parse_key_file(&text).with_context(|| {
            format!(
                "{} is not a key file mailcite can read (DNS zone lines, dig output or JSON)",
                file.display()
            )
        })?;
        if parsed.is_empty() {
            anyhow::bail!(
                "{} holds no DKIM key record (expected lines like `sel._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; p=...\"`)",
                file.display()
            );
        }
        let origin = format!("file:{}", file.display());
        records.extend(parsed.into_iter().map(|r| (r, origin.clone())));
    }
    let mut archive = Archive::open(&ctx.archive, Mode::Write)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let new: Vec<NewKey<'_>> = records
        .iter()
        .map(|(r, origin)| NewKey {
            domain: &r.domain,
            selector: &r.selector,
            record: &r.record,
            first_seen: r.first_seen.as_deref(),
            last_seen: r.last_seen.as_deref(),
            origin,
        })
        .collect();
    let added = archive.catalog.add_keys(&new)?;
    // Check again every message signed with one of these selectors.
    let mut keys = Vec::new();
    for (r, _) in &records {
        keys.extend(archive.catalog.keys_signed_by(&r.domain, &r.selector)?);
    }
    keys.sort_unstable();
    keys.dedup();
    let (results, changed) = authenticity::recheck(&mut archive, &keys, |_| {})?;
    let mut changed_out = Vec::new();
    for (key, res) in &results {
        if changed.contains(key) {
            let m = archive.message(*key)?;
            changed_out.push(Changed {
                id: m.id.to_hex(),
                dkim: authenticity::authenticity(Some(res)).dkim,
            });
        }
    }
    let out = AddOut {
        read: records.len(),
        added,
        rechecked: keys.len(),
        changed: changed_out,
    };
    if args.json {
        output::print_json(&out)?;
    } else {
        outln!(
            "Read {} key record{}, {} new. Checked {} signed message{} again: {} changed.",
            out.read,
            if out.read == 1 { "" } else { "s" },
            out.added,
            out.rechecked,
            if out.rechecked == 1 { "" } else { "s" },
            out.changed.len()
        );
        for c in &out.changed {
            outln!("  {}  now {}", output::short_id(&c.id), c.dkim);
        }
    }
    Ok(Outcome::Success)
}

fn list(ctx: &Context, args: KeysListArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let keys = archive.catalog.keys()?;
    if args.json {
        output::print_json(&serde_json::json!({ "keys": keys }))?;
        return Ok(Outcome::Success);
    }
    if keys.is_empty() {
        outln!("No keys archived. Add some with `mailcite keys add FILE`.");
        return Ok(Outcome::Success);
    }
    for k in &keys {
        let seen = match (&k.first_seen, &k.last_seen) {
            (Some(a), Some(b)) => format!("seen {a} to {b}"),
            (Some(a), None) => format!("seen from {a}"),
            (None, Some(b)) => format!("seen until {b}"),
            (None, None) => "dates unknown".into(),
        };
        outln!(
            "{}._domainkey.{}  {}  ({})",
            line(&k.selector),
            line(&k.domain),
            line(&seen),
            line(&k.origin)
        );
        outln!("    {}", line(&output::clip(&k.record, 100)));
    }
    Ok(Outcome::Success)
}
