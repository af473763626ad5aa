//! Resources (`espresso add resource <name> --field ...`): names through heck, with English
//! singular and plural forms, and typed fields that become JSON Schema, SQL and test values.

use crate::error::UsageError;
use heck::{ToKebabCase, ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;
use serde_json::{Value, json};

/// Resource names that would collide with the service's own files and routes.
const RESERVED: &[&str] = &["health", "metrics", "openapi", "index", "app", "live", "ready"];

/// Field names the service manages itself.
const MANAGED_FIELDS: &[&str] = &["id", "createdAt", "updatedAt"];

/// PostgreSQL key words that cannot name a column or table unless quoted: the categories R
/// (reserved) and T (reserved, can be a function or type) of `pg_get_keywords()` on PostgreSQL
/// 15, and `system_user`, reserved since 16. The end-to-end test compares the list with the
/// server it runs against.
pub const SQL_RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// PostgreSQL's limit on identifiers, in bytes; longer names are silently cut.
const MAX_IDENTIFIER: usize = 63;

/// `name` as it can stand in SQL: quoted when it is a reserved key word, as is otherwise (so
/// the SQL espresso wrote before for other names does not change).
pub fn sql_identifier(name: &str) -> String {
    if SQL_RESERVED.contains(&name) { format!("\"{name}\"") } else { name.to_owned() }
}

/// The plural of an English noun, for the usual regular forms.
pub fn pluralize(word: &str) -> String {
    let vowel = |c: char| "aeiou".contains(c);
    if word.ends_with('s') || word.ends_with('x') || word.ends_with('z') || word.ends_with("ch") || word.ends_with("sh")
    {
        format!("{word}es")
    } else if let Some(stem) = word.strip_suffix('y')
        && !stem.ends_with(vowel)
    {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

/// The singular of an English noun given in the plural (the inverse of [`pluralize`]); a word
/// that is not a regular plural is returned unchanged.
pub fn singularize(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "zes", "ches", "shes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_owned();
        }
    }
    match word.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.is_empty() => stem.to_owned(),
        _ => word.to_owned(),
    }
}

/// The validated forms of a resource name: `order-item` gives `OrderItem`, `orderItems`,
/// `/order-items` and `order_items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceName {
    /// Singular kebab case, as recorded in espresso.toml: `order-item`.
    pub name: String,
    pub singular_pascal: String,
    pub singular_camel: String,
    pub plural_pascal: String,
    pub plural_camel: String,
    pub plural_kebab: String,
    pub plural_snake: String,
    /// `order item`, for messages and descriptions.
    pub singular_words: String,
    /// `an order item`.
    pub a_singular: String,
    pub plural_words: String,
}

impl ResourceName {
    pub fn parse(raw: &str) -> Result<Self, UsageError> {
        let bad = |why: &str| {
            UsageError::new(format!("invalid resource name `{raw}`: {why}"))
                .hint("use a noun in lowercase letters and hyphens, for example `order-item`")
        };
        if raw.is_empty() || !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(bad("it must start with a lowercase letter"));
        }
        if let Some(c) = raw.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
            return Err(bad(&format!("`{c}` is not allowed")));
        }
        if raw.ends_with('-') || raw.contains("--") || raw.len() > 40 {
            return Err(bad("use single hyphens between words and at most 40 characters"));
        }
        let kebab = raw.to_kebab_case();
        let (head, last) = match kebab.rsplit_once('-') {
            Some((h, l)) => (format!("{h}-"), l.to_owned()),
            None => (String::new(), kebab.clone()),
        };
        let singular = format!("{head}{}", singularize(&last));
        let plural = format!("{head}{}", pluralize(&singularize(&last)));
        if RESERVED.contains(&singular.as_str()) || RESERVED.contains(&plural.as_str()) {
            return Err(bad("the service already uses that name"));
        }
        if SQL_RESERVED.contains(&plural.to_snake_case().as_str()) {
            return Err(bad(&format!("its plural `{plural}` is a reserved word in SQL")));
        }
        Ok(Self {
            name: singular.clone(),
            singular_pascal: singular.to_upper_camel_case(),
            singular_camel: singular.to_lower_camel_case(),
            plural_pascal: plural.to_upper_camel_case(),
            plural_camel: plural.to_lower_camel_case(),
            plural_kebab: plural.clone(),
            plural_snake: plural.to_snake_case(),
            singular_words: singular.replace('-', " "),
            a_singular: format!(
                "{} {}",
                if singular.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" },
                singular.replace('-', " ")
            ),
            plural_words: plural.replace('-', " "),
        })
    }
}

/// Field types accepted by `--field name:type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    String,
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Uuid,
    Email,
    Url,
    Json,
    Enum(Vec<String>),
    /// An exact decimal: `precision` significant digits, `scale` of them after the point
    /// (PostgreSQL `numeric(p,s)`), sent and stored as a string so no float ever rounds it.
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// The id of an item of another resource (`ref(customer[, rule])`): a uuid column with a
    /// foreign key, an index, and what happens to the field when that item is deleted.
    Ref {
        /// The referenced resource, by its singular name (`customer`).
        target: String,
        on_delete: OnDelete,
    },
}

/// What deleting a referenced item does to the items that refer to it (PostgreSQL's `ON DELETE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The delete is refused (409) while items refer to it: the default.
    Restrict,
    /// The items that refer to it are deleted with it.
    Cascade,
    /// The field of the items that refer to it becomes null (it must be optional).
    SetNull,
}

