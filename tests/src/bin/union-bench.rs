//! `union-bench`: the union tree at the federation's size. Seeds 25,300 grassroots unions under 61
//! towns (under 10 districts) and 3.49 million roster rows, one account in 35 of them with a phone;
//! starts the release server; then measures, side by side in one run: a district operator's roster
//! search (name prefix, phone suffix, member number) from a few connections at once; a subtree
//! report; what the scope check adds to a plain read (the same union read by the city's admin and
//! by the district's operator, interleaved); and 1,000 join applications approved by 20 officers at
//! once, whose member numbers must come out unique and gapless. `--embedded` runs the embedded
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

/// The tree file: ten districts under the root, the towns spread over them, the grassroots unions
/// spread over the towns.
fn tree_csv(args: &Args) -> String {
    let mut csv = String::from("工会编码,工会名称,类型,上级工会编码\n");
    for d in 0..DISTRICTS {
        csv += &format!("{},第{}区总工会,区总工会,ROOT\n", district(d), d + 1);
    }
    for t in 0..args.towns {
        csv += &format!("{},第{}街道总工会,街道总工会,{}\n", town(t), t + 1, district(t % DISTRICTS));
    }
    for g in 0..args.grassroots {
        csv += &format!("{},第{}公司工会,基层工会,{}\n", grassroots(g), g + 1, town(g % args.towns));
    }
    csv
}

/// The `i`th person on the roster: unique 身份证 number, a name drawn from common surnames.
fn person(i: usize, rng: &mut StdRng, args: &Args) -> anyhow::Result<RosterEntry> {
    let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days((i / 1000) as i64);
    let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (i % 1000) as u32);
    let given: String = (0..rng.random_range(1..=2)).map(|_| GIVEN[rng.random_range(0..GIVEN.len())]).collect();
    let name = format!("{}{given}", SURNAMES[rng.random_range(0..SURNAMES.len())]);
    let union = i % args.grassroots;
    Ok(RosterEntry {
        name: PersonName::parse(&name)?,
        id_number: IdNumber::parse(&id, Utc::now().date_naive())?,
        union_org_code: grassroots(union),
        union_org_name: format!("第{}公司工会", union + 1),
        member_no: format!("M{i:08}"),
        status: RosterStatus::Active,
    })
}

