//! Join applications approved by twenty officers at once, and their member numbers checked.

use super::*;

/// `args.applications` join applications to `town_unions`, each union's decided by its own officer,
/// all officers at once; checks every town's numbers are unique and gapless.
pub(crate) async fn approvals(
    args: &Args,
    city: &str,
    round: usize,
    label: &str,
    town_unions: &[String],
) -> anyhow::Result<()> {
    let port = args.port;
    let config = api::config::Config::from_vars(server_vars(args))?;
    let infra = api::wire::Infra::open(config.clone(), domain::shared::AppClock::System).await?;
    // Made through the API; signed in on the server's own keys (forty sign-ins from one address
    // in a minute would meet its per-address limit).
    let admins = api::admin::wire(&infra).admins;
    let mut officers = Vec::new();
    for (k, u) in town_unions.iter().enumerate() {
        let username = format!("officer.{round}.{k:02}");
        let body = json!({"username": username, "password": PASSWORD, "display_name": username,
            "role": "union_officer", "scope_code": u});
        let (status, reply) = call(port, "POST", "/v1/admin/users", city, Some(body)).await?;
        ensure!(status == 201, "{username}: {status} {reply}");
        officers.push(admins.login(&username, PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?.token);
    }
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.members.jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let started = Instant::now();
    let applied: Vec<anyhow::Result<(usize, String)>> = stream::iter(0..args.applications)
        .map(|k| {
            let (repo, tokens, policy, unions) = (&repo, &tokens, &config.members.privacy_policy_version, &town_unions);
            async move {
                let phone = format!("13{}{k:08}", 6 + round);
                let member = repo.create_or_get(&Member::new(PhoneNumber::parse(&phone)?, Utc::now())).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                let token = tokens.issue(member.id, Utc::now())?.0;
                // Born in the 1950s: nobody on the seeded roster.
                let birth = chrono::NaiveDate::from_ymd_opt(1950 + 5 * round as i32, 1, 1).unwrap()
                    + chrono::Duration::days((k / 900) as i64);
                let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (k % 900) as u32);
                let union = k % unions.len();
                let body = json!({"kind": "join", "union_code": unions[union], "employer": "苏州某某科技有限公司",
                    "position": "装配工", "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": id});
                let (status, reply) = call(port, "POST", "/v1/me/applications", &token, Some(body)).await?;
                ensure!(status == 201, "application {k}: {status} {reply}");
                Ok((union, reply["id"].as_str().context("no id")?.to_owned()))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut queues: Vec<Vec<Vec<u8>>> = vec![Vec::new(); args.officers];
    for a in applied {
        let (union, id) = a?;
        let body = json!({"decision": "approve"});
        queues[union].push(request(
            "POST",
            &format!("/v1/admin/applications/{id}/decision"),
            &officers[union],
            Some(&body),
        ));
    }
    println!("\n{} join applications submitted in {:.1}s", args.applications, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let decided: Vec<anyhow::Result<Histogram<u64>>> = stream::iter(queues)
        .map(|q| async move { closed_loop(port, q, 1).await.map(|(h, _)| h) })
        .buffer_unordered(args.officers)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies = Histogram::<u64>::new(3)?;
    for d in decided {
        latencies.add(d?)?;
    }
    // Each town's counter numbers its own: per town, 1..n with none twice or skipped.
    let mut by_town: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for n in approved_numbers(&infra).await? {
        let (town, seq) = n.rsplit_once('-').context("a member number")?;
        by_town.entry(town.to_owned()).or_default().push(seq.parse()?);
    }
    let mut total = 0;
    for (town, mut seqs) in by_town {
        seqs.sort_unstable();
        ensure!(seqs.iter().enumerate().all(|(i, n)| *n == i as u64 + 1), "{town}: numbers not unique and gapless");
        total += seqs.len();
    }
    ensure!(
        total == args.applications * (round + 1),
        "{total} numbers for {} approvals",
        args.applications * (round + 1)
    );
    println!(
        "{} approvals by {} officers of unions {label} at once: {:.2}s, {:.0} approvals/s (goal ≥ 300/s), p50 {:.1} ms, p99 {:.1} ms; numbers unique and gapless per town",
        latencies.len(),
        args.officers,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(latencies.value_at_quantile(0.5)),
        ms(latencies.value_at_quantile(0.99)),
    );

    Ok(())
}

/// The member numbers the approvals gave, read from the database.
pub(crate) async fn approved_numbers(infra: &api::wire::Infra) -> anyhow::Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct No {
        #[diesel(sql_type = diesel::sql_types::Text)]
        member_no: String,
    }
    infra
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT member_no FROM applications WHERE state = 'approved' AND member_no IS NOT NULL")
                .load::<No>(conn)
                .map(|rows| rows.into_iter().map(|r| r.member_no).collect())
                .map_err(anyhow::Error::from)
        })
        .await
}
