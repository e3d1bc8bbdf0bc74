//! The give-back rules of a claim, against fakes: what the gate gets back depends on what the
//! database said.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

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
    async fn insert_gift(&self, _: &Gift, _: NewAuditEntry) -> anyhow::Result<()> {
        Ok(())
    }
    async fn get(&self, _: CampaignId) -> anyhow::Result<Option<Definition>> {
        Ok(Some(Arc::new((self.0.clone(), vec![self.1.clone()]))))
    }
    async fn list(&self, _: bool) -> anyhow::Result<Vec<(Campaign, Vec<Gift>)>> {
        Ok(vec![(self.0.clone(), vec![self.1.clone()])])
    }
    async fn set_state(&self, _: CampaignId, _: CampaignState, _: NewAuditEntry) -> anyhow::Result<()> {
        Ok(())
    }
    async fn cancel(&self, _: CampaignId, _: NewAuditEntry) -> anyhow::Result<u64> {
        Ok(0)
    }
    async fn raise_budget(&self, _: CampaignId, _: Fen, _: NewAuditEntry) -> anyhow::Result<bool> {
        Ok(true)
    }
    async fn report(&self, _: CampaignId, _: DateTime<Utc>) -> anyhow::Result<CampaignReport> {
        anyhow::bail!("not used here")
    }
    async fn record(&self, _: NewAuditEntry) -> anyhow::Result<()> {
        Ok(())
    }
    async fn raise_stock(&self, _: GiftId, _: u32, _: NewAuditEntry) -> anyhow::Result<StockChange> {
        Ok(StockChange::Raised)
    }
}

/// Answers inserts from a script; `None` stands for a lost reply (an error).
#[derive(Clone, Default)]
struct Store {
    script: Arc<Mutex<VecDeque<Option<Inserted>>>>,
    /// The database-only statement's answers.
    counted: Arc<Mutex<VecDeque<Counted>>>,
}

impl ClaimStore for Store {
    async fn insert(&self, _: &NewClaim) -> anyhow::Result<Inserted> {
        match self.script.lock().unwrap().pop_front().flatten() {
            Some(answer) => Ok(answer),
            None => anyhow::bail!("connection lost after sending the insert"),
        }
    }
    async fn insert_counted(&self, _: &CountedClaim) -> anyhow::Result<Counted> {
        self.counted.lock().unwrap().pop_front().ok_or_else(|| anyhow::anyhow!("no counted answer scripted"))
    }
    async fn find_by_request(&self, _: &str) -> anyhow::Result<Option<Claim>> {
        Ok(None)
    }
    async fn of_member(&self, _: MemberId) -> anyhow::Result<Vec<Claim>> {
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
    };
    let member = Member::new(PhoneNumber::parse("13800000000").unwrap(), now());
    let affiliation =
        Affiliation { union_org_code: "U".into(), union_org_name: "U".into(), member_no: "1".into(), joined_at: None };
    (service, gate, Profile { member, affiliation: Some(affiliation) })
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
