//! Partner-merchant helpers: a merchant with a store, an offer and a registered key, requests
//! signed as a WeChat Pay v3 SDK signs them, and checks of our answers' signatures.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{Reply, Req, TestApp};
use domain::shared::Clock;
use infra::signing::{public_key_der_from_pem, public_pem_of, sign_with_pem, PlatformKey, VerifyingKey};

/// One platform key file for every server of the test process: RSA key generation is the
/// slowest thing a server does at start.
pub fn platform_key_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sgh-platform-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("platform-key.pem");
        PlatformKey::load_or_create(&path).expect("platform key");
        path
    })
}

/// Merchants' private keys (PKCS #8 PEM), made once per test process.
pub fn merchant_key(i: usize) -> &'static str {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    &KEYS.get_or_init(|| (0..4).map(|_| PlatformKey::generate_pem().unwrap()).collect())[i]
}

/// A merchant as its till sees it: numbers, a key and what it sells.
#[derive(Debug, Clone)]
pub struct Partner {
    pub merchant_id: String,
    pub mchid: String,
    pub stores: Vec<String>,
    pub offer: String,
    pub serial: String,
    pub key_pem: String,
}

impl Partner {
    /// `req` signed now (on the server's clock) with a fresh nonce.
    pub fn sign(&self, app: &TestApp, req: Req) -> Req {
        let nonce = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
        self.sign_at(req, app.clock.now().timestamp(), &nonce)
    }

    pub fn sign_at(&self, req: Req, timestamp: i64, nonce: &str) -> Req {
        sign_as(req, &self.mchid, &self.serial, &self.key_pem, timestamp, nonce)
    }
}

/// What a WeChat Pay v3 SDK sends: SHA256withRSA over the method, the request target, the
/// timestamp, the nonce and the body.
pub fn sign_as(req: Req, mchid: &str, serial: &str, key_pem: &str, timestamp: i64, nonce: &str) -> Req {
    let body = req.body.as_ref().map_or(&[][..], |(_, b)| b.as_slice());
    let mut message = format!("{}\n{}\n{timestamp}\n{nonce}\n", req.method, req.path).into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signature = sign_with_pem(key_pem, &message).unwrap();
    req.header(
        "authorization",
        &format!(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",timestamp="{timestamp}",serial_no="{serial}""#
        ),
    )
}

impl TestApp {
    /// A merchant with two stores, a published offer (`offer` fields over a 满100减20, limit 1 a
    /// day) at every store, and a merchant key (`key` of [`merchant_key`]).
    pub async fn partner(&self, staff: &str, key: usize, offer: Value) -> Partner {
        let merchant = self
            .send(Req::post("/v1/admin/merchants").bearer(staff).json(json!({
                "name": "松鹤楼", "category": "餐饮", "contact": "王经理", "settlement_email": "finance@songhelou.example"
            })))
            .await;
        assert_eq!(merchant.status, 201, "{}", merchant.text());
        let merchant = merchant.json();
        let id = merchant["id"].as_str().unwrap().to_owned();
        let mut stores = Vec::new();
        for (name, lat, lng) in [("观前街店", 31.3107, 120.6237), ("园区店", 31.3190, 120.7110)] {
            let store = self
                .send(Req::post(&format!("/v1/admin/merchants/{id}/stores")).bearer(staff).json(json!({
                    "name": name, "address": "苏州", "district": "姑苏区", "lat": lat, "lng": lng, "hours": "10:00-21:30"
                })))
                .await;
            assert_eq!(store.status, 201, "{}", store.text());
            stores.push(store.json()["id"].as_str().unwrap().to_owned());
        }
        let today = self.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
        let mut body = json!({
            "title": "工会会员满100减20", "kind": "spend_save", "threshold_fen": 10000, "amount_fen": 2000,
            "valid_from": today - chrono::Duration::days(1), "valid_until": today + chrono::Duration::days(30),
            "audience": "activated", "daily_limit": 1
        });
        if let (Some(base), Some(over)) = (body.as_object_mut(), offer.as_object()) {
            for (k, v) in over {
                base.insert(k.clone(), v.clone());
            }
        }
        let created = self.send(Req::post(&format!("/v1/admin/merchants/{id}/offers")).bearer(staff).json(body)).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let offer = created.json()["id"].as_str().unwrap().to_owned();
        self.set_offer_status(staff, &id, &offer, "published").await;
        let (serial, key_pem) = self.register_key(staff, &id, None, key).await;
        Partner {
            merchant_id: id,
            mchid: merchant["mchid"].as_str().unwrap().to_owned(),
            stores,
            offer,
            serial,
            key_pem,
        }
    }

