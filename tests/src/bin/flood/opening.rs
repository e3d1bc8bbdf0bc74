//! Scenario (o), the opening minute: three live campaigns and members who each hold a voucher;
//! from C connections, `GET /v1/campaigns` and `GET /v1/me/vouchers` each alone, then rounds of
//! sold-out claims alone and claims and campaign pages together (C connections each), all against
//! one server in one sitting. See docs/benchmarks.md, the opening minute.

use super::cpu::Cpu;
use super::load::{claim_answer, claims, closed_loop, closed_loop_until, Answer};
use super::*;
use std::future::Future;

fn page_answer(status: u16, _: &[u8]) -> Answer {
    if status == 200 || status == 304 {
        Answer::Granted
    } else {
        Answer::Error
    }
}

/// GETs of `path` by `members` in turn.
fn pages(path: &'static str, members: &[(MemberId, String)]) -> impl Fn(usize, &mut Vec<u8>) + Send + Sync + 'static {
    let tokens: Vec<String> = members.iter().map(|(_, t)| t.clone()).collect();
    move |j, request| {
        let token = &tokens[j % tokens.len()];
        request.extend_from_slice(
            format!("GET {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\r\n").as_bytes(),
        );
    }
}

/// Writes the `j`th request into the buffer.
type Requests = Box<dyn Fn(usize, &mut Vec<u8>) + Send + Sync>;

/// The campaign list as members refresh it: with their token, or (`--conditional-pages`) the
/// shared list revalidated by its `ETag`.
fn campaign_pages(args: &Args, members: &[(MemberId, String)]) -> Requests {
    if !args.conditional_pages {
        return Box::new(pages("/v1/campaigns", members));
    }
    Box::new(|_, request: &mut Vec<u8>| {
        request.extend_from_slice(b"GET /v1/campaigns HTTP/1.1\r\nhost: bench\r\nif-none-match: *\r\n\r\n")
    })
}

struct Line {
    what: &'static str,
    outcome: Outcome,
    /// Spent while it ran; for the mixed lines, by both loops together.
    cpu: Cpu,
    /// The answers that CPU paid for: the line's own, or in the mixed phase both loops'.
    cpu_answers: u64,
}

impl Line {
    fn answered(&self) -> u64 {
        self.outcome.answered()
    }

    fn per_second(&self) -> f64 {
        self.outcome.per_second()
    }

    /// CPU µs per answer: the server's, the load tool's, and the whole machine's.
    fn cost(&self) -> (f64, f64, f64) {
        let per = |d| micros_per(d, self.cpu_answers);
        (per(self.cpu.server), per(self.cpu.client), per(self.cpu.machine))
    }

    fn print(&self, claims_alone: f64) {
        let mut all = self.outcome.granted.clone();
        all.add(&self.outcome.refused).expect("histograms with the same bounds add up");
        let ms = |q: f64| if all.is_empty() { f64::NAN } else { all.value_at_quantile(q) as f64 / 1000.0 };
        let (server, client, machine) = self.cost();
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.1} | {:.1} | {server:.0} | {client:.0} | {machine:.0} |",
            self.what,
            self.answered(),
            self.outcome.errors,
            self.per_second(),
            self.per_second() / claims_alone,
            ms(0.5),
            ms(0.99)
        );
        if let Some(e) = &self.outcome.first_error {
            println!("    first error: {e}");
        }
    }
}

