//! The article quote extractor on arbitrary text, in each format: never
//! panics, and every quote's offsets lie on char boundaries of the article
//! text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::citation::extract::{
    ArticleFormat, article_text, detect_format, extract_quotes,
};

fuzz_target!(|input: &str| {
    let detected = detect_format(input, None);
    for format in [
        detected,
        ArticleFormat::Text,
        ArticleFormat::Markdown,
        ArticleFormat::Html,
    ] {
        let article = article_text(input, format);
        for q in extract_quotes(&article, format) {
            assert!(q.start <= q.end && q.end <= article.text.len(), "{q:?}");
            assert!(article.text.is_char_boundary(q.start));
            assert!(article.text.is_char_boundary(q.end));
        }
    }
});
