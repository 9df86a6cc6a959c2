//! Everything that reaches the user's screen goes through here: terminal-safe
//! text, colours, numbers and dates, and versioned JSON.

pub mod sanitize;

/// `println!` that returns an error instead of panicking when stdout is
/// closed (`mailcite search ... | head`); `main` treats a broken pipe as
/// success.
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock())?
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}
pub(crate) use outln;

use serde::Serialize;

/// Version of every `--json` output; see docs/json-schema.md.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Prints `value` as one JSON document with `schema_version` first.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut v = serde_json::to_value(value)?;
    let mut out = serde_json::Map::new();
    out.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
    if let serde_json::Value::Object(m) = &mut v {
        out.extend(std::mem::take(m));
    } else {
        out.insert("value".into(), v);
    }
    let s = serde_json::to_string_pretty(&serde_json::Value::Object(out))?;
    outln!("{s}");
    Ok(())
}

/// `12345678` as `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in a human unit.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A UTC timestamp shown in the zone the message was written in.
pub fn date_in_zone(utc: i64, offset_secs: i32) -> String {
    use chrono::{FixedOffset, TimeZone};
    let tz = FixedOffset::east_opt(offset_secs)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"));
    match tz.timestamp_opt(utc, 0).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S %z").to_string(),
        None => format!("@{utc}"),
    }
}

/// A message's date for display, or `(no date)`.
pub fn message_date(utc: Option<i64>, offset: Option<i32>) -> String {
    match utc {
        Some(t) => date_in_zone(t, offset.unwrap_or(0)),
        None => "(no date)".into(),
    }
}

/// The first 12 hex digits of an id: enough to be unique in practice, and
/// accepted wherever an id is.
pub fn short_id(hex: &str) -> &str {
    &hex[..hex.len().min(12)]
}

/// An address list as `Name <addr>, ...`.
pub fn addresses(list: &[mailcite_archive::message::Address]) -> String {
    list.iter()
        .map(|a| match (&a.name, &a.address) {
            (Some(n), Some(ad)) if !n.is_empty() => format!("{n} <{ad}>"),
            (_, Some(ad)) => ad.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sender for one-line listings: display name, else address.
pub fn sender(list: &[mailcite_archive::message::Address]) -> String {
    list.first()
        .and_then(|a| {
            a.name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .or_else(|| a.address.clone())
        })
        .unwrap_or_default()
}

/// Truncates to `n` characters with an ellipsis, for table columns.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(98126), "98,126");
        assert_eq!(thousands(7), "7");
        assert_eq!(human_bytes(238_518_321), "227.5 MiB");
        assert_eq!(
            date_in_zone(1247479872, 4 * 3600),
            "2009-07-13 14:11:12 +0400"
        );
    }
}

pub mod chart;
pub mod markup;
