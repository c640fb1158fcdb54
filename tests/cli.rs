//! The real `khachquen` binary on temp data folders: the stable command-line contract.

use crate::support_cli::*;
use khachquen_core::Store;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

#[test]
fn add_find_show_and_record_a_purchase() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Văn Đức",
            "--phone",
            "0912 345 678",
            "--code",
            "KH001",
            "--birthday",
            "1990-05-12",
            "--email",
            "duc@example.com",
            "--tag",
            "VIP",
            "--tag",
            "sỉ",
        ],
    );
    assert_eq!(c["phone"], "0912345678");
    assert_eq!(c["tags"], serde_json::json!(["VIP", "sỉ"]));
    assert!(d.join("khachquen.db").exists());

    let found = json(d, &["customer", "find", "nguyen duc"]);
    assert_eq!(found[0]["name"], "Nguyễn Văn Đức");
    assert_eq!(found[0]["code"], "KH001");
    assert!(ok(d, &["customer", "find", "678"]).contains("Nguyễn Văn Đức"));

    let id = ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "+84 912 345 678",
            "--amount",
            "250000",
            "--at",
            "2026-11-01T10:00",
        ],
    );
    let id: i64 = id.trim().parse().expect("prints the purchase id");
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "KH001",
            "--amount",
            "500000",
            "--item",
            "Tai nghe;1;350000;12",
            "--item",
            "Ốp lưng;2;75000",
            "--payment",
            "transfer",
        ],
    );
    assert_eq!(r["stats"]["visits"], 2);
    assert_eq!(r["stats"]["total_spent"], "750000");
    assert_eq!(r["purchase"]["items"][0]["warranty_months"], 12);

    let show = json(d, &["customer", "show", "0912-345-678"]);
    assert_eq!(show["stats"]["visits"], 2);
    assert_eq!(show["purchases"][1]["id"], id);
    let human = ok(d, &["customer", "show", "KH001"]);
    assert!(
        human.contains("Visits: 2") && human.contains("750000"),
        "{human}"
    );
    let list = json(d, &["purchase", "list", "--customer", "KH001"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));

    let edited = json(
        d,
        &[
            "customer",
            "edit",
            "KH001",
            "--address",
            "12 Lê Lợi, Huế",
            "--birthday",
            "--05-12",
        ],
    );
    assert_eq!(edited["address"], "12 Lê Lợi, Huế");
    assert_eq!(edited["birthday"], "--05-12");
    assert_eq!(edited["email"], "duc@example.com", "unset flags stay");
    ok(d, &["customer", "archive", "KH001"]);
    assert_eq!(json(d, &["customer", "find", "duc"]), serde_json::json!([]));
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Văn Đức",
            "--phone",
            "0912345678",
        ],
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Khác",
            "--phone",
            "+84 912 345 678",
        ],
        "Nguyễn Văn Đức",
    );
    refused(
        d,
        &["customer", "add", "--name", "Khác", "--phone", "12345"],
        "12345",
    );
    refused(
        d,
        &["customer", "add", "--name", " ", "--phone", "0987654321"],
        "name",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--email",
            "x@",
        ],
        "x@",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--birthday",
            "1990-13-01",
        ],
        "1990-13-01",
    );
    refused(
        d,
        &[
            "customer",
            "add",
            "--name",
            "A",
            "--phone",
            "0987654321",
            "--referred-by",
            "0999999999",
        ],
        "0999999999",
    );
    refused(
        d,
        &["customer", "edit", "0900000000", "--name", "B"],
        "0900000000",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "-5",
        ],
        "negative",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "10.5",
        ],
        "VND",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "250.000",
        ],
        "VND",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--item",
            "A;1;900",
        ],
        "900",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--item",
            "no-semicolons",
        ],
        "no-semicolons",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--at",
            "31/12/2026",
        ],
        "31/12/2026",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
            "--payment",
            "barter",
        ],
        "barter",
    );
    refused(d, &["settings", "set", "currency", "XYZ"], "XYZ");
    refused(
        d,
        &["settings", "set", "timezone", "Mars/Base"],
        "Mars/Base",
    );
    refused(d, &["settings", "get", "colour"], "colour");
    ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0912345678",
            "--amount",
            "1000",
        ],
    );
    refused(d, &["settings", "set", "currency", "USD"], "currency");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        // The name is required; the phone is not (issue 15 item 10).
        &["customer", "add", "--phone", "0912345678"][..],
        &["purchase"],
        &["nonsense"],
        &["--lang", "fr", "db", "check"],
    ] {
        assert_eq!(kq(dir.path(), args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn messages_follow_lang() {
    let dir = tempfile::tempdir().unwrap();
    let out = kq_vi(
        dir.path(),
        &["customer", "add", "--name", "A", "--phone", "123"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Số điện thoại") || err.contains("số điện thoại"),
        "{err}"
    );
}

#[test]
fn data_dir_from_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_khachquen"))
        .env("KHACHQUEN_DATA_DIR", dir.path())
        .args(["settings", "set", "shop_name", "Tiệm Cà Phê Mây"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        ok(dir.path(), &["settings", "get", "shop_name"]).trim(),
        "Tiệm Cà Phê Mây"
    );
    assert_eq!(
        json(dir.path(), &["settings", "get", "currency"])["currency"],
        "VND"
    );
}

#[test]
fn newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["db", "check"]);
    let path = dir.path().join("khachquen.db");
    {
        let conn = rusqlite_conn(&path);
        conn.execute_batch("PRAGMA user_version = 999; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let out = kq(dir.path(), &["customer", "find", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn demo_fills_an_empty_shop_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = json(
        dir.path(),
        &[
            "demo",
            "--customers",
            "200",
            "--purchases",
            "1000",
            "--seed",
            "3",
        ],
    );
    assert_eq!(
        (r["customers"].as_u64(), r["purchases"].as_u64()),
        (Some(200), Some(1000))
    );
    let again = kq(
        dir.path(),
        &["demo", "--customers", "10", "--purchases", "10"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(ok(dir.path(), &["db", "check"]).trim(), "ok");
}

#[test]
fn loyalty_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Mai",
            "--phone",
            "0987654321",
        ],
    );
    let shown = ok(d, &["loyalty", "show"]);
    assert!(
        shown.contains("earn_per = 10000") && shown.contains("Kim cương:30000000:2"),
        "{shown}"
    );
    ok(
        d,
        &["loyalty", "set", "min_redeem=20", "max_redeem_percent=40"],
    );
    ok(
        d,
        &[
            "loyalty",
            "tiers",
            "set",
            "Thường:0:1",
            "Thân thiết:2000000:1.5",
        ],
    );
    let cfg = json(d, &["loyalty", "show"]);
    assert_eq!(cfg["rules"]["min_redeem"], 20);
    assert_eq!(cfg["tiers"][1]["name"], "Thân thiết");

    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "2500000",
            "--id",
            "bill-1",
        ],
    );
    assert_eq!(r["points_earned"], 250);
    assert_eq!(r["loyalty"]["tier"], "Thân thiết");
    let again = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "2500000",
            "--id",
            "bill-1",
        ],
    );
    assert_eq!(
        again["purchase"]["id"], r["purchase"]["id"],
        "replay records once"
    );
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "80",
        ],
    );
    assert_eq!(
        (r["points_redeemed"].as_i64(), r["discount"].as_str()),
        (Some(80), Some("80000"))
    );
    assert_eq!(r["loyalty"]["balance"], 250 - 80 + 18);
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "81",
        ],
        "40%",
    );
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "200000",
            "--redeem",
            "10",
        ],
        "20",
    );
    refused(d, &["loyalty", "set", "max_redeem_percent=150"], "150");
    refused(d, &["loyalty", "tiers", "set", "A:100:1"], "0");
    refused(
        d,
        &[
            "points",
            "adjust",
            "0987654321",
            "--delta",
            "5",
            "--reason",
            " ",
        ],
        "reason",
    );

    let adj = json(
        d,
        &[
            "points",
            "adjust",
            "0987654321",
            "--delta",
            "-8",
            "--reason",
            "đổi móc khóa",
        ],
    );
    assert_eq!(adj["loyalty"]["balance"], 180);
    let pid = r["purchase"]["id"].as_i64().unwrap().to_string();
    // Half of the 120.000 ₫ paid in money (80 points paid the rest) undoes half the bill.
    let refund = json(d, &["purchase", "refund", &pid, "--amount", "60000"]);
    assert_eq!(
        (
            refund["points_returned"].as_i64(),
            refund["points_reversed"].as_i64()
        ),
        (Some(40), Some(9))
    );
    let pts = json(d, &["points", "show", "0987654321"]);
    assert_eq!(pts["loyalty"]["balance"], 180 + 40 - 9);
    let kinds: Vec<&str> = pts["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in ["earn", "redeem", "adjust", "refund"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let exp = json(d, &["points", "expire", "--as-of", "2030-01-01"]);
    assert_eq!(exp["expired_points"], 211);
    assert_eq!(
        json(d, &["points", "expire", "--as-of", "2030-01-01"])["expired_points"],
        0
    );
    assert!(ok(d, &["points", "show", "0987654321"]).contains("expire"));
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

// Import and export: real files of every shape a shop brings, through the real binary.

#[test]
fn import_customers_from_csv_utf16_and_xlsx() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    let csv = put(
        files.path(),
        "khach.csv",
        "\u{feff}Mã khách hàng;Tên khách hàng;Điện thoại;Ngày sinh;Nhóm khách hàng\r\n\
         KH001;Nguyễn Văn Đức;0912 345 678;12/05/1990;VIP\r\n\
         KH002;\"Trần Thị; Mai\";+84 987 654 321;;\r\n"
            .as_bytes(),
    );
    let dry = json(d, &["import", "customers", &csv, "--dry-run"]);
    assert_eq!(
        (&dry["rows"], &dry["inserted"], &dry["committed"]),
        (&Value::from(2), &Value::from(2), &Value::from(false))
    );
    assert_eq!(json(d, &["customer", "find", "duc"]), serde_json::json!([]));

    let human = ok(d, &["import", "customers", &csv]);
    assert!(human.contains("Inserted: 2"), "{human}");
    let duc = json(d, &["customer", "show", "KH001"]);
    assert_eq!(duc["customer"]["birthday"], "1990-05-12");
    assert_eq!(duc["customer"]["tags"], serde_json::json!(["VIP"]));
    assert_eq!(
        json(d, &["customer", "find", "0987654321"])[0]["name"],
        "Trần Thị; Mai"
    );
    let again = json(d, &["import", "customers", &csv]);
    assert_eq!(
        (&again["unchanged"], &again["inserted"]),
        (&Value::from(2), &Value::from(0))
    );

    // Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, English headers.
    let utf16 = put(
        files.path(),
        "unicode.txt",
        &utf16le_with_bom(
            "customer_code\tname\tphone\temail\r\n\
             KH001\tNguyễn Văn Đức\t0912345678\tduc@example.com\r\n\
             KH003\tLê An\t0358000678\t\r\n",
        ),
    );
    let r = json(d, &["import", "customers", &utf16]);
    assert_eq!(
        (&r["updated"], &r["inserted"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(
        json(d, &["customer", "show", "KH001"])["customer"]["email"],
        "duc@example.com"
    );

    // A workbook whose customers are on the second sheet, below a title.
    let xlsx = files.path().join("khach.xlsx");
    {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut wb = Workbook::new();
        wb.add_worksheet()
            .set_name("Ghi chú")
            .unwrap()
            .write_string(0, 0, "Xuất ngày 01/03/2026")
            .unwrap();
        let ws = wb.add_worksheet().set_name("Khách").unwrap();
        ws.write_string(0, 0, "DANH SÁCH KHÁCH HÀNG").unwrap();
        for (c, h) in ["Mã KH", "Họ tên", "SĐT", "Ngày sinh"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        ws.write_string(2, 0, "KH004").unwrap();
        ws.write_string(2, 1, "Hoàng Yến").unwrap();
        ws.write_number(2, 2, 903_111_222).unwrap();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        ws.write_datetime_with_format(2, 3, ExcelDateTime::from_ymd(1992, 7, 4).unwrap(), &date)
            .unwrap();
        wb.save(&xlsx).unwrap();
    }
    let xlsx = xlsx.display().to_string();
    refused(
        d,
        &["import", "customers", &xlsx],
        "no header row or no data",
    );
    refused(
        d,
        &["import", "customers", &xlsx, "--sheet", "Nope"],
        "Ghi chú, Khách",
    );
    let r = json(d, &["import", "customers", &xlsx, "--sheet", "Khách"]);
    assert_eq!(r["inserted"], 1, "{r}");
    let yen = json(d, &["customer", "show", "KH004"]);
    assert_eq!(
        yen["customer"]["phone"], "0903111222",
        "leading zero restored"
    );
    assert_eq!(yen["customer"]["birthday"], "1992-07-04");
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn import_purchases_matches_customers_and_creates_missing_ones() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Văn Đức",
            "--phone",
            "0912345678",
            "--code",
            "KH001",
        ],
    );
    let file = put(
        files.path(),
        "hoa-don.csv",
        "Mã hóa đơn,Ngày mua,Mã KH,Khách hàng,Điện thoại,Tổng tiền\n\
         HD1,15/03/2024 14:30,KH001,,,\"1.250.000\"\n\
         HD2,16/03/2024,KH777,Phạm Việt,0903 111 222,250000\n"
            .as_bytes(),
    );
    refused(d, &["import", "purchases", &file], "Line 3, “Mã KH”");
    let r = rejected_json(d, &["import", "purchases", &file]);
    assert_eq!(r["errors"][0]["line"], 3);
    assert_eq!(r["errors"][0]["column"], "Mã KH");
    assert_eq!(r["errors"][0]["message"], "Customer “KH777” was not found.");

    let r = json(d, &["import", "purchases", &file, "--create-missing"]);
    assert_eq!(
        (
            &r["rows"],
            &r["inserted"],
            &r["customers_created"],
            &r["committed"]
        ),
        (
            &Value::from(2),
            &Value::from(2),
            &Value::from(1),
            &Value::from(true)
        )
    );
    assert_eq!(r["errors"], serde_json::json!([]));
    let duc = json(d, &["customer", "show", "KH001"]);
    assert_eq!(duc["stats"]["visits"], 1);
    assert_eq!(duc["stats"]["total_spent"], "1250000");
    assert_eq!(
        duc["loyalty"]["balance"], 0,
        "imported history earns no points"
    );
    assert_eq!(
        json(d, &["customer", "show", "KH777"])["customer"]["name"],
        "Phạm Việt"
    );
    let again = json(d, &["import", "purchases", &file, "--create-missing"]);
    assert_eq!(
        (&again["inserted"], &again["unchanged"]),
        (&Value::from(0), &Value::from(2))
    );
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn malformed_imports_are_refused_with_line_column_and_reason() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    let f = files.path();
    let bad = put(
        f,
        "khach.csv",
        "Tên khách hàng,Điện thoại\r\nAn,0912345678\r\nBình,12345\r\n".as_bytes(),
    );
    refused(d, &["import", "customers", &bad], "Line 3, “Điện thoại”");
    refused(d, &["import", "customers", &bad], "Nothing was written");
    refused(d, &["import", "customers", &bad, "--dry-run"], "12345");
    let r = rejected_json(d, &["import", "customers", &bad]);
    assert_eq!(
        (&r["rows"], &r["rejected"], &r["committed"]),
        (&Value::from(2), &Value::from(1), &Value::from(false))
    );
    assert_eq!(r["errors"][0]["line"], 3);
    assert_eq!(r["errors"][0]["column"], "Điện thoại");
    assert_eq!(
        r["errors"][0]["message"],
        "“12345” is not a valid phone number."
    );

    let out = kq_vi(d, &["import", "customers", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Dòng 3, “Điện thoại”: Số điện thoại “12345” không hợp lệ."),
        "{err}"
    );

    let sum = |amount: &str| {
        put(
            f,
            "mua.csv",
            format!("Điện thoại;Ngày mua;Tổng tiền\n0912345678;01/03/2024;{amount}\n").as_bytes(),
        )
    };
    refused(
        d,
        &["import", "purchases", &sum("12,5")],
        "at most 0 decimal",
    );
    let unquoted = put(
        f,
        "mua2.csv",
        "Điện thoại,Ngày mua,Tổng tiền\n0912345678,01/03/2024,1,250,000\n".as_bytes(),
    );
    refused(
        d,
        &["import", "purchases", &unquoted],
        "has 5 fields but the header has 3",
    );
    let bad_date = put(
        f,
        "mua3.csv",
        "Điện thoại,Ngày mua,Tổng tiền\n0912345678,03/15/2024,250000\n".as_bytes(),
    );
    refused(d, &["import", "purchases", &bad_date], "dd/mm/yyyy");
    refused(
        d,
        &["import", "customers", &put(f, "empty.csv", b"")],
        "no header row",
    );
    refused(
        d,
        &[
            "import",
            "customers",
            &put(f, "latin1.csv", b"T\xean,SDT\nAn,0912345678\n"),
        ],
        "UTF-8",
    );
    refused(
        d,
        &[
            "import",
            "customers",
            &put(f, "broken.xlsx", b"PK\x03\x04 not a zip"),
        ],
        "broken.xlsx is not a readable Excel workbook",
    );
    refused(
        d,
        &[
            "import",
            "customers",
            &f.join("missing.csv").display().to_string(),
        ],
        "missing.csv could not be opened",
    );
    refused(
        d,
        &[
            "import",
            "customers",
            &put(f, "odd.csv", b"Col A,Col B\nx,y\n"),
        ],
        "required field",
    );

    let r = json(d, &["import", "customers", &bad, "--skip-invalid"]);
    assert_eq!(
        (&r["inserted"], &r["rejected"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(
        json(d, &["customer", "find", "0912345678"])[0]["name"],
        "An"
    );
}

#[test]
fn export_customers_purchases_and_points() {
    use calamine::{Data, Reader};
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    let f = files.path();
    ok(d, &["demo", "--customers", "30", "--purchases", "120"]);

    let csv = f.join("khach.csv").display().to_string();
    let r = json(d, &["export", "customers", &csv]);
    assert_eq!(
        (&r["rows"], &r["format"]),
        (&Value::from(30), &Value::from("csv"))
    );
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("ID,Customer code,Customer name,Phone,Birthday"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 31);

    let vi_file = f.join("khach-vi.csv");
    let out = kq_vi(
        d,
        &["export", "customers", vi_file.to_str().expect("utf-8 path")],
    );
    assert!(out.status.success());
    let vi = std::fs::read_to_string(f.join("khach-vi.csv")).unwrap();
    assert!(
        vi.starts_with("\u{feff}ID,Mã khách hàng,Tên khách hàng,Điện thoại"),
        "{vi}"
    );

    let xlsx = f.join("mua.xlsx");
    let r = json(d, &["export", "purchases", &xlsx.display().to_string()]);
    assert_eq!(r["rows"], 120);
    let mut wb = calamine::open_workbook_auto(&xlsx).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    assert_eq!(rows.len(), 121);
    assert_eq!(rows[0][6], Data::String("Total".into()));
    assert!(matches!(rows[1][0], Data::Float(_)), "ids are numbers");
    assert!(matches!(rows[1][1], Data::DateTime(_)), "times are dates");
    assert!(
        matches!(rows[1][6], Data::Float(t) if t > 0.0),
        "money is a number"
    );

    let points = f.join("diem.xlsx").display().to_string();
    let r = json(d, &["export", "points", &points]);
    assert!(r["rows"].as_u64().unwrap() > 0);

    refused(
        d,
        &[
            "export",
            "customers",
            &f.join("x.pdf").display().to_string(),
        ],
        ".csv or .xlsx",
    );
    assert!(!f.join("x.pdf").exists());

    // What was exported comes back in as it was.
    let fresh = tempfile::tempdir().unwrap();
    let r = json(fresh.path(), &["import", "customers", &csv]);
    assert_eq!(
        (&r["inserted"], &r["rejected"]),
        (&Value::from(30), &Value::from(0)),
        "{r}"
    );
}

#[test]
fn backup_create_list_verify_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["demo", "--customers", "50", "--purchases", "200"]);
    let b = json(d, &["backup", "create"]);
    let file = b["file"].as_str().unwrap().to_owned();
    assert!(Path::new(&file).starts_with(d.join("backups")), "{file}");
    assert_eq!(b["counts"]["customers"], 50);
    let list = json(d, &["backup", "list"]);
    assert_eq!(
        (&list[0]["file"], &list[0]["ok"]),
        (&Value::from(file.as_str()), &Value::from(true))
    );
    assert_eq!(
        json(d, &["backup", "verify", &file])["counts"]["purchases"],
        200
    );
    assert!(ok(d, &["backup", "verify", &file]).contains("The backup is sound"));
    let st = json(d, &["backup", "status"]);
    assert_eq!(
        (&st["due"], &st["last_file"]),
        (&Value::from(false), &Value::from(file.as_str()))
    );
    assert!(ok(d, &["backup", "status"]).contains("Last good backup"));

    let before = snapshot(d);
    json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Khách Sau",
            "--phone",
            "0999 111 222",
        ],
    );
    assert_ne!(snapshot(d), before);
    assert!(ok(d, &["backup", "restore", &file]).contains("Restored from"));
    assert_eq!(snapshot(d), before, "the backup's data is back");
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
    let list = json(d, &["backup", "list"]);
    let safety = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["name"]
                .as_str()
                .unwrap()
                .ends_with("-before-restore.kqbackup")
        })
        .expect("a safety copy");
    assert_eq!(safety["info"]["counts"]["customers"], 51);

    let copy = d.join("copy.db").display().to_string();
    ok(d, &["backup", "create", &copy]);
    refused(d, &["backup", "create", &copy], "already exists");
    ok(d, &["backup", "create", &copy, "--force"]);
    assert_eq!(json(d, &["backup", "config", "--keep", "2"])["keep"], 2);
    refused(
        d,
        &["backup", "config", "--keep", "0"],
        "between 1 and 1000",
    );
    refused(
        d,
        &["backup", "config", "--folder", "/no/such/folder"],
        "not found",
    );
    assert!(ok(d, &["backup", "auto"]).contains("already done"));
}

