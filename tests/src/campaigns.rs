//! Helpers for campaign tests: activated members made in bulk, and live campaigns.

use chrono::Duration;
use domain::shared::Clock;
use serde_json::json;

use crate::{Req, TestApp};
use domain::members::ports::{MemberRepository, MemberTokens};
use domain::members::roster::{RosterEntry, RosterStatus};
use domain::members::{IdNumber, Member, PersonName, PhoneNumber};

impl TestApp {
    /// `n` activated members who accepted the privacy policy, in union `org`; returns their access
    /// tokens. Written through the repositories (as sign-up would), so hundreds take a moment.
    pub async fn activated_members(&self, n: usize, org: &str) -> Vec<String> {
        let infra = self.infra().await;
        let members = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
        let (kid, secret) = &self.config.members.jwt;
        let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, Duration::minutes(30));
        let today = self.clock.now().date_naive();
        let base = rand::random::<u32>() % 9_000_000;
        let mut entries = Vec::with_capacity(n);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let seq = base as usize + i;
            let birth =
                chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + Duration::days((seq / 1000) as i64 % 15_000);
            let id = crate::members::id_number(&birth.format("%Y%m%d").to_string(), (seq % 1000) as u32);
            let name = PersonName::parse("测试会员").unwrap();
            let id = IdNumber::parse(&id, today).unwrap();
            let phone = PhoneNumber::parse(&format!("139{:08}", seq)).unwrap();
            entries.push(RosterEntry {
                name: name.clone(),
                id_number: id.clone(),
                union_org_code: org.to_owned(),
                union_org_name: format!("{org} 工会"),
                member_no: format!("T{seq}"),
                status: RosterStatus::Active,
            });
            let member = members.create_or_get(&Member::new(phone, self.clock.now())).await.unwrap();
            members.bind_real_name(member.id, &name, &id, self.clock.now()).await.unwrap();
            members
                .record_consent(member.id, &self.config.members.privacy_policy_version, self.clock.now())
                .await
                .unwrap();
            out.push(tokens.issue(member.id, self.clock.now()).unwrap().0);
        }
        let roster = self.roster().await;
        let now = self.clock.now();
        tokio::task::spawn_blocking(move || roster.upsert_batch(&entries, now).unwrap()).await.unwrap();
        out
    }

    /// A fresh access token for member `id`, issued now on the server's clock, as sign-in would.
    pub fn token_for(&self, id: &str) -> String {
        let (kid, secret) = &self.config.members.jwt;
        let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, Duration::minutes(30));
        tokens.issue(domain::members::MemberId(id.parse().unwrap()), self.clock.now()).unwrap().0
    }

    /// A published campaign, live from a minute ago for a day, with one gift; returns (campaign, gift).
    pub async fn live_campaign(
        &self,
        staff: &str,
        stock: u32,
        gift_limit: u32,
        campaign_limit: u32,
    ) -> (String, String) {
        let beijing = |d: Duration| (self.clock.now() + Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string();
        self.campaign_between(
            staff,
            &beijing(Duration::minutes(-1)),
            &beijing(Duration::days(1)),
            stock,
            gift_limit,
            campaign_limit,
            &[],
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn campaign_between(
        &self,
        staff: &str,
        starts: &str,
        ends: &str,
        stock: u32,
        gift_limit: u32,
        campaign_limit: u32,
        unions: &[&str],
    ) -> (String, String) {
        let body = json!({"title": "国庆会员有礼", "holiday": "national_day", "starts_at": starts, "ends_at": ends,
            "per_member_limit": campaign_limit, "budget_fen": 100_000_000_000i64, "union_codes": unions});
        let c = self.send(Req::post("/v1/admin/campaigns").bearer(staff).json(body)).await;
        assert_eq!(c.status, 201, "{}", c.text());
        let id = c.json()["id"].as_str().unwrap().to_owned();
        let valid_until = (self.clock.now() + Duration::days(60)).date_naive().to_string();
        let gift = json!({"name": "月饼礼盒", "unit_cost_fen": 8800, "stock": stock, "per_member_limit": gift_limit,
            "valid_until": valid_until, "funder": "union"});
        let g = self.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(staff).json(gift)).await;
        assert_eq!(g.status, 201, "{}", g.text());
        let gift_id = g.json()["id"].as_str().unwrap().to_owned();
        let p = self.send(Req::post(&format!("/v1/admin/campaigns/{id}/publish")).bearer(staff)).await;
        assert_eq!(p.status, 200, "{}", p.text());
        (id, gift_id)
    }

    pub fn claim_req(&self, token: &str, campaign: &str, gift: &str, key: &str) -> Req {
        Req::post(&format!("/v1/campaigns/{campaign}/gifts/{gift}/claims")).bearer(token).header("idempotency-key", key)
    }

    /// Sends many requests at once and returns the replies in order.
    pub async fn send_all(&self, reqs: Vec<Req>) -> Vec<crate::Reply> {
        let futures: Vec<_> = reqs.into_iter().map(|r| self.send(r)).collect();
        futures_join(futures).await
    }

    /// The members claim the gift, twenty at a time, each as a client honouring 503 would: again
    /// with the same idempotency key until answered otherwise; `outage` starts once `after` claims
    /// were granted, while the flood goes on. Panics on any answer but 201, 409 and 503 with
    /// `Retry-After`, or if claims have not resumed within 30 s.
    pub async fn claims_through_outage<T>(
        &self,
        tokens: &[String],
        (campaign, gift): (&str, &str),
        after: usize,
        outage: impl std::future::Future<Output = T>,
    ) -> ThroughOutage<T> {
        use std::cell::{Cell, RefCell};
        use std::time::{Duration, Instant};
        let granted = Cell::new(0usize);
        let unavailable = RefCell::new(Vec::<Instant>::new());
        let claimers = tokens.iter().map(|token| {
            let (granted, unavailable) = (&granted, &unavailable);
            async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let reply = self.send(self.claim_req(token, campaign, gift, "outage")).await;
                    match reply.status {
                        503 => {
                            assert_eq!(reply.json()["code"], "inventory.unavailable", "{}", reply.text());
                            assert!(reply.header("retry-after").is_some(), "503 without Retry-After");
                            unavailable.borrow_mut().push(Instant::now());
                            assert!(Instant::now() < deadline, "claims did not resume within 30 s");
                            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
                        }
                        201 => {
                            granted.set(granted.get() + 1);
                            return 201;
                        }
                        409 => return 409,
                        other => panic!("claim answered {other}: {}", reply.text()),
                    }
                }
            }
        });
        let trigger = async {
            while granted.get() < after {
                actix_web::rt::time::sleep(Duration::from_millis(2)).await;
            }
            let started = Instant::now();
            (started, outage.await)
        };
        let flood = futures_util::StreamExt::collect::<Vec<u16>>(futures_util::StreamExt::buffer_unordered(
            futures_util::stream::iter(claimers),
            20,
        ));
        let (statuses, (started, kept)) = futures_util::future::join(flood, trigger).await;
        let unavailable = unavailable.into_inner();
        ThroughOutage {
            granted: statuses.iter().filter(|s| **s == 201).count(),
            refused: statuses.iter().filter(|s| **s == 409).count(),
            unavailable: unavailable.len(),
            window: unavailable.iter().max().map(|last| last.saturating_duration_since(started)),
            kept,
        }
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let db = self.database().await;
        db.run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(sql).get_result::<N>(conn).map(|r| r.n).map_err(anyhow::Error::from)
        })
        .await
        .unwrap()
    }
}

/// What [`TestApp::claims_through_outage`] saw.
#[derive(Debug)]
pub struct ThroughOutage<T> {
    pub granted: usize,
    /// 409: sold out or over the member's limit.
    pub refused: usize,
    /// 503 answers, retries included.
    pub unavailable: usize,
    /// From the outage's start to the last 503 (`None`: no caller saw one).
    pub window: Option<std::time::Duration>,
    /// What the outage returned (a restarted server, say).
    pub kept: T,
}

async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|v| v.expect("every future finished")).collect()
}
