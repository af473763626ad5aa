//! Relations between resources: what a resource's context needs to know about the others, the
//! items that refer to it (for its delete) and the items its tests create first (for its
//! references), and the checks a change to the references must pass.

use crate::error::UsageError;
use crate::model::project::ResourceSpec;
use crate::model::resource::{Field, ResourceContext, ResourceName};
use serde::Serialize;
use serde_json::{Map, Value};

/// A reference from another resource to this one.
#[derive(Debug, Serialize)]
pub struct IncomingContext {
    pub source: ResourceName,
    pub field: String,
    pub on_delete: &'static str,
}

/// An item a test creates before one of the resource: a POST of `body_json` (the first set) or
/// `other_json` (the second) to `path`, its own required references filled from `links`.
#[derive(Debug, Serialize)]
pub struct FixtureContext {
    pub name: String,
    pub path: String,
    /// `Customers`, as the resource's files name it.
    pub pascal_plural: String,
    pub body_json: String,
    pub other_json: String,
    /// `{ "customerId": 0 }`: each required reference and the fixture (by index) it points at.
    pub links_json: String,
}

/// One of the resource's own reference fields and the fixture it points at in tests.
#[derive(Debug, Serialize)]
pub struct LinkContext {
    pub field: String,
    pub fixture: usize,
    /// Another reference (its own or a fixture's) points at the same fixture, so deleting it
    /// tests more than this field's rule.
    pub shared: bool,
    pub on_delete: &'static str,
    /// The fixture's collection path (`customers`) and the nested list under it.
    pub target_path: String,
    pub target_words: String,
    /// `a customer`.
    pub target_a: String,
    pub nested: String,
    pub nested_words: String,
}

/// Every reference to resource `target` (by its singular name): the resource that makes it and
/// its field.
pub fn references_to<'a>(
    target: &'a str,
    resources: &'a [ResourceSpec],
) -> impl Iterator<Item = (&'a ResourceSpec, &'a Field)> {
    resources.iter().flat_map(move |r| {
        r.fields.iter().filter(move |f| f.reference().is_some_and(|(t, _)| t == target)).map(move |f| (r, f))
    })
}

/// Required references are followed this deep for fixtures; the commands refuse cycles of
/// required references, so a real project never comes near.
const MAX_FIXTURE_DEPTH: usize = 16;

impl ResourceContext {
    /// The context with what the project's other resources add: who refers to it, and the
    /// fixtures and links its tests need.
    pub fn related(mut self, resources: &[ResourceSpec]) -> Self {
        self.referenced_by = references_to(&self.names.name, resources)
            .map(|(r, f)| IncomingContext {
                source: r.name.clone(),
                field: f.name.clone(),
                on_delete: f.reference().map_or("restrict", |(_, rule)| rule.as_str()),
            })
            .collect();
        if !self.has_references {
            return self;
        }
        for f in &mut self.fields {
            if let Some(reference) = &mut f.reference {
                reference.target_protected =
                    resources.iter().any(|r| r.name.name == reference.target.name && r.protected);
            }
        }
        let mut fixtures = Vec::new();
        let mut uses = Vec::new();
        let mut links = Vec::new();
        for f in &self.fields {
            let Some(reference) = &f.reference else { continue };
            let Some(index) = fixture(&reference.target.name, resources, &mut fixtures, &mut uses, 0) else { continue };
            uses.push(index);
            links.push(LinkContext {
                field: f.name.clone(),
                fixture: index,
                shared: false,
                on_delete: reference.on_delete,
                target_path: reference.target.plural_kebab.clone(),
                target_words: reference.target.singular_words.clone(),
                target_a: reference.target.a_singular.clone(),
                nested: reference.nested.clone(),
                nested_words: reference.nested_words.clone(),
            });
        }
        for link in &mut links {
            link.shared = uses.iter().filter(|&&i| i == link.fixture).count() > 1;
        }
        self.fixtures = fixtures;
        self.links = links;
        self
    }
}

/// The index of the fixture for resource `name`, added (after the fixtures its required
/// references need) when it is not there yet; every required reference it has is counted in `uses`.
fn fixture(
    name: &str,
    resources: &[ResourceSpec],
    fixtures: &mut Vec<FixtureContext>,
    uses: &mut Vec<usize>,
    depth: usize,
) -> Option<usize> {
    if let Some(i) = fixtures.iter().position(|f| f.name == name) {
        return Some(i);
    }
    let spec = resources.iter().find(|r| r.name.name == name)?;
    if depth > MAX_FIXTURE_DEPTH {
        return None;
    }
    let mut links = Map::new();
    for f in spec.fields.iter().filter(|f| !f.optional) {
        if let Some((target, _)) = f.reference() {
            let i = fixture(target, resources, fixtures, uses, depth + 1)?;
            uses.push(i);
            links.insert(f.name.clone(), Value::from(i));
        }
    }
    // Its own examples without its references: the required ones are filled from `links`, the
    // optional ones are left out (null).
    let plain: Vec<Field> = spec.fields.iter().filter(|f| f.reference().is_none()).cloned().collect();
    let context = ResourceContext::new(&spec.name, &plain, spec.protected);
    fixtures.push(FixtureContext {
        name: name.to_owned(),
        path: spec.name.plural_kebab.clone(),
        pascal_plural: spec.name.plural_pascal.clone(),
        body_json: context.example_json,
        other_json: context.other_example_json,
        links_json: Value::Object(links).to_string(),
    });
    Some(fixtures.len() - 1)
}

