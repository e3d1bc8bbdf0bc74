//! CPU time spent during a run, from `/proc`: the server's own, the load tool's own, and the whole
//! machine's (server, database, Redis, the load tool and the kernel between them), so a route's
//! cost can be told per answer and not only by how many answers a saturated machine gives, and
//! what the measuring itself took apart from what it measured.

use std::time::Duration;

/// `/proc` counts in USER_HZ ticks, 100 a second on Linux whatever the kernel's own tick.
fn ticks(n: u64) -> Duration {
    Duration::from_millis(n * 10)
}

/// CPU time used so far.
#[derive(Clone, Copy, Default)]
pub struct Cpu {
    pub server: Duration,
    /// This process: the load generator.
    pub client: Duration,
    pub machine: Duration,
}

impl Cpu {
    /// Now, for the server process `pid`; zero where `/proc` cannot be read (not Linux).
    pub fn now(pid: u32) -> Self {
        Self {
            server: process_ticks(pid).map_or(Duration::ZERO, ticks),
            client: process_ticks(std::process::id()).map_or(Duration::ZERO, ticks),
            machine: busy_ticks().map_or(Duration::ZERO, ticks),
        }
    }

    /// Spent since `earlier`.
    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            server: self.server.saturating_sub(earlier.server),
            client: self.client.saturating_sub(earlier.client),
            machine: self.machine.saturating_sub(earlier.machine),
        }
    }

    pub fn add(&mut self, other: Cpu) {
        self.server += other.server;
        self.client += other.client;
        self.machine += other.machine;
    }
}

/// utime + stime of a process (fields 14 and 15 of its `stat`, counted after the command name,
/// which may hold spaces).
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut after_name = stat.rsplit_once(')')?.1.split_whitespace();
    let utime: u64 = after_name.nth(11)?.parse().ok()?;
    let stime: u64 = after_name.next()?.parse().ok()?;
    Some(utime + stime)
}

/// All CPUs' time spent running something, from the first line of `/proc/stat`: not idle, not
/// waiting for I/O, and not stolen by the hypervisor for other machines.
fn busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).map_while(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq (guest time is counted in user already).
    Some(fields.iter().take(7).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum())
}
