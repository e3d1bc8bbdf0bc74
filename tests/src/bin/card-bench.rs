//! `card-bench`: the 会员服务卡 under load. Starts the release server against PostgreSQL + Redis,
//! seeds 100,000 active cards (with today's handles), 20 partner merchants the bank knows, each
//! with a cardholder offer and an RSA key, and the bank with its key; measures `openssl speed
//! -multi 2 rsa2048` in the same sitting; then signed card-code verifications by merchants (each
//! code used once) from C keep-alive connections, closed-loop and paced at 0.4× the sign rate;
//! then the bank's feed: N transactions posted in batches of 1,000, every one matched to a rebate,
//! and the same batches posted again, changing nothing. See docs/benchmarks.md, the card.

use anyhow::{bail, ensure};
use clap::Parser;
use diesel::sql_types::{Array, Date, Text, Timestamp};
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::path::PathBuf;
use std::time::Instant;

use domain::campaigns::SHANGHAI;
use domain::cards::code::step_of;
use domain::cards::CardNumber;
use domain::merchants::offer::Funder;
use domain::merchants::{Audience, BankMerchantId, PartnerKind};
use infra::db::merchants::DbMerchants;
use tests::bench::start_server;
use tests::signed_load::{
    closed_loop, openssl_sign_rate, paced_loop, prepare, print_table, seed_merchant, seed_partner, signed, BenchServer,
    Load, SeedOffer, Till,
};

#[derive(Parser, Clone)]
#[command(about = "Card-code verification and bank feed benchmark")]
struct Args {
    #[arg(long, default_value = "target/release/sgh")]
    server: PathBuf,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    #[arg(long, default_value = "sgh_card_bench")]
    database: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    #[arg(long, default_value_t = 100_000)]
    cards: usize,
    #[arg(long, default_value_t = 20)]
    merchants: usize,
    #[arg(long, default_value_t = 50)]
    connections: usize,
    #[arg(long, default_value_t = 20_000)]
    verifications: usize,
    /// Card transactions the bank posts, in batches of 1,000.
    #[arg(long, default_value_t = 1_000_000)]
    transactions: usize,
    /// Connections the bank posts its batches over.
    #[arg(long, default_value_t = 4)]
    feed_connections: usize,
    #[arg(long, default_value_t = 2)]
    server_workers: usize,
    #[arg(long, default_value_t = 10)]
    pool_size: u32,
    #[arg(long, default_value_t = 18_483)]
    port: u16,
}

const BATCH: usize = 1_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(run(args))
}

fn server_vars(args: &Args) -> Vec<(String, String)> {
    BenchServer {
        name: "sgh-card-bench",
        postgres: &args.postgres,
        database: &args.database,
        redis: &args.redis,
        pool_size: args.pool_size,
        port: args.port,
        workers: args.server_workers,
    }
    .vars()
}

/// A seeded card as its app knows it.
struct SeededCard {
    handle: String,
    secret: Vec<u8>,
    token: String,
}

