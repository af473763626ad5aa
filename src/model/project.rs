//! An existing project: found from the working directory, described by its `espresso.toml`.

use crate::cli::{Cache, Database, Ingress, NodeVersion, Preset};
use crate::error::UsageError;
use crate::model::api::{self, ApiVersion};
use crate::model::messaging::{self as messaging_model, MessagingSpec};
use crate::model::migration::{self, Migration, Step};
use crate::model::name::ProjectName;
use crate::model::options::{Choices, Ci, Deploy};
use crate::model::project_file::FILE;
use crate::model::resource::{Field, ResourceName};
use crate::model::upstream::UpstreamSpec;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item};

/// A resource as the project records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSpec {
    pub name: ResourceName,
    pub fields: Vec<Field>,
    /// Behind `auth-jwt`: every request authenticated, writes need the writer role.
    pub protected: bool,
    /// The API version it is served in (`/api/v1/...`).
    pub api: String,
    /// Its writes publish `<resource>.created|updated|deleted` (`--events`, `espresso add events`).
    pub events: bool,
}

/// Everything that determines a project's generated files.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSpec {
    pub name: ProjectName,
    pub choices: Choices,
    pub resources: Vec<ResourceSpec>,
    /// Middleware kinds added with `espresso add middleware`, in chain order.
    pub middleware: Vec<String>,
    /// Every migration espresso wrote, in order (PostgreSQL projects): history, only appended to.
    pub migrations: Vec<Migration>,
    /// The API's versions, oldest first; `v1` until `espresso add api-version`.
    pub api_versions: Vec<ApiVersion>,
    /// The services behind an API gateway, in the order they were added.
    pub upstreams: Vec<UpstreamSpec>,
    /// The broker and consumers (`espresso add messaging`, `add consumer`), if any.
    pub messaging: Option<MessagingSpec>,
}

impl ProjectSpec {
    pub fn new(name: ProjectName, choices: Choices) -> Self {
        Self {
            name,
            choices,
            resources: Vec::new(),
            middleware: Vec::new(),
            migrations: Vec::new(),
            api_versions: vec![ApiVersion::new(api::FIRST)],
            upstreams: Vec::new(),
            messaging: None,
        }
    }

    /// The version named `name`.
    pub fn api_version(&self, name: &str) -> Option<&ApiVersion> {
        self.api_versions.iter().find(|v| v.name == name)
    }

    /// The newest version, where resources go unless `--api` says otherwise.
    pub fn newest_api(&self) -> &str {
        self.api_versions.iter().max_by_key(|v| v.number()).map_or(api::FIRST, |v| v.name.as_str())
    }

    /// The resource named `name` (in any form `ResourceName` accepts).
    pub fn resource(&self, name: &ResourceName) -> Option<&ResourceSpec> {
        self.resources.iter().find(|r| r.name.plural_kebab == name.plural_kebab)
    }

    /// Appends the migration of `step` on `resource`, numbered after every migration recorded and
    /// every numbered file in `on_disk`; nothing in a project without PostgreSQL.
    pub fn record_migration<'a>(
        &mut self,
        step: Step,
        resource: &ResourceName,
        fields: Vec<Field>,
        on_disk: impl IntoIterator<Item = &'a str>,
    ) -> Option<&Migration> {
        if self.choices.database != Database::Postgres {
            return None;
        }
        let number = migration::next_number(&self.migrations, on_disk);
        self.migrations.push(Migration::new(number, step, resource, fields));
        self.migrations.last()
    }
}

/// A loaded project: where it is, its parsed project file (kept for editing) and its spec.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    pub doc: DocumentMut,
    pub spec: ProjectSpec,
}

