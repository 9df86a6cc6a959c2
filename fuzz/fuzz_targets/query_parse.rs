//! The query parser on arbitrary text: a query is parsed or rejected with
//! an error whose column lies inside the query, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    if let Err(e) = mailcite_index::parse(query) {
        assert!(e.position <= query.chars().count(), "{e:?}");
    }
});
