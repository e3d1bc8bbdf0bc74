//! The server under test, as a child process, and a keep-alive HTTP/1.1 connection to it.

use super::*;

/// The server under test, as a child process.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn start(args: &Args, gate: &str) -> anyhow::Result<Self> {
        let child = tests::bench::start_server(&args.server, &server_vars(args, gate), args.port)?;
        Ok(Server { child, port: args.port })
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        let mut conn = HttpConn::open(self.port).await?;
        let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, body) = conn.exchange(request.as_bytes()).await?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    pub async fn login(&self, username: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({"username": username, "password": PASSWORD}).to_string();
        let (status, reply) = self.send("POST", "/v1/admin/session", None, &body).await?;
        if status != 200 {
            bail!("admin login: {status} {reply}");
        }
        let v: serde_json::Value = serde_json::from_str(&reply)?;
        v["access_token"].as_str().map(str::to_owned).context("no access token")
    }

    /// A published campaign, live from a minute ago, with one gift of `stock`, limit 1.
    pub async fn campaign(&self, staff: &str, stock: u32) -> anyhow::Result<(String, String)> {
        let beijing =
            |d: chrono::Duration| (Utc::now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = serde_json::json!({"title": "国庆会员有礼", "holiday": "national_day",
            "starts_at": beijing(chrono::Duration::minutes(-1)), "ends_at": beijing(chrono::Duration::hours(2)),
            "per_member_limit": 1, "budget_fen": 1_000_000_000_000i64});
        let (status, reply) = self.send("POST", "/v1/admin/campaigns", Some(staff), &body.to_string()).await?;
        if status != 201 {
            bail!("campaign: {status} {reply}");
        }
        let campaign = serde_json::from_str::<serde_json::Value>(&reply)?["id"].as_str().context("id")?.to_owned();
        let valid_until = (Utc::now() + chrono::Duration::days(30)).date_naive().to_string();
        let gift = serde_json::json!({"name": "月饼礼盒", "unit_cost_fen": 8800, "stock": stock, "per_member_limit": 1,
            "valid_until": valid_until, "funder": "bank"});
        let path = format!("/v1/admin/campaigns/{campaign}/gifts");
        let (status, reply) = self.send("POST", &path, Some(staff), &gift.to_string()).await?;
        if status != 201 {
            bail!("gift: {status} {reply}");
        }
        let gift = serde_json::from_str::<serde_json::Value>(&reply)?["id"].as_str().context("id")?.to_owned();
        let (status, reply) =
            self.send("POST", &format!("/v1/admin/campaigns/{campaign}/publish"), Some(staff), "").await?;
        if status != 200 {
            bail!("publish: {status} {reply}");
        }
        Ok((campaign, gift))
    }

    /// The server's peak resident set since it started (VmHWM).
    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmHWM missing")?;
        Ok(kib / 1024.0)
    }

    pub fn stop(self) {
        drop(self);
    }
}

/// Stops the server however the run ends, so no orphan keeps the port.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}
