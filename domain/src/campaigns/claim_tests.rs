//! The give-back rules of a claim, against fakes: what the gate gets back depends on what the
//! database said.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::claiming::stock_alert;
use super::error::ClaimError;
use super::model::*;
use super::ports::*;
use super::report::CampaignReport;
use super::service::CampaignService;
use super::window::Window;
use crate::admin::NewAuditEntry;
use crate::members::ports::MemberSession;
use crate::members::{Affiliation, Member, MemberId, PhoneNumber, Profile};
use crate::shared::money::Fen;
use crate::shared::Clock;

const NOW: i64 = 1_790_000_000;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(NOW, 0).unwrap()
}

#[derive(Clone)]
struct Repo(Campaign, Gift);

impl CampaignRepository for Repo {
    async fn insert_campaign(&self, _: &Campaign, _: NewAuditEntry) -> anyhow::Result<()> {
        Ok(())
    }
    async fn insert_gift(&self, _: &Gift, _: NewAuditEntry) -> anyhow::Result<bool> {
        Ok(true)
    }
    async fn get(&self, _: CampaignId) -> anyhow::Result<Option<Definition>> {
        Ok(Some(Arc::new((self.0.clone(), vec![self.1.clone()]))))
    }
    async fn list(&self, _: bool, _: Option<&crate::unions::NodePath>) -> anyhow::Result<Vec<(Campaign, Vec<Gift>)>> {
        Ok(vec![(self.0.clone(), vec![self.1.clone()])])
    }
    async fn publish(&self, _: CampaignId, _: NewAuditEntry) -> anyhow::Result<Publishing> {
        Ok(Publishing::Published)
    }
    async fn cancel(&self, _: CampaignId, _: NewAuditEntry) -> anyhow::Result<Option<u64>> {
        Ok(Some(0))
    }
    async fn raise_budget(&self, _: CampaignId, _: Fen, _: Option<Fen>, _: NewAuditEntry) -> anyhow::Result<bool> {
        Ok(true)
    }
    async fn report(&self, _: CampaignId, _: DateTime<Utc>) -> anyhow::Result<CampaignReport> {
        anyhow::bail!("not used here")
    }
    async fn record(&self, _: NewAuditEntry) -> anyhow::Result<()> {
        Ok(())
    }
    async fn raise_stock(&self, _: GiftId, _: u32, _: Option<u32>, _: NewAuditEntry) -> anyhow::Result<StockChange> {
        Ok(StockChange::Raised)
    }
}

/// Answers inserts from a script; `None` stands for a lost reply (an error).
#[derive(Clone, Default)]
struct Store {
    script: Arc<Mutex<VecDeque<Option<Inserted>>>>,
    /// The database-only statement's answers.
    counted: Arc<Mutex<VecDeque<Counted>>>,
    /// What the database-only statement was last asked.
    asked: Arc<Mutex<Option<CountedClaim>>>,
}

impl ClaimStore for Store {
    async fn insert(&self, _: &NewClaim) -> anyhow::Result<Inserted> {
        match self.script.lock().unwrap().pop_front().flatten() {
            Some(answer) => Ok(answer),
            None => anyhow::bail!("connection lost after sending the insert"),
        }
    }
    async fn insert_counted(&self, claim: &CountedClaim) -> anyhow::Result<Counted> {
        *self.asked.lock().unwrap() = Some(claim.clone());
        self.counted.lock().unwrap().pop_front().ok_or_else(|| anyhow::anyhow!("no counted answer scripted"))
    }
    async fn find_by_request(&self, _: &str) -> anyhow::Result<Option<Claim>> {
        Ok(None)
    }
    async fn member_page(&self, _: MemberId, _: u16, _: Option<uuid::Uuid>) -> anyhow::Result<Vec<Claim>> {
        Ok(Vec::new())
    }
    async fn member_counts(&self, _: MemberId) -> anyhow::Result<Vec<(CampaignId, u32)>> {
        Ok(Vec::new())
    }
    async fn usage(&self, _: GiftId) -> anyhow::Result<GiftUsage> {
        Ok(GiftUsage::default())
    }
    async fn campaign_counts(&self, _: CampaignId) -> anyhow::Result<Vec<(MemberId, u32)>> {
        Ok(Vec::new())
    }
}

/// Hands out slots 1, 2, 3… (or a scripted answer) and records what comes back.
#[derive(Clone, Default)]
struct Gate {
    answer: Arc<Mutex<Option<GateAnswer>>>,
    next: Arc<Mutex<u32>>,
    given_back: Arc<Mutex<Vec<Option<u32>>>>,
    loads: Arc<Mutex<u32>>,
}

