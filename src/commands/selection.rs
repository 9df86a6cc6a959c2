//! The optional QUERY of `people`, `graph` and `timeline`: the messages a
//! search matches, handed to the catalog as a selection.

use mailcite_archive::archive::Archive;
use mailcite_archive::people::Selection;

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
    let keys = crate::indexing::matching_keys(archive, &text)?;
    let selection = archive.catalog.select_messages(&keys)?;
    Ok(Some(Selected {
        query: text,
        selection,
    }))
}
