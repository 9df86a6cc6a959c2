//! `mailcite show`: one message, with its provenance.

use crate::authenticity::{authenticity, describe};
use crate::cli::ShowArgs;
use crate::output::{self, addresses, human_bytes, message_date, outln, sanitize};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::articles::CitationRow;
use mailcite_archive::catalog::{MessageRow, Occurrence};
use mailcite_archive::extract;
use mailcite_archive::message::{AttachmentInfo, parse_message, parse_message_with_attachments};
use mailcite_archive::received::{self, Hop};
use mailcite_archive::safe_name::safe_file_name;
use serde::Serialize;
use std::io::{IsTerminal, Write};

#[derive(Serialize)]
struct ShowOut<'a> {
    #[serde(flatten)]
    message: &'a MessageRow,
    date: Option<String>,
    text: String,
    attachments_list: &'a [AttachmentInfo],
    occurrences: Vec<Occurrence>,
    conflicts: Vec<String>,
    thread_size: usize,
    cited_in: Vec<CitationRow>,
    authenticity: crate::authenticity::Authenticity,
    /// Text extraction per attachment (same order as `attachments`).
    attachment_texts: Vec<mailcite_archive::catalog::AttachmentText>,
    /// The Received chain, last server first.
    received: Vec<Hop>,
    /// Time of the first hop (bottom-most dated Received), in its own zone.
    first_received: Option<String>,
    /// Seconds from the first hop to the Date header (negative: the Date is
    /// earlier than the first hop).
    date_skew_secs: Option<i64>,
    /// True when `date_skew_secs` exceeds the archive's threshold.
    date_anomaly: bool,
    /// Messages found inside this one (attached, or pasted and
    /// reconstructed), in order; `show e-IDENTITY` shows one.
    embedded: Vec<mailcite_archive::catalog::EmbeddedRow>,
}

/// `show e-IDENTITY --json`.
#[derive(Serialize)]
struct EmbeddedShowOut {
    id: String,
    #[serde(flatten)]
    message: mailcite_archive::catalog::EmbeddedRow,
    date: Option<String>,
    /// Ids of the archived messages that carry it.
    carried_by: Vec<String>,
}

