//! Staff watching the opening in the console while the claims flow: each monitor holds the
//! campaign's live stream (`/console/campaigns/{id}/live`, one event a second) open on a thread
//! and connection of its own, as a browser tab does, and counts the events it was sent.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::*;

pub struct Monitors {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<anyhow::Result<u64>>>,
}

impl Monitors {
    /// `n` monitors of `campaign`, signed in with the staff token (the console's cookie holds it).
    pub fn start(args: &Args, staff: &str, campaign: &str) -> Option<Self> {
        if args.monitors == 0 {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let request = format!(
            "GET /console/campaigns/{campaign}/live HTTP/1.1\r\nhost: bench\r\ncookie: sgh_console={staff}\r\naccept: text/event-stream\r\n\r\n"
        );
        let threads = (0..args.monitors)
            .map(|_| {
                let (stop, request, port) = (stop.clone(), request.clone(), args.port);
                std::thread::spawn(move || {
                    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
                    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
                    stream.write_all(request.as_bytes())?;
                    let (mut events, mut buffer, mut head) = (0u64, [0u8; 8192], String::new());
                    while !stop.load(Ordering::Relaxed) {
                        match stream.read(&mut buffer) {
                            Ok(0) => bail!("the monitor's stream ended"),
                            Ok(n) => {
                                let text = String::from_utf8_lossy(&buffer[..n]);
                                if head.len() < 12 {
                                    head.push_str(&text);
                                    if head.len() >= 12 && !head.starts_with("HTTP/1.1 200") {
                                        bail!("the monitor was refused: {}", head.lines().next().unwrap_or(""));
                                    }
                                }
                                events += text.matches("data: ").count() as u64;
                            }
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(e) => return Err(e.into()),
                        }
                    }
                    Ok(events)
                })
            })
            .collect();
        Some(Self { stop, threads })
    }

    /// Events each monitor received.
    pub fn stop(self) -> anyhow::Result<Vec<u64>> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads.into_iter().map(|t| t.join().map_err(|_| anyhow::anyhow!("a monitor panicked"))?).collect()
    }
}