impl InventoryGate for Gate {
    async fn reserve(&self, _: &Ticket<'_>) -> Result<GateAnswer, GateUnavailable> {
        if let Some(answer) = *self.answer.lock().unwrap() {
            return Ok(answer);
        }
        let mut next = self.next.lock().unwrap();
        *next += 1;
        Ok(GateAnswer::Granted { slot: *next, gift_seq: 1, campaign_seq: 1, fresh: true })
    }
    async fn give_back(&self, _: &Ticket<'_>, slot: Option<u32>) -> Result<(), GateUnavailable> {
        self.given_back.lock().unwrap().push(slot);
        Ok(())
    }
    async fn remaining(&self, _: CampaignId, _: GiftId, _: u32) -> Result<Option<u32>, GateUnavailable> {
        Ok(None)
    }
    async fn load(
        &self,
        _: CampaignId,
        _: GiftId,
        _: u32,
        _: &GiftUsage,
        _: &[(MemberId, u32)],
    ) -> Result<(), GateUnavailable> {
        *self.loads.lock().unwrap() += 1;
        Ok(())
    }
}

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

fn setup(script: Vec<Option<Inserted>>) -> (CampaignService<Repo, Store, Gate, Fixed>, Gate, Profile) {
    let window = Window::new(now() - Duration::hours(1), now() + Duration::hours(1)).unwrap();
    let campaign = Campaign {
        id: CampaignId::new(),
        title: "端午".into(),
        holiday: Holiday::DragonBoat,
        window,
        per_member_limit: 1,
        budget: Fen::new(1_000),
        eligibility: Eligibility::default(),
        state: CampaignState::Published,
        created_at: now(),
    };
    let gift = Gift {
        id: GiftId::new(),
        campaign_id: campaign.id,
        name: "粽子".into(),
        unit_cost: Fen::new(10),
        stock: 10,
        per_member_limit: 1,
        valid_until: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        funder: Funder::Union,
        release: Release::default(),
    };
    let gate = Gate::default();
    let store = Store { script: Arc::new(Mutex::new(script.into())), ..Store::default() };
    let service = CampaignService {
        campaigns: Repo(campaign, gift),
        claims: store,
        gate: gate.clone(),
        clock: Fixed,
        low_stock_percent: 10,
        consent_version: "2026-11".into(),
        board: Default::default(),
    };
    let member = Member::new(PhoneNumber::parse("13800000000").unwrap(), now());
    let affiliation = Affiliation {
        union_org_code: "U".into(),
        union_org_name: "U".into(),
        union_path: None,
        member_no: "1".into(),
        joined_at: None,
    };
    (service, gate, Profile { member, affiliation: Some(affiliation), cardholder: false })
}

async fn claim(
    service: &CampaignService<Repo, Store, Gate, Fixed>,
    profile: &Profile,
) -> Result<(Claim, bool), ClaimError> {
    let c = service.campaigns.0.id;
    let g = service.campaigns.1.id;
    service
        .claim(
            MemberSession { member: profile.member.id, issued_at: now() },
            || async { Ok(profile.clone()) },
            c,
            g,
            "member:key",
        )
        .await
}

#[tokio::test]
async fn a_member_limit_violation_returns_the_slot() {
    let (service, gate, profile) = setup(vec![Some(Inserted::MemberLimit)]);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::LimitReached)));
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(1)]);
}

#[tokio::test]
async fn a_slot_violation_keeps_the_slot_rebuilds_and_tries_the_next() {
    let (service, gate, profile) = setup(vec![Some(Inserted::SlotTaken), Some(Inserted::Done)]);
    let (granted, replay) = claim(&service, &profile).await.unwrap();
    assert_eq!((granted.slot, replay), (2, false));
    assert_eq!(*gate.given_back.lock().unwrap(), [None], "only the member's count came back");
    assert_eq!(*gate.loads.lock().unwrap(), 1, "the gate was repaired from the database");
}

#[tokio::test]
async fn an_uncertain_outcome_gives_nothing_back() {
    let (service, gate, profile) = setup(vec![None]);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::Unknown(_))));
    assert!(gate.given_back.lock().unwrap().is_empty(), "reconciliation decides, not a guess");
}

#[tokio::test]
async fn a_closed_campaign_returns_the_slot() {
    let (service, gate, profile) = setup(vec![Some(Inserted::Closed)]);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::NotLive)));
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(1)]);
}

