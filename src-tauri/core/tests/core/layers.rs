//! The house rule of `src/lib.rs`: every arrow between core's files points to the same
//! module or a layer below, and no files import each other in a circle. Read from the
//! source text: each `use crate::…`, `use super::…` and inline `crate::…`/`super::…` path
//! is an arrow from its file to the file of the module it names. Test modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom; a module may use its own layer's modules only where the layer
/// says so (leaves, and the store's parts, may use one another; features may not).
const LAYERS: &[(&[&str], bool)] = &[
    (
        &[
            "error", "text", "money", "phone", "time", "limits", "files", "csvfile", "model",
        ],
        true,
    ),
    (&["db"], true),
    (&["store"], true),
    (&["staff"], false),
    (&["loyalty"], false),
    (&["customers"], false),
    (&["vouchers"], false),
    (&["purchases"], false),
    (&["analytics"], false),
    (&["care"], false),
    (&["campaigns"], false),
    (&["cards"], false),
    (&["outbox"], false),
    (&["transfer"], false),
    (&["backup"], false),
    (&["upgrade"], false),
    (&["connection"], false),
    (&["demo"], false),
    (&["scheduled"], false),
    (&["support"], false),
];

type Module = Vec<String>;

fn layer_of(top: &str) -> Option<(usize, bool)> {
    LAYERS
        .iter()
        .position(|(mods, _)| mods.contains(&top))
        .map(|i| (i, LAYERS[i].1))
}

fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut parts: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                    parts.pop();
                }
                out.insert(parts, path);
            }
        }
    }
    out
}

