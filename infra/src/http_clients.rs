//! Adapters for services outside our control: the SMS gateway and WeChat's code2session. Each has a
//! configurable base URL so tests put a local stub behind the real adapter.

use std::time::Duration;

use domain::members::ports::{SmsSender, WeChat, WeChatError, WeChatSession};
use domain::members::PhoneNumber;

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().expect("HTTP client builds")
}

/// A client error without the URL it was for: the URL may carry a secret (code2session takes
/// the app secret and the member's `js_code` in its query), and errors end up in the log.
pub fn without_url(e: reqwest::Error) -> anyhow::Error {
    e.without_url().into()
}

/// Posts `{"phone": "...", "template": "login_code", "params": {"code": "...", "minutes": 5}}` to the
/// gateway with a bearer key.
#[derive(Clone)]
pub struct HttpSms {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl HttpSms {
    pub fn new(url: &str, key: &str) -> Self {
        Self { http: client(Duration::from_secs(5)), url: url.to_owned(), key: key.to_owned() }
    }
}

/// The embedded default: the code goes to the log, for a developer to read.
#[derive(Clone, Copy)]
pub struct LogSms;

#[derive(Clone)]
pub enum AnySms {
    Http(HttpSms),
    Log(LogSms),
}

impl SmsSender for AnySms {
    async fn send_code(&self, to: &PhoneNumber, code: &str, minutes: u64) -> anyhow::Result<()> {
        match self {
            AnySms::Http(sms) => {
                let body = serde_json::json!({
                    "phone": to.as_str(),
                    "template": "login_code",
                    "params": { "code": code, "minutes": minutes },
                });
                let res =
                    sms.http.post(&sms.url).bearer_auth(&sms.key).json(&body).send().await.map_err(without_url)?;
                anyhow::ensure!(res.status().is_success(), "SMS gateway answered {}", res.status());
                Ok(())
            }
            AnySms::Log(_) => {
                // The embedded default has no gateway: a developer reads the code here.
                tracing::info!("sms to={} code={code}", to.masked());
                Ok(())
            }
        }
    }
}

/// `GET {base}/sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`.
#[derive(Clone)]
pub struct HttpWeChat {
    http: reqwest::Client,
    config: Option<(String, String, String)>,
}

impl HttpWeChat {
    /// `None` when no app id is configured: every login answers `NotConfigured`.
    pub fn new(base_url: &str, app: Option<(&str, &str)>) -> Self {
        Self {
            http: client(Duration::from_secs(5)),
            config: app
                .map(|(id, secret)| (base_url.trim_end_matches('/').to_owned(), id.to_owned(), secret.to_owned())),
        }
    }
}

#[derive(serde::Deserialize)]
struct Code2Session {
    openid: Option<String>,
    unionid: Option<String>,
    errcode: Option<i64>,
    // `session_key` is deliberately not read: it is never needed, logged or returned.
}

impl WeChat for HttpWeChat {
    async fn code_to_session(&self, code: &str) -> Result<WeChatSession, WeChatError> {
        let (base, appid, secret) = self.config.as_ref().ok_or(WeChatError::NotConfigured)?;
        let res = self
            .http
            .get(format!("{base}/sns/jscode2session"))
            .query(&[
                ("appid", appid.as_str()),
                ("secret", secret),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            .map_err(|e| WeChatError::Unavailable(without_url(e)))?;
        if !res.status().is_success() {
            return Err(WeChatError::Unavailable(anyhow::anyhow!("code2session answered {}", res.status())));
        }
        let body: Code2Session = res.json().await.map_err(|e| WeChatError::Unavailable(without_url(e)))?;
        match (body.errcode.unwrap_or(0), body.openid) {
            (0, Some(openid)) => Ok(WeChatSession { openid, unionid: body.unionid }),
            // 40029 invalid code, 40163 code already used, 40226 risky user.
            (40029 | 40163 | 40226, _) => Err(WeChatError::InvalidCode),
            (code, _) => Err(WeChatError::Unavailable(anyhow::anyhow!("code2session errcode {code}"))),
        }
    }
}
