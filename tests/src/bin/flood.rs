//! `flood`: the 会员有礼 claim benchmark. Starts the release server against PostgreSQL + Redis,
//! creates N activated members (tokens minted before the clock starts), then for each inventory
//! mode (gate on, gate off) and scenario fires claims from C keep-alive connections in a closed
//! loop and prints throughput, latency percentiles (HDR histograms) and what the database holds.
//!
//! Scenarios: (a) in stock, every request a new member; (b) sold out, stock 0; (c) flood, N
//! members each trying `--tries` times for S units, limit 1. See README § Benchmark.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Parser;
use diesel::{Connection, RunQueryDsl};
use futures_util::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use api::config::Config;
use domain::campaigns::ports::Ticket;
use domain::campaigns::{CampaignId, GiftId};
use domain::members::ports::{MemberRepository, MemberTokens};
use domain::members::roster::{RosterEntry, RosterStatus};
use domain::members::{IdNumber, Member, MemberId, PersonName, PhoneNumber};

#[derive(Parser, Clone)]
#[command(about = "Claim flood benchmark: the inventory gate against the database-only mode")]
struct Args {
    /// The server binary, built with `cargo build --release -p api`.
    #[arg(long, default_value = "target/release/sgh")]
    server: PathBuf,
    /// PostgreSQL server; the tool (re)creates the database `--database` on it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    #[arg(long, default_value = "sgh_flood")]
    database: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Members (N) of the flood scenario; the other scenarios use as many as they need.
    #[arg(long, default_value_t = 50_000)]
    members: usize,
    /// Stock (S) of the flood scenario.
    #[arg(long, default_value_t = 10_000)]
    stock: u32,
    /// Claims per member in the flood scenario.
    #[arg(long, default_value_t = 3)]
    tries: usize,
    /// Claims of scenario (a), each by a new member, all in stock.
    #[arg(long, default_value_t = 20_000)]
    in_stock_claims: usize,
    /// Claims of scenario (b), against stock 0.
    #[arg(long, default_value_t = 200_000)]
    sold_out_claims: usize,
    /// Keep-alive connections (C).
    #[arg(long, default_value_t = 200)]
    connections: usize,
    #[arg(long, value_delimiter = ',', default_value = "a,b,c")]
    scenarios: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "on,off")]
    modes: Vec<String>,
    /// Passed to the server as SGH_WORKERS.
    #[arg(long, default_value_t = 2)]
    server_workers: usize,
    /// Passed to the server as SGH_DATABASE_POOL_SIZE.
    #[arg(long, default_value_t = 10)]
    pool_size: u32,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    #[arg(long, default_value_t = 18_481)]
    port: u16,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_threads).enable_all().build()?;
    runtime.block_on(run(args))
}

/// The server's environment: the tool reads the same keys to mint tokens and seal personal data.
fn server_vars(args: &Args, gate: &str) -> Vec<(String, String)> {
    let data = std::env::temp_dir().join("sgh-flood");
    [
        ("SGH_DATABASE_URL", format!("{}/{}", args.postgres, args.database)),
        ("SGH_DATABASE_POOL_SIZE", args.pool_size.to_string()),
        ("SGH_REDIS_URL", args.redis.clone()),
        ("SGH_REDIS_PREFIX", "sgh-flood".to_owned()),
        ("SGH_BIND", format!("127.0.0.1:{}", args.port)),
        ("SGH_WORKERS", args.server_workers.to_string()),
        ("SGH_INVENTORY_GATE", gate.to_owned()),
        ("SGH_LOG", "warn".to_owned()),
        ("SGH_DATA_DIR", data.display().to_string()),
        ("SGH_MAIL_DIR", data.join("mail").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.server.exists() {
        bail!("{} not found: build it with `cargo build --release -p api`", args.server.display());
    }
    let config = Config::from_vars(server_vars(&args, "on"))?;
    recreate_database(&args)?;
    clear_redis(&args).await?;
    let db = api::startup::open_database(&config).await?;

    let needed = args.members.max(args.in_stock_claims);
    let started = Instant::now();
    let members = seed_members(&config, &db, needed).await?;
    eprintln!("seeded {} activated members in {:.1} s", members.len(), started.elapsed().as_secs_f64());
    let admin = seed_admin(&config, &db).await?;

    let mut results = Vec::new();
    for mode in &args.modes {
        for scenario in &args.scenarios {
            let server = Server::start(&args, mode)?;
            let staff = server.login(&admin).await?;
            let plan = Plan::new(&args, scenario, &members)?;
            let (campaign, gift) = server.campaign(&staff, plan.stock).await?;
            let outcome = flood(&args, &plan, &campaign, &gift, &members).await?;
            let stored = Stored::read(&db, &campaign, plan.stock).await?;
            let rss_mib = server.peak_rss_mib()?;
            server.stop();
            let row = Row { mode: mode.clone(), scenario: scenario.clone(), outcome, stored, rss_mib };
            row.print();
            results.push(row);
            if mode == "on" && scenario == "b" {
                results_note(evalsha_benchmark(&args, &campaign, &gift, &members[0].0)?);
            }
        }
    }
    summary(&results);
    Ok(())
}

fn results_note(rps: f64) {
    println!("redis-benchmark EVALSHA of the reservation script (sold-out gift, 50 clients): {rps:.0}/s");
}

fn recreate_database(args: &Args) -> anyhow::Result<()> {
    let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", args.postgres))?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database)).execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {}", args.database)).execute(&mut admin)?;
    Ok(())
}

