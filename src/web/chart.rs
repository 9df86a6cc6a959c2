//! The histogram of matching messages per month, as inline SVG whose bars
//! are links that narrow the search to their month (or year, when the
//! matches span more than fifteen years).

use super::html::{escape, search_url};

/// At most this many monthly bars; longer spans are drawn per year.
const MAX_MONTHS: usize = 180;

/// Every bucket from the first to the last of `per_month` (`("2009-07",
/// n)`, ascending), empty ones included: `(label, date: value, count)`.
fn buckets(per_month: &[(String, u64)]) -> Vec<(String, u64)> {
    let parse = |s: &str| -> Option<(i32, u32)> {
        let (y, m) = s.split_once('-')?;
        Some((y.parse().ok()?, m.parse().ok()?))
    };
    let months: Vec<((i32, u32), u64)> = per_month
        .iter()
        .filter_map(|(k, n)| {
            parse(k)
                .filter(|(_, m)| (1..=12).contains(m))
                .map(|ym| (ym, *n))
        })
        .collect();
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Vec::new();
    };
    let (first, last) = (first.0, last.0);
    let span = ((last.0 - first.0) * 12 + last.1 as i32 - first.1 as i32 + 1).max(0) as usize;
    if span > MAX_MONTHS {
        let mut out: Vec<(String, u64)> = (first.0..=last.0).map(|y| (y.to_string(), 0)).collect();
        for ((y, _), n) in &months {
            if let Some(b) = out.get_mut((y - first.0) as usize) {
                b.1 += n;
            }
        }
        return out;
    }
    let mut out = Vec::with_capacity(span);
    let (mut y, mut m) = first;
    for _ in 0..span {
        out.push((format!("{y:04}-{m:02}"), 0));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    for ((y, m), n) in &months {
        let i = ((y - first.0) * 12 + *m as i32 - first.1 as i32) as usize;
        if let Some(b) = out.get_mut(i) {
            b.1 += n;
        }
    }
    out
}

/// The histogram for `query`'s matches, or an empty string when none is
/// dated.
pub fn month_histogram(query: &str, sort: &str, per_month: &[(String, u64)]) -> String {
    let bars = buckets(per_month);
    if bars.is_empty() {
        return String::new();
    }
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let (w, h, top, bottom, left) = (300.0_f64, 110.0_f64, 14.0, 20.0, 2.0);
    let plot_h = h - top - bottom;
    let step = (w - 2.0 * left) / bars.len() as f64;
    let gap = if step > 4.0 { 1.0 } else { 0.0 };
    // A few bars stay bar-shaped rather than filling the whole width.
    let bar_w = (step - gap).clamp(0.5, 48.0);
    let per = if bars[0].0.len() == 4 {
        "year"
    } else {
        "month"
    };
    let mut svg = format!(
        "<svg class=\"histogram\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Matching messages per {per}\">\n<title>Matching messages per {per}; click a bar to narrow the search</title>\n<line class=\"axis\" x1=\"{left}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\"/>\n<text class=\"label\" x=\"{left}\" y=\"10\">{max}</text>\n",
        y0 = h - bottom,
        x1 = w - left,
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let bh = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max as f64 * plot_h).max(1.5)
        };
        let x = left + i as f64 * step;
        let href = search_url(&format!("{query} date:{label}"), sort);
        svg.push_str(&format!(
            "<a href=\"{}\"><rect class=\"hit\" x=\"{x:.2}\" y=\"{top}\" width=\"{:.2}\" height=\"{plot_h}\"/><rect class=\"bar\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{bh:.2}\"/><title>{}: {n} message{}</title></a>\n",
            escape(&href),
            bar_w,
            top + plot_h - bh,
            bar_w,
            escape(label),
            if *n == 1 { "" } else { "s" }
        ));
    }
    let (first, last) = (&bars[0].0, &bars[bars.len() - 1].0);
    svg.push_str(&format!(
        "<text class=\"label\" x=\"{left}\" y=\"{}\">{}</text>\n",
        h - 5.0,
        escape(first)
    ));
    if bars.len() > 1 {
        svg.push_str(&format!(
            "<text class=\"label end\" x=\"{}\" y=\"{}\">{}</text>\n",
            w - left,
            h - 5.0,
            escape(last)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_filled_in() {
        let b = buckets(&[("2008-11".into(), 2), ("2009-02".into(), 5)]);
        assert_eq!(
            b,
            vec![
                ("2008-11".to_string(), 2),
                ("2008-12".to_string(), 0),
                ("2009-01".to_string(), 0),
                ("2009-02".to_string(), 5)
            ]
        );
    }

    #[test]
    fn long_spans_go_by_year() {
        let b = buckets(&[
            ("1990-01".into(), 1),
            ("2009-02".into(), 5),
            ("2009-03".into(), 1),
        ]);
        assert_eq!(b.len(), 20);
        assert_eq!(b[19], ("2009".to_string(), 6));
    }

    #[test]
    fn bars_link_to_their_month_and_escape_the_query() {
        let svg = month_histogram("<b>\"x\"", "", &[("2009-07".into(), 3)]);
        assert!(
            svg.contains("href=\"/search?q=%3Cb%3E%22x%22%20date%3A2009-07\""),
            "{svg}"
        );
        assert!(svg.contains("2009-07: 3 messages"));
        assert!(!svg.contains("<b>"));
        assert_eq!(month_histogram("x", "", &[]), "");
    }
}
