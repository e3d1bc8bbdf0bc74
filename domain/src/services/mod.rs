//! Service windows (服务窗口): members bring the union a question (legal aid, job help), an
//! application (hardship relief, an illness subsidy, a school grant) or a complaint; caseworkers in
//! the member's part of the tree accept, answer or decide it within time limits counted in working
//! days; what runs late climbs the tree; an approved application may pay out of the union fund.

pub mod error;
pub mod files;
pub mod form;
pub mod model;
pub mod payouts;
pub mod ports;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod service;
pub mod spec;

pub use error::ServiceError;
pub use model::{Case, CaseId, CaseState, Category, Kind, KindCode};
