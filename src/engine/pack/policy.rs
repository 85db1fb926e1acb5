//! Which password opens each ZIP of a batch (SPEC §6). A 証明書PW再発行 ZIP opens with the
//! office's login password when the same batch issues exactly one for that ユーザID (the seed's
//! 「パスワードは、ログイン用パスワードをご入力ください」); every other ZIP gets a fresh
//! 開封パスワード for the second-channel list. A ZIP never opens with a secret it carries.

use std::collections::HashMap;

use crate::engine::config::{Config, PasswordSource};
use crate::engine::notice::{Notice, SecretSlot};
use crate::engine::secrets::{Generator, Secret};
use crate::ground::model::UserId;

pub use crate::ground::model::ZipOpening;

/// The key of one notice's ZIP.
pub enum ZipKey {
    /// The login password of the notice at this index of the batch.
    Login(usize),
    /// A fresh 開封パスワード.
    Separate(Secret),
}

impl ZipKey {
    pub fn opening(&self) -> ZipOpening {
        match self {
            ZipKey::Login(_) => ZipOpening::Login,
            ZipKey::Separate(_) => ZipOpening::Separate,
        }
    }

    /// The password itself, looked up in `notices` for a login key.
    pub fn password<'a>(&'a self, notices: &'a [Notice]) -> &'a Secret {
        match self {
            ZipKey::Login(j) => notices[*j].secret(SecretSlot::TempPassword).expect("a login key names a login notice"),
            ZipKey::Separate(secret) => secret,
        }
    }
}

/// Which notice's login password opens each notice's ZIP (`None`: a fresh 開封パスワード), in
/// the order of `notices`. Decided from the kinds, the ユーザID and the settings alone, never
/// from a secret's value: `check`, the dry run and the run count the same ZIPs each way.
pub fn login_sources(notices: &[Notice], config: &Config) -> Vec<Option<usize>> {
    // ユーザID whose login password is issued exactly once in this batch. A login belongs to a
    // ユーザID, not an office: an office billing two prefectures has two.
    let mut logins: HashMap<&UserId, Vec<usize>> = HashMap::new();
    for (i, n) in notices.iter().enumerate() {
        if SecretSlot::of(n.kind()).contains(&SecretSlot::TempPassword) {
            logins.entry(&n.request.user_id).or_default().push(i);
        }
    }
    notices
        .iter()
        .enumerate()
        .map(|(i, n)| {
            match config.zip.password_source.of(n.kind()) {
                // Never the login the ZIP itself carries.
                PasswordSource::Login => logins.get(&n.request.user_id).filter(|v| v.len() == 1).map(|v| v[0]),
                PasswordSource::Separate => None,
            }
            .filter(|&j| j != i)
        })
        .collect()
}

/// How each notice's ZIP opens, in the order of `notices` (see [`login_sources`]).
pub fn openings(notices: &[Notice], config: &Config) -> Vec<ZipOpening> {
    let sources = login_sources(notices, config);
    sources.iter().map(|s| if s.is_some() { ZipOpening::Login } else { ZipOpening::Separate }).collect()
}

/// The key of every notice's ZIP, in the order of `notices`.
pub fn zip_keys(notices: &[Notice], config: &Config) -> Vec<ZipKey> {
    let mut generator = Generator::os();
    login_sources(notices, config)
        .into_iter()
        .enumerate()
        .map(|(i, login)| {
            let n = &notices[i];
            // Never the secret the ZIP itself carries (two independent draws would have to agree).
            let carries = |j: usize| {
                let key = notices[j].secret(SecretSlot::TempPassword).map(Secret::expose);
                SecretSlot::of(n.kind()).iter().any(|s| n.secret(*s).map(Secret::expose) == key)
            };
            match login {
                Some(j) if !carries(j) => ZipKey::Login(j),
                _ => ZipKey::Separate(generator.generate(&config.passwords.zip, n.request.user_id.as_str())),
            }
        })
        .collect()
}
