//! The pure planner: from a project spec to the complete list of files, in memory. Nothing here
//! touches the disk; the applier writes a plan and the reporter describes it. The same spec
//! always gives the same files, so `add` and `remove` are the difference between two plans.

use crate::documents::config_schema::{self, ConfigVar, EnvVar};
use crate::documents::openapi;
use crate::engine::fence;
use crate::engine::package_json::{self, Deps};
use crate::model::name::ProjectName;
use crate::model::options::{Choices, Ci, Deploy, cache_str, database_str, ingress_str, node_str};
use crate::model::project::ProjectSpec;
use crate::model::project_file;
use crate::model::resource::ResourceContext;
use crate::templates::bundle::{Bundle, spec_bundle_ids};
use crate::templates::renderer::Renderer;
use anyhow::{Context, bail};
use minijinja::Value;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_FILE: &str = "config.schema.json";

/// One file of a plan; `path` is relative to the project root with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub contents: String,
    pub executable: bool,
}

/// Every file of a project, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
}

impl Plan {
    pub fn get(&self, path: &str) -> Option<&PlannedFile> {
        self.files.binary_search_by(|f| f.path.as_str().cmp(path)).ok().map(|i| &self.files[i])
    }

    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.contents.len()).sum()
    }

    /// The whole plan as one document: the file list, then each file's contents.
    pub fn to_document(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            out.push_str(&f.path);
            if f.executable {
                out.push_str(" (executable)");
            }
            out.push('\n');
        }
        for f in &self.files {
            out.push_str(&format!("\n=== {} ===\n", f.path));
            out.push_str(&f.contents);
        }
        out
    }
}

/// What every template can read. Documented in `docs/templates.md`.
#[derive(Debug, Serialize)]
struct TemplateContext<'a> {
    project: ProjectCtx<'a>,
    espresso_version: &'static str,
    language: &'static str,
    /// The extension of the service's modules: `js`, or `ts` (Node runs them directly).
    ext: &'static str,
    /// The kind of service (`service`, `auth-service`, `api-gateway`).
    preset: &'static str,
    node: &'static str,
    database: &'static str,
    cache: &'static str,
    deploy: BTreeMap<&'static str, bool>,
    ci: BTreeMap<&'static str, bool>,
    ingress: &'static str,
    config: &'a [ConfigVar],
    /// `config.schema.json` as the project holds it (TypeScript mirrors it for its types).
    schema: &'a str,
    /// Middleware kinds added with `espresso add middleware`, in chain order.
    middleware: &'a [String],
    /// The API's versions, oldest first, each with its deprecation and successor.
    api_versions: Vec<crate::model::api::ApiVersionContext>,
    /// An API gateway's upstreams, in the order they were added.
    upstreams: Vec<crate::model::upstream::UpstreamContext>,
    /// The broker and the consumed event types (`espresso add messaging`), or none.
    messaging: Option<crate::model::messaging::MessagingContext>,
}

#[derive(Debug, Serialize)]
struct ProjectCtx<'a> {
    name: &'a str,
    version: &'static str,
}

/// Plans a new project.
pub fn plan_new(name: &ProjectName, choices: &Choices) -> anyhow::Result<Plan> {
    plan_project(&ProjectSpec::new(name.clone(), choices.clone()))
}

/// How much of a project to plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Render the files of only these resources (by singular name); `None` renders all. Every
    /// resource still registers into fences and the OpenAPI document, so shared files are whole.
    pub resources: Option<&'a [&'a str]>,
    /// Render only the migrations from this index on: the earlier ones are history, the same in
    /// both specs of a change, and a change never rewrites them.
    pub migrations_from: usize,
    /// Leave out `espresso.toml` (a change edits the existing one instead).
    pub without_record: bool,
    /// The `config.schema.json` document to use instead of the one the bundles declare: the
    /// project's own, which the user may have extended. Every derived file is rendered from it.
    pub schema: Option<&'a str>,
}

/// Plans every file of a project with this spec.
pub fn plan_project(spec: &ProjectSpec) -> anyhow::Result<Plan> {
    plan_with(spec, Scope::default(), &mut Renderer::new())
}

