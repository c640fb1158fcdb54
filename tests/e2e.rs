//! End to end: the real app binary in a real window under Xvfb, driven by tauri-driver and
//! WebKitWebDriver. `#[ignore]` for a bare `cargo test`; scripts/test runs them under xvfb-run.
//! Each test leaves a screenshot in target/e2e-screenshots/ for review.

use crate::support_driver::{start, R};
use fantoccini::key::Key;
use std::path::Path;
use std::time::{Duration, Instant};

/// One window at a time: the tests share Xvfb and the two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cli(dir: &Path, args: &[&str]) {
    let out = crate::cli::kq(dir, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn counter_add_find_and_record_by_keyboard() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4444, |_| {}).await?;
    // Add "Nguyễn Văn Đức" inline: nobody matches, so the typed name prefills the form.
    s.wait_focus("counter-search").await?;
    s.keys("Nguyễn Văn Đức").await?;
    s.click("#new-customer-phone").await?;
    s.wait_focus("new-customer-phone").await?;
    s.keys(&format!("0912 345 678{}", Key::Enter)).await?;
    s.wait_focus("purchase-amount").await?;
    s.keys(&Key::Escape.to_string()).await?;

    // Next customer: find him by "duc", keyboard only.
    s.wait_focus("counter-search").await?;
    s.keys("duc").await?;
    s.wait_text("#search-results", "Nguyễn Văn Đức").await?;
    let search_top = top_of(&s, "#counter-search").await?;
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_focus("purchase-amount").await?;
    // Enter on an empty amount asks for one; the request goes once an amount is typed.
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_text("#purchase-amount-error", "số tiền").await?;
    s.keys("250000").await?;
    let shown = s.wait_value("#purchase-amount", "250.000").await?;
    assert_eq!(shown, "250.000", "thousands separators while typing");
    assert_eq!(s.text("#purchase-amount-error").await?, None, "stale error");
    s.keys(&Key::Enter.to_string()).await?;
    let confirmation = s.wait_text("#purchase-confirmation", "250.000").await?;
    assert!(confirmation.contains("Nguyễn Văn Đức"), "{confirmation}");
    s.wait_focus("counter-search").await?;
    // The search box stays where the cashier's eyes are: the confirmation goes below it.
    assert_eq!(top_of(&s, "#counter-search").await?, search_top);
    s.screenshot("counter-purchase").await?;

    // The purchase is in his profile: customer list, search, arrow down, Enter.
    s.click("#nav-customers").await?;
    s.type_into("#customers-search", "duc").await?;
    s.wait_text("#customers-table tbody", "Nguyễn Văn Đức")
        .await?;
    s.wait_focus("customers-search").await?;
    s.keys(&Key::Down.to_string()).await?;
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_text("#profile-timeline", "250.000").await?;
    let name = s.wait_value("#profile-name", "Nguyễn Văn Đức").await?;
    assert_eq!(name, "Nguyễn Văn Đức");
    s.screenshot("profile").await?;
    s.close().await.map(drop)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn switching_to_english_relabels_the_counter() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4454, |d| {
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Trần Thị Mai",
                "--phone",
                "0987654321",
            ],
        )
    })
    .await?;
    let before = s
        .attr("#counter-search", "placeholder")
        .await?
        .unwrap_or_default();
    assert!(before.contains("điện thoại"), "{before}");
    s.click("#nav-settings").await?;
    s.select("#settings-language", "en").await?;
    s.click("#nav-counter").await?;
    s.wait_attr("#counter-search", "placeholder", "Search by phone or name")
        .await?;
    s.wait_text("#nav-counter", "Counter").await?;
    s.screenshot("counter-english").await?;
    s.close().await.map(drop)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn a_bad_phone_shows_the_error_in_place() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4464, |_| {}).await?;
    s.wait_focus("counter-search").await?;
    s.keys("Lê Thị Hoa").await?;
    s.type_into("#new-customer-phone", &format!("12345{}", Key::Enter))
        .await?;
    let msg = s.wait_text(".field-error", "12345").await?;
    assert!(
        msg.to_lowercase().contains("số điện thoại"),
        "Vietnamese sentence, not a code: {msg}"
    );
    assert!(!msg.contains("customer."), "{msg}");
    s.screenshot("bad-phone").await?;
    let dir = s.close().await?;
    let out = crate::cli::kq(dir.path(), &["customer", "find", "hoa", "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "[]",
        "nothing was saved"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn a_fast_cashier_does_not_lose_the_amount() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4474, |d| {
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Phạm Quốc Việt",
                "--phone",
                "0933 222 111",
            ],
        )
    })
    .await?;
    s.wait_focus("counter-search").await?;
    // Suffix, Enter and the amount in one burst, before the search can answer.
    s.keys(&format!("2111{}150000", Key::Enter)).await?;
    s.wait_focus("purchase-amount").await?;
    let v = s.wait_value("#purchase-amount", "150.000").await?;
    assert_eq!(v, "150.000");
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_text("#purchase-confirmation", "150.000").await?;
    s.screenshot("fast-cashier").await?;
    let dir = s.close().await?;
    let out = crate::cli::kq(
        dir.path(),
        &["purchase", "list", "--customer", "0933222111", "--json"],
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(list[0]["total"], "150000");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn redeem_points_at_the_counter() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4484, |d| {
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Võ Thị Ánh",
                "--phone",
                "0977 123 456",
            ],
        );
        // 1.000.000 ₫ earns 100 points at 10.000 ₫ a point.
        cli(
            d,
            &[
                "purchase",
                "add",
                "--customer",
                "0977123456",
                "--amount",
                "1000000",
            ],
        );
    })
    .await?;
    s.wait_focus("counter-search").await?;
    s.keys("3456").await?;
    s.wait_text("#search-results", "Võ Thị Ánh").await?;
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_focus("purchase-amount").await?;
    s.wait_text("#counter-loyalty", "100").await?;
    s.keys("200000").await?;
    // Tab to the points field, redeem 50 points = 50.000 ₫ off.
    s.keys(&Key::Tab.to_string()).await?;
    s.wait_focus("purchase-redeem").await?;
    s.keys("50").await?;
    s.wait_text("#purchase-pay", "150.000").await?;
    s.screenshot("counter-redeem").await?;
    s.keys(&Key::Enter.to_string()).await?;
    // 150.000 ₫ paid earns 15: 100 - 50 + 15 = 65.
    let done = s.wait_text("#purchase-confirmation", "65").await?;
    assert!(done.contains("50.000"), "the discount is shown: {done}");
    s.screenshot("counter-redeemed").await?;
    // Her profile shows the ledger: earn, redeem, earn.
    s.click("#purchase-confirmation a").await?;
    let ledger = s.wait_text("#profile-ledger", "\u{2212}50").await?;
    assert!(
        ledger.contains("+15") && ledger.contains("+100"),
        "{ledger}"
    );
    s.screenshot("profile-points").await?;
    // The loyalty rules are in Settings.
    s.click("#nav-settings").await?;
    s.wait_for("#settings-loyalty").await?;
    let earn_per = s.wait_value("#settings-rule-earn-per", "10.000").await?;
    assert_eq!(earn_per, "10.000");
    let tiers = s
        .client
        .execute("return [...document.querySelectorAll('#settings-tiers input')].map(i => i.value).join('|')", vec![])
        .await?;
    assert!(
        tiers.as_str().unwrap_or_default().contains("Kim cương"),
        "{tiers}"
    );
    s.screenshot("settings-loyalty").await?;
    let dir = s.close().await?;
    let out = crate::cli::kq(dir.path(), &["points", "show", "0977123456", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["loyalty"]["balance"], 65);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn back_up_from_settings_and_open_import_and_duplicates() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4494, |d| {
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Nguyễn Văn Đức",
                "--phone",
                "0912345678",
                "--birthday",
                "1990-05-12",
            ],
        );
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Nguyen Van Duc",
                "--phone",
                "0933000111",
                "--birthday",
                "1990-05-12",
            ],
        );
    })
    .await?;
    s.click("#nav-settings").await?;
    s.wait_for("#settings-backup").await?;
    s.click("#backup-now").await?;
    s.wait_for("#backup-list .backup-restore").await?;
    s.client
        .execute(
            "document.getElementById('settings-backup').scrollIntoView()",
            vec![],
        )
        .await?;
    s.screenshot("settings-backup").await?;
    s.click("#settings-import-open").await?;
    s.wait_for("#import-kind").await?;
    s.wait_for("#export-customers").await?;
    // WebDriver cannot drive the native file picker: it alone is replaced, to answer a CSV.
    let csv = s.data_dir.path().join("kiotviet.csv");
    std::fs::write(
        &csv,
        "Mã khách hàng,Tên khách hàng,Điện thoại,Ngày sinh\nKH100,Lê Thị Hoa,0905 111 222,01/02/1995\nKH101,Phan Văn Tài,0905333444,\nKH102,Bùi Ngọc Lan,123,\n",
    )?;
    s.client
        .execute(
            "window.__TAURI__.dialog.open = async () => arguments[0];",
            vec![serde_json::json!(csv)],
        )
        .await?;
    s.click("#import-file").await?;
    // The detected mapping and the dry run: the bad phone on line 4 is reported in place.
    s.wait_text("#import-mapping", "Điện thoại").await?;
    s.wait_text("#import-report", "123").await?;
    s.screenshot("import-preview").await?;
    s.click("#import-skip-invalid").await?;
    s.click("#import-run").await?;
    s.wait_text("#import-report", "Đã nhập xong").await?;
    s.screenshot("import-done").await?;
    s.click("#nav-customers").await?;
    s.click("#customers-duplicates").await?;
    s.wait_text("#duplicates-list", "Nguy").await?;
    s.screenshot("duplicates").await?;
    let dir = s.close().await?;
    let out = crate::cli::kq(dir.path(), &["backup", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    // The day's automatic backup may land first (the background pass starts 5 s after the
    // window): exactly one manual backup is the button's, any other is the automatic one.
    let kinds: Vec<&str> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| b["info"]["kind"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        kinds.iter().filter(|k| **k == "manual").count(),
        1,
        "{list}"
    );
    assert!(
        kinds.iter().all(|k| *k == "manual" || *k == "auto"),
        "{list}"
    );
    assert!(kinds.len() <= 2, "{list}");
    // The two valid rows were imported from the window; the bad one was skipped.
    for (phone, present) in [("0905111222", true), ("0905333444", true)] {
        let out = crate::cli::kq(dir.path(), &["customer", "show", phone, "--json"]);
        assert_eq!(out.status.success(), present, "{phone}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn today_complete_a_reminder_with_a_logged_call() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4504, |d| {
        cli(
            d,
            &[
                "customer",
                "add",
                "--name",
                "Phạm Thu Hà",
                "--phone",
                "0987654321",
                "--gender",
                "female",
            ],
        );
        cli(
            d,
            &[
                "purchase",
                "add",
                "--customer",
                "0987654321",
                "--amount",
                "1250000",
                "--item",
                "Tai nghe;1;1250000;12",
            ],
        );
        // Long overdue, so it is in the Today list whatever the date.
        cli(
            d,
            &[
                "reminder",
                "add",
                "0987654321",
                "--due",
                "2026-01-05",
                "--title",
                "Hỏi thăm tai nghe mới mua",
            ],
        );
    })
    .await?;
    s.keys(&Key::F4.to_string()).await?;
    s.wait_for(".today-row[data-group=\"overdue\"]").await?;
    let text = s.wait_text("#today", "Phạm Thu Hà").await?;
    assert!(text.contains("Hỏi thăm tai nghe mới mua"), "{text}");
    s.screenshot("today").await?;

    // Message her: the template is rendered with her name, and copied for Zalo or SMS.
    s.click(".today-row[data-group=\"overdue\"] .today-message")
        .await?;
    s.wait_for("#message-text").await?;
    s.wait_value("#message-text", "chị Hà").await?;
    s.click("#message-copy").await?;
    s.wait_text(".toasts", "Đã sao chép").await?;
    s.click("#message-close").await?;

    s.click(".today-row[data-group=\"overdue\"] .today-done")
        .await?;
    let form = ".today-row[data-group=\"overdue\"] form";
    s.select(&format!("{form} select[name=\"channel\"]"), "phone")
        .await?;
    s.type_into(
        &format!("{form} input[name=\"outcome\"]"),
        "Khách hài lòng, hẹn ghé thứ bảy",
    )
    .await?;
    s.screenshot("today-log-call").await?;
    s.click(&format!("{form} .today-log-submit")).await?;
    // The row leaves the list once the reminder is done.
    let deadline = Instant::now() + Duration::from_secs(20);
    while s
        .text(".today-row[data-group=\"overdue\"]")
        .await?
        .is_some()
    {
        assert!(
            Instant::now() < deadline,
            "the done reminder is still listed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The call is in her profile's timeline, with its channel and outcome.
    s.client
        .execute("location.hash = '#profile/1'", vec![])
        .await?;
    let event = s
        .wait_text(
            "#timeline .timeline-event[data-kind=\"interaction\"]",
            "Khách hài lòng, hẹn ghé thứ bảy",
        )
        .await?;
    assert!(event.contains("Gọi điện"), "{event}");
    s.wait_text("#timeline", "1.250.000").await?;
    s.client
        .execute(
            "document.querySelector('#timeline .timeline-event[data-kind=\"interaction\"]').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await?;
    s.screenshot("profile-care-timeline").await?;
    let dir = s.close().await?;
    let log = crate::cli::kq(dir.path(), &["interaction", "list", "0987654321", "--json"]);
    let log: serde_json::Value = serde_json::from_slice(&log.stdout)?;
    assert_eq!(log[0]["channel"], "phone");
    assert_eq!(log[0]["outcome"], "Khách hài lòng, hẹn ghé thứ bảy");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn reports_open_and_a_segment_opens_its_customers() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = start(4514, |d| {
        cli(d, &["demo", "--customers", "300", "--purchases", "1500"]);
    })
    .await?;
    s.keys(&Key::F6.to_string()).await?;
    s.wait_text("#report-summary", "CLV").await?;
    s.wait_text("#report-churn", "%").await?;
    let cell = ".rfm-cell[data-r=\"5\"][data-f=\"5\"]";
    s.wait_for(cell).await?;
    s.wait_text("#report-clv", "BG/NBD").await?;
    s.screenshot("reports").await?;
    let segment = s
        .client
        .execute(
            "return document.querySelector(arguments[0]).dataset.segment",
            vec![serde_json::json!(cell)],
        )
        .await?;
    assert_eq!(segment, "champions");
    s.click(cell).await?;
    s.wait_text("#customers-filter-chips", "Khách ruột").await?;
    // The chip shows before the filtered page arrives: wait for its rows, not read once.
    s.wait_for("#customers-table tbody tr.row[data-id]").await?;
    // Every listed customer carries the segment's badge.
    let rows = s
        .client
        .execute(
            "return [...document.querySelectorAll('#customers-table tbody tr')].length",
            vec![],
        )
        .await?;
    assert!(rows.as_u64().unwrap_or(0) > 0, "champions are listed");
    s.screenshot("customers-champions").await?;
    s.close().await.map(drop)
}

fn cli_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) {
    let out = crate::cli::kq_env(dir, env, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn displayed(s: &crate::support_driver::Session, css: &str) -> R<bool> {
    s.displayed(css).await
}

/// The top edge of `css` in CSS pixels, read in one script call.
async fn top_of(s: &crate::support_driver::Session, css: &str) -> R<i64> {
    let v = s
        .client
        .execute(
            "return Math.round(document.querySelector(arguments[0]).getBoundingClientRect().top);",
            vec![serde_json::json!(css)],
        )
        .await?;
    v.as_i64()
        .ok_or_else(|| format!("no top for {css}: {v}").into())
}

async fn go(s: &crate::support_driver::Session, hash: &str) -> R<()> {
    s.client
        .execute(
            "location.hash = arguments[0]",
            vec![serde_json::json!(hash)],
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and WebKitWebDriver: run by scripts/test"]
async fn a_cashier_signs_in_sells_and_cannot_open_export_or_audit() -> R<()> {
    let _one = SERIAL.lock().await;
    let s = crate::support_driver::start_locked(4524, |d| {
        cli(
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
        let owner = ("KHACHQUEN_NEW_PIN", "2468");
        cli_env(
            d,
            &[owner],
            &["staff", "add", "--name", "Chị Lan", "--role", "owner"],
        );
        cli_env(
            d,
            &[("KHACHQUEN_PIN", "2468"), ("KHACHQUEN_NEW_PIN", "1111")],
            &["staff", "add", "--name", "Minh", "--role", "cashier"],
        );
    })
    .await?;
    s.screenshot("lock-screen").await?;
    // A wrong PIN is refused in place; the right one opens the counter.
    s.click(".lock-user[data-staff-id=\"2\"]").await?;
    s.wait_focus("lock-pin").await?;
    s.keys(&format!("9999{}", Key::Enter)).await?;
    s.wait_text("#lock-pin-error", "PIN").await?;
    s.type_into("#lock-pin", &format!("1111{}", Key::Enter))
        .await?;
    s.wait_text("#user-name", "Minh").await?;
    s.wait_focus("counter-search").await?;
    s.keys("mai").await?;
    s.wait_text("#search-results", "Trần Thị Mai").await?;
    s.keys(&Key::Enter.to_string()).await?;
    s.wait_focus("purchase-amount").await?;
    s.keys(&format!("120000{}", Key::Enter)).await?;
    s.wait_text("#purchase-confirmation", "120.000").await?;

    // Settings (import/export, backups) is not offered, and typing the address is refused.
    assert!(!displayed(&s, "#nav-settings").await?);
    for hash in ["#import", "#audit", "#staff"] {
        go(&s, hash).await?;
        s.wait_text("#forbidden", "chủ cửa hàng").await?;
    }
    s.screenshot("cashier-forbidden").await?;

    // Switch to the owner: the audit log names Minh for the purchase.
    s.click("#lock-now").await?;
    s.click(".lock-user[data-staff-id=\"1\"]").await?;
    s.wait_focus("lock-pin").await?;
    s.keys(&format!("2468{}", Key::Enter)).await?;
    s.wait_text("#user-name", "Chị Lan").await?;
    go(&s, "#audit").await?;
    let row = s.wait_text("#audit-table", "Ghi đơn mua").await?;
    assert!(row.contains("Minh"), "{row}");
    s.click("#audit-verify").await?;
    s.wait_for("#audit-verify-ok").await?;
    s.screenshot("audit-viewer").await?;
    let dir = s.close().await?;

    // The sale is Minh's, and so is the wrong PIN.
    let d = dir.path();
    let out = crate::cli::kq_env(
        d,
        &[("KHACHQUEN_PIN", "2468")],
        &["audit", "list", "--staff", "Minh", "--json"],
    );
    let page: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let acts: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert!(acts.contains(&"purchase.add"), "{acts:?}");
    assert!(acts.contains(&"auth.failed"), "{acts:?}");
    Ok(())
}
