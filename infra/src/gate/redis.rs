use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

use crate::redis_client::Redis;
use domain::campaigns::ports::{GateAnswer, GateUnavailable, GiftUsage, InventoryGate, Ticket};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

/// Checks the member's counts against both limits, then hands out a free slot (given-back slots
/// first) or a fresh one up to the stock, and remembers the answer under the request id so a re-sent
/// script cannot take a second slot. Answers: {-1} cold, {0} sold out, {2} limit, {1, slot, gift_seq,
/// campaign_seq, fresh} granted (fresh 0 for a replay). Writes nothing unless it grants.
static RESERVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
        local prior = redis.call('HGET', KEYS[2], ARGV[1])
        if prior then
            local s, g, c = string.match(prior, '(%d+):(%d+):(%d+)')
            return {1, tonumber(s), tonumber(g), tonumber(c), 0}
        end
        local g = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
        local c = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '0')
        if g >= tonumber(ARGV[3]) or c >= tonumber(ARGV[4]) then return {2} end
        local slot = redis.call('LPOP', KEYS[5])
        if slot then
            slot = tonumber(slot)
        else
            local n = tonumber(redis.call('GET', KEYS[6]) or '0')
            if n >= tonumber(ARGV[5]) then return {0} end
            slot = n + 1
            redis.call('SET', KEYS[6], slot)
        end
        redis.call('HSET', KEYS[3], ARGV[2], g + 1)
        redis.call('HSET', KEYS[4], ARGV[2], c + 1)
        redis.call('HSET', KEYS[2], ARGV[1], slot .. ':' .. (g + 1) .. ':' .. (c + 1))
        return {1, slot, g + 1, c + 1, 1}
        ",
    )
});

/// What is left of a gift: whether its gate is loaded, the next never-used slot and the free
/// list's length, in one command.
static REMAINING: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        return {redis.call('EXISTS', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('LLEN', KEYS[3])}
        ",
    )
});

/// Undoes one reservation, once: only a request the gate still remembers gives anything back, so
/// a repeated give-back (or one after a rebuild that already counted the slot free) does nothing.
static GIVE_BACK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
        if tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') > 0 then redis.call('HINCRBY', KEYS[2], ARGV[2], -1) end
        if tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0') > 0 then redis.call('HINCRBY', KEYS[3], ARGV[2], -1) end
        if ARGV[3] ~= '' then redis.call('LPUSH', KEYS[4], ARGV[3]) end
        return 1
        ",
    )
});

/// Replaces a gift's gate in one step: ARGV = next, then counted lists of free slots, per-member
/// gift counts, per-member campaign counts, and the stored requests with their answers.
static LOAD: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
        redis.call('SET', KEYS[6], ARGV[1])
        local i = 2
        local n = tonumber(ARGV[i])
        for j = 1, n do redis.call('RPUSH', KEYS[5], ARGV[i + j]) end
        i = i + n + 1
        n = tonumber(ARGV[i])
        for j = 0, n - 1 do redis.call('HSET', KEYS[3], ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j]) end
        i = i + 2 * n + 1
        n = tonumber(ARGV[i])
        for j = 0, n - 1 do redis.call('HSET', KEYS[4], ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j]) end
        i = i + 2 * n + 1
        n = tonumber(ARGV[i])
        for j = 0, n - 1 do redis.call('HSET', KEYS[2], ARGV[i + 1 + 2 * j], ARGV[i + 2 + 2 * j]) end
        redis.call('SET', KEYS[1], '1')
        return 1
        ",
    )
});

#[derive(Clone)]
pub struct RedisGate {
    redis: Redis,
    /// Each gift's key names, spelled once: a flood of sold-out answers would otherwise spend a
    /// noticeable share of its time formatting the same seven strings.
    keys: Arc<RwLock<KeyBook>>,
}

type KeyBook = HashMap<(CampaignId, GiftId), Arc<Keys>>;

/// A gift's keys, all hash-tagged with the campaign so one script touches one Redis Cluster slot.
struct Keys {
    ready: String,
    requests: String,
    gift_members: String,
    campaign_members: String,
    free: String,
    next: String,
    lock: String,
}

impl RedisGate {
    pub fn new(redis: Redis) -> Self {
        Self { redis, keys: Arc::default() }
    }

    fn keys(&self, campaign: CampaignId, gift: GiftId) -> Arc<Keys> {
        if let Some(known) = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(&(campaign, gift)) {
            return Arc::clone(known);
        }
        let keys = Arc::new(self.spell_keys(campaign, gift));
        self.keys.write().unwrap_or_else(|p| p.into_inner()).insert((campaign, gift), Arc::clone(&keys));
        keys
    }

    fn spell_keys(&self, campaign: CampaignId, gift: GiftId) -> Keys {
        let tag = format!("{{c:{campaign}}}");
        let gift_key = |suffix: &str| self.redis.key(&format!("{tag}:g:{gift}:{suffix}"));
        Keys {
            ready: gift_key("ready"),
            requests: gift_key("req"),
            gift_members: gift_key("m"),
            campaign_members: self.redis.key(&format!("{tag}:m")),
            free: gift_key("free"),
            next: gift_key("next"),
            lock: gift_key("lock"),
        }
    }
}

impl RedisGate {
    /// The `EVALSHA` command a reservation sends, word by word: for measuring the script alone
    /// (`redis-benchmark`) against the whole claim path.
    pub fn reserve_command(&self, t: &Ticket<'_>) -> Vec<String> {
        let k = self.keys(t.campaign, t.gift);
        let keys = [&k.ready, &k.requests, &k.gift_members, &k.campaign_members, &k.free, &k.next];
        let mut words = vec!["EVALSHA".to_owned(), RESERVE.get_hash().to_owned(), keys.len().to_string()];
        words.extend(keys.map(String::clone));
        words.extend([t.request.to_owned(), t.member.to_string()]);
        words.extend([t.gift_limit, t.campaign_limit, t.stock].map(|n| n.to_string()));
        words
    }
}

