//! `partner-bench`: the signed partner API and the nearby search under load. Starts the release
//! server against PostgreSQL + Redis, seeds members (with live member codes), merchants with a
//! store, an offer and an RSA key each, and 20,000 stores across Suzhou; measures `openssl speed
//! -multi 2 rsa2048` in the same sitting; then from C keep-alive connections in a closed loop
//! (and verifications once more paced at 0.4× the sign rate, for their latency at that load):
//! signed member-code verifications, signed sales, and member nearby searches. Requests are signed
//! by the tool, each with its own nonce and key, before each phase's clock starts (a till signs
//! before it sends). See docs/benchmarks.md, the partner API.

use anyhow::bail;
use clap::Parser;
use diesel::{Connection, RunQueryDsl};
use std::path::PathBuf;
use std::time::Instant;

use domain::merchants::offer::Funder;
use domain::merchants::ports::{Catalogue, Sales};
use domain::merchants::sale::MemberCode;
use domain::merchants::Audience;
use infra::db::merchants::DbMerchants;
use tests::bench::{seed_members, start_server};
use tests::signed_load::{
    closed_loop, openssl_sign_rate, paced_loop, prepare, print_table, seed_merchant, signed, BenchServer, Load,
    SeedOffer, Till,
};

#[derive(Parser, Clone)]
#[command(about = "Partner API and nearby-search benchmark")]
struct Args {
    #[arg(long, default_value = "target/release/sgh")]
    server: PathBuf,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    #[arg(long, default_value = "sgh_partner_bench")]
    database: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    #[arg(long, default_value_t = 1_000)]
    members: usize,
    #[arg(long, default_value_t = 20)]
    merchants: usize,
    /// Stores for the nearby search, spread over 1,000 merchants.
    #[arg(long, default_value_t = 20_000)]
    stores: usize,
    #[arg(long, default_value_t = 50)]
    connections: usize,
    #[arg(long, default_value_t = 20_000)]
    verifications: usize,
    #[arg(long, default_value_t = 10_000)]
    sales: usize,
    #[arg(long, default_value_t = 20_000)]
    searches: usize,
    #[arg(long, default_value_t = 2)]
    server_workers: usize,
    #[arg(long, default_value_t = 10)]
    pool_size: u32,
    #[arg(long, default_value_t = 18_482)]
    port: u16,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(run(args))
}

fn server_vars(args: &Args) -> Vec<(String, String)> {
    let mut vars = BenchServer {
        name: "sgh-partner-bench",
        postgres: &args.postgres,
        database: &args.database,
        redis: &args.redis,
        pool_size: args.pool_size,
        port: args.port,
        workers: args.server_workers,
    }
    .vars();
    // The seeded member codes outlive the run.
    vars.push(("SGH_MEMBER_CODE_TTL_SECS".into(), "3600".into()));
    vars
}

async fn seed_tills(catalogue: &DbMerchants, n: usize) -> anyhow::Result<Vec<Till>> {
    let mut tills = Vec::with_capacity(n);
    for i in 0..n {
        let offer = SeedOffer { title: "工会会员九折", audience: Audience::Activated, funder: Funder::Merchant };
        tills.push(seed_merchant(catalogue, i, None, offer).await?);
    }
    Ok(tills)
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.server.exists() {
        bail!("{} not found: build it with `cargo build --release -p api`", args.server.display());
    }
    let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", args.postgres))?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database)).execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {}", args.database)).execute(&mut admin)?;
    let config = api::config::Config::from_vars(server_vars(&args))?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    let catalogue =
        DbMerchants::new(infra.db.clone(), infra.crypto.clone(), config.members.privacy_policy_version.clone());

    let started = Instant::now();
    let members = seed_members(&infra, args.members).await?;
    let now = chrono::Utc::now();
    // A code is spent at its first use: one for every verification and sale the run sends.
    let wanted = 2 * args.verifications + args.sales;
    let mut codes = Vec::with_capacity(wanted);
    for (member, _) in members.iter().cycle().take(wanted) {
        let code = MemberCode::random();
        catalogue.save_code(&code, *member, now, now + chrono::Duration::hours(2)).await?;
        codes.push(code.as_str().to_owned());
    }
    let tills = seed_tills(&catalogue, args.merchants).await?;
    let stores = tests::partners::seed_catalogue(&catalogue, 1_000, args.stores / 1_000, 2026).await?;
    eprintln!(
        "seeded {} members, {} merchants, {} stores in {:.0} s",
        members.len(),
        tills.len(),
        stores.len() + tills.len(),
        started.elapsed().as_secs_f64()
    );

    let read = Instant::now();
    let directory = catalogue.directory().await?;
    eprintln!(
        "the search directory ({} stores) reads in {:.0} ms",
        directory.len(),
        read.elapsed().as_secs_f64() * 1e3
    );
    let sign_rate = openssl_sign_rate()?;
    let mut server = start_server(&args.server, &server_vars(&args), args.port)?;
    let mut phases = Vec::new();
    let load = Load { port: args.port, connections: args.connections };

    let verify = prepare(args.verifications, |j| {
        let till = &tills[j % tills.len()];
        let body = format!(r#"{{"store_id":"{}","member_code":"{}"}}"#, till.store, codes[j]);
        signed(&till.signer, "POST", "/v1/partner/member-codes/verify", &body, "")
    })?;
    phases.push(closed_loop(load, "verify member code (signed)", verify, 200).await?);
    // The latency goal is for a load the machine can carry: at 0.4× the sign rate, paced.
    let paced = prepare(args.verifications, |j| {
        let till = &tills[j % tills.len()];
        let body = format!(r#"{{"store_id":"{}","member_code":"{}"}}"#, till.store, codes[args.verifications + j]);
        signed(&till.signer, "POST", "/v1/partner/member-codes/verify", &body, "")
    })?;
    phases.push(paced_loop(load, "verify, paced at 0.4× sign/s", paced, 200, 0.4 * sign_rate).await?);

    let run = uuid::Uuid::new_v4().simple().to_string();
    let sales = prepare(args.sales, |j| {
        let till = &tills[j % tills.len()];
        let body = format!(
            r#"{{"store_id":"{}","member_code":"{}","offer_id":"{}","original_fen":12800,"till_ref":"POS-{j}","channel":"pos"}}"#,
            till.store,
            codes[2 * args.verifications + j],
            till.offer
        );
        signed(&till.signer, "POST", "/v1/partner/sales", &body, &format!("idempotency-key: {run}-{j}\r\n"))
    })?;
    phases.push(closed_loop(load, "record sale (signed)", sales, 201).await?);

    let searches: Vec<Vec<u8>> = (0..args.searches)
        .map(|j| {
            let (_, lat, lng) = tests::partners::SUZHOU[j % tests::partners::SUZHOU.len()];
            let (lat, lng) = (lat + ((j * 7919) % 1000) as f64 * 0.0001 - 0.05, lng + ((j * 104_729) % 1000) as f64 * 0.0001 - 0.05);
            let token = &members[j % members.len()].1;
            format!(
                "GET /v1/merchants?near={lat:.5},{lng:.5}&radius_m=3000&limit=20 HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\r\n"
            )
            .into_bytes()
        })
        .collect();
    phases.push(closed_loop(load, "nearby search, 3 km (20,000 stores)", searches, 200).await?);
    // A child process outlives its handle: stop it, so no server keeps the port.
    let _ = std::process::Command::new("kill").arg("-TERM").arg(server.id().to_string()).status();
    let _ = server.wait();

    print_table(sign_rate, &phases);
    Ok(())
}
