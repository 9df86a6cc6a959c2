//! Time evidence from the `Received:` chain.
//!
//! Every mail server that handles a message prepends a `Received:` header
//! ending in `; <date>`. Read bottom-up, the chain is the route from the
//! sender's first server to the last; the bottom-most dated hop is the
//! closest independent witness of when the message was sent. A Date header
//! far from it (a backdated or forward-dated message, or a clock that was
//! wrong) is worth a reporter's attention.

use crate::message::{MessageDate, parse_date_fallback};
use serde::Serialize;

/// Default largest gap between the Date header and the first hop that is not
/// reported: one day.
pub const DEFAULT_MAX_DATE_SKEW_SECS: i64 = 86_400;

/// Received headers read per message; the rest are ignored (a crafted
/// message can carry thousands).
const MAX_HOPS: usize = 100;

/// One `Received:` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The `from` clause: the host that handed the message over.
    pub from: Option<String>,
    /// The `by` clause: the host that received it.
    pub by: Option<String>,
    /// The `with` clause: the protocol (`SMTP`, `ESMTPS`, ...).
    pub with: Option<String>,
    /// The timestamp after the last `;`, resolved.
    pub date: Option<MessageDate>,
    /// The timestamp as written.
    pub date_raw: Option<String>,
}

/// The `Received:` headers of a raw message, in header order (the last
/// server first, the first hop last). Unfolds continuation lines; reads
/// headers only (up to the first empty line); never fails.
pub fn hops(raw: &[u8]) -> Vec<Hop> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in header_lines(raw) {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if let Some(value) = current.take() {
            out.push(parse_hop(&value));
            if out.len() >= MAX_HOPS {
                return out;
            }
        }
        if line.len() > 9 && line[..9].eq_ignore_ascii_case(b"received:") {
            current = Some(String::from_utf8_lossy(&line[9..]).trim().to_string());
        }
    }
    if let Some(value) = current {
        out.push(parse_hop(&value));
    }
    out
}

/// The time of the first hop: the bottom-most `Received:` header with a date
/// that could be read.
pub fn first_hop_time(hops: &[Hop]) -> Option<MessageDate> {
    hops.iter().rev().find_map(|h| h.date)
}

/// True when the Date header and the first hop are more than `max_skew_secs`
/// apart.
pub fn date_is_anomalous(date: i64, first_hop: i64, max_skew_secs: i64) -> bool {
    date.abs_diff(first_hop) > max_skew_secs.max(0) as u64
}

/// Lines of the header section, without their line endings.
fn header_lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take_while(|l| !l.is_empty())
}

fn parse_hop(value: &str) -> Hop {
    let (route, date_raw) = match value.rfind(';') {
        Some(i) => {
            let d = value[i + 1..].trim();
            (&value[..i], (!d.is_empty()).then(|| d.to_string()))
        }
        None => (value, None),
    };
    let date = date_raw.as_deref().and_then(parse_date_fallback);
    Hop {
        from: clause(route, "from"),
        by: clause(route, "by"),
        with: clause(route, "with"),
        date,
        date_raw,
    }
}

/// The value after the keyword `name` in a Received route, with any comment
/// in parentheses that directly follows it (`mail.example.org (mail.example.org [192.0.2.1])`).
fn clause(route: &str, name: &str) -> Option<String> {
    let words: Vec<&str> = route.split_whitespace().collect();
    let at = words.iter().position(|w| w.eq_ignore_ascii_case(name))?;
    let first = words.get(at + 1)?;
    let mut out = first.to_string();
    if words.get(at + 2).is_some_and(|w| w.starts_with('(')) {
        let mut depth = 0i32;
        for w in &words[at + 2..] {
            depth += w.matches('(').count() as i32 - w.matches(')').count() as i32;
            out.push(' ');
            out.push_str(w);
            if depth <= 0 || out.len() > 300 {
                break;
            }
        }
    }
    Some(out.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"Received: from relay.example.net (relay.example.net [192.0.2.7])\r\n\
\tby mx.example.org with ESMTPS id 123; Tue, 14 Jul 2009 10:05:00 +0400\r\n\
Received: from [10.0.0.5] by relay.example.net with SMTP;\r\n Tue, 14 Jul 2009 06:01:00 +0000\r\n\
Subject: Received: not a header\r\n\
\r\n\
Received: from body.example by nowhere; Mon, 1 Jan 2001 00:00:00 +0000\r\n";

    #[test]
    fn reads_the_chain_in_header_order() {
        let h = hops(MSG);
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0].from.as_deref(),
            Some("relay.example.net (relay.example.net [192.0.2.7])")
        );
        assert_eq!(h[0].by.as_deref(), Some("mx.example.org"));
        assert_eq!(h[0].with.as_deref(), Some("ESMTPS"));
        assert_eq!(h[1].from.as_deref(), Some("[10.0.0.5]"));
        assert_eq!(
            h[1].date_raw.as_deref(),
            Some("Tue, 14 Jul 2009 06:01:00 +0000")
        );
        let first = first_hop_time(&h).unwrap();
        assert_eq!(first.utc, 1_247_551_260);
        assert_eq!(h[0].date.unwrap().utc, 1_247_551_500);
        assert_eq!(h[0].date.unwrap().offset_secs, 4 * 3600);
    }

    #[test]
    fn undated_hops_are_skipped_for_the_first_time() {
        let m = b"Received: by a; Tue, 14 Jul 2009 06:01:00 +0000\nReceived: from b by c\n\nx";
        let h = hops(m);
        assert_eq!(h.len(), 2);
        assert!(h[1].date.is_none());
        assert_eq!(first_hop_time(&h).unwrap().utc, 1_247_551_260);
    }

    #[test]
    fn anomaly_threshold() {
        assert!(!date_is_anomalous(1000, 1000 + 86_400, 86_400));
        assert!(date_is_anomalous(1000, 1000 + 86_401, 86_400));
        assert!(date_is_anomalous(1000 + 86_401, 1000, 86_400));
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let mut m = Vec::new();
        for _ in 0..500 {
            m.extend_from_slice(b"Received: from (((((( by ;;;; \xff\xfe\r\n \r\n");
        }
        m.extend_from_slice(b"Received:\nReceived: by\nReceived: ;\n\n");
        let h = hops(&m);
        assert_eq!(h.len(), MAX_HOPS);
        let _ = hops(b"Received");
        let _ = hops(b"");
    }
}
