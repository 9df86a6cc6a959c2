//! `mailcite people`: the correspondents of the archive, or of the messages
//! a search matches.

use super::selection::{self, Selected};
use crate::cli::{PeopleArgs, PeopleSort};
use crate::output::{self, clip, outln, sanitize::line, thousands};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::people::Person;
use serde::Serialize;

/// How many people the terminal listing shows without `--limit`.
const TERMINAL_LIMIT: usize = 50;
/// How many display names a terminal line shows (all are in JSON and CSV).
const TERMINAL_NAMES: usize = 3;

#[derive(Serialize)]
struct PersonOut {
    address: String,
    names: Vec<String>,
    messages: u64,
    sent: u64,
    received: u64,
    /// RFC 3339, UTC.
    first_date: Option<String>,
    last_date: Option<String>,
    /// UTC seconds.
    first_date_utc: Option<i64>,
    last_date_utc: Option<i64>,
    same_name: Vec<String>,
}

#[derive(Serialize)]
struct PeopleOut {
    query: Option<String>,
    messages: u64,
    without_sender: u64,
    total_people: usize,
    sort: &'static str,
    people: Vec<PersonOut>,
}

/// `t` as RFC 3339 in UTC.
pub(crate) fn rfc3339(t: Option<i64>) -> Option<String> {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// `t` as a UTC calendar date, `YYYY-MM-DD`.
fn utc_day(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d").to_string())
}

/// Sorts in place; ties by address.
fn sort(people: &mut [Person], by: PeopleSort) {
    people.sort_by(|a, b| {
        let primary = match by {
            PeopleSort::Messages => b.messages.cmp(&a.messages),
            PeopleSort::Sent => b.sent.cmp(&a.sent),
            PeopleSort::Received => b.received.cmp(&a.received),
            PeopleSort::Address => std::cmp::Ordering::Equal,
            // Undated people last in both date orders.
            PeopleSort::First => a
                .first_date
                .unwrap_or(i64::MAX)
                .cmp(&b.first_date.unwrap_or(i64::MAX)),
            PeopleSort::Last => b
                .last_date
                .unwrap_or(i64::MIN)
                .cmp(&a.last_date.unwrap_or(i64::MIN)),
        };
        primary.then_with(|| a.address.cmp(&b.address))
    });
}

fn sort_name(by: PeopleSort) -> &'static str {
    match by {
        PeopleSort::Messages => "messages",
        PeopleSort::Sent => "sent",
        PeopleSort::Received => "received",
        PeopleSort::Address => "address",
        PeopleSort::First => "first",
        PeopleSort::Last => "last",
    }
}

pub fn run(ctx: &Context, args: PeopleArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let selected = selection::select(&archive, &args.query)?;
    let report = archive
        .catalog
        .people(selected.as_ref().map(|s| &s.selection))?;
    let outcome = match &selected {
        Some(s) if s.selection.is_empty() => Outcome::NoMatch,
        _ => Outcome::Success,
    };
    let mut people = report.people;
    let total_people = people.len();
    sort(&mut people, args.sort);
    let limit = match args.limit {
        Some(0) => usize::MAX,
        Some(n) => n,
        None if args.json || args.csv => usize::MAX,
        None => TERMINAL_LIMIT,
    };
    people.truncate(limit);
    let query = selected.map(|Selected { query, .. }| query);

    if args.json {
        output::print_json(&PeopleOut {
            query,
            messages: report.messages,
            without_sender: report.without_sender,
            total_people,
            sort: sort_name(args.sort),
            people: people
                .into_iter()
                .map(|p| PersonOut {
                    first_date: rfc3339(p.first_date),
                    last_date: rfc3339(p.last_date),
                    first_date_utc: p.first_date,
                    last_date_utc: p.last_date,
                    address: p.address,
                    names: p.names,
                    messages: p.messages,
                    sent: p.sent,
                    received: p.received,
                    same_name: p.same_name,
                })
                .collect(),
        })?;
        return Ok(outcome);
    }
    if args.csv {
        let mut buf = Vec::new();
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            w.write_record([
                "address",
                "names",
                "messages",
                "sent",
                "received",
                "first_date",
                "last_date",
                "same_name",
            ])?;
            for p in &people {
                w.write_record([
                    csv_cell(&p.address),
                    csv_cell(&p.names.join("; ")),
                    p.messages.to_string(),
                    p.sent.to_string(),
                    p.received.to_string(),
                    rfc3339(p.first_date).unwrap_or_default(),
                    rfc3339(p.last_date).unwrap_or_default(),
                    csv_cell(&p.same_name.join("; ")),
                ])?;
            }
            w.flush()?;
        }
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(&mut out, &buf)?;
        return Ok(outcome);
    }

    let scope = match &query {
        Some(q) => format!(" matching {}", line(q)),
        None => String::new(),
    };
    outln!(
        "{} {} in {} message{}{}{}",
        thousands(total_people as u64),
        if total_people == 1 {
            "person"
        } else {
            "people"
        },
        thousands(report.messages),
        if report.messages == 1 { "" } else { "s" },
        scope,
        if report.without_sender > 0 {
            format!(
                " ({} without a sender address: counted for their recipients only)",
                thousands(report.without_sender)
            )
        } else {
            String::new()
        }
    );
    if people.is_empty() {
        return Ok(outcome);
    }
    outln!();
    outln!(
        "{:>8} {:>7} {:>8}  {:<10}  {:<10}  address, names",
        "messages",
        "sent",
        "received",
        "first",
        "last"
    );
    for p in &people {
        let mut names = p
            .names
            .iter()
            .take(TERMINAL_NAMES)
            .map(|n| format!("\"{}\"", clip(&line(n), 40)))
            .collect::<Vec<_>>()
            .join(", ");
        if p.names.len() > TERMINAL_NAMES {
            names.push_str(&format!(" +{} more", p.names.len() - TERMINAL_NAMES));
        }
        let same = if p.same_name.is_empty() {
            String::new()
        } else {
            format!(
                "  [same name as {}]",
                p.same_name
                    .iter()
                    .map(|a| line(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        outln!(
            "{:>8} {:>7} {:>8}  {:<10}  {:<10}  {}{}{}{}",
            thousands(p.messages),
            thousands(p.sent),
            thousands(p.received),
            utc_day(p.first_date),
            utc_day(p.last_date),
            line(&p.address),
            if names.is_empty() { "" } else { "  " },
            names,
            same
        );
    }
    if people.len() < total_people {
        outln!();
        outln!(
            "showing {} of {}; --limit 0 lists everyone",
            thousands(people.len() as u64),
            thousands(total_people as u64)
        );
    }
    Ok(outcome)
}

/// A CSV cell that a spreadsheet will not evaluate (a leading = + - @ gets
/// a quote), with control characters made visible.
pub(crate) fn csv_cell(s: &str) -> String {
    let s = line(s);
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    }
}