pub fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    if let Some(identity) = args.id.trim().strip_prefix("e-") {
        return show_embedded(&archive, identity, args.json);
    }
    let m = archive.lookup(&args.id)?;
    let raw = archive.raw(&m).with_context(|| {
        format!(
            "cannot read message {} from the store; run `mailcite verify`",
            m.id
        )
    })?;
    if args.raw {
        let mut out = std::io::stdout().lock();
        if out.is_terminal() {
            eprintln!(
                "mailcite: stdout is a terminal: control characters are shown escaped; redirect to a file for the exact bytes"
            );
            out.write_all(sanitize::for_terminal(&String::from_utf8_lossy(&raw), true).as_bytes())?;
        } else {
            out.write_all(&raw)?;
        }
        return Ok(Outcome::Success);
    }
    if let Some(dir) = &args.save {
        return save_attachments(&raw, args.attachment, dir, args.json);
    }
    if let Some(n) = args.attachment {
        return attachment_text(&raw, n, args.json);
    }
    let parsed = parse_message(&raw);
    let occurrences = archive.catalog.occurrences(m.key)?;
    let conflicts: Vec<String> = archive
        .catalog
        .conflicts_of(m.key)?
        .iter()
        .map(|d| d.to_hex())
        .collect();
    let thread_size = archive.catalog.thread_members_count(m.thread)?;
    let attachment_texts = archive.catalog.attachment_texts(m.key)?;
    let cited_in = archive.catalog.citations_of_message(m.key)?;
    let auth = authenticity(archive.catalog.auth_results(m.key)?.as_deref());
    let hops = received::hops(&raw);
    let first = received::first_hop_time(&hops);
    let skew = match (m.date_utc, first) {
        (Some(d), Some(f)) => Some(d - f.utc),
        _ => None,
    };
    let max_skew = archive.catalog.max_date_skew()?;
    let anomaly = skew.is_some_and(|s| s.unsigned_abs() > max_skew.max(0) as u64);
    let embedded = archive.catalog.embedded_in(m.key)?;
    if args.json {
        output::print_json(&ShowOut {
            message: &m,
            date: m
                .date_utc
                .map(|t| output::date_in_zone(t, m.date_offset.unwrap_or(0))),
            text: parsed.text,
            attachments_list: &m.attachments,
            occurrences,
            conflicts,
            thread_size,
            cited_in,
            authenticity: auth,
            attachment_texts,
            first_received: first.map(|f| output::date_in_zone(f.utc, f.offset_secs)),
            received: hops,
            date_skew_secs: skew,
            date_anomaly: anomaly,
            embedded,
        })?;
        return Ok(Outcome::Success);
    }
    let l = sanitize::line;
    let field = |name: &str, value: &str| -> anyhow::Result<()> {
        if !value.is_empty() {
            outln!("{name:<11}{}", l(value));
        }
        Ok(())
    };
    field("id", &m.id.to_hex())?;
    if let Some(mid) = &m.message_id {
        field("Message-ID", &format!("<{mid}>"))?;
    }
    let date = message_date(m.date_utc, m.date_offset);
    match &m.date_raw {
        Some(raw) if !raw.is_empty() => field("Date", &format!("{date}  (header: {raw})"))?,
        _ => field("Date", &date)?,
    }
    field("From", &addresses(&m.from))?;
    field("To", &addresses(&m.to))?;
    field("Cc", &addresses(&m.cc))?;
    field("Bcc", &addresses(&m.bcc))?;
    field("Reply-To", &addresses(&m.reply_to))?;
    field("Subject", m.subject.as_deref().unwrap_or(""))?;
    if thread_size > 1 {
        field(
            "Thread",
            &format!(
                "{thread_size} messages (mailcite thread {})",
                output::short_id(&m.id.to_hex())
            ),
        )?;
    }
    field("Size", &human_bytes(m.size))?;
    if !m.charset_fallbacks.is_empty() {
        field(
            "Charsets",
            &format!("guessed: {}", m.charset_fallbacks.join(", ")),
        )?;
    }
    if auth.dkim == "unchecked" || auth.signatures.is_empty() {
        field("DKIM", &auth.summary)?;
    } else {
        for sig in &auth.signatures {
            field("DKIM", &describe(sig))?;
        }
    }
    if anomaly && let (Some(s), Some(f)) = (skew, first) {
        field(
            "Time",
            &format!(
                "the Date header is {} {} the first Received hop ({}): check which to trust",
                human_duration(s.unsigned_abs()),
                if s > 0 { "after" } else { "before" },
                output::date_in_zone(f.utc, f.offset_secs)
            ),
        )?;
    }
    for w in &m.warnings {
        field("Warning", w)?;
    }
    for c in &conflicts {
        field(
            "Conflict",
            &format!("message {c} has the same Message-ID but different bytes"),
        )?;
    }
    if !m.attachments.is_empty() {
        outln!("Attachments:");
        for (i, a) in m.attachments.iter().enumerate() {
            let text = match attachment_texts.get(i) {
                Some(t) => match (t.status.as_deref(), t.chars, &t.error) {
                    (Some("text"), Some(n), _) => format!(
                        "  text: {} characters (mailcite show {} --attachment {})",
                        n,
                        output::short_id(&m.id.to_hex()),
                        i + 1
                    ),
                    (Some("failed"), _, Some(why)) => format!("  text: failed: {why}"),
                    _ => String::new(),
                },
                None => String::new(),
            };
            outln!(
                "  {}. {}  {}  {}{}",
                i + 1,
                l(a.name.as_deref().unwrap_or("(unnamed)")),
                l(&a.content_type),
                human_bytes(a.size),
                l(&text)
            );
        }
    }
    if args.headers {
        outln!();
        outln!("Headers as written:");
        for h in header_block(&raw) {
            outln!("  {}", l(&h));
        }
        outln!();
        if hops.is_empty() {
            outln!("Received chain: none (the message carries no Received header)");
        } else {
            outln!(
                "Received chain ({} hop{}, first hop last):",
                hops.len(),
                if hops.len() == 1 { "" } else { "s" }
            );
            for (i, h) in hops.iter().enumerate() {
                let when = match (h.date, &h.date_raw) {
                    (Some(d), _) => {
                        let mut s = output::date_in_zone(d.utc, d.offset_secs);
                        if let Some(date) = m.date_utc {
                            let gap = date - d.utc;
                            if gap != 0 {
                                s.push_str(&format!(
                                    "  (Date header {} {})",
                                    human_duration(gap.unsigned_abs()),
                                    if gap > 0 { "later" } else { "earlier" }
                                ));
                            }
                        }
                        s
                    }
                    (None, Some(r)) => format!("unreadable time \"{r}\""),
                    (None, None) => "no time".into(),
                };
                outln!(
                    "  {}. {}  from {}  by {}{}",
                    hops.len() - i,
                    l(&when),
                    l(h.from.as_deref().unwrap_or("?")),
                    l(h.by.as_deref().unwrap_or("?")),
                    h.with
                        .as_deref()
                        .map(|w| format!("  with {}", l(w)))
                        .unwrap_or_default()
                );
            }
        }
    }
    outln!();
    outln!("{}", sanitize::for_terminal(parsed.text.trim_end(), true));
    if !cited_in.is_empty() {
        outln!();
        outln!(
            "Cited in {} place{}:",
            cited_in.len(),
            if cited_in.len() == 1 { "" } else { "s" }
        );
        for c in &cited_in {
            outln!(
                "  article {} ({}): \"{}\" [{} at characters {}..{}]",
                c.article,
                l(c.article_title.as_deref().unwrap_or("untitled")),
                l(&c.citation.passage),
                c.citation.method,
                c.citation.start_char,
                c.citation.end_char
            );
        }
    }
    if !embedded.is_empty() {
        outln!();
        outln!(
            "Messages inside ({}): `mailcite show e-ID` shows one",
            embedded.len()
        );
        for e in &embedded {
            let depth = e.nesting(&embedded);
            outln!(
                "  {}e-{}  {}{}  {}  {}  {}",
                "  ".repeat(depth),
                &e.identity[..12.min(e.identity.len())],
                e.kind,
                if e.reconstructed {
                    " (reconstructed)"
                } else {
                    ""
                },
                crate::commands::search::embedded_date_or_none(e.date_utc, e.date_offset),
                output::clip(&l(&output::sender(&e.from)), 30),
                output::clip(&l(e.subject.as_deref().unwrap_or("(no subject)")), 60)
            );
        }
    }
    outln!();
    outln!(
        "Occurrences ({}): where each copy of these exact bytes was found",
        occurrences.len()
    );
    for o in &occurrences {
        outln!("  {}", l(&occurrence_line(o)));
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct AttachmentTextOut<'a> {
    attachment: usize,
    name: Option<&'a str>,
    content_type: &'a str,
    size: u64,
    #[serde(flatten)]
    outcome: &'a extract::Outcome,
}