fn unavailable(e: anyhow::Error) -> GateUnavailable {
    GateUnavailable(e)
}

impl InventoryGate for RedisGate {
    async fn reserve(&self, t: &Ticket<'_>) -> Result<GateAnswer, GateUnavailable> {
        let k = self.keys(t.campaign, t.gift);
        let mut member = uuid::Uuid::encode_buffer();
        let member = t.member.0.hyphenated().encode_lower(&mut member);
        let reply: Vec<i64> = self
            .redis
            .call(|mut c| async move {
                RESERVE
                    .key(&k.ready)
                    .key(&k.requests)
                    .key(&k.gift_members)
                    .key(&k.campaign_members)
                    .key(&k.free)
                    .key(&k.next)
                    .arg(t.request)
                    .arg(&*member)
                    .arg(t.gift_limit)
                    .arg(t.campaign_limit)
                    .arg(t.stock)
                    .invoke_async(&mut c)
                    .await
            })
            .await
            .map_err(unavailable)?;
        Ok(match reply.as_slice() {
            [-1] => GateAnswer::Cold,
            [0] => GateAnswer::SoldOut,
            [2] => GateAnswer::LimitReached,
            [1, slot, g, c, fresh] => GateAnswer::Granted {
                slot: *slot as u32,
                gift_seq: *g as u32,
                campaign_seq: *c as u32,
                fresh: *fresh == 1,
            },
            other => return Err(GateUnavailable(anyhow::anyhow!("unexpected gate reply {other:?}"))),
        })
    }

    async fn give_back(&self, t: &Ticket<'_>, slot: Option<u32>) -> Result<(), GateUnavailable> {
        let k = self.keys(t.campaign, t.gift);
        let (request, member) = (t.request.to_owned(), t.member.to_string());
        let slot = slot.map(|s| s.to_string()).unwrap_or_default();
        self.redis
            .call(|mut c| async move {
                GIVE_BACK
                    .key(&k.requests)
                    .key(&k.gift_members)
                    .key(&k.campaign_members)
                    .key(&k.free)
                    .arg(&request)
                    .arg(&member)
                    .arg(&slot)
                    .invoke_async::<i64>(&mut c)
                    .await
            })
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn remaining(&self, campaign: CampaignId, gift: GiftId, stock: u32) -> Result<Option<u32>, GateUnavailable> {
        let k = self.keys(campaign, gift);
        let (ready, next, free): (u32, u32, u32) = self
            .redis
            .call(|mut c| async move { REMAINING.key(&k.ready).key(&k.next).key(&k.free).invoke_async(&mut c).await })
            .await
            .map_err(unavailable)?;
        Ok((ready == 1).then(|| stock.saturating_sub(next) + free))
    }

    async fn load(
        &self,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
        usage: &GiftUsage,
        campaign_counts: &[(MemberId, u32)],
    ) -> Result<(), GateUnavailable> {
        let k = self.keys(campaign, gift);
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let lock = k.lock.clone();
            let got: Option<String> = self
                .redis
                .call(|mut c| async move {
                    redis::cmd("SET").arg(&lock).arg("1").arg("NX").arg("PX").arg(5_000).query_async(&mut c).await
                })
                .await
                .map_err(unavailable)?;
            if got.is_some() {
                break;
            }
            // Another request is rebuilding: wait for it rather than loading twice.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let ready = k.ready.clone();
            let warm: bool = self
                .redis
                .call(|mut c| async move { redis::cmd("EXISTS").arg(&ready).query_async(&mut c).await })
                .await
                .map_err(unavailable)?;
            if warm {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(GateUnavailable(anyhow::anyhow!("gate rebuild lock held too long")));
            }
        }
        let (next, holes) = super::holes(&usage.used_slots, stock);
        let mut args: Vec<String> = vec![next.to_string(), holes.len().to_string()];
        args.extend(holes.iter().map(u32::to_string));
        args.push(usage.per_member.len().to_string());
        for (m, n) in &usage.per_member {
            args.push(m.to_string());
            args.push(n.to_string());
        }
        args.push(campaign_counts.len().to_string());
        for (m, n) in campaign_counts {
            args.push(m.to_string());
            args.push(n.to_string());
        }
        args.push(usage.requests.len().to_string());
        for (request, g) in &usage.requests {
            args.push(request.clone());
            args.push(format!("{}:{}:{}", g.slot, g.gift_seq, g.campaign_seq));
        }
        tracing::info!(%campaign, %gift, used = usage.used_slots.len(), holes = holes.len(), "inventory gate rebuilt from the database");
        metrics::counter!("inventory_gate_rebuilds_total").increment(1);
        let keys = k;
        self.redis
            .call(|mut c| async move {
                let mut invocation = LOAD.prepare_invoke();
                invocation
                    .key(&keys.ready)
                    .key(&keys.requests)
                    .key(&keys.gift_members)
                    .key(&keys.campaign_members)
                    .key(&keys.free)
                    .key(&keys.next);
                for a in &args {
                    invocation.arg(a);
                }
                let done = invocation.invoke_async::<i64>(&mut c).await;
                // The lock also expires by itself, should this DEL be lost.
                let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(&keys.lock).query_async(&mut c).await;
                done
            })
            .await
            .map(drop)
            .map_err(unavailable)
    }
}
