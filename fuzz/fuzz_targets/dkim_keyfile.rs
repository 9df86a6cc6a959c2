//! The key-file parser (zone lines, dig output, JSON) on arbitrary text:
//! records or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::dkim::parse_key_file;

fuzz_target!(|text: &str| {
    if let Ok(records) = parse_key_file(text) {
        for r in records {
            assert_eq!(r.domain, r.domain.to_ascii_lowercase());
        }
    }
});