async fn seed(args: &Args, infra: &api::wire::Infra) -> anyhow::Result<()> {
    let started = Instant::now();
    let actor = Actor::command_line("union-bench");
    let tree = tree_csv(args);
    let report = api::unions::wire(infra).unions.import(&actor, Box::new(std::io::Cursor::new(tree)), false).await?;
    ensure!(report.rejected == 0, "tree rows refused: {:?}", report.rejections.first());
    println!("tree: {} unions in {:.1}s", report.inserted, started.elapsed().as_secs_f64());

    let started = Instant::now();
    let roster = infra::db::roster::DbRoster::new(infra.db.clone(), infra.crypto.clone());
    let (total, every) = (args.roster, args.account_every);
    let bench = args.clone();
    let accounts = tokio::task::spawn_blocking(move || {
        let mut rng = StdRng::seed_from_u64(7);
        let mut accounts = Vec::new();
        let mut i = 0;
        while i < total {
            let end = (i + 20_000).min(total);
            let batch: Vec<RosterEntry> =
                (i..end).map(|n| person(n, &mut rng, &bench)).collect::<anyhow::Result<_>>()?;
            for (n, e) in (i..end).zip(&batch) {
                if n % every == 0 {
                    accounts.push((n, e.name.clone(), e.id_number.clone()));
                }
            }
            roster.write_batch(&roster.seal_batch(&batch), Utc::now())?;
            i = end;
        }
        Ok::<_, anyhow::Error>(accounts)
    })
    .await??;
    println!("roster: {total} rows in {:.1}s", started.elapsed().as_secs_f64());

    // Accounts bound to one roster row in `every`, with phone 139 + the row number.
    let started = Instant::now();
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let policy = infra.config.members.privacy_policy_version.clone();
    let n = accounts.len();
    let made: Vec<anyhow::Result<()>> = stream::iter(accounts)
        .map(|(i, name, id)| {
            let (repo, policy) = (&repo, &policy);
            async move {
                let member =
                    repo.create_or_get(&Member::new(PhoneNumber::parse(&format!("139{i:08}"))?, Utc::now())).await?;
                repo.bind_real_name(member.id, &name, &id, Utc::now()).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                Ok(())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    made.into_iter().collect::<anyhow::Result<()>>()?;
    println!("accounts: {n} in {:.1}s", started.elapsed().as_secs_f64());

    // The city's admin, made as the first one is, from the command line.
    let new = NewAdmin {
        username: Username::parse("city.admin")?,
        display_name: "市总工会".to_owned(),
        email: None,
        role: Role::Admin,
        password: Password::parse(PASSWORD.to_owned())?,
        scope: None,
    };
    api::admin::wire(infra).admins.create(&actor, new).await?;
    Ok(())
}

fn request(method: &str, path: &str, token: &str, body: Option<&Value>) -> Vec<u8> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n");
    if !body.is_empty() {
        head += &format!("content-type: application/json\r\ncontent-length: {}\r\n", body.len());
    }
    head += "\r\n";
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

async fn call(port: u16, method: &str, path: &str, token: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
    let mut conn = HttpConn::open(port).await?;
    let (status, body) = conn.exchange(&request(method, path, token, body.as_ref())).await?;
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

async fn sign_in(port: u16, username: &str) -> anyhow::Result<String> {
    let body = json!({"username": username, "password": PASSWORD});
    let (status, reply) = call(port, "POST", "/v1/admin/session", "-", Some(body)).await?;
    ensure!(status == 200, "{username} could not sign in: {status} {reply}");
    Ok(reply["access_token"].as_str().context("no token")?.to_owned())
}

async fn staff(port: u16, admin: &str, username: &str, role: &str, scope: &str) -> anyhow::Result<String> {
    let body = json!({"username": username, "password": PASSWORD, "display_name": username, "role": role,
        "scope_code": scope});
    let (status, reply) = call(port, "POST", "/v1/admin/users", admin, Some(body)).await?;
    ensure!(status == 201, "{username}: {status} {reply}");
    sign_in(port, username).await
}

/// Sends every request from `connections` keep-alive connections at once (each takes the next
/// request as soon as its previous one is answered); latencies in microseconds.
async fn closed_loop(
    port: u16,
    requests: Vec<Vec<u8>>,
    connections: usize,
) -> anyhow::Result<(Histogram<u64>, Duration)> {
    let queue = std::sync::Arc::new(std::sync::Mutex::new(requests.into_iter()));
    let started = Instant::now();
    let lanes: Vec<anyhow::Result<Histogram<u64>>> = stream::iter(0..connections)
        .map(|_| {
            let queue = queue.clone();
            async move {
                let mut conn = HttpConn::open(port).await?;
                let mut latencies = Histogram::<u64>::new(3)?;
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(req) = next else { break };
                    let at = Instant::now();
                    let (status, body) = conn.exchange(&req).await?;
                    latencies.record(at.elapsed().as_micros() as u64)?;
                    ensure!(status == 200, "{status}: {}", String::from_utf8_lossy(&body));
                }
                Ok(latencies)
            }
        })
        .buffer_unordered(connections)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut all = Histogram::<u64>::new(3)?;
    for lane in lanes {
        all.add(lane?)?;
    }
    Ok((all, elapsed))
}

/// A search's body, drawn at random.
type MakeBody<'a> = Box<dyn Fn(&mut StdRng) -> Value + 'a>;

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
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
    let settle = if args.embedded { "ANALYZE" } else { "VACUUM ANALYZE" };
    infra
        .db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(settle).execute(conn).map_err(anyhow::Error::from)
        })
        .await?;
    println!("{settle}: {:.1}s", started.elapsed().as_secs_f64());
    drop(infra);

    let mut server = start_server(&args.server, &vars, args.port)?;
    let outcome = measure(&args).await;
    let _ = server.kill();
    let _ = server.wait();
    outcome
}

