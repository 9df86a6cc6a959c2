//! Citations: finding, for each quote in a published article, the exact
//! message(s) it came from, with character offsets on both sides.
//!
//! This module holds the pure logic, with no I/O and no catalog access:
//!
//! * [`extract`]: reading an article (plain text, Markdown, HTML) into plain
//!   text plus its metadata (title, date, URL, author), and finding the
//!   passages it quotes, in quotation marks of every common style or in block
//!   quotes, with byte offsets into that text;
//! * [`normalize`](mod@normalize): the normalization that makes a quote and its source
//!   compare equal across editing (Unicode NFKC, case, line wrapping,
//!   typographic quotes and dashes, invisible characters, email quote
//!   prefixes, hyphenation), keeping a map back to the original offsets;
//! * [`matcher`]: finding a quote in a message's decoded text: exactly, after
//!   normalization, or as an edited quote (elisions, bracketed insertions,
//!   changed words) by a bounded word-level alignment with a similarity
//!   score; unmarked verbatim runs an article shares with a message; whether a
//!   passage is the message's own text or quoted material; and the search
//!   terms that pick candidate messages from the full-text index.
//!
//! Articles and messages are hostile input: nothing here panics, and the work
//! per quote and message is bounded (see [`matcher`]).
//!
//! A typical flow: [`detect_format`], [`article_text`], [`extract_quotes`];
//! for each quote, [`search_terms`] to query the index, then
//! [`PreparedMessage::find`] (or [`find_passage`]) on each candidate, ranking
//! sources whose passage is not [`is_quoted_in`] quoted material first; then
//! [`shared_runs`] for verbatim text outside the quotes.

pub mod extract;
pub mod matcher;
pub mod normalize;

pub use extract::{
    ArticleFormat, ArticleText, Quote, QuoteKind, article_text, detect_format, extract_quotes,
};
pub use matcher::{
    DEFAULT_MIN_SCORE, Method, PassageMatch, PreparedMessage, find_passage, is_quoted_in,
    search_terms, shared_runs,
};
pub use normalize::{Normalized, normalize};

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole flow on a fictional article and mailbox.
    #[test]
    fn article_to_citations() {
        let page = r#"<!doctype html><html><head>
<meta property="og:title" content="Emails Show Vendor Built Tools for Agency">
<meta property="article:published_time" content="2017-07-11T10:00:00Z">
<link rel="canonical" href="https://news.example.org/vendor">
</head><body>
<p>In a 2009 email, the chief technology officer wrote that the project was
done &ldquo;per a big request on the Lubyanka side&rdquo; and asked staff to
keep it quiet.</p>
<p>The system would support &ldquo;active countermeasures&rdquo; &mdash; a
&ldquo;[technical] partnership&rdquo;, he added &mdash; &ldquo;that we don&rsquo;t
advertise &hellip; to anyone outside the team.&rdquo;</p>
<p>Staff were told the tool would ship after the review and that nothing about the
customer should appear in the release notes at all.</p>
</body></html>"#;
        let format = detect_format(page, Some("vendor.html"));
        let article = article_text(page, format);
        assert_eq!(
            article.url.as_deref(),
            Some("https://news.example.org/vendor")
        );
        let quotes = extract_quotes(&article, format);
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "per a big request on the Lubyanka side",
                "active countermeasures",
                "[technical] partnership",
                "that we don’t advertise … to anyone outside the team."
            ]
        );

        let own = "From alice@example.org\n\nTeam,\n\nThis was done per a big request on the\n\
                   Lubyanka side. It will support active counter-\nmeasures. It is a \
                   partnership that we don't advertise, and we say nothing to anyone \
                   outside the team.\n\nThe tool ships after the review; nothing about \
                   the customer should appear in the release notes at all.\n";
        let reply = "Agreed.\n\nOn Mon, Alice wrote:\n> This was done per a big request on the\n\
                     > Lubyanka side.\n";
        let own_msg = PreparedMessage::new(own);
        let reply_msg = PreparedMessage::new(reply);
        for quote in &quotes {
            assert!(!search_terms(&quote.text).is_empty());
            let m = own_msg
                .find(&quote.text, DEFAULT_MIN_SCORE)
                .unwrap_or_else(|| panic!("{:?} not found", quote.text));
            assert_eq!(&own[m.start..m.end], m.passage);
            assert!(!own_msg.is_quoted(m.start));
        }
        let first = reply_msg.find(&quotes[0].text, DEFAULT_MIN_SCORE);
        assert!(first.is_some_and(|m| reply_msg.is_quoted(m.start)));

        let found: Vec<std::ops::Range<usize>> = quotes.iter().map(|q| q.start..q.end).collect();
        let runs = shared_runs(&article.text, own, 8, &found);
        assert_eq!(runs.len(), 1);
        assert_eq!(
            runs[0].1.passage,
            "nothing about the customer should appear in the release notes at all"
        );
        assert_eq!(&article.text[runs[0].0.clone()], runs[0].1.passage);
    }
}