/// `show --attachment N`: the text extracted from one attachment.
fn attachment_text(raw: &[u8], n: usize, json: bool) -> anyhow::Result<Outcome> {
    let parsed = parse_message_with_attachments(raw);
    let count = parsed.attachments.len();
    let (Some(info), Some(content)) = (
        n.checked_sub(1).and_then(|i| parsed.attachments.get(i)),
        n.checked_sub(1)
            .and_then(|i| parsed.attachment_contents.get(i)),
    ) else {
        anyhow::bail!(
            "the message has {count} attachment{}; choose N from 1 to {count}",
            if count == 1 { "" } else { "s" }
        );
    };
    let outcome = extract::attachment(info, content);
    if json {
        output::print_json(&AttachmentTextOut {
            attachment: n,
            name: info.name.as_deref(),
            content_type: &info.content_type,
            size: info.size,
            outcome: &outcome,
        })?;
        return Ok(Outcome::Success);
    }
    let name = info.name.as_deref().unwrap_or("(unnamed)");
    match &outcome {
        extract::Outcome::Text {
            text, truncated, ..
        } => {
            outln!("{}", sanitize::for_terminal(text.trim_end(), true));
            if *truncated {
                eprintln!(
                    "mailcite: note: the text of {} was cut at {} MiB",
                    sanitize::line(name),
                    extract::MAX_TEXT >> 20
                );
            }
        }
        extract::Outcome::Unsupported => anyhow::bail!(
            "attachment {n} ({}, {}) is not a format mailcite reads text from",
            sanitize::line(name),
            sanitize::line(&info.content_type)
        ),
        extract::Outcome::Failed { format, reason } => anyhow::bail!(
            "could not read the text of attachment {n} ({}, as {format}): {}",
            sanitize::line(name),
            sanitize::line(reason)
        ),
    }
    Ok(Outcome::Success)
}

#[derive(Serialize)]
struct SavedOut {
    attachment: usize,
    name: Option<String>,
    path: std::path::PathBuf,
    bytes: usize,
}

/// `show --save DIR [--attachment N]`: writes attachments under safe names,
/// never over an existing file.
fn save_attachments(
    raw: &[u8],
    only: Option<usize>,
    dir: &std::path::Path,
    json: bool,
) -> anyhow::Result<Outcome> {
    let parsed = parse_message_with_attachments(raw);
    let count = parsed.attachments.len();
    if let Some(n) = only
        && (n == 0 || n > count)
    {
        anyhow::bail!(
            "the message has {count} attachment{}; choose N from 1 to {count}",
            if count == 1 { "" } else { "s" }
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let mut saved = Vec::new();
    for (i, (info, content)) in parsed
        .attachments
        .iter()
        .zip(&parsed.attachment_contents)
        .enumerate()
    {
        if only.is_some_and(|n| n != i + 1) {
            continue;
        }
        let name = safe_file_name(info.name.as_deref().unwrap_or(""), i);
        let bytes = content.bytes();
        let path = write_new(dir, &name, bytes)?;
        saved.push(SavedOut {
            attachment: i + 1,
            name: info.name.clone(),
            path,
            bytes: bytes.len(),
        });
    }
    if json {
        output::print_json(&serde_json::json!({ "saved": saved }))?;
    } else if saved.is_empty() {
        outln!("The message has no attachment.");
    } else {
        for s in &saved {
            outln!(
                "{}. {}  ({})",
                s.attachment,
                sanitize::line(&s.path.display().to_string()),
                human_bytes(s.bytes as u64)
            );
        }
    }
    Ok(Outcome::Success)
}

/// Creates `dir/name` (or `dir/stem (2).ext`, ...) without replacing
/// anything, and writes `bytes` to it.
fn write_new(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> anyhow::Result<std::path::PathBuf> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    for k in 1..10_000 {
        let candidate = if k == 1 {
            name.to_string()
        } else {
            format!("{stem} ({k}){ext}")
        };
        let path = dir.join(&candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", path.display()));
            }
        }
    }
    anyhow::bail!("too many files named like {name} in {}", dir.display())
}

/// `3 d 4 h`, `2 h 5 min`, `40 s`.
fn human_duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{secs} s")
    }
}

