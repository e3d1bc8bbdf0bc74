//! Writes a synthetic member roster as CSV for the import benchmark:
//! `gen-roster ROWS [SEED] > roster.csv`. Every row is valid and every ID number unique.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};

const REGIONS: [&str; 8] = ["320502", "320505", "320506", "320507", "320508", "320509", "320571", "320581"];
const SURNAMES: &[char] =
    &['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN: &[char] = &[
    '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞',
    '平',
];
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|s| s.parse().ok()).expect("usage: gen-roster ROWS [SEED]");
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(2026);
    let mut rng = StdRng::seed_from_u64(seed);
    let start = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    let out = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, out.lock());
    writeln!(out, "name,id_number,union_org_code,union_org_name,member_no,status").unwrap();
    for n in 0..rows {
        // Unique by construction: the row number picks region, birth day and sequence.
        let region = REGIONS[(n % 8) as usize];
        let day = start + chrono::Duration::days(((n / 8) % 16_000) as i64);
        let seq = (n / 8 / 16_000) % 1000;
        let first17 = format!("{region}{}{seq:03}", day.format("%Y%m%d"));
        let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let check = b"10X98765432"[(sum % 11) as usize] as char;
        let name: String = std::iter::once(SURNAMES[rng.random_range(0..SURNAMES.len())])
            .chain((0..rng.random_range(1..=2)).map(|_| GIVEN[rng.random_range(0..GIVEN.len())]))
            .collect();
        let org = rng.random_range(1..=4000);
        let status = if rng.random_ratio(1, 50) { "left" } else { "active" };
        writeln!(out, "{name},{first17}{check},SZ-{org:04},苏州市第{org}基层工会,M{n:08},{status}").unwrap();
    }
    out.flush().unwrap();
}
