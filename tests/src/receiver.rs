//! A merchant's webhook endpoint for tests: answers each delivery as told and keeps what came.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One delivery as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
    pub body: String,
}

#[derive(Clone, Default)]
pub struct WebhookReceiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    /// Status codes to answer, in turn; 200 once they run out.
    answers: Arc<Mutex<Vec<u16>>>,
    /// How long each answer takes (a slow or hanging merchant).
    delay: Duration,
}

async fn receive(req: HttpRequest, body: web::Bytes, me: web::Data<WebhookReceiver>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    me.seen.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap_or(-1),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if !me.delay.is_zero() {
        actix_web::rt::time::sleep(me.delay).await;
    }
    let mut answers = me.answers.lock().unwrap();
    let status = if answers.is_empty() { 200 } else { answers.remove(0) };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl WebhookReceiver {
    /// Starts a receiver that answers `answers` in turn, then 200.
    pub fn start(answers: &[u16]) -> Self {
        Self::start_slow(answers, Duration::ZERO)
    }

    /// Like [`WebhookReceiver::start`], each answer taking `delay` (it is recorded on arrival).
    pub fn start_slow(answers: &[u16], delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/events", listener.local_addr().unwrap().port());
        let me = WebhookReceiver { url, answers: Arc::new(Mutex::new(answers.to_vec())), delay, ..Default::default() };
        let data = me.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(data.clone())).route("/events", web::post().to(receive))
        })
        .workers(1)
        .max_connection_rate(1024)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        me
    }

    pub fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (on the wall clock: the runner polls on its own) until `n` deliveries arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.seen.lock().unwrap().len() >= n {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}
