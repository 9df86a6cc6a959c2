//! The Received chain parser on arbitrary bytes: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailcite_archive::received::{first_hop_time, hops};

fuzz_target!(|data: &[u8]| {
    let hops = hops(data);
    let _ = first_hop_time(&hops);
});
