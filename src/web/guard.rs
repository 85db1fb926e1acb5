//! The layer every request passes before a page sees it, in this order: the `Host` must be this
//! server's loopback address and port (DNS rebinding); the opening token is exchanged, once,
//! for the session cookie; a request without the session is refused; a state-changing request
//! must be a POST from this origin carrying the session's anti-CSRF token. Every response, a
//! refusal included, carries the strict headers; every request is logged without its query.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{self, Session};
use super::view;

/// The session a request was let in with, for the pages.
#[derive(Clone)]
pub struct Visitor {
    pub id: String,
    pub session: Session,
}

/// The largest urlencoded form read here for its CSRF field (uploads are multipart and carry
/// the token in their action's query instead).
const FORM_LIMIT: usize = 1 << 20;

pub async fn layer(State(state): State<Arc<session::State>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = admit(&state, request, next).await;
    harden(response.headers_mut());
    // Method, path and status only: never the query (the opening token), never a body.
    super::log(&format!("{method} {} {}", printable(&path), response.status().as_u16()));
    response
}

async fn admit(state: &session::State, mut request: Request, next: Next) -> Response {
    let Some(host) = own_host(state.port, request.headers()) else {
        return (StatusCode::FORBIDDEN, "403 Forbidden: not this server's address\n").into_response();
    };
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if is_read && request.uri().path().starts_with("/assets/") {
        return next.run(request).await;
    }
    let visitor = cookie(request.headers(), &state.cookie_name())
        .and_then(|id| state.session(&id).map(|session| Visitor { id, session }));
    if let Some(token) = is_read.then(|| query_value(request.uri().query(), "token")).flatten() {
        // A clean address afterwards: the token leaves the address bar and the history.
        if visitor.is_some() {
            return Redirect::to("/").into_response();
        }
        return match state.open_session(&token) {
            Some(id) => {
                let mut response = Redirect::to("/").into_response();
                let cookie = format!("{}={id}; Path=/; HttpOnly; SameSite=Strict", state.cookie_name());
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                }
                response
            }
            None => forbidden(),
        };
    }
    let Some(visitor) = visitor else { return forbidden() };
    if !is_read {
        if *request.method() != Method::POST || !same_origin(&host, request.headers()) {
            return forbidden();
        }
        let (parts, body) = request.into_parts();
        let from_header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let from_query = query_value(parts.uri.query(), "csrf");
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let (token, body) = match (from_header.or(from_query), is_form) {
            (Some(token), _) => (Some(token), body),
            (None, true) => match axum::body::to_bytes(body, FORM_LIMIT).await {
                Ok(bytes) => (query_value(std::str::from_utf8(&bytes).ok(), "csrf"), Body::from(bytes)),
                Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
            },
            (None, false) => (None, body),
        };
        if !token.is_some_and(|t| super::token::same(t.as_bytes(), visitor.session.csrf.as_bytes())) {
            return forbidden();
        }
        request = Request::from_parts(parts, body);
    }
    request.extensions_mut().insert(visitor);
    next.run(request).await
}

/// The request's `Host` if it names this server: the loopback address (or `localhost`) and
/// this port, nothing else.
fn own_host(port: u16, headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let allowed = [format!("127.0.0.1:{port}"), format!("[::1]:{port}"), format!("localhost:{port}")];
    allowed.into_iter().find(|a| a.eq_ignore_ascii_case(host))
}

/// A POST from a page of this server: its `Origin` is this server's own (a missing one is
/// refused), and the browser does not call it cross-site.
fn same_origin(host: &str, headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    origin.is_some_and(|o| o.eq_ignore_ascii_case(&format!("http://{host}")))
        && site.is_none_or(|s| s == "same-origin" || s == "none")
}

/// The refusal page, in the language the server was started with (there is no session to ask).
fn forbidden() -> Response {
    view::bare(crate::ground::i18n::lang(), StatusCode::FORBIDDEN, "forbidden.html.tera")
}

/// The headers of every response: nothing runs but this server's own script, nothing embeds
/// the page, nothing is cached or sniffed, no address leaves in a Referer. (`same-origin`, not
/// `no-referrer`: under `no-referrer` Chromium sends `Origin: null` with a form's POST, and the
/// Origin check could not tell the page's own form from a stranger's.)
fn harden(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    set(headers, "cache-control", "no-store");
}

/// The value of `name` in a query string or urlencoded form.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The value of the cookie `name`.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A path as a log line may show it: no control characters, bounded.
fn printable(path: &str) -> String {
    path.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_this_servers_loopback_host_is_let_in() {
        assert!(own_host(8080, &headers(&[("host", "127.0.0.1:8080")])).is_some());
        assert!(own_host(8080, &headers(&[("host", "localhost:8080")])).is_some());
        assert!(own_host(8080, &headers(&[("host", "[::1]:8080")])).is_some());
        assert!(own_host(8080, &headers(&[("host", "evil.example:8080")])).is_none());
        assert!(own_host(8080, &headers(&[("host", "127.0.0.1:8081")])).is_none());
        assert!(own_host(8080, &headers(&[])).is_none());
    }

    #[test]
    fn a_post_from_another_origin_is_not_same_origin() {
        let own = "127.0.0.1:8080";
        assert!(same_origin(own, &headers(&[("origin", "http://127.0.0.1:8080")])));
        assert!(!same_origin(own, &headers(&[("origin", "http://evil.example")])));
        assert!(!same_origin(own, &headers(&[("origin", "null")])));
        assert!(!same_origin(own, &headers(&[])));
        let cross = headers(&[("origin", "http://127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(!same_origin(own, &cross));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; tsuchi_80=abc"), ("cookie", "b=2")]);
        assert_eq!(cookie(&h, "tsuchi_80").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "tsuchi_81"), None);
    }
}
