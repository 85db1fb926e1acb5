//! 設定 (初期設定 on a first start): the issuer, the helpdesk line, the hand-off keys, where the
//! ledger and the batches live, the date style, the password lengths and the envelope offset,
//! written into tsuchi.toml with its comments kept (app::settings::update); what `run` would
//! still refuse is said under the form; the calibration sheet prints from here.

use std::sync::Arc;

use axum::extract::{Extension, Form, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tera::Context;

use super::guard::Visitor;
use super::records::blocking;
use super::session::State as Shared;
use super::view;
use crate::app::settings::Changes;
use crate::app::{self, AppError};
use crate::ground::wareki::DateStyle;
use crate::msg;

type AppState = State<Arc<Shared>>;

/// The form with the file's values, and `context`'s message.
/// `typed`: what the clerk sent, shown again in place of the file's values when it was refused.
async fn shown(state: &Shared, visitor: &Visitor, mut context: Context, typed: Option<&SettingsForm>) -> Response {
    let path = state.settings_file();
    let place = state.place();
    let first = !path.exists();

    let file = path.clone();
    match blocking(visitor, move || {
        let settings = place.settings()?;
        let c = &settings.config;
        let style = match c.notice.date_style {
            DateStyle::Padded => "padded",
            DateStyle::Plain => "plain",
            DateStyle::Gannen => "gannen",
        };
        let root = settings.output_root(place.out.as_deref());
        Ok(json!({
            "file": path.display().to_string(),
            "first": first,
            "name": c.issuer.name,
            "helpdesk": c.issuer.helpdesk,
            "recipients": c.handoff.recipients.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            "manual": c.handoff.mode == crate::engine::config::HandoffMode::Manual,
            "output_root": c.output.root.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            "root": root.display().to_string(),
            "date_style": style,
            "temp_length": c.passwords.temp.length,
            "cert_length": c.passwords.cert.length,
            "offset_x": c.layout.address_offset_mm[0],
            "offset_y": c.layout.address_offset_mm[1],
            // Named after the file saving writes, on a first start too.
            "not_ready": c.not_ready(Some(&file)),
        }))
    })
    .await
    {
        Ok(mut values) => {
            if let Some(f) = typed {
                for (key, value) in [
                    ("name", json!(f.name)),
                    ("helpdesk", json!(f.helpdesk)),
                    ("recipients", json!(f.recipients)),
                    ("output_root", json!(f.output_root)),
                    ("date_style", json!(f.date_style)),
                    ("temp_length", json!(f.temp_length)),
                    ("cert_length", json!(f.cert_length)),
                    ("offset_x", json!(f.offset_x)),
                    ("offset_y", json!(f.offset_y)),
                ] {
                    values[key] = value;
                }
            }
            context.insert("settings", &values)
        }
        Err(message) => context.insert("error", &message),
    }
    view::page(&visitor.session, "/settings", "settings.html.tera", context)
}

/// GET /settings.
pub async fn page(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    shown(&state, &visitor, Context::new(), None).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    name: String,
    helpdesk: String,
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    output_root: String,
    date_style: String,
    temp_length: usize,
    cert_length: usize,
    offset_x: f32,
    offset_y: f32,
}

/// POST /settings: the form written into the file.
pub async fn save(
    State(state): AppState,
    Extension(visitor): Extension<Visitor>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let path = state.settings_file();
    let recipients: Vec<String> =
        form.recipients.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    let date_style = match form.date_style.as_str() {
        "plain" => DateStyle::Plain,
        "gannen" => DateStyle::Gannen,
        _ => DateStyle::Padded,
    };
    let changes = Changes {
        issuer_name: Some(form.name.trim().to_string()),
        helpdesk: Some(form.helpdesk.trim().to_string()),
        // Keys are written only when some are given: a file that registers by hand keeps none.
        recipients: Some(recipients).filter(|r| !r.is_empty()),
        output_root: Some(form.output_root.trim().to_string()).filter(|r| !r.is_empty()),
        date_style: Some(date_style),
        temp_length: Some(form.temp_length),
        cert_length: Some(form.cert_length),
        address_offset_mm: Some([form.offset_x, form.offset_y]),
    };
    let mut context = Context::new();
    match blocking(&visitor, move || app::settings::update(&path, &changes)).await {
        Ok(written) => {
            context.insert("saved", &msg!("web.settings.saved", path = written.path.display()));
            // A new output root: this server shows it now, or says who does.
            if let Err(message) = crate::ground::i18n::with_lang(visitor.session.lang, || state.follow_root()) {
                context.insert("error", &message);
            }
            shown(&state, &visitor, context, None).await
        }
        Err(message) => {
            context.insert("error", &message);
            shown(&state, &visitor, context, Some(&form)).await
        }
    }
}

/// GET /settings/calibrate.pdf: the envelope calibration sheet with the saved offset.
pub async fn calibrate(State(state): AppState, Extension(visitor): Extension<Visitor>) -> Response {
    let place = state.place();
    let out = state.uploads.join(format!("calibrate-{}.pdf", &super::token::random_hex().unwrap_or_default()[..12]));
    let into = out.clone();
    let made =
        blocking(&visitor, move || -> Result<_, AppError> { app::calibrate::calibrate(&place.settings()?, &into) })
            .await;
    let response = match made {
        Ok(sheet) => super::files::send(&sheet.path, "calibrate.pdf").await,
        Err(message) => {
            let mut context = Context::new();
            context.insert("error", &message);
            return shown(&state, &visitor, context, None).await;
        }
    };
    let _ = std::fs::remove_file(&out);
    response
}