    pub async fn set_offer_status(&self, staff: &str, merchant: &str, offer: &str, status: &str) {
        let path = format!("/v1/admin/merchants/{merchant}/offers/{offer}/status");
        let reply = self.send(Req::put(&path).bearer(staff).json(json!({"status": status}))).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }

    /// Registers the public half of [`merchant_key`]`(key)`; returns its serial and private PEM.
    pub async fn register_key(&self, staff: &str, merchant: &str, store: Option<&str>, key: usize) -> (String, String) {
        let pem = merchant_key(key);
        let reply = self
            .send(Req::post(&format!("/v1/admin/merchants/{merchant}/keys")).bearer(staff).json(json!({
                "public_key_pem": public_pem_of(pem).unwrap(), "store_id": store
            })))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        (reply.json()["serial_no"].as_str().unwrap().to_owned(), pem.to_owned())
    }

    /// A fresh member code of the member with access token `token`.
    pub async fn member_code(&self, token: &str) -> String {
        let reply = self.send(Req::post("/v1/me/member-code").bearer(token)).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["code"].as_str().unwrap().to_owned()
    }

    /// Sells 128.00 yuan under the partner's offer at its first store to the member of `token`,
    /// named by a fresh member code, under `key`; asserts it was recorded.
    pub async fn sell_by_code(&self, partner: &Partner, token: &str, key: &str) {
        let code = self.member_code(&self.token_for_member_of(token)).await;
        let body = json!({"store_id": partner.stores[0], "member_code": code, "offer_id": partner.offer,
                          "original_fen": 12_800, "till_ref": "POS-1", "channel": "pos"});
        let sale = Req::post("/v1/partner/sales").header("idempotency-key", key).json(body);
        let reply = self.send(partner.sign(self, sale)).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }

