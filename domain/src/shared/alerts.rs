//! Telling the people who run the service that something needs them now (a spent SMS budget),
//! durably: the alert outlives the request that raised it.

use chrono::{DateTime, Utc};
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorAlert {
    pub subject: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

pub trait OperatorAlerts: Send + Sync + 'static {
    /// Queues the alert for every active administrator with an address, and logs it at error
    /// level. What cannot be queued (the database down) is logged as such: raising an alert never
    /// fails the request that raised it.
    fn raise(&self, alert: OperatorAlert) -> impl Future<Output = ()> + Send;
}
