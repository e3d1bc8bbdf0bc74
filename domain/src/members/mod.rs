//! Real-name member accounts: phone and WeChat sign-in, 身份证 binding against the union's roster,
//! profile and privacy rights.

pub mod auth;
#[cfg(test)]
mod auth_tests;
pub mod error;
pub mod identity;
pub mod model;
pub mod ports;
pub mod profile;
pub mod roster;
pub mod roster_import;
pub mod roster_search;

pub use identity::{IdNumber, PersonName, PhoneNumber};
pub use model::{Affiliation, ConsentEvent, Member, MemberId, MemberStatus, Profile, RealName};