/// Members and their active cards with today's handles, in bulk statements.
fn seed_cards(
    conn: &mut PgConnection,
    crypto: &infra::crypto::FieldCrypto,
    consent: &str,
    n: usize,
) -> anyhow::Result<Vec<SeededCard>> {
    let now = chrono::Utc::now();
    let today = now.with_timezone(&SHANGHAI).date_naive();
    let mut seeded = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let (mut members, mut cards, mut statuses, mut indexes, mut last4s, mut tokens, mut secrets, mut handles) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for &i in chunk {
            let member = uuid::Uuid::now_v7().to_string();
            let number = CardNumber::complete(&format!("621483{i:012}")).expect("18 digits");
            let secret: Vec<u8> =
                uuid::Uuid::new_v4().as_bytes().iter().chain(uuid::Uuid::new_v4().as_bytes()).copied().collect();
            let token = format!("acct_tok_{i:08}");
            // Unique among today's handles; random enough for a benchmark.
            let handle = format!("{:010}", (i as u64 * 7_919 + 1_000_003) % 10_000_000_000);
            members.push(member);
            cards.push(uuid::Uuid::now_v7().to_string());
            statuses.push("active");
            indexes.push(crypto.blind_index("card_number", number.as_str()));
            last4s.push(number.last4().to_owned());
            tokens.push(token.clone());
            let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
            secrets.push(crypto.seal(&hex));
            handles.push(handle.clone());
            seeded.push(SeededCard { handle, secret, token });
        }
        let at = vec![now.naive_utc(); chunk.len()];
        // In standing: the current consent, and a roster row matching the bound identity (the
        // indexes stand in for the keyed digests of a real name and 身份证 number).
        diesel::sql_query(
            "INSERT INTO members (id, name_index, id_index, consent_version, created_at, updated_at)
             SELECT m, 'bench-name', 'bench-id-' || m, $3, t, t FROM unnest($1::text[], $2::timestamp[]) AS x(m, t)",
        )
        .bind::<Array<Text>, _>(&members)
        .bind::<Array<Timestamp>, _>(&at)
        .bind::<Text, _>(consent)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO roster (id_index, name_index, name_cipher, id_cipher, union_org_code, union_org_name, member_no,
                                 status, updated_at)
             SELECT 'bench-id-' || m, 'bench-name', '-', '-', 'SZ-001', '苏州工会', m, 'active', t
             FROM unnest($1::text[], $2::timestamp[]) AS x(m, t)",
        )
        .bind::<Array<Text>, _>(&members)
        .bind::<Array<Timestamp>, _>(&at)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO cards (id, member_id, status, number_index, number_last4, account_token, account_last4,
                                secret_cipher, created_at, updated_at)
             SELECT c, m, s, ni, l4, tok, '6621', sec, t, t
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::timestamp[]) AS x(c, m, s, ni, l4, tok, sec, t)",
        )
        .bind::<Array<Text>, _>(&cards)
        .bind::<Array<Text>, _>(&members)
        .bind::<Array<Text>, _>(&statuses)
        .bind::<Array<Text>, _>(&indexes)
        .bind::<Array<Text>, _>(&last4s)
        .bind::<Array<Text>, _>(&tokens)
        .bind::<Array<Text>, _>(&secrets)
        .bind::<Array<Timestamp>, _>(&at)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO card_handles (day, handle, card_id) SELECT $1, h, c FROM unnest($2::text[], $3::text[]) AS x(h, c)",
        )
        .bind::<Date, _>(today)
        .bind::<Array<Text>, _>(&handles)
        .bind::<Array<Text>, _>(&cards)
        .execute(conn)?;
    }
    Ok(seeded)
}

