//! The module layering of `docs/ARCHITECTURE.md` holds: every top-level module of `src/` is on
//! a layer, and imports (`crate::…`) only modules on lower layers, so there is no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layer of each module, read from the table in `docs/ARCHITECTURE.md`.
fn documented_layers(root: &Path) -> BTreeMap<String, u32> {
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let mut layers = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(layer), Some(modules)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(layer) = layer.parse::<u32>() else {
            continue;
        };
        for module in modules.split(',') {
            layers.insert(module.trim().to_owned(), layer);
        }
    }
    layers
}

/// The files of a top-level module: `src/name.rs` and everything under `src/name/`.
fn files_of(src: &Path, module: &str) -> Vec<std::path::PathBuf> {
    let single = src.join(format!("{module}.rs"));
    let mut files: Vec<_> = single.exists().then_some(single).into_iter().collect();
    let mut folders: Vec<_> = Some(src.join(module))
        .filter(|folder| folder.is_dir())
        .into_iter()
        .collect();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The other top-level modules a module names as `crate::name`.
fn imports_of(src: &Path, module: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in files_of(src, module) {
        let text = std::fs::read_to_string(file).unwrap();
        for (index, _) in text.match_indices("crate::") {
            let name: String = text[index + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module && known.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn modules_import_only_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let layers = documented_layers(root);
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .filter(|name| name != "lib" && name != "main")
        .collect();
    let missing: Vec<&String> = modules
        .iter()
        .filter(|m| !layers.contains_key(*m))
        .collect();
    assert!(
        missing.is_empty(),
        "not in docs/ARCHITECTURE.md: {missing:?}"
    );
    let mut breaks = Vec::new();
    for module in &modules {
        for import in imports_of(&src, module, &modules) {
            if layers[&import] >= layers[module] {
                breaks.push(format!(
                    "{module} (layer {}) imports {import} (layer {})",
                    layers[module], layers[&import]
                ));
            }
        }
    }
    assert!(breaks.is_empty(), "{breaks:#?}");
}
