//! Docs name only files that exist: every path under one of the repository's folders that a
//! doc comment, a shader or script comment, a README or a docstring mentions (`tests/data/lif/balanced_network.py`,
//! `shaders/prelude.wgsl`, ...) is in the tree.

use std::path::{Path, PathBuf};

/// The repository's folders whose files the docs name.
const FOLDERS: [&str; 9] = [
    "src/", "tests/", "shaders/", "bench/", "benches/", "scripts/", "python/", "docs/", "cli/",
];
/// The file types they name.
const EXTENSIONS: [&str; 12] = [
    "rs", "py", "wgsl", "npy", "json", "md", "sh", "bin", "toml", "png", "ttf", "txt",
];

fn text_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "data" && name != "__pycache__" {
                text_files(&path, found);
            }
        } else if ["rs", "py", "pyi", "md", "wgsl", "sh", "toml"]
            .iter()
            .any(|e| path.extension().is_some_and(|x| x == *e))
        {
            found.push(path);
        }
    }
}

/// The repository paths named in `text`.
fn named_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for folder in FOLDERS {
        for (at, _) in text.match_indices(folder) {
            let before = text[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '/' || c == '.') {
                continue;
            }
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || "_./-".contains(*c))
                .collect();
            let path = path.trim_end_matches('.');
            if EXTENSIONS.iter().any(|e| path.ends_with(&format!(".{e}"))) {
                found.push(path.to_string());
            }
        }
    }
    found
}

#[test]
fn every_file_the_docs_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "src",
        "python/src",
        "python/gpusci",
        "python/tests",
        "tests",
        "bench",
        "cli/src",
        "cli/tests",
        "cli/benches",
        "shaders",
        "scripts",
    ] {
        text_files(&root.join(dir), &mut files);
    }
    for top in [
        "README.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "Cargo.toml",
        "python/Cargo.toml",
        "cli/Cargo.toml",
        "deny.toml",
        "pyproject.toml",
        ".ci/run",
    ] {
        files.push(root.join(top));
    }
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for path in named_paths(&text) {
            if !root.join(&path).exists() {
                missing.push(format!(
                    "{}: {path}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs name files that do not exist: {missing:#?}"
    );
}

#[test]
fn named_paths_are_found_whole() {
    assert_eq!(
        named_paths("see `shaders/prelude.wgsl`, and tests/data/lif/balanced_network.py."),
        ["tests/data/lif/balanced_network.py", "shaders/prelude.wgsl"]
    );
    assert!(named_paths("python/src/lib.rs's crate::src/ x").contains(&"python/src/lib.rs".into()));
    assert!(named_paths("a folder: src/heatmap/").is_empty());
}
