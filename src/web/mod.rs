//! `tsuchi serve`: the clerk's month in the browser. A web server on the loopback address only,
//! for the one person who started it: the opening URL's token is exchanged once for a session
//! cookie, and every request is checked by the layers in [`guard`] (Host, session, CSRF and
//! Origin, response headers) before a page sees it. The pages are server-rendered from
//! `templates/web/` and call the application layer; nothing here issues or stores a secret.

mod assets;
mod files;
mod guard;
mod issue;
mod mail;
mod pages;
mod purge;
mod records;
mod reopen;
mod session;
mod settings;
mod token;
mod upload;
mod view;
mod work;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::ground::i18n::Lang;
use crate::msg;

/// What `tsuchi serve` was asked.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Start the default browser on the page (not with `--no-open`).
    pub open_browser: bool,
    /// The port to listen on; `None` or 0: a free one.
    pub port: Option<u16>,
    /// `--config`: the settings file (else `tsuchi.toml` in the current folder, if any).
    pub config: Option<PathBuf>,
    /// `--out`: the output root, where the ledger and the batches live.
    pub out: Option<PathBuf>,
    /// The pages' language until the clerk switches it.
    pub lang: Lang,
    /// A request list to check before the page opens (a list dropped onto tsuchi.exe).
    pub list: Option<PathBuf>,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{}", msg!("web.error.bind", address = .address, error = .error))]
    Bind { address: SocketAddr, error: std::io::Error },
    #[error("{}", msg!("web.error.runtime", error = .0))]
    Runtime(std::io::Error),
    #[error("{}", msg!("web.error.temp", error = .0))]
    Temp(std::io::Error),
    #[error("{0}")]
    App(#[from] crate::app::AppError),
    #[error("{0}")]
    Held(#[from] crate::engine::audit::lock::LockError),
}

/// Runs the server until Ctrl+C or the page's 「終了」. Prints the opening URL, one line, to
/// stdout; logs each request (method, path, status) to stderr.
pub fn serve(options: ServeOptions) -> Result<(), WebError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().map_err(WebError::Runtime)?;
    runtime.block_on(run(options))
}

async fn run(options: ServeOptions) -> Result<(), WebError> {
    let settings = session::Settings::resolve(options.config.clone(), options.out.clone())?;
    // One server per ledger: a second start by the same account opens the running one's page;
    // anyone else is told who holds it.
    use crate::engine::audit::lock::{Held, LockError, SERVE};
    let held = match Held::take(&settings.root, SERVE) {
        Ok(held) => held,
        Err(e) => {
            if let LockError::Served { holder, .. } = &e
                && let Some(url) = reopen::read(&settings.root)
            {
                opened_again(&url, holder, &options);
                return Ok(());
            }
            return Err(e.into());
        }
    };
    // An earlier server's URL, left by a crash, is never handed out.
    reopen::withdraw(&settings.root);
    let requested = options.port.unwrap_or(0);
    let v4 = bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), requested)).await?;
    let port = v4.local_addr().map_err(WebError::Runtime)?.port();
    // ::1 too when the machine has it (the browser may resolve `localhost` to it); not an error
    // when it does not.
    let v6 = bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)).await.ok();

    let state = Arc::new(session::State::new(port, options.lang, settings, held).map_err(WebError::Temp)?);
    state.publish_opening(&state.opening_token());
    if let Some(list) = &options.list {
        issue::check_at_start(&state, list).await;
    }
    let url = reopen::url(port, &state.opening_token());
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{url}");
        let _ = stdout.flush();
    }
    log(&msg!("web.log.started", root = state.settings.root.display()));
    if options.open_browser && open::that_detached(&url).is_err() {
        log(&msg!("web.log.no_browser"));
    }

    let app = pages::router(state.clone());
    let mut stopped = state.stopped();
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated() => {}
            _ = stopped.changed() => {}
        }
    };
    let (tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut servers = Vec::new();
    for listener in std::iter::once(v4).chain(v6) {
        let mut rx = tx.subscribe();
        let server = axum::serve(listener, app.clone()).with_graceful_shutdown(async move {
            let _ = rx.recv().await;
        });
        servers.push(tokio::spawn(async move { server.await }));
    }
    shutdown.await;
    log(&msg!("web.log.stopping"));
    let _ = tx.send(());
    for server in servers {
        if let Ok(Err(e)) = server.await {
            log(&msg!("web.error.runtime", error = e));
        }
    }
    // A batch started from the page finishes (or is left whole by the engine's staging) before
    // the process ends; the uploads go with the server.
    state.wait_for_jobs().await;
    state.remove_uploads();
    state.release();
    Ok(())
}

/// The end of the process asked by the system: SIGTERM on Unix; on Windows the console window
/// closed (the process then has a few seconds to tidy up). Never, where neither can be heard.
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        term.recv().await;
        return;
    }
    #[cfg(windows)]
    if let Ok(mut close) = tokio::signal::windows::ctrl_close() {
        close.recv().await;
        return;
    }
    std::future::pending::<()>().await
}

/// The page already runs for this output root: its next opening URL on stdout (the one line a
/// start prints), the browser opened on it, and a word of it on stderr.
fn opened_again(url: &str, holder: &str, options: &ServeOptions) {
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{url}");
        let _ = stdout.flush();
    }
    if options.open_browser {
        log(&msg!("web.log.opened_again", holder));
        if open::that_detached(url).is_err() {
            log(&msg!("web.log.no_browser"));
        }
    } else {
        log(&msg!("web.log.running_already", holder));
    }
    if options.list.is_some() {
        log(&msg!("web.log.opened_again_list"));
    }
}

async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, WebError> {
    tokio::net::TcpListener::bind(address).await.map_err(|error| WebError::Bind { address, error })
}

/// One line to stderr, never a panic on a closed stream.
fn log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
