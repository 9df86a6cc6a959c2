//! Property tests of the query parser: any text is parsed or rejected with
//! an error pointing inside the query, never a panic.

use proptest::prelude::*;

fn queryish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(" ".to_string()),
        Just("\"".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("OR ".to_string()),
        Just("AND ".to_string()),
        Just("NOT ".to_string()),
        Just("-".to_string()),
        Just("|".to_string()),
        Just("*".to_string()),
        Just("~".to_string()),
        Just("~2".to_string()),
        Just("..".to_string()),
        Just("from:".to_string()),
        Just("date:".to_string()),
        Just("before:".to_string()),
        Just("id:".to_string()),
        Just("type:".to_string()),
        Just("lang:".to_string()),
        Just("dkim:".to_string()),
        Just("2009-07-15".to_string()),
        Just("9999999999999".to_string()),
        Just("@".to_string()),
        "[a-zа-я東0-9]{0,8}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..20).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_query_parses_or_points_at_a_column(q in queryish()) {
        if let Err(e) = mailcite_index::parse(&q) {
            prop_assert!(e.position <= q.chars().count(), "{:?} for {:?}", e, q);
            prop_assert!(!e.message.is_empty());
        }
    }
}