#[test]
fn bad_backups_are_refused_clearly_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["demo", "--customers", "30", "--purchases", "100"]);
    let good = std::fs::read(backup_file(d)).unwrap();
    let bad = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = bad.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let mut corrupt = good.clone();
    let pages = good.len() / 4096;
    for n in pages / 3..pages / 3 + 4 {
        corrupt[n * 4096..n * 4096 + 64].fill(0xA5);
    }
    let foreign = bad.path().join("other.db");
    rusqlite_conn(&foreign)
        .execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    let newer = write("newer.db", &good);
    rusqlite_conn(Path::new(&newer))
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let cases = [
        (write("empty.db", b""), "is empty"),
        (
            write("notes.txt", "Sổ tay, không phải dữ liệu".as_bytes()),
            "not a database file",
        ),
        (write("half.db", &good[..good.len() / 2]), "cut short"),
        (write("corrupt.db", &corrupt), "damaged"),
        (foreign.display().to_string(), "not a Khách Quen one"),
        (newer, "newer version"),
        (
            bad.path().join("missing.db").display().to_string(),
            "not found",
        ),
    ];
    for (file, needle) in &cases {
        refused(d, &["backup", "verify", file], needle);
        refused(d, &["backup", "restore", file], needle);
    }
    assert_eq!(
        json(d, &["backup", "list"]).as_array().unwrap().len(),
        1,
        "no safety copy made"
    );
    let out = kq_vi(d, &["backup", "restore", &cases[2].0]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bị thiếu"));
}

