//! The server's state: the settings it serves, the opening token (good once), the session it was
//! exchanged for, the private folder uploads land in, and the stop signal. Tokens are 256 bits
//! from the operating system's CSPRNG, as the secrets are drawn.

use std::path::PathBuf;
use std::sync::Mutex;

use tokio::sync::watch;

use super::token::{random_hex, same};
use crate::app::{AppError, Place};
use crate::ground::i18n::Lang;

/// Where this server's settings and ledger are, as `run` finds them from the same `--config`
/// and `--out`, resolved once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--config` and `--out` as given: each operation loads its settings afresh from here, so a
    /// change made on the settings page holds at once.
    pub place: Place,
    /// The tsuchi.toml in use, if any.
    pub config_path: Option<PathBuf>,
    /// The output root: the ledger and the batch folders.
    pub root: PathBuf,
}

impl Settings {
    pub fn resolve(config: Option<PathBuf>, out: Option<PathBuf>) -> Result<Settings, AppError> {
        let place = Place::new(config, out);
        let loaded = place.settings()?;
        let root = loaded.output_root(place.out.as_deref());
        let config_path = loaded.file.as_deref().map(crate::engine::home::absolute);
        Ok(Settings { place, config_path, root })
    }
}

/// The one session the opening token was exchanged for.
#[derive(Debug, Clone)]
pub struct Session {
    /// The anti-CSRF token every POST carries (a hidden field, a header or the form's action).
    pub csrf: String,
    pub lang: Lang,
}

/// The most sessions open at once: the page opened again in as many browsers or tabs.
const SESSIONS: usize = 16;

/// The output root this server shows, with its serve lock (and there its reopening URL).
struct Serving {
    root: PathBuf,
    _held: crate::engine::audit::lock::Held,
}

pub struct State {
    pub port: u16,
    pub settings: Settings,
    default_lang: Lang,
    opening: Mutex<Option<String>>,
    /// The sessions opened (the first at start, one more each time the page is opened again),
    /// oldest first; past [`SESSIONS`] the oldest is closed.
    sessions: Mutex<Vec<(String, Session)>>,
    /// Follows the settings: when 設定 moves the output root, the lock moves with it.
    serving: Mutex<Option<Serving>>,
    stop: watch::Sender<bool>,
    /// The private folder uploads are written to, removed when the server stops.
    pub uploads: PathBuf,
    jobs: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// The 発行 page's list and batch.
    pub desk: Mutex<super::work::Desk>,
    /// The 発送リスト previewed on the 発送 page, waiting for confirmation.
    pub mail: Mutex<Option<super::work::Pending>>,
}

impl State {
    /// The state of a server on `port` showing `settings.root`, whose serve lock is `held`.
    pub fn new(
        port: u16,
        default_lang: Lang,
        settings: Settings,
        held: crate::engine::audit::lock::Held,
    ) -> std::io::Result<State> {
        let root = settings.root.clone();
        // In the user's own folder, one per output root (whose serve lock this server holds): what
        // a server killed outright left there goes now. Else a new folder in the temp folder.
        let uploads = match super::reopen::fresh_uploads_dir(&root) {
            Some(uploads) => uploads?,
            None => std::env::temp_dir().join(format!("tsuchi-serve-{}-{}", std::process::id(), &random_hex()?[..16])),
        };
        crate::ground::fsutil::create_new_private_dir(&uploads)?;
        Ok(State {
            port,
            settings,
            default_lang,
            opening: Mutex::new(Some(random_hex()?)),
            sessions: Mutex::new(Vec::new()),
            serving: Mutex::new(Some(Serving { root: root.clone(), _held: held })),
            stop: watch::channel(false).0,
            uploads,
            jobs: Mutex::new(Vec::new()),
            desk: Mutex::new(super::work::Desk::default()),
            mail: Mutex::new(None),
        })
    }

    /// The settings file the pages read and write: `--config`, else the one found at start,
    /// else `tsuchi.toml` in the folder the server was started in (written by the first
    /// settings saved).
    pub fn settings_file(&self) -> PathBuf {
        let given = self.settings.config_path.clone().or_else(|| self.settings.place.config.clone());
        crate::engine::home::absolute(&given.unwrap_or_else(|| PathBuf::from("tsuchi.toml")))
    }

    /// Where each operation finds its settings and ledger now: the settings file once it exists
    /// (so the first settings saved hold at once), `--out` as given.
    pub fn place(&self) -> Place {
        Place::new(Some(self.settings_file()).filter(|p| p.exists()), self.settings.place.out.clone())
    }

    /// The output root as the settings say now (the one found at start if they cannot be read).
    pub fn root(&self) -> PathBuf {
        self.place().root().unwrap_or_else(|_| self.settings.root.clone())
    }

    /// The token of the opening URL (for the one line printed at start).
    pub fn opening_token(&self) -> String {
        self.opening.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default()
    }

    /// Keeps the opening URL of `token` where a second start of the page finds it
    /// (web::reopen); a file that cannot be written costs only that.
    pub fn publish_opening(&self, token: &str) {
        let Some(root) = self.served_root() else { return };
        if super::reopen::publish(&root, &super::reopen::url(self.port, token)).is_err() {
            // Never an older URL instead.
            super::reopen::withdraw(&root);
            super::log(&crate::msg!("web.log.no_reopen"));
        }
    }

