//! One language-neutral HTTP contract (`http_contract.toml`): the same project spec made in
//! JavaScript and in TypeScript, each started for real (production mode, production
//! dependencies only, on Node 24), every case sent in order to both. Each answer must meet the
//! case's expectations, and the two services must answer alike: status, headers (but the ones
//! that differ per request) and body, with ids and timestamps numbered in order of appearance.

use crate::contract::{bearer_token, start_service};
use crate::support::{Sandbox, missing, tell};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Contract {
    spec: Spec,
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    new: Vec<String>,
    commands: Vec<Vec<String>>,
    env: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: String,
    #[serde(default)]
    auth: Auth,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    body: Option<String>,
    body_repeat: Option<Repeat>,
    status: u16,
    #[serde(rename = "type")]
    media_type: Option<String>,
    #[serde(default)]
    expect_headers: BTreeMap<String, String>,
    expect: Option<toml::Value>,
    #[serde(default)]
    save: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    text: String,
    times: usize,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Auth {
    #[default]
    None,
    Reader,
    Writer,
}

/// What one answer was, in the form the two languages are compared in.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Value,
}

/// Headers that differ between any two requests, whatever the service.
const PER_REQUEST: &[&str] = &["date", "etag", "x-request-id", "content-length", "keep-alive", "connection"];

fn load() -> Contract {
    let text =
        std::fs::read_to_string(crate::support::repo_root().join("tests/integration/http_contract.toml")).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("http_contract.toml: {e}"))
}

#[test]
fn the_contract_file_parses_and_every_saved_name_is_saved_before_it_is_used() {
    let contract = load();
    let mut saved = Vec::new();
    for case in &contract.case {
        let (method, path) = case.request.split_once(' ').expect("request is `METHOD path`");
        assert!(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].contains(&method), "{}", case.name);
        for name in path.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(n, _)| n) {
            assert!(saved.iter().any(|s| s == name), "{}: `{{{name}}}` is used before a case saves it", case.name);
        }
        if let Some(json) = &case.json {
            for name in saved_names(&json_of(json)) {
                assert!(saved.contains(&name), "{}: `{{{name}}}` is used before a case saves it", case.name);
            }
        }
        saved.extend(case.save.keys().cloned());
        let bodies = [case.json.is_some(), case.body.is_some(), case.body_repeat.is_some()];
        assert!(bodies.iter().filter(|b| **b).count() <= 1, "{}: one body at most", case.name);
    }
    assert!(contract.case.len() >= 30, "{} cases", contract.case.len());
}

#[test]
fn javascript_and_typescript_services_answer_the_contract_alike() {
    let Some(dir) = std::env::var_os("ESPRESSO_VALIDATE_DIR") else {
        return missing("ESPRESSO_VALIDATE_DIR is not set, so the HTTP contract did not run against live services");
    };
    assert!(Path::new(&dir).join("validate-service").is_file());
    let node_bin = crate::e2e::node_bin("24");
    if !node_bin.join("node").is_file() {
        return missing("Node 24 of ../shared/validate/setup is not installed, so the HTTP contract did not run");
    }
    let contract = load();
    let sb = Sandbox::new();
    let mut runs = Vec::new();
    for language in ["javascript", "typescript"] {
        let started = Instant::now();
        let answers = run_contract(&sb, language, &contract, &node_bin).unwrap_or_else(|e| panic!("{language}: {e}"));
        tell(&format!("http contract      {language}: {} cases met ({:.0?})", answers.len(), started.elapsed()));
        runs.push(answers);
    }
    let mut differences = Vec::new();
    for (case, (js, ts)) in contract.case.iter().zip(runs[0].iter().zip(&runs[1])) {
        if js != ts {
            differences.push(format!("{}:\n{}", case.name, difference(js, ts)));
        }
    }
    assert!(differences.is_empty(), "the languages answer differently:\n{}", differences.join("\n"));
    tell(&format!("http contract      both languages gave the same {} answers", contract.case.len()));
}

/// Where two answers differ, each side named by its language.
fn difference(js: &Answer, ts: &Answer) -> String {
    let mut lines = Vec::new();
    if js.status != ts.status {
        lines.push(format!("  status: javascript {}, typescript {}", js.status, ts.status));
    }
    for key in js.headers.keys().chain(ts.headers.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (a, b) = (js.headers.get(key), ts.headers.get(key));
        if a != b {
            lines.push(format!("  header {key}: javascript {a:?}, typescript {b:?}"));
        }
    }
    if js.body != ts.body {
        lines.push(format!("  body: javascript {}\n        typescript {}", js.body, ts.body));
    }
    lines.join("\n")
}

