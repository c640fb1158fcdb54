//! The message catalog: every error code and CLI label in both languages.

use khachquen_app::i18n::{lookup, Lang};
use khachquen_core::CoreError;
use serde_json::Value;

fn keys(v: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            let p = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_object() {
                keys(v, &p, out);
            } else {
                out.push(p);
            }
        }
    }
}

fn catalog(file: &str) -> Value {
    let path = format!("{}/ui/i18n/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_error_code_is_translated_in_both_languages() {
    for code in CoreError::CODES {
        for lang in [Lang::Vi, Lang::En] {
            let msg = lookup(lang, &format!("errors.{code}"));
            assert!(
                msg.is_some_and(|m| !m.trim().is_empty()),
                "{code} missing in {lang:?}"
            );
        }
    }
}

/// The params a message may show besides core's: the adapters (i18n.rs, the UI) turn an
/// `auth.forbidden`'s `permission` into `what`, the action in the user's words.
fn shown_params(params: &[&str]) -> Vec<String> {
    let mut shown: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    if params.contains(&"permission") {
        shown.push("what".into());
    }
    shown
}

/// The other way round from core's table: every `errors` key of both catalogs is a code core
/// returns, and each message fills in only params that code carries.
#[test]
fn every_catalog_error_is_a_code_with_its_params() {
    for file in ["vi.json", "en.json"] {
        let cat = catalog(file);
        let errors = cat["errors"].as_object().expect("a flat errors object");
        for (code, msg) in errors {
            let params = CoreError::CODE_PARAMS.iter().find(|(c, _)| c == code);
            let Some((_, params)) = params else {
                panic!("{file}: errors.{code} names no error code of core's table");
            };
            let shown = shown_params(params);
            let msg = msg.as_str().expect("a message is a string");
            // A placeholder is {word}, as ui/lib/i18n.js reads it.
            for part in msg.split('{').skip(1) {
                let Some((name, _)) = part.split_once('}') else {
                    continue;
                };
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                assert!(
                    shown.iter().any(|p| p == name),
                    "{file}: errors.{code} shows {{{name}}}, not one of {shown:?}"
                );
            }
        }
    }
}

const CODES_BEGIN: &str =
    "<!-- error-codes: made from core's table (src-tauri/core/src/error.rs) by \
tests/i18n.rs; KQ_BLESS=1 cargo test --test tests i18n:: rewrites it -->\n";
const CODES_END: &str = "<!-- /error-codes -->";

/// docs/IPC.md's list of error codes as core's table makes it: one line per code, with its
/// params in braces.
fn ipc_codes_list() -> String {
    let mut s = String::new();
    for (code, params) in CoreError::CODE_PARAMS {
        s += &format!("- `{code}`");
        for p in *params {
            s += &format!(" {{{p}}}");
        }
        s.push('\n');
    }
    s
}

#[test]
fn ipc_md_lists_exactly_the_error_codes() {
    let path = format!("{}/docs/IPC.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(CODES_BEGIN)
        .expect("the error-codes list in docs/IPC.md")
        + CODES_BEGIN.len();
    let end = start
        + doc[start..]
            .find(CODES_END)
            .expect("the end of the error-codes list");
    let want = ipc_codes_list();
    if doc[start..end] != want && std::env::var_os("KQ_BLESS").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &doc[..start], &doc[end..])).unwrap();
        return;
    }
    assert!(
        doc[start..end] == want,
        "docs/IPC.md's error codes differ from core's table; KQ_BLESS=1 cargo test --test tests \
         i18n:: rewrites them. Expected:\n{want}"
    );
}

#[test]
fn both_catalogs_have_the_same_keys() {
    let (mut vi, mut en) = (Vec::new(), Vec::new());
    keys(&catalog("vi.json"), "", &mut vi);
    keys(&catalog("en.json"), "", &mut en);
    vi.sort();
    en.sort();
    assert_eq!(vi, en);
}

#[test]
fn every_cli_label_is_translated() {
    let src = [
        include_str!("../src-tauri/cli/src/cli.rs"),
        include_str!("../src-tauri/cli/src/cli/care.rs"),
        include_str!("../src-tauri/cli/src/cli/report.rs"),
        include_str!("../src-tauri/cli/src/cli/audit.rs"),
        include_str!("../src-tauri/cli/src/cli/staff.rs"),
    ]
    .concat();
    let mut found = 0;
    for part in src.split("\"cli.").skip(1) {
        let key: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        for lang in [Lang::Vi, Lang::En] {
            assert!(
                lookup(lang, &format!("cli.{key}")).is_some(),
                "cli.{key} missing in {lang:?}"
            );
        }
        found += 1;
    }
    assert!(found > 10, "the scan found the CLI's labels");
}

#[test]
fn limits_in_messages_read_as_numbers() {
    use khachquen_app::i18n::{core_error, group_digits, Lang};
    assert_eq!(
        group_digits(Lang::Vi, "10000000000").as_deref(),
        Some("10.000.000.000")
    );
    assert_eq!(
        group_digits(Lang::En, "1250000.5").as_deref(),
        Some("1,250,000.5")
    );
    assert_eq!(group_digits(Lang::Vi, "-1000").as_deref(), Some("-1.000"));
    assert_eq!(group_digits(Lang::Vi, "999").as_deref(), Some("999"));
    assert_eq!(group_digits(Lang::Vi, "0912x"), None);
    assert_eq!(group_digits(Lang::Vi, ""), None);
    let e = khachquen_core::CoreError::AmountOverLimit {
        max: "10000000000".into(),
    };
    let vi = core_error(Lang::Vi, &e);
    assert!(vi.contains("10.000.000.000"), "{vi}");
    let en = core_error(Lang::En, &e);
    assert!(en.contains("10,000,000,000"), "{en}");
}
