//! Walking a whole paged list, for the member's data export.

use crate::error::ApiError;
use domain::shared::{Limit, Page, PageRequest};

/// Every page of a list, in order, the largest pages at a time.
pub async fn every<T, E, F, Fut>(read: F) -> Result<Vec<T>, ApiError>
where
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, E>>,
    ApiError: From<E>,
{
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = read(PageRequest { limit: Limit::LARGEST, after }).await?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
