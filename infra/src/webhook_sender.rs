//! Delivers webhook events over HTTP with Standard Webhooks headers: a symmetric `v1` signature
//! per secret the endpoint holds (what the stock libraries verify) and our Ed25519 `v1a`.
//!
//! Every address a delivery connects to has passed the target policy: names are resolved by
//! [`CheckedResolver`], which hands the HTTP client only addresses that passed, so a name that
//! resolved to a public address when it was checked cannot be made to point inward later (DNS
//! rebinding); an address written in the URL is checked before the request.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::signing::WebhookKey;
use domain::merchants::address::TargetPolicy;
use domain::merchants::webhook::{Endpoint, Resolver, SendFailure, WebhookSecret, WebhookSender};

/// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's key.
pub fn v1_signature(secret: &WebhookSecret, id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret.key()).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The system resolver, for checking a URL at registration.
#[derive(Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> anyhow::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.map(|a| a.ip()).collect())
    }
}

/// Resolves names for the HTTP client and keeps only what the policy lets a webhook reach; a
/// name with any refused address is refused whole, as at registration.
struct CheckedResolver(Arc<TargetPolicy>);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            policy.check_resolved(&ips).map_err(|e| Box::new(std::io::Error::other(e.to_string())))?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[derive(Clone)]
pub struct HttpWebhooks {
    http: reqwest::Client,
    key: Arc<WebhookKey>,
    policy: Arc<TargetPolicy>,
}

impl HttpWebhooks {
    pub fn new(key: Arc<WebhookKey>, timeout: Duration, policy: TargetPolicy) -> Self {
        let policy = Arc::new(policy);
        // No redirects: a receiver that moves must say so by changing its registered URL (and a
        // redirect could point anywhere).
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(CheckedResolver(policy.clone())))
            .no_proxy()
            .build()
            .expect("HTTP client builds");
        Self { http, key, policy }
    }

    /// The `webhook-signature` header: every `v1` first (the stock libraries try each), then `v1a`.
    pub fn signatures(&self, endpoint: &Endpoint, id: &str, timestamp: i64, body: &str) -> String {
        let mut all: Vec<String> = endpoint.secrets.iter().map(|s| v1_signature(s, id, timestamp, body)).collect();
        all.push(self.key.signature(id, timestamp, body));
        all.join(" ")
    }
}

/// What the merchant is told of a failed attempt: whether it got an answer, never what our
/// side found out about an address it may not reach.
fn unreachable(e: &reqwest::Error) -> SendFailure {
    SendFailure::Unreachable(if e.is_timeout() { "timed out" } else { "unreachable" }.to_owned())
}

impl WebhookSender for HttpWebhooks {
    async fn post(
        &self,
        endpoint: &Endpoint,
        event_id: &str,
        at: DateTime<Utc>,
        body: &str,
    ) -> Result<(), SendFailure> {
        // A URL written with an address never reaches the resolver: its address is checked here.
        if self.policy.check(&endpoint.url).is_err() {
            return Err(SendFailure::Unreachable("unreachable".to_owned()));
        }
        let timestamp = at.timestamp();
        let response = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", self.signatures(endpoint, event_id, timestamp, body))
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SendFailure::Status(status.as_u16()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example: secret, id, timestamp, payload and
    /// the signature every library computes from them.
    #[test]
    fn v1_matches_the_specifications_example() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        let signature = v1_signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