impl Project {
    /// The root of the project containing `start`: the nearest directory that holds
    /// `espresso.toml`, or for which `pending` says a change was interrupted there (a killed
    /// `espresso new --force` may not have written its project file yet).
    pub fn find_root(start: &Path, pending: impl Fn(&Path) -> bool) -> anyhow::Result<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if d.join(FILE).is_file() || pending(d) {
                return Ok(d.to_path_buf());
            }
            dir = d.parent();
        }
        Err(UsageError::new(format!(
            "`{}` is not inside an espresso project (no {FILE} here or in any parent)",
            start.display()
        ))
        .hint("run this inside a project made by `espresso new <name>`, or point at one with `-C <dir>`")
        .into())
    }

    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let path = root.join(FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
            anyhow::anyhow!(
                "{}:{line}:{col}: {}\nfix the syntax, or restore the file from version control",
                path.display(),
                e.message()
            )
        })?;
        let spec = read_spec(&doc)
            .map_err(|e| anyhow::anyhow!("{}: {e:#}\nrestore the file from version control", path.display()))?;
        Ok(Self { root: root.to_path_buf(), doc, spec })
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

fn str_at<'a>(doc: &'a DocumentMut, table: &str, key: &str) -> anyhow::Result<&'a str> {
    doc.get(table)
        .and_then(|t| t.get(key))
        .and_then(Item::as_str)
        .with_context(|| format!("`{table}.{key}` is missing or not a string"))
}

fn list_at(doc: &DocumentMut, table: &str, key: &str) -> anyhow::Result<Vec<String>> {
    let array = doc
        .get(table)
        .and_then(|t| t.get(key))
        .and_then(Item::as_array)
        .with_context(|| format!("`{table}.{key}` is missing or not an array"))?;
    array
        .iter()
        .map(|v| {
            v.as_str().map(str::to_owned).with_context(|| format!("`{table}.{key}` holds a value that is not a string"))
        })
        .collect()
}