async fn clear_redis(args: &Args) -> anyhow::Result<()> {
    let client = redis::Client::open(args.redis.as_str())?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS").arg("sgh-flood:*").query_async(&mut c).await?;
    for chunk in keys.chunks(1000) {
        let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut c).await?;
    }
    Ok(())
}

/// Members as sign-up makes them (sealed phone and 居民身份证 number, consent, roster row), with
/// an access token each.
async fn seed_members(config: &Config, db: &infra::db::Database, n: usize) -> anyhow::Result<Vec<(MemberId, String)>> {
    let crypto = api::startup::field_crypto(config);
    let repo = infra::db::members::DbMembers::new(db.clone(), crypto);
    let (kid, secret) = &config.member_jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let today = Utc::now().date_naive();
    let name = PersonName::parse("测试会员")?;
    let made: Vec<anyhow::Result<(MemberId, String, RosterEntry)>> = stream::iter(0..n)
        .map(|i| {
            let (repo, tokens, name, policy) = (&repo, &tokens, name.clone(), &config.privacy_policy_version);
            async move {
                let birth =
                    chrono::NaiveDate::from_ymd_opt(1965, 1, 1).unwrap() + chrono::Duration::days((i / 900) as i64);
                let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (i % 900) as u32);
                let id = IdNumber::parse(&id, today)?;
                let phone = PhoneNumber::parse(&format!("135{i:08}"))?;
                let member = repo.create_or_get(&Member::new(phone, Utc::now())).await?;
                repo.bind_real_name(member.id, &name, &id, Utc::now()).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                let token = tokens.issue(member.id, Utc::now())?.0;
                let entry = RosterEntry {
                    name,
                    id_number: id,
                    union_org_code: format!("SZ-{:03}", i % 200),
                    union_org_name: "苏州工会".to_owned(),
                    member_no: format!("F{i}"),
                    status: RosterStatus::Active,
                };
                Ok((member.id, token, entry))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut members = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(n);
    for m in made {
        let (id, token, entry) = m?;
        members.push((id, token));
        entries.push(entry);
    }
    let roster = api::startup::roster(config, db);
    tokio::task::spawn_blocking(move || {
        for batch in entries.chunks(20_000) {
            roster.upsert_batch(batch, Utc::now())?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await??;
    Ok(members)
}

const ADMIN: &str = "flood.operator";
const PASSWORD: &str = "flood-benchmark-password-1";

async fn seed_admin(config: &Config, db: &infra::db::Database) -> anyhow::Result<String> {
    use domain::admin::{Actor, NewAdmin, Password, Role, Username};
    let service = api::startup::admin_service(config, db);
    let new = NewAdmin {
        username: Username::parse(ADMIN)?,
        display_name: "flood".to_owned(),
        email: None,
        role: Role::Operator,
        password: Password::parse(PASSWORD.to_owned())?,
    };
    service.create(&Actor::command_line("flood"), new).await?;
    Ok(ADMIN.to_owned())
}

/// The server under test, as a child process.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &Args, gate: &str) -> anyhow::Result<Self> {
        let child = Command::new(&args.server)
            .arg("serve")
            .env_clear()
            .envs(server_vars(args, gate))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the server")?;
        let server = Server { child, port: args.port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", server.port)) {
                use std::io::{Read, Write};
                c.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")?;
                let mut reply = String::new();
                let _ = c.read_to_string(&mut reply);
                if reply.starts_with("HTTP/1.1 200") {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                bail!("the server did not become ready");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    async fn send(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> anyhow::Result<(u16, String)> {
        let mut conn = HttpConn::open(self.port).await?;
        let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, body) = conn.exchange(request.as_bytes()).await?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    async fn login(&self, username: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({"username": username, "password": PASSWORD}).to_string();
        let (status, reply) = self.send("POST", "/v1/admin/session", None, &body).await?;
        if status != 200 {
            bail!("admin login: {status} {reply}");
        }
        let v: serde_json::Value = serde_json::from_str(&reply)?;
        v["access_token"].as_str().map(str::to_owned).context("no access token")
    }

    /// A published campaign, live from a minute ago, with one gift of `stock`, limit 1.
    async fn campaign(&self, staff: &str, stock: u32) -> anyhow::Result<(String, String)> {
        let beijing =
            |d: chrono::Duration| (Utc::now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = serde_json::json!({"title": "国庆会员有礼", "holiday": "national_day",
            "starts_at": beijing(chrono::Duration::minutes(-1)), "ends_at": beijing(chrono::Duration::hours(2)),
            "per_member_limit": 1, "budget_fen": 1_000_000_000_000i64});
        let (status, reply) = self.send("POST", "/v1/admin/campaigns", Some(staff), &body.to_string()).await?;
        if status != 201 {
            bail!("campaign: {status} {reply}");
        }
        let campaign = serde_json::from_str::<serde_json::Value>(&reply)?["id"].as_str().context("id")?.to_owned();
        let valid_until = (Utc::now() + chrono::Duration::days(30)).date_naive().to_string();
        let gift = serde_json::json!({"name": "月饼礼盒", "unit_cost_fen": 8800, "stock": stock, "per_member_limit": 1,
            "valid_until": valid_until, "funder": "bank"});
        let path = format!("/v1/admin/campaigns/{campaign}/gifts");
        let (status, reply) = self.send("POST", &path, Some(staff), &gift.to_string()).await?;
        if status != 201 {
            bail!("gift: {status} {reply}");
        }
        let gift = serde_json::from_str::<serde_json::Value>(&reply)?["id"].as_str().context("id")?.to_owned();
        let (status, reply) =
            self.send("POST", &format!("/v1/admin/campaigns/{campaign}/publish"), Some(staff), "").await?;
        if status != 200 {
            bail!("publish: {status} {reply}");
        }
        Ok((campaign, gift))
    }

    /// The server's peak resident set since it started (VmHWM).
    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmHWM missing")?;
        Ok(kib / 1024.0)
    }

    fn stop(self) {
        drop(self);
    }
}

/// Stops the server however the run ends, so no orphan keeps the port.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 connection, speaking just enough of the protocol for this API.
struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl HttpConn {
    async fn open(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: Vec::with_capacity(4096) })
    }

    /// Sends one request and reads its response: status and body (Content-Length framed).
    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("connection closed");
            }
        };
        let head = std::str::from_utf8(&self.buf[..header_end])?;
        let status: u16 = head.get(9..12).context("status line")?.parse()?;
        let length: usize = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
            .map(|(_, v)| v.trim().parse())
            .transpose()?
            .context("no content-length")?;
        while self.buf.len() < header_end + length {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("connection closed mid-body");
            }
        }
        Ok((status, self.buf[header_end..header_end + length].to_vec()))
    }
}

/// Which member sends which claim, and against how much stock.
struct Plan {
    stock: u32,
    claims: usize,
    /// Members taking part (claim j is by member j % members).
    members: usize,
}

impl Plan {
    fn new(args: &Args, scenario: &str, members: &[(MemberId, String)]) -> anyhow::Result<Self> {
        Ok(match scenario {
            "a" => {
                Plan { stock: args.in_stock_claims as u32, claims: args.in_stock_claims, members: args.in_stock_claims }
            }
            "b" => Plan { stock: 0, claims: args.sold_out_claims, members: members.len() },
            "c" => Plan { stock: args.stock, claims: args.members * args.tries, members: args.members },
            other => bail!("unknown scenario {other}: a, b or c"),
        })
    }
}

/// What the load generator saw.
struct Outcome {
    wall: Duration,
    granted: Histogram<u64>,
    refused: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn flood(
    args: &Args,
    plan: &Plan,
    campaign: &str,
    gift: &str,
    members: &[(MemberId, String)],
) -> anyhow::Result<Outcome> {
    let path = Arc::new(format!("/v1/campaigns/{campaign}/gifts/{gift}/claims"));
    let tokens: Arc<Vec<String>> = Arc::new(members[..plan.members].iter().map(|(_, t)| t.clone()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let total = plan.claims;
    let mut conns = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        conns.push(HttpConn::open(args.port).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (path, tokens, next, port) = (path.clone(), tokens.clone(), next.clone(), args.port);
            // Keys are per member, so each run needs its own.
            let run = campaign.to_owned();
            tokio::spawn(async move {
                let mut granted = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let mut refused = granted.clone();
                let (mut errors, mut first_error) = (0u64, None);
                let mut request = Vec::with_capacity(512);
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    if j >= total {
                        break;
                    }
                    request.clear();
                    let token = &tokens[j % tokens.len()];
                    request.extend_from_slice(
                        format!(
                            "POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\nidempotency-key: {run}-{j}\r\ncontent-length: 0\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    let sent = Instant::now();
                    let answer = conn.exchange(&request).await;
                    let micros = sent.elapsed().as_micros().max(1) as u64;
                    match answer {
                        Ok((201, _)) => granted.saturating_record(micros),
                        Ok((409, body))
                            if body.windows(8).any(|w| w == b"sold_out") || body.windows(13).any(|w| w == b"limit_reached") =>
                        {
                            refused.saturating_record(micros)
                        }
                        Ok((status, body)) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| e.to_string());
                            match HttpConn::open(port).await {
                                Ok(fresh) => conn = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                (granted, refused, errors, first_error)
            })
        })
        .collect();
    let mut outcome = Outcome {
        wall: Duration::ZERO,
        granted: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        refused: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        errors: 0,
        first_error: None,
    };
    for task in tasks {
        let (granted, refused, errors, first_error) = task.await?;
        outcome.granted.add(granted)?;
        outcome.refused.add(refused)?;
        outcome.errors += errors;
        if outcome.first_error.is_none() {
            outcome.first_error = first_error;
        }
    }
    outcome.wall = started.elapsed();
    Ok(outcome)
}

/// What the database holds for the campaign after the run: the source of truth.
struct Stored {
    claims: i64,
    /// Claims beyond the stock, and slots held twice.
    oversold: i64,
    /// Members holding more than the limit (1).
    over_limit: i64,
    ledger: i64,
}

impl Stored {
    async fn read(db: &infra::db::Database, campaign: &str, stock: u32) -> anyhow::Result<Self> {
        #[derive(diesel::QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            claims: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            distinct_slots: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            beyond: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            over_limit: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            ledger: i64,
        }
        let (campaign, stock) = (campaign.to_owned(), stock as i32);
        let c: Counts = db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    diesel::sql_query(
                        "SELECT (SELECT count(*) FROM claims WHERE campaign_id = $1) AS claims,
                                (SELECT count(DISTINCT (gift_id, slot)) FROM claims WHERE campaign_id = $1) AS distinct_slots,
                                (SELECT count(*) FROM claims WHERE campaign_id = $1 AND slot > $2) AS beyond,
                                (SELECT count(*) FROM (SELECT member_id FROM claims WHERE campaign_id = $1
                                 GROUP BY member_id HAVING count(*) > 1) m) AS over_limit,
                                (SELECT count(*) FROM ledger WHERE campaign_id = $1) AS ledger",
                    )
                    .bind::<diesel::sql_types::Text, _>(campaign)
                    .bind::<diesel::sql_types::Integer, _>(stock)
                    .get_result(conn)?,
                )
            })
            .await?;
        let oversold = (c.claims - i64::from(stock)).max(0) + c.beyond + (c.claims - c.distinct_slots);
        Ok(Stored { claims: c.claims, oversold, over_limit: c.over_limit, ledger: c.ledger })
    }
}

struct Row {
    mode: String,
    scenario: String,
    outcome: Outcome,
    stored: Stored,
    rss_mib: f64,
}

impl Row {
    fn answers(&self) -> u64 {
        self.outcome.granted.len() + self.outcome.refused.len() + self.outcome.errors
    }

    fn per_second(&self, n: u64) -> f64 {
        n as f64 / self.outcome.wall.as_secs_f64()
    }

    fn print(&self) {
        let ms =
            |h: &Histogram<u64>, q: f64| if h.is_empty() { f64::NAN } else { h.value_at_quantile(q) as f64 / 1000.0 };
        let (g, r) = (&self.outcome.granted, &self.outcome.refused);
        let mut all = g.clone();
        all.add(r).expect("histograms with the same bounds add up");
        println!(
            "gate {:<3} {:<14} answers {:>7} in {:>6.2} s = {:>7.0}/s p99 {:.1} ms | granted {:>6} = {:>6.0}/s p50/95/99 {:.1}/{:.1}/{:.1} ms \
             | refused {:>6} p50/95/99 {:.1}/{:.1}/{:.1} ms | errors {} | db claims {} ledger {} oversold {} over-limit {} | server peak RSS {:.1} MiB",
            self.mode,
            self.scenario_name(),
            self.answers(),
            self.outcome.wall.as_secs_f64(),
            self.per_second(self.answers()),
            ms(&all, 0.99),
            g.len(),
            self.per_second(g.len()),
            ms(g, 0.5),
            ms(g, 0.95),
            ms(g, 0.99),
            r.len(),
            ms(r, 0.5),
            ms(r, 0.95),
            ms(r, 0.99),
            self.outcome.errors,
            self.stored.claims,
            self.stored.ledger,
            self.stored.oversold,
            self.stored.over_limit,
            self.rss_mib,
        );
        if let Some(e) = &self.outcome.first_error {
            println!("    first error: {e}");
        }
    }

    fn scenario_name(&self) -> &'static str {
        match self.scenario.as_str() {
            "a" => "(a) in stock",
            "b" => "(b) sold out",
            _ => "(c) flood",
        }
    }
}

/// Gate-on over gate-off ratios, for the scenarios run in both modes.
fn summary(rows: &[Row]) {
    let find = |mode: &str, s: &str| rows.iter().find(|r| r.mode == mode && r.scenario == s);
    for s in ["a", "b", "c"] {
        if let (Some(on), Some(off)) = (find("on", s), find("off", s)) {
            let (what, ratio) = match s {
                "a" => {
                    ("granted/s", on.per_second(on.outcome.granted.len()) / off.per_second(off.outcome.granted.len()))
                }
                "b" => ("answers/s", on.per_second(on.answers()) / off.per_second(off.answers())),
                _ => ("speed (wall time off/on)", off.outcome.wall.as_secs_f64() / on.outcome.wall.as_secs_f64()),
            };
            println!("{}: gate on / gate off {what} = {ratio:.1}x", on.scenario_name());
        }
    }
}

/// `redis-benchmark` running the reservation script alone against the sold-out gift's keys.
fn evalsha_benchmark(args: &Args, campaign: &str, gift: &str, member: &MemberId) -> anyhow::Result<f64> {
    let redis = infra::redis_client::Redis::new(&args.redis, "sgh-flood", Duration::from_secs(1))?;
    let gate = infra::gate::RedisGate::new(redis);
    let ticket = Ticket {
        campaign: CampaignId(campaign.parse()?),
        gift: GiftId(gift.parse()?),
        member: *member,
        request: "redis-benchmark",
        stock: 0,
        gift_limit: 1,
        campaign_limit: 1,
    };
    let url: url_parts::Parts = url_parts::parse(&args.redis);
    let out = Command::new("redis-benchmark")
        .args(["-h", &url.host, "-p", &url.port.to_string(), "-n", "200000", "-c", "50", "-q"])
        .args(gate.reserve_command(&ticket))
        .output()
        .context("running redis-benchmark")?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "EVALSHA ...: 61349.69 requests per second, p50=..."
    let rps = text
        .split("requests per second")
        .next()
        .and_then(|head| head.rsplit([' ', '\r']).find(|w| !w.is_empty()))
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("unexpected redis-benchmark output: {text}"))?;
    Ok(rps)
}

mod url_parts {
    pub struct Parts {
        pub host: String,
        pub port: u16,
    }

    /// Host and port of a `redis://host:port[/db]` URL.
    pub fn parse(url: &str) -> Parts {
        let rest = url.trim_start_matches("redis://").split('/').next().unwrap_or("127.0.0.1:6379");
        let rest = rest.rsplit('@').next().unwrap_or(rest);
        match rest.rsplit_once(':') {
            Some((host, port)) => Parts { host: host.to_owned(), port: port.parse().unwrap_or(6379) },
            None => Parts { host: rest.to_owned(), port: 6379 },
        }
    }
}