    /// Asserts that `reply` carries a valid platform signature over exactly its body.
    pub async fn assert_signed(&self, reply: &Reply) {
        let keys = self.send(Req::get("/v1/partner/platform-keys")).await.json();
        let key = &keys["data"][0];
        let verifying =
            VerifyingKey::from_der(&public_key_der_from_pem(key["public_key_pem"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(reply.header("wechatpay-serial"), key["public_key_id"].as_str(), "the serial is our key's id");
        assert_eq!(reply.header("wechatpay-signature-type"), Some("WECHATPAY2-SHA256-RSA2048"));
        let (ts, nonce) = (reply.header("wechatpay-timestamp").unwrap(), reply.header("wechatpay-nonce").unwrap());
        let mut message = format!("{ts}\n{nonce}\n").into_bytes();
        message.extend_from_slice(&reply.body);
        message.push(b'\n');
        assert!(verifying.verify(&message, reply.header("wechatpay-signature").unwrap()), "answer signature verifies");
    }
}

impl TestApp {
    /// A fresh access token for the member an older (perhaps expired) token was issued to.
    pub fn token_for_member_of(&self, token: &str) -> String {
        use base64::Engine;
        let payload = token.split('.').nth(1).expect("a JWT");
        let claims: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        self.token_for(claims["sub"].as_str().expect("sub"))
    }
}

/// Suzhou's districts and county-level cities, with a point near each one's centre.
pub const SUZHOU: [(&str, f64, f64); 10] = [
    ("姑苏区", 31.3107, 120.6187),
    ("工业园区", 31.3190, 120.7110),
    ("虎丘区", 31.3300, 120.5700),
    ("吴中区", 31.2620, 120.6310),
    ("相城区", 31.3690, 120.6420),
    ("吴江区", 31.1390, 120.6450),
    ("常熟市", 31.6540, 120.7520),
    ("张家港市", 31.8750, 120.5550),
    ("昆山市", 31.3850, 120.9810),
    ("太仓市", 31.4570, 121.1300),
];
pub const CATEGORIES: [&str; 5] = ["餐饮", "超市", "影院", "书店", "药房"];

/// A store as seeded, with what a brute-force search needs.
#[derive(Debug, Clone)]
pub struct SeededStore {
    pub merchant: String,
    pub category: &'static str,
    pub district: &'static str,
    pub store: String,
    pub lat: f64,
    pub lng: f64,
}

/// `merchants` active merchants with `stores_each` stores scattered around Suzhou's districts,
/// written through the catalogue repository (as the admin API would, audit rows included);
/// the same `seed` gives the same places.
pub async fn seed_catalogue(
    catalogue: &infra::db::merchants::DbMerchants,
    merchants: usize,
    stores_each: usize,
    seed: u64,
) -> anyhow::Result<Vec<SeededStore>> {
    use domain::admin::{Actor, NewAuditEntry};
    use domain::merchants::ports::Catalogue;
    use domain::merchants::{geo::GeoPoint, Mchid, Merchant, MerchantId, MerchantStatus, Store, StoreId};
    use rand::{Rng, SeedableRng};

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let actor = Actor::command_line("seed");
    let now = chrono::Utc::now();
    let mut out = Vec::with_capacity(merchants * stores_each);
    for m in 0..merchants {
        let category = CATEGORIES[m % CATEGORIES.len()];
        let merchant = Merchant {
            id: MerchantId::new(),
            mchid: Mchid::random(),
            name: format!("商户{m:05}"),
            category: category.to_owned(),
            contact: "0512-00000000".into(),
            settlement_email: domain::shared::EmailAddress::parse(&format!("m{m}@merchant.example")).unwrap(),
            status: MerchantStatus::Active,
            created_at: now,
            kind: domain::merchants::PartnerKind::Merchant,
            bank_merchant_id: None,
        };
        anyhow::ensure!(
            catalogue
                .insert_merchant(&merchant, NewAuditEntry::by(&actor, now, "merchant.create", merchant.id.to_string()))
                .await?
        );
        for _ in 0..stores_each {
            let (district, lat, lng) = SUZHOU[rng.random_range(0..SUZHOU.len())];
            let (lat, lng) = (lat + rng.random_range(-0.08..0.08), lng + rng.random_range(-0.08..0.08));
            let location = GeoPoint::from_degrees(lat, lng)?;
            let store = Store {
                id: StoreId::new(),
                merchant: merchant.id,
                name: format!("{district}店"),
                address: format!("{district}某路"),
                district: district.to_owned(),
                location,
                hours: "09:00-21:00".into(),
            };
            catalogue
                .insert_store(&store, NewAuditEntry::by(&actor, now, "store.create", store.id.to_string()))
                .await?;
            out.push(SeededStore {
                merchant: merchant.id.to_string(),
                category,
                district,
                store: store.id.to_string(),
                lat: location.lat(),
                lng: location.lng(),
            });
        }
    }
    Ok(out)
}

/// Great-circle distance in metres, written out here so the search is checked against an
/// independent computation.
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lng2 - lng1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// Merchants within `radius_m` of a point by their nearest store, nearest first: every store
/// looked at, no index.
pub fn brute_force_nearby(stores: &[SeededStore], lat: f64, lng: f64, radius_m: f64) -> Vec<(String, f64)> {
    let mut best: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for s in stores {
        let d = haversine_m(lat, lng, s.lat, s.lng);
        if d <= radius_m {
            let e = best.entry(s.merchant.as_str()).or_insert(f64::MAX);
            *e = e.min(d);
        }
    }
    let mut all: Vec<(String, f64)> = best.into_iter().map(|(m, d)| (m.to_owned(), d)).collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all
}

impl TestApp {
    /// The catalogue repository over this server's database.
    pub async fn catalogue(&self) -> infra::db::merchants::DbMerchants {
        let infra = self.infra().await;
        infra::db::merchants::DbMerchants::new(
            infra.db,
            infra.crypto,
            self.config.members.privacy_policy_version.clone(),
        )
    }
}
