//! Database outages: a private PostgreSQL and a private MariaDB, each created by the test in a
//! temporary folder and served on its own port (never the shared servers), are stopped and
//! started again in the middle of dispatching. The processes keep running, `/ready` reports the
//! outage and the recovery, and every notification is sent exactly once.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::scale::{Api, Process, api_node_with_reminder, free_port, tally};

/// A database server of the test's own.
struct PrivateServer {
    kind: Kind,
    dir: tempfile::TempDir,
    port: u16,
    /// MariaDB's server process (PostgreSQL's is managed by `pg_ctl`).
    mariadbd: Option<Child>,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Postgres,
    MariaDb,
}

/// A command for `program` (run as `postgres` when it is PostgreSQL's and we are root: its
/// programs refuse root).
fn command(kind: Kind, program: &Path) -> Command {
    if matches!(kind, Kind::Postgres) && is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `program` with `args`, and fails the test if it fails.
fn run(kind: Kind, program: &Path, args: &[&str]) {
    let output = command(kind, program)
        .args(args)
        .output()
        .expect("command runs");
    assert!(
        output.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// PostgreSQL's programs, when installed.
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|version| version.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

impl PrivateServer {
    /// A new server of `kind`, started; `None` when its programs are not installed.
    fn create(kind: Kind) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Self {
            kind,
            port: free_port(),
            dir,
            mariadbd: None,
        };
        match kind {
            Kind::Postgres => {
                let bin = postgres_bin()?;
                if is_root() {
                    let owner = Command::new("chown")
                        .args(["postgres:postgres"])
                        .arg(server.dir.path())
                        .status()
                        .expect("chown");
                    assert!(owner.success());
                }
                let data = server.data();
                run(
                    kind,
                    &bin.join("initdb"),
                    &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
                );
            }
            Kind::MariaDb => {
                let install = which("mariadb-install-db")?;
                run(
                    kind,
                    &install,
                    &[
                        "--no-defaults",
                        "--user=root",
                        &format!("--datadir={}", server.data()),
                        "--auth-root-authentication-method=normal",
                        "--skip-test-db",
                    ],
                );
            }
        }
        let mut server = server;
        server.start();
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The URL of database `name` on this server.
    fn url(&self, name: &str) -> String {
        match self.kind {
            Kind::Postgres => format!("postgres://postgres@127.0.0.1:{}/{name}", self.port),
            Kind::MariaDb => format!("mysql://root@127.0.0.1:{}/{name}", self.port),
        }
    }

    fn start(&mut self) {
        match self.kind {
            Kind::Postgres => {
                let options = format!(
                    "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
                    self.port,
                    self.dir.path().display()
                );
                let log = self.dir.path().join("server.log").display().to_string();
                run(
                    self.kind,
                    &postgres_bin().expect("pg_ctl").join("pg_ctl"),
                    &[
                        "-D",
                        &self.data(),
                        "-o",
                        &options,
                        "-l",
                        &log,
                        "-w",
                        "start",
                    ],
                );
            }
            Kind::MariaDb => {
                let dir = self.dir.path().display().to_string();
                let child = Command::new(which("mariadbd").expect("mariadbd"))
                    .args([
                        "--no-defaults".to_owned(),
                        "--user=root".to_owned(),
                        format!("--datadir={}", self.data()),
                        format!("--port={}", self.port),
                        "--bind-address=127.0.0.1".to_owned(),
                        format!("--socket={dir}/mariadb.sock"),
                        format!("--pid-file={dir}/mariadb.pid"),
                        "--innodb-flush-log-at-trx-commit=2".to_owned(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("mariadbd starts");
                self.mariadbd = Some(child);
                let deadline = Instant::now() + Duration::from_secs(60);
                while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                    assert!(Instant::now() < deadline, "MariaDB did not start");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    fn stop(&mut self) {
        match self.kind {
            Kind::Postgres => run(
                self.kind,
                &postgres_bin().expect("pg_ctl").join("pg_ctl"),
                &["-D", &self.data(), "-m", "fast", "-w", "stop"],
            ),
            Kind::MariaDb => {
                if let Some(mut child) = self.mariadbd.take() {
                    let _ = Command::new("kill")
                        .arg("-TERM")
                        .arg(child.id().to_string())
                        .status();
                    let _ = child.wait();
                }
            }
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        match self.kind {
            Kind::Postgres => {
                if let Some(bin) = postgres_bin() {
                    let _ = command(self.kind, &bin.join("pg_ctl"))
                        .args(["-D", &self.data(), "-m", "immediate", "stop"])
                        .output();
                }
            }
            Kind::MariaDb => {
                if let Some(mut child) = self.mariadbd.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

/// A program on the `PATH` or in `/usr/sbin`.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// Whether `/ready` of the process on `port` answers `expected`, polled until it does.
async fn wait_for_ready(port: u16, expected: StatusCode) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = http
            .get(format!("http://127.0.0.1:{port}/ready"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map(|response| response.status());
        if status.is_ok_and(|status| status == expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/ready did not answer {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_database_restart_mid_dispatch_sends_each_once(kind: Kind) {
    let total = 3_000;
    let mut server = PrivateServer::create(kind).unwrap_or_else(|| {
        panic!(
            "{kind:?}'s programs are not installed; run scripts/test-env.sh, which leaves the outage \
             cases out where they cannot run and reports them as skipped"
        )
    });
    let admin = sea_orm::Database::connect(server.url(match kind {
        Kind::Postgres => "postgres",
        Kind::MariaDb => "mysql",
    }))
    .await
    .expect("the private server answers");
    sea_orm::ConnectionTrait::execute_unprepared(&admin, "CREATE DATABASE app")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = server.url("app");

    let (_api_node, api, reminder) = api_node_with_reminder(&url, total).await;
    let worker_port = free_port();
    let worker = Process::start(
        &url,
        worker_port,
        &["worker"],
        // Two in flight: slow enough that the outage comes mid-dispatch.
        &[
            ("DISPATCH_BATCH_SIZE", "200"),
            ("DISPATCH_CONCURRENCY", "2"),
        ],
    );
    api.send_and_wait_for(reminder, 300).await;

    server.stop();
    let down_at = Instant::now();
    let before_outage = worker.sends().len();
    assert!(before_outage < total, "stopped too late to test anything");
    wait_for_ready(worker_port, StatusCode::SERVICE_UNAVAILABLE).await;
    server.start();
    wait_for_ready(worker_port, StatusCode::OK).await;
    let down_for = down_at.elapsed();
    api.wait_until_settled(Duration::from_secs(120)).await;

    let counts = tally(worker.terminate());
    let twice = counts.values().filter(|n| **n > 1).count();
    eprintln!(
        "{kind:?}: database down {:.1} s after {before_outage} sends; {} sent, {twice} twice, {} lost",
        down_for.as_secs_f64(),
        counts.values().sum::<usize>(),
        total - counts.len()
    );
    assert_eq!(counts.len(), total, "nothing is lost");
    assert_eq!(twice, 0, "nothing is sent twice");
    assert_eq!(api.count("sent").await, u64::try_from(total).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_mid_dispatch_sends_each_once() {
    a_database_restart_mid_dispatch_sends_each_once(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mariadb_restart_mid_dispatch_sends_each_once() {
    a_database_restart_mid_dispatch_sends_each_once(Kind::MariaDb).await;
}

/// A small tmpfs of the test's own, for a SQLite database whose disk fills up.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// A 16 MiB tmpfs; `None` where mounting is not allowed (not root, no `mount`).
    fn mount() -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(Self { dir })
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join("filler")
    }

    /// Takes every free byte left.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.filler()).expect("filler");
        let block = vec![0_u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }

    /// Gives the space back.
    fn free(&self) {
        std::fs::remove_file(self.filler()).expect("filler removed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Waits until the process has sent nothing new for a second: its writes are failing.
async fn wait_until_stalled(process: &Process) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = process.sends().len();
    let mut unchanged_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = process.sends().len();
        if now != last {
            last = now;
            unchanged_since = Instant::now();
        } else if unchanged_since.elapsed() >= Duration::from_secs(1) {
            return now;
        }
        assert!(Instant::now() < deadline, "sends went on with a full disk");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_disk_mid_dispatch_sends_each_once() {
    let total = 3_000;
    let disk = SmallDisk::mount().expect(
        "a tmpfs cannot be mounted here (needs root); run scripts/test-env.sh, which leaves the \
         outage cases out where they cannot run and reports them as skipped",
    );
    let url = format!("sqlite://{}/app.db", disk.dir.path().display());
    let port = free_port();
    let node = Process::start(
        &url,
        port,
        &["serve"],
        // Two in flight: slow enough that the disk fills mid-dispatch.
        &[
            ("DISPATCH_BATCH_SIZE", "200"),
            ("DISPATCH_CONCURRENCY", "2"),
        ],
    );
    let api = Api::connect(port).await;
    let reminder = api.reminder_for(total).await;
    api.send_and_wait_for(reminder, 300).await;

    disk.fill();
    let before_free = wait_until_stalled(&node).await;
    assert!(before_free < total, "filled too late to test anything");
    disk.free();
    api.wait_until_settled(Duration::from_secs(120)).await;

    let counts = tally(node.terminate());
    let twice = counts.values().filter(|n| **n > 1).count();
    eprintln!(
        "SQLite: disk full after {before_free} sends; {} sent, {twice} twice, {} lost",
        counts.values().sum::<usize>(),
        total - counts.len()
    );
    assert_eq!(counts.len(), total, "nothing is lost");
    assert_eq!(twice, 0, "nothing is sent twice");
}
