//! Citation normalization on arbitrary text: never panics, keeps its byte
//! maps in step with the text, and every range it maps back lies on char
//! boundaries of the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::citation::normalize::normalize;

fuzz_target!(|text: &str| {
    let n = normalize(text);
    assert_eq!(n.map.len(), n.text.len());
    assert_eq!(n.map_end.len(), n.text.len());
    let len = n.text.len();
    for (start, end) in [(0, len), (0, len / 2), (len / 3, len)] {
        if let Some(r) = n.original_range(start..end) {
            assert!(r.end <= text.len());
            assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        }
    }
});
