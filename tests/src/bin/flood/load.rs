//! The closed loop: C connections, each sending the next claim as soon as the last is answered.

use super::*;

/// Which member sends which claim, and against how much stock.
pub struct Plan {
    pub stock: u32,
    pub claims: usize,
    /// Members taking part (claim j is by member j % members).
    pub members: usize,
}

impl Plan {
    pub fn new(args: &Args, scenario: &str, members: &[(MemberId, String)]) -> anyhow::Result<Self> {
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
pub struct Outcome {
    pub wall: Duration,
    pub granted: Histogram<u64>,
    pub refused: Histogram<u64>,
    pub errors: u64,
    pub first_error: Option<String>,
}

pub async fn flood(
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
