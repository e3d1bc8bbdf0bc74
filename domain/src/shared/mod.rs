//! Types and ports every bounded context uses.

pub mod alerts;
pub mod clock;
pub mod email;
pub mod ephemeral;
pub mod idempotency;
pub mod ids;
pub mod import;
pub mod import_job;
pub mod money;
pub mod paging;
pub mod random;
pub mod short_lived;
pub mod spreadsheet;
pub mod text;
pub mod working_days;

pub use clock::{AppClock, Clock, SystemClock, TestClock};
pub use email::EmailAddress;
pub use paging::{Cursor, Limit, Page, PageRequest};