/// The header fields of a raw message, unfolded, one per entry.
fn header_block(raw: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        match out.last_mut() {
            Some(last) if line[0] == b' ' || line[0] == b'\t' => {
                last.push(' ');
                last.push_str(text.trim());
            }
            _ => out.push(text.into_owned()),
        }
    }
    out
}

/// One line of provenance: container, position, From_ line, flags.
pub fn occurrence_line(o: &Occurrence) -> String {
    let mut s = match &o.file {
        Some(f) => format!("{f}  ({} {})", o.format, o.source),
        None => format!(
            "{}  message {} at byte {} ({} bytes, {}{})",
            o.source,
            o.index,
            o.offset,
            o.length,
            o.format,
            o.variant
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ),
    };
    if let Some(f) = &o.from_line {
        s.push_str(&format!("  [{f}]"));
    }
    if let Some(fl) = &o.flags {
        s.push_str(&format!(
            "  flags:{}",
            if fl.is_empty() { "new" } else { fl }
        ));
    }
    if let Some(folder) = &o.folder {
        s.push_str(&format!("  folder:{folder}"));
    }
    if let Some(sha) = &o.source_sha256 {
        s.push_str(&format!("  container sha256:{sha}"));
    }
    s
}

/// `mailcite show e-IDENTITY`: a message found inside archived messages.
fn show_embedded(archive: &Archive, identity: &str, json: bool) -> anyhow::Result<Outcome> {
    let Some((e, _)) = archive.catalog.embedded_by_identity(identity)? else {
        anyhow::bail!(
            "no message found inside another has the id e-{}; `mailcite search is:embedded` lists them (give more characters if the prefix is ambiguous)",
            sanitize::line(identity)
        );
    };
    let carried_by = archive.catalog.embedded_carrier_ids(e.child)?;
    let date = e
        .date_utc
        .map(|t| crate::commands::search::embedded_date(t, e.date_offset));
    if json {
        output::print_json(&EmbeddedShowOut {
            id: format!("e-{}", e.identity),
            date,
            carried_by,
            message: e,
        })?;
        return Ok(Outcome::Success);
    }
    let l = |s: &str| sanitize::line(s);
    let addrs = output::addresses;
    outln!("e-{}", e.identity);
    outln!(
        "{}",
        match (e.kind.as_str(), e.reconstructed) {
            ("attached", _) =>
                "Attached message (message/rfc822 part): headers and text as sent".to_string(),
            (k, true) => format!(
                "{} message reconstructed from the text of the carrying message: header lines as pasted{}",
                if k == "forwarded" {
                    "Forwarded"
                } else {
                    "Quoted"
                },
                e.marker
                    .as_deref()
                    .map(|m| format!(" under \"{}\"", l(m)))
                    .unwrap_or_default()
            ),
            (k, false) => k.to_string(),
        }
    );
    outln!("From:       {}", l(&addrs(&e.from)));
    if !e.to.is_empty() {
        outln!("To:         {}", l(&addrs(&e.to)));
    }
    if !e.cc.is_empty() {
        outln!("Cc:         {}", l(&addrs(&e.cc)));
    }
    outln!(
        "Date:       {}{}",
        date.as_deref().unwrap_or("(no date)"),
        e.date_raw
            .as_deref()
            .map(|r| format!("  (as written: {})", l(r)))
            .unwrap_or_default()
    );
    outln!(
        "Subject:    {}",
        l(e.subject.as_deref().unwrap_or("(no subject)"))
    );
    if let Some(id) = &e.message_id {
        outln!("Message-ID: {}", l(id));
    }
    outln!("Carried by ({}):", carried_by.len());
    for id in &carried_by {
        outln!("  {id}");
    }
    outln!();
    outln!("{}", sanitize::for_terminal(e.text.trim_end(), true));
    Ok(Outcome::Success)
}
