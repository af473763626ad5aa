//! The OpenAPI 3.1 description of the project's API, kept in the repository as a base document
//! (`openapi.json`: info, servers, shared components) and one fragment per resource
//! (`openapi/<resource>.json`: its paths and schemas). The service merges them at start-up and
//! serves the whole document at `/openapi.json`. Fragments keep `add resource` independent of
//! how many resources exist: adding one writes one fragment and never rewrites the others.

use crate::model::project::ProjectSpec;
use crate::model::resource::ResourceContext;
use serde_json::{Map, Value, json};

pub const FILE: &str = "openapi.json";

/// Where a resource's fragment lives.
pub fn fragment_path(plural_kebab: &str) -> String {
    format!("openapi/{plural_kebab}.json")
}

/// Most items a list request may ask for; the generated services enforce the same bound.
pub const MAX_LIMIT: u32 = 100;

fn problem(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn pretty(v: &Value) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    Ok(text)
}

/// The base document: everything but the resources' paths and schemas.
pub fn base_document(spec: &ProjectSpec) -> anyhow::Result<String> {
    let mut schemas = Map::new();
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
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": spec.name.as_str(), "version": "0.1.0", "description": format!("The {} API. The paths and schemas of each resource are in openapi/<resource>.json; the service serves the merged document at /openapi.json.", spec.name) },
        "servers": [{ "url": "/api/v1" }],
        "paths": {},
        "components": {
            "schemas": schemas,
            "parameters": {
                "limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20 } },
                "offset": { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } },
                "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }
            },
            "responses": {
                "BadRequest": problem("Invalid input"),
                "NotFound": problem("Not found"),
                "Conflict": problem("A unique value is already taken")
            }
        }
    });
    pretty(&doc)
}

/// One resource's fragment: `{ "paths": …, "components": { "schemas": … } }`, whose references
/// point into the merged document.
pub fn fragment(r: &ResourceContext) -> anyhow::Result<String> {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    {
        let n = &r.names;
        let mut props = Map::new();
        props.insert("id".into(), json!({ "type": "string", "format": "uuid", "readOnly": true }));
        let mut input = Map::new();
        let mut required = Vec::new();
        for f in &r.fields {
            // The validator's own property schema: the document says exactly what is enforced.
            let schema: Value = serde_json::from_str(&f.schema_json)?;
            input.insert(f.name.clone(), schema.clone());
            props.insert(f.name.clone(), schema);
            if f.required {
                required.push(f.name.clone());
            }
        }
        props.insert("createdAt".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
        props.insert("updatedAt".into(), json!({ "type": "string", "format": "date-time", "readOnly": true }));
        let all: Vec<&String> = props.keys().collect();
        schemas.insert(n.singular_pascal.clone(), json!({ "type": "object", "properties": props, "required": all }));
        schemas.insert(
            format!("{}Input", n.singular_pascal),
            json!({ "type": "object", "properties": input, "required": required, "additionalProperties": false }),
        );
        schemas.insert(
            format!("{}Patch", n.singular_pascal),
            json!({ "type": "object", "properties": input, "minProperties": 1, "additionalProperties": false }),
        );
        schemas.insert(
            format!("{}Page", n.singular_pascal),
            json!({
                "type": "object",
                "properties": {
                    "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{}", n.singular_pascal) } },
                    "total": { "type": "integer", "minimum": 0 },
                    "limit": { "type": "integer" },
                    "offset": { "type": "integer" }
                },
                "required": ["items", "total", "limit", "offset"]
            }),
        );
        let tag = n.plural_words.clone();
        let item = n.singular_pascal.as_str();
        paths.insert(
            format!("/{}", n.plural_kebab),
            json!({
                "get": {
                    "operationId": format!("list{}", n.plural_pascal), "tags": [tag], "summary": format!("List {}", n.plural_words),
                    "parameters": [{ "$ref": "#/components/parameters/limit" }, { "$ref": "#/components/parameters/offset" }],
                    "responses": { "200": ok(&format!("A page of {}", n.plural_words), &format!("{item}Page")), "400": { "$ref": "#/components/responses/BadRequest" } }
                },
                "post": {
                    "operationId": format!("create{item}"), "tags": [tag], "summary": format!("Create {}", n.a_singular),
                    "requestBody": body(&format!("{item}Input")),
                    "responses": {
                        "201": {
                            "description": "Created",
                            "headers": { "Location": { "description": "URL of the new resource", "schema": { "type": "string" } } },
                            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{item}") } } }
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" }, "409": { "$ref": "#/components/responses/Conflict" }
                    }
                }
            }),
        );
        paths.insert(
            format!("/{}/{{id}}", n.plural_kebab),
            json!({
                "parameters": [{ "$ref": "#/components/parameters/id" }],
                "get": {
                    "operationId": format!("get{item}"), "tags": [tag], "summary": format!("Get {}", n.a_singular),
                    "responses": { "200": ok("Found", item), "404": { "$ref": "#/components/responses/NotFound" } }
                },
                "put": {
                    "operationId": format!("replace{item}"), "tags": [tag], "summary": format!("Replace {}", n.a_singular),
                    "requestBody": body(&format!("{item}Input")),
                    "responses": { "200": ok("Replaced", item), "400": { "$ref": "#/components/responses/BadRequest" }, "404": { "$ref": "#/components/responses/NotFound" }, "409": { "$ref": "#/components/responses/Conflict" } }
                },
                "patch": {
                    "operationId": format!("update{item}"), "tags": [tag], "summary": format!("Update some fields of {}", n.a_singular),
                    "requestBody": body(&format!("{item}Patch")),
                    "responses": { "200": ok("Updated", item), "400": { "$ref": "#/components/responses/BadRequest" }, "404": { "$ref": "#/components/responses/NotFound" }, "409": { "$ref": "#/components/responses/Conflict" } }
                },
                "delete": {
                    "operationId": format!("delete{item}"), "tags": [tag], "summary": format!("Delete {}", n.a_singular),
                    "responses": { "204": { "description": "Deleted" }, "404": { "$ref": "#/components/responses/NotFound" } }
                }
            }),
        );
    }
    pretty(&json!({ "paths": paths, "components": { "schemas": schemas } }))
}
