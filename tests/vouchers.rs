//! Vouchers through the real binary: a programme, issuing to a list, the counter's bill
//! with a code, the messages in both languages, and many processes racing with one code.

use crate::support_cli::*;
use serde_json::Value;
use std::path::Path;

/// Valid through the end of next year, whatever today is.
fn until() -> String {
    use chrono::Datelike;
    format!("{}-12-31", chrono::Utc::now().year() + 1)
}

fn shop(d: &Path) -> String {
    one_customer(d);
    let p = json(
        d,
        &[
            "voucher",
            "program",
            "add",
            "--name",
            "Giảm 50k",
            "--kind",
            "amount",
            "--value",
            "50000",
            "--min-bill",
            "200000",
            "--until",
            &until(),
        ],
    );
    assert_eq!(p["benefit"]["amount"], "50000");
    assert_eq!(p["status"], "active");
    let issued = json(
        d,
        &["voucher", "issue", "Giảm 50k", "--filter", "min-visits=0"],
    );
    assert_eq!(
        (issued["issued"].as_i64(), issued["skipped"].as_i64()),
        (Some(1), Some(0))
    );
    let list = json(d, &["voucher", "list", "0966123456"]);
    assert_eq!(list[0]["status"], "usable");
    list[0]["code"].as_str().unwrap().to_owned()
}

#[test]
fn a_voucher_is_applied_once_and_said_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let code = shop(d);
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "150000",
            "--voucher",
            &code,
        ],
        "at least 200,000",
    );
    let r: Value = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "300000",
            "--voucher",
            &code,
        ],
    );
    assert_eq!(r["voucher"]["discount"], "50000");
    assert_eq!(r["purchase"]["paid"], "250000");
    assert_eq!(r["points_earned"], 25);
    let out = kq_vi(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "300000",
            "--voucher",
            &code,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("Phiếu {code} đã được dùng")), "{err}");
    let results = json(d, &["voucher", "program", "results", "Giảm 50k"]);
    assert_eq!(
        (results["issued"].as_i64(), results["redeemed"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(results["revenue"], "300000");
    // A typing mistake is told from an unknown code.
    let mut wrong = code.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "300000",
            "--voucher",
            std::str::from_utf8(&wrong).unwrap(),
        ],
        "mistyped",
    );
}

/// Twelve processes bill the same personal code at once: exactly one bill is recorded, the
/// others are refused as used, and the data holds one redemption.
#[test]
fn processes_racing_with_one_code_redeem_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let code = shop(d);
    let children: Vec<_> = (0..12)
        .map(|i| {
            kq_spawn(
                d,
                &[],
                &[
                    "purchase",
                    "add",
                    "--customer",
                    "0966123456",
                    "--amount",
                    "300000",
                    "--voucher",
                    &code,
                    "--id",
                    &format!("till-{i}"),
                ],
            )
        })
        .collect();
    let outcomes: Vec<(Option<i32>, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let won = outcomes.iter().filter(|(c, _)| *c == Some(0)).count();
    assert_eq!(won, 1, "{outcomes:?}");
    for (c, err) in outcomes.iter().filter(|(c, _)| *c != Some(0)) {
        assert_eq!(*c, Some(1));
        assert!(err.contains("already used"), "{err}");
    }
    let conn = rusqlite_conn(&d.join("khachquen.db"));
    let (redemptions, bills): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM voucher_redemptions),
                    (SELECT count(*) FROM purchases)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((redemptions, bills), (1, 1));
}

