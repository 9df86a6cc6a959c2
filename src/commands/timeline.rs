//! `mailcite timeline`: messages per day, week, month or year, in the
//! terminal, as JSON or as an SVG chart. Dates are bucketed by their UTC
//! calendar date; undated messages are counted apart.

use super::people::rfc3339;
use super::selection;
use crate::cli::{BucketArg, TimelineArgs, TimelineBy};
use crate::output::chart::{self, SvgChart};
use crate::output::{self, outln, sanitize::line, thousands};
use crate::{Context, Outcome};
use anyhow::Context as _;
use chrono::{Datelike, Days, Months, NaiveDate};
use mailcite_archive::archive::{Archive, Mode};
use serde::Serialize;
use std::collections::HashMap;

/// More buckets than this is a mistake (`--bucket day` over centuries).
const MAX_BUCKETS: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bucket {
    Day,
    Week,
    Month,
    Year,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
            Bucket::Year => "year",
        }
    }

    /// The bucket for a span of dates: under 60 days per day, under 2 years
    /// per week, under 25 years per month, else per year.
    fn for_span(first: i64, last: i64) -> Bucket {
        let days = (last - first).max(0) / 86_400;
        if days < 60 {
            Bucket::Day
        } else if days < 730 {
            Bucket::Week
        } else if days < 25 * 365 {
            Bucket::Month
        } else {
            Bucket::Year
        }
    }

    /// The first day of the bucket holding `day`.
    fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Bucket::Day => day,
            Bucket::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Bucket::Month => day.with_day(1).unwrap_or(day),
            Bucket::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day),
        }
    }

    /// The first day of the next bucket.
    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Bucket::Day => start.checked_add_days(Days::new(1)),
            Bucket::Week => start.checked_add_days(Days::new(7)),
            Bucket::Month => start.checked_add_months(Months::new(1)),
            Bucket::Year => start.checked_add_months(Months::new(12)),
        }
    }

    fn label(self, start: NaiveDate) -> String {
        match self {
            Bucket::Day | Bucket::Week => start.format("%Y-%m-%d").to_string(),
            Bucket::Month => start.format("%Y-%m").to_string(),
            Bucket::Year => start.format("%Y").to_string(),
        }
    }
}

#[derive(Serialize)]
struct BucketOut {
    /// First day of the bucket, `YYYY-MM-DD` (UTC).
    start: String,
    label: String,
    count: u64,
}

#[derive(Serialize)]
struct SenderOut {
    address: String,
    total: u64,
    counts: Vec<u64>,
}

#[derive(Serialize)]
struct TimelineOut {
    query: Option<String>,
    bucket: &'static str,
    timezone: &'static str,
    messages: u64,
    dated: u64,
    undated: u64,
    first_date: Option<String>,
    last_date: Option<String>,
    buckets: Vec<BucketOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    senders: Option<Vec<SenderOut>>,
}

fn day_of(secs: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive())
}