/// Plans the files of a project within `scope`: the files of resources outside it are the same
/// in any two specs that hold those resources unchanged, so a change need not render them. A
/// change plans twice with one renderer, so registrations are rendered once per resource.
pub fn plan_with(spec: &ProjectSpec, scope: Scope, renderer: &mut Renderer) -> anyhow::Result<Plan> {
    let (name, choices) = (&spec.name, &spec.choices);
    let bundles: Vec<Bundle> =
        spec_bundle_ids(spec).iter().map(|id| Bundle::load(id)).collect::<anyhow::Result<_>>()?;
    // Resources outside the scope only register into fences, which needs their names alone.
    let in_scope = |name: &str| scope.resources.is_none_or(|only| only.contains(&name));
    let resources: Vec<ResourceContext> = spec
        .resources
        .iter()
        .map(|r| {
            if in_scope(&r.name.name) {
                ResourceContext::new(&r.name, &r.fields, r.protected).related(&spec.resources)
            } else {
                ResourceContext::names_only(&r.name, r.protected)
            }
            .served_in(spec.api_version(&r.api))
            .publishing(r.events)
        })
        .collect();

    let schema = match scope.schema {
        Some(own) => own.to_owned(),
        None => declared_schema(spec, &bundles, renderer)?,
    };
    // Derived files are rendered from the document itself, exactly as a later re-render would.
    let config = config_schema::read_schema(&schema).with_context(|| format!("`{SCHEMA_FILE}` is not usable"))?;

    let ctx = Value::from_serialize(TemplateContext {
        project: ProjectCtx { name: name.as_str(), version: "0.1.0" },
        espresso_version: env!("CARGO_PKG_VERSION"),
        language: choices.language,
        ext: if choices.language == "typescript" { "ts" } else { "js" },
        preset: choices.preset.as_str(),
        node: node_str(choices.node),
        database: database_str(choices.database),
        cache: cache_str(choices.cache),
        deploy: Deploy::ALL.iter().map(|d| (d.as_str(), choices.has_deploy(*d))).collect(),
        ci: Ci::ALL.iter().map(|c| (c.as_str(), choices.has_ci(*c))).collect(),
        ingress: ingress_str(choices.ingress),
        config: &config,
        schema: &schema,
        middleware: &spec.middleware,
        api_versions: crate::model::api::contexts(&spec.api_versions),
        upstreams: spec.upstreams.iter().enumerate().map(|(i, u)| u.context(i)).collect(),
        messaging: spec.messaging.as_ref().map(crate::model::messaging::MessagingSpec::context),
    });

    // Each bundle once with the project context; the resource bundle once per resource, with
    // `resource` added to the context.
    let resource_bundle =
        if resources.is_empty() { None } else { Some(Bundle::load(&format!("{}/resource", choices.language))?) };
    let mut instances: Vec<(&Bundle, Value)> = bundles.iter().map(|b| (b, ctx.clone())).collect();
    // Instances whose files are rendered: every bundle, and the resources in scope.
    let mut with_files = vec![true; instances.len()];
    if let Some(rb) = &resource_bundle {
        for r in &resources {
            instances.push((rb, minijinja::context! { resource => Value::from_serialize(r), ..ctx.clone() }));
            with_files.push(in_scope(&r.names.name));
        }
    }
    // The consumer bundle once per consumed event type, with `consumer` added to the context.
    let consumer_bundle = match &spec.messaging {
        Some(m) if !m.consumers.is_empty() => Some(Bundle::load(&format!("{}/consumer", choices.language))?),
        _ => None,
    };
    if let (Some(cb), Some(m)) = (&consumer_bundle, &spec.messaging) {
        for t in &m.consumers {
            let consumer = crate::model::messaging::consumer_context(t);
            instances.push((cb, minijinja::context! { consumer => Value::from_serialize(&consumer), ..ctx.clone() }));
            with_files.push(true);
        }
    }
    // The migration bundle once per migration, from what the migration recorded, never from the
    // resource as it is now.
    let migration_bundle = if spec.migrations.len() > scope.migrations_from {
        Some(Bundle::load(crate::model::migration::BUNDLE)?)
    } else {
        None
    };
    if let Some(mb) = &migration_bundle {
        for m in &spec.migrations[scope.migrations_from..] {
            let migration = minijinja::context! { file => &m.file, step => m.step.as_str(), command => m.command() };
            let resource = ResourceContext::new(&m.resource, &m.fields, false);
            instances.push((
                mb,
                minijinja::context! { migration => migration, resource => Value::from_serialize(&resource), ..ctx.clone() },
            ));
            with_files.push(true);
        }
    }

    let mut files: BTreeMap<String, PlannedFile> = BTreeMap::new();
    for ((bundle, ctx), _) in instances.iter().zip(&with_files).filter(|(_, with)| **with) {
        for entry in &bundle.manifest.files {
            let name = format!("{}/{}", bundle.id, entry.source);
            if let Some(when) = &entry.when
                && !renderer.condition(&name, when, ctx)?
            {
                continue;
            }
            let source = bundle.source(&entry.source)?;
            let contents = if entry.is_template() { renderer.render(&name, source, ctx)? } else { source.to_owned() };
            let target = entry.target();
            let path = if target.contains("{{") {
                renderer.render(&format!("{name} target"), target, ctx)?
            } else {
                target.to_owned()
            };
            let file = PlannedFile { path: path.clone(), contents, executable: entry.executable };
            if files.insert(path.clone(), file).is_some() {
                bail!("two templates write `{path}`");
            }
        }
    }
    fill_fences(&instances, renderer, &mut files)?;

    files.insert(SCHEMA_FILE.into(), PlannedFile { path: SCHEMA_FILE.into(), contents: schema, executable: false });
    let openapi = openapi::base_document(spec)?;
    files
        .insert(openapi::FILE.into(), PlannedFile { path: openapi::FILE.into(), contents: openapi, executable: false });
    if choices.preset == crate::cli::Preset::AuthService {
        let path = crate::documents::openapi_auth::FILE.to_owned();
        let contents = crate::documents::openapi_auth::fragment(openapi::Api::of(spec))?;
        files.insert(path.clone(), PlannedFile { path, contents, executable: false });
    }
    for r in resources.iter().filter(|r| in_scope(&r.names.name)) {
        let path = openapi::fragment_path(&r.names.plural_kebab);
        files.insert(
            path.clone(),
            PlannedFile { path, contents: openapi::fragment(r, openapi::Api::of(spec))?, executable: false },
        );
    }
    add_npm_files(
        name,
        choices,
        &bundles,
        &mut |b, when| renderer.condition(&format!("{b} npm"), when, &ctx),
        &mut files,
    )?;

    let mut list: Vec<PlannedFile> = files.into_values().collect();
    if !scope.without_record {
        let record = project_file::render(spec, &bundles, &list)?;
        list.push(PlannedFile { path: project_file::FILE.into(), contents: record, executable: false });
        list.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(Plan { files: list })
}

/// The `config.schema.json` the bundles of `spec` declare, without any variable the user added.
pub fn schema_for(spec: &ProjectSpec, renderer: &Renderer) -> anyhow::Result<String> {
    let bundles: Vec<Bundle> =
        spec_bundle_ids(spec).iter().map(|id| Bundle::load(id)).collect::<anyhow::Result<_>>()?;
    declared_schema(spec, &bundles, renderer)
}

/// The bundles' variables, then each upstream's base URL (an API gateway's).
fn declared_schema(spec: &ProjectSpec, bundles: &[Bundle], renderer: &Renderer) -> anyhow::Result<String> {
    let mut vars = env_vars(bundles, renderer, &spec.name)?;
    vars.extend(spec.upstreams.iter().enumerate().map(|(i, u)| u.env_var(i)));
    config_schema::schema_document(spec.name.as_str(), &vars.iter().collect::<Vec<_>>())
}

/// The bundles' variables in bundle order; example values may name the project (`{{ project.name }}`).
fn env_vars(bundles: &[Bundle], renderer: &Renderer, name: &ProjectName) -> anyhow::Result<Vec<EnvVar>> {
    let ctx = minijinja::context! { project => minijinja::context! { name => name.as_str() } };
    let mut vars = Vec::new();
    for b in bundles {
        for v in &b.manifest.env {
            let mut v = v.clone();
            if let Some(example) = &v.example {
                v.example = Some(renderer.render(&format!("{}/bundle.toml env {}", b.id, v.name), example, &ctx)?);
            }
            // A string default may name the project too (the auth service's token issuer).
            if let Some(serde_json::Value::String(default)) = &v.default
                && default.contains("{{")
            {
                let text = renderer.render(&format!("{}/bundle.toml env {} default", b.id, v.name), default, &ctx)?;
                v.default = Some(serde_json::Value::String(text));
            }
            vars.push(v);
        }
    }
    Ok(vars)
}

/// Re-renders every fenced region from the registrations of every bundle instance (empty when
/// none register), in instance order.
fn fill_fences(
    instances: &[(&Bundle, Value)],
    renderer: &mut Renderer,
    files: &mut BTreeMap<String, PlannedFile>,
) -> anyhow::Result<()> {
    let mut bodies: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (bundle, ctx) in instances {
        for (i, reg) in bundle.manifest.registrations.iter().enumerate() {
            let name = format!("{}/bundle.toml registration {}", bundle.id, i + 1);
            let text = match ctx.get_attr("resource").ok().filter(|r| !r.is_undefined()) {
                Some(r) => renderer.render_memo(
                    &name,
                    &r.get_attr("name").map(|n| n.to_string()).unwrap_or_default(),
                    &reg.text,
                    ctx,
                )?,
                None => renderer.render_cached(&name, &reg.text, ctx)?,
            };
            bodies
                .entry((reg.file.clone(), reg.fence.clone()))
                .or_default()
                .extend(text.trim_end_matches('\n').lines().map(str::to_owned));
        }
    }
    for (file, fence_name) in bodies.keys() {
        let target =
            files.get(file).with_context(|| format!("a bundle registers into `{file}`, which no bundle writes"))?;
        if !fence::find(file, &target.contents)?.iter().any(|f| &f.name == fence_name) {
            bail!("a bundle registers into fence `{fence_name}` of `{file}`, which has no such fence");
        }
    }
    // Registration fences are re-rendered whole (empty when nothing registers: templates leave
    // them empty). Fences nobody registers into keep what their template rendered; they mark
    // regions espresso re-renders in a file the user edited (the README's configuration table).
    let registered: std::collections::BTreeSet<(String, String)> = instances
        .iter()
        .flat_map(|(b, _)| b.manifest.registrations.iter().map(|r| (r.file.clone(), r.fence.clone())))
        .collect();
    for file in files.values_mut() {
        for f in fence::find(&file.path, &file.contents)? {
            let key = (file.path.clone(), f.name.clone());
            if registered.contains(&key) {
                let body = bodies.get(&key).map(Vec::as_slice).unwrap_or_default();
                file.contents = fence::fill(&file.path, &file.contents, &f.name, body)?;
            }
        }
    }
    Ok(())
}

/// Merges the bundles' npm dependencies into `package.json` and adds the matching lockfile.
fn add_npm_files(
    name: &ProjectName,
    choices: &Choices,
    bundles: &[Bundle],
    applies: &mut dyn FnMut(&str, &str) -> anyhow::Result<bool>,
    files: &mut BTreeMap<String, PlannedFile>,
) -> anyhow::Result<()> {
    let (deps, dev) = npm_dependencies(bundles, applies)?;
    let Some(pkg) = files.get_mut("package.json") else { return Ok(()) };
    pkg.contents = package_json::with_dependencies(&pkg.contents, &deps, &dev)?;
    let lock = package_json::lockfile(choices.language, name.as_str(), &deps, &dev)?;
    files.insert(
        "package-lock.json".into(),
        PlannedFile { path: "package-lock.json".into(), contents: lock, executable: false },
    );
    Ok(())
}

/// The union of the bundles' npm dependencies, with the conditional ones for which
/// `applies(bundle id, when)` holds; two bundles asking for different ranges is a bug.
pub fn npm_dependencies(
    bundles: &[Bundle],
    applies: &mut dyn FnMut(&str, &str) -> anyhow::Result<bool>,
) -> anyhow::Result<(Deps, Deps)> {
    let mut deps = Deps::new();
    let mut dev = Deps::new();
    for b in bundles {
        let npm = &b.manifest.npm;
        let mut wanted: Vec<(bool, &BTreeMap<String, String>)> =
            vec![(false, &npm.dependencies), (true, &npm.dev_dependencies)];
        for c in &npm.conditional {
            if applies(&b.id, &c.when)? {
                wanted.push((false, &c.dependencies));
            }
        }
        for (is_dev, source) in wanted {
            let target = if is_dev { &mut dev } else { &mut deps };
            for (k, v) in source {
                if let Some(prev) = target.insert(k.clone(), v.clone()).filter(|p| p != v) {
                    bail!("bundle `{}` asks for {k}@{v} but another bundle asks for {k}@{prev}", b.id);
                }
            }
        }
    }
    Ok((deps, dev))
}

/// Every npm dependency any bundle of `language` can bring: the set the union lockfile is
/// resolved for.
pub fn all_npm_dependencies(language: &str) -> anyhow::Result<(Deps, Deps)> {
    let bundles: Vec<Bundle> = crate::templates::bundle::all_bundle_ids()
        .iter()
        .filter(|id| {
            let set = id.split('/').next().unwrap_or_default();
            set == language || ["common", "deploy", "ci"].contains(&set)
        })
        .map(|id| Bundle::load(id))
        .collect::<anyhow::Result<_>>()?;
    // The union lockfile covers every choice.
    npm_dependencies(&bundles, &mut |_, _| Ok(true))
}