/// A campaign through the binary: created, launched once (again changes nothing), its
/// messages written, and its results in both languages.
#[test]
fn a_campaign_launches_once_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, phone) in [
        ("An", "0912000101"),
        ("Bình", "0912000102"),
        ("Chi", "0912000103"),
    ] {
        ok(d, &["customer", "add", "--name", name, "--phone", phone]);
        ok(
            d,
            &["purchase", "add", "--customer", phone, "--amount", "500000"],
        );
    }
    json(
        d,
        &[
            "voucher",
            "program",
            "add",
            "--name",
            "Tri ân",
            "--kind",
            "gift",
            "--gift",
            "Móc khóa",
            "--gift-cost",
            "15000",
            "--until",
            &until(),
        ],
    );
    let c = json(
        d,
        &[
            "campaign",
            "add",
            "--name",
            "Cuối năm",
            "--top",
            "2",
            "--program",
            "Tri ân",
            "--points",
            "20",
            "--holdout",
            "0",
            "--template",
            "uu-dai-tri-an",
        ],
    );
    assert_eq!(c["top"], 2);
    let csv = d.join("tin.csv");
    let l = json(
        d,
        &[
            "campaign",
            "launch",
            "Cuối năm",
            "--messages",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (l["launched_now"].as_bool(), l["treated"].as_i64()),
        (Some(true), Some(2))
    );
    assert_eq!(
        (l["vouchers"].as_i64(), l["points"].as_i64()),
        (Some(2), Some(40))
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    let again = json(d, &["campaign", "launch", "Cuối năm"]);
    assert_eq!(
        (again["launched_now"].as_bool(), again["treated"].as_i64()),
        (Some(false), Some(2))
    );
    let r = json(d, &["campaign", "results", "Cuối năm"]);
    assert_eq!(
        (
            r["treated"]["customers"].as_i64(),
            r["holdout"]["customers"].as_i64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(r["points_cost"], "40000");
    let vi = kq_vi(d, &["campaign", "results", "Cuối năm"]);
    let out = String::from_utf8_lossy(&vi.stdout);
    assert!(out.contains("So với không làm gì"), "{out}");
    refused(
        d,
        &["campaign", "add", "--name", "x", "--holdout", "95"],
        "holdout_percent",
    );
}

/// Cards through the binary: numbers for a list (kept on a second run), a shop's own number
/// refused when taken, a purchase found by card number, and a PDF sheet of the list.
#[test]
fn cards_are_numbered_found_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, phone) in [
        ("Nguyễn Thị Hường", "0912000201"),
        ("Trần Văn Đức", "0912000202"),
        ("Lê Ánh", "0912000203"),
    ] {
        ok(d, &["customer", "add", "--name", name, "--phone", phone]);
    }
    let a = json(d, &["card", "assign", "--filter", "search=Nguyen"]);
    assert_eq!(
        (a["customers"].as_i64(), a["assigned"].as_i64()),
        (Some(1), Some(1))
    );
    let again = json(d, &["card", "assign", "--filter", "search=Nguyen"]);
    assert_eq!(again["assigned"], 0);
    let show = json(d, &["customer", "show", "0912000201"]);
    let card = show["customer"]["card_no"].as_str().unwrap().to_owned();
    assert_eq!(card, "2000000000015");
    // The card number is a customer reference like a phone.
    let p = json(
        d,
        &["purchase", "add", "--customer", &card, "--amount", "120000"],
    );
    assert_eq!(p["purchase"]["customer_id"], show["customer"]["id"]);
    ok(d, &["card", "set", "0912000202", "vip-0042"]);
    refused(
        d,
        &["card", "set", "0912000203", "VIP-0042"],
        "already belongs to Trần Văn Đức",
    );
    refused(
        d,
        &["card", "set", "0912000203", "x!"],
        "Invalid card number",
    );
    let pdf = d.join("the.pdf");
    let r = json(d, &["card", "print", pdf.to_str().unwrap()]);
    assert_eq!(
        (
            r["cards"].as_i64(),
            r["pages"].as_i64(),
            r["assigned"].as_i64()
        ),
        (Some(3), Some(1), Some(1))
    );
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    refused(
        d,
        &["card", "print", d.join("the.txt").to_str().unwrap()],
        "choose a .pdf file",
    );
}
