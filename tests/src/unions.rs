//! Helpers for the union tree and the staff and members placed in it.

use serde_json::json;

use crate::members::id_number;
use crate::{Req, TestApp, TEST_PASSWORD};
use domain::members::ports::MemberRepository;

impl TestApp {
    /// Loads a tree file through the admin API; asserts every row was inserted.
    pub async fn load_tree(&self, admin: &str, csv: &str) {
        let rows = csv.lines().count() - 1;
        let reply = self
            .send(Req::post("/v1/admin/unions/imports").bearer(admin).raw("text/csv", csv.as_bytes().to_vec()))
            .await;
        assert_eq!(reply.json()["inserted"], rows, "{}", reply.text());
    }

    /// A staff account made by `by` through the API, working in `scope`; signed in.
    pub async fn staff_in(&self, by: &str, name: &str, role: &str, scope: &str) -> String {
        let made = self
            .send(Req::post("/v1/admin/users").bearer(by).json(json!({"username": name, "password": TEST_PASSWORD,
                "display_name": name, "role": role, "scope_code": scope})))
            .await;
        assert_eq!(made.status, 201, "{}", made.text());
        assert_eq!(made.json()["scope_code"], scope);
        self.login(name).await
    }

    /// A member on the roster of `union` (imported by `city`), activated; their phone.
    pub async fn member_of(&self, city: &str, union: &str, n: u32) -> String {
        let id = id_number("19880808", n);
        let csv = format!("姓名,身份证号,工会编码,工会名称,会员编号,状态\n王会员,{id},{union},x,M{n},在会\n");
        let reply =
            self.send(Req::post("/v1/admin/roster/imports").bearer(city).raw("text/csv", csv.into_bytes())).await;
        assert_eq!(reply.json()["inserted"], 1, "{}", reply.text());
        let phone = format!("1380000{n:04}");
        let token = self.consenting_member(&phone).await;
        let bound = self
            .send(Req::put("/v1/me/real-name").bearer(&token).json(json!({"name": "王会员", "id_number": id})))
            .await;
        assert_eq!(bound.status, 200, "{}", bound.text());
        phone
    }

    /// `n` members who accepted the privacy policy and are on no roster, written through the
    /// repositories (signing each in by SMS would meet the per-address code limit); their tokens.
    pub async fn unlisted_members(&self, n: usize) -> Vec<String> {
        let infra = self.infra().await;
        let members = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
        let (kid, secret) = &self.config.members.jwt;
        let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::minutes(30));
        let now = domain::shared::Clock::now(&self.clock);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let phone = domain::members::PhoneNumber::parse(&format!("1370000{i:04}")).unwrap();
            let member = members.create_or_get(&domain::members::Member::new(phone, now)).await.unwrap();
            members.record_consent(member.id, &self.config.members.privacy_policy_version, now).await.unwrap();
            out.push(domain::members::ports::MemberTokens::issue(&tokens, member.id, now).unwrap().0);
        }
        out
    }

    /// A signed-in member who is on no roster (so has no real name bound); their token.
    pub async fn unlisted_member(&self, n: u32) -> String {
        self.consenting_member(&format!("1390000{n:04}")).await
    }
}
