//! The reporter: status lines on stderr as work is applied, plans on stdout. Colour only when
//! enabled (terminal, `--color`, NO_COLOR).

use crate::engine::plan::Plan;
use console::style;
use std::io::Write;
use std::path::Path;

pub struct Reporter {
    quiet: bool,
}

fn size(bytes: usize) -> String {
    if bytes < 1024 { format!("{bytes} B") } else { format!("{:.1} KiB", bytes as f64 / 1024.0) }
}

impl Reporter {
    pub fn new(quiet: bool) -> Self {
        Self { quiet }
    }

    /// `--dry-run`: the plan, on stdout (it is the command's output).
    pub fn dry_run(&self, plan: &Plan, target: &Path) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "would create {} ({} files, {})", target.display(), plan.files.len(), size(plan.total_bytes()))?;
        for f in &plan.files {
            writeln!(out, "  {} {} ({})", style("create").green(), f.path, size(f.contents.len()))?;
        }
        writeln!(out, "dry run: nothing was written")
    }

    /// The files of a new project as they land, then the next steps.
    pub fn created(&self, plan: &Plan, target: &Path) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        for f in &plan.files {
            let _ = writeln!(err, "  {} {}", style("create").green(), f.path);
        }
        let _ = writeln!(
            err,
            "\n{} {} ({} files)\n\nNext:\n  cd {}\n  npm ci\n  npm test\n  npm run dev",
            style("Created").green().bold(),
            target.display(),
            plan.files.len(),
            target.display()
        );
    }

    /// One line of work, as it is applied: `  create src/app.js`.
    pub fn status(&self, verb: &str, path: &str) {
        if self.quiet {
            return;
        }
        let padded = format!("{verb:<6}");
        let styled = match verb {
            "create" => style(padded).green(),
            "delete" => style(padded).red(),
            "keep" => style(padded).yellow(),
            _ => style(padded).cyan(),
        };
        let _ = writeln!(std::io::stderr().lock(), "  {styled} {path}");
    }

    /// `--dry-run` of a change: the unified diff on stdout.
    pub fn diff(&self, diff: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(diff.as_bytes())?;
        if !self.quiet {
            writeln!(std::io::stderr().lock(), "dry run: nothing was written")?;
        }
        Ok(())
    }

    /// An error: the message, its causes, and the remedy on its own line.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {message}", style("error:").red().bold());
        if let Some(h) = hint {
            let _ = writeln!(err, "{} {h}", style("hint:").cyan());
        }
    }
}