#[tokio::test]
async fn sold_out_and_limit_answers_never_load_the_claimant() {
    let (service, gate, profile) = setup(vec![]);
    let (c, g) = (service.campaigns.0.id, service.campaigns.1.id);
    for (answer, expected) in [(GateAnswer::SoldOut, "sold out"), (GateAnswer::LimitReached, "limit")] {
        *gate.answer.lock().unwrap() = Some(answer);
        let loaded = Mutex::new(false);
        let who = || async {
            *loaded.lock().unwrap() = true;
            Ok(profile.clone())
        };
        let refused = service
            .claim(MemberSession { member: profile.member.id, issued_at: now() }, who, c, g, "member:key")
            .await
            .unwrap_err();
        assert!(matches!(refused, ClaimError::SoldOut | ClaimError::LimitReached), "{expected}: {refused:?}");
        assert!(!*loaded.lock().unwrap(), "{expected}: the profile was loaded");
    }
}

#[tokio::test]
async fn a_granted_claim_never_loads_the_claimant() {
    let (service, _, profile) = setup(vec![Some(Inserted::Done)]);
    let (c, g) = (service.campaigns.0.id, service.campaigns.1.id);
    let who = || async { Err(ClaimError::Forbidden) };
    let (granted, _) =
        service.claim(MemberSession { member: profile.member.id, issued_at: now() }, who, c, g, "k").await.unwrap();
    assert_eq!(granted.slot, 1);
}

#[tokio::test]
async fn a_member_out_of_standing_returns_a_fresh_slot_but_never_a_replayed_one() {
    let (service, gate, mut profile) = setup(vec![Some(Inserted::OutOfStanding), Some(Inserted::OutOfStanding)]);
    profile.affiliation = None;
    let (c, g) = (service.campaigns.0.id, service.campaigns.1.id);
    let refused = service
        .claim(
            MemberSession { member: profile.member.id, issued_at: now() },
            || async { Ok(profile.clone()) },
            c,
            g,
            "k",
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, ClaimError::Ineligible(Ineligible::NotActivated)), "{refused:?}");
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(1)]);

    *gate.answer.lock().unwrap() = Some(GateAnswer::Granted { slot: 7, gift_seq: 1, campaign_seq: 1, fresh: false });
    let suspended = || async { Err(ClaimError::Forbidden) };
    let refused = service
        .claim(MemberSession { member: profile.member.id, issued_at: now() }, suspended, c, g, "k")
        .await
        .unwrap_err();
    assert!(matches!(refused, ClaimError::Forbidden), "{refused:?}");
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(1)], "a replayed slot may be stored: kept");
}

#[tokio::test]
async fn a_database_only_claim_that_raced_counts_again() {
    let (service, gate, profile) = setup(vec![]);
    *gate.answer.lock().unwrap() = Some(GateAnswer::DatabaseDecides);
    let at = GrantedSlot { slot: 4, gift_seq: 1, campaign_seq: 1 };
    *service.claims.counted.lock().unwrap() = VecDeque::from([Counted::Raced, Counted::Done(at)]);
    let (granted, replay) = claim(&service, &profile).await.unwrap();
    assert_eq!((granted.slot, replay), (4, false));
}

#[tokio::test]
async fn database_only_races_end_by_the_member_limit() {
    // Each race means another claim of this member was stored, so with a limit of 1 a second race
    // cannot be honest: it stops there instead of looping.
    let (service, gate, profile) = setup(vec![]);
    *gate.answer.lock().unwrap() = Some(GateAnswer::DatabaseDecides);
    *service.claims.counted.lock().unwrap() = VecDeque::from(vec![Counted::Raced; 5]);
    let refused = claim(&service, &profile).await.unwrap_err();
    assert!(matches!(refused, ClaimError::Unavailable(_)), "{refused:?}");
    assert_eq!(service.claims.counted.lock().unwrap().len(), 3, "two statements ran");
}

fn other_claim(slot: u32, gift: GiftId) -> Claim {
    Claim {
        id: uuid::Uuid::now_v7(),
        slot,
        campaign: CampaignId::new(),
        gift,
        gift_name: "粽子".into(),
        voucher_code: "2222222222222".into(),
        status: ClaimStatus::Issued,
        claimed_at: now(),
        expires_at: now(),
    }
}

