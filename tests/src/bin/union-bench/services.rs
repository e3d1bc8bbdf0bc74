//! Service windows at the federation's size (`--services`): cases filed through the API by the
//! seeded accounts, then a caseworker's queue, a member's case list, and cases filed with a 2 MB
//! scan — one at a time and twenty at once — with the server's peak memory read after each.

use super::*;

/// A question with an optional scan, open to any activated member.
fn kind() -> Value {
    json!({
        "code": "legal-aid", "category": "consultation", "name": "法律援助",
        "fields": [{"key": "question", "label": "您的问题", "required": true, "type": "text", "max_chars": 2000}],
        "attachments": [{"key": "scan", "label": "材料", "required": false, "max_files": 2, "max_bytes": 4_194_304, "types": ["pdf"]}],
        "eligibility": {"member": true},
        "accept_days": 2, "answer_days": 5
    })
}

const BOUNDARY: &str = "sgh-bench-boundary";

/// A multipart filing: the case, and `scan` bytes of a PDF if any.
fn filing(token: &str, question: &str, scan: Option<&[u8]>) -> Vec<u8> {
    let case = json!({"kind": "legal-aid", "answers": {"question": question}}).to_string();
    let mut body = format!(
        "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"case\"\r\ncontent-type: application/json\r\n\r\n{case}\r\n"
    )
    .into_bytes();
    if let Some(scan) = scan {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"scan\"; filename=\"材料.pdf\"\r\n\
                 content-type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(scan);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut req = format!(
        "POST /v1/me/cases HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\
         content-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    req
}

/// The server's resident memory now and at its peak so far, in MiB (`/proc/<pid>/status`).
fn memory(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let line = status.lines().find(|l| l.starts_with(name)).context("no such field")?;
        let kb: f64 = line.split_whitespace().nth(1).context("no value")?.parse()?;
        Ok(kb / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

fn row(label: &str, h: &Histogram<u64>, elapsed: Option<Duration>) {
    let rate = elapsed.map(|e| format!("{:.0}/s", h.len() as f64 / e.as_secs_f64())).unwrap_or_default();
    println!(
        "| {label} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {rate} |",
        h.len(),
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
}

pub(crate) async fn services(args: &Args, server: u32) -> anyhow::Result<()> {
    let port = args.port;
    let city = sign_in(port, "city.admin").await?;
    let (status, reply) = call(port, "POST", "/v1/admin/service-kinds", &city, Some(kind())).await?;
    ensure!(status == 201, "the kind: {status} {reply}");

    // The accounts seeded bound to their roster rows, signed in on the server's own keys.
    let config = api::config::Config::from_vars(server_vars(args))?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.members.jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let mut members = Vec::new();
    for i in (0..args.roster).step_by(args.account_every) {
        let member = repo.create_or_get(&Member::new(PhoneNumber::parse(&format!("139{i:08}"))?, Utc::now())).await?;
        members.push(tokens.issue(member.id, Utc::now())?.0);
    }
    drop(infra);

    // The cases, filed through the API: each account in turn until there are enough.
    let filings: Vec<Vec<u8>> = (0..args.cases)
        .map(|k| filing(&members[k % members.len()], &format!("第{k}个问题：单位不缴社保怎么办？"), None))
        .collect();
    let (seeded, took) = closed_loop_expecting(port, filings, 8, 201).await?;
    println!(
        "cases: {} filed by {} members over {} grassroots unions in {:.1}s ({:.0}/s, p99 {:.1} ms)",
        seeded.len(),
        members.len(),
        args.grassroots,
        took.as_secs_f64(),
        seeded.len() as f64 / took.as_secs_f64(),
        ms(seeded.value_at_quantile(0.99))
    );
    let config = api::config::Config::from_vars(server_vars(args))?;
    super::settle(&api::wire::Infra::open(config, domain::shared::AppClock::System).await?, args.embedded).await?;

    println!("\n| measure | requests | p50 | p99 | max | rate |");
    println!("|---|---|---|---|---|---|");
    // A caseworker's queue: their part of the tree, overdue first (then by deadline), 50 a page.
    let district_code = district(0);
    let town_code = town(0);
    for (username, scope, label) in [
        ("cw.district", district_code.as_str(), "a district caseworker's queue, first page"),
        ("cw.town", town_code.as_str(), "a town caseworker's queue, first page"),
    ] {
        let caseworker = staff(port, &city, username, "caseworker", scope).await?;
        let (status, first) = call(port, "GET", "/v1/admin/service-cases?limit=50", &caseworker, None).await?;
        ensure!(status == 200, "{status} {first}");
        let reqs = (0..args.searches).map(|_| request("GET", "/v1/admin/service-cases?limit=50", &caseworker, None));
        let (h, _) = closed_loop(port, reqs.collect(), args.connections).await?;
        row(label, &h, None);
        // A later page, through the cursor the first one gave.
        if let Some(cursor) = first["next_cursor"].as_str() {
            let path = format!("/v1/admin/service-cases?limit=50&cursor={cursor}");
            let reqs = (0..args.searches).map(|_| request("GET", &path, &caseworker, None));
            let (h, _) = closed_loop(port, reqs.collect(), args.connections).await?;
            row(&format!("{label}, next page"), &h, None);
        }
    }
    // A member's own cases.
    let mut rng = StdRng::seed_from_u64(5);
    let reqs = (0..args.searches)
        .map(|_| request("GET", "/v1/me/cases", &members[rng.random_range(0..members.len())], None))
        .collect();
    let (h, _) = closed_loop(port, reqs, args.connections).await?;
    row("a member's case list", &h, None);

    // Filing with a 2 MB scan: one at a time, then twenty at once; memory after each.
    let mut scan = b"%PDF-1.7\n".to_vec();
    scan.extend((0..(2 << 20) - scan.len()).map(|i| (i % 251) as u8));
    let (rss, _) = memory(server)?;
    let mut peaks = vec![format!("before: {rss:.0} MiB resident")];
    for (connections, n) in [(1, args.uploads / 4), (20, args.uploads)] {
        let reqs: Vec<Vec<u8>> = (0..n)
            .map(|k| filing(&members[rng.random_range(0..members.len())], &format!("附件{k}"), Some(&scan)))
            .collect();
        let (h, took) = closed_loop_expecting(port, reqs, connections, 201).await?;
        row(&format!("a case with a 2 MB scan, {connections} at once"), &h, Some(took));
        let (rss, peak) = memory(server)?;
        peaks.push(format!("after {connections} at once: {rss:.0} MiB resident, peak {peak:.0} MiB"));
    }
    println!("\nserver memory: {}", peaks.join("; "));
    Ok(())
}
