//! R-API-1: the committed `openapi.yaml` is exactly what the handlers produce.
//! Regenerate with `cargo run -p xchannel -- openapi > openapi.yaml`.

#[test]
fn committed_openapi_yaml_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let generated = xchannel::openapi::yaml();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml differs from the code: run `cargo run -p xchannel -- openapi > openapi.yaml`"
    );
}

#[test]
fn documents_every_error_of_the_channel_endpoints() {
    let doc: serde_json::Value = serde_json::from_str(
        &<xchannel::openapi::ApiDoc as utoipa::OpenApi>::openapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    let post = &doc["paths"]["/api/v1/channels"]["post"]["responses"];
    for status in ["201", "400", "401", "403", "409", "413", "422"] {
        assert!(
            post.get(status).is_some(),
            "POST /channels documents {status}"
        );
    }
    let put = &doc["paths"]["/api/v1/channels/{id}"]["put"]["responses"];
    for status in ["200", "404", "409", "412", "422", "428"] {
        assert!(
            put.get(status).is_some(),
            "PUT /channels/{{id}} documents {status}"
        );
    }
    let example = &doc["components"]["schemas"]["ChannelDraft"]["example"];
    assert!(
        example["x"]["apiKey"].is_string(),
        "the channel body has an example"
    );
}

#[test]
fn every_operation_documents_the_errors_it_can_answer() {
    let doc: serde_json::Value = serde_json::from_str(
        &<xchannel::openapi::ApiDoc as utoipa::OpenApi>::openapi()
            .to_json()
            .unwrap(),
    )
    .unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let documents = |status: &str| responses.contains_key(status);
            // An operation that takes a token (the probes' requirement is empty: none).
            let takes_a_token = operation["security"]
                .as_array()
                .is_some_and(|requirements| {
                    requirements
                        .iter()
                        .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
                });
            if takes_a_token {
                assert!(documents("401"), "{method} {path} documents 401");
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(documents(status), "{method} {path} documents {status}");
                }
                // X's deliveries are stored as X sent them: no rule of ours can refuse one.
                if !path.starts_with("/webhooks/") {
                    assert!(documents("422"), "{method} {path} documents 422");
                }
            }
            if path.contains("{id}") {
                assert!(documents("404"), "{method} {path} documents 404");
            }
        }
    }
}

#[test]
fn the_yaml_reads_back_as_the_document() {
    let doc =
        serde_json::to_value(<xchannel::openapi::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let read: serde_json::Value = serde_norway::from_str(&xchannel::openapi::yaml()).unwrap();
    assert_eq!(read, doc);
}