#[test]
fn duplicates_and_merge_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Mai",
            "--phone",
            "0912 345 678",
            "--code",
            "KH1",
        ],
    );
    ok(
        d,
        &["purchase", "add", "--customer", "KH1", "--amount", "300000"],
    );
    ok(d, &["customer", "archive", "KH1"]);
    let new = json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Tran Thi Mai",
            "--phone",
            "+84 912 345 678",
        ],
    );
    let (old, new) = (old["id"].to_string(), new["id"].to_string());
    let dup = json(d, &["customer", "duplicates"]);
    assert_eq!(dup["total"], 1);
    assert_eq!(dup["groups"][0]["reasons"], serde_json::json!(["phone"]));
    assert_eq!(dup["groups"][0]["suggested_keep"].to_string(), new);
    assert!(ok(d, &["customer", "duplicates"]).contains("same phone"));

    let m = json(d, &["customer", "merge", &new, &old]);
    assert_eq!(
        (&m["moved"]["purchases"], &m["stats"]["visits"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(m["kept"]["code"], "KH1");
    assert_eq!(json(d, &["customer", "duplicates"])["total"], 0);
    assert!(ok(d, &["customer", "duplicates"]).contains("No probable duplicates"));
    refused(d, &["customer", "merge", &new, &new], "into themselves");
    refused(d, &["customer", "merge", &new, &old], "already merged");
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn customer_care_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Nguyễn Thị Hương",
            "--phone",
            "0987654321",
            "--gender",
            "female",
            "--birthday",
            "1990-06-17",
        ],
    );
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Văn Nam",
            "--phone",
            "0912345678",
            "--tag",
            "VIP",
        ],
    );
    ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "250000",
            "--at",
            "2026-06-05T10:00",
        ],
    );

    // A fixed day: the birthday (06-17, 3 days before) falls due on 06-14, made that day
    // (found late, on 06-15, it would be today's work rather than overdue).
    let g = json(d, &["reminder", "generate", "--as-of", "2026-06-14"]);
    assert_eq!(g["as_of"], "2026-06-14");
    assert_eq!(g["created"]["birthday"], 1);
    assert_eq!(
        g["created"]["thank_you"], 0,
        "06-06 is outside 06-08..06-14"
    );
    let again = json(d, &["reminder", "generate", "--as-of", "2026-06-15"]);
    assert_eq!(again["total"], 0);

    let r = json(
        d,
        &[
            "reminder",
            "add",
            "0912 345 678",
            "--due",
            "2026-06-15",
            "--title",
            "Gọi báo hàng về",
        ],
    );
    let rid = r["id"].as_i64().expect("id");
    let today = json(
        d,
        &[
            "reminder",
            "list",
            "--due",
            "today",
            "--as-of",
            "2026-06-15",
        ],
    );
    assert_eq!(today.as_array().map(Vec::len), Some(1));
    assert_eq!(today[0]["customer"]["name"], "Trần Văn Nam");
    let overdue = json(
        d,
        &[
            "reminder",
            "list",
            "--due",
            "overdue",
            "--as-of",
            "2026-06-15",
        ],
    );
    assert_eq!(overdue[0]["kind"], "birthday");
    let human = ok(d, &["reminder", "list", "--as-of", "2026-06-15"]);
    assert!(human.contains("Birthday on 2026-06-17"), "{human}");

    let done = json(
        d,
        &[
            "reminder",
            "done",
            &rid.to_string(),
            "--channel",
            "phone",
            "--outcome",
            "Sẽ ghé thứ bảy",
        ],
    );
    assert_eq!(done["status"], "done");
    let log = json(d, &["interaction", "list", "0912345678"]);
    assert_eq!(log[0]["channel"], "phone");
    assert_eq!(log[0]["summary"], "Gọi báo hàng về");
    assert_eq!(log[0]["outcome"], "Sẽ ghé thứ bảy");
    refused(d, &["reminder", "done", &rid.to_string()], "already closed");
    let bid = overdue[0]["id"].as_i64().expect("id").to_string();
    refused(
        d,
        &["reminder", "snooze", &bid, "--to", "2020-01-01"],
        "past date",
    );
    refused(
        d,
        &["reminder", "snooze", &bid, "--to", "31/12/2030"],
        "Invalid date",
    );
    let z = json(d, &["reminder", "snooze", &bid, "--to", "2030-01-02"]);
    assert_eq!(z["due_date"], "2030-01-02");

    let i = json(
        d,
        &[
            "interaction",
            "add",
            "0987654321",
            "--channel",
            "zalo",
            "--summary",
            "Hỏi size áo",
            "--outcome",
            "Đã tư vấn",
        ],
    );
    assert_eq!(i["channel"], "zalo");
    refused(
        d,
        &[
            "interaction",
            "add",
            "0987654321",
            "--channel",
            "pigeon",
            "--summary",
            "x",
        ],
        "Unknown channel",
    );

    let r = json(
        d,
        &["template", "render", "cam-on", "--customer", "0987654321"],
    );
    assert!(
        r["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Chào chị Hương, Khách Quen cảm ơn chị")),
        "{r}"
    );
    let out = kq(
        d,
        &["template", "render", "cam-on", "--customer", "0912345678"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Chào Nam, Khách Quen") && !text.contains('{'),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("xung_ho"));
    refused(
        d,
        &["template", "render", "nope", "--customer", "0912345678"],
        "not found",
    );
    refused(
        d,
        &["template", "set", "x", "--body", "Chào {ten_kh}"],
        "{ten_kh}",
    );

    let csv = d.join("vip.csv");
    let e = json(
        d,
        &[
            "template",
            "export",
            "cam-on",
            "--filter",
            "tag=VIP",
            csv.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(e["rows"], 1);
    let file = std::fs::read_to_string(&csv).expect("csv");
    assert!(file.contains("0912345678,Trần Văn Nam,"), "{file}");
    refused(
        d,
        &[
            "template",
            "export",
            "cam-on",
            "--filter",
            "colour=red",
            "x.csv",
        ],
        "Invalid filter",
    );

    let s = json(
        d,
        &[
            "survey",
            "add",
            "0987654321",
            "--csat",
            "5",
            "--comment",
            "Rất hài lòng",
        ],
    );
    assert_eq!(
        (s["kind"].as_str(), s["score"].as_i64()),
        (Some("csat"), Some(5))
    );
    refused(
        d,
        &["survey", "add", "0987654321", "--nps", "11"],
        "from 0 to 10",
    );
    assert_eq!(
        kq(d, &["survey", "add", "0987654321"]).status.code(),
        Some(2)
    );

    // One reminder for a whole filtered list (a tag here; a segment from the reports too).
    let added = json(
        d,
        &[
            "reminder",
            "add-list",
            "--filter",
            "tag=VIP",
            "--due",
            "2030-01-01",
            "--title",
            "Tri ân",
        ],
    );
    assert_eq!(added["added"], 1);
    refused(
        d,
        &[
            "reminder",
            "add-list",
            "--filter",
            "segment=vip",
            "--due",
            "2030-01-01",
        ],
        "Invalid filter",
    );
    let rules = json(d, &["reminder", "rules", "thank_you.days=2"]);
    assert_eq!(rules["thank_you"]["days"], 2);
    refused(
        d,
        &["reminder", "rules", "win_back.factor=0"],
        "win_back.factor",
    );
}

#[test]
fn warranties_and_tickets_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Hoàng Nam",
            "--phone",
            "0901000006",
        ],
    );
    ok(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0901000006",
            "--amount",
            "400000",
            "--item",
            "Tai nghe;1;300000;12",
            "--item",
            "Cáp;1;100000",
        ],
    );
    let w = json(d, &["warranty", "list", "0901 000 006"]);
    assert_eq!(w["warranties"].as_array().map(Vec::len), Some(1));
    assert_eq!(w["warranties"][0]["active"], true);
    let item = w["warranties"][0]["item_id"]
        .as_i64()
        .expect("item")
        .to_string();
    let t = json(
        d,
        &[
            "ticket",
            "add",
            "0901000006",
            "--title",
            "Mất tiếng",
            "--item",
            &item,
        ],
    );
    let tid = t["id"].as_i64().expect("id").to_string();
    assert_eq!(
        json(d, &["ticket", "status", &tid, "done"])["status"],
        "done"
    );
    refused(d, &["ticket", "status", &tid, "lost"], "Unknown status");
    let human = ok(d, &["warranty", "list", "0901000006"]);
    assert!(
        human.contains("Tai nghe") && human.contains("done"),
        "{human}"
    );
}

