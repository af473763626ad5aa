//! The config schema: `config.schema.json`, one JSON Schema document describing every environment
//! variable of a generated service. espresso writes it from the bundles' `[[env]]` entries, and
//! renders every derived file (`.env.example`, ConfigMap, Secret, compose environment, README
//! table) from the document itself, so a hand-edited schema is the source for later renders.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// JSON types an environment variable can be coerced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    String,
    Integer,
    Number,
    Boolean,
}

/// One variable as a bundle manifest declares it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: VarType,
    pub description: String,
    pub default: Option<Value>,
    #[serde(rename = "enum")]
    pub choices: Option<Vec<Value>>,
    pub minimum: Option<Value>,
    pub maximum: Option<Value>,
    /// Shortest accepted string (JSON Schema `minLength`): a key too short to be safe is refused at start-up.
    pub min_length: Option<u64>,
    pub format: Option<String>,
    /// A value for development (`.env.example`, compose); never used for secrets in deployments.
    pub example: Option<String>,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub required_in_production: bool,
    /// Variables any one of which, when set, stands in for this one where it is required in
    /// production (JSON Schema `x-alternatives`): JWT_SECRET is not needed once JWT_JWKS_URL is set.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// The upstream service whose base URL this is (`x-upstream`, an API gateway's `<NAME>_URL`):
    /// deployment files point it at that service's DNS name.
    #[serde(default)]
    pub upstream: Option<String>,
}

impl EnvVar {
    /// A variable declared with `espresso config add`, checked.
    pub fn from_flags(args: &crate::cli::ConfigAddArgs) -> anyhow::Result<EnvVar> {
        use crate::cli::ConfigType;
        use crate::error::usage;
        let name = &args.name;
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return usage(
                format!("`{name}` is not an environment variable name espresso accepts"),
                format!(
                    "use upper-case letters, digits and underscores, starting with a letter: `{}`",
                    heck::ToShoutySnakeCase::to_shouty_snake_case(name.as_str())
                ),
            );
        }
        let kind = match args.kind {
            ConfigType::String => VarType::String,
            ConfigType::Integer => VarType::Integer,
            ConfigType::Number => VarType::Number,
            ConfigType::Boolean => VarType::Boolean,
        };
        let default = match &args.default {
            None => None,
            Some(_) if args.secret => {
                return usage(
                    format!("secret `{name}` cannot have a default"),
                    "a default would be committed with the code; leave `--default` out and set the value per environment",
                );
            }
            Some(text) => Some(typed_default(name, kind, text)?),
        };
        Ok(EnvVar {
            name: name.clone(),
            kind,
            description: args
                .description
                .clone()
                .unwrap_or_else(|| format!("{name} (declared with `espresso config add`).")),
            default,
            choices: None,
            minimum: None,
            maximum: None,
            min_length: None,
            format: None,
            example: None,
            secret: args.secret,
            required_in_production: args.required_in_production,
            alternatives: Vec::new(),
            upstream: None,
        })
    }

    /// The JSON Schema property, keys in a fixed order.
    pub fn to_property(&self) -> Value {
        let mut p = Map::new();
        p.insert("type".into(), json!(self.kind));
        p.insert("description".into(), json!(self.description));
        if let Some(d) = &self.default {
            p.insert("default".into(), d.clone());
        }
        if let Some(c) = &self.choices {
            p.insert("enum".into(), json!(c));
        }
        if let Some(v) = &self.minimum {
            p.insert("minimum".into(), v.clone());
        }
        if let Some(v) = &self.maximum {
            p.insert("maximum".into(), v.clone());
        }
        if let Some(n) = self.min_length {
            p.insert("minLength".into(), json!(n));
        }
        if let Some(f) = &self.format {
            p.insert("format".into(), json!(f));
        }
        if let Some(e) = &self.example {
            p.insert("examples".into(), json!([e]));
        }
        if self.secret {
            p.insert("x-secret".into(), json!(true));
        }
        if self.required_in_production {
            p.insert("x-required-in-production".into(), json!(true));
        }
        if !self.alternatives.is_empty() {
            p.insert("x-alternatives".into(), json!(self.alternatives));
        }
        if let Some(service) = &self.upstream {
            p.insert("x-upstream".into(), json!(service));
        }
        Value::Object(p)
    }
}

/// `--default` text as a JSON value of the variable's type.
fn typed_default(name: &str, kind: VarType, text: &str) -> anyhow::Result<Value> {
    let value = match kind {
        VarType::String => Some(json!(text)),
        VarType::Integer => text.parse::<i64>().ok().map(|v| json!(v)),
        VarType::Number => text.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| json!(v)),
        VarType::Boolean => match text {
            "true" => Some(json!(true)),
            "false" => Some(json!(false)),
            _ => None,
        },
    };
    match value {
        Some(v) => Ok(v),
        None => crate::error::usage(
            format!(
                "default `{text}` of `{name}` is not a {}",
                serde_json::to_value(kind)?.as_str().unwrap_or("value")
            ),
            "give a default of the variable's `--type`, or change the type",
        ),
    }
}

