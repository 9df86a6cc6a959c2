//! Message parsing on arbitrary bytes: `parse_message` never panics, and the
//! text it returns goes through citation normalization without panicking.
//!
//! `parse_message` contains panics of mail-parser (and of its own field
//! extraction) and reports them as warnings; the default panic hook is put
//! back so that a contained panic does not abort, and the warnings decide:
//! a panic in mailcite's own code is always a crash, one in mail-parser is a
//! crash in optimized builds (FUZZ_MODE=dev builds trip mail-parser's
//! `debug_assert!`s, which release builds do not have).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::citation::normalize::normalize;
use mailcite_archive::message::parse_message;

fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        let parsed = parse_message(data);
        for w in &parsed.warnings {
            assert!(!w.contains("internal error"), "{w}");
            if !cfg!(debug_assertions) {
                assert!(!w.contains("panicked"), "{w}");
            }
        }
        let n = normalize(&parsed.text);
        assert_eq!(n.map.len(), n.text.len());
        if let Some(subject) = &parsed.subject {
            let _ = normalize(subject);
        }
    }
);
