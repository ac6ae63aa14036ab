//! A headless Chromium that tests drive over WebDriver, to check what the web UI shows a person.
//!
//! [`Browser::start`] runs Debian's `chromedriver` on a free loopback port and opens a session
//! with `/usr/bin/chromium` through [fantoccini]. Both come from `dev/install-test-tools.sh`; a
//! missing one fails the test with what to run, it never skips it. Dropping the [`Browser`]
//! (also while a test panics) kills chromedriver and the Chromium it started, and removes the
//! temp dir holding their profile, temp files and log.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tempfile::TempDir;

/// How long chromedriver may take to answer, and an element to appear.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The window size of every session: screenshots are this size.
const WINDOW_SIZE: &str = "--window-size=1280,900";
/// What to run when a tool is missing.
const INSTALL: &str = "run dev/install-test-tools.sh (it installs Debian's chromium and chromium-driver)";

/// A WebDriver session with headless Chromium, through a chromedriver child process.
///
/// Element look-ups wait up to 20 s for the element, so a test may read a page right after
/// [`goto`](Self::goto) or [`click_link`](Self::click_link).
pub struct Browser {
    /// `None` once [`close`](Self::close) took it.
    client: Option<Client>,
    /// Declared after `client`: dropped (killed) after it.
    driver: Driver,
}

impl Browser {
    /// Starts chromedriver on a free loopback port, waits until it is ready, and opens a session
    /// with headless Chromium (`--headless=new --no-sandbox --disable-gpu
    /// --disable-dev-shm-usage --window-size=1280,900`).
    pub async fn start() -> Result<Self> {
        let chromium = chromium()?;
        let chromedriver =
            on_path("chromedriver").with_context(|| format!("no `chromedriver` on PATH: {INSTALL}"))?;
        let mut attempt = 0;
        let driver = loop {
            attempt += 1;
            match Driver::start(&chromedriver).await {
                Ok(driver) => break driver,
                // Another process may take the port between our probe and chromedriver's bind.
                Err(err) if attempt < 3 => tracing::warn!("chromedriver did not start, retrying: {err:#}"),
                Err(err) => return Err(err),
            }
        };
        let profile = driver.dir.path().join("profile");
        let options = serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                WINDOW_SIZE,
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), "chrome".into());
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .with_context(|| {
                format!(
                    "cannot open a Chromium session ({}) through chromedriver at {}; its log:\n{}",
                    chromium.display(),
                    driver.url,
                    driver.log()
                )
            })?;
        Ok(Self {
            client: Some(client),
            driver,
        })
    }

    /// The fantoccini client, for what the helpers here do not cover.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the session is open until close() consumes the Browser")
    }

    /// Where chromedriver listens (loopback).
    pub fn driver_addr(&self) -> SocketAddr {
        self.driver.addr
    }

    /// Loads `url` and waits for it to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("cannot load {url}"))
    }

    /// Clicks the link (`<a>`) whose visible text is exactly `text`, once it is there.
    pub async fn click_link(&self, text: &str) -> Result<()> {
        let link = match self.wait_for(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(err) => return Err(self.on_page(err, format!("no link with the text {text:?}")).await),
        };
        match link.click().await {
            Ok(()) => Ok(()),
            Err(err) => Err(self
                .on_page(err.into(), format!("cannot click the link {text:?}"))
                .await),
        }
    }

    /// The visible text of the first element matching the CSS `selector`, once there is one.
    pub async fn text(&self, selector: &str) -> Result<String> {
        let element = match self.wait_for(Locator::Css(selector)).await {
            Ok(element) => element,
            Err(err) => {
                return Err(self
                    .on_page(err, format!("no element matches {selector:?}"))
                    .await);
            }
        };
        match element.text().await {
            Ok(text) => Ok(text),
            Err(err) => Err(self
                .on_page(err.into(), format!("cannot read the text of {selector:?}"))
                .await),
        }
    }

    /// The visible texts of every element matching the CSS `selector` (e.g. `table tr`), in
    /// document order; empty when none does (this one does not wait).
    pub async fn texts(&self, selector: &str) -> Result<Vec<String>> {
        let context = || format!("cannot read the elements {selector:?}");
        let elements = self
            .client()
            .find_all(Locator::Css(selector))
            .await
            .with_context(context)?;
        let mut texts = Vec::with_capacity(elements.len());
        for element in elements {
            texts.push(element.text().await.with_context(context)?);
        }
        Ok(texts)
    }

    /// The URL of the page shown.
    pub async fn current_url(&self) -> Result<String> {
        let url = self
            .client()
            .current_url()
            .await
            .context("cannot read the current URL")?;
        Ok(url.to_string())
    }

    /// The HTML of the page shown, as the browser serializes its DOM.
    pub async fn source(&self) -> Result<String> {
        let url = self.url_for_errors().await;
        self.client()
            .source()
            .await
            .with_context(|| format!("cannot read the source of {url}"))
    }

    /// Saves a PNG of the window as `<target>/screenshots/<name>.png` (see [`screenshot_dir`])
    /// and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = match self.client().screenshot().await {
            Ok(png) => png,
            Err(err) => {
                return Err(self
                    .on_page(err.into(), format!("cannot take the screenshot {name:?}"))
                    .await);
            }
        };
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// Ends the session (Chromium quits), then stops chromedriver. Dropping the `Browser` stops
    /// both too, by killing them.
    pub async fn close(mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            client
                .close()
                .await
                .context("cannot close the WebDriver session")?;
        }
        Ok(())
    }

    async fn wait_for(&self, locator: Locator<'_>) -> Result<fantoccini::elements::Element> {
        Ok(self.client().wait().at_most(TIMEOUT).for_element(locator).await?)
    }

    /// `err` with `what` failed and on which page.
    async fn on_page(&self, err: anyhow::Error, what: String) -> anyhow::Error {
        err.context(format!("{what} on {}", self.url_for_errors().await))
    }

    /// The current URL for an error message, or why it is unknown.
    async fn url_for_errors(&self) -> String {
        match self.client().current_url().await {
            Ok(url) => url.to_string(),
            Err(err) => format!("(unknown page: {err})"),
        }
    }
}