/// Makes the spec in `language`, starts it and sends every case; an unmet expectation is an error.
fn run_contract(sb: &Sandbox, language: &str, contract: &Contract, node_bin: &Path) -> Result<Vec<Answer>, String> {
    let name = format!("contract-{language}");
    let mut args = vec!["new", name.as_str(), "--language", language, "-q"];
    args.extend(contract.spec.new.iter().map(String::as_str));
    sb.run(&args).success();
    let project = sb.path().join(&name);
    for command in &contract.spec.commands {
        crate::e2e::espresso_in(&project, &command.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let env: Vec<(String, String)> = contract.spec.env.clone().into_iter().collect();
    let log_path = project.join("service.log");
    let (_service, port) = start_service(&project, node_bin, &env, &log_path)?;

    let secret = &contract.spec.env["JWT_SECRET"];
    let tokens = [
        (Auth::Reader, bearer_token(&node_bin.join("node"), secret, &["reader"])?),
        (Auth::Writer, bearer_token(&node_bin.join("node"), secret, &["writer"])?),
    ];
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut saved: HashMap<String, String> = HashMap::new();
    let mut numbering = Numbering::default();
    let mut answers = Vec::new();
    for case in &contract.case {
        let (method, path) = case.request.split_once(' ').unwrap();
        let mut path = path.to_owned();
        for (key, value) in &saved {
            path = path.replace(&format!("{{{key}}}"), value);
        }
        let mut request = ureq::http::Request::builder().method(method).uri(format!("http://127.0.0.1:{port}{path}"));
        for (key, value) in &case.headers {
            request = request.header(key, value);
        }
        if let Some((_, token)) =
            tokens.iter().find(|(a, _)| std::mem::discriminant(a) == std::mem::discriminant(&case.auth))
        {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let body: Vec<u8> = match (&case.json, &case.body, &case.body_repeat) {
            (Some(json), _, _) => {
                request = request.header("Content-Type", "application/json");
                serde_json::to_vec(&with_saved(json_of(json), &saved)).unwrap()
            }
            (_, Some(text), _) => text.clone().into_bytes(),
            (_, _, Some(repeat)) => repeat.text.repeat(repeat.times).into_bytes(),
            _ => Vec::new(),
        };
        let request = request.body(body).map_err(|e| e.to_string())?;
        let mut response = agent.run(request).map_err(|e| format!("{}: {e}", case.name))?;
        let status = response.status().as_u16();
        let mut headers = BTreeMap::new();
        for (key, value) in response.headers() {
            headers.insert(key.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned());
        }
        let bytes = response.body_mut().read_to_vec().map_err(|e| format!("{}: {e}", case.name))?;
        let media_type = headers.get("content-type").map(|t| t.split(';').next().unwrap_or_default().trim().to_owned());
        let compressed = headers.contains_key("content-encoding");
        let body = match media_type.as_deref() {
            _ if bytes.is_empty() || compressed => Value::Null,
            Some(t) if t.ends_with("json") => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", case.name))?
            }
            // The Prometheus text format: which families there are, not their values.
            _ => Value::Array(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|l| l.starts_with("# TYPE "))
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            ),
        };

        let mut problems = Vec::new();
        if status != case.status {
            problems.push(format!("status {status}, not {}", case.status));
        }
        if media_type != case.media_type {
            problems.push(format!("type {media_type:?}, not {:?}", case.media_type));
        }
        for (key, value) in &case.expect_headers {
            if headers.get(key) != Some(value) {
                problems.push(format!("header {key}: {:?}, not {value:?}", headers.get(key)));
            }
        }
        if let Some(expect) = &case.expect
            && let Err(e) = matches(&json_of(expect), &body, "body")
        {
            problems.push(e);
        }
        if status >= 500 {
            problems.push("a server error".into());
        }
        if !problems.is_empty() {
            return Err(format!(
                "{} ({method} {path}): {}\nbody: {body}\nservice log:\n{}",
                case.name,
                problems.join("; "),
                std::fs::read_to_string(&log_path).unwrap_or_default()
            ));
        }
        for (name, field) in &case.save {
            let value = body[field].as_str().ok_or_else(|| format!("{}: no `{field}` to save", case.name))?;
            saved.insert(name.clone(), value.to_owned());
        }
        headers.retain(|k, _| !PER_REQUEST.contains(&k.as_str()));
        for value in headers.values_mut() {
            *value = numbering.text(value);
        }
        if let Some(limit) = headers.get_mut("ratelimit") {
            // `reset` is the seconds left in the window, which depends on when the run began.
            *limit = limit.split(", reset=").next().unwrap_or_default().to_owned();
        }
        answers.push(Answer { status, headers, body: numbering.value(body) });
    }
    Ok(answers)
}

fn json_of(value: &toml::Value) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Whether `actual` has everything `expected` names; see http_contract.toml for the rules.
fn matches(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(e), _) if e == "<any>" => Ok(()),
        (Value::String(e), Value::String(a)) if e == "<uuid>" && is_uuid(a) => Ok(()),
        (Value::String(e), Value::String(a)) if e == "<timestamp>" && is_timestamp(a) => Ok(()),
        (Value::Object(e), Value::Object(a)) => e.iter().try_for_each(|(k, v)| {
            a.get(k).map_or(Err(format!("{at}.{k} is missing")), |got| matches(v, got, &format!("{at}.{k}")))
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().try_for_each(|(i, (e, a))| matches(e, a, &format!("{at}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => Ok(()),
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at} is {a}, not {e}")),
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// `2026-12-01T21:56:55.951Z`, as `Date.prototype.toISOString` writes it.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 24
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == '.',
            23 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Ids and timestamps by order of first appearance, so two runs compare equal when they agree
/// on which value is which.
#[derive(Default)]
struct Numbering {
    seen: HashMap<String, usize>,
}

impl Numbering {
    fn number(&mut self, kind: &str, value: &str) -> String {
        let next = self.seen.len();
        format!("<{kind} {}>", self.seen.entry(value.to_owned()).or_insert(next))
    }

    /// `text` with every UUID in it numbered, or the whole of it when it is a timestamp.
    fn text(&mut self, text: &str) -> String {
        if is_timestamp(text) {
            return "<timestamp>".into();
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(found) = (0..rest.len().saturating_sub(35))
            .find(|&i| rest.is_char_boundary(i) && rest.is_char_boundary(i + 36) && is_uuid(&rest[i..i + 36]))
        {
            out.push_str(&rest[..found]);
            out.push_str(&self.number("uuid", &rest[found..found + 36]));
            rest = &rest[found + 36..];
        }
        out.push_str(rest);
        out
    }

    fn value(&mut self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, self.value(v))).collect()),
            other => other,
        }
    }
}

#[test]
fn numbering_lines_up_two_runs_that_agree_on_which_value_is_which() {
    let (a, b) = ("8f2d0a6e-3b1c-4f4e-9d7a-2c5b6e1f0a9d", "0b8e7c1a-2d3f-4a5b-8c6d-7e8f9a0b1c2d");
    let mut one = Numbering::default();
    let mut two = Numbering::default();
    let first = serde_json::json!({ "id": a, "at": "2026-12-01T21:56:55.951Z", "instance": format!("/x/{a}") });
    let second = serde_json::json!({ "id": b, "at": "2027-01-01T00:00:00.000Z", "instance": format!("/x/{b}") });
    assert_eq!(one.value(first), two.value(second));
    assert_eq!(one.text(&format!("/x/{b}")), "/x/<uuid 1>");
    assert!(
        matches(&serde_json::json!({ "id": "<uuid>", "n": 1 }), &serde_json::json!({ "id": a, "n": 1.0, "m": 2 }), "b")
            .is_ok()
    );
    assert!(matches(&serde_json::json!({ "items": [] }), &serde_json::json!({ "items": [1] }), "b").is_err());
}

/// `value` with every string that is exactly `{name}` replaced by the value saved as `name`.
fn with_saved(value: Value, saved: &HashMap<String, String>) -> Value {
    match value {
        Value::String(text) => {
            match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).and_then(|n| saved.get(n)) {
                Some(v) => Value::String(v.clone()),
                None => Value::String(text),
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| with_saved(v, saved)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, with_saved(v, saved))).collect()),
        other => other,
    }
}

/// The names of the `{name}` strings in a JSON body.
fn saved_names(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => {
            text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).map(|n| vec![n.to_owned()]).unwrap_or_default()
        }
        Value::Array(items) => items.iter().flat_map(saved_names).collect(),
        Value::Object(map) => map.values().flat_map(saved_names).collect(),
        _ => Vec::new(),
    }
}
