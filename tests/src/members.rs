//! Helpers for tests of member accounts.

use serde_json::{json, Value};

use crate::{Req, TestApp};
use domain::members::roster::{RosterEntry, RosterStatus};
use domain::members::{IdNumber, PersonName};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// A valid 居民身份证 number from Suzhou (320502) for a birth date `YYYYMMDD` and a sequence number.
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("320502{birth}{:03}", seq % 1000);
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// The same number with a wrong check character.
pub fn with_bad_check(id: &str) -> String {
    let last = if id.ends_with('1') { '2' } else { '1' };
    format!("{}{last}", &id[..17])
}

impl TestApp {
    /// The text of the last `.eml` the outbox wrote, with a base64 body decoded.
    pub async fn last_mail(&self) -> String {
        self.newest_mail(|_| true).await
    }

    /// The last mail the outbox wrote to `address` (waiting for it: the outbox writes after the
    /// request has been answered, and mails to others may come after or before it).
    pub async fn mail_to(&self, address: &str) -> String {
        let to = format!("to: {}", address.to_ascii_lowercase());
        self.newest_mail(|head| head.to_ascii_lowercase().lines().any(|l| l.trim() == to)).await
    }

    /// The last mail to `address` once one says `text` (waiting for the outbox, which writes after
    /// the request has been answered).
    pub async fn mail_to_saying(&self, address: &str, text: &str) -> String {
        let mut mail = String::new();
        for _ in 0..100 {
            mail = self.mail_to(address).await;
            if mail.contains(text) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {address} says {text:?}; the last:\n{mail}")
    }

    /// The six-digit code in the last mail the outbox wrote to `address`.
    pub async fn mail_code_to(&self, address: &str) -> String {
        let mail = self.mail_to(address).await;
        mail.split("code is ").nth(1).expect("a mail with a code").chars().take(6).collect()
    }

    async fn newest_mail(&self, wanted: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            if let Ok(entries) = std::fs::read_dir(&self.config.jobs.mail_dir) {
                let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
                files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
                for path in files.iter().rev() {
                    let raw = std::fs::read_to_string(path).unwrap();
                    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
                    if !wanted(head) {
                        continue;
                    }
                    if head.to_ascii_lowercase().contains("content-transfer-encoding: base64") {
                        use base64::Engine;
                        let compact: String = body.split_whitespace().collect();
                        let decoded = base64::engine::general_purpose::STANDARD.decode(compact).unwrap();
                        return format!("{head}\n\n{}", String::from_utf8(decoded).unwrap());
                    }
                    return raw;
                }
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail written");
    }

    pub async fn request_code(&self, phone: &str) -> crate::Reply {
        self.send(Req::post("/v1/auth/otp").json(json!({"phone": phone}))).await
    }

    /// Has a new code sent (waiting out the resend interval if need be) and reads it off the SMS stub.
    pub async fn fresh_code(&self, phone: &str) -> String {
        let mut sent = self.request_code(phone).await;
        if sent.status == 429 {
            let wait: u64 = sent.header("retry-after").and_then(|s| s.parse().ok()).unwrap_or(1);
            actix_web::rt::time::sleep(std::time::Duration::from_secs(wait)).await;
            sent = self.request_code(phone).await;
        }
        assert_eq!(sent.status, 202, "{}", sent.text());
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        self.sms.last_code(&digits[digits.len() - 11..])
    }

    /// Signs a member in by SMS code; returns the token response.
    pub async fn member_login(&self, phone: &str) -> Value {
        let code = self.fresh_code(phone).await;
        let reply = self.send(Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code}))).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    pub async fn member_token(&self, phone: &str) -> String {
        self.member_login(phone).await["access_token"].as_str().unwrap().to_owned()
    }

    /// A signed-in member who accepted the current privacy policy.
    pub async fn consenting_member(&self, phone: &str) -> String {
        let token = self.member_token(phone).await;
        let version = self.config.members.privacy_policy_version.clone();
        let r = self.send(Req::post("/v1/me/consents").bearer(&token).json(json!({"version": version}))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        token
    }

    /// Writes roster rows directly, as an import would.
    pub async fn seed_roster(&self, rows: &[(&str, &str, &str, RosterStatus)]) {
        let today = domain::shared::Clock::now(&self.clock).date_naive();
        let entries: Vec<RosterEntry> = rows
            .iter()
            .enumerate()
            .map(|(i, (name, id, org, status))| RosterEntry {
                name: PersonName::parse(name).unwrap(),
                id_number: IdNumber::parse(id, today).unwrap(),
                union_org_code: (*org).to_owned(),
                union_org_name: format!("{org} 基层工会"),
                member_no: format!("M{i:05}"),
                status: *status,
            })
            .collect();
        let roster = self.roster().await;
        let now = domain::shared::Clock::now(&self.clock);
        tokio::task::spawn_blocking(move || roster.upsert_batch(&entries, now).unwrap()).await.unwrap();
    }
}