impl OnDelete {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restrict => "restrict",
            Self::Cascade => "cascade",
            Self::SetNull => "set-null",
        }
    }

    pub fn sql(self) -> &'static str {
        match self {
            Self::Restrict => "RESTRICT",
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
        }
    }
}

const TYPE_NAMES: &str = "string, text, integer, number, decimal (decimal(p,s)), boolean, date, datetime, uuid, email, url, json, enum(a|b|c), ref(resource[, restrict|cascade|set-null])";

/// The precision and scale of a bare `decimal`: amounts up to 9,999,999,999.99.
pub const DECIMAL_DEFAULT: (u8, u8) = (12, 2);

/// The largest precision `decimal(p,s)` takes, the SQL standard's usual bound.
const DECIMAL_MAX_PRECISION: u8 = 38;

impl FieldType {
    /// The type named `raw`; `Err` says why an `enum(...)` is not valid, `Ok(None)` that the name
    /// is not a type at all.
    fn parse(raw: &str) -> Result<Option<Self>, String> {
        Ok(Some(match raw {
            "string" => Self::String,
            "text" => Self::Text,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "datetime" => Self::Datetime,
            "uuid" => Self::Uuid,
            "email" => Self::Email,
            "url" => Self::Url,
            "json" => Self::Json,
            "decimal" => Self::Decimal { precision: DECIMAL_DEFAULT.0, scale: DECIMAL_DEFAULT.1 },
            _ if raw.starts_with("decimal(") => {
                let inner = raw.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')'));
                let numbers = inner
                    .and_then(|i| i.split_once(','))
                    .and_then(|(p, s)| Some((p.trim().parse::<u8>().ok()?, s.trim().parse::<u8>().ok()?)));
                match numbers {
                    Some((precision, scale))
                        if (1..=DECIMAL_MAX_PRECISION).contains(&precision) && scale <= precision =>
                    {
                        Self::Decimal { precision, scale }
                    }
                    _ => {
                        return Err(format!(
                            "`{raw}` must be `decimal(p,s)` with a precision p from 1 to {DECIMAL_MAX_PRECISION} and a scale s from 0 to p, such as `decimal(12,2)`"
                        ));
                    }
                }
            }
            _ if raw.starts_with("ref(") => {
                let Some(inner) = raw.strip_prefix("ref(").and_then(|r| r.strip_suffix(')')) else {
                    return Err(format!(
                        "`{raw}` must be `ref(<resource>)` or `ref(<resource>, restrict|cascade|set-null)`"
                    ));
                };
                let (target, rule) = match inner.split_once(',') {
                    Some((t, r)) => (t.trim(), Some(r.trim())),
                    None => (inner.trim(), None),
                };
                let target = ResourceName::parse(target).map_err(|e| format!("{raw}: {}", e.message))?.name;
                let on_delete = match rule {
                    None | Some("restrict") => OnDelete::Restrict,
                    Some("cascade") => OnDelete::Cascade,
                    Some("set-null") => OnDelete::SetNull,
                    Some(other) => {
                        return Err(format!(
                            "`{other}` is not a delete rule: use restrict (the default), cascade or set-null"
                        ));
                    }
                };
                Self::Ref { target, on_delete }
            }
            _ => {
                let Some(inner) = raw.strip_prefix("enum(").and_then(|r| r.strip_suffix(')')) else { return Ok(None) };
                let values: Vec<String> = inner.split('|').map(str::to_owned).collect();
                if let Some(bad) = values
                    .iter()
                    .find(|v| v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                {
                    return Err(format!(
                        "enum value `{bad}` must be letters, digits, `_` or `-`, and values are separated by `|`"
                    ));
                }
                if let Some((_, twice)) = values.iter().enumerate().find(|(i, v)| values[..*i].contains(v)) {
                    return Err(format!("enum value `{twice}` is listed twice"));
                }
                Self::Enum(values)
            }
        }))
    }

    fn spec(&self) -> String {
        match self {
            Self::Enum(values) => format!("enum({})", values.join("|")),
            Self::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            Self::Ref { target, on_delete: OnDelete::Restrict } => format!("ref({target})"),
            Self::Ref { target, on_delete } => format!("ref({target},{})", on_delete.as_str()),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

/// One field of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub kind: FieldType,
    pub optional: bool,
    pub unique: bool,
    /// `indexed`: a PostgreSQL index serves the list filter and sort on it.
    pub indexed: bool,
    pub default: Option<Value>,
}

impl Field {
    /// Parses `name[:type[:modifier...]]`. `default=<value>` comes last and takes the rest of the
    /// text, so a default may hold `:` (a URL does). Every combination that is accepted works end
    /// to end (its generated tests pass, in memory and on PostgreSQL); the others are refused
    /// here with the reason.
    pub fn parse(raw: &str) -> Result<Self, UsageError> {
        let bad = |why: String| {
            UsageError::new(format!("invalid field `{raw}`: {why}")).hint(format!(
                "write `--field name:type[:optional][:unique|:indexed][:default=<value>]` with a type among {TYPE_NAMES}"
            ))
        };
        let (head, default) = match raw.split_once(":default=") {
            Some((head, value)) => (head, Some(value)),
            None => (raw, None),
        };
        let mut parts = head.split(':');
        let name = parts.next().unwrap_or_default();
        if name.is_empty()
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad("the name must start with a letter and use letters, digits, `_` or `-`".into()));
        }
        let kind = match parts.next() {
            None | Some("") => FieldType::String,
            Some(t) => match FieldType::parse(t) {
                Ok(Some(kind)) => kind,
                Ok(None) => return Err(bad(format!("unknown type `{t}`"))),
                Err(why) => return Err(bad(why)),
            },
        };
        // A reference holds the other item's id, and is named so: `customer` becomes `customerId`.
        let mut name = name.to_lower_camel_case();
        if matches!(kind, FieldType::Ref { .. }) && !name.ends_with("Id") {
            name.push_str("Id");
        }
        if MANAGED_FIELDS.contains(&name.as_str()) {
            return Err(bad(format!("`{name}` is managed by the service")));
        }
        if name.to_snake_case().len() > MAX_IDENTIFIER {
            return Err(bad(format!(
                "the name is too long: its column `{}` would pass PostgreSQL's limit of {MAX_IDENTIFIER} characters",
                name.to_snake_case()
            )));
        }
        let mut field = Field { name, kind, optional: false, unique: false, indexed: false, default: None };
        for modifier in parts {
            let flag = match modifier {
                "optional" => &mut field.optional,
                "unique" => &mut field.unique,
                "indexed" => &mut field.indexed,
                other => return Err(bad(format!("unknown modifier `{other}`"))),
            };
            if *flag {
                return Err(bad(format!("`{modifier}` is given twice")));
            }
            *flag = true;
        }
        if field.indexed && field.unique {
            return Err(bad("a unique field is indexed already (its UNIQUE constraint is an index)".into()));
        }
        if let FieldType::Ref { on_delete, .. } = &field.kind {
            if field.indexed {
                return Err(bad("a reference is indexed already (every foreign key gets an index)".into()));
            }
            if default.is_some() {
                return Err(bad("a reference takes no default: no item's id is known in advance".into()));
            }
            if *on_delete == OnDelete::SetNull && !field.optional {
                return Err(bad(
                    "`set-null` needs an optional field, which can hold null: add `:optional`, or use restrict or cascade".into(),
                ));
            }
        }
        if field.indexed && field.filter_kind().is_none() {
            return Err(bad(format!(
                "a {} field cannot be indexed: lists do not filter or sort by it",
                field.kind.spec()
            )));
        }
        match &field.kind {
            FieldType::Json | FieldType::Boolean if field.unique => {
                return Err(bad(format!("a {} field cannot be unique", field.kind.spec())));
            }
            // PostgreSQL cannot index values longer than about 2,700 bytes, and a text may hold 65,535 characters.
            FieldType::Text if field.unique => {
                return Err(bad(
                    "a text field cannot be unique (long texts cannot be indexed); use `string` (up to 255 characters)"
                        .into(),
                ));
            }
            FieldType::Enum(values) if field.unique && values.len() < 2 => {
                return Err(bad(
                    "a unique enum needs at least two values: only one item could ever have the one".into()
                ));
            }
            _ => {}
        }
        if let Some(text) = default {
            field.default = Some(field.default_value(text).map_err(bad)?);
        }
        Ok(field)
    }

    /// The default `text` as a JSON value, if the field's schema accepts it (checked as strictly
    /// as the service's validator, ajv with ajv-formats, checks values).
    fn default_value(&self, text: &str) -> Result<Value, String> {
        let invalid = |what: &str| format!("`{text}` is not {what}");
        match &self.kind {
            FieldType::String => match text.chars().count() {
                1..=255 => Ok(Value::from(text)),
                _ => Err("a string default must have 1 to 255 characters".into()),
            },
            FieldType::Text if text.chars().count() <= 65535 => Ok(Value::from(text)),
            FieldType::Text => Err("a text default must have at most 65,535 characters".into()),
            FieldType::Integer => text
                .parse::<i32>()
                .map(Value::from)
                .map_err(|_| invalid("an integer between -2147483648 and 2147483647")),
            // Written as given: `default=0` stays 0, not 0.0, in the schema and the record.
            FieldType::Number => match text.parse::<i32>() {
                Ok(n) => Ok(Value::from(n)),
                Err(_) => text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Value::from)
                    .ok_or_else(|| invalid("a finite number")),
            },
            FieldType::Boolean => text.parse::<bool>().map(Value::from).map_err(|_| invalid("`true` or `false`")),
            FieldType::Enum(values) => values
                .iter()
                .any(|v| v == text)
                .then(|| Value::from(text))
                .ok_or_else(|| invalid(&format!("one of the values ({})", values.join(", ")))),
            FieldType::Date => {
                valid_date(text).then(|| Value::from(text)).ok_or_else(|| invalid("a date (YYYY-MM-DD)"))
            }
            FieldType::Uuid => valid_uuid(text)
                .then(|| Value::from(text.to_ascii_lowercase()))
                .ok_or_else(|| invalid("a UUID (8-4-4-4-12 hexadecimal digits)")),
            FieldType::Email => valid_email(text).then(|| Value::from(text)).ok_or_else(|| invalid("an email address")),
            FieldType::Url => valid_url(text)
                .then(|| Value::from(text))
                .ok_or_else(|| invalid("an http:// or https:// URL of at most 2048 characters")),
            FieldType::Decimal { precision, scale } => {
                canonical_decimal(text, *precision, *scale).map(Value::from).ok_or_else(|| {
                    invalid(&format!(
                        "a decimal of at most {} digits before the point and {scale} after it",
                        precision - scale
                    ))
                })
            }
            // PostgreSQL normalises timestamps (`.000Z`), so a default would not come back as given.
            FieldType::Datetime => Err("datetime fields take no default".into()),
            FieldType::Json => Err("json fields take no default".into()),
            FieldType::Ref { .. } => Err("references take no default".into()),
        }
    }

    /// The referenced resource and the delete rule, for a reference field.
    pub fn reference(&self) -> Option<(&str, OnDelete)> {
        match &self.kind {
            FieldType::Ref { target, on_delete } => Some((target, *on_delete)),
            _ => None,
        }
    }

    /// Has an index of its own: declared `indexed`, or a reference (lists by it, and the foreign
    /// key's checks on delete, read the index). A unique reference has its unique index.
    pub fn has_index(&self) -> bool {
        self.indexed || (self.reference().is_some() && !self.unique)
    }

    /// The normalised spec recorded in espresso.toml.
    pub fn spec(&self) -> String {
        let mut s = format!("{}:{}", self.name, self.kind.spec());
        if self.optional {
            s.push_str(":optional");
        }
        if self.unique {
            s.push_str(":unique");
        }
        if self.indexed {
            s.push_str(":indexed");
        }
        if let Some(d) = &self.default {
            s.push_str(&format!(":default={}", d.as_str().map(str::to_owned).unwrap_or_else(|| d.to_string())));
        }
        s
    }

    /// JSON Schema of one value of the field, without nullability or default. A json field
    /// takes any JSON value but null: null is what an optional field stores for "no value".
    pub fn value_schema(&self) -> Value {
        const NO_NUL: &str = "^[^\\u0000]*$";
        match &self.kind {
            // No U+0000: PostgreSQL cannot store it in text, and a contract must not change with storage.
            FieldType::String => json!({ "type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_NUL }),
            FieldType::Text => json!({ "type": "string", "maxLength": 65535, "pattern": NO_NUL }),
            FieldType::Integer => json!({ "type": "integer", "minimum": -2147483648i64, "maximum": 2147483647i64 }),
            FieldType::Number => json!({ "type": "number" }),
            FieldType::Boolean => json!({ "type": "boolean" }),
            // What PostgreSQL can store: no year 0000, and (for timestamptz) a UTC offset of at
            // most 15:59, narrower than RFC 3339's 23:59.
            FieldType::Date => json!({ "type": "string", "format": "date", "pattern": "^(?!0000-)" }),
            FieldType::Datetime => json!({
                "type": "string",
                "format": "date-time",
                "pattern": "^(?!0000-).*([Zz]|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
            }),
            FieldType::Uuid | FieldType::Ref { .. } => json!({ "type": "string", "format": "uuid" }),
            FieldType::Email => json!({ "type": "string", "format": "email", "maxLength": 255 }),
            FieldType::Url => json!({ "type": "string", "format": "uri", "maxLength": 2048 }),
            // Any JSON value but null, as a list of types: `not` is poorly understood by client
            // generators and fuzzers (Schemathesis failed to generate for it); `items` for Spectral.
            FieldType::Json => json!({ "type": ["object", "array", "string", "number", "boolean"], "items": {} }),
            FieldType::Enum(values) => json!({ "type": "string", "enum": values }),
            FieldType::Decimal { precision, scale } => {
                json!({ "type": "string", "pattern": decimal_pattern(*precision, *scale), "maxLength": usize::from(*precision) + 2 })
            }
        }
    }

    /// JSON Schema of the field as a property of a create or replace body, the one definition
    /// that the service's validator and the OpenAPI document share: an optional field also takes
    /// null, and the default stands beside, where the validator applies it to an omitted field.
    pub fn property_schema(&self) -> Value {
        let mut s = self.value_schema();
        if self.optional {
            s = json!({ "anyOf": [s, { "type": "null" }] });
        }
        if let Some(d) = &self.default {
            s["default"] = d.clone();
        }
        s
    }

    /// PostgreSQL column type.
    pub fn sql_type(&self) -> String {
        match &self.kind {
            FieldType::String | FieldType::Email => "varchar(255)".into(),
            FieldType::Url => "varchar(2048)".into(),
            FieldType::Text => "text".into(),
            FieldType::Integer => "integer".into(),
            FieldType::Number => "double precision".into(),
            FieldType::Boolean => "boolean".into(),
            FieldType::Date => "date".into(),
            FieldType::Datetime => "timestamptz".into(),
            FieldType::Uuid | FieldType::Ref { .. } => "uuid".into(),
            FieldType::Json => "jsonb".into(),
            FieldType::Decimal { precision, scale } => format!("numeric({precision},{scale})"),
            FieldType::Enum(values) => format!(
                "text CHECK ({} IN ({}))",
                sql_identifier(&self.name.to_snake_case()),
                values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Two distinct valid example values (for tests and OpenAPI examples); `seed` varies them.
    pub fn examples(&self, seed: usize) -> (Value, Value) {
        let n = seed as i64;
        match &self.kind {
            FieldType::String => (json!(format!("{} {}", self.name, n + 1)), json!(format!("{} {}", self.name, n + 2))),
            FieldType::Text => {
                (json!(format!("About {} {}", self.name, n + 1)), json!(format!("About {} {}", self.name, n + 2)))
            }
            FieldType::Integer => (json!(n + 1), json!(n + 2)),
            FieldType::Number => (json!(n as f64 + 1.5), json!(n as f64 + 2.5)),
            FieldType::Boolean => (json!(true), json!(false)),
            FieldType::Date => {
                (json!(format!("2026-01-{:02}", n % 28 + 1)), json!(format!("2026-02-{:02}", n % 28 + 1)))
            }
            FieldType::Datetime => (
                json!(format!("2026-01-{:02}T10:00:00.000Z", n % 28 + 1)),
                json!(format!("2026-02-{:02}T10:00:00.000Z", n % 28 + 1)),
            ),
            FieldType::Uuid | FieldType::Ref { .. } => (
                json!(format!("00000000-0000-4000-8000-{:012}", n + 1)),
                json!(format!("00000000-0000-4000-8000-{:012}", n + 2)),
            ),
            FieldType::Email => {
                (json!(format!("user{}@example.com", n + 1)), json!(format!("user{}@example.com", n + 2)))
            }
            FieldType::Url => {
                (json!(format!("https://example.com/{}", n + 1)), json!(format!("https://example.com/{}", n + 2)))
            }
            FieldType::Json => (json!({ "key": n + 1 }), json!({ "key": n + 2 })),
            FieldType::Enum(values) => (json!(values[seed % values.len()]), json!(values[(seed + 1) % values.len()])),
            FieldType::Decimal { precision, scale } => {
                // Written as PostgreSQL gives them back: exactly `scale` digits after the point.
                let whole = if precision > scale { seed % 8 + 1 } else { 0 };
                let at = |whole: usize, digit: char| match *scale {
                    0 => whole.to_string(),
                    s => format!("{whole}.{digit}{}", "0".repeat(usize::from(s) - 1)),
                };
                match scale {
                    0 => (json!(at(whole, '0')), json!(at(whole + 1, '0'))),
                    _ => (json!(at(whole, '5')), json!(at(whole, '7'))),
                }
            }
        }
    }

    /// How a list filters and sorts by the field (`?status=paid`, `?total[gte]=10`,
    /// `?sort=-total`): `None` for text and json, which have no useful order or equality.
    /// Ordered kinds also take ranges; `text` kinds sort by code point (`COLLATE "C"`).
    pub fn filter_kind(&self) -> Option<&'static str> {
        Some(match &self.kind {
            FieldType::String | FieldType::Email | FieldType::Url | FieldType::Enum(_) => "text",
            FieldType::Uuid | FieldType::Ref { .. } => "uuid",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Decimal { .. } => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Text | FieldType::Json => return None,
        })
    }

    /// A value the schema rejects, for validation tests (`None` for an optional json field,
    /// which takes anything).
    pub fn invalid_example(&self) -> Option<Value> {
        Some(match &self.kind {
            FieldType::Integer | FieldType::Number => json!("not a number"),
            // A JSON number: a float could already have rounded it.
            FieldType::Decimal { .. } => json!(12.5),
            FieldType::Boolean => json!("maybe"),
            FieldType::Json if self.optional => return None,
            FieldType::Json => Value::Null,
            FieldType::Enum(_) => json!("not-a-choice"),
            FieldType::Date
            | FieldType::Datetime
            | FieldType::Uuid
            | FieldType::Ref { .. }
            | FieldType::Email
            | FieldType::Url => {
                json!("not valid")
            }
            FieldType::String => json!(""),
            FieldType::Text => json!(42),
        })
    }
}

/// The regular expression a `decimal(p,s)` value matches: an optional minus, at most p-s digits
/// before the point without leading zeros, and at most s after it.
pub fn decimal_pattern(precision: u8, scale: u8) -> String {
    let whole = match precision - scale {
        0 => "0".to_owned(),
        1 => "(0|[1-9])".to_owned(),
        n => format!("(0|[1-9][0-9]{{0,{}}})", n - 1),
    };
    let fraction = if scale == 0 { String::new() } else { format!("(\\.[0-9]{{1,{scale}}})?") };
    format!("^-?{whole}{fraction}$")
}

/// `text` as the service stores a `decimal(p,s)`: exactly `scale` digits after the point and no
/// negative zero, as PostgreSQL's numeric gives it back; `None` when the pattern rejects it.
pub fn canonical_decimal(text: &str, precision: u8, scale: u8) -> Option<String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = digits(whole)
        && (whole == "0" || !whole.starts_with('0'))
        && (whole == "0" || whole.len() <= usize::from(precision - scale));
    let fraction_ok = fraction.is_none_or(|f| digits(f) && f.len() <= usize::from(scale));
    if !whole_ok || !fraction_ok {
        return None;
    }
    let mut out = whole.to_owned();
    if scale > 0 {
        out.push('.');
        let f = fraction.unwrap_or_default();
        out.push_str(f);
        out.push_str(&"0".repeat(usize::from(scale) - f.len()));
    }
    let zero = out.bytes().all(|b| b == b'0' || b == b'.');
    Some(if negative && !zero { format!("-{out}") } else { out })
}

/// A calendar date as ajv-formats' `date` format accepts it: YYYY-MM-DD with a real month and day.
pub fn valid_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        text.get(r).filter(|d| d.bytes().all(|c| c.is_ascii_digit())).and_then(|d| d.parse::<u32>().ok())
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    // PostgreSQL has no year 0.
    year > 0 && (1..=12).contains(&month) && day >= 1 && day <= days[month as usize - 1]
}

/// 8-4-4-4-12 hexadecimal digits (ajv-formats also takes a `urn:uuid:` prefix, PostgreSQL does not).
fn valid_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// An address ajv-formats' full `email` format accepts: dot-separated atoms, `@`, and a domain of
/// at least two labels of letters, digits and inner hyphens.
fn valid_email(text: &str) -> bool {
    let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let Some((local, domain)) = text.split_once('@') else { return false };
    text.chars().count() <= 255
        && local.split('.').all(|a| !a.is_empty() && a.chars().all(atom))
        && domain.split('.').count() >= 2
        && domain.split('.').all(label)
}

/// An http(s) URL inside what ajv-formats' full `uri` format accepts: a host of letters, digits,
/// dots and hyphens, an optional port, then path, query and fragment characters of RFC 3986
/// (percent escapes included).
fn valid_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://")) else { return false };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let mut chars = tail.chars().peekable();
    let mut tail_ok = true;
    while let Some(c) = chars.next() {
        if c == '%' {
            tail_ok &= chars.next().is_some_and(|h| h.is_ascii_hexdigit())
                && chars.next().is_some_and(|h| h.is_ascii_hexdigit());
        } else {
            tail_ok &= c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?#".contains(c);
        }
    }
    text.len() <= 2048 && host_ok && port_ok && tail_ok && tail.matches('#').count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_through_heck_with_plurals() {
        let n = ResourceName::parse("order-item").unwrap();
        assert_eq!(
            (n.singular_pascal.as_str(), n.plural_camel.as_str(), n.plural_kebab.as_str(), n.plural_snake.as_str()),
            ("OrderItem", "orderItems", "order-items", "order_items")
        );
        assert_eq!(ResourceName::parse("orders").unwrap().name, "order");
        assert_eq!(ResourceName::parse("category").unwrap().plural_kebab, "categories");
        assert_eq!(ResourceName::parse("address").unwrap().plural_kebab, "addresses");
        assert_eq!(ResourceName::parse("key").unwrap().plural_kebab, "keys");
        assert!(ResourceName::parse("Orders").is_err());
        assert!(ResourceName::parse("health").is_err());
    }

    #[test]
    fn fields_parse_types_and_modifiers() {
        let f = Field::parse("status:enum(draft|paid):default=draft").unwrap();
        assert_eq!(f.kind, FieldType::Enum(vec!["draft".into(), "paid".into()]));
        assert_eq!(f.default, Some(json!("draft")));
        assert_eq!(f.spec(), "status:enum(draft|paid):default=draft");
        let f = Field::parse("unit_price:number:optional").unwrap();
        assert_eq!((f.name.as_str(), f.optional), ("unitPrice", true));
        assert_eq!(Field::parse("title").unwrap().kind, FieldType::String);
        assert_eq!(Field::parse("qty:integer:default=3").unwrap().default, Some(json!(3)));
        for bad in [
            "qty:int",
            "qty:integer:default=x",
            "id:uuid",
            "x:string:sometimes",
            "9x",
            "s:enum()",
            "flag:boolean:unique",
            "p:decimal(0,0)",
            "p:decimal(5,6)",
            "p:decimal(39,2)",
            "p:decimal(12)",
            "p:decimal:default=1.234",
            "p:decimal(4,2):default=123",
            "p:decimal:default=01",
            "p:decimal:default=1e3",
        ] {
            assert!(Field::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn references_are_named_for_the_id_they_hold_and_recorded_with_their_rule() {
        let f = Field::parse("customer:ref(customer)").unwrap();
        assert_eq!((f.name.as_str(), f.spec().as_str()), ("customerId", "customerId:ref(customer)"));
        assert_eq!(f.reference(), Some(("customer", OnDelete::Restrict)));
        assert!(f.has_index() && !f.indexed);
        // What espresso.toml records parses back to the same field.
        let g = Field::parse("editor:ref(customers, set-null):optional").unwrap();
        assert_eq!(g.spec(), "editorId:ref(customer,set-null):optional");
        assert_eq!(Field::parse(&g.spec()).unwrap(), g);
        assert_eq!(Field::parse("item:ref(order-item,cascade)").unwrap().sql_type(), "uuid");
        // A unique reference (one to one) has its unique index, and no second one.
        assert!(!Field::parse("owner:ref(customer):unique").unwrap().has_index());
        for bad in [
            "c:ref(customer",
            "c:ref(Customer)",
            "c:ref(customer,never)",
            "c:ref(customer):indexed",
            "c:ref(customer,set-null)",
            "c:ref(customer):optional:default=00000000-0000-4000-8000-000000000001",
        ] {
            assert!(Field::parse(bad).is_err(), "{bad}");
        }
        let names = ResourceName::parse("review").unwrap();
        let context = ResourceContext::new(&names, &[f, g], false);
        let (own, other) =
            (context.fields[0].reference.as_ref().unwrap(), context.fields[1].reference.as_ref().unwrap());
        assert_eq!((own.nested.as_str(), own.constraint.as_str()), ("reviews", "reviews_customer_id_fkey"));
        assert_eq!((other.nested.as_str(), other.on_delete_sql), ("editor-reviews", "SET NULL"));
        assert_eq!(identifier(&"x".repeat(70), "_fkey").len(), MAX_IDENTIFIER);
        assert_ne!(identifier(&"x".repeat(70), "_fkey"), identifier(&format!("{}y", "x".repeat(69)), "_fkey"));
    }

    #[test]
    fn decimals_are_exact_strings_with_their_scale() {
        let f = Field::parse("price:decimal:default=7.5").unwrap();
        assert_eq!(f.kind, FieldType::Decimal { precision: 12, scale: 2 });
        assert_eq!((f.spec().as_str(), f.sql_type().as_str()), ("price:decimal(12,2):default=7.50", "numeric(12,2)"));
        assert_eq!(f.value_schema()["pattern"], "^-?(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$");
        assert_eq!(decimal_pattern(3, 3), "^-?0(\\.[0-9]{1,3})?$");
        assert_eq!(decimal_pattern(5, 0), "^-?(0|[1-9][0-9]{0,4})$");
        for (text, canonical) in [
            ("-0", Some("0.00")),
            ("-0.10", Some("-0.10")),
            ("12", Some("12.00")),
            ("9999999999.99", Some("9999999999.99")),
        ] {
            assert_eq!(canonical_decimal(text, 12, 2).as_deref(), canonical, "{text}");
        }
        for bad in ["99999999999", "1.", ".5", "+1", "1.234", "0x1", ""] {
            assert_eq!(canonical_decimal(bad, 12, 2), None, "{bad}");
        }
        for seed in 0..20 {
            for (p, s) in [(12, 2), (3, 3), (5, 0), (1, 0)] {
                let f = Field {
                    name: "d".into(),
                    kind: FieldType::Decimal { precision: p, scale: s },
                    optional: false,
                    unique: false,
                    indexed: false,
                    default: None,
                };
                let (a, b) = f.examples(seed);
                assert_ne!(a, b);
                for v in [a, b] {
                    let text = v.as_str().unwrap();
                    assert_eq!(canonical_decimal(text, p, s).as_deref(), Some(text), "decimal({p},{s}) example {text}");
                }
            }
        }
    }
}

/// A JSON default as an SQL literal: numbers and booleans as they are, text quoted.
fn sql_literal(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => other.to_string(),
    }
}

/// A field as resource templates see it; JSON values are given as JSON text.
#[derive(Debug, Serialize)]
pub struct FieldContext {
    pub name: String,
    /// The column as it stands in SQL (quoted when it is a reserved word).
    pub column: String,
    pub type_spec: String,
    pub sql_type: String,
    pub optional: bool,
    pub unique: bool,
    /// Has an index of its own (`indexed`), named `index_name`.
    pub indexed: bool,
    pub index_name: String,
    /// Required in a create request: not optional and without a default.
    pub required: bool,
    pub default_json: Option<String>,
    /// The default as an SQL literal (`'open'`, `1`, `true`), for a column added to a table.
    pub sql_default: Option<String>,
    /// Digits after the point of a decimal field (its values are given back with exactly these).
    pub decimal_scale: Option<u8>,
    /// How lists filter and sort by it ([`Field::filter_kind`]), and the JSON Schema of one
    /// filter value (the field's value schema, without null or default).
    pub filter_kind: Option<&'static str>,
    pub filter_schema_json: Option<String>,
    /// Ranges (`[gt]`, `[gte]`, `[lt]`, `[lte]`) apply: numbers, decimals, dates and datetimes.
    pub ranges: bool,
    /// For a decimal field, a value sent (`-0`) and how the service gives it back (`0.00`).
    pub decimal_sent_json: Option<String>,
    pub decimal_stored_json: Option<String>,
    /// The property's JSON Schema ([`Field::property_schema`]), shared with the OpenAPI document.
    pub schema_json: String,
    pub example_json: String,
    pub other_example_json: String,
    /// A value the validator rejects; `None` when there is none (an optional json field).
    pub invalid_json: Option<String>,
    /// What a reference (`ref(...)`) field refers to; `None` for any other field.
    pub reference: Option<ReferenceContext>,
}

/// A reference field as templates see it: its target, delete rule, foreign key and nested list.
#[derive(Debug, Serialize)]
pub struct ReferenceContext {
    pub target: ResourceName,
    /// `restrict`, `cascade` or `set-null`, and as SQL: `RESTRICT`, `CASCADE`, `SET NULL`.
    pub on_delete: &'static str,
    pub on_delete_sql: &'static str,
    /// The foreign key's name: `orders_customer_id_fkey`.
    pub constraint: String,
    /// The nested list's last path segment, under the target's item: `orders` for a field named
    /// after its target (`customerId`), `editor-reviews` for another (`editorId` to customers).
    pub nested: String,
    pub nested_pascal: String,
    pub nested_words: String,
    /// The target is behind authentication, so its nested list is too: it tells which of its
    /// items exist ([`ResourceContext::related`]).
    pub target_protected: bool,
}

impl ReferenceContext {
    fn new(owner: &ResourceName, field: &Field) -> Option<Self> {
        let (target, on_delete) = field.reference()?;
        let target = ResourceName::parse(target).ok()?;
        let base = field.name.strip_suffix("Id").unwrap_or(&field.name).to_kebab_case();
        let nested =
            if base == target.name { owner.plural_kebab.clone() } else { format!("{base}-{}", owner.plural_kebab) };
        Some(Self {
            on_delete: on_delete.as_str(),
            on_delete_sql: on_delete.sql(),
            constraint: identifier(&format!("{}_{}", owner.plural_snake, field.name.to_snake_case()), "_fkey"),
            nested_pascal: nested.to_upper_camel_case(),
            nested_words: nested.replace('-', " "),
            nested,
            target_protected: false,
            target,
        })
    }
}

/// `base` + `suffix` within PostgreSQL's 63 bytes: a longer base is cut and given a hash of the
/// whole, so two long names stay distinct.
fn identifier(base: &str, suffix: &str) -> String {
    let whole = format!("{base}{suffix}");
    if whole.len() <= MAX_IDENTIFIER {
        return whole;
    }
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let keep = MAX_IDENTIFIER - suffix.len() - 9;
    format!("{}_{:08x}{suffix}", &base[..keep], hash as u32)
}

/// A resource as templates see it (`resource` in the context).
#[derive(Debug, Serialize)]
pub struct ResourceContext {
    #[serde(flatten)]
    pub names: ResourceName,
    pub fields: Vec<FieldContext>,
    /// A complete valid create body, and a second one whose unique values differ.
    pub example_json: String,
    pub other_example_json: String,
    /// Behind authentication (`auth-jwt`).
    pub protected: bool,
    /// A field is named like a member every JavaScript object inherits (`constructor`,
    /// `toString`): TypeScript then needs an assertion where it would take the member's type.
    pub shadows_object_members: bool,
    /// The JSON Schema of a timestamp filter value (`createdAt[gte]`): a datetime field's.
    pub timestamp_schema_json: String,
    /// The API version it is served in (`v1`: `/api/v1/...`), and when that version was
    /// deprecated and sunsets ([`ResourceContext::served_in`]).
    pub api: String,
    pub api_deprecated: Option<String>,
    pub api_sunset: Option<String>,
    /// Has reference fields.
    pub has_references: bool,
    /// The project's other resources that refer to this one, with the field and delete rule
    /// ([`ResourceContext::related`]); empty until then.
    pub referenced_by: Vec<crate::model::relation::IncomingContext>,
    /// The items a test creates before one of this resource, in that order, and how its own
    /// reference fields point at them ([`ResourceContext::related`]).
    pub fixtures: Vec<crate::model::relation::FixtureContext>,
    pub links: Vec<crate::model::relation::LinkContext>,
    /// Its writes publish `<name>.created|updated|deleted` ([`ResourceContext::publishing`]).
    pub events: bool,
}

/// The JSON Schema of a `createdAt` or `updatedAt` value, as a filter takes it.
pub fn timestamp_schema() -> Value {
    Field {
        name: "createdAt".into(),
        kind: FieldType::Datetime,
        optional: false,
        unique: false,
        indexed: false,
        default: None,
    }
    .value_schema()
}

/// What every JavaScript object inherits from `Object.prototype`.
const OBJECT_MEMBERS: &[&str] = &[
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

impl ResourceContext {
    /// The context served in API version `version`.
    pub fn served_in(mut self, version: Option<&crate::model::api::ApiVersion>) -> Self {
        if let Some(v) = version {
            self.api.clone_from(&v.name);
            self.api_deprecated.clone_from(&v.deprecated);
            self.api_sunset.clone_from(&v.sunset);
        }
        self
    }

    /// Whether its writes publish events.
    pub fn publishing(mut self, events: bool) -> Self {
        self.events = events;
        self
    }

    /// Names only: enough for registrations, for a resource whose own files are not rendered.
    pub fn names_only(names: &ResourceName, protected: bool) -> Self {
        Self {
            protected,
            names: names.clone(),
            shadows_object_members: false,
            timestamp_schema_json: timestamp_schema().to_string(),
            fields: Vec::new(),
            example_json: "{}".into(),
            other_example_json: "{}".into(),
            api: crate::model::api::FIRST.into(),
            api_deprecated: None,
            api_sunset: None,
            has_references: false,
            referenced_by: Vec::new(),
            fixtures: Vec::new(),
            links: Vec::new(),
            events: false,
        }
    }

    pub fn new(names: &ResourceName, fields: &[Field], protected: bool) -> Self {
        let mut example = serde_json::Map::new();
        let mut other = serde_json::Map::new();
        let mut out = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let (a, b) = f.examples(i);
            example.insert(f.name.clone(), a.clone());
            other.insert(f.name.clone(), b.clone());
            out.push(FieldContext {
                name: f.name.clone(),
                column: sql_identifier(&f.name.to_snake_case()),
                type_spec: f.kind.spec(),
                sql_type: f.sql_type(),
                optional: f.optional,
                unique: f.unique,
                indexed: f.has_index(),
                index_name: format!("{}_{}_idx", names.plural_snake, f.name.to_snake_case()),
                required: !f.optional && f.default.is_none(),
                default_json: f.default.as_ref().map(Value::to_string),
                sql_default: f.default.as_ref().map(sql_literal),
                decimal_scale: match f.kind {
                    FieldType::Decimal { scale, .. } => Some(scale),
                    _ => None,
                },
                filter_kind: f.filter_kind(),
                filter_schema_json: f.filter_kind().map(|_| f.value_schema().to_string()),
                ranges: matches!(f.filter_kind(), Some("integer" | "number" | "decimal" | "date" | "datetime")),
                decimal_sent_json: matches!(f.kind, FieldType::Decimal { .. }).then(|| json!("-0").to_string()),
                decimal_stored_json: match f.kind {
                    FieldType::Decimal { precision, scale } => {
                        canonical_decimal("-0", precision, scale).map(|d| json!(d).to_string())
                    }
                    _ => None,
                },
                schema_json: f.property_schema().to_string(),
                example_json: a.to_string(),
                other_example_json: b.to_string(),
                invalid_json: f.invalid_example().map(|v| v.to_string()),
                reference: ReferenceContext::new(names, f),
            });
        }
        Self {
            names: names.clone(),
            protected,
            shadows_object_members: fields.iter().any(|f| OBJECT_MEMBERS.contains(&f.name.as_str())),
            timestamp_schema_json: timestamp_schema().to_string(),
            fields: out,
            example_json: Value::Object(example).to_string(),
            other_example_json: Value::Object(other).to_string(),
            api: crate::model::api::FIRST.into(),
            api_deprecated: None,
            api_sunset: None,
            has_references: fields.iter().any(|f| f.reference().is_some()),
            referenced_by: Vec::new(),
            fixtures: Vec::new(),
            links: Vec::new(),
            events: false,
        }
    }
}
