//! Claims first. At an opening a worker thread answers claims from hundreds of connections while
//! hundreds of others refresh the pages around them. Left alone, the worker shares its time by
//! connection, so every refresh takes a claim's turn: 200 refreshing beside 200 claiming halved
//! the claims, however cheap the page (docs/benchmarks.md, the opening minute). So in a rush —
//! while a worker answers at least `claims_per_sec` claims a second — a page there waits for its
//! turn: one page for every `claims_per_page` claims answered, and never longer than `longest`.
//! The claims are answered sooner, the pages a little later; outside a rush a page does not wait,
//! and the first page after one takes those still waiting along.
//!
//! A rush is told two ways, as claims are answered two ways. Through the gate they are quick and
//! come back from Redis in bursts, so the claims in flight drop to none many times a millisecond
//! in the thick of a rush: there it is the claims answered in the last two windows of [`WINDOW`].
//! In the database-only mode they are slow, and pages left to run slow them further, so their rate
//! would fall under any bar: there it is [`CROWD`] claims in flight.
//!
//! The bookkeeping is per worker thread, as the CPU time it shares is: no locks, no atomics, and
//! a claim or page never waits on another thread's.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::time::Instant;

/// The span over which a worker's claims are counted to tell a rush.
pub const WINDOW: Duration = Duration::from_millis(10);

/// Claims in flight on one worker that make a rush whatever their rate: a claim waits this long
/// only behind the database.
pub const CROWD: u32 = 16;

/// How pages make way for claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Claims answered a second on one worker from which pages take turns there; 0 turns it off.
    pub claims_per_sec: u32,
    /// Claims answered on the worker for each page let through.
    pub claims_per_page: u32,
    /// The longest a page waits for its turn.
    pub longest: Duration,
}

impl Policy {
    pub const OFF: Self = Self { claims_per_sec: 0, claims_per_page: 1, longest: Duration::ZERO };

    /// Claims in one [`WINDOW`] that make a rush.
    fn per_window(&self) -> u64 {
        (u64::from(self.claims_per_sec) * WINDOW.as_millis() as u64).div_ceil(1_000).max(1)
    }

    /// Waits for this page's turn; at once outside a rush.
    pub async fn page_turn(&self) {
        if self.claims_per_sec == 0 {
            return;
        }
        let mut wake = Vec::new();
        let turn = LANE.with_borrow_mut(|lane| lane.page_arrives(self, Instant::now(), &mut wake));
        wake.into_iter().for_each(Waker::wake);
        let Some(turn) = turn else {
            return;
        };
        // Dropped at the deadline, the turn is skipped by whoever would have released it.
        let how = match tokio::time::timeout(self.longest, turn).await {
            Ok(()) => Held::ByClaims,
            Err(_) => Held::ToDeadline,
        };
        HELD.with(|held| held[how as usize].increment(1));
    }

    /// Counts a claim in flight on this worker until the guard is dropped, when it counts as
    /// answered (also when the client went away first).
    pub fn claim(&self) -> ClaimInFlight {
        let on = self.claims_per_sec > 0;
        if on {
            LANE.with_borrow_mut(|lane| lane.in_flight += 1);
        }
        ClaimInFlight { policy: on.then_some(*self), _this_thread: PhantomData }
    }
}

/// A claim being answered; its end may let a page through.
#[must_use = "the claim counts as in flight until this is dropped"]
pub struct ClaimInFlight {
    policy: Option<Policy>,
    /// Counted on this thread's lane, so it must end on this thread.
    _this_thread: PhantomData<Rc<()>>,
}

impl Drop for ClaimInFlight {
    fn drop(&mut self) {
        if let Some(policy) = &self.policy {
            // `try_with`: a claim dropped while its thread shuts down has no lane left to tell.
            let waker = LANE.try_with(|lane| lane.borrow_mut().claim_answered(policy, Instant::now()));
            if let Ok(Some(waker)) = waker {
                waker.wake();
            }
        }
    }
}

/// How a page that waited went on.
#[derive(Clone, Copy)]
enum Held {
    ByClaims,
    ToDeadline,
}

/// The metric name counting pages that waited for their turn, by how they went on.
pub const PAGES_HELD: &str = "campaign_pages_held_total";

thread_local! {
    static LANE: RefCell<Lane> = RefCell::new(Lane::default());
    /// Looked up once per thread, not per page.
    static HELD: [metrics::Counter; 2] =
        [metrics::counter!(PAGES_HELD, "turn" => "claims"), metrics::counter!(PAGES_HELD, "turn" => "deadline")];
}

/// One waiting page: released by a claim, or given up by the page at its deadline.
#[derive(Default)]
struct Slot {
    released: bool,
    waker: Option<Waker>,
}

/// A page's wait for its turn.
struct Turn(Rc<RefCell<Slot>>);