#[test]
fn retention_reports_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    // 10 customers at the start of July; the one who last bought on 15 April is lost on
    // 14 July (90 days): a churn rate of 10%.
    for i in 0..10 {
        let phone = format!("09110000{i:02}");
        ok(
            d,
            &[
                "customer",
                "add",
                "--name",
                &format!("Khách {i}"),
                "--phone",
                &phone,
            ],
        );
        let at = if i == 0 {
            "2026-04-15T12:00"
        } else {
            "2026-06-20T12:00"
        };
        ok(
            d,
            &[
                "purchase",
                "add",
                "--customer",
                &phone,
                "--amount",
                "200000",
                "--at",
                at,
                "--staff",
                "Lan",
            ],
        );
    }
    let r = json(
        d,
        &[
            "report",
            "churn",
            "--period",
            "month",
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-31",
        ],
    );
    let july = &r["periods"][0];
    assert_eq!(july["customers_at_start"], 10);
    assert_eq!(july["lost"], 1);
    assert_eq!(july["churn_rate"], 10.0);
    assert_eq!(july["retention_rate"], 90.0);
    for key in ["start", "end", "new", "customers_at_end"] {
        assert!(july.get(key).is_some(), "{key}");
    }
    let r = json(
        d,
        &[
            "report",
            "churn",
            "--period",
            "quarter",
            "--from",
            "2026-04-01",
            "--to",
            "2026-09-30",
            "--inactive-days",
            "30",
        ],
    );
    assert_eq!(r["inactive_days"], 30);
    assert_eq!(r["periods"].as_array().map(Vec::len), Some(2));
    let human = ok(
        d,
        &[
            "report",
            "churn",
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-31",
        ],
    );
    assert!(
        human.contains("2026-07-01\t2026-07-31\t10\t0\t0\t1\t9\t10\t90"),
        "{human}"
    );

    let c = json(
        d,
        &[
            "report",
            "cohorts",
            "--from",
            "2026-04-01",
            "--to",
            "2026-07-31",
        ],
    );
    assert_eq!(c["cohorts"][0]["month"], "2026-04");
    let split = json(
        d,
        &[
            "report",
            "revenue-split",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ],
    );
    assert_eq!(split["returning"], "0");
    let staff = json(
        d,
        &[
            "report",
            "staff",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ],
    );
    assert_eq!(staff["staff"][0]["staff"], "Lan");
    assert_eq!(staff["staff"][0]["purchases"], 10);
    let life = json(d, &["report", "lifecycle"]);
    assert_eq!(life["stages"][1]["stage"], "purchase");
    assert_eq!(life["stages"][1]["count"], 10);
    let rfm = json(d, &["report", "rfm"]);
    assert_eq!(rfm["customers"], 10);
    assert_eq!(rfm["grid"].as_array().map(Vec::len), Some(25));
    // Ten one-time buyers cannot carry a BG/NBD fit: the message names the minimum.
    refused(d, &["report", "clv", "--model", "bgnbd"], "repeat buyers");
    let simple = json(d, &["report", "clv", "--model", "simple"]);
    assert!(simple.get("simple_clv").is_some());
    refused(
        d,
        &["report", "churn", "--from", "2026-13-01"],
        "Invalid report argument",
    );
    assert_eq!(
        kq(d, &["report", "churn", "--period", "week"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn audit_list_and_verify_from_the_command_line() {
    use khachquen_core::store::audit::{NewAuditEntry, Via};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mai = json(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Mai",
            "--phone",
            "0987654321",
        ],
    )["id"]
        .as_i64()
        .unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    {
        let s = Store::open(&d.join("khachquen.db")).unwrap();
        for e in [
            NewAuditEntry::new("Lan", Via::Window, "customer.update", "customer")
                .at(at("2020-03-01T10:00:00+07:00"))
                .entity_id(mai)
                .customer(mai)
                .before(serde_json::json!({"note": null}))
                .after(serde_json::json!({"note": "VIP"})),
            NewAuditEntry::new("Minh", Via::Cli, "purchase.add", "purchase")
                .at(at("2020-03-02T09:30:00+07:00"))
                .entity_id(5)
                .customer(mai),
            NewAuditEntry::new("Owner", Via::Cli, "export.run", "export")
                .at(at("2020-03-03T18:00:00+07:00"))
                .after(serde_json::json!({"kind": "customers"})),
        ] {
            s.audit_append(&e).unwrap();
        }
    }
    // Entries the app itself records are stamped now: --until keeps to the three above.
    let list = |extra: &[&str]| {
        let mut a = vec!["audit", "list", "--until", "2020-12-31"];
        a.extend_from_slice(extra);
        json(d, &a)
    };
    let all = list(&[]);
    assert_eq!(all["total"], 3);
    assert_eq!(all["entries"][0]["action"], "export.run", "newest first");
    assert_eq!(all["entries"][2]["after"]["note"], "VIP");
    assert_eq!(all["entries"][2]["before"]["note"], Value::Null);
    assert_eq!(all["entries"][1]["via"], "cli");
    let purchase_id = all["entries"][1]["id"].as_i64().unwrap();
    assert_eq!(list(&["--staff", "lan"])["total"], 1);
    assert_eq!(list(&["--customer", "0987654321"])["total"], 2);
    assert_eq!(list(&["--since", "2020-03-02"])["total"], 2);
    assert_eq!(list(&["--action", "purchase"])["total"], 1);
    assert_eq!(
        list(&["--limit", "1", "--offset", "1"])["entries"][0]["id"],
        purchase_id
    );
    let text = ok(d, &["audit", "list", "--staff", "Minh"]);
    assert!(
        text.contains("Minh (cli)\tpurchase.add\tpurchase #5"),
        "{text}"
    );
    assert!(ok(d, &["audit", "list", "--staff", "Nobody"]).contains("No audit entries match."));
    refused(
        d,
        &["audit", "list", "--since", "2020-13-01"],
        "Invalid filter",
    );
    refused(
        d,
        &["audit", "list", "--customer", "0900000000"],
        "0900000000",
    );
    assert_eq!(
        kq(d, &["audit", "list", "--limit", "x"]).status.code(),
        Some(2)
    );
    // Intact: exit 0.
    assert!(ok(d, &["audit", "verify"]).contains("The audit log is intact"));
    let v = json(d, &["audit", "verify"]);
    assert_eq!(
        (v["ok"].clone(), v["first_broken"].clone()),
        (Value::Bool(true), Value::Null)
    );
    // Edited with plain SQL (the append-only trigger dropped first): exit 1 naming the entry.
    let conn = rusqlite_conn(&d.join("khachquen.db"));
    conn.execute_batch("DROP TRIGGER audit_log_append_only_update")
        .unwrap();
    conn.execute(
        "UPDATE audit_log SET actor_name = 'Owner' WHERE id = ?1",
        [purchase_id],
    )
    .unwrap();
    drop(conn);
    refused(
        d,
        &["audit", "verify"],
        &format!("Audit entry #{purchase_id} was changed after it was written"),
    );
    let out = kq(d, &["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["id"], purchase_id);
    assert_eq!(v["first_broken"]["reason"], "hash_mismatch");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("#{purchase_id}")));
}

/// Encrypted backups (issue 9): the passphrase comes from an environment variable, never
/// argv; a wrong one or a file cut short is refused and changes nothing.
#[test]
fn encrypted_backups_from_the_command_line() {
    const PASS: &str = "mật khẩu cửa hàng 2026";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A debug binary takes a cheap scrypt work factor from the environment (a release
    // binary ignores it); the passphrase variable is whatever each call sets.
    let run = |args: &[&str], env: &[(&str, &str)]| -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_khachquen"));
        c.arg("--data-dir")
            .arg(d)
            .args(["--lang", "en"])
            .args(args)
            .env_remove("KHACHQUEN_DATA_DIR")
            .env_remove("KHACHQUEN_BACKUP_PASSPHRASE")
            .env("KHACHQUEN_TEST_SCRYPT_LOG_N", "4");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run khachquen")
    };
    let ok = |args: &[&str], env: &[(&str, &str)]| -> String {
        let out = run(args, env);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json = |args: &[&str], env: &[(&str, &str)]| -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&ok(&a, env)).expect("one JSON document")
    };
    let refused = |args: &[&str], env: &[(&str, &str)], needle: &str| {
        let before = snapshot(d);
        let out = run(args, env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("backup.passphrase"), "raw code leaked: {err}");
        assert_eq!(snapshot(d), before, "{args:?} changed the database");
    };
    let pass = [("KHACHQUEN_BACKUP_PASSPHRASE", PASS)];
    ok(
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Bí Mật",
            "--phone",
            "0987 654 321",
            "--birthday",
            "1987-11-23",
        ],
        &[],
    );
    ok(
        &[
            "purchase",
            "add",
            "--customer",
            "0987654321",
            "--amount",
            "450000",
        ],
        &[],
    );

    // Never from argv; --encrypt with no passphrase anywhere is refused.
    assert_eq!(
        run(&["backup", "create", "--passphrase", PASS], &[])
            .status
            .code(),
        Some(2)
    );
    refused(
        &["backup", "create", "--encrypt"],
        &[],
        "No backup passphrase was given",
    );
    let b = json(&["backup", "create", "--encrypt"], &pass);
    let file = b["file"].as_str().unwrap().to_owned();
    assert!(
        file.ends_with(".kqbackup.age") && b["encrypted"] == true,
        "{b}"
    );
    let bytes = std::fs::read(&file).unwrap();
    for needle in ["0987654321", "Bí Mật", "1987-11-23", "SQLite format 3"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} readable in {file}"
        );
    }
    // Another variable, named with --passphrase-env.
    let other = json(
        &[
            "backup",
            "create",
            "--encrypt",
            "--passphrase-env",
            "SHOP_KEY",
        ],
        &[("SHOP_KEY", PASS)],
    );
    assert_eq!(other["encrypted"], true);
    let list = json(&["backup", "list"], &[]);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["encrypted"] == true && e["ok"] == true));
    assert!(ok(&["backup", "list"], &[]).contains("Encrypted"));

    // Verify: without the passphrase "encrypted, passphrase needed"; with it, sound.
    refused(
        &["backup", "verify", &file],
        &[],
        "is encrypted: enter the backup passphrase",
    );
    assert!(ok(&["backup", "verify", &file], &pass).contains("The backup is sound"));
    assert_eq!(
        json(&["backup", "verify", &file], &pass)["counts"]["customers"],
        1
    );

    // Restore: asks, refuses a wrong passphrase and a cut file, then restores.
    let before = snapshot(d);
    ok(
        &[
            "customer",
            "add",
            "--name",
            "Khách Mới",
            "--phone",
            "0999 888 777",
        ],
        &[],
    );
    refused(
        &["backup", "restore", &file],
        &[],
        "is encrypted: enter the backup passphrase",
    );
    refused(
        &["backup", "restore", &file, "--passphrase-env", "WRONG"],
        &[("WRONG", "not the passphrase")],
        "The passphrase does not open",
    );
    let cut = d.join("cut.db.age");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let cut = cut.display().to_string();
    refused(
        &["backup", "restore", &cut],
        &pass,
        "is incomplete or damaged",
    );
    refused(
        &["backup", "verify", &cut],
        &pass,
        "is incomplete or damaged",
    );
    assert!(ok(&["backup", "restore", &file], &pass).contains("Restored from"));
    assert_eq!(snapshot(d), before, "the backup's data is back");

    // A stored passphrase: every backup is encrypted without asking; status says so.
    refused(
        &["backup", "config", "--passphrase-env", "UNSET_VAR"],
        &[],
        "No backup passphrase was given",
    );
    refused(
        &["backup", "config", "--passphrase-env", "SHORT"],
        &[("SHORT", "1234")],
        "at least 8 characters",
    );
    let st = json(
        &["backup", "config", "--passphrase-env", "BK_PASS"],
        &[("BK_PASS", PASS)],
    );
    assert_eq!(st["encryption"], "on");
    let db = std::fs::read(d.join("khachquen.db")).unwrap();
    assert!(!db.windows(PASS.len()).any(|w| w == PASS.as_bytes()));
    assert!(d.join("backup.key").is_file());
    let auto = json(&["backup", "create"], &[]);
    assert_eq!(auto["encrypted"], true);
    assert!(ok(&["backup", "status"], &[]).contains("Encryption: Backups are encrypted"));
    refused(
        &["backup", "create", "--passphrase-env", "WRONG"],
        &[("WRONG", "not the passphrase")],
        "not the backup passphrase set on this computer",
    );
    // A plain file into a shop that encrypts its backups: only with --allow-unencrypted.
    let plain = d.join("plain-from-elsewhere.db");
    std::fs::copy(d.join("khachquen.db"), &plain).unwrap();
    {
        let c = rusqlite::Connection::open(&plain).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
    }
    let plain = plain.display().to_string();
    refused(
        &["backup", "restore", &plain],
        &[],
        "is not encrypted, although this shop encrypts its backups",
    );
    let r = json(&["backup", "restore", &plain, "--allow-unencrypted"], &[]);
    assert_eq!(r["restored"]["encrypted"], false);
    assert!(r["safety_copy"]
        .as_str()
        .unwrap()
        .ends_with(".kqbackup.age"));
    // The key file gone (the data moved to another computer): paused until unlocked.
    std::fs::remove_file(d.join("backup.key")).unwrap();
    assert_eq!(json(&["backup", "status"], &[])["encryption"], "paused");
    refused(&["backup", "create"], &[], "Encrypted backups are paused");
    let st = json(
        &["backup", "config", "--unlock-env", "BK_PASS"],
        &[("BK_PASS", PASS)],
    );
    assert_eq!(st["encryption"], "on");
    // Cleared: plain again.
    assert_eq!(
        json(&["backup", "config", "--no-passphrase"], &[])["encryption"],
        "off"
    );
    let plain = json(&["backup", "create"], &[]);
    assert_eq!(plain["encrypted"], false);
    assert!(plain["file"].as_str().unwrap().ends_with(".kqbackup"));
}

