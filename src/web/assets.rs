//! The page's one style sheet and one plain script, and the font the notices embed, compiled
//! in (no build step, nothing fetched from elsewhere: the Content-Security-Policy allows only
//! this server's own).

use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../templates/web/tsuchi.css");
const JS: &str = include_str!("../../templates/web/tsuchi.js");

pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

/// The Japanese font the notices embed, as the pages' last resort: a browser loads it only
/// where the PC has none of the system fonts the style sheet names first (Yu Gothic, Meiryo …).
pub async fn font() -> Response {
    ([(header::CONTENT_TYPE, "font/ttf")], crate::ground::font::GOTHIC_BYTES).into_response()
}

pub async fn js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS).into_response()
}
