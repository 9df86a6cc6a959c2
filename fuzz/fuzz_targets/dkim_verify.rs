//! DKIM/ARC verification of arbitrary bytes with no archived keys: a result
//! per signature (never `pass`), never a panic, never a network access.
//!
//! `verify` contains a panic of mail-auth as an `invalid` result; as in the
//! `parse_message` target, the default panic hook is put back and the
//! result decides (a contained panic is a crash in optimized builds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::dkim::{KeyMap, Status, required_keys, verify};

fuzz_target!(
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
        let _ = required_keys(data);
        for s in verify(data, &KeyMap::new()) {
            assert_ne!(s.status, Status::Pass, "no key, yet {s:?}");
            if !cfg!(debug_assertions) {
                assert!(
                    !s.reason.as_deref().unwrap_or("").contains("verifier failed"),
                    "{s:?}"
                );
            }
        }
    }
);
