//! Rate limits at the edge, through the shared [`RateLimiter`] port.

use actix_web::http::StatusCode;
use std::time::Duration;

use crate::error::ApiError;
use domain::shared::ephemeral::{EphemeralError, RateDecision, RateLimiter};

/// Counts a hit on `key`; over `limit` in `window` answers 429 with `Retry-After`. When the counter
/// cannot be reached the request is refused (503): an unlimited login endpoint is worse than a
/// briefly unavailable one.
pub async fn enforce(limiter: &impl RateLimiter, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
    match limiter.hit(key, limit, window).await {
        Ok(RateDecision::Allowed { .. }) => Ok(()),
        Ok(RateDecision::Limited { retry_after }) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "请求过于频繁，请稍后再试",
            "Too many requests; try again later",
        )
        .retry_after(retry_after.as_secs_f64().ceil() as u64)),
        Err(EphemeralError::Unavailable(e)) => Err(ApiError::unavailable(&e)),
    }
}