#[test]
fn staff_and_the_owners_pin_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let owner = [("KHACHQUEN_PIN", "2468")];
    // Before staff exist the CLI works as it always did.
    ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Trần Thị Mai",
            "--phone",
            "0987654321",
        ],
    );
    let out = kq_env(
        d,
        &[],
        &["staff", "add", "--name", "Lan", "--role", "owner"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("KHACHQUEN_NEW_PIN"));
    let out = kq_env(
        d,
        &[("KHACHQUEN_NEW_PIN", "12")],
        &["staff", "add", "--name", "Lan", "--role", "owner"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 to 8 digits"));
    let out = kq_env(
        d,
        &[("KHACHQUEN_NEW_PIN", "2468")],
        &["staff", "add", "--name", "Chị Lan", "--role", "owner"],
    );
    assert!(out.status.success(), "{out:?}");
    // Now changes and exports need the owner's PIN; reads do not.
    let csv = d.join("c.csv").display().to_string();
    for args in [
        &[
            "customer",
            "add",
            "--name",
            "Lê Tâm",
            "--phone",
            "0912000111",
        ][..],
        &["export", "customers", &csv],
        &["staff", "list"],
        &["audit", "list"],
    ] {
        refused(d, args, "KHACHQUEN_PIN");
        let wrong = kq_env(d, &[("KHACHQUEN_PIN", "1357")], args);
        assert_eq!(wrong.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&wrong.stderr).contains("Wrong PIN"));
    }
    assert!(!d.join("c.csv").exists());
    assert!(ok(d, &["customer", "find", "mai"]).contains("Trần Thị Mai"));
    // Four wrong PINs so far: a right one resets the count.
    let out = kq_env(
        d,
        &owner,
        &[
            "customer",
            "add",
            "--name",
            "Lê Tâm",
            "--phone",
            "0912000111",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = kq_env(
        d,
        &[("KHACHQUEN_PIN", "2468"), ("KHACHQUEN_NEW_PIN", "1111")],
        &[
            "staff", "add", "--name", "Minh", "--role", "cashier", "--json",
        ],
    );
    let minh: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(minh["role"], "cashier");
    // A cashier's PIN is not the owner's.
    let out = kq_env(
        d,
        &[("KHACHQUEN_PIN", "1111")],
        &["export", "customers", &csv],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = kq_env(d, &owner, &["staff", "list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let out = kq_env(d, &owner, &["staff", "deactivate", "Chị Lan"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one active owner"));
    let out = kq_env(d, &owner, &["staff", "deactivate", &minh["id"].to_string()]);
    assert!(out.status.success(), "{out:?}");
    let out = kq_env(d, &owner, &["export", "customers", &csv]);
    assert!(out.status.success(), "{out:?}");
    // The log names the owner and the CLI; exports are logged too.
    let out = kq_env(
        d,
        &owner,
        &["audit", "list", "--staff", "Chị Lan", "--json"],
    );
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    let acts: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "export.run",
        "staff.deactivate",
        "staff.add",
        "customer.add",
    ] {
        assert!(acts.contains(&want), "{want} not in {acts:?}");
    }
    assert!(page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["via"] == "cli"));
    let out = kq_env(d, &owner, &["audit", "list", "--action", "auth", "--json"]);
    let auth: Value = serde_json::from_slice(&out.stdout).unwrap();
    let denied = auth["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auth.denied")
        .count();
    assert_eq!(denied, 4, "each refused command is logged");
    let out = kq_env(d, &owner, &["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
}

// Issue 14: numbers and dates have limits, on the real binary.

#[test]
fn amounts_and_point_deltas_past_the_limits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    let add = |amount: &'static str| -> Vec<&'static str> {
        vec![
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            amount,
        ]
    };
    refused(
        d,
        &add("9223372036854775807"),
        "at most 10,000,000,000 per bill",
    );
    refused(d, &add("10000000001"), "10,000,000,000");
    let adjust = |delta: &'static str| -> Vec<&'static str> {
        vec![
            "points",
            "adjust",
            "0966123456",
            "--delta",
            delta,
            "--reason",
            "thử",
        ]
    };
    refused(
        d,
        &adjust("9223372036854775807"),
        "at most 10,000,000 points",
    );
    refused(
        d,
        &adjust("-9223372036854775808"),
        "at most 10,000,000 points",
    );
    // The limits themselves go through, and everything still reads and checks.
    ok(d, &add("10000000000"));
    ok(d, &adjust("10000000"));
    assert_eq!(
        json(d, &["points", "show", "0966123456"])["loyalty"]["balance"],
        11_000_000
    );
    assert_eq!(ok(d, &["db", "check"]).trim(), "ok");
}

#[test]
fn ten_huge_imported_bills_are_refused_and_an_old_file_with_them_still_works() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    one_customer(d);
    let mut csv = String::from("Ngày mua,Điện thoại,Tổng tiền\n");
    for day in 1..=10 {
        csv.push_str(&format!(
            "{day:02}/03/2024,0966123456,\"999,999,999,999,999,999\"\n"
        ));
    }
    let file = put(files.path(), "hoa-don.csv", csv.as_bytes());
    refused(d, &["import", "purchases", &file], "Line 2");
    let r = rejected_json(d, &["import", "purchases", &file]);
    assert_eq!(r["rejected"], 10);
    assert_eq!(r["errors"][9]["code"], "limits.amount_over");

    // A file an earlier version wrote, with those ten bills (and its wrapped total) in it.
    {
        let conn = rusqlite_conn(&d.join("khachquen.db"));
        for n in 0..10 {
            conn.execute(
                "INSERT INTO purchases (client_id, customer_id, at, total_minor, payment_method,
                    created_at) VALUES (?1, 1, 1710000000, 999999999999999999, 'cash', 0)",
                [format!("old{n}")],
            )
            .unwrap();
        }
        conn.execute(
            "UPDATE customers SET visits = 10, total_minor = -8446744073709551616 WHERE id = 1",
            [],
        )
        .unwrap();
    }
    assert!(ok(d, &["customer", "find", "ngoc"]).contains("Phan Thị Ngọc"));
    assert_eq!(
        json(d, &["customer", "show", "0966123456"])["purchases"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
    for name in ["khach.csv", "khach.xlsx", "hoa-don.xlsx"] {
        let what = if name.starts_with("hoa") {
            "purchases"
        } else {
            "customers"
        };
        let out = files.path().join(name).display().to_string();
        ok(d, &["export", what, &out]);
    }
    // db check runs and names the problem (the wrapped total) instead of failing on the sums.
    let out = kq(d, &["db", "check", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a check report");
    assert_eq!(
        (&report["ok"], &report["stats_mismatches"]),
        (&Value::from(false), &Value::from(1))
    );
}

#[test]
fn bill_dates_stay_between_2000_and_tomorrow_unless_the_owner_says_otherwise() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = data.path();
    one_customer(d);
    let at = |when: &'static str| -> Vec<&'static str> {
        vec![
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "5000000",
            "--at",
            when,
        ]
    };
    refused(d, &at("0000-01-01"), "outside 2000-01-01");
    refused(d, &at("2062-01-15"), "2062-01-15");
    ok(d, &["settings", "set", "purchase_dates", "any"]);
    assert_eq!(ok(d, &["settings", "get", "purchase_dates"]).trim(), "any");
    refused(d, &at("0000-01-01"), "1900-01-01");
    // With the owner's leave the 2062 bill goes in, and does not freeze her tier.
    let r = json(d, &at("2062-01-15"));
    assert_eq!(r["loyalty"]["tier"], "Thành viên");
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "3000000",
        ],
    );
    assert_eq!(r["loyalty"]["tier"], "Bạc");
    assert_eq!(
        json(d, &["points", "show", "0966123456"])["loyalty"]["tier"],
        "Bạc"
    );
    ok(d, &["settings", "set", "purchase_dates", "recent"]);

    // An existing bill in year 0 (an older version let it in): the XLSX export still works.
    {
        let conn = rusqlite_conn(&d.join("khachquen.db"));
        conn.execute(
            "INSERT INTO purchases (customer_id, at, total_minor, payment_method, created_at)
             VALUES (1, -62167219200, 5000, 'cash', -62167219200)",
            [],
        )
        .unwrap();
    }
    let xlsx = files.path().join("hoa-don.xlsx").display().to_string();
    let r = json(d, &["export", "purchases", &xlsx]);
    assert_eq!(r["rows"], 3);
    ok(d, &["customer", "show", "0966123456"]);
}

#[test]
fn names_of_invisible_or_control_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let add = |name: &'static str| -> Vec<&'static str> {
        vec!["customer", "add", "--name", name, "--phone", "0966123456"]
    };
    refused(
        d,
        &add("\u{200B}\u{200C}\u{FEFF}"),
        "only invisible characters",
    );
    refused(d, &add("An\u{1B}[2J"), "control characters");
    let c = json(d, &add("\u{200B}Ngô Bảo\u{2060}"));
    assert_eq!(c["name"], "Ngô Bảo");
}

/// Wrong and right PINs from many processes at once: each attempt is counted before the
/// PIN is checked, so at most five are ever checked, and once locked even the right PIN waits.
#[test]
fn parallel_pin_guesses_from_many_processes_check_at_most_five() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok_env(
        d,
        &[("KHACHQUEN_NEW_PIN", "2468")],
        &["staff", "add", "--name", "Chị Lan", "--role", "owner"],
    );
    let checked = || {
        let s = Store::open(&d.join("khachquen.db")).unwrap();
        let page = khachquen_core::store::session::as_system(|| {
            s.audit_list(&khachquen_core::staff::audit::AuditFilter {
                action: Some("auth".into()),
                limit: Some(1000),
                ..Default::default()
            })
        })
        .unwrap();
        page.entries
            .iter()
            .filter(|e| e.action == "auth.failed" || e.action == "auth.lockout")
            .count()
    };
    let guess = |pins: Vec<String>| -> Vec<(String, Option<i32>, String)> {
        let children: Vec<_> = pins
            .iter()
            .map(|p| {
                kq_spawn(
                    d,
                    &[("KHACHQUEN_PIN", p.as_str())],
                    &[
                        "customer",
                        "add",
                        "--name",
                        "Khách lạ",
                        "--phone",
                        "0912000111",
                    ],
                )
            })
            .collect();
        pins.into_iter()
            .zip(children)
            .map(|(p, c)| {
                let out = c.wait_with_output().unwrap();
                (
                    p,
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                )
            })
            .collect()
    };
    let wave: Vec<String> = (0..48).map(|i| format!("{}", 1000 + i)).collect();
    let results = guess(wave);
    assert!(
        results.iter().all(|(_, code, _)| *code == Some(1)),
        "{results:?}"
    );
    let wrong = results
        .iter()
        .filter(|(_, _, err)| err.contains("Wrong PIN"))
        .count();
    let locked = results
        .iter()
        .filter(|(_, _, err)| err.contains("locked for"))
        .count();
    assert_eq!(checked(), 5, "{results:?}");
    assert_eq!((wrong, locked), (4, 44), "{results:?}");
    // Now the right PIN among more guesses, all at once: every one waits out the lock.
    let mut wave: Vec<String> = (0..16).map(|i| format!("{}", 3000 + i)).collect();
    wave.insert(7, "2468".into());
    let results = guess(wave);
    for (pin, code, err) in &results {
        assert_eq!(*code, Some(1), "{pin}: {err}");
        assert!(err.contains("locked for"), "{pin}: {err}");
    }
    assert_eq!(checked(), 5, "no PIN was checked while locked");
    let s = Store::open(&d.join("khachquen.db")).unwrap();
    assert!(
        s.search("Khách lạ", 5).unwrap().is_empty(),
        "nothing was added"
    );
}

