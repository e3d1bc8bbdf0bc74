//! The eligibility, status and release rules, each pinned at its edges.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::model::*;
use super::window::Window;
use crate::members::{Affiliation, Member, PhoneNumber, Profile};
use crate::shared::money::Fen;
use crate::unions::{NodePath, Scope, UnionCode};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    // Hours in UTC; Beijing is eight ahead.
    Utc.with_ymd_and_hms(2031, 10, day, hour, 0, 0).unwrap()
}

fn member(union: Option<&str>, joined_at: Option<DateTime<Utc>>) -> Profile {
    let member = Member::new(PhoneNumber::parse("13800000000").unwrap(), at(1, 0));
    let affiliation = union.map(|u| Affiliation {
        union_org_code: u.into(),
        union_org_name: u.into(),
        union_path: Some(path(&["ROOT", "SZ", u])),
        member_no: "M1".into(),
        joined_at,
    });
    Profile { member, affiliation, cardholder: false }
}

#[test]
fn eligibility_asks_for_activation_the_union_and_an_early_enough_join() {
    let anyone = Eligibility::default();
    assert_eq!(anyone.check(&member(None, None)), Err(Ineligible::NotActivated));
    assert_eq!(anyone.check(&member(Some("SZ-1"), None)), Ok(()));

    let some = Eligibility { union_codes: vec!["SZ-1".into(), "SZ-2".into()], ..Eligibility::default() };
    assert_eq!(some.check(&member(Some("SZ-2"), None)), Ok(()));
    assert_eq!(some.check(&member(Some("SZ-3"), None)), Err(Ineligible::OtherUnion));

    // Joined before 2031-10-05 in Beijing: the cutoff is 2031-10-04T16:00Z.
    let early = Eligibility {
        union_codes: vec![],
        joined_before: NaiveDate::from_ymd_opt(2031, 10, 5),
        ..Eligibility::default()
    };
    assert_eq!(early.joined_cutoff(), Some(at(4, 16)));
    let just_before = at(4, 16) - Duration::seconds(1);
    assert_eq!(early.check(&member(Some("SZ-1"), Some(just_before))), Ok(()));
    assert_eq!(early.check(&member(Some("SZ-1"), Some(at(4, 16)))), Err(Ineligible::JoinedTooLate));
    assert_eq!(early.check(&member(Some("SZ-1"), None)), Err(Ineligible::JoinedTooLate), "join date unknown");
}

fn path(codes: &[&str]) -> NodePath {
    let mut p = NodePath::root(&UnionCode::parse(codes[0]).unwrap());
    for c in &codes[1..] {
        p = p.child(&UnionCode::parse(c).unwrap());
    }
    p
}

#[test]
fn a_campaign_for_part_of_the_tree_is_for_the_members_of_unions_under_it() {
    let within = |codes: &[&str]| Eligibility {
        within: Some(Scope { code: UnionCode::parse(codes[codes.len() - 1]).unwrap(), path: path(codes) }),
        ..Eligibility::default()
    };
    // `member` places its union at /ROOT/SZ/{union}/.
    assert_eq!(within(&["ROOT", "SZ"]).check(&member(Some("G1"), None)), Ok(()));
    assert_eq!(within(&["ROOT", "SZ", "G1"]).check(&member(Some("G1"), None)), Ok(()));
    assert_eq!(within(&["ROOT", "SZ", "G1"]).check(&member(Some("G2"), None)), Err(Ineligible::OtherUnion));
    assert_eq!(within(&["ROOT", "GX"]).check(&member(Some("G1"), None)), Err(Ineligible::OtherUnion));
    assert_eq!(
        within(&["ROOT", "S"]).check(&member(Some("G1"), None)),
        Err(Ineligible::OtherUnion),
        "SZ merely starts with S"
    );
    let mut unplaced = member(Some("G1"), None);
    unplaced.affiliation.as_mut().unwrap().union_path = None;
    assert_eq!(within(&["ROOT", "SZ"]).check(&unplaced), Err(Ineligible::OtherUnion), "a code the tree lacks");
}

fn campaign(state: CampaignState) -> Campaign {
    Campaign {
        id: CampaignId::new(),
        title: "国庆".into(),
        holiday: Holiday::NationalDay,
        window: Window::new(at(1, 2), at(8, 2)).unwrap(),
        per_member_limit: 1,
        budget: Fen::new(100),
        eligibility: Eligibility::default(),
        state,
        created_at: at(1, 0),
    }
}

