//! Interactive questions, asked only when a person is at the terminal and `--yes` is absent.
//! Every question has a flag; tests use a prompter that is never attended.

use crate::cli::{Cache, Database, Language, NodeVersion, Preset};
use crate::model::options::{Ci, Deploy};
use console::Term;
use dialoguer::{MultiSelect, Select, theme::ColorfulTheme};

pub trait Prompter {
    /// Whether questions may be asked at all.
    fn attended(&self) -> bool;
    fn database(&mut self, default: Database) -> anyhow::Result<Database>;
    fn cache(&mut self, default: Cache) -> anyhow::Result<Cache>;
    fn deploy(&mut self, default: &[Deploy]) -> anyhow::Result<Vec<Deploy>>;
    fn ci(&mut self, default: &[Ci]) -> anyhow::Result<Vec<Ci>>;
    fn node(&mut self, default: NodeVersion) -> anyhow::Result<NodeVersion>;
    fn language(&mut self, default: Language) -> anyhow::Result<Language>;
    fn preset(&mut self, default: Preset) -> anyhow::Result<Preset>;
}

/// Never asks: the defaults apply (no TTY, or a script).
pub struct Unattended;

impl Prompter for Unattended {
    fn attended(&self) -> bool {
        false
    }
    fn database(&mut self, d: Database) -> anyhow::Result<Database> {
        Ok(d)
    }
    fn cache(&mut self, d: Cache) -> anyhow::Result<Cache> {
        Ok(d)
    }
    fn deploy(&mut self, d: &[Deploy]) -> anyhow::Result<Vec<Deploy>> {
        Ok(d.to_vec())
    }
    fn ci(&mut self, d: &[Ci]) -> anyhow::Result<Vec<Ci>> {
        Ok(d.to_vec())
    }
    fn node(&mut self, d: NodeVersion) -> anyhow::Result<NodeVersion> {
        Ok(d)
    }
    fn language(&mut self, d: Language) -> anyhow::Result<Language> {
        Ok(d)
    }
    fn preset(&mut self, d: Preset) -> anyhow::Result<Preset> {
        Ok(d)
    }
}

/// Asks on the terminal with dialoguer.
pub struct Terminal {
    theme: ColorfulTheme,
}

impl Terminal {
    /// A terminal prompter when both stdin and stderr are terminals, otherwise `None`.
    pub fn detect() -> Option<Self> {
        let interactive = Term::stderr().is_term() && std::io::IsTerminal::is_terminal(&std::io::stdin());
        interactive.then(|| Self { theme: ColorfulTheme::default() })
    }

    fn select(&self, prompt: &str, items: &[&str], default: usize) -> anyhow::Result<usize> {
        Ok(Select::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact_on(&Term::stderr())?)
    }

    fn multi(&self, prompt: &str, items: &[&str], defaults: &[bool]) -> anyhow::Result<Vec<usize>> {
        Ok(MultiSelect::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(items)
            .defaults(defaults)
            .interact_on(&Term::stderr())?)
    }
}

impl Prompter for Terminal {
    fn attended(&self) -> bool {
        true
    }

    fn database(&mut self, d: Database) -> anyhow::Result<Database> {
        let all = [Database::None, Database::Postgres];
        let i =
            self.select("Database (--database)", &["none", "postgres"], all.iter().position(|x| *x == d).unwrap_or(0))?;
        Ok(all[i])
    }

    fn cache(&mut self, c: Cache) -> anyhow::Result<Cache> {
        let all = [Cache::None, Cache::Redis];
        let i = self.select("Cache (--cache)", &["none", "redis"], all.iter().position(|x| *x == c).unwrap_or(0))?;
        Ok(all[i])
    }

    fn deploy(&mut self, d: &[Deploy]) -> anyhow::Result<Vec<Deploy>> {
        let names: Vec<&str> = Deploy::ALL.iter().map(|x| x.as_str()).collect();
        let on: Vec<bool> = Deploy::ALL.iter().map(|x| d.contains(x)).collect();
        Ok(self.multi("Deployment files (--deploy)", &names, &on)?.into_iter().map(|i| Deploy::ALL[i]).collect())
    }

    fn ci(&mut self, c: &[Ci]) -> anyhow::Result<Vec<Ci>> {
        let names: Vec<&str> = Ci::ALL.iter().map(|x| x.as_str()).collect();
        let on: Vec<bool> = Ci::ALL.iter().map(|x| c.contains(x)).collect();
        Ok(self.multi("CI pipelines (--ci)", &names, &on)?.into_iter().map(|i| Ci::ALL[i]).collect())
    }

    fn node(&mut self, n: NodeVersion) -> anyhow::Result<NodeVersion> {
        let all = [NodeVersion::V24, NodeVersion::V26];
        let i =
            self.select("Node.js version (--node)", &["24", "26"], all.iter().position(|x| *x == n).unwrap_or(0))?;
        Ok(all[i])
    }

    fn language(&mut self, l: Language) -> anyhow::Result<Language> {
        let all = [Language::Typescript, Language::Javascript];
        let names = ["typescript", "javascript"];
        let i = self.select("Language (--language)", &names, all.iter().position(|x| *x == l).unwrap_or(0))?;
        Ok(all[i])
    }

    fn preset(&mut self, p: Preset) -> anyhow::Result<Preset> {
        let names: Vec<&str> = Preset::ALL.iter().map(|x| x.as_str()).collect();
        let i =
            self.select("Kind of service (--preset)", &names, Preset::ALL.iter().position(|x| *x == p).unwrap_or(0))?;
        Ok(Preset::ALL[i])
    }
}