async fn measure(args: &Args) -> anyhow::Result<()> {
    let port = args.port;
    let city = sign_in(port, "city.admin").await?;
    let district_code = district(0);
    let operator = staff(port, &city, "d01.ops", "operator", &district_code).await?;
    let mut rng = StdRng::seed_from_u64(11);
    // Rows of the first district: the grassroots unions of its towns.
    let in_district = |i: usize| (i % args.grassroots % args.towns) % DISTRICTS == 0;
    let district_rows: Vec<usize> = (0..args.roster).filter(|&i| in_district(i)).collect();

    // 1. Roster search by the district's operator.
    println!(
        "\nroster search by a district's operator ({} rows in the district), {} connections:",
        district_rows.len(),
        args.connections
    );
    println!("| search | requests | p50 | p99 | max | found per page (mean) |");
    println!("|---|---|---|---|---|---|");
    let kinds: [(&str, MakeBody); 4] = [
        (
            "name prefix, 1 character",
            Box::new(|r: &mut StdRng| json!({"name_prefix": SURNAMES[r.random_range(0..SURNAMES.len())]})),
        ),
        (
            "name prefix, 2 characters",
            Box::new(
                |r: &mut StdRng| json!({"name_prefix": format!("{}{}", SURNAMES[r.random_range(0..SURNAMES.len())], GIVEN[r.random_range(0..GIVEN.len())])}),
            ),
        ),
        (
            "phone suffix",
            Box::new(|r: &mut StdRng| json!({"phone_suffix": format!("{:04}", r.random_range(0..10_000))})),
        ),
        (
            "member number",
            Box::new(
                |r: &mut StdRng| json!({"member_no": format!("M{:08}", district_rows[r.random_range(0..district_rows.len())])}),
            ),
        ),
    ];
    let mut worst_p99 = 0u64;
    for (label, make) in &kinds {
        let bodies: Vec<Value> = (0..args.searches).map(|_| make(&mut rng)).collect();
        // What a page holds, from a sample (the timed requests are the same requests).
        let mut found = 0usize;
        for body in bodies.iter().take(50) {
            let (status, reply) = call(port, "POST", "/v1/admin/roster/search", &operator, Some(body.clone())).await?;
            ensure!(status == 200, "{status} {reply}");
            found += reply["items"].as_array().map_or(0, Vec::len);
        }
        let requests = bodies.iter().map(|b| request("POST", "/v1/admin/roster/search", &operator, Some(b))).collect();
        let (h, _) = closed_loop(port, requests, args.connections).await?;
        worst_p99 = worst_p99.max(h.value_at_quantile(0.99));
        println!(
            "| {label} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} |",
            h.len(),
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max()),
            found as f64 / 50.0
        );
    }
    println!("worst p99: {:.1} ms (goal ≤ 50 ms)", ms(worst_p99));

    // 2. What the scope check adds to a plain read: the same union read by the city's admin
    //    (whole tree) and the district's operator (its path checked), interleaved.
    let union = format!("/v1/admin/unions/{}", grassroots(0));
    let (mut plain, mut scoped) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
    for _ in 0..20 {
        for (who, into) in [(&city, &mut plain), (&operator, &mut scoped)] {
            let reqs = (0..250).map(|_| request("GET", &union, who, None)).collect();
            let (h, _) = closed_loop(port, reqs, 1).await?;
            into.add(h)?;
        }
    }
    let (p50, s50) = (plain.value_at_quantile(0.5) as f64, scoped.value_at_quantile(0.5) as f64);
    println!(
        "\nGET {union}, 5,000 each, interleaved: whole tree p50 {:.3} ms (mean {:.3}), scoped p50 {:.3} ms (mean {:.3}): \
         the scope check adds {:+.1}% at the median, {:+.1}% on the mean (goal ≤ 5%)",
        p50 / 1000.0,
        plain.mean() / 1000.0,
        s50 / 1000.0,
        scoped.mean() / 1000.0,
        (s50 / p50 - 1.0) * 100.0,
        (scoped.mean() / plain.mean() - 1.0) * 100.0
    );

    // 3. 1,000 join applications to 20 grassroots unions, approved by their 20 officers at once:
    //    first unions of 20 towns (each town's counter numbers its own), then 20 unions of one town
    //    (every number drawn from one counter, the worst case).
    let spread: Vec<String> = (0..args.officers).map(grassroots).collect();
    let one_town: Vec<String> =
        (0..args.grassroots).filter(|g| g % args.towns == 1).take(args.officers).map(grassroots).collect();
    ensure!(one_town.len() == args.officers, "not enough unions in one town");
    let spread_label = format!("in {} towns", args.officers.min(args.towns));
    for (round, (label, unions)) in [(spread_label.as_str(), spread), ("in one town", one_town)].into_iter().enumerate()
    {
        approvals(args, &city, round, label, &unions).await?;
    }

    // 4. Reports: the district's subtree, and the whole city, for the year.
    let this_year = Utc::now().format("%Y").to_string();
    for (who, code, label) in [(&operator, district_code.as_str(), "a district"), (&city, "ROOT", "the whole city")] {
        let path = format!("/v1/admin/unions/{code}/report?from={this_year}-01&to={this_year}-12");
        let mut times = Vec::new();
        let mut reply = Value::Null;
        for _ in 0..5 {
            let at = Instant::now();
            let (status, body) = call(port, "GET", &path, who, None).await?;
            times.push(at.elapsed());
            ensure!(status == 200, "{status} {body}");
            reply = body;
        }
        times.sort();
        println!(
            "report of {label} ({code}, 12 months): median {:.0} ms, max {:.0} ms (goal ≤ 2 s); members {}, joins this year {}",
            times[2].as_secs_f64() * 1000.0,
            times[4].as_secs_f64() * 1000.0,
            reply["members"],
            reply["months"].as_array().map_or(0, |m| m.iter().map(|x| x["joins"].as_u64().unwrap_or(0)).sum::<u64>())
        );
    }
    Ok(())
}

