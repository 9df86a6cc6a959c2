//! One module per page; the static assets and the 404 page.

pub mod articles;
pub mod message;
pub mod search;
pub mod thread;

use super::WebError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mailcite_archive::archive::Archive;

/// The stylesheet, shipped inside the binary.
pub const APP_CSS: &str = include_str!("../assets/app.css");
/// The script (citing a selected passage), shipped inside the binary.
pub const APP_JS: &str = include_str!("../assets/app.js");

/// `GET /static/app.css`.
pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response()
}

/// `GET /static/app.js`.
pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
        .into_response()
}

/// Any other address.
pub async fn not_found() -> Response {
    WebError::new(StatusCode::NOT_FOUND, "there is no page at this address").into_response()
}

/// Starts a read transaction so that every query of one page sees the same
/// committed state of the catalog, even while an import writes.
pub fn snapshot(archive: &Archive) -> Result<(), WebError> {
    archive
        .catalog
        .conn()
        .execute_batch("BEGIN")
        .map_err(|e| WebError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The hidden CSRF field of a form.
pub fn csrf_field(state: &super::State) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        super::html::escape(&state.csrf)
    )
}

/// A short id for display: the first 12 hex digits.
pub fn short(id: &str) -> &str {
    crate::output::short_id(id)
}
