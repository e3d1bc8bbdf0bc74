//! What a run measured, what the database holds afterwards, and the bare script for comparison.

use super::*;

/// What the database holds for the campaign after the run: the source of truth.
pub struct Stored {
    pub claims: i64,
    /// Claims beyond the stock, and slots held twice.
    pub oversold: i64,
    /// Members holding more than the limit (1).
    pub over_limit: i64,
    pub ledger: i64,
}

impl Stored {
    pub async fn read(db: &infra::db::Database, campaign: &str, stock: u32) -> anyhow::Result<Self> {
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
                                (SELECT count(DISTINCT gift_id || ':' || slot) FROM claims WHERE campaign_id = $1) AS distinct_slots,
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

pub struct Row {
    pub mode: String,
    pub scenario: String,
    pub outcome: Outcome,
    pub stored: Stored,
    pub rss_mib: f64,
}

impl Row {
    pub fn answers(&self) -> u64 {
        self.outcome.granted.len() + self.outcome.refused.len() + self.outcome.errors
    }

    pub fn per_second(&self, n: u64) -> f64 {
        n as f64 / self.outcome.wall.as_secs_f64()
    }

    pub fn print(&self) {
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

    pub fn scenario_name(&self) -> &'static str {
        match self.scenario.as_str() {
            "a" => "(a) in stock",
            "b" => "(b) sold out",
            _ => "(c) flood",
        }
    }
}

/// Gate-on over gate-off ratios, for the scenarios run in both modes.
pub fn summary(rows: &[Row]) {
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
pub fn evalsha_benchmark(args: &Args, campaign: &str, gift: &str, member: &MemberId) -> anyhow::Result<f64> {
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

pub mod url_parts {
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
