//! `mailcite timeline`: messages per bucket, in the terminal, JSON and SVG.

use crate::people::fixture_archive;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// An archive of one message per date (`YYYY-MM-DD`), from `sender-N`.
fn dated_archive(dates: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let mut mbox = String::new();
    for (i, d) in dates.iter().enumerate() {
        let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        mbox.push_str(&format!(
            "From x Mon Jan  1 00:00:00 2000\nFrom: s{}@example.org\nTo: r@example.org\nDate: {}\nSubject: m{i}\nMessage-ID: <m{i}@example.org>\n\nbody {i}\n\n",
            i % 2,
            date.format("%a, %d %b %Y 12:00:00 +0000")
        ));
    }
    let path = tmp.path().join("dated.mbox");
    std::fs::write(&path, mbox).unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&path]);
    (tmp, archive)
}

fn counts(v: &Value) -> Vec<u64> {
    v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect()
}

fn svg(archive: &Path, args: &[&str]) -> String {
    let out = archive.parent().unwrap().join("chart.svg");
    let res = mailcite(archive)
        .arg("timeline")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn bucket_follows_the_span() {
    let (_t, a) = dated_archive(&["2009-01-05", "2009-02-20"]);
    let v = json(&a, &["timeline"]);
    assert_eq!(v["bucket"], "day", "46 days");
    assert_eq!(
        counts(&v).len(),
        47,
        "every day of the span, empty ones as 0"
    );

    let (_t, a) = dated_archive(&["2009-01-05", "2009-01-07", "2009-06-30"]);
    let v = json(&a, &["timeline"]);
    assert_eq!(v["bucket"], "week");
    let c = counts(&v);
    assert_eq!((c[0], *c.last().unwrap()), (2, 1));
    assert_eq!(
        v["buckets"][0]["start"], "2009-01-05",
        "weeks start on Monday"
    );
    assert_eq!(v["buckets"][1]["start"], "2009-01-12");

    let (_t, a) = dated_archive(&["2007-03-01", "2009-06-30", "2009-06-02"]);
    let v = json(&a, &["timeline"]);
    assert_eq!(v["bucket"], "month");
    assert_eq!(v["buckets"][0]["label"], "2007-03");
    assert_eq!(counts(&v).len(), 28);
    assert_eq!(*counts(&v).last().unwrap(), 2);

    let (_t, a) = dated_archive(&["1970-01-02", "1999-06-30"]);
    let v = json(&a, &["timeline"]);
    assert_eq!(v["bucket"], "year");
    assert_eq!(counts(&v).len(), 30);

    // --bucket overrides.
    let v = json(&a, &["timeline", "--bucket", "month"]);
    assert_eq!(v["bucket"], "month");
    assert_eq!(counts(&v).len(), 29 * 12 + 6);
}

#[test]
fn counts_sum_to_the_dated_messages_and_undated_are_reported() {
    let (_t, archive) = fixture_archive();
    let v = json(&archive, &["timeline"]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["timezone"], "UTC");
    assert_eq!(v["bucket"], "day");
    assert_eq!(
        (
            v["messages"].as_u64(),
            v["dated"].as_u64(),
            v["undated"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    let c = counts(&v);
    assert_eq!(c.len(), 17, "4 to 20 January");
    assert_eq!(c.iter().sum::<u64>(), 3);
    assert_eq!(c[1], 1, "01:30 +0200 on the 6th counts on the 5th (UTC)");
    assert_eq!(c[2], 0);

    let out = mailcite(&archive).arg("timeline").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("3 dated, 1 undated"), "{text}");
    assert!(text.contains("2010-01-04  1  "), "{text}");
    assert!(text.contains("2010-01-06  0"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("2010-01-")).count(),
        17
    );

    // A query narrows; nothing matching exits 1.
    let v = json(&archive, &["timeline", "budget"]);
    assert_eq!(v["messages"], 1);
    assert_eq!(counts(&v), [1]);
    let out = mailcite(&archive)
        .args(["timeline", "zzzqqq"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn svg_has_one_bar_per_bucket_with_relative_heights_and_labels() {
    let (_t, archive) = fixture_archive();
    let text = svg(&archive, &["--bucket", "week"]);
    let doc = roxmltree::Document::parse(&text).expect("SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let bars: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("bar"))
        .collect();
    assert_eq!(bars.len(), 3, "weeks of 4, 11 and 18 January");
    let h: Vec<f64> = bars
        .iter()
        .map(|b| b.attribute("height").unwrap().parse().unwrap())
        .collect();
    assert!(
        h[0] > 0.0 && h[1] == 0.0 && (h[0] - 2.0 * h[2]).abs() < 0.05,
        "{h:?}"
    );
    let labels: Vec<&str> = bars
        .iter()
        .map(|b| b.attribute("data-label").unwrap())
        .collect();
    assert_eq!(labels, ["2010-01-04", "2010-01-11", "2010-01-18"]);
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect();
    assert!(
        texts.iter().any(|t| t == "2010-01-04"),
        "x axis dates: {texts:?}"
    );
    assert!(texts.iter().any(|t| t == "messages"), "y axis title");
    assert!(
        texts.iter().any(|t| t == "week starting (UTC)"),
        "x axis title"
    );
    assert!(texts.iter().any(|t| t == "2"), "y axis ticks");
    assert!(texts.iter().any(|t| t.contains("1 undated")), "{texts:?}");
    assert!(!text.contains("href"), "no external resources");
}

#[test]
fn by_sender_draws_one_line_per_top_sender() {
    let (_t, archive) = fixture_archive();
    let text = svg(&archive, &["--by", "sender"]);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let lines: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| n.attribute("data-sender").unwrap())
        .collect();
    assert_eq!(lines, ["maria.lopez@example.org", "mlopez@other.example"]);
    let points = doc
        .descendants()
        .find(|n| n.has_tag_name("polyline"))
        .unwrap()
        .attribute("points")
        .unwrap();
    assert_eq!(points.split(' ').count(), 17, "one point per day");
    assert!(
        !doc.descendants()
            .any(|n| n.attribute("class") == Some("bar"))
    );

    let text = svg(&archive, &["--by", "sender", "--top", "1"]);
    assert_eq!(text.matches("<polyline").count(), 1);

    let v = json(&archive, &["timeline", "--by", "sender"]);
    let s = v["senders"].as_array().unwrap();
    assert_eq!(s[0]["address"], "maria.lopez@example.org");
    assert_eq!(s[0]["total"], 2);
    assert_eq!(s[0]["counts"].as_array().unwrap().len(), 17);

    let out = mailcite(&archive)
        .args(["timeline", "--by", "sender"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("maria.lopez@example.org"), "{text}");
    assert!(text.contains('█'), "{text}");
}