/// `args.applications` join applications to `town_unions`, each union's decided by its own officer,
/// all officers at once; checks every town's numbers are unique and gapless.
async fn approvals(args: &Args, city: &str, round: usize, label: &str, town_unions: &[String]) -> anyhow::Result<()> {
    let port = args.port;
    let config = api::config::Config::from_vars(server_vars(args))?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    // Made through the API; signed in on the server's own keys (forty sign-ins from one address
    // in a minute would meet its per-address limit).
    let admins = api::admin::wire(&infra).admins;
    let mut officers = Vec::new();
    for (k, u) in town_unions.iter().enumerate() {
        let username = format!("officer.{round}.{k:02}");
        let body = json!({"username": username, "password": PASSWORD, "display_name": username,
            "role": "union_officer", "scope_code": u});
        let (status, reply) = call(port, "POST", "/v1/admin/users", city, Some(body)).await?;
        ensure!(status == 201, "{username}: {status} {reply}");
        officers.push(admins.login(&username, PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?.token);
    }
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.members.jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let started = Instant::now();
    let applied: Vec<anyhow::Result<(usize, String)>> = stream::iter(0..args.applications)
        .map(|k| {
            let (repo, tokens, policy, unions) = (&repo, &tokens, &config.members.privacy_policy_version, &town_unions);
            async move {
                let phone = format!("13{}{k:08}", 6 + round);
                let member = repo.create_or_get(&Member::new(PhoneNumber::parse(&phone)?, Utc::now())).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                let token = tokens.issue(member.id, Utc::now())?.0;
                // Born in the 1950s: nobody on the seeded roster.
                let birth = chrono::NaiveDate::from_ymd_opt(1950 + 5 * round as i32, 1, 1).unwrap()
                    + chrono::Duration::days((k / 900) as i64);
                let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (k % 900) as u32);
                let union = k % unions.len();
                let body = json!({"kind": "join", "union_code": unions[union], "employer": "苏州某某科技有限公司",
                    "position": "装配工", "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": id});
                let (status, reply) = call(port, "POST", "/v1/me/applications", &token, Some(body)).await?;
                ensure!(status == 201, "application {k}: {status} {reply}");
                Ok((union, reply["id"].as_str().context("no id")?.to_owned()))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut queues: Vec<Vec<Vec<u8>>> = vec![Vec::new(); args.officers];
    for a in applied {
        let (union, id) = a?;
        let body = json!({"decision": "approve"});
        queues[union].push(request(
            "POST",
            &format!("/v1/admin/applications/{id}/decision"),
            &officers[union],
            Some(&body),
        ));
    }
    println!("\n{} join applications submitted in {:.1}s", args.applications, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let decided: Vec<anyhow::Result<Histogram<u64>>> = stream::iter(queues)
        .map(|q| async move { closed_loop(port, q, 1).await.map(|(h, _)| h) })
        .buffer_unordered(args.officers)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies = Histogram::<u64>::new(3)?;
    for d in decided {
        latencies.add(d?)?;
    }
    // Each town's counter numbers its own: per town, 1..n with none twice or skipped.
    let mut by_town: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for n in approved_numbers(&infra).await? {
        let (town, seq) = n.rsplit_once('-').context("a member number")?;
        by_town.entry(town.to_owned()).or_default().push(seq.parse()?);
    }
    let mut total = 0;
    for (town, mut seqs) in by_town {
        seqs.sort_unstable();
        ensure!(seqs.iter().enumerate().all(|(i, n)| *n == i as u64 + 1), "{town}: numbers not unique and gapless");
        total += seqs.len();
    }
    ensure!(
        total == args.applications * (round + 1),
        "{total} numbers for {} approvals",
        args.applications * (round + 1)
    );
    println!(
        "{} approvals by {} officers of unions {label} at once: {:.2}s, {:.0} approvals/s (goal ≥ 300/s), p50 {:.1} ms, p99 {:.1} ms; numbers unique and gapless per town",
        latencies.len(),
        args.officers,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(latencies.value_at_quantile(0.5)),
        ms(latencies.value_at_quantile(0.99)),
    );

    Ok(())
}

/// The member numbers the approvals gave, read from the database.
async fn approved_numbers(infra: &api::wire::Infra) -> anyhow::Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct No {
        #[diesel(sql_type = diesel::sql_types::Text)]
        member_no: String,
    }
    infra
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT member_no FROM applications WHERE state = 'approved' AND member_no IS NOT NULL")
                .load::<No>(conn)
                .map(|rows| rows.into_iter().map(|r| r.member_no).collect())
                .map_err(anyhow::Error::from)
        })
        .await
}
