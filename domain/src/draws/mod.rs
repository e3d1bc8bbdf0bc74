//! Fair draws: instead of first come, members sign up during a window and winners are drawn in a
//! way anyone can check. The seed is committed to (its SHA-256 published) before anyone signs up and
//! revealed at the draw; the order of the entrants follows from the seed and the sorted list of their
//! references alone ([`fair`]); the published record carries all three, so the result can be
//! recomputed by anyone, with `sgh verify-draw` or with the procedure in docs/member-app.md
//! ([`record`]).

pub mod fair;
pub mod record;
