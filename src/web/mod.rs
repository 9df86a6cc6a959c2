//! `mailcite serve`: a local web view of the archive, on axum and tokio.
//!
//! The server owns no data: every request opens the archive read-only (a
//! fresh SQLite connection sees what the last import committed, inside one
//! read transaction per page), and one shared tantivy [`Searcher`] is
//! reloaded before each search, so messages an import in another process
//! commits appear on the next page load. Writes (adding an article, citing a
//! passage) open the archive with its exclusive lock and answer 409 while an
//! import holds it.
//!
//! Security model, for a reporter reading hostile mail on a laptop:
//! * bound to 127.0.0.1 unless `--listen`, and then every request needs the
//!   random token printed at start (`?token=` once, then a cookie);
//! * a Host check against DNS rebinding, a per-process CSRF token in every
//!   form plus `Origin` / `Sec-Fetch-Site` checks on every POST;
//! * a strict Content-Security-Policy on every page (nothing from another
//!   host, no inline script); message HTML is sanitized with ammonia, served
//!   from its own route with `default-src 'none'; img-src data:; sandbox` and
//!   shown in a sandboxed iframe, so no remote load can reveal the reader;
//! * every string goes through [`html::escape`]; attachments download as
//!   `application/octet-stream` under a safe file name.
//!
//! Handlers live in [`handlers`]; they call the same functions as the CLI
//! commands (`commands::search::hits`, `commands::thread::nodes`,
//! `commands::export::render`, `commands::article::add_article`,
//! `commands::cite::record`).

pub mod chart;
pub mod handlers;
pub mod html;
pub mod sanitize;
pub mod security;

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mailcite_archive::archive::{Archive, Mode};
use mailcite_index::Searcher;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to run the server.
pub struct Config {
    /// The archive directory.
    pub archive: PathBuf,
    /// Where to listen.
    pub addr: SocketAddr,
    /// With `--listen`: the token every request must carry.
    pub token: Option<String>,
    /// No chatter on stderr.
    pub quiet: bool,
}

/// What every handler shares.
pub struct AppState {
    /// The archive directory.
    pub archive: PathBuf,
    /// The search index, reloaded before each search.
    pub searcher: Searcher,
    /// Per-process token every form carries and every POST must return.
    pub csrf: String,
    /// With `--listen`: the access token.
    pub token: Option<String>,
    /// Host names (with port) the server answers to; empty with `--listen`.
    pub hosts: Vec<String>,
}

/// Shared state handle.
pub type State = Arc<AppState>;

impl AppState {
    /// Opens the archive read-only for one request.
    pub fn read(&self) -> Result<Archive, WebError> {
        Archive::open(&self.archive, Mode::Read).map_err(|e| WebError::from(anyhow::Error::from(e)))
    }

    /// Opens the archive for writing, or a 409 page while an import holds
    /// the lock.
    pub fn write(&self) -> Result<Archive, WebError> {
        Archive::open(&self.archive, Mode::Write)
            .map_err(|e| WebError::from(anyhow::Error::from(e)))
    }
}

/// The router with every route and the security layers.
pub fn router(state: State) -> Router {
    use handlers::{articles, message, search, thread};
    Router::new()
        .route("/", get(search::home))
        .route("/search", get(search::search))
        .route("/m/{id}", get(message::show))
        .route("/m/{id}/html", get(message::html_body))
        .route("/m/{id}/raw", get(message::raw))
        .route("/m/{id}/attachment/{n}", get(message::attachment))
        .route("/t/{id}", get(thread::show))
        .route("/a", get(articles::list).post(articles::add))
        .route("/a/{id}", get(articles::show))
        .route("/a/{id}/export/{format}", get(articles::export))
        .route("/cite", post(articles::cite))
        .route("/static/app.css", get(handlers::css))
        .route("/static/app.js", get(handlers::js))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

/// Runs the server until the process is stopped. Prints the address to open
/// (with the token under `--listen`) on stdout, first line.
pub fn serve(config: Config) -> anyhow::Result<()> {
    let archive = Archive::open(&config.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", config.archive.display()))?;
    let searcher = crate::indexing::open_searcher(&archive)?;
    drop(archive);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let bound = listener.local_addr()?;
        let hosts = if config.token.is_some() {
            Vec::new()
        } else {
            let p = bound.port();
            vec![
                format!("127.0.0.1:{p}"),
                format!("localhost:{p}"),
                format!("[::1]:{p}"),
            ]
        };
        let url = match &config.token {
            Some(t) => format!("http://{bound}/?token={t}"),
            None => format!("http://{bound}/"),
        };
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{url}")?;
            out.flush()?;
        }
        if !config.quiet {
            eprintln!(
                "mailcite: serving {} at {url}{}; stop with Ctrl-C",
                config.archive.display(),
                if config.token.is_some() {
                    " (open this exact address once: the token is kept in a cookie)"
                } else {
                    ""
                }
            );
        }
        let state = Arc::new(AppState {
            archive: config.archive.clone(),
            searcher,
            csrf: security::random_token()?,
            token: config.token.clone(),
            hosts,
        });
        axum::serve(listener, router(state))
            .await
            .context("the web server stopped")?;
        anyhow::Ok(())
    })
}

/// An error page: status and a message for the reader.
#[derive(Debug)]
pub struct WebError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, in words (escaped when shown).
    pub message: String,
}

impl WebError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        use mailcite_archive::error::Error as A;
        let status = e
            .chain()
            .find_map(|c| match c.downcast_ref::<A>() {
                Some(A::Locked { .. }) => Some(StatusCode::CONFLICT),
                Some(A::NotFound(_)) => Some(StatusCode::NOT_FOUND),
                _ => None,
            })
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = if status == StatusCode::CONFLICT {
            "An import is running: the archive is locked for writing. Reading and searching work; try again when the import has finished.".to_string()
        } else {
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(": ");
                    msg.push_str(&c);
                }
            }
            msg
        };
        WebError { status, message }
    }
}

impl From<mailcite_archive::error::Error> for WebError {
    fn from(e: mailcite_archive::error::Error) -> Self {
        WebError::from(anyhow::Error::from(e))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "An import is running",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::UNAUTHORIZED => "Token needed",
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "Cannot do that",
            _ => "Error",
        };
        let body = format!(
            "<h1>{}</h1>\n<p class=\"error\">{}</p>\n<p><a href=\"/search\">Search</a> · <a href=\"/a\">Articles</a></p>",
            html::escape(title),
            html::escape(&self.message)
        );
        (self.status, html::page(title, &body)).into_response()
    }
}

/// Runs blocking archive work off the async threads.
pub async fn blocking<F>(f: F) -> Response
where
    F: FnOnce() -> Result<Response, WebError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => e.into_response(),
        Err(_) => WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed unexpectedly",
        )
        .into_response(),
    }
}