/// Where [`Browser::screenshot`] saves: `screenshots` in the workspace's target dir, which is
/// `$CARGO_TARGET_DIR` (relative to the workspace root) when set, else `<workspace>/target`.
pub fn screenshot_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.join("../..");
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("screenshots")
}

/// `/usr/bin/chromium`, else `chromium` on `PATH`.
fn chromium() -> Result<PathBuf> {
    let debian = Path::new("/usr/bin/chromium");
    if debian.exists() {
        return Ok(debian.to_path_buf());
    }
    on_path("chromium").with_context(|| format!("no /usr/bin/chromium and no `chromium` on PATH: {INSTALL}"))
}

/// `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|file| file.is_file())
}

/// A chromedriver child process, in a process group of its own with the Chromium it starts, and
/// the temp dir of their profile, temp files and log.
struct Driver {
    child: Child,
    /// Where it listens.
    addr: SocketAddr,
    /// `http://<addr>`.
    url: String,
    /// Dropped after the processes are killed.
    dir: TempDir,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it says it is ready.
    async fn start(program: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("alluxio-browser-")
            .tempdir()
            .context("cannot create the browser's temp dir")?;
        let addr = free_addr()?;
        let log_path = dir.path().join("chromedriver.log");
        let log = File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
        let child = Command::new(program)
            .arg(format!("--port={}", addr.port()))
            // Chromium inherits it: its singleton socket and scoped dirs go under `dir`.
            .env("TMPDIR", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("cannot share the chromedriver log")?)
            .stderr(log)
            // Its own group, so that dropping kills Chromium (same group) along with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot run {}: {INSTALL}", program.display()))?;
        let mut driver = Self {
            child,
            addr,
            url: format!("http://{addr}"),
            dir,
        };
        driver.wait_ready().await?;
        Ok(driver)
    }

    /// Polls `GET /status` until chromedriver says it is ready.
    async fn wait_ready(&mut self) -> Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .context("cannot build an HTTP client")?;
        let status_url = format!("{}/status", self.url);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().context("cannot poll chromedriver")? {
                bail!(
                    "chromedriver exited ({status}) before it was ready; its log:\n{}",
                    self.log()
                );
            }
            if let Ok(response) = http.get(&status_url).send().await
                && let Ok(body) = response.text().await
                && let Ok(json) = serde_json::from_str::<serde_json::Value>(&body)
                && json["value"]["ready"] == true
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "chromedriver not ready at {status_url} after {TIMEOUT:?}; its log:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What chromedriver (and Chromium) printed.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid: every process of the group is ours.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An address on 127.0.0.1 whose port was free a moment ago.
fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot find a free loopback port")?;
    Ok(listener.local_addr()?)
}
