//! Holds every answer the tests receive to the OpenAPI document: the status must be one the
//! operation documents, and the body must match that response's schema for its content
//! type (JSON Schema 2020-12, formats included). `TestApp::call_with` calls it, so no test
//! can forget it. The document is the one `openapi.yaml` is written from.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use utoipa::OpenApi;

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(xchannel::openapi::ApiDoc::openapi()).expect("the document serializes")
    })
}

/// The documented path template `path` (without its query) falls under, if any.
fn template_of(path: &str) -> Option<&'static str> {
    let asked: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    let paths = document()["paths"].as_object()?;
    paths.keys().map(String::as_str).find(|template| {
        let segments: Vec<&str> = template.split('/').collect();
        segments.len() == asked.len()
            && segments
                .iter()
                .zip(&asked)
                .all(|(s, a)| s == a || (s.starts_with('{') && !a.is_empty()))
    })
}

/// Validators by the JSON pointer of the schema they check, built once per test binary.
fn validator(pointer: &str, schema: &Value) -> &'static jsonschema::Validator {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    cache.entry(pointer.to_owned()).or_insert_with(|| {
        // The schema's `$ref`s point into `#/components`: give it the document's.
        let mut root = schema.clone();
        if let Value::Object(map) = &mut root {
            map.insert("components".into(), document()["components"].clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema at {pointer} compiles: {e}"));
        Box::leak(Box::new(validator))
    })
}

/// Fails the test when the answer to `method path` is not what the document says.
pub fn check_answer(
    method: &Method,
    path: &str,
    status: StatusCode,
    content_type: Option<&str>,
    text: &str,
) {
    let Some(template) = template_of(path) else {
        return; // not an operation of the API (an unknown path, /docs, /openapi.json)
    };
    let (method, has_body) = match *method {
        Method::HEAD => ("get".to_owned(), false),
        ref other => (other.as_str().to_ascii_lowercase(), true),
    };
    let Some(operation) = document()["paths"][template].get(&method) else {
        return; // a method the path does not answer: 405, checked by the tests that ask
    };
    let code = status.as_str();
    let documented = operation["responses"]
        .get(code)
        .or_else(|| operation["responses"].get("default"));
    let Some(response) = documented else {
        let known: Vec<&String> = operation["responses"]
            .as_object()
            .map(|r| r.keys().collect())
            .unwrap_or_default();
        panic!("{} {template} answered {status}, which it does not document (documented: {known:?}): {text}", method.to_uppercase());
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            text.is_empty() || !has_body,
            "{} {template} {code} documents no body but sent one: {text}",
            method.to_uppercase()
        );
        return;
    };
    if !has_body {
        return;
    }
    let media_type = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    let Some(schema) = content.get(media_type).and_then(|c| c.get("schema")) else {
        let known: Vec<&String> = content.keys().collect();
        panic!(
            "{} {template} {code} sent {media_type:?}; the document says {known:?}: {text}",
            method.to_uppercase()
        );
    };
    if !media_type.ends_with("json") {
        return; // text (metrics): the schema says string
    }
    let body: Value = serde_json::from_str(text).unwrap_or_else(|e| {
        panic!(
            "{} {template} {code} sent {media_type} that is not JSON ({e}): {text}",
            method.to_uppercase()
        )
    });
    let pointer = format!(
        "{}/{method}/responses/{code}/content/{media_type}",
        template.replace('~', "~0").replace('/', "~1")
    );
    let errors: Vec<String> = validator(&pointer, schema)
        .iter_errors(&body)
        .map(|e| format!("  at {:?}: {e}", e.instance_path().as_str()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} {template} {code}: the body does not match the document's schema:\n{}\nbody: {text}",
        method.to_uppercase(),
        errors.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(method: Method, path: &str, status: u16, content_type: &str, text: &str) -> bool {
        let status = StatusCode::from_u16(status).unwrap();
        let (method, path, content_type, text) = (
            method,
            path.to_owned(),
            content_type.to_owned(),
            text.to_owned(),
        );
        std::panic::catch_unwind(move || {
            check_answer(&method, &path, status, Some(&content_type), &text)
        })
        .is_err()
    }

    #[test]
    fn an_answer_of_the_documented_shape_passes() {
        let ou = r#"{"items": [{"id": "0193a1d2-7b8c-7d00-8000-000000000001", "name": "Support", "createdAt": "2026-12-01T08:00:00Z"}]}"#;
        assert!(!refused(
            Method::GET,
            "/api/v1/ous",
            200,
            "application/json",
            ou
        ));
        assert!(!refused(
            Method::HEAD,
            "/api/v1/ous",
            200,
            "application/json",
            ""
        ));
        assert!(!refused(
            Method::DELETE,
            "/api/v1/ous/0193a1d2-7b8c-7d00-8000-000000000001",
            204,
            "",
            ""
        ));
    }

    #[test]
    fn a_status_the_operation_does_not_document_fails() {
        assert!(refused(
            Method::GET,
            "/api/v1/ous",
            418,
            "application/problem+json",
            "{}"
        ));
    }

    #[test]
    fn a_body_off_the_schema_fails() {
        assert!(refused(
            Method::GET,
            "/api/v1/ous",
            200,
            "application/json",
            r#"{"items": 5}"#
        ));
        let bad_date = r#"{"items": [{"id": "0193a1d2-7b8c-7d00-8000-000000000001", "name": "S", "createdAt": "yesterday"}]}"#;
        assert!(refused(
            Method::GET,
            "/api/v1/ous?limit=1",
            200,
            "application/json",
            bad_date
        ));
        assert!(refused(
            Method::GET,
            "/api/v1/ous",
            401,
            "application/problem+json",
            r#"{"code": 401}"#
        ));
    }

    #[test]
    fn a_media_type_the_response_does_not_document_fails() {
        assert!(refused(
            Method::GET,
            "/api/v1/ous",
            200,
            "text/html",
            "<p>hi</p>"
        ));
        assert!(refused(
            Method::DELETE,
            "/api/v1/ous/0193a1d2-7b8c-7d00-8000-000000000001",
            204,
            "text/plain",
            "gone"
        ));
    }

    #[test]
    fn paths_outside_the_document_are_left_to_their_tests() {
        assert!(!refused(
            Method::GET,
            "/docs/",
            200,
            "text/html",
            "<html></html>"
        ));
        assert!(!refused(
            Method::POST,
            "/healthz",
            405,
            "application/problem+json",
            "{}"
        ));
    }
}
