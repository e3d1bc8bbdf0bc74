//! Writes a synthetic member roster for the import benchmark:
//! `gen-roster ROWS [SEED] [--format csv|gb18030|xlsx] > roster.FORMAT`. Every row is valid and
//! every ID number unique. `csv` is UTF-8 with English headers; `gb18030` is what Excel's
//! "CSV（逗号分隔）" writes on a Chinese Windows, with Chinese headers in another order; `xlsx` is
//! a workbook with Chinese headers and the ID column as text.

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

/// One row: name, ID number, union code, union name, member number, status.
fn row(n: u64, rng: &mut StdRng, start: chrono::NaiveDate) -> [String; 6] {
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
    let left = rng.random_ratio(1, 50);
    [
        name,
        format!("{first17}{check}"),
        format!("SZ-{org:04}"),
        format!("苏州市第{org}基层工会"),
        format!("M{n:08}"),
        (if left { "left" } else { "active" }).to_owned(),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let format = args.iter().position(|a| a == "--format").and_then(|i| args.get(i + 1)).map_or("csv", String::as_str);
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--format"))
        .map(|(_, a)| a)
        .collect();
    let rows: u64 = positional
        .first()
        .and_then(|s| s.parse().ok())
        .expect("usage: gen-roster ROWS [SEED] [--format csv|gb18030|xlsx]");
    let seed: u64 = positional.get(1).and_then(|s| s.parse().ok()).unwrap_or(2026);
    let mut rng = StdRng::seed_from_u64(seed);
    let start = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    let out = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, out.lock());
    match format {
        "csv" => {
            writeln!(out, "name,id_number,union_org_code,union_org_name,member_no,status").unwrap();
            for n in 0..rows {
                writeln!(out, "{}", row(n, &mut rng, start).join(",")).unwrap();
            }
        }
        "gb18030" => {
            // Columns as staff keep them: status first, Chinese words, CRLF.
            let mut line = String::from("状态,身份证号,姓名,会员编号,工会名称,工会编码\r\n");
            for n in 0..=rows {
                if n > 0 {
                    let [name, id, code, union, no, status] = row(n - 1, &mut rng, start);
                    let status = if status == "left" { "离会" } else { "在会" };
                    line = format!("{status},{id},{name},{no},{union},{code}\r\n");
                }
                let (bytes, _, _) = encoding_rs::GB18030.encode(&line);
                out.write_all(&bytes).unwrap();
            }
        }
        "xlsx" => {
            use infra::xlsx::XlsxCell::Text;
            let header = ["状态", "身份证号", "姓名", "会员编号", "工会名称", "工会编码"];
            let mut sheet = vec![header.iter().map(|h| Text((*h).to_owned())).collect::<Vec<_>>()];
            for n in 0..rows {
                let [name, id, code, union, no, status] = row(n, &mut rng, start);
                let status = (if status == "left" { "离会" } else { "在会" }).to_owned();
                sheet.push([status, id, name, no, union, code].into_iter().map(Text).collect());
            }
            out.write_all(&infra::xlsx::workbook("名册", &sheet).unwrap()).unwrap();
        }
        other => panic!("unknown format {other}: csv, gb18030 or xlsx"),
    }
    out.flush().unwrap();
}