fn count(conn: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.server.exists() {
        bail!("{} not found: build it with `cargo build --release -p api`", args.server.display());
    }
    let mut admin = PgConnection::establish(&format!("{}/postgres", args.postgres))?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database)).execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {}", args.database)).execute(&mut admin)?;
    let config = api::config::Config::from_vars(server_vars(&args))?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    let catalogue =
        DbMerchants::new(infra.db.clone(), infra.crypto.clone(), config.members.privacy_policy_version.clone());
    let mut db = PgConnection::establish(&format!("{}/{}", args.postgres, args.database))?;

    let started = Instant::now();
    let cards = seed_cards(&mut db, &infra.crypto, &config.members.privacy_policy_version, args.cards)?;
    // Partner merchants the bank knows as `BOSZ-M-{i}`, each with a cardholder offer (10% back,
    // paid by the bank); and the bank itself.
    let mut tills = Vec::with_capacity(args.merchants);
    for i in 0..args.merchants {
        let known_as = BankMerchantId::parse(&format!("BOSZ-M-{i}")).ok_or_else(|| anyhow::anyhow!("bank id {i}"))?;
        let offer = SeedOffer { title: "持卡返现一成", audience: Audience::Cardholders, funder: Funder::Bank };
        tills.push(seed_merchant(&catalogue, i, Some(known_as), offer).await?);
    }
    let (_, bank) = seed_partner(&catalogue, 0, PartnerKind::Bank, None).await?;
    diesel::sql_query("ANALYZE").execute(&mut db)?;
    eprintln!("seeded {} cards and {} merchants in {:.0} s", cards.len(), tills.len(), started.elapsed().as_secs_f64());

    let sign_rate = openssl_sign_rate()?;
    let mut server = start_server(&args.server, &server_vars(&args), args.port)?;
    let load = Load { port: args.port, connections: args.connections };
    let mut phases = Vec::new();
    // Each code verifies once: every request shows another card's code for the step it is sent in.
    let verify = |offset: usize| {
        let step = step_of(chrono::Utc::now());
        prepare(args.verifications, |j| {
            let Till { signer: till, store, .. } = &tills[j % tills.len()];
            let card = &cards[(offset + j) % cards.len()];
            let code = format!("67{}{:06}", card.handle, infra::totp::step_code(&card.secret, step).get());
            signed(
                till,
                "POST",
                "/v1/partner/member-codes/verify",
                &format!(r#"{{"store_id":"{store}","member_code":"{code}"}}"#),
                "",
            )
        })
    };
    phases.push(closed_loop(load, "verify card code (signed, 100,000 cards)", verify(0)?, 200).await?);
    let paced = verify(args.verifications)?;
    phases.push(paced_loop(load, "verify card code, paced at 0.4× sign/s", paced, 200, 0.4 * sign_rate).await?);

    let batch_of = |b: usize| {
        let now = chrono::Utc::now().to_rfc3339();
        let items: Vec<String> = (b * BATCH..((b + 1) * BATCH).min(args.transactions))
            .map(|j| {
                format!(
                    r#"{{"transaction_id":"BENCH-{j:09}","bank_merchant_id":"BOSZ-M-{}","account_token":"{}","amount_fen":{},"occurred_at":"{now}"}}"#,
                    j % tills.len(),
                    cards[j % cards.len()].token,
                    5_000 + (j % 150) * 100
                )
            })
            .collect();
        signed(
            &bank,
            "POST",
            "/v1/bank/transactions/batch",
            &format!(r#"{{"transactions":[{}]}}"#, items.join(",")),
            "",
        )
    };
    let batches = prepare(args.transactions.div_ceil(BATCH), batch_of)?;
    let feed = Load { port: args.port, connections: args.feed_connections };
    phases.push(closed_loop(feed, "bank feed: batches of 1,000 transactions", batches, 200).await?);
    let kept = count(&mut db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM card_transactions")?;
    let rebates = count(&mut db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM rebates")?;
    let paid = count(&mut db, "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM rebates")?;
    // The same batches again: each transaction answered from what was kept, nothing added.
    // Signed anew (fresh nonces), the same transactions.
    let repeat = prepare(args.transactions.div_ceil(BATCH), batch_of)?;
    phases.push(closed_loop(feed, "bank feed: the same batches again", repeat, 200).await?);
    let kept_after = count(&mut db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM card_transactions")?;
    let rebates_after = count(&mut db, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM rebates")?;
    let paid_after = count(&mut db, "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM rebates")?;
    let _ = std::process::Command::new("kill").arg("-TERM").arg(server.id().to_string()).status();
    let _ = server.wait();

    print_table(sign_rate, &phases);
    println!(
        "\nfeed: {kept} transactions kept, {rebates} rebates, {paid} fen; after posting again: {kept_after}, {rebates_after}, {paid_after} fen"
    );
    ensure!(kept == args.transactions as i64 && rebates == kept, "every transaction kept and rebated once");
    ensure!((kept_after, rebates_after, paid_after) == (kept, rebates, paid), "posting again changed nothing");
    Ok(())
}
