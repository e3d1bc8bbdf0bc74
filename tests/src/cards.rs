//! 会员服务卡 helpers: the bank as a signed partner, card events, and a member's active card.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::partners::Partner;
use crate::{Reply, Req, TestApp};
use domain::cards::CardNumber;
use domain::shared::Clock;

/// A valid card number: 18 digits of the bank's choosing, then the Luhn digit.
pub fn card_number(n: u64) -> String {
    CardNumber::complete(&format!("621483{n:012}")).unwrap().as_str().to_owned()
}

impl TestApp {
    /// The bank, registered as a partner of kind `bank` with key `key` of
    /// [`crate::partners::merchant_key`].
    pub async fn bank(&self, staff: &str, key: usize) -> Partner {
        let created = self
            .send(Req::post("/v1/admin/merchants").bearer(staff).json(json!({
                "name": "苏州银行", "category": "银行", "contact": "卡部", "settlement_email": "cards@bank.example",
                "kind": "bank"
            })))
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let bank = created.json();
        assert_eq!(bank["kind"], "bank");
        let id = bank["id"].as_str().unwrap().to_owned();
        let (serial, key_pem) = self.register_key(staff, &id, None, key).await;
        Partner {
            merchant_id: id,
            mchid: bank["mchid"].as_str().unwrap().to_owned(),
            stores: vec![],
            offer: String::new(),
            serial,
            key_pem,
        }
    }

    /// Posts a card event signed by the bank; `at` is when it happened at the bank.
    pub async fn card_event(&self, bank: &Partner, event_id: &str, kind: &str, card: &str, extra: Value) -> Reply {
        let mut body = json!({"event_id": event_id, "type": kind, "card_id": card, "occurred_at": self.clock.now()});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.send(bank.sign(self, Req::post("/v1/bank/card-events").json(body))).await
    }

    /// The member applies, and the bank issues card number `n` and activates it; returns the card id.
    pub async fn active_card(&self, token: &str, bank: &Partner, n: u64) -> String {
        let applied = self.send(Req::post("/v1/me/card/application").bearer(token)).await;
        assert_eq!(applied.status, 201, "{}", applied.text());
        let card = applied.json()["id"].as_str().unwrap().to_owned();
        let account = json!({"token": format!("acct_tok_{n:08}"), "last4": "6621"});
        let issued = self
            .card_event(
                bank,
                &format!("ev-{card}-1"),
                "issued",
                &card,
                json!({"card_number": card_number(n), "account": account}),
            )
            .await;
        assert_eq!(issued.status, 200, "{}", issued.text());
        let active = self.card_event(bank, &format!("ev-{card}-2"), "activated", &card, json!({})).await;
        assert_eq!(active.json()["status"], "active", "{}", active.text());
        card
    }

    /// A merchant the bank knows as `bank_merchant_id`, with a published offer (`offer` fields
    /// over a cardholders' 满100减30 paid by the union, once a day); returns (merchant, offer).
    pub async fn card_merchant(&self, staff: &str, bank_merchant_id: &str, offer: Value) -> (String, String) {
        let created = self
            .send(Req::post("/v1/admin/merchants").bearer(staff).json(json!({
                "name": "得月楼", "category": "餐饮", "contact": "李经理", "settlement_email": "finance@deyuelou.example",
                "bank_merchant_id": bank_merchant_id
            })))
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        let merchant = created.json()["id"].as_str().unwrap().to_owned();
        let today = self.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
        let mut body = json!({
            "title": "持卡满100减30", "kind": "spend_save", "threshold_fen": 10000, "amount_fen": 3000,
            "valid_from": today - chrono::Duration::days(1), "valid_until": today + chrono::Duration::days(30),
            "audience": "cardholders", "daily_limit": 1, "funder": "union"
        });
        for (k, v) in offer.as_object().unwrap() {
            body[k] = v.clone();
        }
        let made =
            self.send(Req::post(&format!("/v1/admin/merchants/{merchant}/offers")).bearer(staff).json(body)).await;
        assert_eq!(made.status, 201, "{}", made.text());
        let offer = made.json()["id"].as_str().unwrap().to_owned();
        self.set_offer_status(staff, &merchant, &offer, "published").await;
        (merchant, offer)
    }

    /// The code the member's app shows now, from `GET /v1/me/card/code`.
    pub async fn card_code(&self, token: &str) -> String {
        let reply = self.send(Req::get("/v1/me/card/code").bearer(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["code"].as_str().unwrap().to_owned()
    }
}

/// The code an app derives offline from its seed at `at`, as the seed's description says.
pub fn code_from_seed(seed: &Value, at: DateTime<Utc>) -> String {
    let secret = STANDARD.decode(seed["secret"].as_str().unwrap()).unwrap();
    let day = at.with_timezone(&domain::campaigns::SHANGHAI).date_naive().to_string();
    let handle = seed["handles"].as_array().unwrap().iter().find(|h| h["day"] == day.as_str()).unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let step = at.timestamp().div_euclid(30);
    format!("67{handle}{:06}", infra::totp::step_code(&secret, step).get())
}
