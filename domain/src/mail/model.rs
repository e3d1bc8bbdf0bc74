use std::borrow::Cow;

use crate::shared::EmailAddress;

/// A plain-text message to one recipient, perhaps with one text attachment (a CSV statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEmail {
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub filename: String,
    /// `text/csv; charset=utf-8`, say.
    pub content_type: String,
    pub content: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload<'a> {
    /// A staff address, plain.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    to: Option<Cow<'a, str>>,
    /// A member's address, sealed with the field key.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    to_sealed: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subject: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    /// A body holding a secret (a confirmation code), sealed with the field key: whoever reads the
    /// jobs table learns no live code.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    body_sealed: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attachment: Option<Attachment>,
}

impl OutboundEmail {
    /// The job payload: `{"to", "subject", "body"}`. Statements that queue mail in SQL build the
    /// same object (`json_build_object` / `json_object`).
    pub fn to_payload(&self) -> String {
        self.payload(Some(self.to.as_str()), None, None)
    }

    /// The job payload for a member's address, given sealed: `{"to_sealed", "subject", "body"}`.
    pub fn to_sealed_payload(&self, sealed_to: &str) -> String {
        self.payload(None, Some(sealed_to), None)
    }

    /// The job payload for a member's address and a body holding a secret, both given sealed:
    /// `{"to_sealed", "subject", "body_sealed"}`.
    pub fn to_sealed_secret_payload(&self, sealed_to: &str, sealed_body: &str) -> String {
        self.payload(None, Some(sealed_to), Some(sealed_body))
    }

    fn payload(&self, to: Option<&str>, to_sealed: Option<&str>, body_sealed: Option<&str>) -> String {
        let p = Payload {
            to: to.map(Cow::Borrowed),
            to_sealed: to_sealed.map(Cow::Borrowed),
            subject: self.subject.as_str().into(),
            body: if body_sealed.is_some() { None } else { Some(self.body.as_str().into()) },
            body_sealed: body_sealed.map(Cow::Borrowed),
            attachment: self.attachment.clone(),
        };
        serde_json::to_string(&p).unwrap_or_default()
    }

    /// A payload with a plain recipient.
    pub fn from_payload(raw: &str) -> Result<Self, String> {
        Self::from_job_payload(raw, &|_: &str| Err("a sealed recipient needs the field key".to_owned()))
    }

    /// A payload with a plain or a sealed recipient, opened by `unseal`.
    pub fn from_job_payload(raw: &str, unseal: &dyn Fn(&str) -> Result<String, String>) -> Result<Self, String> {
        let p: Payload<'_> = serde_json::from_str(raw).map_err(|e| format!("mail payload: {e}"))?;
        let to = match (p.to, p.to_sealed) {
            (Some(to), None) => to.into_owned(),
            (None, Some(sealed)) => unseal(&sealed).map_err(|e| format!("mail payload: recipient unreadable: {e}"))?,
            _ => return Err("mail payload: exactly one of to and to_sealed".to_owned()),
        };
        let to = EmailAddress::parse(&to).map_err(|_| "mail payload: the recipient address is invalid".to_owned())?;
        let body = match (p.body, p.body_sealed) {
            (Some(body), None) => body.into_owned(),
            (None, Some(sealed)) => unseal(&sealed).map_err(|e| format!("mail payload: body unreadable: {e}"))?,
            _ => return Err("mail payload: exactly one of body and body_sealed".to_owned()),
        };
        Ok(Self { to, subject: p.subject.into_owned(), body, attachment: p.attachment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_bad_ones_are_refused() {
        let mail = OutboundEmail {
            to: EmailAddress::parse("a@union.example.cn").unwrap(),
            subject: "【苏工惠】\"领取\"".into(),
            body: "line\nline".into(),
            attachment: None,
        };
        assert_eq!(OutboundEmail::from_payload(&mail.to_payload()).unwrap(), mail);
        let with_file = OutboundEmail {
            attachment: Some(Attachment {
                filename: "statement.csv".into(),
                content_type: "text/csv; charset=utf-8".into(),
                content: "a,b\n1,2\n".into(),
            }),
            ..mail.clone()
        };
        assert_eq!(OutboundEmail::from_payload(&with_file.to_payload()).unwrap(), with_file);
        assert!(OutboundEmail::from_payload(r#"{"to": "not an address", "subject": "", "body": ""}"#).is_err());
        assert!(OutboundEmail::from_payload("{}").is_err());

        let sealed = mail.to_sealed_payload("k1:opaque");
        assert!(!sealed.contains("a@union.example.cn"), "{sealed}");
        let open = |s: &str| if s == "k1:opaque" { Ok("a@union.example.cn".to_owned()) } else { Err("no".to_owned()) };
        assert_eq!(OutboundEmail::from_job_payload(&sealed, &open).unwrap(), mail);
        assert!(OutboundEmail::from_payload(&sealed).is_err(), "a sealed recipient is not read without the key");
        assert!(OutboundEmail::from_job_payload(&mail.to_sealed_payload("k1:other"), &open).is_err());

        let secret = mail.to_sealed_secret_payload("k1:opaque", "k1:body");
        assert!(!secret.contains("line"), "{secret}");
        let open = |s: &str| match s {
            "k1:opaque" => Ok("a@union.example.cn".to_owned()),
            "k1:body" => Ok("line\nline".to_owned()),
            _ => Err("no".to_owned()),
        };
        assert_eq!(OutboundEmail::from_job_payload(&secret, &open).unwrap(), mail);
        assert!(OutboundEmail::from_payload(&secret).is_err(), "a sealed body is not read without the key");
    }
}
