//! The house has no circles: each module imports only from the layers below its own (the map in
//! ARCHITECTURE.md, "The layers"), never from a module beside it, and the files of a folder
//! import one another without a circle. Read from the `crate::` and `super::` paths of every
//! file under `src/`, outside comments and unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The layers of ARCHITECTURE.md's map, bottom first: each a set of module names.
fn layers() -> Vec<BTreeSet<String>> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md"))
        .unwrap_or_else(|e| panic!("ARCHITECTURE.md: {e}"));
    let section = text
        .split("## The layers")
        .nth(1)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no \"## The layers\""));
    let block = section
        .split("```text")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("\"The layers\" has no ```text block"));
    let mut layers: Vec<BTreeSet<String>> = block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let names = l.split("  ").next().unwrap_or("");
            names.split(',').map(|n| n.trim().to_string()).collect()
        })
        .collect();
    layers.reverse();
    layers
}

/// A source file: its module path under `src/` (`["app", "files"]` for `src/app/files/mod.rs`)
/// and its text without comments and without its unit tests.
struct Source {
    path: PathBuf,
    module: Vec<String>,
    code: String,
}

fn sources(dir: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".rs") || name == "tests.rs" {
            continue;
        }
        let rel = path
            .strip_prefix(Path::new(ROOT).join("src"))
            .unwrap_or(&path);
        let mut module: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        out.push(Source {
            path,
            module,
            code: code_of(&text),
        });
    }
}

/// `text` without its `//` comments and its `#[cfg(test)] mod tests` (which may reach anywhere).
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names that follow `prefix` in `code` (`crate::` → `["train", "run"]`), each once; a
/// group `prefix{a, b::c}` gives each of its first names.
fn paths_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The group's entries at its own depth.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.remove("");
    names
}

/// The top-level modules each top-level module imports from.
fn module_imports(all: &[Source]) -> BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> {
    let mut imports: BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> = BTreeMap::new();
    for s in all {
        let Some(top) = s.module.first() else {
            continue;
        };
        // The crate's roots: the library's module list and the binaries.
        if s.module.len() == 1 && ["lib", "main", "desktop"].contains(&top.as_str()) {
            continue;
        }
        let entry = imports.entry(top.clone()).or_default();
        for target in paths_after(&s.code, "crate::") {
            if target != *top {
                entry.entry(target).or_default().push(s.path.clone());
            }
        }
    }
    imports
}

#[test]
fn no_module_imports_from_a_layer_above_or_beside_its_own() {
    let layers = layers();
    let layer_of = |m: &str| layers.iter().position(|l| l.contains(m));
    let mut all = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut all);
    let imports = module_imports(&all);
    let mut wrong = Vec::new();
    for (module, targets) in &imports {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer of ARCHITECTURE.md's map"));
            continue;
        };
        for (target, files) in targets {
            match layer_of(target) {
                Some(l) if l < own => {}
                Some(_) => wrong.push(format!(
                    "{module} imports from {target}, which is not below it ({})",
                    files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                None => wrong.push(format!("{target} is in no layer of ARCHITECTURE.md's map")),
            }
        }
    }
    for name in layers.iter().flatten() {
        if !imports.contains_key(name) && !all.iter().any(|s| s.module.first() == Some(name)) {
            wrong.push(format!("the map names {name}, which src/ does not have"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_files_of_a_folder_import_one_another_without_a_circle() {
    let mut all = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut all);
    // Sibling → sibling: for a file at `a/b[/…]`, `crate::a::c` and (from `a/b` itself)
    // `super::c` are imports of `a/b` from `a/c`.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &all {
        let [top, own, ..] = s.module.as_slice() else {
            continue;
        };
        let from = format!("{top}/{own}");
        let mut targets = paths_after(&s.code, &format!("crate::{top}::"));
        if s.module.len() == 2 {
            targets.extend(paths_after(&s.code, "super::"));
        }
        for t in targets {
            let to = format!("{top}/{t}");
            let sibling = all
                .iter()
                .any(|o| o.module.len() >= 2 && o.module[0] == *top && o.module[1] == t);
            if to != from && sibling {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // A depth-first search for a way back.
    fn circle(
        edges: &BTreeMap<String, BTreeSet<String>>,
        at: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == at) {
            let mut c = path[i..].to_vec();
            c.push(at.to_string());
            return Some(c);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(c) = circle(edges, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        if let Some(c) = circle(&edges, start, &mut Vec::new(), &mut done) {
            panic!("a circle of imports: {}", c.join(" -> "));
        }
    }
}
