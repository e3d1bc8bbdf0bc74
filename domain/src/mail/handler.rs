use super::model::OutboundEmail;
use super::ports::{Mailer, SendError, Unseal};
use crate::jobs::{Job, JobFailure, JobHandler, JobKind};

/// Carries out `mail` jobs through a [`Mailer`], opening members' sealed addresses with `U`.
pub struct MailJobs<M, U>(pub M, pub U);

impl<M: Mailer, U: Unseal> JobHandler for MailJobs<M, U> {
    async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
        match job.kind {
            JobKind::Mail => {
                let unseal = |sealed: &str| self.1.unseal(sealed);
                let email = OutboundEmail::from_job_payload(&job.payload, &unseal).map_err(JobFailure::Permanent)?;
                // Named after the job: a retried mail is recognisably the same message.
                let message_id = format!("sgh-job-{}", job.id);
                self.0.send(&email, &message_id).await.map_err(|e| match e {
                    SendError::Transient(why) => JobFailure::Transient(why),
                    SendError::Permanent(why) => JobFailure::Permanent(why),
                })
            }
            other => Err(JobFailure::Permanent(format!("{other} is not a mail job"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct NoKey;

    impl Unseal for NoKey {
        fn unseal(&self, _: &str) -> Result<String, String> {
            Err("no key".into())
        }
    }

    #[derive(Default, Clone)]
    struct Flaky(Arc<Mutex<Vec<String>>>);

    impl Mailer for Flaky {
        async fn send(&self, _: &OutboundEmail, message_id: &str) -> Result<(), SendError> {
            self.0.lock().unwrap().push(message_id.to_owned());
            Err(SendError::Transient("421 try later".into()))
        }
    }

    #[tokio::test]
    async fn every_attempt_at_one_mail_carries_the_same_message_id() {
        let mailer = Flaky::default();
        let email = OutboundEmail {
            to: crate::shared::EmailAddress::parse("a@union.example.cn").unwrap(),
            subject: "s".into(),
            body: "b".into(),
            attachment: None,
        };
        let job = |attempts| Job { id: 41, kind: JobKind::Mail, payload: email.to_payload(), attempts, owner: None };
        let handler = MailJobs(mailer.clone(), NoKey);
        for attempts in 0..3 {
            assert!(matches!(handler.handle(&job(attempts)).await, Err(JobFailure::Transient(_))));
        }
        let other = Job { id: 42, ..job(0) };
        let _ = handler.handle(&other).await;
        assert_eq!(*mailer.0.lock().unwrap(), ["sgh-job-41", "sgh-job-41", "sgh-job-41", "sgh-job-42"]);
    }
}
