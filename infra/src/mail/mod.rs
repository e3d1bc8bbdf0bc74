//! Mail delivery adapters: SMTP in production, `.eml` files in the embedded default.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Mechanism;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

use domain::mail::{Mailer, OutboundEmail, SendError};

#[derive(Clone)]
pub enum AnyMailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Files { transport: AsyncFileTransport<Tokio1Executor>, from: Mailbox },
}

impl AnyMailer {
    /// `smtp://user:pass@host:port` (STARTTLS is used when offered) or `smtps://…` (TLS from the start),
    /// as lettre reads them.
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(timeout))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .build();
        Ok(Self::Smtp { transport, from: from.parse()? })
    }

    /// Writes each message as `<uuid>.eml` into `dir`, creating it.
    pub fn files(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self::Files { transport: AsyncFileTransport::new(dir), from: from.parse()? })
    }

    fn message(from: &Mailbox, email: &OutboundEmail, message_id: &str) -> Result<Message, SendError> {
        let to: Mailbox = email.to.as_str().parse().map_err(|e| SendError::Permanent(format!("bad recipient: {e}")))?;
        let builder = Message::builder()
            .message_id(Some(format!("<{message_id}@{}>", from.email.domain())))
            .from(from.clone())
            .to(to)
            .subject(&email.subject);
        let built = match &email.attachment {
            None => builder.header(ContentType::TEXT_PLAIN).body(email.body.clone()),
            Some(file) => {
                let kind = ContentType::parse(&file.content_type)
                    .map_err(|e| SendError::Permanent(format!("attachment type {}: {e}", file.content_type)))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(email.body.clone()))
                        .singlepart(Attachment::new(file.filename.clone()).body(file.content.clone(), kind)),
                )
            }
        };
        built.map_err(|e| SendError::Permanent(format!("message not buildable: {e}")))
    }
}

impl Mailer for AnyMailer {
    async fn send(&self, email: &OutboundEmail, message_id: &str) -> Result<(), SendError> {
        match self {
            Self::Smtp { transport, from } => {
                let message = Self::message(from, email, message_id)?;
                transport.send(message).await.map(drop).map_err(|e| {
                    if e.is_permanent() {
                        SendError::Permanent(e.to_string())
                    } else {
                        SendError::Transient(e.to_string())
                    }
                })
            }
            Self::Files { transport, from } => {
                let message = Self::message(from, email, message_id)?;
                transport.send(message).await.map(drop).map_err(|e| SendError::Transient(e.to_string()))
            }
        }
    }
}
