//! Delivers webhook events over HTTP with Standard Webhooks headers, signed by our Ed25519 key.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

use crate::signing::WebhookKey;
use domain::merchants::webhook::{SendFailure, WebhookSender};

#[derive(Clone)]
pub struct HttpWebhooks {
    http: reqwest::Client,
    key: Arc<WebhookKey>,
}

impl HttpWebhooks {
    pub fn new(key: Arc<WebhookKey>, timeout: Duration) -> Self {
        // No redirects: a receiver that moves must say so by changing its registered URL.
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client builds");
        Self { http, key }
    }
}

impl WebhookSender for HttpWebhooks {
    async fn post(&self, url: &str, event_id: &str, at: DateTime<Utc>, body: &str) -> Result<(), SendFailure> {
        let timestamp = at.timestamp();
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", self.key.signature(event_id, timestamp, body))
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| SendFailure::Unreachable(format!("{e}")))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SendFailure::Status(status.as_u16()))
        }
    }
}