/// The audit key and anchor outside the database: a log rewritten with every hash
/// recomputed, a role edited with SQL and a points row slipped in are all reported by
/// `audit verify` and `db check`, which show the chain head when all is well.
#[test]
fn a_rewritten_log_and_rows_edited_with_sql_are_reported_on_the_command_line() {
    use rusqlite::types::Value as Sql;
    let pin = [("KHACHQUEN_PIN", "2468")];
    let shop = || {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_owned();
        ok_env(
            &d,
            &[("KHACHQUEN_NEW_PIN", "2468")],
            &["staff", "add", "--name", "Chị Lan", "--role", "owner"],
        );
        ok_env(
            &d,
            &[("KHACHQUEN_PIN", "2468"), ("KHACHQUEN_NEW_PIN", "1111")],
            &["staff", "add", "--name", "Minh", "--role", "cashier"],
        );
        for (name, phone) in [("Trần Thị Mai", "0987654321"), ("Lê Văn Tú", "0912345678")] {
            ok_env(
                &d,
                &pin,
                &["customer", "add", "--name", name, "--phone", phone],
            );
        }
        (dir, d)
    };
    let (_keep, d) = shop();
    let out = ok_env(&d, &pin, &["audit", "verify"]);
    assert!(out.contains("Chain head"), "{out}");
    let v: Value = serde_json::from_str(&ok_env(&d, &pin, &["audit", "verify", "--json"])).unwrap();
    assert!(
        v["ok"].as_bool().unwrap() && v["sealed"].as_bool().unwrap(),
        "{v}"
    );
    let fingerprint = v["head"]["fingerprint"].as_str().unwrap().to_owned();
    assert!(out.contains(&fingerprint), "{out}");
    assert_eq!(v["anchor"], v["head"]);
    assert_eq!(ok_env(&d, &pin, &["db", "check"]).trim(), "ok");
    // The full rewrite: triggers dropped, an entry edited, every hash after it recomputed.
    {
        let conn = rusqlite::Connection::open(d.join("khachquen.db")).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_append_only_update;
             UPDATE audit_log SET actor_name = 'Minh' WHERE id = 2;",
        )
        .unwrap();
        let last: i64 = conn
            .query_row("SELECT max(id) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        for id in 2..=last {
            let fields: Vec<Sql> = conn
                .query_row(
                    "SELECT id, at, actor_id, actor_name, via, action, entity, entity_id,
                            customer_id, before_json, after_json, prev_hash
                     FROM audit_log WHERE id = ?1",
                    [id],
                    |r| (0..12).map(|i| r.get(i)).collect(),
                )
                .unwrap();
            let refs: Vec<rusqlite::types::ValueRef> = fields.iter().map(Into::into).collect();
            let hash = khachquen_core::store::audit::entry_hash(&refs);
            conn.execute(
                "UPDATE audit_log SET hash = ?1 WHERE id = ?2",
                rusqlite::params![hash, id],
            )
            .unwrap();
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?1 WHERE id = ?2",
                rusqlite::params![hash, id + 1],
            )
            .unwrap();
        }
    }
    let out = kq_env(&d, &pin, &["audit", "verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Audit entry #2 no longer matches its seal"),
        "{err}"
    );
    // A cashier made owner with plain SQL.
    let (_keep, d) = shop();
    rusqlite::Connection::open(d.join("khachquen.db"))
        .unwrap()
        .execute("UPDATE staff SET role = 'owner' WHERE name = 'Minh'", [])
        .unwrap();
    for args in [&["audit", "verify"][..], &["db", "check"][..]] {
        let out = kq_env(&d, &pin, args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}: {all}");
        assert!(
            all.contains("changed outside the app (staff #2)"),
            "{args:?}: {all}"
        );
    }
    // Points slipped into the ledger with plain SQL.
    let (_keep, d) = shop();
    rusqlite::Connection::open(d.join("khachquen.db"))
        .unwrap()
        .execute(
            "INSERT INTO points_ledger (customer_id, kind, points, at, created_at)
             VALUES (1, 'bonus', 50000, 0, 0)",
            [],
        )
        .unwrap();
    for args in [&["audit", "verify"][..], &["db", "check"][..]] {
        let out = kq_env(&d, &pin, args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}: {all}");
        assert!(all.contains("points_ledger #1"), "{args:?}: {all}");
    }
}

// ---- Issue 14: hostile paths, bounded imports, a closed stderr ----

#[cfg(unix)]
#[test]
fn export_never_writes_through_a_planted_name() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    ok(d, &["template", "set", "cam-on", "--body", "Cảm ơn {ten}"]);
    let db = d.join("khachquen.db");
    let before = snapshot(d);
    let runs: [&[&str]; 4] = [
        &["export", "customers"],
        &["export", "points"],
        &["export", "purchases"],
        &["template", "export", "cam-on"],
    ];
    for (i, args) in runs.iter().enumerate() {
        let name = if i == 1 {
            "diem.xlsx".to_owned()
        } else {
            format!("out{i}.csv")
        };
        // Every temporary name an export ever used, planted as a link to the live database.
        for planted in [
            format!(".{name}.partial"),
            format!("{name}.tmp"),
            format!(".{name}.tmp"),
        ] {
            symlink(&db, d.join(planted)).unwrap();
        }
        let target = d.join(&name);
        let mut a = args.to_vec();
        a.push(target.to_str().unwrap());
        ok(d, &a);
        let meta = std::fs::symlink_metadata(&target).unwrap();
        assert!(meta.is_file(), "{name} is a file of its own");
        assert!(
            std::fs::symlink_metadata(d.join(format!(".{name}.partial")))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        database_intact(d, &before);
    }
    // The target itself a link to the database: refused by name, nothing written.
    let link = d.join("khach.csv");
    symlink(&db, &link).unwrap();
    refused(
        d,
        &["export", "customers", link.to_str().unwrap()],
        "shop's own data file",
    );
    refused(
        d,
        &["template", "export", "cam-on", link.to_str().unwrap()],
        "shop's own data file",
    );
    database_intact(d, &before);
}

