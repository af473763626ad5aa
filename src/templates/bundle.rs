//! The embedded template tree: bundles (a folder plus a `bundle.toml` manifest) and the catalogue
//! that picks bundles for a set of choices.
//!
//! Layout: `templates/<set>/<bundle>/` where a set is a language (`javascript`) or a
//! language-neutral group shared by every language (`common`, `deploy`, `ci`). A TypeScript
//! variant is a sibling `typescript/` set with the same bundle names.

use crate::cli::{Cache, Database};
use crate::documents::config_schema::EnvVar;
use crate::model::options::{Choices, Ci, Deploy};
use anyhow::{Context, bail};
use include_dir::{Dir, include_dir};
use serde::Deserialize;
use std::collections::BTreeMap;

pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Suffix of sources rendered with minijinja.
pub const TEMPLATE_SUFFIX: &str = ".jinja";

/// The manifest file in every bundle folder.
pub const MANIFEST: &str = "bundle.toml";

/// What a bundle writes and needs, readable without rendering anything.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub description: String,
    /// Templates in the bundle folder and where they land in the project.
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Environment variables the bundle's code reads; they become `config.schema.json` properties.
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub npm: Npm,
    /// Lines the bundle contributes to fenced regions of other bundles' files.
    #[serde(default)]
    pub registrations: Vec<Registration>,
    /// Present in the common bundle of a middleware kind (`common/middleware-<kind>`).
    pub middleware: Option<MiddlewareMeta>,
}

/// What `espresso list middleware` shows and where the middleware sits in the chain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiddlewareMeta {
    /// One line for `espresso list middleware`.
    pub summary: String,
    /// Order in the chain among optional middleware (lower runs first); see `src/app.js`.
    pub position: u32,
    /// The `--cache` choice the middleware needs (`redis`), if any.
    pub requires_cache: Option<String>,
}

/// Prefix of middleware bundle folders. Each kind is two bundles: `common/middleware-<kind>`
/// (what it is, its place in the chain and its variables: the same in every language) and
/// `<language>/middleware-<kind>` (its code, dependencies and registrations).
pub const MIDDLEWARE_PREFIX: &str = "middleware-";

/// Every middleware kind a language has, ordered by chain position, with its common manifest.
pub fn middleware_kinds(language: &str) -> anyhow::Result<Vec<(String, Bundle)>> {
    let mut kinds = Vec::new();
    for id in all_bundle_ids() {
        if let Some(kind) = id.strip_prefix(&format!("common/{MIDDLEWARE_PREFIX}")) {
            if TEMPLATES.get_dir(format!("{language}/{MIDDLEWARE_PREFIX}{kind}")).is_none() {
                continue;
            }
            let bundle = Bundle::load(&id)?;
            anyhow::ensure!(bundle.manifest.middleware.is_some(), "bundle `{id}` has no [middleware] table");
            kinds.push((kind.to_owned(), bundle));
        }
    }
    kinds.sort_by_key(|(_, b)| b.manifest.middleware.as_ref().map(|m| m.position));
    Ok(kinds)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path of the template inside the bundle folder (dotfiles are stored without the dot).
    pub source: String,
    /// Path in the generated project; defaults to `source` without a `.jinja` suffix.
    pub target: Option<String>,
    /// Set the executable bit (scripts).
    #[serde(default)]
    pub executable: bool,
    /// A minijinja expression over the template context; the file is written only when it is true
    /// (e.g. `config | selectattr("secret") | list | length > 0`).
    pub when: Option<String>,
}

impl FileEntry {
    pub fn target(&self) -> &str {
        self.target.as_deref().unwrap_or_else(|| self.source.strip_suffix(TEMPLATE_SUFFIX).unwrap_or(&self.source))
    }