pub async fn opening(args: &Args, server: &Server, staff: &str, members: &[(MemberId, String)]) -> anyhow::Result<()> {
    let (given, given_gift) = server.campaign(staff, members.len() as u32).await?;
    let handed_out = closed_loop(
        args.port,
        args.connections,
        members.len(),
        claims(&given, &given_gift, members, &given),
        claim_answer,
    )
    .await?;
    if handed_out.granted.len() != members.len() as u64 {
        bail!(
            "{} of {} members got their voucher: {:?}",
            handed_out.granted.len(),
            members.len(),
            handed_out.first_error
        );
    }
    let (sold_out, gift) = server.campaign(staff, 0).await?;
    server.campaign(staff, 0).await?;
    let (c, n) = (args.connections, args.opening_requests);
    // Keys are per member: every run and mode needs its own.
    let claim = |run: &str| claims(&sold_out, &gift, members, &format!("{sold_out}-{run}"));

    let (list, list_cpu) =
        measured(server, closed_loop(args.port, c, n, campaign_pages(args, members), page_answer)).await;
    let (vouchers, vouchers_cpu) =
        measured(server, closed_loop(args.port, c, n, pages("/v1/me/vouchers", members), page_answer)).await;
    let refreshers = args.mixed_page_connections.unwrap_or(c);
    let mut rounds = Vec::new();
    for round in 0..args.opening_rounds.max(1) {
        let alone = || measured(server, closed_loop(args.port, c, n, claim(&format!("alone{round}")), claim_answer));
        // Until either has sent its n: a loop left running alone would count as mixed.
        let done = Arc::new(AtomicBool::new(false));
        let mixed = measured(server, async {
            tokio::join!(
                closed_loop_until(args.port, c, n, claim(&format!("mixed{round}")), claim_answer, done.clone()),
                closed_loop_until(args.port, refreshers, n, campaign_pages(args, members), page_answer, done),
            )
        });
        // Every other round the mixed run goes first, so a drift of the machine's speed within a
        // round falls on alone and mixed alike over the rounds.
        let ((alone, alone_cpu), ((claimed, listed), mixed_cpu)) = if round % 2 == 0 {
            let alone = alone().await;
            (alone, mixed.await)
        } else {
            let mixed = mixed.await;
            (alone().await, mixed)
        };
        rounds.push(Round { alone: alone?, alone_cpu, claimed: claimed?, listed: listed?, mixed_cpu });
    }
    let ratios: Vec<String> = rounds.iter().map(Round::summary).collect();
    let mut rounds = rounds.into_iter();
    let mut all = rounds.next().expect("at least one round");
    rounds.for_each(|round| all.absorb(round));
    let Round { alone, alone_cpu, claimed, listed, mixed_cpu } = all;
    let alone_line = |what, outcome: Outcome, cpu| Line { what, cpu_answers: outcome.answered(), outcome, cpu };
    let mixed_answers = claimed.answered() + listed.answered();
    let mixed_line = |what, outcome| Line { what, outcome, cpu: mixed_cpu, cpu_answers: mixed_answers };
    let lines = [
        alone_line("sold-out claim, alone", alone, alone_cpu),
        alone_line("`GET /v1/campaigns`, alone", list?, list_cpu),
        alone_line("`GET /v1/me/vouchers`, alone", vouchers?, vouchers_cpu),
        mixed_line("sold-out claim, mixed", claimed),
        mixed_line("`GET /v1/campaigns`, mixed", listed),
    ];

    let claims_alone = lines[0].per_second();
    println!("\n{c} connections each; in the mixed phase {c} claiming and {refreshers} refreshing");
    println!(
        "claims alone and mixed in {} rounds, alone first in the first round and by turns after; mixed / alone by round:\n  {}",
        ratios.len(),
        ratios.join("\n  ")
    );
    println!(
        "CPU µs per answer: the server's, the load tool's, and the whole machine's (in the mixed phase, per answer of either)"
    );
    println!("\n| route | answers | errors | per s | × claims alone | p50 ms | p99 ms | server µs | load tool µs | machine µs |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for line in &lines {
        line.print(claims_alone);
    }
    Ok(())
}

/// One round: the claims alone, and the claims and pages together.
struct Round {
    alone: Outcome,
    alone_cpu: Cpu,
    claimed: Outcome,
    listed: Outcome,
    mixed_cpu: Cpu,
}

impl Round {
    /// Mixed claims / alone, both rates and the pages', and the machine's CPU per answer (the
    /// load tool's part of it in brackets), alone → mixed.
    fn summary(&self) -> String {
        let (a, m) = (self.alone.per_second(), self.claimed.per_second());
        let per = |cpu: &Cpu, answers| {
            format!("{:.0} ({:.0})", micros_per(cpu.machine, answers), micros_per(cpu.client, answers))
        };
        format!(
            "{:.2} ({a:.0} → {m:.0}/s beside {:.0} pages/s; machine µs per answer {} → {})",
            m / a,
            self.listed.per_second(),
            per(&self.alone_cpu, self.alone.answered()),
            per(&self.mixed_cpu, self.claimed.answered() + self.listed.answered())
        )
    }

    /// Adds `other` as if it had run right after this one.
    fn absorb(&mut self, other: Round) {
        self.alone.absorb(other.alone);
        self.alone_cpu.add(other.alone_cpu);
        self.claimed.absorb(other.claimed);
        self.listed.absorb(other.listed);
        self.mixed_cpu.add(other.mixed_cpu);
    }
}

/// CPU time `spent` per answer, µs.
fn micros_per(spent: Duration, answers: u64) -> f64 {
    spent.as_secs_f64() * 1e6 / answers.max(1) as f64
}

/// Runs `run`, with the CPU spent meanwhile.
async fn measured<T>(server: &Server, run: impl Future<Output = T>) -> (T, Cpu) {
    let pid = server.child.id();
    let before = Cpu::now(pid);
    let out = run.await;
    (out, Cpu::now(pid).since(before))
}
