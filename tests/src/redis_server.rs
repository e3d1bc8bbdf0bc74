//! A private redis-server child process for the tests that stop Redis or reconfigure it, stopped
//! when dropped (also when the test fails).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateRedis {
    child: Child,
    pub port: u16,
}

impl PrivateRedis {
    /// Starts `redis-server` on `port` (nothing persisted) with `extra` arguments, and waits until
    /// it answers.
    pub fn start(port: u16, extra: &[&str]) -> Self {
        let port_text = port.to_string();
        // Its own directory: nothing is read from or left in the working directory.
        let dir = std::env::temp_dir().join(format!("sgh-redis-{port}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("redis directory");
        let dir = dir.display().to_string();
        let mut args =
            vec!["--port", &port_text, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", &dir];
        args.extend_from_slice(extra);
        let child = Command::new("redis-server").args(&args).stdout(Stdio::null()).spawn().expect("redis-server runs");
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Runs one command through `redis-cli` against this server.
    pub fn cli(&self, args: &[&str]) -> String {
        let out =
            Command::new("redis-cli").arg("-p").arg(self.port.to_string()).args(args).output().expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