pub fn run(ctx: &Context, args: TimelineArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let selected = selection::select(&archive, &args.query)?;
    let sel = selected.as_ref().map(|s| &s.selection);
    let outcome = match sel {
        Some(s) if s.is_empty() => Outcome::NoMatch,
        _ => Outcome::Success,
    };
    let rows = archive.catalog.message_dates(sel)?;
    let messages = rows.len() as u64;
    // A date chrono cannot represent counts as undated.
    let dated: Vec<(i64, NaiveDate, Option<&str>)> = rows
        .iter()
        .filter_map(|r| {
            let t = r.date_utc?;
            day_of(t).map(|d| (t, d, r.sender.as_deref()))
        })
        .collect();
    let undated = messages - dated.len() as u64;
    let first = dated.iter().map(|d| d.0).min();
    let last = dated.iter().map(|d| d.0).max();
    let bucket = match args.bucket {
        Some(BucketArg::Day) => Bucket::Day,
        Some(BucketArg::Week) => Bucket::Week,
        Some(BucketArg::Month) => Bucket::Month,
        Some(BucketArg::Year) => Bucket::Year,
        None => match (first, last) {
            (Some(a), Some(b)) => Bucket::for_span(a, b),
            _ => Bucket::Day,
        },
    };

    // Every bucket from the first date's to the last date's.
    let mut starts: Vec<NaiveDate> = Vec::new();
    if let (Some(a), Some(b)) = (first.and_then(day_of), last.and_then(day_of)) {
        let end = bucket.start(b);
        let mut d = bucket.start(a);
        loop {
            starts.push(d);
            if d >= end {
                break;
            }
            anyhow::ensure!(
                starts.len() < MAX_BUCKETS,
                "more than {MAX_BUCKETS} {}s between {a} and {b}: choose a larger --bucket",
                bucket.name()
            );
            match bucket.next(d) {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    let index: HashMap<NaiveDate, usize> =
        starts.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut counts = vec![0u64; starts.len()];
    let mut by_sender: HashMap<&str, Vec<u64>> = HashMap::new();
    let want_senders = args.by == Some(TimelineBy::Sender);
    for (_, day, sender) in &dated {
        if let Some(&i) = index.get(&bucket.start(*day)) {
            counts[i] += 1;
            if want_senders && let Some(s) = sender {
                by_sender.entry(s).or_insert_with(|| vec![0; starts.len()])[i] += 1;
            }
        }
    }
    let senders: Option<Vec<SenderOut>> = want_senders.then(|| {
        let mut list: Vec<SenderOut> = by_sender
            .into_iter()
            .map(|(a, c)| SenderOut {
                address: a.to_string(),
                total: c.iter().sum(),
                counts: c,
            })
            .collect();
        list.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then_with(|| a.address.cmp(&b.address))
        });
        list.truncate(args.top);
        list
    });
    let labels: Vec<String> = starts.iter().map(|d| bucket.label(*d)).collect();
    let query = selected.map(|s| s.query);
    let unit = match bucket {
        Bucket::Week => "week (starting Monday, UTC)".to_string(),
        b => format!("{} (UTC)", b.name()),
    };
    let scope = match &query {
        Some(q) => format!(" matching {q}"),
        None => String::new(),
    };
    let summary = format!(
        "{} message{}{}: {} dated, {} undated{}",
        thousands(messages),
        if messages == 1 { "" } else { "s" },
        scope,
        thousands(dated.len() as u64),
        thousands(undated),
        if undated > 0 {
            " (not in the chart)"
        } else {
            ""
        }
    );

    if let Some(path) = &args.out {
        let series: Vec<(String, Vec<u64>)> = senders
            .iter()
            .flatten()
            .map(|s| (s.address.clone(), s.counts.clone()))
            .collect();
        let title = format!(
            "Messages per {unit}{}",
            if want_senders {
                format!(", top {} senders", series.len())
            } else {
                String::new()
            }
        );
        let x_title = match bucket {
            Bucket::Week => "week starting (UTC)".to_string(),
            b => format!("{} (UTC)", b.name()),
        };
        let svg = chart::svg(&SvgChart {
            title: &title,
            subtitle: &summary,
            x_title: &x_title,
            labels: &labels,
            bars: (!want_senders).then_some(&counts[..]),
            series: &series,
        });
        std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        if !args.json {
            outln!(
                "{}; {} {}s written to {}",
                line(&summary),
                thousands(labels.len() as u64),
                bucket.name(),
                line(&path.display().to_string())
            );
            return Ok(outcome);
        }
    }

    if args.json {
        output::print_json(&TimelineOut {
            query,
            bucket: bucket.name(),
            timezone: "UTC",
            messages,
            dated: dated.len() as u64,
            undated,
            first_date: rfc3339(first),
            last_date: rfc3339(last),
            buckets: starts
                .iter()
                .zip(&labels)
                .zip(&counts)
                .map(|((d, l), &c)| BucketOut {
                    start: d.format("%Y-%m-%d").to_string(),
                    label: l.clone(),
                    count: c,
                })
                .collect(),
            senders,
        })?;
        return Ok(outcome);
    }

    outln!("Messages per {unit}; {}", line(&summary));
    if labels.is_empty() {
        return Ok(outcome);
    }
    outln!();
    let label_w = labels.iter().map(|l| l.len()).max().unwrap_or(0);
    let max = counts.iter().copied().max().unwrap_or(0);
    let count_w = thousands(max).len();
    match &senders {
        None => {
            let bar_w = chart::terminal_columns()
                .map_or(60, |c| c.saturating_sub(label_w + count_w + 4))
                .max(10);
            for (l, &c) in labels.iter().zip(&counts) {
                outln!(
                    "{l:<label_w$}  {:>count_w$}  {}",
                    thousands(c),
                    chart::bar(c, max, bar_w)
                );
            }
        }
        Some(list) => {
            let addr_w = list
                .iter()
                .map(|s| s.address.chars().count().min(40))
                .max()
                .unwrap_or(0)
                .max(6);
            let spark_w = chart::terminal_columns()
                .map_or(60, |c| c.saturating_sub(addr_w + 12))
                .max(10);
            let per = labels.len().div_ceil(spark_w);
            outln!(
                "{:<addr_w$}  {:>7}  {} .. {}{}",
                "sender",
                "total",
                labels[0],
                labels[labels.len() - 1],
                if per > 1 {
                    format!(" ({per} {}s per character)", bucket.name())
                } else {
                    String::new()
                }
            );
            for s in list {
                outln!(
                    "{:<addr_w$}  {:>7}  {}",
                    output::clip(&line(&s.address), 40),
                    thousands(s.total),
                    chart::sparkline(&s.counts, spark_w)
                );
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(Bucket::Week.start(d(2009, 7, 19)), d(2009, 7, 13));
        assert_eq!(Bucket::Week.start(d(2009, 7, 13)), d(2009, 7, 13));
        assert_eq!(Bucket::Month.next(d(2009, 12, 1)), Some(d(2010, 1, 1)));
        assert_eq!(Bucket::for_span(0, 59 * 86_400), Bucket::Day);
        assert_eq!(Bucket::for_span(0, 60 * 86_400), Bucket::Week);
        assert_eq!(Bucket::for_span(0, 800 * 86_400), Bucket::Month);
        assert_eq!(Bucket::for_span(0, 30 * 365 * 86_400), Bucket::Year);
        assert_eq!(Bucket::Month.label(d(2009, 7, 1)), "2009-07");
    }
}
