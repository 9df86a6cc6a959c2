//! Published articles and their citations, kept in the catalog.
//!
//! An article is stored with its text so its quotes can be re-matched later;
//! a citation links one quote of an article to one message, with the passage
//! as the message has it, its character offsets in the message's decoded
//! text, how it was found (`exact`, `normalized`, `fuzzy`, `manual`) and a
//! score. Quotes with no source are kept as unmatched. Messages are never
//! removed with an article: only its citations are.

use crate::catalog::{Catalog, now_rfc3339, sql_err};
use crate::digest::Digest;
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// An article as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRow {
    /// Article id.
    pub id: i64,
    /// Title.
    pub title: Option<String>,
    /// Outlet (publication).
    pub outlet: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Publication date, as given or found.
    pub published: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// `text`, `markdown` or `html`.
    pub format: String,
    /// The file it was read from.
    pub file_name: Option<String>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
    /// Number of citations.
    pub citations: u64,
    /// Number of quotes without a source.
    pub unmatched: u64,
}

/// An article to add.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    /// Title.
    pub title: Option<String>,
    /// Outlet.
    pub outlet: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Publication date.
    pub published: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// `text`, `markdown` or `html`.
    pub format: String,
    /// Source file name.
    pub file_name: Option<String>,
    /// SHA-256 of the source bytes.
    pub sha256: String,
    /// Plain text of the article body.
    pub text: String,
}

/// A citation to record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCitation {
    /// Catalog key of the cited message.
    pub message: i64,
    /// The passage as the article has it.
    pub quote: String,
    /// The passage as the message has it.
    pub passage: String,
    /// Character offset of the passage in the message's decoded text.
    pub start_char: u64,
    /// Character offset just past the passage.
    pub end_char: u64,
    /// `exact`, `normalized`, `fuzzy` or `manual`.
    pub method: String,
    /// 1.0 for exact and normalized matches, the similarity for fuzzy ones.
    pub score: f32,
    /// Recorded by hand (`mailcite cite`).
    pub manual: bool,
    /// Whether the passage is the message's own text (not quoted from another).
    pub own_text: bool,
    /// Ids (SHA-256) of other messages that contain the passage too.
    pub also_in: Vec<String>,
}

/// A citation as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationRow {
    /// Citation id.
    pub id: i64,
    /// Article id.
    pub article: i64,
    /// Article title.
    pub article_title: Option<String>,
    /// Cited message key.
    pub message: i64,
    /// Cited message id (SHA-256 hex).
    pub message_sha256: String,
    /// Everything recorded.
    #[serde(flatten)]
    pub citation: NewCitation,
    /// When it was recorded.
    pub created_at: String,
}