    /// The output root whose serve lock this server holds (none once it stops).
    pub fn served_root(&self) -> Option<PathBuf> {
        self.serving.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|s| s.root.clone())
    }

    /// After the settings are saved: when they name another output root, its serve lock is taken
    /// (and the old one's given back, with its reopening URL), so that one server shows each
    /// ledger still. Another server showing the new root is said, and the lock stays.
    pub fn follow_root(&self) -> Result<(), String> {
        let root = self.root();
        let mut serving = self.serving.lock().unwrap_or_else(|e| e.into_inner());
        let Some(current) = serving.as_ref() else { return Ok(()) };
        let same = crate::engine::home::absolute(&current.root) == crate::engine::home::absolute(&root);
        if same {
            return Ok(());
        }
        let held = crate::engine::audit::lock::Held::take(&root, crate::engine::audit::lock::SERVE)
            .map_err(|e| e.to_string())?;
        super::reopen::withdraw(&current.root);
        *serving = Some(Serving { root, _held: held });
        drop(serving);
        if let Some(token) = self.opening.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            self.publish_opening(&token);
        }
        Ok(())
    }

    /// At the end: the reopening URL withdrawn and the serve lock given back.
    pub fn release(&self) {
        if let Some(serving) = self.serving.lock().unwrap_or_else(|e| e.into_inner()).take() {
            super::reopen::withdraw(&serving.root);
        }
    }

    /// Exchanges the opening token for a new session: the session's id, or `None` when `token`
    /// is not the opening token or it was used already.
    pub fn open_session(&self, token: &str) -> Option<String> {
        let mut opening = self.opening.lock().unwrap_or_else(|e| e.into_inner());
        let good = opening.as_deref().is_some_and(|expected| same(expected.as_bytes(), token.as_bytes()));
        if !good {
            return None;
        }
        // The next opening URL, for the page opened again (web::reopen); none if it cannot be
        // kept.
        *opening = random_hex().ok();
        if let Some(next) = opening.as_deref() {
            self.publish_opening(next);
        }
        let id = random_hex().ok()?;
        let csrf = random_hex().ok()?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.push((id.clone(), Session { csrf, lang: self.default_lang }));
        if sessions.len() > SESSIONS {
            sessions.remove(0);
        }
        Some(id)
    }

    /// The session whose id the cookie holds.
    pub fn session(&self, id: &str) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.iter().find(|(known, _)| same(known.as_bytes(), id.as_bytes())).map(|(_, s)| s.clone())
    }

    pub fn set_lang(&self, id: &str, lang: Lang) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, session)) = sessions.iter_mut().find(|(known, _)| same(known.as_bytes(), id.as_bytes())) {
            session.lang = lang;
        }
    }

    /// The cookie's name: per port, since browsers share cookies between the ports of a host.
    pub fn cookie_name(&self) -> String {
        format!("tsuchi_{}", self.port)
    }

    /// Asks the server to stop (the page's 「終了」).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `job` on a thread of its own: a long operation neither blocks the pages nor ends
    /// with the request (nor with a closed tab); the server waits for it before it exits.
    pub fn spawn_job(&self, job: impl FnOnce() + Send + 'static) {
        let handle = std::thread::spawn(job);
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.retain(|j| !j.is_finished());
        jobs.push(handle);
    }

    /// Whether a job started from the page is still running.
    pub fn busy(&self) -> bool {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|j| !j.is_finished())
    }

    pub async fn wait_for_jobs(&self) {
        let jobs: Vec<_> = std::mem::take(&mut *self.jobs.lock().unwrap_or_else(|e| e.into_inner()));
        if jobs.is_empty() {
            return;
        }
        let _ = tokio::task::spawn_blocking(move || {
            for job in jobs {
                let _ = job.join();
            }
        })
        .await;
    }

    /// Removes the upload folder and everything in it.
    pub fn remove_uploads(&self) {
        let _ = std::fs::remove_dir_all(&self.uploads);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_token_opens_one_session_once() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { place: Place::default(), config_path: None, root: dir.path().to_path_buf() };
        let held = crate::engine::audit::lock::Held::take(dir.path(), crate::engine::audit::lock::SERVE).unwrap();
        let state = State::new(1, Lang::Ja, settings, held).unwrap();
        let token = state.opening_token();
        assert_eq!(token.len(), 64);
        assert!(state.open_session("wrong").is_none());
        let id = state.open_session(&token).unwrap();
        assert!(state.session(&id).is_some());
        assert!(state.open_session(&token).is_none(), "a token is good once");
        assert!(state.session(&token).is_none());
        // The next one opens a second session (the page opened again), once.
        let next = state.opening_token();
        assert_ne!(next, token);
        let again = state.open_session(&next).unwrap();
        assert!(again != id && state.session(&again).is_some() && state.session(&id).is_some());
        assert!(state.open_session(&next).is_none());
        // Opened again and again: the oldest sessions close, the newest stay.
        let ids: Vec<String> = (0..SESSIONS).map(|_| state.open_session(&state.opening_token()).unwrap()).collect();
        assert!(state.session(&id).is_none() && state.session(&again).is_none());
        assert!(ids.iter().all(|i| state.session(i).is_some()));
        state.remove_uploads();
    }
}
