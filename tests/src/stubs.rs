//! Local stand-ins for services outside our control, reached through the real HTTP adapters.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const SMS_KEY: &str = "test-sms-key";

/// Records what the SMS adapter posts, as a gateway would receive it.
#[derive(Clone, Default)]
pub struct SmsStub {
    pub url: String,
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

/// Answers code2session: `ok:<openid>[:<unionid>]` succeeds, anything else is WeChat's 40029.
#[derive(Clone, Default)]
pub struct WeChatStub {
    pub base_url: String,
    pub calls: Arc<Mutex<Vec<String>>>,
}

async fn sms(req: HttpRequest, body: web::Json<Value>, stub: web::Data<SmsStub>) -> HttpResponse {
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    if auth != format!("Bearer {SMS_KEY}") {
        return HttpResponse::Unauthorized().finish();
    }
    if body["template"] != "login_code" || !body["params"]["minutes"].is_u64() {
        return HttpResponse::BadRequest().json(json!({"error": "unknown template or parameters"}));
    }
    let phone = body["phone"].as_str().unwrap_or_default().to_owned();
    stub.sent.lock().unwrap().push((phone, body["params"].to_string()));
    HttpResponse::Ok().json(json!({"ok": true}))
}

async fn code2session(
    query: web::Query<std::collections::HashMap<String, String>>,
    stub: web::Data<WeChatStub>,
) -> HttpResponse {
    let code = query.get("js_code").cloned().unwrap_or_default();
    stub.calls.lock().unwrap().push(code.clone());
    if query.get("appid").map(String::as_str) != Some("wx-test-app") {
        return HttpResponse::Ok().json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    match code.strip_prefix("ok:") {
        Some(rest) => {
            let (openid, unionid) = rest.split_once(':').map_or((rest, None), |(o, u)| (o, Some(u)));
            HttpResponse::Ok()
                .json(json!({"openid": openid, "unionid": unionid, "session_key": "SESSION-KEY-MUST-NOT-LEAK"}))
        }
        None => HttpResponse::Ok().json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

impl SmsStub {
    /// The template parameters sent to `phone` (11 digits) as JSON text, oldest first.
    pub fn messages_to(&self, phone: &str) -> Vec<String> {
        self.sent.lock().unwrap().iter().filter(|(p, _)| p == phone).map(|(_, m)| m.clone()).collect()
    }

    /// The code in the latest message to `phone`.
    pub fn last_code(&self, phone: &str) -> String {
        let params = self.messages_to(phone).pop().unwrap_or_else(|| panic!("no SMS to {phone}"));
        let params: Value = serde_json::from_str(&params).unwrap();
        params["code"].as_str().unwrap().to_owned()
    }
}

/// Starts both stubs on one local port, served by the test's runtime.
pub fn start() -> (SmsStub, WeChatStub) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let sms_stub = SmsStub { url: format!("{base}/sms/send"), ..SmsStub::default() };
    let wechat_stub = WeChatStub { base_url: base, ..WeChatStub::default() };
    let (s, w) = (sms_stub.clone(), wechat_stub.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(s.clone()))
            .app_data(web::Data::new(w.clone()))
            .route("/sms/send", web::post().to(sms))
            .route("/sns/jscode2session", web::get().to(code2session))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (sms_stub, wechat_stub)
}
