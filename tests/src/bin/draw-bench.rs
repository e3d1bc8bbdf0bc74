//! `draw-bench`: the fair draw's own cost (sgh-draw/v1) at 10⁵ and 10⁶ entrants for 10,000 prizes
//! and a waiting list of 1,000: making the record (sorting the references, the shuffle) and checking
//! it as `sgh verify-draw` does, including reading the published JSON. Three rounds each, the median
//! and the worst. See docs/benchmarks.md, "Fair draws: the draw itself".

use std::time::{Duration, Instant};

use domain::draws::fair::{EntrantRef, Seed};
use domain::draws::record::{record, verify, Record};

fn main() -> anyhow::Result<()> {
    println!(
        "| entrants | make the record: median / worst | check it (JSON read + verify): median / worst | record size |"
    );
    println!("|---|---|---|---|");
    for n in [100_000usize, 1_000_000] {
        let entrants: Vec<EntrantRef> =
            (0..n).map(|i| EntrantRef::of("bench-draw", &format!("01a25300-0000-7000-8000-{i:012}"))).collect();
        let (mut made, mut checked) = (Vec::new(), Vec::new());
        let mut size = 0;
        for round in 0..3u8 {
            let seed = Seed::new([round.wrapping_mul(41).wrapping_add(3); 32]);
            let at = Instant::now();
            let r = record("bench-draw", &seed, entrants.clone(), 10_000, 1_000);
            made.push(at.elapsed());
            let json = serde_json::to_vec(&r)?;
            size = json.len();
            let at = Instant::now();
            let read: Record = serde_json::from_slice(&json)?;
            verify(&read).map_err(|e| anyhow::anyhow!("{e}"))?;
            checked.push(at.elapsed());
        }
        let ms = |mut v: Vec<Duration>| {
            v.sort();
            format!("{:.0} / {:.0} ms", v[1].as_secs_f64() * 1e3, v[2].as_secs_f64() * 1e3)
        };
        println!("| {n} | {} | {} | {:.1} MB |", ms(made), ms(checked), size as f64 / 1e6);
    }
    Ok(())
}
