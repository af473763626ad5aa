//! The OpenAPI 3.1 description of the project's API, kept in the repository as a base document
//! (`openapi.json`: info, servers, tags, shared components) and one fragment per resource
//! (`openapi/<resource>.json`: its paths and schemas). The service merges them at start-up and
//! serves the whole document at `/openapi.json`. Fragments keep `add resource` independent of
//! how many resources exist: adding one writes one fragment and never rewrites the others.
//!
//! The document is the exact contract clients are generated from: every operation lists every
//! status the service can answer it with (its own, and those the project's middleware and
//! storage add), its security, and bounds equal to the ones the service enforces. The base
//! document holds only the components some operation refers to.

use crate::cli::Database;
use crate::model::project::ProjectSpec;
use crate::model::resource::ResourceContext;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub const FILE: &str = "openapi.json";

/// Where a resource's fragment lives.
pub fn fragment_path(plural_kebab: &str) -> String {
    format!("openapi/{plural_kebab}.json")
}

/// Most items a list request may ask for; the generated services enforce the same bound.
pub const MAX_LIMIT: u32 = 100;
/// Largest `offset`: the largest integer JavaScript represents exactly (`Number.MAX_SAFE_INTEGER`),
/// which the generated services enforce.
pub const MAX_OFFSET: u64 = 9_007_199_254_740_991;

/// What the project around the resources adds to every operation of the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Api {
    /// `api-key`: every request under /api needs `X-API-Key` (401 without).
    pub api_key: bool,
    /// `rate-limit`: any request may be refused with 429.
    pub rate_limit: bool,
    /// `request-timeout` or PostgreSQL: a request may end in 503 (a deadline or a database
    /// statement timeout), which the client may retry.
    pub unavailable: bool,
}

impl Api {
    pub fn of(spec: &ProjectSpec) -> Self {
        let has = |kind: &str| spec.middleware.iter().any(|m| m == kind);
        Self {
            api_key: has("api-key"),
            rate_limit: has("rate-limit"),
            unavailable: has("request-timeout") || spec.choices.database == Database::Postgres,
        }
    }
}

/// The shared responses, by status: component name and description.
const RESPONSES: &[(u16, &str, &str)] = &[
    (400, "BadRequest", "The request is malformed or invalid; `errors` lists each invalid field."),
    (401, "Unauthorized", "The credentials are missing or invalid."),
    (403, "Forbidden", "The credentials are valid but lack the role this operation needs."),
    (404, "NotFound", "No item has this id."),
    (
        409,
        "Conflict",
        "The request conflicts with what is stored: a value that must be unique is already taken, or other items still refer to this one.",
    ),
    (413, "PayloadTooLarge", "The body is larger than the service accepts (BODY_LIMIT)."),
    (415, "UnsupportedMediaType", "The body's charset or content encoding is not supported."),
    (422, "UnprocessableContent", "A field refers to an item that does not exist; `errors` names the field."),
    (429, "TooManyRequests", "Too many requests from this client; retry after the time in `Retry-After`."),
    (
        503,
        "ServiceUnavailable",
        "The request could not be completed now (a deadline passed, or a dependency such as the database or the token issuer's keys is unavailable); it may be retried.",
    ),
];

pub(super) fn response_ref(status: u16) -> Value {
    let (_, name, _) = RESPONSES.iter().find(|(s, _, _)| *s == status).expect("a shared response");
    json!({ "$ref": format!("#/components/responses/{name}") })
}

pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema_ref(schema) } } })
}

pub(super) fn ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema_ref(schema) } } })
}

pub(super) fn pretty(v: &Value) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    Ok(text)
}

