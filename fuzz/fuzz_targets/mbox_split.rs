//! The mbox and MMDF splitters on arbitrary bytes: never panic, and the
//! items they yield tile the stream (offsets increase, lengths stay inside
//! the input, indexes count up from 0).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::source::mbox::{MboxReader, MmdfReader, Variant, detect_variant};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the variant, the size limit and the lenient mode,
    // so that the limit paths are reached with small inputs.
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let variant = match control & 3 {
        0 => Variant::Mboxo,
        1 => Variant::Mboxrd,
        2 => Variant::Mboxcl,
        _ => Variant::Mboxcl2,
    };
    let max = if control & 4 != 0 { 64 } else { 1 << 20 };
    let blankless = control & 8 != 0;
    let _ = detect_variant(input);

    let reader = MboxReader::new(input, variant)
        .with_max_message_bytes(max)
        .with_blankless_separators(blankless);
    let mut last_end = 0u64;
    for (expected, item) in reader.enumerate() {
        match item {
            Ok(m) => {
                assert_eq!(m.index, expected as u64);
                assert!(m.offset >= last_end, "messages overlap");
                assert!(m.offset + m.length <= input.len() as u64, "past the end");
                assert!(m.bytes.len() as u64 <= m.length, "more bytes than read");
                assert!(m.bytes.len() <= max, "over the size limit");
                last_end = m.offset + m.length;
            }
            Err(f) => {
                assert_eq!(f.index, expected as u64);
                assert!(f.offset <= input.len() as u64);
            }
        }
    }

    let mut last = None;
    for item in MmdfReader::new(input).with_max_message_bytes(max) {
        let index = match item {
            Ok(m) => {
                assert!(m.offset + m.length <= input.len() as u64);
                m.index
            }
            Err(f) => f.index,
        };
        assert!(last.is_none_or(|l| index > l));
        last = Some(index);
    }
});
