//! The members, the staff account and the empty database a run starts from.

use super::*;
use api::wire::Infra;

pub fn recreate_database(args: &Args) -> anyhow::Result<()> {
    let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", args.postgres))?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database)).execute(&mut admin)?;
    diesel::sql_query(format!("CREATE DATABASE {}", args.database)).execute(&mut admin)?;
    Ok(())
}

pub async fn clear_redis(args: &Args) -> anyhow::Result<()> {
    let client = redis::Client::open(args.redis.as_str())?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS").arg("sgh-flood:*").query_async(&mut c).await?;
    for chunk in keys.chunks(1000) {
        let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut c).await?;
    }
    Ok(())
}

/// Members as sign-up makes them (sealed phone and 居民身份证 number, consent, roster row), with
/// an access token each.
pub async fn seed_members(infra: &Infra, n: usize) -> anyhow::Result<Vec<(MemberId, String)>> {
    let config = &infra.config;
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.members.jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let today = Utc::now().date_naive();
    let name = PersonName::parse("测试会员")?;
    let made: Vec<anyhow::Result<(MemberId, String, RosterEntry)>> = stream::iter(0..n)
        .map(|i| {
            let (repo, tokens, name, policy) = (&repo, &tokens, name.clone(), &config.members.privacy_policy_version);
            async move {
                let birth =
                    chrono::NaiveDate::from_ymd_opt(1965, 1, 1).unwrap() + chrono::Duration::days((i / 900) as i64);
                let id = tests::members::id_number(&birth.format("%Y%m%d").to_string(), (i % 900) as u32);
                let id = IdNumber::parse(&id, today)?;
                let phone = PhoneNumber::parse(&format!("135{i:08}"))?;
                let member = repo.create_or_get(&Member::new(phone, Utc::now())).await?;
                repo.bind_real_name(member.id, &name, &id, Utc::now()).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                let token = tokens.issue(member.id, Utc::now())?.0;
                let entry = RosterEntry {
                    name,
                    id_number: id,
                    union_org_code: format!("SZ-{:03}", i % 200),
                    union_org_name: "苏州工会".to_owned(),
                    member_no: format!("F{i}"),
                    status: RosterStatus::Active,
                };
                Ok((member.id, token, entry))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut members = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(n);
    for m in made {
        let (id, token, entry) = m?;
        members.push((id, token));
        entries.push(entry);
    }
    let roster = infra::db::roster::DbRoster::new(infra.db.clone(), infra.crypto.clone());
    tokio::task::spawn_blocking(move || {
        for batch in entries.chunks(20_000) {
            roster.upsert_batch(batch, Utc::now())?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await??;
    Ok(members)
}

pub const ADMIN: &str = "flood.operator";
pub const PASSWORD: &str = "flood-benchmark-password-1";

pub async fn seed_admin(infra: &Infra) -> anyhow::Result<String> {
    use domain::admin::{Actor, NewAdmin, Password, Role, Username};
    let service = api::admin::wire(infra).admins;
    let new = NewAdmin {
        username: Username::parse(ADMIN)?,
        display_name: "flood".to_owned(),
        email: None,
        role: Role::Operator,
        password: Password::parse(PASSWORD.to_owned())?,
    };
    service.create(&Actor::command_line("flood"), new).await?;
    Ok(ADMIN.to_owned())
}