impl Catalog {
    /// Adds an article with its citations and unmatched quotes, in one
    /// transaction; cited messages are marked for re-indexing. Returns the id.
    pub fn add_article(
        &mut self,
        a: &NewArticle,
        citations: &[NewCitation],
        unmatched: &[String],
    ) -> Result<i64> {
        let e = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute(
            "INSERT INTO articles (title, outlet, url, published, author, format, file_name, sha256, text, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![a.title, a.outlet, a.url, a.published, a.author, a.format, a.file_name, a.sha256, a.text, now_rfc3339()],
        )
        .map_err(&e)?;
        let id = tx.last_insert_rowid();
        insert_citations(&tx, id, citations).map_err(&e)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO unmatched_quotes (article, pos, quote) VALUES (?1, ?2, ?3)",
                )
                .map_err(&e)?;
            for (i, q) in unmatched.iter().enumerate() {
                st.execute(params![id, i as i64, q]).map_err(&e)?;
            }
        }
        tx.commit().map_err(&e)?;
        Ok(id)
    }

    /// Records citations of an existing article (e.g. a manual one).
    pub fn add_citations(&mut self, article: i64, citations: &[NewCitation]) -> Result<Vec<i64>> {
        let e = sql_err(&self.path);
        self.article(article)?;
        let tx = self.conn.transaction().map_err(&e)?;
        let ids = insert_citations(&tx, article, citations).map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(ids)
    }

    /// Removes an article and its citations (never messages); the messages it
    /// cited are marked for re-indexing.
    pub fn remove_article(&mut self, id: i64) -> Result<u64> {
        let e = sql_err(&self.path);
        self.article(id)?;
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute(
            "INSERT OR IGNORE INTO index_dirty (key) SELECT DISTINCT message FROM citations WHERE article = ?1",
            [id],
        )
        .map_err(&e)?;
        let n = tx
            .execute("DELETE FROM citations WHERE article = ?1", [id])
            .map_err(&e)?;
        tx.execute("DELETE FROM unmatched_quotes WHERE article = ?1", [id])
            .map_err(&e)?;
        tx.execute("DELETE FROM articles WHERE id = ?1", [id])
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(n as u64)
    }

    /// One article.
    pub fn article(&self, id: i64) -> Result<ArticleRow> {
        let e = sql_err(&self.path);
        self.conn
            .query_row(
                &format!("{ARTICLE_COLS} WHERE a.id = ?1"),
                [id],
                article_row,
            )
            .optional()
            .map_err(&e)?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no article {id}; `mailcite article list` shows the articles"
                ))
            })
    }

    /// The stored plain text of an article.
    pub fn article_text(&self, id: i64) -> Result<String> {
        let e = sql_err(&self.path);
        self.conn
            .query_row("SELECT text FROM articles WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .map_err(&e)
    }

    /// Every article, oldest first.
    pub fn articles(&self) -> Result<Vec<ArticleRow>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare(&format!("{ARTICLE_COLS} ORDER BY a.id"))
            .map_err(&e)?;
        let rows = st.query_map([], article_row).map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Citations of an article, in the order recorded.
    pub fn citations_of_article(&self, article: i64) -> Result<Vec<CitationRow>> {
        self.citations_where("c.article = ?1", article)
    }

    /// Citations of a message.
    pub fn citations_of_message(&self, key: i64) -> Result<Vec<CitationRow>> {
        self.citations_where("c.message = ?1", key)
    }

    fn citations_where(&self, cond: &str, value: i64) -> Result<Vec<CitationRow>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT c.id, c.article, a.title, c.message, m.sha256, c.quote, c.passage, c.start_char, c.end_char, c.method, c.score, c.manual, c.own_text, c.also_in, c.created_at
                 FROM citations c JOIN articles a ON a.id = c.article JOIN messages m ON m.id = c.message WHERE {cond} ORDER BY c.id"
            ))
            .map_err(&e)?;
        let rows = st
            .query_map([value], |r| {
                let sha: Vec<u8> = r.get(4)?;
                let also: Option<String> = r.get(13)?;
                Ok(CitationRow {
                    id: r.get(0)?,
                    article: r.get(1)?,
                    article_title: r.get(2)?,
                    message: r.get(3)?,
                    message_sha256: Digest::from_slice(&sha)
                        .map(|d| d.to_hex())
                        .unwrap_or_default(),
                    citation: NewCitation {
                        message: r.get(3)?,
                        quote: r.get(5)?,
                        passage: r.get(6)?,
                        start_char: r.get(7)?,
                        end_char: r.get(8)?,
                        method: r.get(9)?,
                        score: r.get::<_, f64>(10)? as f32,
                        manual: r.get(11)?,
                        own_text: r.get(12)?,
                        also_in: also
                            .map(|s| {
                                s.split(' ')
                                    .filter(|x| !x.is_empty())
                                    .map(String::from)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    },
                    created_at: r.get(14)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Quotes of an article for which no source was found.
    pub fn unmatched_quotes(&self, article: i64) -> Result<Vec<String>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached("SELECT quote FROM unmatched_quotes WHERE article = ?1 ORDER BY pos")
            .map_err(&e)?;
        let rows = st.query_map([article], |r| r.get(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Ids of the articles citing a message (for the index and listings).
    pub fn articles_citing(&self, key: i64) -> Result<Vec<(i64, Option<String>)>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT a.id, a.title FROM citations c JOIN articles a ON a.id = c.article WHERE c.message = ?1 ORDER BY a.id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }
}

fn insert_citations(
    tx: &rusqlite::Transaction<'_>,
    article: i64,
    citations: &[NewCitation],
) -> rusqlite::Result<Vec<i64>> {
    let mut st = tx.prepare_cached(
        "INSERT INTO citations (article, message, quote, passage, start_char, end_char, method, score, manual, own_text, also_in, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut dirty = tx.prepare_cached("INSERT OR IGNORE INTO index_dirty (key) VALUES (?1)")?;
    let mut ids = Vec::with_capacity(citations.len());
    let now = now_rfc3339();
    for c in citations {
        st.execute(params![
            article,
            c.message,
            c.quote,
            c.passage,
            c.start_char,
            c.end_char,
            c.method,
            c.score as f64,
            c.manual,
            c.own_text,
            if c.also_in.is_empty() {
                None
            } else {
                Some(c.also_in.join(" "))
            },
            now
        ])?;
        ids.push(tx.last_insert_rowid());
        dirty.execute([c.message])?;
    }
    Ok(ids)
}

const ARTICLE_COLS: &str = "SELECT a.id, a.title, a.outlet, a.url, a.published, a.author, a.format, a.file_name, a.sha256, a.added_at,
  (SELECT count(*) FROM citations c WHERE c.article = a.id),
  (SELECT count(*) FROM unmatched_quotes u WHERE u.article = a.id)
  FROM articles a";

fn article_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.get(0)?,
        title: r.get(1)?,
        outlet: r.get(2)?,
        url: r.get(3)?,
        published: r.get(4)?,
        author: r.get(5)?,
        format: r.get(6)?,
        file_name: r.get(7)?,
        sha256: r.get(8)?,
        added_at: r.get(9)?,
        citations: r.get(10)?,
        unmatched: r.get(11)?,
    })
}
