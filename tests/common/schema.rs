//! `docs/json/summary.schema.json`, and a checker of the part of JSON Schema it uses: every
//! `--json` is checked against it.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;

// --- docs/json/summary.schema.json -------------------------------------------------------

pub fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json/summary.schema.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn assert_schema(value: &Value) {
    let root = schema();
    let mut errors = Vec::new();
    validate(&root, &root, value, "$", &mut errors);
    assert!(errors.is_empty(), "not the documented shape:\n{}\n\n{value}", errors.join("\n"));
}

/// The part of JSON Schema the file uses: $ref to $defs, oneOf, allOf, type, const, enum,
/// required, properties, additionalProperties, items, minimum, minItems, maxItems.
pub fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/$defs/").expect("local refs only");
        return validate(root, &root["$defs"][name], value, at, errors);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            validate(root, s, value, at, errors);
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let passing = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(root, s, value, at, &mut e);
                e.is_empty()
            })
            .count();
        if passing != 1 {
            errors.push(format!("{at}: matches {passing} of oneOf"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| fits(t)) {
            errors.push(format!("{at}: not of type {types:?}"));
            return;
        }
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        errors.push(format!("{at}: not {c}"));
    }
    if let Some(e) = schema["enum"].as_array()
        && !e.contains(value)
    {
        errors.push(format!("{at}: not one of {e:?}"));
    }
    if let Some(min) = schema["minimum"].as_i64()
        && value.as_i64().is_some_and(|v| v < min)
    {
        errors.push(format!("{at}: below {min}"));
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(key) {
                errors.push(format!("{at}: no {key}"));
            }
        }
        for (key, v) in object {
            let inner = format!("{at}.{key}");
            match schema["properties"].get(key) {
                Some(s) => validate(root, s, v, &inner, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{inner}: not documented")),
                    Some(s @ Value::Object(_)) => validate(root, s, v, &inner, errors),
                    _ => {}
                },
            }
        }
    }
    if let Some(array) = value.as_array() {
        if let Some(items) = schema.get("items") {
            for (i, v) in array.iter().enumerate() {
                validate(root, items, v, &format!("{at}[{i}]"), errors);
            }
        }
        if schema["minItems"].as_u64().is_some_and(|n| (array.len() as u64) < n)
            || schema["maxItems"].as_u64().is_some_and(|n| (array.len() as u64) > n)
        {
            errors.push(format!("{at}: {} items", array.len()));
        }
    }
}