impl Future for Turn {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.0.borrow_mut();
        if slot.released {
            return Poll::Ready(());
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// One worker's recent claims and the pages waiting behind them.
#[derive(Default)]
struct Lane {
    in_flight: u32,
    /// When the current window started; `None` before the first claim.
    window: Option<Instant>,
    this_window: u64,
    last_window: u64,
    /// Claims answered since the last page went through, up to `claims_per_page`.
    credit: u32,
    waiting: VecDeque<Rc<RefCell<Slot>>>,
}

impl Lane {
    /// Moves the windows on to `now`.
    fn roll(&mut self, now: Instant) {
        let Some(start) = self.window else { return };
        match now.saturating_duration_since(start).as_nanos() / WINDOW.as_nanos() {
            0 => {}
            1 => {
                self.last_window = std::mem::take(&mut self.this_window);
                self.window = Some(start + WINDOW);
            }
            _ => {
                (self.last_window, self.this_window) = (0, 0);
                self.window = Some(now);
            }
        }
    }

    fn rush(&self, policy: &Policy) -> bool {
        self.in_flight >= CROWD || self.this_window.max(self.last_window) >= policy.per_window()
    }

    /// `None`: go ahead. Otherwise the turn to wait for. Pages still waiting when a rush is over
    /// go too, into `wake` (woken by the caller, once the lane is no longer borrowed).
    fn page_arrives(&mut self, policy: &Policy, now: Instant, wake: &mut Vec<Waker>) -> Option<Turn> {
        self.roll(now);
        if !self.rush(policy) {
            while let Some(released) = self.release_next() {
                wake.extend(released);
            }
            return None;
        }
        if self.credit >= policy.claims_per_page && !self.anyone_waiting() {
            self.credit = 0;
            return None;
        }
        let slot = Rc::default();
        self.waiting.push_back(Rc::clone(&slot));
        Some(Turn(slot))
    }

    /// The waker of the page this claim let through, for the caller to wake.
    fn claim_answered(&mut self, policy: &Policy, now: Instant) -> Option<Waker> {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.roll(now);
        self.window.get_or_insert(now);
        self.this_window += 1;
        self.credit = (self.credit + 1).min(policy.claims_per_page);
        if self.credit < policy.claims_per_page {
            return None;
        }
        let released = self.release_next()?;
        self.credit = 0;
        released
    }

    /// Drops the turns given up at the front; whether a page still waits.
    fn anyone_waiting(&mut self) -> bool {
        // Only the lane holds a turn its page gave up.
        while let Some(front) = self.waiting.front() {
            if Rc::strong_count(front) > 1 {
                return true;
            }
            self.waiting.pop_front();
        }
        false
    }

    /// Lets the longest-waiting page through, if one still waits: `Some` with its waker (none
    /// when it has not been polled yet).
    fn release_next(&mut self) -> Option<Option<Waker>> {
        if !self.anyone_waiting() {
            return None;
        }
        let slot = self.waiting.pop_front()?;
        let mut slot = slot.borrow_mut();
        slot.released = true;
        Some(slot.waker.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rush from 300 claims a second on a worker: 3 in a window.
    const POLICY: Policy = Policy { claims_per_sec: 300, claims_per_page: 3, longest: Duration::from_millis(20) };

    fn ready(turn: &mut Turn) -> bool {
        Pin::new(turn).poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }

    /// A lane that has just answered `n` claims at `now`, with the turns they earned spent.
    fn lane_after_claims(n: u64, now: Instant) -> Lane {
        Lane { window: Some(now), this_window: n, ..Lane::default() }
    }

    #[test]
    fn pages_do_not_wait_below_the_rush_rate() {
        let now = Instant::now();
        let mut lane = lane_after_claims(2, now);
        assert!(lane.page_arrives(&POLICY, now, &mut Vec::new()).is_none());
        assert!(lane.waiting.is_empty());
    }

    #[test]
    fn in_a_rush_a_page_goes_through_for_every_claims_per_page_claims_answered() {
        let now = Instant::now();
        let mut lane = lane_after_claims(3, now);
        let mut first = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("a rush");
        let mut second = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("behind the first");
        lane.claim_answered(&POLICY, now);
        lane.claim_answered(&POLICY, now);
        assert!(!ready(&mut first), "two claims answered are not yet a page's turn");
        lane.claim_answered(&POLICY, now);
        assert!(ready(&mut first));
        assert!(!ready(&mut second), "pages go one at a time, oldest first");
        for _ in 0..3 {
            lane.claim_answered(&POLICY, now);
        }
        assert!(ready(&mut second));
        assert!(lane.waiting.is_empty());
    }

    #[test]
    fn a_turn_earned_while_no_page_waited_is_taken_by_the_next_page_at_once() {
        let now = Instant::now();
        let mut lane = Lane::default();
        for _ in 0..5 {
            lane.claim_answered(&POLICY, now);
        }
        assert!(
            lane.page_arrives(&POLICY, now, &mut Vec::new()).is_none(),
            "three claims were answered since the last page"
        );
        assert!(
            lane.page_arrives(&POLICY, now, &mut Vec::new()).is_some(),
            "the turns do not add up while no page waits"
        );
    }

    #[test]
    fn the_rush_is_over_a_window_after_its_last_claims() {
        let now = Instant::now();
        let mut lane = lane_after_claims(3, now);
        assert!(
            lane.page_arrives(&POLICY, now + WINDOW, &mut Vec::new()).is_some(),
            "the last window's claims still count"
        );
        assert!(lane.page_arrives(&POLICY, now + WINDOW * 2, &mut Vec::new()).is_none(), "two windows on, they do not");
        let mut lane = lane_after_claims(3, now);
        assert!(lane.page_arrives(&POLICY, now + WINDOW * 7, &mut Vec::new()).is_none(), "nor after a long pause");
    }

    #[test]
    fn pages_still_waiting_when_the_rush_is_over_go_with_the_next_page() {
        let now = Instant::now();
        let mut lane = lane_after_claims(3, now);
        let mut waiting = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("a rush");
        assert!(!ready(&mut waiting));
        let mut wake = Vec::new();
        assert!(lane.page_arrives(&POLICY, now + WINDOW * 2, &mut wake).is_none(), "the rush is over");
        assert_eq!(wake.len(), 1, "the waiting page is woken, not left to its deadline");
        assert!(ready(&mut waiting));
    }

    #[test]
    fn claims_crowding_a_worker_make_a_rush_however_slowly_they_are_answered() {
        let now = Instant::now();
        let mut lane = Lane { in_flight: CROWD - 1, ..Lane::default() };
        assert!(lane.page_arrives(&POLICY, now, &mut Vec::new()).is_none());
        lane.in_flight += 1;
        let mut page = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("a crowd of claims is a rush");
        for _ in 0..3 {
            lane.claim_answered(&POLICY, now);
        }
        assert!(ready(&mut page));
        assert_eq!(lane.in_flight, CROWD - 3);
    }

    #[test]
    fn a_page_that_gave_up_waiting_does_not_use_up_a_turn() {
        let now = Instant::now();
        let mut lane = lane_after_claims(3, now);
        let gave_up = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("a rush");
        let mut waiting = lane.page_arrives(&POLICY, now, &mut Vec::new()).expect("a rush");
        drop(gave_up);
        for _ in 0..3 {
            lane.claim_answered(&POLICY, now);
        }
        assert!(ready(&mut waiting));
    }

    #[test]
    fn the_rate_is_counted_per_window() {
        assert_eq!(POLICY.per_window(), 3);
        assert_eq!(Policy { claims_per_sec: 1, ..POLICY }.per_window(), 1);
        assert_eq!(Policy { claims_per_sec: 1_000, ..POLICY }.per_window(), 10);
    }

    fn rush_now(policy: &Policy) {
        for _ in 0..policy.per_window() {
            drop(policy.claim());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_page_waits_no_longer_than_the_policy_says() {
        rush_now(&POLICY);
        LANE.with_borrow_mut(|lane| lane.credit = 0);
        let started = Instant::now();
        POLICY.page_turn().await;
        assert_eq!(started.elapsed(), POLICY.longest, "no claim was answered: the page went at its deadline");
        LANE.with_borrow_mut(|lane| assert!(!lane.anyone_waiting(), "the page left no turn behind"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_claim_lets_the_waiting_page_through_before_its_deadline() {
        let policy = Policy { claims_per_page: 1, ..POLICY };
        rush_now(&policy);
        LANE.with_borrow_mut(|lane| lane.credit = 0);
        let started = Instant::now();
        let waited = tokio::task::LocalSet::new()
            .run_until(async {
                let page = tokio::task::spawn_local(async move {
                    policy.page_turn().await;
                    started.elapsed()
                });
                tokio::task::yield_now().await;
                LANE.with_borrow(|lane| assert_eq!(lane.waiting.len(), 1, "the page waits"));
                drop(policy.claim());
                page.await.expect("the page's task ends")
            })
            .await;
        assert_eq!(waited, Duration::ZERO, "released by the claim, not at the deadline");
    }

    #[tokio::test(start_paused = true)]
    async fn off_counts_nothing_and_holds_no_page() {
        for _ in 0..100 {
            drop(Policy::OFF.claim());
        }
        let started = Instant::now();
        Policy::OFF.page_turn().await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        LANE.with_borrow(|lane| assert_eq!((lane.this_window, lane.in_flight), (0, 0)));
    }
}
