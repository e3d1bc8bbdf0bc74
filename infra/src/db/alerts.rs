//! Operator alerts as mail jobs to every active administrator, queued in one transaction.

use diesel::prelude::*;

use super::jobs::enqueue_mail;
use super::schema::admin_users;
use super::Database;
use domain::mail::OutboundEmail;
use domain::shared::alerts::{OperatorAlert, OperatorAlerts};
use domain::shared::EmailAddress;

#[derive(Clone)]
pub struct DbOperatorAlerts(pub Database);

impl OperatorAlerts for DbOperatorAlerts {
    async fn raise(&self, alert: OperatorAlert) {
        tracing::error!(subject = %alert.subject, "operator alert: {}", alert.body);
        let queued = self
            .0
            .transaction(move |conn| {
                let addresses: Vec<String> = admin_users::table
                    .filter(admin_users::role.eq("admin").and(admin_users::disabled.eq(false)))
                    .filter(admin_users::email.is_not_null())
                    .select(admin_users::email.assume_not_null())
                    .load(conn)?;
                let mut queued = 0;
                for to in addresses.iter().filter_map(|a| EmailAddress::parse(a).ok()) {
                    let email = OutboundEmail {
                        to,
                        subject: alert.subject.clone(),
                        body: alert.body.clone(),
                        attachment: None,
                    };
                    enqueue_mail(conn, email, alert.at)?;
                    queued += 1;
                }
                Ok::<_, anyhow::Error>(queued)
            })
            .await;
        match queued {
            Ok(0) => tracing::error!("operator alert: no active administrator has an e-mail address to send it to"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "operator alert could not be queued"),
        }
    }
}