    /// Sources ending in `.jinja` are rendered with minijinja; all others are copied verbatim,
    /// so plain source files stay valid code (JSDoc's `{{ }}` is not template syntax).
    pub fn is_template(&self) -> bool {
        self.source.ends_with(TEMPLATE_SUFFIX)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Npm {
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default, rename = "dev-dependencies")]
    pub dev_dependencies: BTreeMap<String, String>,
    /// Dependencies needed only for some choices (`[[npm.conditional]]`): the instrumentation of
    /// a database client is useless in a project without that database.
    #[serde(default)]
    pub conditional: Vec<ConditionalNpm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalNpm {
    /// A minijinja expression over the template context, as in `files`.
    pub when: String,
    pub dependencies: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Project file holding the fence.
    pub file: String,
    /// Fence name: the region between `espresso:begin <fence>` and `espresso:end <fence>`.
    pub fence: String,
    /// Lines to place in the region (a template; rendered with the project context).
    pub text: String,
}

/// A loaded bundle.
#[derive(Debug)]
pub struct Bundle {
    pub id: String,
    pub dir: &'static Dir<'static>,
    pub manifest: Manifest,
}

impl Bundle {
    pub fn load(id: &str) -> anyhow::Result<Self> {
        let dir = TEMPLATES.get_dir(id).with_context(|| format!("no template bundle `{id}` is built in"))?;
        let raw = dir
            .get_file(format!("{id}/{MANIFEST}"))
            .and_then(|f| f.contents_utf8())
            .with_context(|| format!("template bundle `{id}` has no readable {MANIFEST}"))?;
        let manifest: Manifest =
            toml::from_str(raw).with_context(|| format!("template bundle `{id}`: invalid {MANIFEST}"))?;
        Ok(Self { id: id.to_owned(), dir, manifest })
    }

    /// The source text of one of this bundle's templates.
    pub fn source(&self, rel: &str) -> anyhow::Result<&'static str> {
        let path = format!("{}/{rel}", self.id);
        let file = self
            .dir
            .get_file(&path)
            .with_context(|| format!("template `{path}` is listed in {MANIFEST} but missing"))?;
        match file.contents_utf8() {
            Some(text) => Ok(text),
            None => bail!("template `{path}` is not UTF-8"),
        }
    }
}

/// The bundles a project with these choices is made of, in order (later bundles register into
/// fences of earlier ones; the order is also the order of registrations inside a fence).
pub fn bundle_ids(choices: &Choices) -> Vec<String> {
    bundle_ids_with(choices, &[], None)
}

/// The bundles of a project with this spec: its choices, middleware and broker.
pub fn spec_bundle_ids(spec: &crate::model::project::ProjectSpec) -> Vec<String> {
    bundle_ids_with(&spec.choices, &spec.middleware, spec.messaging.as_ref().map(|m| m.broker))
}

/// [`bundle_ids`] plus the given middleware kinds (in the order given: chain order).
pub fn bundle_ids_with(choices: &Choices, middleware: &[String], messaging: Option<crate::cli::Broker>) -> Vec<String> {
    let lang = choices.language;
    let mut ids = vec!["common/project".to_owned(), format!("{lang}/service")];
    // A backing service's variables and language-neutral files, then the language's client.
    if choices.database == Database::Postgres {
        ids.extend(["common/postgres".to_owned(), format!("{lang}/postgres")]);
    }
    if choices.cache == Cache::Redis {
        ids.extend(["common/redis".to_owned(), format!("{lang}/redis")]);
    }
    // A preset's code comes after the backing services it is built on.
    match choices.preset {
        crate::cli::Preset::Service => {}
        crate::cli::Preset::AuthService => {
            ids.extend(["common/auth-service".to_owned(), format!("{lang}/auth-service")])
        }
        crate::cli::Preset::ApiGateway => ids.extend(["common/api-gateway".to_owned(), format!("{lang}/api-gateway")]),
    }
    // The broker's variables and client, after the backing services it may share (Redis).
    if let Some(broker) = messaging {
        let b = broker.as_str();
        ids.extend([
            "common/messaging".to_owned(),
            format!("{lang}/messaging"),
            format!("common/messaging-{b}"),
            format!("{lang}/messaging-{b}"),
        ]);
        if choices.database == Database::Postgres {
            ids.push("common/messaging-outbox".to_owned());
        }
    }
    for d in Deploy::ALL.iter().filter(|d| choices.has_deploy(**d)) {
        ids.push(format!("deploy/{}", d.as_str()));
    }
    for c in Ci::ALL.iter().filter(|c| choices.has_ci(**c)) {
        ids.push(format!("ci/{}", c.as_str()));
    }
    for m in middleware {
        ids.extend([format!("common/{MIDDLEWARE_PREFIX}{m}"), format!("{lang}/{MIDDLEWARE_PREFIX}{m}")]);
    }
    ids
}

/// Every bundle folder that is built in (folders holding a manifest), for hygiene checks.
pub fn all_bundle_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for set in TEMPLATES.dirs() {
        for bundle in set.dirs() {
            if bundle.get_file(bundle.path().join(MANIFEST)).is_some() {
                ids.push(bundle.path().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    ids.sort();
    ids
}