/// The source without comments, string contents and the `#[cfg(test)] mod tests` block.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push('"');
            }
            // A char literal such as '"' or '{' (a lifetime has no closing quote nearby).
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                let len = if rest.starts_with('\\') {
                    rest.find('\'').map(|i| i + 1)
                } else {
                    (rest.chars().nth(1) == Some('\'')).then_some(2)
                };
                match len {
                    Some(n) => {
                        for _ in 0..n {
                            chars.next();
                        }
                        out.push_str("' '");
                    }
                    None => out.push('\''),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `a::{b, c::{d, e}}` as the paths `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    // Drop renames (`x as y`), then the spaces.
    let mut words = tree.split_whitespace();
    let mut joined = String::new();
    while let Some(w) = words.next() {
        if w == "as" {
            let renamed = words.next().unwrap_or("");
            // keep what closes the tree after the new name: `y}` or `y},`
            joined.extend(renamed.chars().filter(|c| matches!(c, '}' | ',')));
        } else {
            joined.push_str(w);
        }
    }
    let tree = joined;
    let mut out = Vec::new();
    expand_into(&[], &tree, &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    if let Some(open) = tree.find('{') {
        let mut head: Vec<String> = prefix.to_vec();
        head.extend(
            tree[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_into(&head, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < inner.len() {
            expand_into(&head, &inner[start..], out);
        }
    } else if !tree.is_empty() {
        let mut p = prefix.to_vec();
        p.extend(tree.split("::").filter(|s| !s.is_empty()).map(String::from));
        out.push(p);
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every `crate::…`/`super::…` path a file names.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // use trees, braces included
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        rest = after;
        if before.is_some_and(is_ident) {
            continue;
        }
        let tree = after.split(';').next().unwrap_or("").trim();
        if tree.starts_with("crate::") || tree.starts_with("super::") || tree.starts_with("self::")
        {
            out.extend(expand(tree));
        }
    }
    // inline paths
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(root) {
            let at = from + i;
            from = at + root.len();
            if code[..at].chars().last().is_some_and(is_ident) {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':')
                .collect();
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
        }
    }
    out
}

/// The file a path lands in: the longest prefix that is a module.
fn target(from: &Module, path: &[String], mods: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut full: Module = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("super") | Some("self") => from.clone(),
        _ => return None,
    };
    let mut segs = path;
    if segs.first().is_some_and(|s| s == "crate") {
        segs = &segs[1..];
    }
    while let Some(s) = segs.first() {
        match s.as_str() {
            "super" => {
                full.pop();
            }
            "self" => {}
            _ => break,
        }
        segs = &segs[1..];
    }
    full.extend(segs.iter().cloned());
    (1..=full.len())
        .rev()
        .map(|k| full[..k].to_vec())
        .find(|m| mods.contains_key(m))
}

fn arrows(
    src: &Path,
) -> (
    BTreeMap<Module, PathBuf>,
    BTreeMap<Module, BTreeSet<Module>>,
) {
    let mods = modules(src);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, file) in &mods {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for p in paths_in(&code) {
            if let Some(t) = target(m, &p, &mods) {
                if &t != m && !t.is_empty() {
                    edges.entry(m.clone()).or_default().insert(t);
                }
            }
        }
    }
    (mods, edges)
}

/// What breaks the rule in the tree at `src`: arrows up or sideways, unknown top modules,
/// and circles.
fn violations(src: &Path) -> Vec<String> {
    let (mods, edges) = arrows(src);
    let name = |m: &Module| m.join("/");
    let mut bad = Vec::new();
    for m in mods.keys().filter(|m| !m.is_empty()) {
        if layer_of(&m[0]).is_none() {
            bad.push(format!("{} is in no layer of src/lib.rs", name(m)));
        }
    }
    for (from, tos) in &edges {
        if from.is_empty() {
            continue; // lib.rs declares and re-exports
        }
        for to in tos {
            let (Some((lf, _)), Some((lt, shared))) = (layer_of(&from[0]), layer_of(&to[0])) else {
                continue;
            };
            let sideways = lf == lt && from[0] != to[0] && !shared;
            if lt > lf || sideways {
                bad.push(format!("{} uses {} above it", name(from), name(to)));
            }
        }
    }
    // circles, file by file
    let mut state: BTreeMap<&Module, u8> = BTreeMap::new();
    fn visit<'a>(
        m: &'a Module,
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<&'a Module, u8>,
        stack: &mut Vec<&'a Module>,
        bad: &mut Vec<String>,
    ) {
        state.insert(m, 1);
        stack.push(m);
        for t in edges.get(m).into_iter().flatten() {
            match state.get(t) {
                Some(1) => {
                    let at = stack.iter().position(|s| *s == t).unwrap_or(0);
                    let ring: Vec<String> = stack[at..].iter().map(|s| s.join("/")).collect();
                    bad.push(format!("circle: {} -> {}", ring.join(" -> "), t.join("/")));
                }
                Some(_) => {}
                None => visit(t, edges, state, stack, bad),
            }
        }
        stack.pop();
        state.insert(m, 2);
    }
    for m in mods.keys() {
        if !state.contains_key(m) {
            visit(m, &edges, &mut state, &mut Vec::new(), &mut bad);
        }
    }
    bad
}

fn core_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn core_imports_only_downward_and_has_no_circles() {
    let bad = violations(&core_src());
    assert!(bad.is_empty(), "the house rule breaks:\n{}", bad.join("\n"));
}

#[test]
fn the_scan_sees_the_arrows_that_are_there() {
    let (mods, edges) = arrows(&core_src());
    let has = |from: &str, to: &str| {
        let f: Module = from.split('/').map(String::from).collect();
        let t: Module = to.split('/').map(String::from).collect();
        edges.get(&f).is_some_and(|s| s.contains(&t))
    };
    assert!(mods.len() > 40, "{} modules", mods.len());
    // A `use` with braces, a `super::` path and an inline `crate::` path.
    assert!(has("store/seal", "store/audit"));
    assert!(has("analytics/scores", "analytics/clv"));
    assert!(has("customers/mod", "db") || has("customers", "db/customers"));
}

/// A copy of core's tree with one file changed breaks the rule, so the test above can fail.
#[test]
fn an_upward_import_or_a_circle_is_caught() {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&core_src(), copy.path());
    assert!(violations(copy.path()).is_empty());

    // money (a leaf) reaching up into a feature
    let money = copy.path().join("money.rs");
    let text = std::fs::read_to_string(&money).unwrap();
    std::fs::write(&money, format!("use crate::customers::stats;\n{text}")).unwrap();
    let bad = violations(copy.path());
    assert!(
        bad.iter().any(|b| b == "money uses customers above it"),
        "{bad:?}"
    );
    std::fs::write(&money, &text).unwrap();

    // one feature using a later one
    let loyalty = copy.path().join("loyalty/mod.rs");
    let text = std::fs::read_to_string(&loyalty).unwrap();
    std::fs::write(
        &loyalty,
        text.replacen("use ", "use crate::{purchases::{self}, care};\nuse ", 1),
    )
    .unwrap();
    let bad = violations(copy.path());
    assert!(
        bad.iter().any(|b| b == "loyalty uses purchases above it"),
        "{bad:?}"
    );
    assert!(
        bad.iter().any(|b| b == "loyalty uses care above it"),
        "{bad:?}"
    );
    std::fs::write(&loyalty, &text).unwrap();

    // two files of one folder importing each other
    let interactions = copy.path().join("care/interactions.rs");
    let text = std::fs::read_to_string(&interactions).unwrap();
    std::fs::write(
        &interactions,
        format!("fn f() {{\n    super::reminders::x();\n}}\n{text}"),
    )
    .unwrap();
    let bad = violations(copy.path());
    assert!(bad.iter().any(|b| b.starts_with("circle:")), "{bad:?}");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}