#[cfg(unix)]
#[test]
fn export_onto_the_database_or_its_wal_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    let db = d.join("khachquen.db");
    let before = snapshot(d);
    // The database under its own name (not even a .csv) and its companions.
    for name in ["khachquen.db", "khachquen.db-wal", "khachquen.db-shm"] {
        let out = kq(d, &["export", "customers", d.join(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        database_intact(d, &before);
    }
    // The same files under a .csv name: a hard link to the database, a link to the -wal the
    // running command has open, a detour through "./".
    let hard = d.join("copy.csv");
    std::fs::hard_link(&db, &hard).unwrap();
    let wal = d.join("wal.csv");
    std::os::unix::fs::symlink(d.join("khachquen.db-wal"), &wal).unwrap();
    for target in [hard, wal] {
        refused(
            d,
            &["export", "customers", target.to_str().unwrap()],
            "shop's own data file",
        );
        database_intact(d, &before);
    }
    // Nor onto the outbox beside it: a bill kept while a server (here none: port 1) did not
    // answer exists nowhere else.
    let kept = kq_base(d, "en")
        .args([
            "--database",
            "postgres://kq@127.0.0.1:1/shop",
            "purchase",
            "add",
        ])
        .args(["--customer", "0912345678", "--amount", "5000", "--json"])
        .output()
        .unwrap();
    assert!(
        kept.status.success(),
        "{}",
        String::from_utf8_lossy(&kept.stderr)
    );
    let waiting = ok(d, &["queue", "list", "--json"]);
    let outbox = d.join("outbox.db");
    let outbox_s = outbox.to_str().unwrap();
    let link = d.join("bills.csv");
    std::os::unix::fs::symlink(&outbox, &link).unwrap();
    let link_s = link.to_str().unwrap();
    refused(d, &["export", "customers", link_s], "shop's own data file");
    refused(
        d,
        &["backup", "create", outbox_s, "--force"],
        "database in use",
    );
    assert_eq!(ok(d, &["queue", "list", "--json"]), waiting);
    assert!(waiting.contains("0912345678"), "{waiting}");
    database_intact(d, &before);
}

#[cfg(target_os = "linux")]
#[test]
fn imports_refuse_devices_pipes_folders_and_far_cells_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    let fifo = d.join("khach.csv");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string and a mode; nobody writes to it, so reading it would hang.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let folder = d.join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    for path in [Path::new("/dev/zero"), &fifo, &folder] {
        let p = path.to_str().unwrap();
        refused(d, &["import", "customers", p], "not an ordinary file");
        refused(
            d,
            &["import", "purchases", p, "--dry-run"],
            "not an ordinary file",
        );
    }
    let far = d.join("far.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Tên").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(&far).unwrap();
    refused(
        d,
        &["import", "customers", far.to_str().unwrap()],
        "XFD1048576",
    );
}

#[cfg(unix)]
#[test]
fn a_closed_stderr_or_a_reader_that_left_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    let csv = d.join("khach.csv");
    std::fs::write(&csv, "Tên,Điện thoại\nAn,0987654321\n").unwrap();
    let csv = csv.to_str().unwrap();
    let before = snapshot(d);
    // (arguments, the exit code the command has whatever happens to its output)
    let cases: [(&[&str], i32); 6] = [
        (&["customer", "find", "Ngoc"], 0),
        (&["customer", "find", "Ngoc", "--json"], 0),
        (&["import", "customers", csv, "--dry-run"], 0),
        (&["customer", "show", "nobody"], 1),
        (&["import", "customers", "/dev/zero"], 1),
        (&["customer", "frobnicate"], 2),
    ];
    for (args, code) in cases {
        let status = kq_into_a_closed_pipe(d, args);
        assert_eq!(
            status.code(),
            Some(code),
            "{args:?} into a closed pipe: {status}"
        );
        // `2>&-` and `2>&1 | head -1`, as a shell user writes them.
        let bin = env!("CARGO_BIN_EXE_khachquen");
        let line = args.join(" ");
        let data = d.to_str().unwrap();
        for shell in [
            format!("\"{bin}\" --data-dir \"{data}\" --lang en {line} 2>&-"),
            format!("\"{bin}\" --data-dir \"{data}\" --lang en {line} 2>&1 | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}"),
        ] {
            let status = Command::new("bash")
                .args(["-c", &shell])
                .env_remove("KHACHQUEN_DATA_DIR")
                .env_remove("KHACHQUEN_PIN")
                .stdout(std::process::Stdio::null())
                .status()
                .expect("bash");
            assert_eq!(status.code(), Some(code), "{shell}: {status}");
        }
    }
    // The import above was a dry run; the shop is as it was.
    assert_eq!(snapshot(d), before);
}

// ---- issue 15 (today helper): Vietnamese amounts, file errors, what the summary says ----

/// A purchases workbook whose amounts are text cells, as shops type them.
fn purchases_xlsx(path: &Path, amounts: &[&str]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Điện thoại", "Ngày mua", "Tổng tiền"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, a) in amounts.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, "0966123456").unwrap();
        ws.write_string(r, 1, format!("0{}/03/2024", i + 1))
            .unwrap();
        ws.write_string(r, 2, *a).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn dong_amounts_with_dots_import_from_csv_and_xlsx() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (d, f) = (data.path(), files.path());
    one_customer(d);
    // "99.000" and "1.250.000" in a đồng shop are 99 000 and 1 250 000 đồng.
    let csv = put(
        f,
        "mua.csv",
        "Điện thoại;Ngày mua;Tổng tiền\n0966123456;01/03/2024;99.000\n0966123456;02/03/2024;1.250.000\n0966123456;03/03/2024;250,000 ₫\n"
            .as_bytes(),
    );
    let r = json(d, &["import", "purchases", &csv]);
    assert_eq!(
        (&r["inserted"], &r["rejected"]),
        (&Value::from(3), &Value::from(0)),
        "{r}"
    );
    let c = json(d, &["customer", "show", "0966123456"]);
    assert_eq!(c["stats"]["total_spent"], "1599000", "{c}");

    let book = f.join("mua.xlsx");
    purchases_xlsx(&book, &["99.000", "1.250.000", "2.000"]);
    let book = book.display().to_string();
    // Dates 01..03/03/2024 and the same amounts as the CSV's first two: already there.
    let r = json(d, &["import", "purchases", &book]);
    assert_eq!(
        (&r["inserted"], &r["unchanged"], &r["rejected"]),
        (&Value::from(1), &Value::from(2), &Value::from(0)),
        "{r}"
    );
    let c = json(d, &["customer", "show", "0966123456"]);
    assert_eq!(c["stats"]["total_spent"], "1601000", "{c}");
}