/// Writes the schema document for a project from its bundles' variables (in bundle order).
pub fn schema_document(project: &str, vars: &[&EnvVar]) -> anyhow::Result<String> {
    let mut props = Map::new();
    for v in vars {
        if props.insert(v.name.clone(), v.to_property()).is_some() {
            bail!("environment variable `{}` is declared by two bundles", v.name);
        }
    }
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{project} configuration"),
        "description": "Every environment variable the service reads. The service validates process.env against this document at start-up; espresso renders .env.example, the Kubernetes ConfigMap and Secret, the compose environment and the README's configuration table from it. x-secret marks values that must never be committed; x-required-in-production marks values that must be set when NODE_ENV is production.",
        "type": "object",
        "properties": props,
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

/// A variable as templates see it, read back from the schema document.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigVar {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// The default as the text an environment variable would hold, if there is one.
    pub default: Option<String>,
    /// A development value: the default, else the first example, else empty.
    pub dev_value: String,
    pub secret: bool,
    pub required_in_production: bool,
    /// Variables that, set, stand in for this one in production (`x-alternatives`).
    pub alternatives: Vec<String>,
    /// Whether another variable names this one among its alternatives: optional, but one of a
    /// required pair.
    pub stands_in: bool,
    /// The upstream service whose base URL this is (`x-upstream`).
    pub upstream: Option<String>,
}

/// Reads the variables of a schema document (the one espresso wrote, or one the user edited).
pub fn read_schema(text: &str) -> anyhow::Result<Vec<ConfigVar>> {
    let doc: Value = serde_json::from_str(text).context("config.schema.json is not valid JSON")?;
    let props =
        doc.get("properties").and_then(Value::as_object).context("config.schema.json has no `properties` object")?;
    let alternatives = |p: &Value| -> Vec<String> {
        let names = p.get("x-alternatives").and_then(Value::as_array);
        names.into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let standing_in: Vec<String> = props.values().flat_map(alternatives).collect();
    let mut out = Vec::with_capacity(props.len());
    for (name, p) in props {
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("string").to_owned();
        let default = p.get("default").map(env_text);
        let example = p.get("examples").and_then(Value::as_array).and_then(|a| a.first()).map(env_text);
        let flag = |k: &str| p.get(k).and_then(Value::as_bool).unwrap_or(false);
        out.push(ConfigVar {
            name: name.clone(),
            kind,
            description: p.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
            dev_value: default.clone().or(example).unwrap_or_default(),
            default,
            secret: flag("x-secret"),
            required_in_production: flag("x-required-in-production"),
            alternatives: alternatives(p),
            stands_in: standing_in.contains(name),
            upstream: p.get("x-upstream").and_then(Value::as_str).map(str::to_owned),
        });
    }
    Ok(out)
}

/// How a JSON value is spelled in an environment variable.
fn env_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(toml_src: &str) -> EnvVar {
        toml::from_str(toml_src).unwrap()
    }

    #[test]
    fn document_round_trips_into_template_variables() {
        let port =
            var("name = 'PORT'\ntype = 'integer'\ndescription = 'port'\ndefault = 3000\nminimum = 1\nmaximum = 65535");
        let db = var(
            "name = 'DATABASE_URL'\ntype = 'string'\ndescription = 'db'\nformat = 'uri'\nexample = 'postgres://localhost/x'\nsecret = true\nrequired_in_production = true",
        );
        let text = schema_document("orders", &[&port, &db]).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["properties"]["PORT"]["default"], json!(3000));
        assert_eq!(doc["properties"]["DATABASE_URL"]["x-secret"], json!(true));
        let vars = read_schema(&text).unwrap();
        assert_eq!(vars.len(), 2);
        assert_eq!(vars[0].name, "PORT");
        assert_eq!(vars[0].dev_value, "3000");
        assert_eq!(vars[1].default, None);
        assert_eq!(vars[1].dev_value, "postgres://localhost/x");
        assert!(vars[1].secret && vars[1].required_in_production);
        assert!(vars[1].alternatives.is_empty() && !vars[1].stands_in);
    }

    #[test]
    fn alternatives_round_trip_and_mark_the_variable_they_name() {
        let secret = var(
            "name = 'JWT_SECRET'\ntype = 'string'\ndescription = 's'\nsecret = true\nrequired_in_production = true\nalternatives = ['JWT_JWKS_URL']",
        );
        let url = var("name = 'JWT_JWKS_URL'\ntype = 'string'\ndescription = 'u'");
        let text = schema_document("orders", &[&secret, &url]).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["properties"]["JWT_SECRET"]["x-alternatives"], json!(["JWT_JWKS_URL"]));
        assert!(doc["properties"]["JWT_JWKS_URL"].get("x-alternatives").is_none());
        let vars = read_schema(&text).unwrap();
        assert_eq!((vars[0].alternatives.as_slice(), vars[0].stands_in), (&["JWT_JWKS_URL".to_owned()][..], false));
        assert!(vars[1].alternatives.is_empty() && vars[1].stands_in);
    }

    #[test]
    fn a_variable_declared_twice_is_an_error() {
        let a = var("name = 'PORT'\ntype = 'integer'\ndescription = 'a'");
        let err = schema_document("x", &[&a, &a]).unwrap_err();
        assert!(err.to_string().contains("`PORT`"));
    }

    #[test]
    fn manifests_reject_unknown_keys() {
        let err =
            toml::from_str::<EnvVar>("name = 'A'\ntype = 'string'\ndescription = 'a'\nsecrit = true").unwrap_err();
        assert!(err.to_string().contains("secrit"));
    }
}
