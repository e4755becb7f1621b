//! The library's import graph has no cycles: between capabilities (`crate::x` paths, and the
//! crate root's re-exports such as `crate::Error`), and between the sibling files of one
//! capability (`super::x`, and names `mod.rs` re-exports from a file). A file may use its own
//! parent (`gpu.rs` the `mod.rs` beside it), which routes to it: that is the tree, not a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The code of a file without its comments (doc links name modules without using them).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The first path segment of each item of a `{...}` group (nested groups skipped whole).
fn group_heads(list: &str) -> Vec<String> {
    let (mut heads, mut item, mut depth) = (Vec::new(), String::new(), 0);
    for c in list.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(std::mem::take(&mut item)),
            _ if depth == 0 => item.push(c),
            _ => {}
        }
    }
    heads.push(item);
    heads
        .iter()
        .map(|s| ident(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The names that follow `prefix` in `text`: `prefix::name` and `prefix::{a, b::{c}, d}`.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices(prefix) {
        let before = text[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[at + prefix.len()..];
        if let Some(list) = rest.strip_prefix('{') {
            found.extend(group_heads(list));
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// What a module file re-exports from its children: `pub use child::{A, B}` gives A and B the
/// home `child` (so `crate::A`, or `super::A` in a sibling, is an import of `child`).
fn reexports(text: &str) -> BTreeMap<String, String> {
    let mut homes = BTreeMap::new();
    for statement in text.split(';') {
        let statement = statement.trim();
        let Some(rest) = ["pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| statement.strip_prefix(p))
        else {
            continue;
        };
        let rest = rest.strip_prefix("self::").unwrap_or(rest);
        let child = ident(rest);
        let after = &rest[child.len()..];
        if let Some(list) = after.strip_prefix("::{") {
            for name in group_heads(list) {
                homes.insert(name, child.clone());
            }
        } else if let Some(tail) = after.strip_prefix("::") {
            let name = tail.rsplit(" as ").next().unwrap_or(tail);
            let name = name.rsplit("::").next().unwrap_or(name);
            homes.insert(ident(name.trim()), child.clone());
        }
    }
    homes
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The top-level module a file of `src/` belongs to.
fn top_module(src: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let top = rel.components().next().unwrap().as_os_str();
    top.to_string_lossy().trim_end_matches(".rs").to_string()
}

#[test]
fn capabilities_do_not_import_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let root_names = reexports(&code(&src.join("lib.rs")));
    let files = rust_files(&src);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| top_module(&src, p))
        .filter(|m| m != "lib")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let module = top_module(&src, path);
        if module == "lib" {
            continue;
        }
        for name in names_after(&code(path), "crate::") {
            let home = root_names.get(&name).cloned().unwrap_or(name.clone());
            assert!(
                modules.contains(&home),
                "{}: crate::{name} is neither a module nor a re-export of lib.rs",
                path.display()
            );
            if home != module {
                graph.entry(module.clone()).or_default().insert(home);
            }
        }
    }
    assert!(graph["density"].contains("numpy"), "the graph is read");
    assert!(
        graph["lif"].contains("error"),
        "crate::Error counts as error"
    );
    assert_eq!(
        cycle(&graph),
        None,
        "capabilities import each other in a cycle"
    );
}

#[test]
fn sibling_files_of_a_capability_do_not_import_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let capability = dir.file_name().unwrap().to_string_lossy().into_owned();
        let siblings: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|stem| stem != "mod")
            .collect();
        // What mod.rs re-exports from its files: `super::Name` imports Name's file.
        let homes = reexports(&code(&dir.join("mod.rs")));
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &siblings {
            let text = code(&dir.join(format!("{file}.rs")));
            let used = names_after(&text, "super::")
                .into_iter()
                .chain(names_after(&text, &format!("crate::{capability}::")))
                .map(|name| homes.get(&name).cloned().unwrap_or(name))
                .filter(|name| siblings.contains(name) && name != file);
            graph.entry(file.clone()).or_default().extend(used);
        }
        assert_eq!(
            cycle(&graph),
            None,
            "src/{capability}/: sibling files in a cycle"
        );
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    assert_eq!(cycle(&graph(&[("a", "b"), ("b", "c")])), None);
    let found = cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])).unwrap();
    assert_eq!(found.first(), found.last());
    assert_eq!(found.len(), 4);
    assert_eq!(
        names_after(
            "use super::{gpu::X, heatmap}; super::blur_rows(x)",
            "super::"
        ),
        ["blur_rows", "gpu", "heatmap"].map(String::from).into()
    );
    assert_eq!(
        names_after("use crate::{gpu::{Executor, GpuContext}, blur};", "crate::"),
        ["blur", "gpu"].map(String::from).into()
    );
    let homes = reexports(
        "pub use raster::{write_raster, RASTER_NEURONS};\npub use output::write_output as write;",
    );
    assert_eq!(homes["RASTER_NEURONS"], "raster");
    assert_eq!(homes["write"], "output");
}
