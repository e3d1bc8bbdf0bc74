//! Seeding the federation: the tree, the roster, the accounts and the city's admin.

use super::*;

/// The tree file: ten districts under the root, the towns spread over them, the grassroots unions
/// spread over the towns.
pub(crate) fn tree_csv(args: &Args) -> String {
    let mut csv = String::from("工会编码,工会名称,类型,上级工会编码\n");
    for d in 0..DISTRICTS {
        csv += &format!("{},第{}区总工会,区总工会,ROOT\n", district(d), d + 1);
    }
    for t in 0..args.towns {
        csv += &format!("{},第{}街道总工会,街道总工会,{}\n", town(t), t + 1, district(t % DISTRICTS));
    }
    for g in 0..args.grassroots {
        csv += &format!("{},第{}公司工会,基层工会,{}\n", grassroots(g), g + 1, town(g % args.towns));
    }
    csv
}

/// The `i`th person on the roster: unique 身份证 number, a name drawn from common surnames.
pub(crate) fn person(i: usize, rng: &mut StdRng, args: &Args) -> anyhow::Result<RosterEntry> {
    let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days((i / 1000) as i64);
    let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (i % 1000) as u32);
    let given: String = (0..rng.random_range(1..=2)).map(|_| GIVEN[rng.random_range(0..GIVEN.len())]).collect();
    let name = format!("{}{given}", SURNAMES[rng.random_range(0..SURNAMES.len())]);
    let union = i % args.grassroots;
    Ok(RosterEntry {
        name: PersonName::parse(&name)?,
        id_number: IdNumber::parse(&id, Utc::now().date_naive())?,
        union_org_code: grassroots(union),
        union_org_name: format!("第{}公司工会", union + 1),
        member_no: format!("M{i:08}"),
        status: RosterStatus::Active,
    })
}

pub(crate) async fn seed(args: &Args, infra: &api::wire::Infra) -> anyhow::Result<()> {
    let started = Instant::now();
    let actor = Actor::command_line("union-bench");
    let tree = tree_csv(args);
    let report = api::unions::wire(infra).unions.import(&actor, Box::new(std::io::Cursor::new(tree)), false).await?;
    ensure!(report.rejected == 0, "tree rows refused: {:?}", report.rejections.first());
    println!("tree: {} unions in {:.1}s", report.inserted, started.elapsed().as_secs_f64());

    let started = Instant::now();
    let roster = infra::db::roster::DbRoster::new(infra.db.clone(), infra.crypto.clone());
    let (total, every) = (args.roster, args.account_every);
    let bench = args.clone();
    let accounts = tokio::task::spawn_blocking(move || {
        let mut rng = StdRng::seed_from_u64(7);
        let mut accounts = Vec::new();
        let mut i = 0;
        while i < total {
            let end = (i + 20_000).min(total);
            let batch: Vec<RosterEntry> =
                (i..end).map(|n| person(n, &mut rng, &bench)).collect::<anyhow::Result<_>>()?;
            for (n, e) in (i..end).zip(&batch) {
                if n % every == 0 {
                    accounts.push((n, e.name.clone(), e.id_number.clone()));
                }
            }
            roster.write_batch(&roster.seal_batch(&batch), Utc::now())?;
            i = end;
        }
        Ok::<_, anyhow::Error>(accounts)
    })
    .await??;
    println!("roster: {total} rows in {:.1}s", started.elapsed().as_secs_f64());

    // Accounts bound to one roster row in `every`, with phone 139 + the row number.
    let started = Instant::now();
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let policy = infra.config.members.privacy_policy_version.clone();
    let n = accounts.len();
    let made: Vec<anyhow::Result<()>> = stream::iter(accounts)
        .map(|(i, name, id)| {
            let (repo, policy) = (&repo, &policy);
            async move {
                let member =
                    repo.create_or_get(&Member::new(PhoneNumber::parse(&format!("139{i:08}"))?, Utc::now())).await?;
                repo.bind_real_name(member.id, &name, &id, Utc::now()).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                Ok(())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    made.into_iter().collect::<anyhow::Result<()>>()?;
    println!("accounts: {n} in {:.1}s", started.elapsed().as_secs_f64());

    // The city's admin, made as the first one is, from the command line.
    let new = NewAdmin {
        username: Username::parse("city.admin")?,
        display_name: "市总工会".to_owned(),
        email: None,
        role: Role::Admin,
        password: Password::parse(PASSWORD.to_owned())?,
        scope: None,
    };
    api::admin::wire(infra).admins.create(&actor, new).await?;
    Ok(())
}
