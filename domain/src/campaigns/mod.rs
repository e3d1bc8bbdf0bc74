//! 会员有礼: time-boxed holiday gift campaigns with limited stock.

pub mod board;
#[cfg(test)]
mod claim_tests;
mod claiming;
pub mod error;
pub mod model;
#[cfg(test)]
mod model_tests;
pub mod pickup;
pub mod ports;
pub mod report;
pub mod service;
#[cfg(test)]
mod service_tests;
pub mod voucher;
pub mod window;

pub use model::{Campaign, CampaignId, CampaignState, CampaignStatus, Eligibility, Funder, Gift, GiftId, Holiday};
pub use window::{Window, SHANGHAI};
