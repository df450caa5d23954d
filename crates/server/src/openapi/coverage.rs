//! The committed `docs/openapi.json` is the generated document, and every
//! route of `src/routes/*.rs` is in it under its handler's name (the reverse,
//! every documented operation routed, is an integration test of the binary).

use std::collections::BTreeSet;

/// `(method, path, handler)` of every `.route("…", verb(handler)…)` in `source`.
fn routes_of(source: &str) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for chunk in source.split(".route(").skip(1) {
        let mut depth = 1usize;
        let end = chunk
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(chunk.len(), |(i, _)| i);
        let call = &chunk[..end];
        let Some(path) = call.split('"').nth(1) else {
            continue;
        };
        for verb in ["get", "post", "put", "patch", "delete"] {
            for part in call.split(&format!("{verb}(")).skip(1) {
                let before = call.len() - part.len() - verb.len() - 1;
                let prev = call[..before].chars().next_back();
                if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let handler: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push((verb.to_string(), path.to_string(), handler));
            }
        }
    }
    out
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = super::openapi_json();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("docs/openapi.json is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the document the code generates; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p phoneguard-server --lib openapi` \
         (or `phoneguard openapi > docs/openapi.json`) and commit it"
    );
}

#[test]
fn every_route_in_the_route_modules_is_documented_under_its_handler_name() {
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for (method, route, handler) in routes_of(&source) {
            let op = &doc["paths"][&route][&method];
            assert!(
                op.is_object(),
                "{method} {route} ({}) has no #[utoipa::path] in the document",
                path.display()
            );
            assert_eq!(op["operationId"], handler.as_str(), "{method} {route}");
            seen.insert((method, route));
        }
    }
    assert!(seen.len() >= 40, "{} routes found", seen.len());
}

#[test]
fn routes_are_read_from_chained_and_multi_line_calls() {
    let src = r#"Router::new()
        .route("/a/{id}", get(get_a).patch(update_a))
        .route(
            "/b",
            post(create_b),
        )"#;
    assert_eq!(
        routes_of(src),
        vec![
            ("get".into(), "/a/{id}".into(), "get_a".into()),
            ("patch".into(), "/a/{id}".into(), "update_a".into()),
            ("post".into(), "/b".into(), "create_b".into()),
        ]
    );
}