fn read_spec(doc: &DocumentMut) -> anyhow::Result<ProjectSpec> {
    let name = ProjectName::parse(str_at(doc, "project", "name")?).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let language = match str_at(doc, "project", "language")? {
        "javascript" => "javascript",
        "typescript" => "typescript",
        other => bail!("unknown language `{other}`"),
    };
    let node = match str_at(doc, "project", "node")? {
        "24" => NodeVersion::V24,
        "26" => NodeVersion::V26,
        other => bail!("unsupported node version `{other}`"),
    };
    let database = match str_at(doc, "project", "database")? {
        "none" => Database::None,
        "postgres" => Database::Postgres,
        other => bail!("unknown database `{other}`"),
    };
    let cache = match str_at(doc, "project", "cache")? {
        "none" => Cache::None,
        "redis" => Cache::Redis,
        other => bail!("unknown cache `{other}`"),
    };
    let deploy = list_at(doc, "project", "deploy")?
        .iter()
        .map(|d| {
            Deploy::ALL
                .into_iter()
                .find(|x| x.as_str() == d)
                .with_context(|| format!("unknown deployment target `{d}`"))
        })
        .collect::<anyhow::Result<_>>()?;
    let ci = list_at(doc, "project", "ci")?
        .iter()
        .map(|c| Ci::ALL.into_iter().find(|x| x.as_str() == c).with_context(|| format!("unknown CI pipeline `{c}`")))
        .collect::<anyhow::Result<_>>()?;
    // Projects made before the choice existed route with an Ingress.
    let ingress = match doc.get("project").and_then(|t| t.get("ingress")) {
        None => Ingress::Ingress,
        Some(_) => match str_at(doc, "project", "ingress")? {
            "ingress" => Ingress::Ingress,
            "gateway" => Ingress::Gateway,
            "none" => Ingress::None,
            other => bail!("unknown ingress `{other}` (expected `ingress`, `gateway` or `none`)"),
        },
    };
    // Projects made before presets existed are services.
    let preset = match doc.get("project").and_then(|t| t.get("preset")) {
        None => Preset::Service,
        Some(_) => {
            let raw = str_at(doc, "project", "preset")?;
            Preset::ALL.into_iter().find(|p| p.as_str() == raw).with_context(|| {
                format!("unknown preset `{raw}` (expected {})", Preset::ALL.map(|p| p.as_str()).join(" or "))
            })?
        }
    };
    let choices = Choices { language, preset, database, cache, deploy, ci, node, ingress };
    choices.check()?;

    let mut resources = Vec::new();
    // Projects made before migrations were recorded: each resource's create-table migration, as
    // its current fields render it (fields could not change then).
    let mut legacy = Vec::new();
    if let Some(item) = doc.get("resources") {
        let tables = item.as_array_of_tables().context("`resources` must be an array of tables ([[resources]])")?;
        for t in tables {
            let raw = t.get("name").and_then(Item::as_str).context("a [[resources]] entry has no `name`")?;
            let name = ResourceName::parse(raw).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let fields = field_list(t, raw)?;
            if let Some(number) = t.get("migration").and_then(Item::as_integer) {
                let number = u32::try_from(number).context("`migration` is out of range")?;
                legacy.push(Migration::new(number, Step::CreateTable, &name, fields.clone()));
            }
            let protected = t.get("protected").and_then(Item::as_bool).unwrap_or(false);
            let api = t.get("api").and_then(Item::as_str).unwrap_or(api::FIRST).to_owned();
            let events = t.get("events").and_then(Item::as_bool).unwrap_or(false);
            resources.push(ResourceSpec { name, fields, protected, api, events });
        }
    }
    let migrations = match doc.get("migrations") {
        Some(item) => item
            .as_array_of_tables()
            .context("`migrations` must be an array of tables ([[migrations]])")?
            .iter()
            .map(read_migration)
            .collect::<anyhow::Result<Vec<_>>>()?,
        None if database == Database::Postgres => {
            legacy.sort_by_key(Migration::number);
            legacy
        }
        None => Vec::new(),
    };
    let middleware = match doc.get("project").and_then(|t| t.get("middleware")) {
        Some(_) => list_at(doc, "project", "middleware")?,
        None => Vec::new(),
    };
    let api_versions = match doc.get("api-versions") {
        Some(item) => item
            .as_array_of_tables()
            .context("`api-versions` must be an array of tables ([[api-versions]])")?
            .iter()
            .map(|t| {
                let raw = t.get("name").and_then(Item::as_str).context("an [[api-versions]] entry has no `name`")?;
                let name = ApiVersion::parse_name(raw).map_err(|e| anyhow::anyhow!("{}", e.message))?;
                let day = |key: &str| t.get(key).and_then(Item::as_str).map(str::to_owned);
                Ok(ApiVersion { name, deprecated: day("deprecated"), sunset: day("sunset") })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => vec![ApiVersion::new(api::FIRST)],
    };
    if let Some(r) = resources.iter().find(|r| !api_versions.iter().any(|v| v.name == r.api)) {
        bail!("resource `{}` is in API version `{}`, which [[api-versions]] does not list", r.name.name, r.api);
    }
    let upstreams = match doc.get("upstreams") {
        Some(item) => item
            .as_array_of_tables()
            .context("`upstreams` must be an array of tables ([[upstreams]])")?
            .iter()
            .map(read_upstream)
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    if !upstreams.is_empty() && choices.preset != Preset::ApiGateway {
        bail!("[[upstreams]] are listed, but the project is not an API gateway (`preset = \"api-gateway\"`)");
    }
    let messaging = match doc.get("messaging") {
        None => None,
        Some(item) => Some(read_messaging(item.as_table().context("`messaging` must be a table ([messaging])")?)?),
    };
    if messaging.is_none()
        && let Some(r) = resources.iter().find(|r| r.events)
    {
        bail!("resource `{}` publishes events, but there is no [messaging] table naming a broker", r.name.name);
    }
    Ok(ProjectSpec { name, choices, resources, middleware, migrations, api_versions, upstreams, messaging })
}

/// The `[messaging]` table.
fn read_messaging(t: &toml_edit::Table) -> anyhow::Result<MessagingSpec> {
    let raw = t.get("broker").and_then(Item::as_str).context("`messaging.broker` is missing or not a string")?;
    let broker = crate::cli::Broker::ALL.into_iter().find(|b| b.as_str() == raw).with_context(|| {
        format!("unknown broker `{raw}` (expected {})", crate::cli::Broker::ALL.map(|b| b.as_str()).join(" or "))
    })?;
    let migration = match t.get("migration") {
        None => None,
        Some(item) => {
            let file = item.as_str().context("`messaging.migration` is not a string")?;
            anyhow::ensure!(
                migration::number_of(file).is_some() && file.ends_with(".sql") && !file.contains(['/', '\\']),
                "messaging migration `{file}` is not a numbered `.sql` file name"
            );
            Some(file.to_owned())
        }
    };
    let consumers = match t.get("consumers") {
        None => Vec::new(),
        Some(item) => item
            .as_array()
            .context("`messaging.consumers` is not an array")?
            .iter()
            .map(|v| {
                let raw = v.as_str().context("`messaging.consumers` holds a value that is not a string")?;
                messaging_model::parse_event_type(raw).map_err(|e| anyhow::anyhow!("{}", e.message))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    Ok(MessagingSpec { broker, migration, consumers })
}

/// One `[[upstreams]]` entry.
fn read_upstream(t: &toml_edit::Table) -> anyhow::Result<UpstreamSpec> {
    let usage = |e: UsageError| anyhow::anyhow!("{}", e.message);
    let raw = t.get("name").and_then(Item::as_str).context("an [[upstreams]] entry has no `name`")?;
    let name = UpstreamSpec::parse_name(raw).map_err(usage)?;
    let path = t.get("path").and_then(Item::as_str).with_context(|| format!("upstream `{name}` has no `path`"))?;
    let path = UpstreamSpec::check_path(path).map_err(usage)?;
    let protect = t.get("protect").and_then(Item::as_bool).unwrap_or(false);
    let timeout_ms = match t.get("timeout-ms") {
        None => crate::model::upstream::DEFAULT_TIMEOUT_MS,
        Some(item) => item
            .as_integer()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=300_000).contains(n))
            .with_context(|| format!("upstream `{name}` has a `timeout-ms` that is not 1 to 300000"))?,
    };
    Ok(UpstreamSpec { name, path, protect, timeout_ms })
}

/// The `fields` array of a `[[resources]]` or `[[migrations]]` entry.
fn field_list(t: &toml_edit::Table, owner: &str) -> anyhow::Result<Vec<Field>> {
    t.get("fields")
        .and_then(Item::as_array)
        .with_context(|| format!("`{owner}` has no `fields` array"))?
        .iter()
        .map(|f| {
            f.as_str()
                .context("a field is not a string")
                .and_then(|s| Field::parse(s).map_err(|e| anyhow::anyhow!("{}", e.message)))
        })
        .collect()
}

/// One `[[migrations]]` entry.
fn read_migration(t: &toml_edit::Table) -> anyhow::Result<Migration> {
    let file = t.get("file").and_then(Item::as_str).context("a [[migrations]] entry has no `file`")?;
    anyhow::ensure!(
        migration::number_of(file).is_some() && file.ends_with(".sql") && !file.contains(['/', '\\']),
        "migration file `{file}` is not a numbered `.sql` file name"
    );
    let raw = t.get("step").and_then(Item::as_str).with_context(|| format!("migration `{file}` has no `step`"))?;
    let step = Step::parse(raw).with_context(|| format!("migration `{file}` has an unknown step `{raw}`"))?;
    let resource =
        t.get("resource").and_then(Item::as_str).with_context(|| format!("migration `{file}` names no `resource`"))?;
    let resource = ResourceName::parse(resource).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let fields = field_list(t, &format!("migration {file}"))?;
    Ok(Migration { file: file.to_owned(), step, resource, fields })
}
