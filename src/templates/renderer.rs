//! The minijinja environment used for every template, with the settings code generation needs.

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase, ToUpperCamelCase};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

pub struct Renderer {
    env: Environment<'static>,
    /// Rendered registrations by template and resource: identical in the two plans of a change.
    memo: std::collections::HashMap<(String, String), String>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Self {
        let mut env = Environment::new();
        // Generated files are code, never HTML: no escaping, whatever the extension.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("kebab", |s: &str| s.to_kebab_case());
        env.add_filter("snake", |s: &str| s.to_snake_case());
        env.add_filter("pascal", |s: &str| s.to_upper_camel_case());
        env.add_filter("camel", |s: &str| s.to_lower_camel_case());
        env.add_filter("shouty_snake", |s: &str| s.to_shouty_snake_case());
        env.add_filter("title_words", |s: &str| s.to_title_case());
        // A YAML/JSON-safe double-quoted string.
        env.add_filter("quoted", |s: &str| serde_json::to_string(s).unwrap_or_default());
        // Partials (`_name.jinja` in a bundle) are included by path from the bundle's templates:
        // `{% include "deploy/monitoring/_rules.yaml.jinja" %}`.
        for dir in crate::templates::bundle::TEMPLATES.dirs().flat_map(|set| set.dirs()) {
            for file in dir.files() {
                let is_partial = file
                    .path()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('_') && n.ends_with(crate::templates::bundle::TEMPLATE_SUFFIX));
                if let (true, Some(text)) = (is_partial, file.contents_utf8()) {
                    let name = file.path().to_string_lossy().replace('\\', "/");
                    // A partial that does not parse is missing to the render that includes it, which
                    // fails naming it; the hygiene tests render every bundle.
                    let _ = env.add_template_owned(name, text.to_owned());
                }
            }
        }
        Self { env, memo: Default::default() }
    }

    /// Evaluates a condition such as a manifest entry's `when`.
    pub fn condition(&self, name: &str, expr: &str, ctx: &Value) -> anyhow::Result<bool> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| anyhow::anyhow!("{name}: invalid condition `{expr}`: {e:#}"))?;
        let value = compiled.eval(ctx).map_err(|e| anyhow::anyhow!("{name}: condition `{expr}` failed: {e:#}"))?;
        Ok(value.is_true())
    }

    /// Renders a template that is rendered many times with different contexts (a registration,
    /// once per resource), compiling it only the first time.
    pub fn render_cached(&mut self, name: &str, source: &str, ctx: &Value) -> anyhow::Result<String> {
        if self.env.get_template(name).is_err() {
            self.env
                .add_template_owned(name.to_owned(), source.to_owned())
                .map_err(|e| anyhow::anyhow!("template `{name}`: {e:#}"))?;
        }
        let template = self.env.get_template(name).map_err(|e| anyhow::anyhow!("template `{name}`: {e:#}"))?;
        template.render(ctx).map_err(|e| anyhow::anyhow!("template `{name}`: {e:#}"))
    }

    /// Like [`Renderer::render_cached`], remembering the result under `key`: for a template whose
    /// output depends only on what `key` names (a registration and its resource).
    pub fn render_memo(&mut self, name: &str, key: &str, source: &str, ctx: &Value) -> anyhow::Result<String> {
        let id = (name.to_owned(), key.to_owned());
        if let Some(text) = self.memo.get(&id) {
            return Ok(text.clone());
        }
        let text = self.render_cached(name, source, ctx)?;
        self.memo.insert(id, text.clone());
        Ok(text)
    }

    /// Renders one template; `name` is used in error messages.
    pub fn render(&self, name: &str, source: &str, ctx: &Value) -> anyhow::Result<String> {
        self.env.render_named_str(name, source, ctx).map_err(|e| anyhow::anyhow!("template `{name}`: {e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn case_filters_follow_heck() {
        let r = Renderer::new();
        let out = r
            .render(
                "t",
                "{{ n|pascal }} {{ n|camel }} {{ n|snake }} {{ n|kebab }} {{ n|shouty_snake }}",
                &context! { n => "order-item" },
            )
            .unwrap();
        assert_eq!(out, "OrderItem orderItem order_item order-item ORDER_ITEM");
    }

    #[test]
    fn nothing_is_escaped_and_trailing_newline_is_kept() {
        let r = Renderer::new();
        let out = r.render("x.json", "{\"a\": \"{{ v }}\"}\n", &context! { v => "<&>" }).unwrap();
        assert_eq!(out, "{\"a\": \"<&>\"}\n");
    }

    #[test]
    fn undefined_variables_are_errors() {
        let r = Renderer::new();
        let err = r.render("t.js", "{{ missing }}", &context! {}).unwrap_err();
        assert!(format!("{err:#}").contains("t.js"));
    }
}
