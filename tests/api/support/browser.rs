//! A real headless Chromium for the console's journeys: Debian's `chromium` driven through its
//! `chromedriver` over WebDriver (fantoccini), one driver per test on a free port. Nothing is
//! downloaded; without the two programs (`CHROMEDRIVER`, default `/usr/bin/chromedriver`) a
//! browser test fails, and `scripts/test-env.sh` leaves them out and reports them as skipped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A running chromedriver and a browser session in it.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at desktop size; fails when they are not
    /// installed (`scripts/test-env.sh` then leaves the browser journeys out, as skipped).
    pub async fn start() -> Self {
        let driver_path =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&driver_path).exists() && std::path::Path::new(&chromium).exists(),
            "{driver_path} or {chromium} is not installed; run scripts/test-env.sh, which leaves the \
             browser journeys out and reports them as skipped"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1280,900", "--lang=en-GB"],
            }),
        );
        // The driver answers once it listens: ask until it does (it takes well under a second).
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("TLS roots")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("chromedriver did not start a session: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Self { client, driver }
    }

    /// Types into the field with this id, after clearing it.
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("field #{id}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks the first element matching `css` and waits for `then` (a CSS selector) on the
    /// page that follows.
    pub async fn click_then(&self, css: &str, then: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
        self.wait_for(then).await;
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
    }

    /// The page's text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("text")
    }

    /// Checks the page as shown for what a person using a keyboard, a screen reader or a
    /// phone needs (`a11y.js`): its language and heading, labelled fields, a focus style,
    /// AA colour contrast, and no sideways scrolling on a phone.
    pub async fn audit(&self, name: &str) {
        let problems = self
            .client
            .execute(include_str!("a11y.js"), Vec::new())
            .await
            .expect("accessibility check runs");
        assert_eq!(problems, json!([]), "accessibility of {name}");
    }

    /// Saves a PNG of the page at `width` × `height` as `name.png`, in `docs/screenshots` when
    /// `UPDATE_SCREENSHOTS` is set, else in a temporary folder (the shot is still taken), after
    /// checking its accessibility at that size.
    pub async fn screenshot(&self, name: &str, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window size");
        self.audit(name).await;
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG image");
        let folder = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
            std::path::PathBuf::from("docs/screenshots")
        } else {
            std::env::temp_dir().join("reminder-screenshots")
        };
        std::fs::create_dir_all(&folder).expect("screenshot folder");
        std::fs::write(folder.join(format!("{name}.png")), png).expect("screenshot written");
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("window size");
    }

    /// Ends the browser session and the driver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
