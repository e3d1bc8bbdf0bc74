//! 会员服务卡: the co-branded member-service card the bank issues to union members, its lifecycle,
//! and the rotating code a member shows at a till.

pub mod code;
pub mod lifecycle;
pub mod number;
pub mod verify;

pub use code::{DayHandle, RotatingCode, StepCode};
pub use lifecycle::{CardEvent, CardStatus, IllegalTransition};
pub use number::CardNumber;
