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

/// Prints the phases as docs/benchmarks.md's table, beside the sign rate.
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

/// What a seeded merchant's till needs: who signs, its store and its offer.
pub struct Till {
    pub signer: Signer,
    pub store: domain::merchants::StoreId,
    pub offer: domain::merchants::OfferId,
}

/// The offer a seeded merchant gives: 10% off every day, no limits.
pub struct SeedOffer {
    pub title: &'static str,
    pub audience: domain::merchants::Audience,
    pub funder: domain::merchants::offer::Funder,
}

/// Merchant `i` (known to the bank as `bank_merchant_id`, if given) with a store in 姑苏区, `offer`
/// and a registered key, written through the repositories.
pub async fn seed_merchant(
    catalogue: &infra::db::merchants::DbMerchants,
    i: usize,
    bank_merchant_id: Option<domain::merchants::BankMerchantId>,
    offer: SeedOffer,
) -> anyhow::Result<Till> {
    use domain::merchants::ports::Catalogue;
    use domain::merchants::{geo::GeoPoint, Discount, Offer, OfferId, OfferStatus, Store, StoreId, Weekdays};
    let (merchant, signer) =
        seed_partner(catalogue, i, domain::merchants::PartnerKind::Merchant, bank_merchant_id).await?;
    let (actor, now) = (domain::admin::Actor::command_line("bench"), chrono::Utc::now());
    let audit = |what: &'static str, id: String| domain::admin::NewAuditEntry::by(&actor, now, what, id);
    let store = Store {
        id: StoreId::new(),
        merchant,
        name: "观前街店".into(),
        address: "姑苏区".into(),
        district: "姑苏区".into(),
        location: GeoPoint::from_degrees(31.3107, 120.6237)?,
        hours: "10:00-22:00".into(),
    };
    catalogue.insert_store(&store, audit("store.create", store.id.to_string())).await?;
    let today = domain::merchants::offer::beijing_day(now);
    let offer = Offer {
        id: OfferId::new(),
        merchant,
        title: offer.title.into(),
        discount: Discount::percent_off(1_000).expect("10% is a discount"),
        cap: None,
        valid_from: today - chrono::Duration::days(1),
        valid_until: today + chrono::Duration::days(30),
        weekdays: Weekdays::ALL,
        stores: None,
        audience: offer.audience,
        limits: domain::merchants::offer::Limits { daily: None, total: None },
        status: OfferStatus::Published,
        funder: offer.funder,
    };
    catalogue.insert_offer(&offer, audit("offer.create", offer.id.to_string())).await?;
    Ok(Till { signer, store: store.id, offer: offer.id })
}

/// A partner row of `kind` and a freshly generated key registered for it.
pub async fn seed_partner(
    catalogue: &infra::db::merchants::DbMerchants,
    i: usize,
    kind: domain::merchants::PartnerKind,
    bank_merchant_id: Option<domain::merchants::BankMerchantId>,
) -> anyhow::Result<(domain::merchants::MerchantId, Signer)> {
    use domain::merchants::partner::{KeySerial, PartnerKey};
    use domain::merchants::ports::Catalogue;
    use domain::merchants::{Mchid, Merchant, MerchantId, MerchantStatus};
    use infra::signing::{public_key_der_from_pem, public_pem_of, PlatformKey};
    let (actor, now) = (domain::admin::Actor::command_line("bench"), chrono::Utc::now());
    let audit = |what: &'static str, id: String| domain::admin::NewAuditEntry::by(&actor, now, what, id);
    let merchant = Merchant {
        id: MerchantId::new(),
        mchid: Mchid::random(),
        name: format!("合作商户{i}"),
        category: "餐饮".into(),
        contact: "bench".into(),
        settlement_email: domain::shared::EmailAddress::parse("finance@merchant.example")?,
        status: MerchantStatus::Active,
        created_at: now,
        kind,
        bank_merchant_id,
    };
    anyhow::ensure!(catalogue.insert_merchant(&merchant, audit("merchant.create", merchant.id.to_string())).await?);
    let key_pem = PlatformKey::generate_pem()?;
    let key = PartnerKey {
        serial: KeySerial::random(),
        merchant: merchant.id,
        store: None,
        public_key_der: public_key_der_from_pem(&public_pem_of(&key_pem)?)?,
        created_at: now,
        revoked_at: None,
    };
    catalogue.insert_key(&key, audit("partner_key.register", key.serial.as_str().to_owned())).await?;
    let signer = Signer { mchid: merchant.mchid.as_str().to_owned(), serial: key.serial.as_str().to_owned(), key_pem };
    Ok((merchant.id, signer))
}