#[test]
fn a_campaign_is_live_from_its_first_second_to_just_before_its_last() {
    let c = campaign(CampaignState::Published);
    let second = Duration::seconds(1);
    assert_eq!(c.status_at(at(1, 2) - second), CampaignStatus::Scheduled);
    assert_eq!(c.status_at(at(1, 2)), CampaignStatus::Live);
    assert_eq!(c.status_at(at(8, 2) - second), CampaignStatus::Live);
    assert_eq!(c.status_at(at(8, 2)), CampaignStatus::Ended);
    assert_eq!(campaign(CampaignState::Draft).status_at(at(3, 0)), CampaignStatus::Draft);
    assert_eq!(campaign(CampaignState::Cancelled).status_at(at(3, 0)), CampaignStatus::Cancelled);
}

fn gift(stock: u32, release: Release) -> Gift {
    Gift {
        id: GiftId::new(),
        campaign_id: CampaignId::new(),
        name: "月饼".into(),
        unit_cost: Fen::new(1),
        stock,
        per_member_limit: 1,
        valid_until: NaiveDate::from_ymd_opt(2031, 12, 31).unwrap(),
        funder: Funder::Union,
        release,
    }
}

#[test]
fn releases_follow_the_waves_and_the_daily_cap_and_stop_at_the_window() {
    let window = Window::new(at(1, 2), at(3, 16)).unwrap();
    assert!(Release::default().is_empty());
    let waves = Release {
        waves: vec![Wave { at: at(1, 2), quantity: 2 }, Wave { at: at(2, 6), quantity: 3 }],
        daily_cap: None,
    };
    assert!(!waves.is_empty());
    let waved = gift(5, waves);
    assert_eq!(waved.released_at(at(1, 3), &window), 2);
    assert_eq!(waved.next_release(at(1, 3), &window), Some(at(2, 6)));
    assert_eq!(waved.released_at(at(2, 6), &window), 5);
    assert_eq!(waved.next_release(at(2, 6), &window), None, "all released");

    let capped = gift(10, Release { waves: vec![], daily_cap: Some(2) });
    assert!(!capped.release.is_empty());
    assert_eq!(capped.released_at(at(1, 3), &window), 2);
    // The next Beijing day starts at 16:00 UTC.
    assert_eq!(capped.next_release(at(1, 3), &window), Some(at(1, 16)));
    // The campaign's last Beijing day starts as the window ends: nothing more is released.
    assert_eq!(capped.next_release(at(3, 3), &window), None);
}

#[test]
fn a_gift_costs_its_stock_times_its_unit_cost_and_overflow_is_no_cost() {
    let mut g = gift(5, Release::default());
    g.unit_cost = Fen::new(8_800);
    assert_eq!(g.full_cost(), Some(Fen::new(44_000)));
    g.unit_cost = Fen::new(i64::MAX);
    assert_eq!(g.full_cost(), None);
}

#[test]
fn stored_and_shown_names_round_trip() {
    for (holiday, code, name) in [
        (Holiday::LaborDay, "labor_day", "劳动节"),
        (Holiday::DragonBoat, "dragon_boat", "端午节"),
        (Holiday::MidAutumn, "mid_autumn", "中秋节"),
        (Holiday::NationalDay, "national_day", "国庆节"),
        (Holiday::NewYear, "new_year", "元旦"),
        (Holiday::SpringFestival, "spring_festival", "春节"),
    ] {
        assert_eq!(Holiday::parse(code), Some(holiday.clone()));
        assert_eq!((holiday.code(), holiday.display_name()), (code, name));
    }
    let custom = Holiday::parse("职工节").unwrap();
    assert_eq!((custom.code(), custom.display_name()), ("职工节", "职工节"));
    assert_eq!(Holiday::parse(&"节".repeat(21)), None);
    assert_eq!(Holiday::parse("节\u{7}"), None);

    for (funder, name) in [(Funder::Union, "union"), (Funder::Bank, "bank"), (Funder::Merchant, "merchant")] {
        assert_eq!((funder.as_str(), name.parse::<Funder>().ok()), (name, Some(funder)));
    }
    for (state, name) in [
        (CampaignState::Draft, "draft"),
        (CampaignState::Published, "published"),
        (CampaignState::Cancelled, "cancelled"),
    ] {
        assert_eq!((state.as_str(), name.parse::<CampaignState>()), (name, Ok(state)));
    }
    for (status, name) in
        [(ClaimStatus::Issued, "issued"), (ClaimStatus::Redeemed, "redeemed"), (ClaimStatus::Voided, "voided")]
    {
        assert_eq!((status.as_str(), ClaimStatus::parse(name)), (name, Some(status)));
    }
    assert_eq!(ClaimStatus::parse("sent"), None);
    let shown: Vec<&str> = [
        CampaignStatus::Draft,
        CampaignStatus::Scheduled,
        CampaignStatus::Live,
        CampaignStatus::Ended,
        CampaignStatus::Cancelled,
    ]
    .into_iter()
    .map(CampaignStatus::as_str)
    .collect();
    assert_eq!(shown, ["draft", "scheduled", "live", "ended", "cancelled"]);
}