#[test]
fn stock_alerts_go_out_at_the_low_mark_and_at_the_last_slot_only() {
    let (service, _, _) = setup(vec![]);
    let (c, g) = (&service.campaigns.0, &service.campaigns.1);
    let alerts: Vec<u32> = (1..=10).filter(|&slot| stock_alert(g, c, slot, 10).is_some()).collect();
    assert_eq!(alerts, [9, 10], "stock 10 at 10%: one left, then none");
    assert!(stock_alert(g, c, 10, 10).unwrap().subject.contains("sold out"));
    assert!(stock_alert(g, c, 9, 10).unwrap().subject.contains("running low"));
    let none: Vec<u32> = (1..=10).filter(|&slot| stock_alert(g, c, slot, 0).is_some()).collect();
    assert_eq!(none, [10], "with no low mark, only the sell-out");
}

#[tokio::test]
async fn a_gate_that_stays_cold_is_rebuilt_three_times_then_the_claim_gives_up() {
    let (service, gate, profile) = setup(vec![]);
    *gate.answer.lock().unwrap() = Some(GateAnswer::Cold);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::Unavailable(_))));
    assert_eq!(*gate.loads.lock().unwrap(), 3);
}

#[tokio::test]
async fn slots_that_keep_turning_out_taken_are_given_up_after_three_rebuilds() {
    let (service, gate, profile) = setup(vec![Some(Inserted::SlotTaken); 5]);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::Unavailable(_))));
    assert_eq!(*gate.loads.lock().unwrap(), 3);
    assert_eq!(*gate.given_back.lock().unwrap(), [None, None, None, None], "slots stay consumed");
}

#[tokio::test]
async fn a_replayed_request_keeps_its_slot_and_a_reused_key_is_refused() {
    // The database holds this very claim: the gate replayed it, nothing goes back.
    let (service, gate, profile) = setup(vec![]);
    let g = service.campaigns.1.id;
    *gate.answer.lock().unwrap() = Some(GateAnswer::Granted { slot: 4, gift_seq: 1, campaign_seq: 1, fresh: false });
    service.claims.script.lock().unwrap().push_back(Some(Inserted::Replay(other_claim(4, g))));
    let (first, replay) = claim(&service, &profile).await.unwrap();
    assert_eq!((first.slot, replay), (4, true));
    assert!(gate.given_back.lock().unwrap().is_empty());

    // The gate forgot and took a new slot for a stored request: the new slot goes back.
    service.claims.script.lock().unwrap().push_back(Some(Inserted::Replay(other_claim(2, g))));
    let (claim_again, replay) = claim(&service, &profile).await.unwrap();
    assert_eq!((claim_again.slot, replay), (2, true));
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(4)]);

    // The key was used for another gift: refused, and the slot goes back.
    service.claims.script.lock().unwrap().push_back(Some(Inserted::Replay(other_claim(4, GiftId::new()))));
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::KeyReused)));
    assert_eq!(*gate.given_back.lock().unwrap(), [Some(4), Some(4)]);
}

#[tokio::test]
async fn the_database_only_statement_is_told_the_alert_slots_and_answers_replays() {
    let (mut service, gate, profile) = setup(vec![]);
    // Stock 10 at 30%: three left is low.
    service.low_stock_percent = 30;
    *gate.answer.lock().unwrap() = Some(GateAnswer::DatabaseDecides);
    let g = service.campaigns.1.id;
    *service.claims.counted.lock().unwrap() =
        VecDeque::from([Counted::Replay(other_claim(3, g)), Counted::Replay(other_claim(3, GiftId::new()))]);
    let (replayed, replay) = claim(&service, &profile).await.unwrap();
    assert_eq!((replayed.slot, replay), (3, true));
    let asked = service.claims.asked.lock().unwrap().clone().unwrap();
    let slots: Vec<u32> = asked.alerts.iter().map(|(slot, _)| *slot).collect();
    assert_eq!(slots, [10, 7], "sold out at the last slot, running low three before");
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::KeyReused)));
}

#[tokio::test]
async fn database_only_counter_collisions_resync_four_times_then_give_up() {
    let (service, gate, profile) = setup(vec![]);
    *gate.answer.lock().unwrap() = Some(GateAnswer::DatabaseDecides);
    *service.claims.counted.lock().unwrap() = VecDeque::from(vec![Counted::SlotTaken; 6]);
    assert!(matches!(claim(&service, &profile).await, Err(ClaimError::Unavailable(_))));
    assert_eq!(*gate.loads.lock().unwrap(), 4);
    assert_eq!(service.claims.counted.lock().unwrap().len(), 2, "four statements ran");
}
