//! 会员服务卡: the co-branded member-service card the bank issues to union members, its lifecycle,
//! the rotating code a member shows at a till, and the bank's card events.

pub mod bank;
pub mod code;
pub mod error;
pub mod feed;
pub mod lifecycle;
pub mod model;
pub mod number;
pub mod ports;
pub mod rebate;
pub mod refund;
pub mod service;
pub mod verify;

pub use code::{DayHandle, RotatingCode, StepCode};
pub use error::CardError;
pub use lifecycle::{CardEvent, CardStatus, IllegalTransition};
pub use model::{Account, Card, CodeSeed, HistoryEntry};
pub use number::CardNumber;
pub use service::CardService;
pub use verify::CardId;
