//! The WebDriver harness: tauri-driver + WebKitWebDriver around the real app binary.
//! Shared by the end-to-end tests and the window benchmark (`#[path]`-included by both).

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::future::Future;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub type R<T> = Result<T, Box<dyn std::error::Error>>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver and the app too.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let local = Path::new(&home).join(".cargo/bin/tauri-driver");
    if local.exists() {
        local
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// A script that reads one element's text, or null when it is not on the page.
const TEXT: &str =
    "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;";

/// Whether a script failed because the page was being replaced (the app reloads itself
/// after a restore, a connection or leaving the demo): a waiting step asks again.
fn navigating(e: &CmdError) -> bool {
    use fantoccini::error::ErrorStatus;
    matches!(e, CmdError::Standard(w)
        if matches!(w.error, ErrorStatus::NoSuchFrame | ErrorStatus::JavascriptError))
}

pub struct Session {
    pub client: Client,
    _driver: Driver,
    pub data_dir: tempfile::TempDir,
}

/// The owner the first-run form creates in `start`.
pub const OWNER: (&str, &str) = ("Chủ cửa hàng", "2468");
/// The shop's name the first-run form is given.
pub const SHOP: &str = "Tiệm Cô Ba";

/// Start tauri-driver on its own ports and open the app on a fresh data folder, creating
/// the owner account through the first-run form (the data folder has no staff yet).
pub async fn start(port: u16, prepare: impl FnOnce(&Path)) -> R<Session> {
    start_with(port, &Launch::default(), prepare).await
}

/// [`start`] with more for the app: environment variables, command-line arguments.
pub async fn start_with(port: u16, how: &Launch<'_>, prepare: impl FnOnce(&Path)) -> R<Session> {
    let s = launch(port, how, prepare).await?;
    s.set_up_owner().await?;
    Ok(s)
}

/// Start on a data folder whose staff `prepare` created: the app opens on the lock screen.
pub async fn start_locked(port: u16, prepare: impl FnOnce(&Path)) -> R<Session> {
    let s = launch(port, &Launch::default(), prepare).await?;
    s.wait_for("#lock-screen .lock-user").await?;
    Ok(s)
}

/// What the app is started with beyond `--data-dir`.
#[derive(Default)]
pub struct Launch<'a> {
    /// Environment variables of the app (tauri-driver and WebKitWebDriver pass theirs on).
    pub env: &'a [(&'a str, &'a str)],
    /// Arguments after `--data-dir DIR`.
    pub args: &'a [&'a str],
}

