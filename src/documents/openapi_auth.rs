//! The OpenAPI fragment of the auth-service preset: `/v1/auth/*`, the schemas of its bodies, and
//! the statuses each operation answers with, bounds equal to the ones the service enforces
//! (`src/controllers/auth.controller.*`).

use super::openapi::{Api, bearer_security, body, ok, pretty, responses, statuses};
use serde_json::{Map, Value, json};

/// Where the fragment lives in a project.
pub const FILE: &str = "openapi/auth.json";

/// Its tag, beside the resources' tags.
pub const TAG: &str = "authentication";

/// Password length bounds, in characters (PASSWORD_MIN_LENGTH and PASSWORD_MAX_LENGTH).
const PASSWORD_MIN: u32 = 12;
const PASSWORD_MAX: u32 = 128;
/// The longest e-mail address (RFC 5321) and refresh token the service accepts.
const EMAIL_MAX: u32 = 254;
const REFRESH_TOKEN_MAX: u32 = 512;

struct AuthOp {
    path: &'static str,
    method: &'static str,
    id: &'static str,
    summary: &'static str,
    description: &'static str,
    body: Option<&'static str>,
    success: (&'static str, Value),
    errors: &'static [u16],
    bearer: bool,
}

fn operations() -> Vec<AuthOp> {
    vec![
        AuthOp {
            path: "/v1/auth/register",
            method: "post",
            id: "register",
            summary: "Create an account",
            description: "Creates an account with the default roles (AUTH_DEFAULT_ROLES). The address is normalised (NFKC, trimmed, lower case); the password must be 12 to 128 characters and is stored only as a scrypt hash.",
            body: Some("AuthRegistration"),
            success: ("201", ok("The account.", "AuthUser")),
            errors: &[409],
            bearer: false,
        },
        AuthOp {
            path: "/v1/auth/login",
            method: "post",
            id: "login",
            summary: "Log in",
            description: "Exchanges an address and password for an access token and a refresh token. A wrong password and an unknown address get the same answer in about the same time; after AUTH_LOGIN_MAX_FAILURES failures for an account, or AUTH_LOGIN_CLIENT_MAX_FAILURES from one client, in AUTH_LOGIN_WINDOW_SECONDS, attempts get 429.",
            body: Some("AuthCredentials"),
            success: ("200", ok("The tokens.", "AuthTokens")),
            errors: &[401, 429],
            bearer: false,
        },
        AuthOp {
            path: "/v1/auth/refresh",
            method: "post",
            id: "refresh",
            summary: "Refresh the tokens",
            description: "Exchanges a refresh token for new tokens; the one presented is used up. Presenting a refresh token that was already used revokes every token of its login (401 `refresh_token_reused`).",
            body: Some("AuthRefresh"),
            success: ("200", ok("New tokens.", "AuthTokens")),
            errors: &[401],
            bearer: false,
        },
        AuthOp {
            path: "/v1/auth/logout",
            method: "post",
            id: "logout",
            summary: "Log out",
            description: "Revokes the refresh token and every token of its login. Answers 204 for a token that is unknown or already revoked too.",
            body: Some("AuthRefresh"),
            success: ("204", json!({ "description": "Logged out." })),
            errors: &[],
            bearer: false,
        },
        AuthOp {
            path: "/v1/auth/me",
            method: "get",
            id: "me",
            summary: "The caller's account",
            description: "The account the Bearer access token names.",
            body: None,
            success: ("200", ok("The account.", "AuthUser")),
            errors: &[401],
            bearer: true,
        },
    ]
}

/// The fragment: paths and schemas, merged into openapi.json by the service as a resource's are.
pub fn fragment(api: Api) -> anyhow::Result<String> {
    pretty(&fragment_value(api))
}

pub fn fragment_value(api: Api) -> Value {
    let mut paths = Map::new();
    for op in operations() {
        // The accounts are in PostgreSQL (the preset needs it), so `api.unavailable` brings 503.
        let statuses = statuses(api, op.errors, op.body.is_some(), op.bearer);
        let mut description = op.description.to_owned();
        if api.api_key {
            description.push_str(" Needs an API key in `X-API-Key`.");
        }
        let mut value = json!({
            "operationId": op.id,
            "tags": [TAG],
            "summary": op.summary,
            "description": description,
        });
        if let Some(schema) = op.body {
            value["requestBody"] = body(schema);
        }
        value["responses"] = responses(op.success, statuses);
        if op.bearer {
            value["security"] = bearer_security(api);
        }
        paths.insert(op.path.into(), json!({ op.method: value }));
    }
    let email = json!({ "type": "string", "format": "email", "maxLength": EMAIL_MAX, "description": "An e-mail address; compared normalised (NFKC, trimmed, lower case)." });
    let schemas = json!({
        "AuthRegistration": {
            "type": "object", "additionalProperties": false, "required": ["email", "password"],
            "properties": { "email": email, "password": { "type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX, "writeOnly": true } }
        },
        "AuthCredentials": {
            "type": "object", "additionalProperties": false, "required": ["email", "password"],
            "properties": { "email": email, "password": { "type": "string", "minLength": 1, "maxLength": PASSWORD_MAX, "writeOnly": true } }
        },
        "AuthRefresh": {
            "type": "object", "additionalProperties": false, "required": ["refreshToken"],
            "properties": { "refreshToken": { "type": "string", "minLength": 1, "maxLength": REFRESH_TOKEN_MAX } }
        },
        "AuthTokens": {
            "type": "object", "required": ["accessToken", "refreshToken", "expiresIn"],
            "properties": {
                "accessToken": { "type": "string", "description": "A JWT signed with EdDSA or ES256; its key is in /.well-known/jwks.json by its kid." },
                "refreshToken": { "type": "string", "description": "Opaque; used once, by /v1/auth/refresh or /v1/auth/logout." },
                "expiresIn": { "type": "integer", "minimum": 1, "description": "Seconds until the access token expires." }
            }
        },
        "AuthUser": {
            "type": "object", "required": ["id", "email", "roles", "createdAt"],
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "email": { "type": "string", "format": "email" },
                "roles": { "type": "array", "items": { "type": "string" } },
                "createdAt": { "type": "string", "format": "date-time" }
            }
        }
    });
    json!({ "paths": paths, "components": { "schemas": schemas } })
}
