//! An S3-compatible server for the tests: moto's (`tests/support/s3_server.py`) in a child
//! process, with one empty bucket.

use std::process::Child;

/// A running S3 server; stops when dropped.
pub struct S3Server {
    pub port: u16,
    pub bucket: String,
    child: Child,
}

impl S3Server {
    /// Starts a server with an empty bucket; fails when moto is missing (`scripts/test-env.sh`
    /// installs it).
    pub fn start() -> Self {
        super::python::require_module("moto.server");
        let bucket = format!("documents-{}", uuid::Uuid::new_v4().simple());
        let (port, child) = super::python::start("s3_server.py", &[bucket.as_ref()]);
        Self {
            port,
            bucket,
            child,
        }
    }

    /// `STORAGE_URL` for this bucket under `prefix`, with the server's address and test
    /// credentials.
    pub fn storage_url(&self, prefix: &str) -> String {
        format!(
            "s3://{}/{prefix}?endpoint=http://127.0.0.1:{}&region=us-east-1&allow_http=true&access_key_id=test&secret_access_key=test",
            self.bucket, self.port
        )
    }

    /// The keys in the bucket (moto answers unsigned listings).
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!(
            "http://127.0.0.1:{}/{}?list-type=2",
            self.port, self.bucket
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
