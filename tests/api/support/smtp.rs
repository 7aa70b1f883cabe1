//! A real SMTP server over TCP for the tests: `tests/support/smtp_server.py` (aiosmtpd) in a
//! child process, which stores each accepted message, parsed, as JSON.

use std::path::PathBuf;
use std::process::Child;

use serde_json::Value;

/// A running SMTP server; stops when dropped.
pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    /// Starts a server (requiring this login when given); fails when aiosmtpd is missing
    /// (`scripts/test-env.sh` installs it).
    pub fn start(login: Option<(&str, &str)>) -> Self {
        super::python::require_module("aiosmtpd");
        let dir = tempfile::tempdir().expect("mail dir");
        let mut args = vec![dir.path().as_os_str()];
        if let Some((user, password)) = login {
            args.push(user.as_ref());
            args.push(password.as_ref());
        }
        let (port, child) = super::python::start("smtp_server.py", &args);
        Self { port, dir, child }
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("mail dir")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }
}

/// The value of a header of a stored message.
pub fn header<'a>(message: &'a Value, name: &str) -> Option<&'a str> {
    message["headers"]
        .as_array()?
        .iter()
        .find(|pair| {
            pair[0]
                .as_str()
                .is_some_and(|key| key.eq_ignore_ascii_case(name))
        })
        .and_then(|pair| pair[1].as_str())
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        // Closing stdin ends the server; kill in case it is stuck.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
