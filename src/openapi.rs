//! `openapi.json`: the OpenAPI 3.1 description of the project's API, written from its resources
//! and served by the service at `/openapi.json`.

use crate::project::ProjectSpec;
use crate::resource::ResourceContext;
use serde_json::{Map, Value, json};

pub const FILE: &str = "openapi.json";

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

pub fn document(spec: &ProjectSpec, resources: &[ResourceContext]) -> anyhow::Result<String> {
    let mut paths = Map::new();
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
    for r in resources {
        let n = &r.names;
        let mut props = Map::new();
        props.insert("id".into(), json!({ "type": "string", "format": "uuid", "readOnly": true }));
        let mut input = Map::new();
        let mut required = Vec::new();
        for f in &r.fields {
            let mut schema: Value = serde_json::from_str(&f.schema_json)?;
            if f.optional {
                schema = json!({ "oneOf": [schema, { "type": "null" }] });
            }
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
                    "responses": { "200": ok(&format!("A page of {}", n.plural_words), &format!("{item}Page")), "400": problem("Invalid paging parameters") }
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
                        "400": problem("Invalid input"), "409": problem("A unique value is already taken")
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
                    "responses": { "200": ok("Found", item), "404": problem("Not found") }
                },
                "put": {
                    "operationId": format!("replace{item}"), "tags": [tag], "summary": format!("Replace {}", n.a_singular),
                    "requestBody": body(&format!("{item}Input")),
                    "responses": { "200": ok("Replaced", item), "400": problem("Invalid input"), "404": problem("Not found"), "409": problem("A unique value is already taken") }
                },
                "patch": {
                    "operationId": format!("update{item}"), "tags": [tag], "summary": format!("Update some fields of {}", n.a_singular),
                    "requestBody": body(&format!("{item}Patch")),
                    "responses": { "200": ok("Updated", item), "400": problem("Invalid input"), "404": problem("Not found"), "409": problem("A unique value is already taken") }
                },
                "delete": {
                    "operationId": format!("delete{item}"), "tags": [tag], "summary": format!("Delete {}", n.a_singular),
                    "responses": { "204": { "description": "Deleted" }, "404": problem("Not found") }
                }
            }),
        );
    }
    let doc = json!({
        "openapi": "3.1.0",
        "info": { "title": spec.name.as_str(), "version": "0.1.0", "description": format!("The {} API. Generated by espresso from espresso.toml; `espresso add resource` and `remove resource` keep it current.", spec.name) },
        "servers": [{ "url": "/api/v1" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "limit": { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20 } },
                "offset": { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } },
                "id": { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}
