use super::model::OutboundEmail;
use super::ports::{Mailer, SendError};
use crate::jobs::{JobFailure, JobHandler, JobKind};

/// Carries out `mail` jobs through a [`Mailer`].
pub struct MailJobs<M>(pub M);

impl<M: Mailer> JobHandler for MailJobs<M> {
    async fn handle(&self, kind: JobKind, payload: &str) -> Result<(), JobFailure> {
        match kind {
            JobKind::Mail => {
                let email = OutboundEmail::from_payload(payload).map_err(JobFailure::Permanent)?;
                self.0.send(&email).await.map_err(|e| match e {
                    SendError::Transient(why) => JobFailure::Transient(why),
                    SendError::Permanent(why) => JobFailure::Permanent(why),
                })
            }
        }
    }
}
