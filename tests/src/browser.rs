//! A real browser for the console's tests: Debian's Chromium, headless, driven over the W3C
//! WebDriver protocol through `chromedriver` (plain JSON over loopback HTTP, so no client crate).

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `chromedriver` and the browser it starts; both end when this is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: awc::Client,
    profile: PathBuf,
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

fn found(path: &str) -> Option<String> {
    std::path::Path::new(path).exists().then(|| path.to_owned())
}

impl Browser {
    /// Chromium under chromedriver, or `None` with a printed notice (under `CI=true` a missing
    /// browser fails the test instead: CI installs it).
    pub async fn start_or_skip(test: &str) -> Option<Browser> {
        let driver = std::env::var("SGH_CHROMEDRIVER").ok().or_else(|| found("/usr/bin/chromedriver"));
        let chromium = std::env::var("SGH_CHROMIUM").ok().or_else(|| found("/usr/bin/chromium"));
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but Chromium or chromedriver is missing for {test}");
            }
            eprintln!("\nSKIPPED: {test} (no Chromium: install chromium and chromium-driver)\n");
            return None;
        };
        Some(Self::start(&driver, &chromium).await)
    }

    async fn start(driver: &str, chromium: &str) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        for _ in 0..100 {
            if let Ok(mut res) = http.get(format!("{base}/status")).send().await {
                if res.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("sgh-chromium-{}", uuid::Uuid::new_v4()));
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--lang=zh-CN".to_owned(),
            "--window-size=1366,768".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "accept",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": chromium, "args": args,
                "prefs": {"intl.accept_languages": "zh-CN,zh"}},
        }}});
        let mut res = http.post(format!("{base}/session")).send_json(&caps).await.expect("chromedriver answers");
        let body: Value = res.json().limit(1 << 20).await.expect("a session");
        let session = body["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {body}")).to_owned();
        Browser { driver: child, base, session, http, profile }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url),
        };
        let mut res = match body {
            Some(body) => req.send_json(&body).await,
            None => req.send().await,
        }
        .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let value: Value = res.json().limit(64 << 20).await.expect("webdriver answers JSON");
        value["value"].clone()
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let value = self.call(method, path, body).await;
        if let Some(error) = value.get("error") {
            panic!("webdriver {method} {path}: {error}: {}", value["message"]);
        }
        value
    }

    pub async fn goto(&self, url: &str) {
        self.ok("POST", "/url", Some(json!({"url": url}))).await;
    }

    pub async fn url(&self) -> String {
        self.ok("GET", "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn source(&self) -> String {
        self.ok("GET", "/source", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.ok("POST", "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    pub async fn find(&self, css: &str) -> Element<'_> {
        match self.try_find(css).await {
            Some(element) => element,
            None => panic!("no element {css} on {}", self.url().await),
        }
    }

    pub async fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let value = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css}))).await;
        value.get(ELEMENT).and_then(Value::as_str).map(|id| Element { browser: self, id: id.to_owned() })
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let value = self.ok("POST", "/elements", Some(json!({"using": "css selector", "value": css}))).await;
        value
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e.get(ELEMENT).and_then(Value::as_str))
                    .map(|id| Element { browser: self, id: id.to_owned() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs `script` in the page (`return …` gives its value).
    pub async fn run(&self, script: &str) -> Value {
        self.ok("POST", "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// What the page's console said at level SEVERE: JavaScript errors, scripts or styles that did
    /// not load, requests the CSP refused. A page answered with a 4xx on purpose (a form sent back
    /// with its errors) is not one of them, though Chromium logs it too.
    pub async fn errors(&self) -> Vec<String> {
        let logs = self.ok("POST", "/se/log", Some(json!({"type": "browser"}))).await;
        let refused_page = |m: &str| {
            let (url, what) = m.split_once(" - ").unwrap_or(("", m));
            what.starts_with("Failed to load resource: the server responded with a status of 4")
                && url.contains("/console/")
                && !url.contains("/console/assets/")
        };
        logs.as_array()
            .map(|all| {
                all.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .filter(|m| !refused_page(m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let data = self.ok("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).expect("a PNG")
    }

    /// Saves a screenshot under `docs/console/` when `SGH_CONSOLE_SCREENSHOTS` is set (they are
    /// committed by hand, not by every test run).
    pub async fn keep_screenshot(&self, name: &str) {
        if std::env::var_os("SGH_CONSOLE_SCREENSHOTS").is_none() {
            return;
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/console");
        std::fs::create_dir_all(&dir).expect("docs/console");
        std::fs::write(dir.join(format!("{name}.png")), self.screenshot().await).expect("screenshot written");
    }

    /// Waits (up to ten seconds) until `script` returns true.
    pub async fn wait_for(&self, what: &str, script: &str) {
        for _ in 0..200 {
            if self.run(script).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gave up waiting for {what}");
    }

    /// The named cookie as the browser keeps it (flags included), read through WebDriver since
    /// the page itself cannot see an HttpOnly one.
    pub async fn cookie(&self, name: &str) -> Option<Value> {
        let value = self.call("GET", &format!("/cookie/{name}"), None).await;
        value.get("name").is_some().then_some(value)
    }
}

impl Element<'_> {
    pub async fn click(&self) {
        self.browser.ok("POST", &format!("/element/{}/click", self.id), Some(json!({}))).await;
    }

    pub async fn type_text(&self, text: &str) {
        self.browser.ok("POST", &format!("/element/{}/clear", self.id), Some(json!({}))).await;
        self.browser.ok("POST", &format!("/element/{}/value", self.id), Some(json!({"text": text}))).await;
    }

    /// Chooses a file in an `<input type=file>`, as a person picking it would.
    pub async fn choose_file(&self, path: &std::path::Path) {
        let text = path.display().to_string();
        self.browser.ok("POST", &format!("/element/{}/value", self.id), Some(json!({"text": text}))).await;
    }

    pub async fn text(&self) -> String {
        self.browser
            .ok("GET", &format!("/element/{}/text", self.id), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attribute(&self, name: &str) -> Option<String> {
        let value = self.browser.ok("GET", &format!("/element/{}/attribute/{name}", self.id), None).await;
        value.as_str().map(str::to_owned)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session's browser goes with its driver; the profile folder is ours to remove.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
