//! What the benchmark tools (`flood`, `partner-bench`) share: seeding through the repositories, the
//! release server as a child process, and a bare keep-alive HTTP/1.1 connection.

use anyhow::{bail, Context};
use chrono::Utc;
use futures_util::stream::{self, StreamExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use api::wire::Infra;
use domain::members::ports::{MemberRepository, MemberTokens};
use domain::members::roster::{RosterEntry, RosterStatus};
use domain::members::{IdNumber, Member, MemberId, PersonName, PhoneNumber};

/// Members as sign-up makes them (sealed phone and 居民身份证 number, consent, roster row), with
/// an access token each.
pub async fn seed_members(infra: &Infra, n: usize) -> anyhow::Result<Vec<(MemberId, String)>> {
    let config = &infra.config;
    let repo = infra::db::members::DbMembers::new(infra.db.clone(), infra.crypto.clone());
    let (kid, secret) = &config.members.jwt;
    let tokens = infra::auth::JwtMemberTokens::new((kid, secret.as_bytes()), None, chrono::Duration::hours(4));
    let today = Utc::now().date_naive();
    let name = PersonName::parse("测试会员")?;
    let made: Vec<anyhow::Result<(MemberId, String, RosterEntry)>> = stream::iter(0..n)
        .map(|i| {
            let (repo, tokens, name, policy) = (&repo, &tokens, name.clone(), &config.members.privacy_policy_version);
            async move {
                let birth =
                    chrono::NaiveDate::from_ymd_opt(1965, 1, 1).unwrap() + chrono::Duration::days((i / 900) as i64);
                let id = crate::members::id_number(&birth.format("%Y%m%d").to_string(), (i % 900) as u32);
                let id = IdNumber::parse(&id, today)?;
                let phone = PhoneNumber::parse(&format!("135{i:08}"))?;
                let member = repo.create_or_get(&Member::new(phone, Utc::now())).await?;
                repo.bind_real_name(member.id, &name, &id, Utc::now()).await?;
                repo.record_consent(member.id, policy, Utc::now()).await?;
                let token = tokens.issue(member.id, Utc::now())?.0;
                let entry = RosterEntry {
                    name,
                    id_number: id,
                    union_org_code: format!("SZ-{:03}", i % 200),
                    union_org_name: "苏州工会".to_owned(),
                    member_no: format!("F{i}"),
                    status: RosterStatus::Active,
                };
                Ok((member.id, token, entry))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut members = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(n);
    for m in made {
        let (id, token, entry) = m?;
        members.push((id, token));
        entries.push(entry);
    }
    let roster = infra::db::roster::DbRoster::new(infra.db.clone(), infra.crypto.clone());
    tokio::task::spawn_blocking(move || {
        for batch in entries.chunks(20_000) {
            roster.upsert_batch(batch, Utc::now())?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await??;
    Ok(members)
}

pub const PASSWORD: &str = "flood-benchmark-password-1";

/// An operator account `username` with [`PASSWORD`].
pub async fn seed_admin(infra: &Infra, username: &str) -> anyhow::Result<String> {
    use domain::admin::{Actor, NewAdmin, Password, Role, Username};
    let service = api::admin::wire(infra).admins;
    let new = NewAdmin {
        username: Username::parse(username)?,
        display_name: "flood".to_owned(),
        email: None,
        role: Role::Operator,
        password: Password::parse(PASSWORD.to_owned())?,
        scope: None,
    };
    service.create(&Actor::command_line("flood"), new).await?;
    Ok(username.to_owned())
}

/// Starts the release server with exactly `vars` and waits until `/readyz` answers 200.
pub fn start_server(binary: &Path, vars: &[(String, String)], port: u16) -> anyhow::Result<Child> {
    let child = Command::new(binary)
        .arg("serve")
        .env_clear()
        .envs(vars.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            c.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")?;
            let mut reply = String::new();
            let _ = c.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                return Ok(child);
            }
        }
        if Instant::now() > deadline {
            bail!("the server did not become ready");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One keep-alive HTTP/1.1 connection, speaking just enough of the protocol for this API.
pub struct HttpConn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl HttpConn {
    pub async fn open(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: Vec::with_capacity(4096) })
    }

    /// Sends one request and reads its response: status and body (Content-Length framed).
    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("connection closed");
            }
        };
        let head = std::str::from_utf8(&self.buf[..header_end])?;
        let status: u16 = head.get(9..12).context("status line")?.parse()?;
        // A 304 or 204 has no body, whatever its headers say (RFC 9112, 6.3).
        let bodiless = matches!(status, 204 | 304);
        let length: usize = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
            .map(|(_, v)| v.trim().parse())
            .transpose()?
            .or(bodiless.then_some(0))
            .context("no content-length")?;
        let length = if bodiless { 0 } else { length };
        while self.buf.len() < header_end + length {
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                bail!("connection closed mid-body");
            }
        }
        Ok((status, self.buf[header_end..header_end + length].to_vec()))
    }
}
