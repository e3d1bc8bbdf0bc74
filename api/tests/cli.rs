//! The `sgh` binary as an operator uses it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sgh-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sgh(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sgh"));
    cmd.env_clear()
        .env("SGH_DATA_DIR", data)
        .env("SGH_LOG", "warn")
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_refuses_duplicates() {
    let dir = TempDir::new();
    let mut cmd = sgh(&dir.0);
    cmd.args(["admin", "create", "--username", "root", "--role", "admin"]);
    let out = run_with_stdin(cmd, "a long enough password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created root (admin)"));
    assert!(dir.0.join("sgh.db").exists(), "the embedded database is created on first use");

    let mut again = sgh(&dir.0);
    again.args(["admin", "create", "--username", "root", "--role", "operator"]);
    let out = run_with_stdin(again, "a long enough password\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("username already taken"));

    let mut weak = sgh(&dir.0);
    weak.args(["admin", "create", "--username", "other", "--role", "auditor"]);
    let out = run_with_stdin(weak, "short\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("12-128"));
}

#[test]
fn prod_profile_refuses_development_secrets_with_exit_code_2() {
    let dir = TempDir::new();
    let out = sgh(&dir.0).env("SGH_PROFILE", "prod").arg("migrate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SGH_ADMIN_JWT_SECRET must be set"));

    let out = sgh(&dir.0)
        .env("SGH_PROFILE", "prod")
        .env("SGH_ADMIN_JWT_SECRET", api::config::DEV_ADMIN_JWT_SECRET)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("development default"));
    assert!(!dir.0.join("sgh.db").exists(), "nothing was touched");
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    Some(reply)
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let dir = TempDir::new();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = sgh(&dir.0)
        .env("SGH_BIND", format!("127.0.0.1:{port}"))
        .env("SGH_WORKERS", "1")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        if let Some(reply) = get(port, "/healthz") {
            break reply;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(get(port, "/openapi.json").unwrap().contains("\"openapi\":\"3.1.0\""));

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn import_roster_reports_each_bad_line_and_updates_on_reimport() {
    let dir = TempDir::new();
    let csv = dir.0.join("roster.csv");
    std::fs::write(
        &csv,
        "name,id_number,union_org_code,union_org_name,member_no,status\n\
         张三,11010519491231002X,SZ-1,总工会,M1,active\n\
         李四,110105194912310021,SZ-1,总工会,M2,active\n\
         王五,11010519491231002X,SZ-1,总工会,M1,left\n",
    )
    .unwrap();
    let out = sgh(&dir.0).args(["import-roster"]).arg(&csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The last line repeats the first's ID number: refused by line, so every row is accounted for.
    assert!(stdout.starts_with("inserted 1 updated 0 unchanged 0 rejected 2"), "{stdout}");
    // In Chinese with the column to blame, English beside.
    assert!(
        stdout.contains("line 3 [身份证号]: 身份证号校验位不正确 (id_number: the check character does not match)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 4: 与第 2 行是同一人（身份证号相同） (id_number: the same person as line 2)"),
        "{stdout}"
    );

    let again = sgh(&dir.0).args(["import-roster"]).arg(&csv).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("inserted 0 updated 0 unchanged 1 rejected 2"));
    std::fs::write(&csv, "王五,11010519491231002X,SZ-2,总工会,M1,active\n").unwrap();
    let changed = sgh(&dir.0).args(["import-roster"]).arg(&csv).output().unwrap();
    assert!(String::from_utf8_lossy(&changed.stdout).starts_with("inserted 0 updated 1 unchanged 0 rejected 0"));

    let sheet_of_csv = sgh(&dir.0).args(["import-roster", "--sheet", "名册"]).arg(&csv).output().unwrap();
    assert!(String::from_utf8_lossy(&sheet_of_csv.stderr).contains("--sheet is for .xlsx"));

    let missing = sgh(&dir.0).args(["import-roster", "/nonexistent.csv"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.csv"));
}

fn post_json(port: u16, path: &str, body: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    Some(reply)
}

/// With WeChat and the SMS gateway unreachable, the failures are logged (at debug, everything is)
/// without the app secret, the gateway's key, the member's `js_code` or a sign-in code.
#[test]
fn third_parties_secrets_stay_out_of_the_log() {
    let dir = TempDir::new();
    let free = || TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (port, closed) = (free(), free());
    let (secret, key, js_code) = ("wx-app-secret-7f3a9c", "sms-gateway-key-51d0e2", "js-code-0b8e44aa");
    let log = dir.0.join("serve.log");
    let child = sgh(&dir.0)
        .env("SGH_BIND", format!("127.0.0.1:{port}"))
        .env("SGH_WORKERS", "1")
        .env("SGH_LOG", "debug")
        .env("SGH_WECHAT_BASE_URL", format!("http://127.0.0.1:{closed}"))
        .env("SGH_WECHAT_APPID", "wx-app")
        .env("SGH_WECHAT_SECRET", secret)
        .env("SGH_SMS_URL", format!("http://127.0.0.1:{closed}/send"))
        .env("SGH_SMS_KEY", key)
        .arg("serve")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::from(std::fs::File::create(dir.0.join("serve.err")).unwrap()))
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while get(port, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    let wechat = post_json(port, "/v1/auth/wechat", &format!(r#"{{"code":"{js_code}"}}"#)).unwrap();
    assert!(wechat.starts_with("HTTP/1.1 503"), "{wechat}");
    let sms = post_json(port, "/v1/auth/otp", r#"{"phone":"13900000001"}"#).unwrap();
    assert!(sms.starts_with("HTTP/1.1 503"), "{sms}");
    std::thread::sleep(Duration::from_millis(300));

    let written = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(dir.0.join("serve.err")).unwrap();
    assert!(written.contains("503"), "the failures were logged: {written}");
    for leaked in [secret, key, js_code, "secret=", "js_code="] {
        assert!(!written.contains(leaked), "{leaked} in the log:\n{written}");
    }
    let codes = written.match_indices("code=").filter(|(at, _)| {
        let digits = written[at + 5..].chars().take_while(char::is_ascii_digit).count();
        digits == 6
    });
    assert_eq!(codes.count(), 0, "a sign-in code in the log:\n{written}");
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let dir = TempDir::new();
    let out = sgh(&dir.0).arg("--version").output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    let rest = printed
        .trim()
        .strip_prefix(concat!("sgh ", env!("CARGO_PKG_VERSION"), " ("))
        .unwrap_or_else(|| panic!("{printed}"));
    let commit = rest.strip_suffix(')').unwrap_or_else(|| panic!("{printed}"));
    assert!(commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())), "{printed}");
}
