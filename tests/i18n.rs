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
        include_str!("../src-tauri/src/cli.rs"),
        include_str!("../src-tauri/src/cli/care.rs"),
        include_str!("../src-tauri/src/cli/report.rs"),
        include_str!("../src-tauri/src/cli/audit.rs"),
        include_str!("../src-tauri/src/cli/staff.rs"),
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