/// Each broken file: exit 1, one sentence naming the file, no library words, nothing written.
#[test]
fn broken_files_get_one_clear_sentence_and_change_nothing() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (d, f) = (data.path(), files.path());
    one_customer(d);
    let good = f.join("good.xlsx");
    purchases_xlsx(&good, &["99.000"]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = put(f, "cut.xlsx", &bytes[..bytes.len() / 2]);
    let renamed = put(
        f,
        "notes.xlsx",
        "Tên,Điện thoại\nAn,0966123456\n".as_bytes(),
    );
    let binary = put(
        f,
        "photo.csv",
        &[0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0xff, 0xd8, 0, 1, 2, 3],
    );
    let empty = put(f, "empty.csv", b"");
    let missing = f.join("gone.csv").display().to_string();
    for (file, kind, en, vi) in [
        (
            &truncated,
            "customers",
            "cut.xlsx is not a readable Excel workbook",
            "cut.xlsx không phải là bảng tính Excel",
        ),
        (
            &renamed,
            "purchases",
            "notes.xlsx is not a readable Excel workbook",
            "notes.xlsx không phải là bảng tính Excel",
        ),
        (
            &binary,
            "customers",
            "photo.csv is not a table",
            "photo.csv không phải là bảng dữ liệu",
        ),
        (
            &empty,
            "customers",
            "no header row or no data",
            "không có dòng tiêu đề",
        ),
        (
            &missing,
            "purchases",
            "gone.csv could not be opened",
            "Không mở được tệp gone.csv",
        ),
    ] {
        refused(d, &["import", kind, file], en);
        let out = kq_vi(d, &["import", kind, file, "--dry-run"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(vi), "{err}");
        let out = kq(d, &["import", kind, file]);
        let err = String::from_utf8_lossy(&out.stderr);
        for raw in [
            "Zip",
            "EOCD",
            "Xlsx error",
            "os error",
            "invalid",
            "No such file",
        ] {
            assert!(
                !err.contains(raw),
                "{file}: library text {raw:?} leaked: {err}"
            );
        }
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
    // The detail is kept for whoever looks into it.
    let log = std::fs::read_to_string(d.join("logs/khachquen.log")).unwrap();
    assert!(
        log.contains("cut.xlsx") && log.contains("not a readable workbook"),
        "{log}"
    );
    // An export that cannot be written says so in one sentence too.
    let nowhere = f
        .join("no-such-folder")
        .join("khach.csv")
        .display()
        .to_string();
    refused(
        d,
        &["export", "customers", &nowhere],
        "khach.csv could not be written",
    );
}

#[test]
fn the_import_summary_says_what_happened() {
    let (data, files) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (d, f) = (data.path(), files.path());
    let file = put(
        f,
        "khach.csv",
        "Tên,Điện thoại\nAn,0912000001\nBình,0912000002\nChi,0912000003\nDung,12345\n".as_bytes(),
    );
    // Refused: nothing written, so nothing "Inserted".
    let out = kq(d, &["import", "customers", &file]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Nothing was written."), "{text}");
    assert!(
        text.contains("To insert: 3") && !text.contains("Inserted"),
        "{text}"
    );
    let out = kq_vi(d, &["import", "customers", &file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Không ghi gì") && !text.contains("Đã thêm"),
        "{text}"
    );
    // A dry run says so first.
    let out = kq(d, &["import", "customers", &file, "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Dry run: nothing was written."), "{text}");
    assert!(!text.contains("Inserted"), "{text}");
    // Written: it says so, and counts what was inserted.
    let text = ok(d, &["import", "customers", &file, "--skip-invalid"]);
    assert!(text.starts_with("Import complete"), "{text}");
    assert!(
        text.contains("Inserted: 3") && text.contains("Rows rejected: 1"),
        "{text}"
    );
}

/// Issue 15 item 10: a regular known by name and card code only, added and found from the
/// command line; the missing phone shows as "-".
#[test]
fn a_customer_without_a_phone_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = kq(
        d,
        &[
            "customer", "add", "--name", "Cô Ba", "--code", "THE-5", "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (c["phone"].clone(), c["code"].as_str()),
        (serde_json::Value::Null, Some("THE-5"))
    );
    let out = kq(d, &["customer", "show", "THE-5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().next().unwrap_or("").ends_with("Cô Ba (-)"),
        "{text}"
    );
    let out = kq(d, &["customer", "find", "co ba"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("THE-5\tCô Ba\t-"));
    // A second one without a phone is fine; a taken code is still refused.
    let out = kq(d, &["customer", "add", "--name", "Chú Tư"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kq(d, &["customer", "add", "--name", "Khác", "--code", "the-5"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Issue 15 item 10: `import purchases --create-missing` makes a customer from a card code
/// alone, with no phone.
#[test]
fn importing_purchases_creates_customers_from_a_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("p.csv");
    std::fs::write(
        &file,
        "Mã KH,Khách hàng,Thời gian,Tổng tiền\nTHE-31,Bà Sáu,2025-04-01 09:00,90000\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = kq(d, &["import", "purchases", f]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "unknown code without --create-missing"
    );
    let out = kq(d, &["import", "purchases", f, "--create-missing"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kq(d, &["customer", "show", "THE-31", "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["customer"]["name"], "Bà Sáu");
    assert_eq!(p["customer"]["phone"], serde_json::Value::Null);
    assert_eq!(p["stats"]["visits"], 1);
}

// ---- issue 16: adapters only adapt ----

/// The report text is core's report table (the rows the export writes), under its notes; a
/// `--item` line is split by the command line and checked by core; the CLV list's default
/// size is core's, the window's too.
#[test]
fn report_text_is_cores_table_and_defaults_are_cores() {
    use khachquen_core::analytics::export::{cell_text, ReportArgs};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    one_customer(d);
    for (at, amount) in [
        ("2025-03-02T10:00", "120000"),
        ("2025-05-09T10:00", "80000"),
    ] {
        let args = [
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            amount,
        ];
        ok(d, &[&args[..], &["--at", at]].concat());
    }
    let range = ["--from", "2025-01-01", "--to", "2025-11-30"];
    for report in ["summary", "churn", "cohorts", "rfm", "lifecycle", "staff"] {
        let ranged = !matches!(report, "rfm" | "lifecycle");
        let text = ok(
            d,
            &[
                &["report", report][..],
                &range[..if ranged { 4 } else { 0 }],
            ]
            .concat(),
        );
        let store = Store::open(&d.join("khachquen.db")).expect("open");
        let args = ReportArgs {
            from: Some("2025-01-01".into()),
            to: Some("2025-11-30".into()),
            period: Some("month".into()),
            ..Default::default()
        };
        let args = if ranged { args } else { ReportArgs::default() };
        let t = store.report_table(report, &args).expect("table");
        let mut want: Vec<String> = t
            .notes
            .iter()
            .map(|(k, v)| match *k {
                "inactive_days" => format!("A customer is lost after days without a purchase: {v}"),
                "computed_at" => format!("Scores computed at: {v}"),
                "stale" => "These scores are over an hour old: run `khachquen report refresh` to recompute them.".into(),
                _ => format!("{k}: {v}"),
            })
            .collect();
        want.push(t.columns.join("\t"));
        for row in &t.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| Some(cell_text(c)).filter(|s| !s.is_empty()))
                .map(|s| s.unwrap_or_else(|| "—".into()))
                .collect();
            want.push(cells.join("\t"));
        }
        assert_eq!(text.trim_end(), want.join("\n"), "{report}");
        assert!(!t.rows.is_empty(), "{report} has rows to compare");
    }
    let summary = ok(d, &[&["report", "summary"][..], &range].concat());
    assert!(summary.contains("from: 2025-01-01\nto: 2025-11-30\nmetric\tvalue\n"));
    assert!(summary.contains("\npurchases\t2\n"), "{summary}");
    assert!(ok(d, &[&["report", "churn"][..], &range].concat())
        .starts_with("A customer is lost after days without a purchase: 90\n"));
    let vi = kq_vi(d, &[&["report", "churn"][..], &range].concat());
    assert!(
        String::from_utf8_lossy(&vi.stdout)
            .starts_with("Khách được coi là rời bỏ sau số ngày không mua: 90\n"),
        "{vi:?}"
    );

    // The item format is the command line's; the values are core's to refuse.
    refused(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "1",
            "--item",
            "A;1",
        ],
        "--item",
    );
    let r = json(
        d,
        &[
            "purchase",
            "add",
            "--customer",
            "0966123456",
            "--amount",
            "90000",
            "--item",
            " Cáp ; 2 ; 45000 ; 6 ",
        ],
    );
    assert_eq!(r["purchase"]["items"][0]["product"], "Cáp");
    assert_eq!(r["purchase"]["items"][0]["warranty_months"], 6);
    assert_eq!(khachquen_core::limits::CLV_TOP, 200);
    let help = ok(d, &["report", "clv", "--help"]);
    assert!(help.contains("(default: 200)"), "{help}");
}

/// A command never loads the GUI stack: `khachquen` links none of WebKitGTK, GTK or their
/// kin (the window is `khachquen-window`). Asked of the dynamic loader, as a user's system
/// would resolve it.
#[cfg(target_os = "linux")]
#[test]
fn commands_link_no_gui_library() {
    let out = match Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_khachquen"))
        .output()
    {
        Ok(o) if o.status.success() => o,
        _ => return eprintln!("no ldd here: skipped"),
    };
    let libs = String::from_utf8_lossy(&out.stdout);
    for gui in [
        "webkit",
        "gtk",
        "gdk",
        "javascriptcore",
        "soup",
        "cairo",
        "glib",
    ] {
        assert!(!libs.contains(gui), "{gui} is linked:\n{libs}");
    }
    // The window's binary does link them: the check above reads the right output.
    let window = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_khachquen-window"))
        .output()
        .expect("ldd the window");
    assert!(String::from_utf8_lossy(&window.stdout).contains("webkit"));
}

/// With no command and no window program beside it (a copied binary), `khachquen` says so in
/// the user's language and fails, rather than doing nothing.
#[test]
fn no_command_without_the_window_program_says_so() {
    // A hard link beside the build, not a copy: a copy is written through a file descriptor
    // that a child forked by another test thread at that moment keeps open until its own exec,
    // and running the copy then fails with "Text file busy" (ETXTBSY). A link writes nothing.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bin = dir
        .path()
        .join("khachquen")
        .with_extension(std::env::consts::EXE_EXTENSION);
    std::fs::hard_link(env!("CARGO_BIN_EXE_khachquen"), &bin).unwrap();
    for (lang, says) in [
        ("vi", "Không tìm thấy chương trình cửa sổ"),
        ("en", "window program"),
    ] {
        let out = Command::new(&bin)
            .arg("--data-dir")
            .arg(dir.path().join("shop"))
            .args(["--lang", lang])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains("khachquen-window"),
            "{err}"
        );
    }
}

/// A shop moved to a PostgreSQL server through the real binary, backed up and restored there,
/// and brought back as a normal file: each command checks its copy and says so in the
/// shop's language, and the password stays out of argv and of every message.
#[test]
#[ignore = "needs PostgreSQL (scripts/test)"]
fn a_shop_moves_to_a_server_is_backed_up_there_and_comes_back() {
    let admin = std::env::var("KHACHQUEN_TEST_PG_URL")
        .expect("needs PostgreSQL: KHACHQUEN_TEST_PG_URL (scripts/test starts one)");
    let name = format!("kq_cli_{}", std::process::id());
    khachquen_core::db::pg::Server::parse(&admin)
        .unwrap()
        .connect()
        .unwrap()
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let env = [("KHACHQUEN_DATABASE_URL", url.as_str())];
    let run = |d: &Path, lang: &str, args: &[&str]| {
        kq_base(d, lang)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["demo", "--customers", "40", "--purchases", "160"]);

    let out = run(d, "vi", &["db", "migrate-to", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let moved: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&moved["customers"], &moved["purchases"]),
        (&Value::from(40), &Value::from(160))
    );
    let again = run(d, "vi", &["db", "migrate-to"]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("đã có dữ liệu cửa hàng"), "{err}");

    let dump = d.join("may-chu.kqdump");
    let dump_s = dump.display().to_string();
    let out = run(d, "vi", &["db", "backup-server", &dump_s]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("Đã sao lưu cửa hàng trên máy chủ"),
        "{said}"
    );
    assert!(
        said.contains("40 khách hàng") && !said.contains("kq@"),
        "{said}"
    );
    let out = run(d, "en", &["db", "restore-server", &dump_s]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("Restored the shop on the server"),
        "{said}"
    );

    // The counter on the server (the variable names it): the same answers as the file.
    let reads: [&[&str]; 9] = [
        &["customer", "find", "nguyen"],
        &["customer", "find", "đức"],
        &["customer", "find", "09"],
        &["customer", "find", "tran thi"],
        &["customer", "show", "KH000007"],
        &["customer", "show", "#12"],
        &["purchase", "list", "--customer", "KH000007"],
        &["points", "show", "KH000012"],
        &["loyalty", "show"],
    ];
    for args in reads {
        let on_server = run(d, "vi", &[args, &["--json"]].concat());
        assert!(on_server.status.success(), "{args:?}");
        assert_eq!(
            serde_json::from_slice::<Value>(&on_server.stdout).unwrap(),
            json(d, args),
            "{args:?}"
        );
    }
    // A bill recorded at the counter on the server, once however often it is sent.
    let before = json(d, &["purchase", "list", "--customer", "KH000007"]);
    let add = [
        "purchase",
        "add",
        "--customer",
        "KH000007",
        "--amount",
        "120000",
    ];
    let first = run(d, "vi", &[&add[..], &["--id", "srv-1", "--json"]].concat());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = run(d, "vi", &[&add[..], &["--id", "srv-1", "--json"]].concat());
    let (first, again): (Value, Value) = (
        serde_json::from_slice(&first.stdout).unwrap(),
        serde_json::from_slice(&again.stdout).unwrap(),
    );
    assert_eq!(first["purchase"]["id"], again["purchase"]["id"]);
    let listed = run(
        d,
        "vi",
        &["purchase", "list", "--customer", "KH000007", "--json"],
    );
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], first["purchase"]["id"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        before.as_array().unwrap().len() + 1
    );
    // The shop's file is not the server: it has not seen the bill.
    assert_eq!(
        json(d, &["purchase", "list", "--customer", "KH000007"]),
        before
    );
    // A voucher the server does not know is refused there, and the bill is not recorded.
    let out = run(d, "vi", &[&add[..], &["--voucher", "ABC123"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Không có phiếu ưu đãi ABC123"), "{err}");
    let after = run(
        d,
        "vi",
        &["purchase", "list", "--customer", "KH000007", "--json"],
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&after.stdout).unwrap(),
        listed
    );

    // --database names it too: a new customer is added there; what is not on the server yet
    // says so and changes nothing.
    let out = kq_base(d, "vi")
        .args([
            "--database",
            &url,
            "customer",
            "add",
            "--name",
            "Lan",
            "--phone",
            "0912000111",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let on_server = run(d, "vi", &["customer", "find", "0912000111", "--json"]);
    let found: Value = serde_json::from_slice(&on_server.stdout).unwrap();
    assert_eq!(found[0]["name"], "Lan");
    assert!(json(d, &["customer", "find", "0912000111"])
        .as_array()
        .unwrap()
        .is_empty());
    // Her details are corrected there and she is given points; the demo is not on the server
    // and changes nothing; then she is archived there.
    let out = run(
        d,
        "vi",
        &["customer", "edit", "0912000111", "--name", "Lan Anh"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        d,
        "vi",
        &[
            "points",
            "adjust",
            "0912000111",
            "--delta",
            "10",
            "--reason",
            "quà",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(d, "vi", &["demo", "--customers", "10", "--purchases", "10"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("chưa làm được trên máy chủ PostgreSQL"),
        "{err}"
    );
    let found = run(d, "vi", &["customer", "find", "lan anh", "--json"]);
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(found[0]["name"], "Lan Anh");
    assert!(run(d, "vi", &["customer", "archive", "0912000111"])
        .status
        .success());
    let on_server = run(d, "vi", &["customer", "show", "0912000111", "--json"]);
    let shown: Value = serde_json::from_slice(&on_server.stdout).unwrap();
    assert_ne!(shown["customer"]["archived_at"], Value::Null);
    assert_eq!(shown["loyalty"]["balance"], 10);
    let found = run(d, "vi", &["customer", "find", "lan anh", "--json"]);
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(
        found,
        Value::Array(vec![]),
        "archived customers leave the search"
    );

    let back = tempfile::tempdir().unwrap();
    let file = back.path().join("khachquen.db");
    let file_s = file.display().to_string();
    let out = run(d, "vi", &["db", "export-sqlite", &file_s]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("Đã xuất cửa hàng ra tệp"),
        "{said}"
    );
    assert_eq!(ok(back.path(), &["db", "check"]).trim(), "ok");
    let customers: i64 = rusqlite_conn(&file)
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .unwrap();
    // The demo's 40 and Lan, added at the counter on the server.
    assert_eq!(customers, 41);

    let gone = kq_base(d, "vi")
        .args(["db", "migrate-to", "postgres://kq:bi-mat@127.0.0.1:1/shop"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&gone.stderr);
    assert_eq!(gone.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Không kết nối được máy chủ dữ liệu 127.0.0.1:1/shop"),
        "{err}"
    );
    assert!(!err.contains("bi-mat"), "{err}");
}
