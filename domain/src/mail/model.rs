use std::borrow::Cow;

use crate::shared::EmailAddress;

/// A plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEmail {
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(borrow)]
    subject: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

impl OutboundEmail {
    /// The job payload: `{"to", "subject", "body"}`. Statements that queue mail in SQL build the
    /// same object (`json_build_object` / `json_object`).
    pub fn to_payload(&self) -> String {
        let p = Payload {
            to: self.to.as_str().into(),
            subject: self.subject.as_str().into(),
            body: self.body.as_str().into(),
        };
        serde_json::to_string(&p).unwrap_or_default()
    }

    pub fn from_payload(raw: &str) -> Result<Self, String> {
        let p: Payload<'_> = serde_json::from_str(raw).map_err(|e| format!("mail payload: {e}"))?;
        let to = EmailAddress::parse(&p.to).map_err(|_| "mail payload: the recipient address is invalid".to_owned())?;
        Ok(Self { to, subject: p.subject.into_owned(), body: p.body.into_owned() })
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
        };
        assert_eq!(OutboundEmail::from_payload(&mail.to_payload()).unwrap(), mail);
        assert!(OutboundEmail::from_payload(r#"{"to": "not an address", "subject": "", "body": ""}"#).is_err());
        assert!(OutboundEmail::from_payload("{}").is_err());
    }
}
