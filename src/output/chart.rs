//! Charts: bars and sparklines for the terminal, and a self-contained SVG
//! (no script, no external resource, every text escaped).

use super::markup::xml;
use std::fmt::Write as _;

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A horizontal bar of `value / max * width` cells, in eighths of a cell.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 || value == 0 || width == 0 {
        return String::new();
    }
    let eighths = ((value as f64 / max as f64) * (width * 8) as f64).round() as usize;
    let eighths = eighths.max(1);
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    s
}

/// One character per value (values summed in groups when there are more
/// than `max_chars`), a space for zero.
pub fn sparkline(values: &[u64], max_chars: usize) -> String {
    let group = values.len().div_ceil(max_chars.max(1)).max(1);
    let grouped: Vec<u64> = values.chunks(group).map(|c| c.iter().sum()).collect();
    let max = grouped.iter().copied().max().unwrap_or(0);
    grouped
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let i = ((v as f64 / max as f64) * 7.0).round() as usize;
                SPARKS[i.min(7)]
            }
        })
        .collect()
}

/// Width of the terminal from `$COLUMNS`, if set.
pub fn terminal_columns() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c: &usize| c >= 20)
}

/// A time chart to draw as SVG.
pub struct SvgChart<'a> {
    /// Title line.
    pub title: &'a str,
    /// Second line (counts, undated messages).
    pub subtitle: &'a str,
    /// Caption of the x axis.
    pub x_title: &'a str,
    /// One label per bucket.
    pub labels: &'a [String],
    /// One bar per bucket, if drawn.
    pub bars: Option<&'a [u64]>,
    /// Lines: name and one value per bucket.
    pub series: &'a [(String, Vec<u64>)],
}

/// Colours of the lines (colour-blind safe, Okabe-Ito).
const COLOURS: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

/// A round axis step giving about four ticks up to `max`.
fn nice_step(max: u64) -> u64 {
    let raw = max.div_ceil(4).max(1);
    let mut p = 1u64;
    while p.saturating_mul(10) <= raw {
        p *= 10;
    }
    for m in [1, 2, 5, 10] {
        if p.saturating_mul(m) >= raw {
            return p.saturating_mul(m);
        }
    }
    raw
}

/// The chart as a standalone SVG document.
pub fn svg(c: &SvgChart<'_>) -> String {
    let n = c.labels.len().max(1);
    let (left, right, top, bottom, plot_h) = (70.0, 30.0, 60.0, 90.0, 300.0);
    let legend_h = 18.0 * c.series.len() as f64;
    let plot_w = ((n as f64) * 14.0).clamp(360.0, 1400.0);
    let width = left + plot_w + right;
    let height = top + plot_h + bottom + legend_h;
    let slot = plot_w / n as f64;
    let max = c
        .bars
        .iter()
        .flat_map(|b| b.iter())
        .chain(c.series.iter().flat_map(|(_, v)| v.iter()))
        .copied()
        .max()
        .unwrap_or(0);
    let step = nice_step(max);
    let y_max = (step * max.div_ceil(step)).max(step) as f64;
    let y = |v: u64| top + plot_h - (v as f64 / y_max) * plot_h;
    let x_mid = |i: usize| left + slot * (i as f64 + 0.5);

    let mut s = String::new();
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(s, "<title>{}</title>", xml(c.title));
    let _ = writeln!(
        s,
        "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        s,
        "<text class=\"title\" x=\"{left}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        xml(c.title)
    );
    let _ = writeln!(
        s,
        "<text class=\"subtitle\" x=\"{left}\" y=\"40\" fill=\"#555555\">{}</text>",
        xml(c.subtitle)
    );
    // Y axis with ticks and grid lines.
    let mut v = 0;
    while v as f64 <= y_max {
        let yy = y(v);
        let _ = writeln!(
            s,
            "<line class=\"grid\" x1=\"{left}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#dddddd\"/>",
            left + plot_w
        );
        let _ = writeln!(
            s,
            "<text class=\"y-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v}</text>",
            left - 6.0,
            yy + 4.0
        );
        v += step;
    }
    let _ = writeln!(
        s,
        "<text class=\"y-title\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">messages</text>",
        top + plot_h / 2.0
    );
    // Bars.
    if let Some(bars) = c.bars {
        let bw = (slot * 0.8).max(0.5);
        for (i, (&count, label)) in bars.iter().zip(c.labels).enumerate() {
            let h = (count as f64 / y_max) * plot_h;
            let _ = writeln!(
                s,
                "<rect class=\"bar\" x=\"{:.2}\" y=\"{:.2}\" width=\"{bw:.2}\" height=\"{h:.2}\" \
                 fill=\"#4c78a8\" data-label=\"{}\" data-count=\"{count}\"><title>{}: {count}</title></rect>",
                left + slot * i as f64 + (slot - bw) / 2.0,
                top + plot_h - h,
                xml(label),
                xml(label)
            );
            if slot >= 22.0 && count > 0 {
                let _ = writeln!(
                    s,
                    "<text class=\"count\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\">{count}</text>",
                    x_mid(i),
                    top + plot_h - h - 3.0
                );
            }
        }
    }
    // Lines.
    for (k, (name, values)) in c.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| format!("{:.1},{:.1}", x_mid(i), y(v)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline class=\"series\" data-sender=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>",
            xml(name),
            points.join(" "),
            xml(name)
        );
        let ly = top + plot_h + bottom + 18.0 * k as f64;
        let _ = writeln!(
            s,
            "<line class=\"legend\" x1=\"{left}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/>",
            left + 24.0
        );
        let _ = writeln!(
            s,
            "<text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{} ({})</text>",
            left + 30.0,
            ly + 4.0,
            xml(name),
            values.iter().sum::<u64>()
        );
    }
    // Axes.
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#000000\"/>",
        top + plot_h
    );
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000000\"/>",
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    // X labels, thinned so they do not overlap (about one per 40 px).
    let every = ((40.0 / slot).ceil() as usize).max(1);
    for (i, label) in c.labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let (xx, yy) = (x_mid(i), top + plot_h + 12.0);
        let _ = writeln!(
            s,
            "<text class=\"x-label\" x=\"{xx:.1}\" y=\"{yy:.1}\" text-anchor=\"end\" transform=\"rotate(-45 {xx:.1} {yy:.1})\">{}</text>",
            xml(label)
        );
    }
    let _ = writeln!(
        s,
        "<text class=\"x-title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        left + plot_w / 2.0,
        top + plot_h + bottom - 8.0,
        xml(c.x_title)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_sparklines() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 80, 4), "▏", "never invisible");
        assert_eq!(bar(3, 8, 4), "█▌");
        assert_eq!(bar(0, 10, 4), "");
        assert_eq!(sparkline(&[0, 1, 7], 10), " ▂█");
        assert_eq!(sparkline(&[1, 1, 2, 2], 2).chars().count(), 2);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(400), 100);
        assert_eq!(nice_step(0), 1);
    }
}
