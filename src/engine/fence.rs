//! Fenced regions: lines between `espresso:begin <name>` and `espresso:end <name>` markers (in
//! whatever comment syntax the file uses) belong to espresso and are re-rendered whole from the
//! project state. Everything outside them belongs to the user.

use anyhow::bail;

/// One fence found in a file: marker line indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub name: String,
    pub begin: usize,
    pub end: usize,
}

fn marker<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    let at = line.find(kind)?;
    let rest = line[at + kind.len()..].trim();
    // Allow closing comment syntax after the name (`-->`, `*/`).
    rest.split_whitespace().next()
}

/// Finds every fence in `text`; missing, duplicated, nested or out-of-order markers are errors
/// naming the file and the remedy.
pub fn find(file: &str, text: &str) -> anyhow::Result<Vec<Fence>> {
    let mut fences: Vec<Fence> = Vec::new();
    // Most files have no markers: one search instead of one per line.
    if !text.contains("espresso:") {
        return Ok(fences);
    }
    let mut open: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = marker(line, "espresso:begin") {
            if let Some((outer, at)) = &open {
                bail!(
                    "{file}:{}: fence `{name}` begins inside fence `{outer}` (opened on line {})\nrestore the `espresso:end {outer}` line, or re-create the file",
                    i + 1,
                    at + 1
                );
            }
            if fences.iter().any(|f| f.name == name) {
                bail!(
                    "{file}:{}: fence `{name}` appears twice\nkeep one `espresso:begin {name}` … `espresso:end {name}` region",
                    i + 1
                );
            }
            open = Some((name.to_owned(), i));
        } else if let Some(name) = marker(line, "espresso:end") {
            match open.take() {
                Some((opened, begin)) if opened == name => fences.push(Fence { name: name.to_owned(), begin, end: i }),
                Some((opened, _)) => bail!(
                    "{file}:{}: `espresso:end {name}` closes fence `{opened}`\nrestore the markers so each region is `espresso:begin <name>` … `espresso:end <name>`",
                    i + 1
                ),
                None => bail!(
                    "{file}:{}: `espresso:end {name}` has no matching `espresso:begin {name}` before it\nrestore the `espresso:begin {name}` line above it",
                    i + 1
                ),
            }
        }
    }
    if let Some((name, at)) = open {
        bail!("{file}:{}: fence `{name}` is never closed\nadd an `espresso:end {name}` line after its region", at + 1);
    }
    Ok(fences)
}

/// Replaces the body of fence `name` with `body` lines. Line endings follow the file (CRLF stays
/// CRLF) and the final newline, or its absence, is kept.
pub fn fill(file: &str, text: &str, name: &str, body: &[String]) -> anyhow::Result<String> {
    let fences = find(file, text)?;
    let Some(fence) = fences.iter().find(|f| f.name == name) else {
        bail!(
            "{file}: fence `{name}` is missing\nrestore the `espresso:begin {name}` and `espresso:end {name}` lines, or re-create the file"
        );
    };
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(lines.len() + body.len());
    out.extend_from_slice(&lines[..=fence.begin]);
    out.extend(body.iter().map(String::as_str));
    out.extend_from_slice(&lines[fence.end..]);
    let mut joined = out.join(eol);
    if text.ends_with('\n') {
        joined.push_str(eol);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "const a = {\n  // espresso:begin deps\n  old: 1,\n  // espresso:end deps\n};\n";

    #[test]
    fn fill_replaces_only_the_region() {
        let out = fill("f.js", FILE, "deps", &["  pg: 2,".into(), "  redis: 3,".into()]).unwrap();
        assert_eq!(out, "const a = {\n  // espresso:begin deps\n  pg: 2,\n  redis: 3,\n  // espresso:end deps\n};\n");
    }

    #[test]
    fn fill_keeps_crlf_and_a_missing_final_newline() {
        let crlf = FILE.replace('\n', "\r\n");
        let out = fill("f.js", crlf.trim_end(), "deps", &[]).unwrap();
        assert_eq!(out, "const a = {\r\n  // espresso:begin deps\r\n  // espresso:end deps\r\n};");
    }

    #[test]
    fn broken_fences_are_errors_with_a_remedy() {
        let missing_end = "// espresso:begin deps\nx\n";
        assert!(find("f.js", missing_end).unwrap_err().to_string().contains("never closed"));
        let twice = "// espresso:begin a\n// espresso:end a\n// espresso:begin a\n// espresso:end a\n";
        assert!(find("f.js", twice).unwrap_err().to_string().contains("appears twice"));
        let reversed = "// espresso:end a\n// espresso:begin a\n";
        assert!(find("f.js", reversed).unwrap_err().to_string().contains("no matching"));
        let nested = "// espresso:begin a\n// espresso:begin b\n// espresso:end b\n// espresso:end a\n";
        assert!(find("f.js", nested).unwrap_err().to_string().contains("inside fence"));
        let crossed = "// espresso:begin a\nx\n// espresso:end b\n";
        let err = format!("{:#}", find("f.js", crossed).unwrap_err());
        assert!(
            err.contains("f.js:3: `espresso:end b` closes fence `a`") && err.contains("restore the markers"),
            "{err}"
        );
        let err = fill("f.js", "x\n", "deps", &[]).unwrap_err().to_string();
        assert!(err.contains("f.js: fence `deps` is missing") && err.contains("restore"));
    }
}
