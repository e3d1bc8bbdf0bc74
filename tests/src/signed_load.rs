//! Signed load for the benchmark tools (`partner-bench`, `card-bench`): requests signed as a
//! WeChat Pay v3 SDK signs them, built on both cores before a phase's clock starts, sent from
//! keep-alive connections in a closed loop or paced, and the table of what each phase measured.

use anyhow::Context;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bench::HttpConn;
use infra::signing::sign_with_pem;

/// The release server a signed-load tool starts, on PostgreSQL + Redis.
pub struct BenchServer<'a> {
    /// Names the Redis prefix and the data directory.
    pub name: &'a str,
    pub postgres: &'a str,
    pub database: &'a str,
    pub redis: &'a str,
    pub pool_size: u32,
    pub port: u16,
    pub workers: usize,
}

impl BenchServer<'_> {
    /// Its settings: partners unthrottled, logs at `warn`.
    pub fn vars(&self) -> Vec<(String, String)> {
        let data = std::env::temp_dir().join(self.name);
        [
            // Loopback needs no TLS: the server, PostgreSQL and the tool share two cores.
            ("SGH_DATABASE_URL", format!("{}/{}?sslmode=disable", self.postgres, self.database)),
            ("SGH_DATABASE_POOL_SIZE", self.pool_size.to_string()),
            ("SGH_REDIS_URL", self.redis.to_owned()),
            ("SGH_REDIS_PREFIX", self.name.to_owned()),
            ("SGH_BIND", format!("127.0.0.1:{}", self.port)),
            ("SGH_WORKERS", self.workers.to_string()),
            ("SGH_LOG", "warn".to_owned()),
            ("SGH_DATA_DIR", data.display().to_string()),
            ("SGH_PARTNER_REQUESTS_PER_MINUTE", "1000000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// Who signs: a partner's merchant number, key serial and private key.
#[derive(Debug, Clone)]
pub struct Signer {
    pub mchid: String,
    pub serial: String,
    pub key_pem: String,
}

/// A whole HTTP/1.1 request, signed as a WeChat Pay v3 SDK signs it.
pub fn signed(till: &Signer, method: &str, target: &str, body: &str, extra: &str) -> anyhow::Result<Vec<u8>> {
    let timestamp = chrono::Utc::now().timestamp();
    let nonce = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let signature =
        sign_with_pem(&till.key_pem, format!("{method}\n{target}\n{timestamp}\n{nonce}\n{body}\n").as_bytes())?;
    Ok(format!(
        "{method} {target} HTTP/1.1\r\nhost: bench\r\nauthorization: WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",\
         signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"\r\n{extra}content-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        till.mchid,
        till.serial,
        body.len()
    )
    .into_bytes())
}

/// Builds `n` requests on both cores.
pub fn prepare(n: usize, make: impl Fn(usize) -> anyhow::Result<Vec<u8>> + Sync) -> anyhow::Result<Vec<Vec<u8>>> {
    let half = n / 2;
    std::thread::scope(|s| {
        let first = s.spawn(|| (0..half).map(&make).collect::<anyhow::Result<Vec<_>>>());
        let second = (half..n).map(&make).collect::<anyhow::Result<Vec<_>>>()?;
        let mut all = first.join().map_err(|_| anyhow::anyhow!("signing thread panicked"))??;
        all.extend(second);
        Ok(all)
    })
}

/// Where a phase sends its requests, and over how many keep-alive connections.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub port: u16,
    pub connections: usize,
}

pub struct Phase {
    pub name: &'static str,
    pub wall: Duration,
    pub ok: Histogram<u64>,
    pub failed: usize,
    pub first_failure: Option<String>,
}

/// Sends every request from `connections` keep-alive connections in a closed loop.
pub async fn closed_loop(
    load: Load,
    name: &'static str,
    requests: Vec<Vec<u8>>,
    ok_status: u16,
) -> anyhow::Result<Phase> {
    run_loop(load, name, requests, ok_status, None).await
}

/// Sends request `j` at `j / rate` seconds from the start over the same connections, timing each
/// from when it was due: a request that waits for a free connection counts its wait, so the
/// figures are not flattered by a loop that slows down with the server.
pub async fn paced_loop(
    load: Load,
    name: &'static str,
    requests: Vec<Vec<u8>>,
    ok_status: u16,
    rate: f64,
) -> anyhow::Result<Phase> {
    run_loop(load, name, requests, ok_status, Some(rate)).await
}

async fn run_loop(
    load: Load,
    name: &'static str,
    requests: Vec<Vec<u8>>,
    ok_status: u16,
    rate: Option<f64>,
) -> anyhow::Result<Phase> {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        conns.push(HttpConn::open(load.port).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (requests, next) = (requests.clone(), next.clone());
            tokio::spawn(async move {
                let mut ok = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let (mut failed, mut first) = (0usize, None);
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = requests.get(j) else { break };
                    let sent = match rate {
                        Some(rate) => {
                            let due = started + Duration::from_secs_f64(j as f64 / rate);
                            tokio::time::sleep_until(due.into()).await;
                            due
                        }
                        None => Instant::now(),
                    };
                    match conn.exchange(request).await {
                        Ok((status, _)) if status == ok_status => {
                            ok.saturating_record(sent.elapsed().as_micros().max(1) as u64)
                        }
                        Ok((status, body)) => {
                            failed += 1;
                            first.get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
                        }
                        Err(e) => {
                            failed += 1;
                            first.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                (ok, failed, first)
            })
        })
        .collect();
    let mut phase = Phase {
        name,
        wall: Duration::ZERO,
        ok: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        failed: 0,
        first_failure: None,
    };
    for task in tasks {
        let (ok, failed, first) = task.await?;
        phase.ok.add(ok)?;
        phase.failed += failed;
        if phase.first_failure.is_none() {
            phase.first_failure = first;
        }
    }
    phase.wall = started.elapsed();
    Ok(phase)
}

pub fn openssl_sign_rate() -> anyhow::Result<f64> {
    let out =
        std::process::Command::new("openssl").args(["speed", "-seconds", "5", "-multi", "2", "rsa2048"]).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("rsa 2048 bits") || l.starts_with("rsa  2048 bits"))
        .context("no rsa line")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.get(5).context("no sign/s column")?.parse().context("sign/s")
}

/// Prints the phases as the README's table, beside the sign rate.
pub fn print_table(sign_rate: f64, phases: &[Phase]) {
    println!("\nopenssl speed -multi 2 rsa2048: {sign_rate:.0} sign/s\n");
    println!("| phase | requests | failed | wall s | req/s | × openssl sign/s | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for p in phases {
        let rps = p.ok.len() as f64 / p.wall.as_secs_f64();
        let ms = |q: f64| p.ok.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "| {} | {} | {} | {:.1} | {rps:.0} | {:.2} | {:.1} | {:.1} | {:.1} |",
            p.name,
            p.ok.len(),
            p.failed,
            p.wall.as_secs_f64(),
            rps / sign_rate,
            ms(0.5),
            ms(0.99),
            p.ok.max() as f64 / 1000.0
        );
        if let Some(f) = &p.first_failure {
            println!("  first failure: {}", f.chars().take(300).collect::<String>());
        }
    }
}
