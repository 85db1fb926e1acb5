//! 敬称 are never doubled (SPEC §5). The templates say where a 敬称 goes and tsuchi.toml which
//! word it is; these two filters (over [`crate::ground::model::honorific`]) keep a 敬称 the clerk
//! already typed in a cell from being printed twice, and keep 御中 away from a named person's 様.
//!
//! `{{ attention | honorific(word=honorific_person) }}` and `{{ office_name | without_honorific }}`.

use std::collections::HashMap;

use tera::Value;

pub use crate::ground::model::honorific::{with_honorific, without_honorific};

/// The Tera filter `honorific(word=...)`.
pub fn honorific_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let name = value
        .as_str()
        .ok_or_else(|| tera::Error::msg(crate::msg!("render.honorific.not_text", filter = "honorific")))?;
    let word = args
        .get("word")
        .and_then(Value::as_str)
        .ok_or_else(|| tera::Error::msg(crate::msg!("render.honorific.no_word")))?;
    Ok(Value::String(with_honorific(name, word)))
}

/// The Tera filter `without_honorific`.
pub fn without_honorific_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let name = value
        .as_str()
        .ok_or_else(|| tera::Error::msg(crate::msg!("render.honorific.not_text", filter = "without_honorific")))?;
    Ok(Value::String(without_honorific(name)))
}
