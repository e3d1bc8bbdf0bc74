//! Partner merchants, their stores and discount offers; the signed partner API's rules: who may
//! act for which store, what a sale costs, and the limits a member's sales count against.

pub mod address;
pub mod cached;
pub mod catalogue;
pub mod directory;
pub mod error;
pub mod geo;
pub mod model;
pub mod offer;
pub mod partner;
pub mod ports;
pub mod pricing;
pub mod sale;
pub mod service;
pub mod statement;
pub mod webhook;

pub use error::MerchantError;
pub use model::{BankMerchantId, Mchid, Merchant, MerchantId, MerchantStatus, PartnerKind, Store, StoreId};
pub use offer::{Audience, Offer, OfferId, OfferStatus, Weekdays};
pub use pricing::{Discount, Priced};
pub use sale::{MemberRef, Sale, SaleId};