/// Open the app on a fresh data folder that `prepare` filled, and return at once: the
/// window may still be starting (an upgrade) and shows what the data folder calls for.
pub async fn launch(port: u16, how: &Launch<'_>, prepare: impl FnOnce(&Path)) -> R<Session> {
    let data_dir = tempfile::tempdir()?;
    prepare(data_dir.path());
    let child = Command::new(tauri_driver())
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &(port + 1).to_string(),
        ])
        .env("KHACHQUEN_DATA_DIR", data_dir.path())
        .envs(how.env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let driver = Driver { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("tauri-driver did not listen".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let app = env!("CARGO_BIN_EXE_khachquen");
    let mut args = vec![json!("--data-dir"), json!(data_dir.path())];
    args.extend(how.args.iter().map(|a| json!(a)));
    let caps = json!({
        "browserName": "wry",
        "tauri:options": {"application": app, "args": args}
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    let client = tokio::time::timeout(
        Duration::from_secs(90),
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}")),
    )
    .await??;
    Ok(Session {
        client,
        _driver: driver,
        data_dir,
    })
}

impl Session {
    /// The shop's data folder.
    pub fn dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Fill the first-run form (the shop's name, the owner's account) and wait for the counter.
    pub async fn set_up_owner(&self) -> R<()> {
        self.submit_setup().await?;
        self.wait_for("#counter-search").await
    }

    /// Fill and send the first-run form, without waiting for what comes next.
    pub async fn submit_setup(&self) -> R<()> {
        self.type_into("#setup-shop-name", SHOP).await?;
        self.type_into("#setup-name", OWNER.0).await?;
        self.type_into("#setup-pin", OWNER.1).await?;
        self.type_into("#setup-pin-confirm", OWNER.1).await?;
        self.click("#setup-submit").await
    }

    /// Poll the script (run with `args`) until it returns something other than null.
    pub async fn wait_js(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
    ) -> R<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = match self.client.execute(script, args.clone()).await {
                Ok(v) => v,
                Err(e) if navigating(&e) && Instant::now() < deadline => serde_json::Value::Null,
                Err(e) => return Err(e.into()),
            };
            if !v.is_null() {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("still null after 20 s: {script}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reload the page ourselves (as the app does after a restore) and wait until `ready` (a script
    /// returning non-null) holds on the new one. The reload is scheduled after the script
    /// that asks for it has answered: a reload inside it can unload the page before
    /// WebKitWebDriver hears back ("Callback was not called before the unload event"). A
    /// check sent while the old page unloads is sent again.
    pub async fn reload_until(&self, ready: &str) -> R<()> {
        self.client
            .execute(
                "window.__kqOldPage = true; setTimeout(() => location.reload(), 0);",
                vec![],
            )
            .await?;
        let check = format!("if (window.__kqOldPage) return null; {ready}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.client.execute(&check, vec![]).await {
                Ok(v) if !v.is_null() => return Ok(()),
                Ok(_) if Instant::now() < deadline => {}
                Err(e) if navigating(&e) && Instant::now() < deadline => {}
                Ok(_) => return Err(format!("still null after the reload: {ready}").into()),
                Err(e) => return Err(e.into()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until `css` is on the page. Returns nothing on purpose: an element handle read
    /// in a later step may have been re-rendered in between (StaleElementReference), so every
    /// read or action goes through [`Session::act`] or one script call instead.
    pub async fn wait_for(&self, css: &str) -> R<()> {
        self.element(css).await.map(drop)
    }

    async fn element(&self, css: &str) -> R<Element> {
        Ok(self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await?)
    }

    /// Find `css` and do `act` on it as one step: if the screen re-rendered the element
    /// between the find and the act, find it again and act again (until a deadline). Every
    /// element action in the tests goes through here, so staleness is handled once.
    pub async fn act<T>(
        &self,
        css: &str,
        act: impl Fn(Element) -> BoxFuture<'static, Result<T, CmdError>>,
    ) -> R<T> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match act(self.element(css).await?).await {
                Ok(v) => return Ok(v),
                Err(e) if is_stale(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Click `css` (found again if a late answer re-rendered it under the pointer).
    pub async fn click(&self, css: &str) -> R<()> {
        self.act(css, |e| Box::pin(async move { e.click().await }))
            .await
    }

    /// Type into `css`, finding it again if it was re-rendered.
    pub async fn type_into(&self, css: &str, text: &str) -> R<()> {
        let text = text.to_owned();
        self.act(css, move |e| {
            let text = text.clone();
            Box::pin(async move { e.send_keys(&text).await })
        })
        .await
    }

    /// Choose the option with `value` in the select `css`, as a user's pick.
    pub async fn select(&self, css: &str, value: &str) -> R<()> {
        let value = value.to_owned();
        self.act(css, move |e| {
            let value = value.clone();
            Box::pin(async move { e.select_by_value(&value).await })
        })
        .await
    }

    /// Whether `css` is displayed (WebDriver's algorithm), found and read as one step.
    pub async fn displayed(&self, css: &str) -> R<bool> {
        self.act(css, |e| Box::pin(async move { e.is_displayed().await }))
            .await
    }

    /// An attribute of `css`, read in one script call (None when absent).
    pub async fn attr(&self, css: &str, name: &str) -> R<Option<String>> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e ? e.getAttribute(arguments[1]) : null;",
                vec![json!(css), json!(name)],
            )
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// Poll until the attribute `name` of `css` equals `want`.
    pub async fn wait_attr(&self, css: &str, name: &str, want: &str) -> R<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.attr(css, name).await?;
            if got.as_deref() == Some(want) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{css}[{name}] is {got:?}, not {want:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Keys to whatever has focus: the keyboard-only path a cashier takes.
    pub async fn keys(&self, text: &str) -> R<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // The focused element may be re-rendered (and refocused) between the two calls.
            match self.client.active_element().await?.send_keys(text).await {
                Ok(()) => return Ok(()),
                Err(e) if is_stale(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The focused element's id, read in one step (it may be re-rendered between two).
    pub async fn focused_id(&self) -> R<String> {
        let v = self
            .client
            .execute(
                "return document.activeElement ? document.activeElement.id : '';",
                vec![],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The element's textContent (WebKitWebDriver's visible-text algorithm skips text in
    /// `overflow: hidden` boxes such as ellipsised names; the screenshots show what is seen).
    pub async fn text(&self, css: &str) -> R<Option<String>> {
        let v = self.client.execute(TEXT, vec![json!(css)]).await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// An input's current value, read in one step (the element may be re-rendered).
    pub async fn value(&self, css: &str) -> R<String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Poll until the input `css` holds a value containing `needle` (a screen fills its
    /// fields after its data arrives: reading once right after it appears races that).
    pub async fn wait_value(&self, css: &str, needle: &str) -> R<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.value(css).await?;
            if v.contains(needle) {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("{css} holds {v:?}, not {needle:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Poll until `css` has text containing `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> R<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = match self.client.execute(TEXT, vec![json!(css)]).await {
                Ok(v) => v.as_str().map(str::to_owned),
                Err(e) if navigating(&e) && Instant::now() < deadline => None,
                Err(e) => return Err(e.into()),
            };
            if let Some(t) = &t {
                if t.contains(needle) {
                    return Ok(t.clone());
                }
            }
            if Instant::now() > deadline {
                let _ = self
                    .screenshot(&format!("failed-{}", needle.replace(' ', "_")))
                    .await;
                return Err(format!("{css} shows {t:?}, not {needle:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_focus(&self, id: &str) -> R<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.focused_id().await? != id {
            if Instant::now() > deadline {
                return Err(
                    format!("focus is on {:?}, not #{id}", self.focused_id().await?).into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// On the lock screen: tap the account `staff_id` and type its PIN (waiting for the PIN
    /// field to take the keys first).
    pub async fn sign_in(&self, staff_id: i64, pin: &str) -> R<()> {
        self.click(&format!(".lock-user[data-staff-id=\"{staff_id}\"]"))
            .await?;
        self.wait_focus("lock-pin").await?;
        self.keys(&format!("{pin}{}", fantoccini::key::Key::Enter))
            .await
    }

    pub async fn screenshot(&self, name: &str) -> R<()> {
        // WebKitGTK snapshots on the next paint; a still screen (no caret blinking, as on the
        // lock screen) never paints again, so flicker an invisible pixel for two seconds.
        self.client
            .execute(
                "const d = document.createElement('div');
                 d.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none';
                 document.body.append(d);
                 let n = 0;
                 const t = setInterval(() => {
                   d.style.opacity = ++n % 2 ? '0.01' : '0.02';
                   if (n > 40) { clearInterval(t); d.remove(); }
                 }, 50);",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// End the session; the data folder outlives it for checks through the CLI.
    pub async fn close(self) -> R<tempfile::TempDir> {
        self.client.close().await?;
        Ok(self.data_dir)
    }
}

fn is_stale(e: &CmdError) -> bool {
    matches!(e, CmdError::Standard(w)
        if w.error == fantoccini::error::ErrorStatus::StaleElementReference)
}
