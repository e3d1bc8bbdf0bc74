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
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(borrow)]
    subject: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attachment: Option<Attachment>,
}

impl OutboundEmail {
    /// The job payload: `{"to", "subject", "body"}`. Statements that queue mail in SQL build the
    /// same object (`json_build_object` / `json_object`).
    pub fn to_payload(&self) -> String {
        let p = Payload {
            to: self.to.as_str().into(),
            subject: self.subject.as_str().into(),
            body: self.body.as_str().into(),
            attachment: self.attachment.clone(),
        };
        serde_json::to_string(&p).unwrap_or_default()
    }

    pub fn from_payload(raw: &str) -> Result<Self, String> {
        let p: Payload<'_> = serde_json::from_str(raw).map_err(|e| format!("mail payload: {e}"))?;
        let to = EmailAddress::parse(&p.to).map_err(|_| "mail payload: the recipient address is invalid".to_owned())?;
        Ok(Self { to, subject: p.subject.into_owned(), body: p.body.into_owned(), attachment: p.attachment })
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
    }
}
