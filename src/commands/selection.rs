//! The optional QUERY of `people`, `graph` and `timeline`: the messages a
//! search matches, handed to the catalog as a selection.

use crate::output::sanitize::line;
use anyhow::Context as _;
use mailcite_archive::archive::Archive;
use mailcite_archive::people::Selection;
use mailcite_index::Searcher;

/// A query given on the command line, and the messages it matched.
pub struct Selected {
    /// The query as given.
    pub query: String,
    /// The matching messages, registered with the catalog.
    pub selection: Selection,
}

/// Runs `words` (joined with spaces) as a search and restricts the
/// catalog's people queries to its matches. `None` when no query was given.
pub fn select(archive: &Archive, words: &[String]) -> anyhow::Result<Option<Selected>> {
    let text = words.join(" ");
    if text.trim().is_empty() {
        return Ok(None);
    }
    let resolved = super::search::resolve_thread_refs(&text, archive)?;
    let query = mailcite_index::parse(&resolved)
        .map_err(|e| anyhow::anyhow!("invalid query: {}", line(&e.to_string())))?;
    let searcher = Searcher::open(&archive.index_dir()).with_context(|| {
        format!(
            "cannot open the search index of {}; run `mailcite reindex` to build it",
            archive.dir().display()
        )
    })?;
    let keys = searcher.matching_keys(&query)?;
    let selection = archive.catalog.select_messages(&keys)?;
    Ok(Some(Selected {
        query: text,
        selection,
    }))
}