/// Refuses references of `fields` (to be given to resource `owner`, served in API version
/// `api`) that the project cannot have: to a resource it does not have, to one in another
/// version (its nested list would have no collection to hang from), to `owner` itself, or
/// closing a cycle of required references, whose items could never be created.
pub fn check_references(
    owner: &ResourceName,
    api: &str,
    fields: &[Field],
    resources: &[ResourceSpec],
) -> Result<(), UsageError> {
    for f in fields {
        let Some((target, _)) = f.reference() else { continue };
        if target == owner.name {
            return Err(UsageError::new(format!(
                "field `{}` refers to `{target}` itself, and references within one resource are not supported yet",
                f.name
            ))
            .hint("refer to another resource, or keep the id in a plain field (`:uuid:optional`)"));
        }
        if !resources.iter().any(|r| r.name.name == target) {
            let known: Vec<String> = resources.iter().map(|r| format!("`{}`", r.name.name)).collect();
            return Err(UsageError::new(format!(
                "field `{}` refers to resource `{target}`, which does not exist",
                f.name
            ))
            .hint(if known.is_empty() {
                format!("add it first: `espresso add resource {target} --field <name>...`")
            } else {
                format!("add it first (`espresso add resource {target} ...`), or refer to one of {}", known.join(", "))
            }));
        }
        if let Some(other) = resources.iter().find(|r| r.name.name == target && r.api != api) {
            return Err(UsageError::new(format!(
                "field `{}` refers to `{target}`, which is served in API version `{}`, not `{api}`",
                f.name, other.api
            ))
            .hint("refer to a resource of the same version"));
        }
        if !f.optional && requires(target, &owner.name, resources, 0) {
            return Err(UsageError::new(format!(
                "field `{}` would close a cycle of required references back to `{}`: no item of either could be created first",
                f.name, owner.name
            ))
            .hint(format!("make it optional: `{}:optional`", f.spec())));
        }
    }
    Ok(())
}

/// Whether an item of `from` needs, through required references, an item of `to`.
fn requires(from: &str, to: &str, resources: &[ResourceSpec], depth: usize) -> bool {
    if from == to {
        return true;
    }
    let Some(spec) = resources.iter().find(|r| r.name.name == from) else { return false };
    depth <= MAX_FIXTURE_DEPTH
        && spec
            .fields
            .iter()
            .filter(|f| !f.optional)
            .filter_map(Field::reference)
            .any(|(target, _)| requires(target, to, resources, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, fields: &[&str]) -> ResourceSpec {
        ResourceSpec {
            name: ResourceName::parse(name).unwrap(),
            fields: fields.iter().map(|f| Field::parse(f).unwrap()).collect(),
            protected: false,
            api: "v1".into(),
            events: false,
        }
    }

    #[test]
    fn fixtures_come_before_what_needs_them_once_each_and_shared_links_are_marked() {
        let resources = vec![
            resource("customer", &["name"]),
            resource("order", &["customer:ref(customer)", "total:decimal", "note:ref(note):optional"]),
            resource("note", &["text"]),
            resource("review", &["order:ref(order,cascade)", "editor:ref(customer,set-null):optional"]),
        ];
        let r = &resources[3];
        let context = ResourceContext::new(&r.name, &r.fields, false).related(&resources);
        let paths: Vec<&str> = context.fixtures.iter().map(|f| f.path.as_str()).collect();
        // The order's optional reference to a note is left out; its required one is filled.
        assert_eq!(paths, ["customers", "orders"]);
        assert_eq!(context.fixtures[1].links_json, r#"{"customerId":0}"#);
        assert!(!context.fixtures[1].body_json.contains("noteId"));
        let links: Vec<(&str, usize, bool)> =
            context.links.iter().map(|l| (l.field.as_str(), l.fixture, l.shared)).collect();
        assert_eq!(links, [("orderId", 1, false), ("editorId", 0, true)]);
        let customer = ResourceContext::new(&resources[0].name, &resources[0].fields, false).related(&resources);
        let incoming: Vec<(&str, &str)> =
            customer.referenced_by.iter().map(|i| (i.source.name.as_str(), i.field.as_str())).collect();
        assert_eq!(incoming, [("order", "customerId"), ("review", "editorId")]);
    }

    #[test]
    fn references_to_nothing_to_itself_or_closing_a_required_cycle_are_refused() {
        let resources = vec![resource("customer", &["name"]), resource("order", &["customer:ref(customer)"])];
        let customer = &resources[0].name;
        let fields = |spec: &str| vec![Field::parse(spec).unwrap()];
        assert!(check_references(customer, "v1", &fields("o:ref(order):optional"), &resources).is_ok());
        for (spec, message) in [
            ("o:ref(order)", "cycle"),
            ("p:ref(customer):optional", "itself"),
            ("x:ref(invoice):optional", "does not exist"),
        ] {
            let e = check_references(customer, "v1", &fields(spec), &resources).unwrap_err();
            assert!(e.message.contains(message), "{spec}: {}", e.message);
        }
    }
}
