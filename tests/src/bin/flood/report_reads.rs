//! A member of staff reading the campaign's report while the claims flow: what each read takes,
//! and whether any is answered other than 200. The reader has a thread and a connection of its
//! own, so its latencies are the server's, not the load generator's queue.

use super::*;

pub struct ReportReads {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<Reads>>,
}

pub struct Reads {
    /// Microseconds per read answered 200.
    latency: Histogram<u64>,
    other: u64,
    first_other: Option<String>,
}

impl ReportReads {
    pub fn start(args: &Args, staff: &str, campaign: &str) -> Option<Self> {
        if args.report_every_ms == 0 {
            return None;
        }
        let (port, every) = (args.port, Duration::from_millis(args.report_every_ms));
        let request = format!(
            "GET /v1/admin/campaigns/{campaign}/report HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {staff}\r\n\r\n"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut conn = HttpConn::open(port).await?;
                let mut reads =
                    Reads { latency: Histogram::new_with_bounds(1, 60_000_000, 3)?, other: 0, first_other: None };
                while !stopped.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let (status, body) = conn.exchange(request.as_bytes()).await?;
                    if status == 200 {
                        reads.latency.record(sent.elapsed().as_micros().max(1) as u64)?;
                    } else {
                        reads.other += 1;
                        reads.first_other.get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
                    }
                    tokio::time::sleep(every).await;
                }
                Ok(reads)
            })
        });
        Some(Self { stop, thread })
    }

    pub fn stop(self) -> anyhow::Result<Reads> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().map_err(|_| anyhow::anyhow!("the report reader panicked"))?
    }
}

impl Reads {
    pub fn print(&self, mode: &str, scenario: &str) {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "  report reads during ({scenario}), gate {mode}: {} answered 200 (p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms), {} other{}",
            self.latency.len(),
            ms(0.5),
            ms(0.99),
            self.latency.max() as f64 / 1000.0,
            self.other,
            self.first_other.as_deref().map(|f| format!(" (first: {f})")).unwrap_or_default()
        );
    }
}
