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

impl Outcome {
    /// Adds another run of the same loop to this one, as if they had run back to back.
    pub fn absorb(&mut self, other: Outcome) {
        self.wall += other.wall;
        self.granted.add(&other.granted).expect("histograms with the same bounds add up");
        self.refused.add(&other.refused).expect("histograms with the same bounds add up");
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    pub fn answered(&self) -> u64 {
        self.granted.len() + self.refused.len()
    }

    pub fn per_second(&self) -> f64 {
        self.answered() as f64 / self.wall.as_secs_f64()
    }
}

/// How the loop counts an answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Granted,
    Refused,
    Error,
}

/// The claim flood: claim j by member j % members, each with its own key.
pub async fn flood(
    args: &Args,
    plan: &Plan,
    campaign: &str,
    gift: &str,
    members: &[(MemberId, String)],
) -> anyhow::Result<Outcome> {
    let make = claims(campaign, gift, &members[..plan.members], campaign);
    closed_loop(args.port, args.connections, plan.claims, make, claim_answer).await
}

/// Claim requests against one gift, by `members` in turn, keys unique per `run`.
pub fn claims(
    campaign: &str,
    gift: &str,
    members: &[(MemberId, String)],
    run: &str,
) -> impl Fn(usize, &mut Vec<u8>) + Send + Sync + 'static {
    let path = format!("/v1/campaigns/{campaign}/gifts/{gift}/claims");
    let tokens: Vec<String> = members.iter().map(|(_, t)| t.clone()).collect();
    let run = run.to_owned();
    move |j, request| {
        let token = &tokens[j % tokens.len()];
        request.extend_from_slice(
            format!(
                "POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\nidempotency-key: {run}-{j}\r\ncontent-length: 0\r\n\r\n"
            )
            .as_bytes(),
        );
    }
}

/// A claim is granted (201) or refused as sold out or over the limit (409); anything else is an error.
pub fn claim_answer(status: u16, body: &[u8]) -> Answer {
    match status {
        201 => Answer::Granted,
        409 if body.windows(8).any(|w| w == b"sold_out") || body.windows(13).any(|w| w == b"limit_reached") => {
            Answer::Refused
        }
        _ => Answer::Error,
    }
}

/// `total` requests from `connections` keep-alive connections, each sending its next request as
/// soon as the last is answered; request j is written by `make(j, buffer)`.
pub async fn closed_loop(
    port: u16,
    connections: usize,
    total: usize,
    make: impl Fn(usize, &mut Vec<u8>) + Send + Sync + 'static,
    classify: fn(u16, &[u8]) -> Answer,
) -> anyhow::Result<Outcome> {
    closed_loop_until(port, connections, total, make, classify, Arc::default()).await
}

/// [`closed_loop`] that also ends when `done` is set, and sets it when its own `total` is sent:
/// loops run side by side share one, so each is measured only while the others run too.
pub async fn closed_loop_until(
    port: u16,
    connections: usize,
    total: usize,
    make: impl Fn(usize, &mut Vec<u8>) + Send + Sync + 'static,
    classify: fn(u16, &[u8]) -> Answer,
    done: Arc<AtomicBool>,
) -> anyhow::Result<Outcome> {
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(HttpConn::open(port).await?);
    }
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (make, next, done) = (make.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                let mut granted = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let mut refused = granted.clone();
                let (mut errors, mut first_error) = (0u64, None);
                let mut request = Vec::with_capacity(512);
                loop {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    if j >= total {
                        done.store(true, Ordering::Relaxed);
                        break;
                    }
                    request.clear();
                    make(j, &mut request);
                    let sent = Instant::now();
                    let answer = conn.exchange(&request).await;
                    let micros = sent.elapsed().as_micros().max(1) as u64;
                    match answer.as_ref().map(|(status, body)| (classify(*status, body), status, body)) {
                        Ok((Answer::Granted, ..)) => granted.saturating_record(micros),
                        Ok((Answer::Refused, ..)) => refused.saturating_record(micros),
                        Ok((Answer::Error, status, body)) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(body)));
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
