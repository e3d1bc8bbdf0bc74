//! `flood`: the 会员有礼 claim benchmark. Starts the release server against PostgreSQL + Redis
//! (or, with `--backend embedded`, the embedded default: a SQLite file and the in-process gate),
//! creates N activated members (tokens minted before the clock starts), then for each inventory
//! mode (gate on, gate off) and scenario fires claims from C keep-alive connections in a closed
//! loop and prints throughput, latency percentiles (HDR histograms) and what the database holds.
//!
//! Scenarios: (a) in stock, every request a new member; (b) sold out, stock 0; (c) flood, N
//! members each trying `--tries` times for S units, limit 1; (o) the opening minute: claims and
//! the pages members refresh around them (`opening.rs`). See docs/benchmarks.md, the claim flood.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Parser;
use diesel::{Connection, RunQueryDsl};
use hdrhistogram::Histogram;

mod cpu;
mod load;
mod monitors;
mod opening;
mod report;
mod report_reads;
mod seed;
mod server;

use load::{flood, Outcome, Plan};
use report::{evalsha_benchmark, summary, Row, Stored};
use seed::{clear_redis, recreate_database};
use server::Server;
use tests::bench::{seed_admin, seed_members, HttpConn, PASSWORD};

use api::config::Config;
use domain::campaigns::ports::Ticket;
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

#[derive(Parser, Clone)]
#[command(about = "Claim flood benchmark: the inventory gate against the database-only mode")]
struct Args {
    /// `postgres` (PostgreSQL + Redis) or `embedded` (SQLite + in-process stores).
    #[arg(long, default_value = "postgres", value_parser = ["postgres", "embedded"])]
    backend: String,
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
    /// Connections refreshing pages in the mixed phase of scenario (o); C when not given.
    #[arg(long)]
    mixed_page_connections: Option<usize>,
    /// Requests of each phase of scenario (o).
    #[arg(long, default_value_t = 100_000)]
    opening_requests: usize,
    /// Rounds of scenario (o)'s claims alone and mixed, side by side (alone first in even rounds,
    /// mixed first in odd ones): the machine's speed drifts by more than the difference measured,
    /// so each mixed run has an alone run beside it, before and after by turns.
    #[arg(long, default_value_t = 3)]
    opening_rounds: usize,
    /// In scenario (o), refresh the campaign list as a CDN or a client holding its `ETag` does:
    /// the shared list without a token, sent with `If-None-Match`, answered 304.
    #[arg(long)]
    conditional_pages: bool,
    /// a, b, c; or o, the opening minute, alone (it prints its own table).
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
    /// `SGH_KEY=value` for the server besides the tool's own (repeatable), e.g. to run the pages'
    /// rush policy with other settings: `--server-env SGH_RUSH_CLAIMS_PER_SEC=0`.
    #[arg(long = "server-env", value_parser = server_env)]
    server_env: Vec<(String, String)>,
    /// In scenarios a, b and c, a member of staff reads the campaign's report this often (ms)
    /// while the claims flow, one read at a time: its latency and answers are printed after the
    /// row. 0: no reads.
    #[arg(long, default_value_t = 0)]
    report_every_ms: u64,
    /// In scenarios a, b and c, this many staff watch the console's opening monitor (its live
    /// stream, one event a second each) while the claims flow.
    #[arg(long, default_value_t = 0)]
    monitors: usize,
}

fn server_env(pair: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((key, value)) if key.starts_with("SGH_") => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("'{pair}' is not SGH_KEY=value")),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_threads).enable_all().build()?;
    runtime.block_on(run(args))
}

/// The server's environment: the tool reads the same keys to mint tokens and seal personal data.
fn server_vars(args: &Args, gate: &str) -> Vec<(String, String)> {
    let data = data_dir();
    let (database, redis) = if args.embedded() {
        (format!("sqlite://{}", data.join("flood.db").display()), vec![])
    } else {
        let redis = vec![("SGH_REDIS_URL", args.redis.clone()), ("SGH_REDIS_PREFIX", "sgh-flood".to_owned())];
        (format!("{}/{}", args.postgres, args.database), redis)
    };
    [
        ("SGH_DATABASE_URL", database),
        ("SGH_DATABASE_POOL_SIZE", args.pool_size.to_string()),
        ("SGH_BIND", format!("127.0.0.1:{}", args.port)),
        ("SGH_WORKERS", args.server_workers.to_string()),
        ("SGH_INVENTORY_GATE", gate.to_owned()),
        ("SGH_LOG", "warn".to_owned()),
        ("SGH_DATA_DIR", data.display().to_string()),
        ("SGH_MAIL_DIR", data.join("mail").display().to_string()),
    ]
    .into_iter()
    .chain(redis)
    .map(|(k, v)| (k.to_owned(), v))
    .chain(args.server_env.iter().cloned())
    .collect()
}

fn data_dir() -> PathBuf {
    std::env::temp_dir().join("sgh-flood")
}

impl Args {
    fn embedded(&self) -> bool {
        self.backend == "embedded"
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.server.exists() {
        bail!("{} not found: build it with `cargo build --release -p api`", args.server.display());
    }
    let config = Config::from_vars(server_vars(&args, "on"))?;
    if args.embedded() {
        // A fresh SQLite file (and its write-ahead log) for every run.
        for file in ["flood.db", "flood.db-wal", "flood.db-shm"] {
            let _ = std::fs::remove_file(data_dir().join(file));
        }
    } else {
        recreate_database(&args)?;
        clear_redis(&args).await?;
    }
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    let db = infra.db.clone();

    let needed = args.members.max(args.in_stock_claims);
    let started = Instant::now();
    let members = seed_members(&infra, needed).await?;
    eprintln!("seeded {} activated members in {:.1} s", members.len(), started.elapsed().as_secs_f64());
    let admin = seed_admin(&infra, "flood.operator").await?;

    let mut results = Vec::new();
    for mode in &args.modes {
        for scenario in &args.scenarios {
            let server = Server::start(&args, mode)?;
            let staff = server.login(&admin).await?;
            if scenario == "o" {
                println!("\ngate {mode}, (o) the opening minute:");
                opening::opening(&args, &server, &staff, &members[..args.members.min(members.len())]).await?;
                continue;
            }
            let plan = Plan::new(&args, scenario, &members)?;
            let (campaign, gift) = server.campaign(&staff, plan.stock).await?;
            let reader = report_reads::ReportReads::start(&args, &staff, &campaign);
            let watching = monitors::Monitors::start(&args, &staff, &campaign);
            let outcome = flood(&args, &plan, &campaign, &gift, &members).await?;
            if let Some(reader) = reader {
                reader.stop()?.print(mode, scenario);
            }
            if let Some(watching) = watching {
                let events = watching.stop()?;
                println!(
                    "  {} console monitors during ({scenario}), gate {mode}: events received {events:?}",
                    events.len()
                );
            }
            let stored = Stored::read(&db, &campaign, plan.stock).await?;
            let rss_mib = server.peak_rss_mib()?;
            server.stop();
            let row = Row { mode: mode.clone(), scenario: scenario.clone(), outcome, stored, rss_mib };
            row.print();
            results.push(row);
            if mode == "on" && scenario == "b" && !args.embedded() {
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