/// The base document: everything but the resources' paths and schemas.
pub fn base_document(spec: &ProjectSpec) -> anyhow::Result<String> {
    let api = Api::of(spec);
    let mut tags = Vec::new();
    let mut refs = BTreeSet::new();
    // Which shared components a fragment refers to depends only on whether the resource has a
    // unique field, is protected, has references (422) and is referred to (409): one fragment of
    // each shape is enough (a project with 200 resources would otherwise build 200 fragments for
    // each plan of a change).
    let mut shapes = BTreeSet::new();
    for r in &spec.resources {
        let referenced = crate::model::relation::references_to(&r.name.name, &spec.resources).next().is_some();
        if shapes.insert((
            r.fields.iter().any(|f| f.unique),
            r.protected,
            r.fields.iter().any(|f| f.reference().is_some()),
            referenced,
        )) {
            let context = ResourceContext::new(&r.name, &r.fields, r.protected)
                .related(&spec.resources)
                .served_in(spec.api_version(&r.api));
            collect_refs(&fragment_value(&context, api)?, &mut refs);
        }
        tags.push(json!({ "name": r.name.plural_words, "description": format!("The {} of the service.", r.name.plural_words) }));
    }
    let auth_service = spec.choices.preset == crate::cli::Preset::AuthService;
    if auth_service {
        collect_refs(&super::openapi_auth::fragment_value(api), &mut refs);
        tags.push(json!({ "name": super::openapi_auth::TAG, "description": "Accounts and their tokens." }));
    }
    let used = |kind: &str, name: &str| refs.contains(&format!("#/components/{kind}/{name}"));

    let mut responses = Map::new();
    for (status, name, description) in RESPONSES.iter().filter(|(_, name, _)| used("responses", name)) {
        let mut response = json!({ "description": description, "content": { "application/problem+json": { "schema": schema_ref("Problem") } } });
        match status {
            401 => {
                response["headers"] = json!({ "WWW-Authenticate": { "description": "The authentication scheme a Bearer token needs, when that is what is missing.", "schema": { "type": "string" } } })
            }
            429 => {
                response["headers"] = json!({ "Retry-After": { "description": "Seconds until the client may send again.", "schema": { "type": "integer", "minimum": 0 } } })
            }
            _ => {}
        }
        responses.insert((*name).into(), response);
    }
    let mut schemas = Map::new();
    if !responses.is_empty() {
        schemas.insert(
            "Problem".into(),
            json!({
                "type": "object",
                "description": "An RFC 9457 problem detail.",
                "properties": {
                    "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                    "detail": { "type": "string" }, "instance": { "type": "string" }, "code": { "type": "string" },
                    "requestId": { "type": "string" }, "errors": { "type": "array", "items": { "type": "object" } }
                },
                "required": ["type", "title", "status", "code"]
            }),
        );
    }
    let all_parameters = json!({
        "limit": { "name": "limit", "in": "query", "description": "How many items to return.", "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20 } },
        "offset": { "name": "offset", "in": "query", "description": "How many items to skip, in creation order.", "schema": { "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0 } },
        "id": { "name": "id", "in": "path", "required": true, "description": "The item's id.", "schema": { "type": "string", "format": "uuid" } }
    });
    let parameters: Map<String, Value> = all_parameters
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| used("parameters", name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut security_schemes = Map::new();
    if api.api_key {
        security_schemes.insert("apiKey".into(), json!({ "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "One of the keys in the service's API_KEYS secret." }));
    }
    if auth_service {
        security_schemes.insert("bearerAuth".into(), json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token from /v1/auth/login or /v1/auth/refresh: a JWT signed with EdDSA or ES256, whose key /.well-known/jwks.json publishes by its kid." }));
    } else if spec.resources.iter().any(|r| r.protected) {
        security_schemes.insert("bearerAuth".into(), json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A JWT with `exp`, signed with JWT_SECRET (HS256) or by a key of the JWKS at JWT_JWKS_URL; writes need the role in JWT_WRITE_ROLE in its `roles` claim." }));
    }

    let mut components = Map::new();
    for (key, map) in [
        ("schemas", schemas),
        ("parameters", parameters),
        ("responses", responses),
        ("securitySchemes", security_schemes),
    ] {
        if !map.is_empty() || key == "schemas" {
            components.insert(key.into(), Value::Object(map));
        }
    }
    // Operations without their own `security` need what is declared here: the API key, or nothing.
    let security = if api.api_key { json!([{ "apiKey": [] }]) } else { json!([]) };
    let versions = spec
        .api_versions
        .iter()
        .map(|v| match (&v.deprecated, &v.sunset) {
            (Some(since), Some(sunset)) => format!("{}, deprecated since {since}, sunset {sunset}", v.name),
            (Some(since), None) => format!("{}, deprecated since {since}", v.name),
            _ => v.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": spec.name.as_str(), "version": "0.1.0", "description": format!("The {} API. The paths and schemas of each resource are in openapi/<resource>.json; the service serves the merged document at /openapi.json.", spec.name) },
        "servers": [{ "url": "/api", "description": format!("This service's API; each path starts with its version ({}).", versions) }],
        "security": security,
        "tags": tags,
        "paths": {},
        "components": components
    });
    pretty(&doc)
}

fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                refs.insert(target.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// One resource's fragment: `{ "paths": …, "components": { "schemas": … } }`, whose references
/// point into the merged document.
pub fn fragment(r: &ResourceContext, api: Api) -> anyhow::Result<String> {
    pretty(&fragment_value(r, api)?)
}

/// What an operation does, for [`operation`].
struct Op<'a> {
    id: String,
    /// Behind authentication: the resource's operations when it is protected, and a nested
    /// list also when the resource it hangs from is.
    protected: bool,
    summary: String,
    description: String,
    /// Changes data: behind the writer role when the resource is protected.
    write: bool,
    /// Its query parameters.
    parameters: Option<Value>,
    /// Takes a JSON body of this schema.
    body: Option<&'a str>,
    /// Its success response: status and response object.
    success: (&'static str, Value),
    /// The statuses it answers with on its own, besides those of the project around it.
    errors: &'a [u16],
}

/// The query parameters of a list: the page, a filter per filterable field (ranges on ordered
/// ones), and `sort`, each with the schema its value is checked against.
fn list_parameters(r: &ResourceContext) -> Value {
    let mut out =
        vec![json!({ "$ref": "#/components/parameters/limit" }), json!({ "$ref": "#/components/parameters/offset" })];
    let timestamp: Value = serde_json::from_str(&r.timestamp_schema_json).unwrap_or_default();
    let mut filters: Vec<(&str, Value, bool)> = Vec::new();
    for f in &r.fields {
        if let Some(schema) = &f.filter_schema_json {
            filters.push((f.name.as_str(), serde_json::from_str(schema).unwrap_or_default(), f.ranges));
        }
    }
    filters.push(("createdAt", timestamp.clone(), true));
    filters.push(("updatedAt", timestamp, true));
    for (name, schema, ranges) in &filters {
        out.push(json!({ "name": name, "in": "query", "description": format!("Only items whose `{name}` equals this."), "schema": schema }));
        if *ranges {
            for (op, words) in [("gt", "greater than"), ("gte", "at least"), ("lt", "less than"), ("lte", "at most")] {
                out.push(json!({ "name": format!("{name}[{op}]"), "in": "query", "description": format!("Only items whose `{name}` is {words} this."), "schema": schema }));
            }
        }
    }
    let names: Vec<&str> = filters.iter().map(|(n, _, _)| *n).collect();
    let key = format!("-?({})", names.join("|"));
    out.push(json!({
        "name": "sort",
        "in": "query",
        "description": format!("Up to 3 fields to order by, comma-separated, each with `-` for descending; ties go by id. One of: {}.", names.join(", ")),
        "schema": { "type": "string", "pattern": format!("^{key}(,{key}){{0,2}}$") }
    }));
    Value::Array(out)
}

/// The statuses any operation of the API may answer besides its own `errors`: what its body, its
/// authentication and the project around it bring.
pub(super) fn statuses(api: Api, errors: &[u16], body: bool, protected: bool) -> BTreeSet<u16> {
    let mut statuses: BTreeSet<u16> = errors.iter().copied().collect();
    statuses.insert(400); // any request can be malformed (a body that is not JSON, a bad query)
    if body {
        statuses.extend([413, 415]);
    }
    if api.api_key || protected {
        statuses.insert(401);
    }
    if api.rate_limit {
        statuses.insert(429);
    }
    // A protected operation fetches the issuer's keys when JWT_JWKS_URL is set: 503 while they cannot be.
    if api.unavailable || protected {
        statuses.insert(503);
    }
    statuses
}

/// The responses object: the success, then each status's shared response.
pub(super) fn responses(success: (&str, Value), statuses: BTreeSet<u16>) -> Value {
    let mut responses = Map::new();
    responses.insert(success.0.into(), success.1);
    for status in statuses {
        responses.insert(status.to_string(), response_ref(status));
    }
    Value::Object(responses)
}

/// The `security` of an operation behind a Bearer token: one requirement of both schemes when the
/// API key applies too.
pub(super) fn bearer_security(api: Api) -> Value {
    let requirement = if api.api_key { json!({ "apiKey": [], "bearerAuth": [] }) } else { json!({ "bearerAuth": [] }) };
    json!([requirement])
}

fn operation(r: &ResourceContext, api: Api, unique: bool, op: Op) -> Value {
    let mut statuses = statuses(api, op.errors, op.body.is_some(), op.protected);
    if op.body.is_some() && unique {
        statuses.insert(409);
    }
    if op.protected && op.write {
        statuses.insert(403);
    }
    let mut description = op.description;
    if op.protected {
        description.push_str(if op.write {
            " Needs a Bearer token whose `roles` claim holds the writer role (JWT_WRITE_ROLE)."
        } else {
            " Needs a Bearer token."
        });
    }
    if api.api_key {
        description.push_str(" Needs an API key in `X-API-Key`.");
    }
    if let Some(since) = &r.api_deprecated {
        description.push_str(&format!(" Deprecated with API version {} since {since}", r.api));
        if let Some(sunset) = &r.api_sunset {
            description.push_str(&format!("; it may stop answering after {sunset} (the `Sunset` header)"));
        }
        description.push('.');
    }
    let mut value = json!({
        "operationId": op.id,
        "tags": [r.names.plural_words],
        "summary": op.summary,
        "description": description,
    });
    if r.api_deprecated.is_some() {
        value["deprecated"] = json!(true);
    }
    if let Some(parameters) = op.parameters {
        value["parameters"] = parameters;
    }
    if let Some(schema) = op.body {
        value["requestBody"] = body(schema);
    }
    value["responses"] = responses(op.success, statuses);
    if op.protected {
        value["security"] = bearer_security(api);
    }
    value
}

fn fragment_value(r: &ResourceContext, api: Api) -> anyhow::Result<Value> {
    let n = &r.names;
    let mut props = Map::new();
    props.insert("id".into(), json!({ "type": "string", "format": "uuid", "readOnly": true }));
    let mut input = Map::new();
    let mut patch = Map::new();
    let mut required = Vec::new();
    for f in &r.fields {
        // The validator's own property schema: the document says exactly what is enforced.
        let schema: Value = serde_json::from_str(&f.schema_json)?;
        input.insert(f.name.clone(), schema.clone());
        // A partial update applies no defaults: a field left out keeps its value.
        let mut partial = schema.clone();
        partial.as_object_mut().map(|o| o.remove("default"));
        patch.insert(f.name.clone(), partial);
        props.insert(f.name.clone(), schema);
        if f.required {
            required.push(f.name.clone());
        }
    }
    props.insert("createdAt".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
    props.insert("updatedAt".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
    let all: Vec<&String> = props.keys().collect();
    let item = n.singular_pascal.as_str();
    let mut schemas = Map::new();
    schemas.insert(item.into(), json!({ "type": "object", "description": format!("{} as the service stores it.", capitalise(&n.a_singular)), "properties": props, "required": all }));
    schemas.insert(
        format!("{item}Input"),
        json!({ "type": "object", "description": format!("The fields of {}, to create or replace it.", n.a_singular), "properties": input, "required": required, "additionalProperties": false }),
    );
    schemas.insert(
        format!("{item}Patch"),
        json!({ "type": "object", "description": format!("Some fields of {}, to change only them.", n.a_singular), "properties": patch, "minProperties": 1, "additionalProperties": false }),
    );
    schemas.insert(
        format!("{item}Page"),
        json!({
            "type": "object",
            "description": format!("A page of {}, with the total count.", n.plural_words),
            "properties": {
                "items": { "type": "array", "items": schema_ref(item) },
                "total": { "type": "integer", "minimum": 0 },
                "limit": { "type": "integer" },
                "offset": { "type": "integer" }
            },
            "required": ["items", "total", "limit", "offset"]
        }),
    );

    let unique = r.fields.iter().any(|f| f.unique);
    let (a, plural) = (n.a_singular.as_str(), n.plural_words.as_str());
    // A write of a resource with references can name an item that does not exist (422); a delete
    // of an item others refer to can be refused (409) by a restricting reference.
    let write_errors: &[u16] = if r.has_references { &[422] } else { &[] };
    let by_id_write_errors: &[u16] = if r.has_references { &[404, 422] } else { &[404] };
    let delete_errors: &[u16] = if r.referenced_by.is_empty() { &[404] } else { &[404, 409] };
    let list = operation(
        r,
        api,
        unique,
        Op {
            id: format!("list{}", n.plural_pascal),
            protected: r.protected,
            summary: format!("List {plural}"),
            description: format!(
                "Returns {plural} in creation order (or as `sort` says), `limit` at a time from `offset`, with the total count of those that match the filters. A filter `field=value` keeps the items whose field equals the value, and on numbers, decimals, dates and timestamps `field[gt]`, `[gte]`, `[lt]` and `[lte]` keep a range; null never matches. `sort` lists fields, each with `-` for descending, nulls last, strings by code point. Any other parameter is a 400."
            ),
            write: false,
            parameters: Some(list_parameters(r)),
            body: None,
            success: ("200", ok(&format!("A page of {plural}"), &format!("{item}Page"))),
            errors: &[],
        },
    );
    let created = json!({
        "description": "Created",
        "headers": { "Location": { "description": "URL of the new item", "schema": { "type": "string" } } },
        "content": { "application/json": { "schema": schema_ref(item) } }
    });
    let create = operation(
        r,
        api,
        unique,
        Op {
            id: format!("create{item}"),
            protected: r.protected,
            summary: format!("Create {a}"),
            description: format!(
                "Stores a new {} from the fields given; the service assigns its id and timestamps.",
                n.singular_words
            ),
            write: true,
            parameters: None,
            body: Some(&format!("{item}Input")),
            success: ("201", created),
            errors: write_errors,
        },
    );
    let mut paths = Map::new();
    let v = &r.api;
    paths.insert(format!("/{v}/{}", n.plural_kebab), json!({ "get": list, "post": create }));

    let by_id =
        |id: String, summary: String, description: String, write, body: Option<&str>, success, errors: &[u16]| {
            operation(
                r,
                api,
                unique,
                Op { id, protected: r.protected, summary, description, write, parameters: None, body, success, errors },
            )
        };
    paths.insert(
        format!("/{v}/{}/{{id}}", n.plural_kebab),
        json!({
            "parameters": [{ "$ref": "#/components/parameters/id" }],
            "get": by_id(format!("get{item}"), format!("Get {a}"), format!("Returns the {} with this id.", n.singular_words), false, None, ("200", ok("Found", item)), &[404]),
            "put": by_id(format!("replace{item}"), format!("Replace {a}"), "Replaces every field: a field left out takes its default, or null when it is optional.".into(), true, Some(&format!("{item}Input")), ("200", ok("Replaced", item)), by_id_write_errors),
            "patch": by_id(format!("update{item}"), format!("Update some fields of {a}"), "Changes only the fields given; the others keep their values.".into(), true, Some(&format!("{item}Patch")), ("200", ok("Updated", item)), by_id_write_errors),
            "delete": by_id(format!("delete{item}"), format!("Delete {a}"), format!("Deletes the {} with this id.", n.singular_words), true, None, ("204", json!({ "description": "Deleted" })), delete_errors),
        }),
    );
    // Each reference's nested list, under the item it refers to: /customers/{customerId}/orders.
    for f in &r.fields {
        let Some(reference) = &f.reference else { continue };
        let target = &reference.target;
        let list = operation(
            r,
            api,
            unique,
            Op {
                id: format!("list{}{}", target.singular_pascal, reference.nested_pascal),
                protected: r.protected || reference.target_protected,
                summary: format!("List the {} of {}", reference.nested_words, target.a_singular),
                description: format!(
                    "Returns the {plural} whose `{}` is this {}, with the same filters, sort and paging as the list of {plural}; 404 when no {} has this id.",
                    f.name, target.singular_words, target.singular_words
                ),
                write: false,
                parameters: Some(list_parameters(r)),
                body: None,
                success: ("200", ok(&format!("A page of {plural}"), &format!("{item}Page"))),
                errors: &[404],
            },
        );
        paths.insert(
            format!("/{v}/{}/{{{}}}/{}", target.plural_kebab, f.name, reference.nested),
            json!({
                "parameters": [{ "name": f.name, "in": "path", "required": true, "description": format!("The {}'s id.", target.singular_words), "schema": { "type": "string", "format": "uuid" } }],
                "get": list,
            }),
        );
    }
    Ok(json!({ "paths": paths, "components": { "schemas": schemas } }))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
