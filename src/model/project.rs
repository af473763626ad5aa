//! An existing project: found from the working directory, described by its `espresso.toml`.

use crate::cli::{Cache, Database, Ingress, NodeVersion};
use crate::error::UsageError;
use crate::model::name::ProjectName;
use crate::model::options::{Choices, Ci, Deploy};
use crate::model::project_file::FILE;
use crate::model::resource::{Field, ResourceName};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item};

/// A resource as the project records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSpec {
    pub name: ResourceName,
    pub fields: Vec<Field>,
    /// Number of its migration file (`0003_create_orders.sql`), fixed when the resource is added.
    pub migration: u32,
    /// Behind `auth-jwt`: every request authenticated, writes need the writer role.
    pub protected: bool,
}

/// Everything that determines a project's generated files.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSpec {
    pub name: ProjectName,
    pub choices: Choices,
    pub resources: Vec<ResourceSpec>,
    /// Middleware kinds added with `espresso add middleware`, in chain order.
    pub middleware: Vec<String>,
}

impl ProjectSpec {
    pub fn new(name: ProjectName, choices: Choices) -> Self {
        Self { name, choices, resources: Vec::new(), middleware: Vec::new() }
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
            other => bail!("unknown ingress `{other}` (expected `ingress` or `gateway`)"),
        },
    };
    let choices = Choices { language, database, cache, deploy, ci, node, ingress };
    choices.check()?;

    let mut resources = Vec::new();
    if let Some(item) = doc.get("resources") {
        let tables = item.as_array_of_tables().context("`resources` must be an array of tables ([[resources]])")?;
        for t in tables {
            let raw = t.get("name").and_then(Item::as_str).context("a [[resources]] entry has no `name`")?;
            let name = ResourceName::parse(raw).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let fields = t
                .get("fields")
                .and_then(Item::as_array)
                .with_context(|| format!("resource `{raw}` has no `fields` array"))?
                .iter()
                .map(|f| {
                    f.as_str()
                        .context("a field is not a string")
                        .and_then(|s| Field::parse(s).map_err(|e| anyhow::anyhow!("{}", e.message)))
                })
                .collect::<anyhow::Result<_>>()?;
            let migration = t
                .get("migration")
                .and_then(Item::as_integer)
                .with_context(|| format!("resource `{raw}` has no `migration` number"))?;
            let protected = t.get("protected").and_then(Item::as_bool).unwrap_or(false);
            resources.push(ResourceSpec {
                name,
                fields,
                migration: u32::try_from(migration).context("`migration` is out of range")?,
                protected,
            });
        }
    }
    let middleware = match doc.get("project").and_then(|t| t.get("middleware")) {
        Some(_) => list_at(doc, "project", "middleware")?,
        None => Vec::new(),
    };
    Ok(ProjectSpec { name, choices, resources, middleware })
}
