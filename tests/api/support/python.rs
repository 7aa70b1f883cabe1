//! Test servers written in Python (aiosmtpd's SMTP server, moto's S3), run as child processes
//! from the interpreter in `SMTP_TEST_PYTHON` (`scripts/test-env.sh` makes a virtualenv with both).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn python() -> String {
    std::env::var("SMTP_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Fails unless `module` can be imported (`scripts/test-env.sh` installs the modules the tests
/// use into the virtualenv it names in `SMTP_TEST_PYTHON`).
pub fn require_module(module: &str) {
    let available = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        available,
        "{module} is not installed for {} (run scripts/test-env.sh, or set SMTP_TEST_PYTHON)",
        python()
    );
}

/// Starts `tests/support/{script}` with `args`, and waits for the `PORT <n>` line it prints
/// once ready. The server ends when the returned child's standard input closes (on drop).
pub fn start(script: &str, args: &[&std::ffi::OsStr]) -> (u16, Child) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let mut child = Command::new(python())
        .arg(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{script} starts: {error}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .unwrap_or_else(|error| panic!("{script} reports its port: {error}"));
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected {script} output {line:?}"));
    (port, child)
}
