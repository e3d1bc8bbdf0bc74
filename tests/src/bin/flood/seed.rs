//! The members, the staff account and the empty database a run starts from.

use super::*;

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
