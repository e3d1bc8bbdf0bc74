//! `union-bench`: the union tree at the federation's size. Seeds 25,300 grassroots unions under 61
//! towns (under 10 districts) and 3.49 million roster rows, one account in 35 of them with a phone;
//! starts the release server; then measures, side by side in one run: a district operator's roster
//! search (name prefix, phone suffix, member number) from a few connections at once; a subtree
//! report; what the scope check adds to a plain read (the same union read by the city's admin and
//! by the district's operator, interleaved); and 1,000 join applications approved by 20 officers at
//! once, whose member numbers must come out unique and gapless; and the staff console's pages. `--embedded` runs the embedded
//! default (SQLite, in-process stores) on a tenth of the tree and roster. See docs/benchmarks.md.

use anyhow::{bail, ensure, Context};
use chrono::Utc;
use clap::Parser;
use futures_util::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use domain::admin::{Actor, NewAdmin, Password, Role, Username};
use domain::members::ports::{MemberRepository, MemberTokens};
use domain::members::roster::{RosterEntry, RosterStatus};
use domain::members::{IdNumber, Member, PersonName, PhoneNumber};
use tests::bench::{start_server, HttpConn};

mod approvals;
mod console;
mod http;
mod measure;
mod seed;
mod services;

use http::*;
use seed::seed;

#[derive(Parser, Clone)]
#[command(about = "The union tree, scoped search, reports and approvals at the federation's size")]
struct Args {
    #[arg(long, default_value = "target/release/sgh")]
    server: PathBuf,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    #[arg(long, default_value = "sgh_union_bench")]
    database: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// The embedded default (SQLite file, in-process stores), on a tenth of the tree and roster.
    #[arg(long)]
    embedded: bool,
    #[arg(long, default_value_t = 25_300)]
    grassroots: usize,
    #[arg(long, default_value_t = 61)]
    towns: usize,
    #[arg(long, default_value_t = 3_490_000)]
    roster: usize,
    /// One roster row in this many has an account with a phone.
    #[arg(long, default_value_t = 35)]
    account_every: usize,
    /// Searches of each kind.
    #[arg(long, default_value_t = 1_000)]
    searches: usize,
    /// Connections the searches come from at once.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    #[arg(long, default_value_t = 1_000)]
    applications: usize,
    #[arg(long, default_value_t = 20)]
    officers: usize,
    #[arg(long, default_value_t = 2)]
    server_workers: usize,
    #[arg(long, default_value_t = 10)]
    pool_size: u32,
    #[arg(long, default_value_t = 18_485)]
    port: u16,
    /// Service windows instead: cases filed, a caseworker's queue, a member's list, 2 MB uploads.
    #[arg(long)]
    services: bool,
    /// Cases filed before the service windows are measured.
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    /// Cases filed with a 2 MB scan twenty at once (and a quarter of that one at a time).
    #[arg(long, default_value_t = 400)]
    uploads: usize,
}

const DISTRICTS: usize = 10;
const PASSWORD: &str = "union-benchmark-password-1";
const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华",
];

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.embedded {
        args.grassroots /= 10;
        args.roster /= 10;
        args.cases /= 10;
        args.towns = args.towns.div_ceil(10).max(DISTRICTS);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(run(args))
}

fn district(d: usize) -> String {
    format!("D{:02}", d + 1)
}
fn town(t: usize) -> String {
    format!("T{:03}", t + 1)
}
fn grassroots(g: usize) -> String {
    format!("G{:05}", g + 1)
}

fn server_vars(args: &Args) -> Vec<(String, String)> {
    let data = std::env::temp_dir().join(if args.embedded { "sgh-union-bench-embedded" } else { "sgh-union-bench" });
    let mut vars = vec![
        ("SGH_BIND", format!("127.0.0.1:{}", args.port)),
        ("SGH_WORKERS", args.server_workers.to_string()),
        ("SGH_LOG", "warn".to_owned()),
        ("SGH_DATA_DIR", data.display().to_string()),
        ("SGH_DATABASE_POOL_SIZE", args.pool_size.to_string()),
    ];
    if !args.embedded {
        vars.push(("SGH_DATABASE_URL", format!("{}/{}?sslmode=disable", args.postgres, args.database)));
        vars.push(("SGH_REDIS_URL", args.redis.clone()));
        vars.push(("SGH_REDIS_PREFIX", "sgh-union-bench".to_owned()));
    }
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Statistics current, pages all-visible, as autovacuum leaves a table that has settled: what was run.
async fn settle(infra: &api::wire::Infra, embedded: bool) -> anyhow::Result<&'static str> {
    let settle = if embedded { "ANALYZE" } else { "VACUUM ANALYZE" };
    infra
        .db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(settle).execute(conn).map_err(anyhow::Error::from)
        })
        .await?;
    Ok(settle)
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.server.exists() {
        bail!("{} not found: build it with `cargo build --release -p api`", args.server.display());
    }
    let vars = server_vars(&args);
    let data = PathBuf::from(&vars.iter().find(|(k, _)| k == "SGH_DATA_DIR").unwrap().1);
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    if !args.embedded {
        use diesel::{Connection, RunQueryDsl};
        let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", args.postgres))?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database)).execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE {}", args.database)).execute(&mut admin)?;
    }
    let config = api::config::Config::from_vars(vars.clone())?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    let backend = if args.embedded { "embedded default (SQLite)" } else { "PostgreSQL + Redis" };
    println!(
        "{backend}: {} districts, {} towns, {} grassroots unions, {} roster rows",
        DISTRICTS, args.towns, args.grassroots, args.roster
    );
    seed(&args, &infra).await?;
    // As autovacuum leaves a table that has settled: statistics current, pages all-visible (a
    // count by index reads no table page).
    let started = Instant::now();
    let how = settle(&infra, args.embedded).await?;
    println!("{how}: {:.1}s", started.elapsed().as_secs_f64());
    drop(infra);

    let mut server = start_server(&args.server, &vars, args.port)?;
    let outcome =
        if args.services { services::services(&args, server.id()).await } else { measure::measure(&args).await };
    let _ = server.kill();
    let _ = server.wait();
    outcome
}
