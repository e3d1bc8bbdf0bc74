//! Rules of the campaign service that need no ports: stock alerts and release plans.

mod alerts {
    use crate::campaigns::model::*;
    use crate::campaigns::service::*;
    use crate::campaigns::window::Window;
    use crate::shared::money::Fen;
    use chrono::Utc;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn low_stock_and_sold_out_alerts_fire_on_one_slot_each() {
        let window = Window::new(
            Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 10, 2, 2, 0, 0).unwrap(),
        )
        .unwrap();
        let campaign = Campaign {
            id: CampaignId::new(),
            title: "国庆".into(),
            holiday: Holiday::NationalDay,
            window,
            per_member_limit: 1,
            budget: Fen::new(0),
            eligibility: Eligibility::default(),
            state: CampaignState::Published,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        let gift = Gift {
            id: GiftId::new(),
            campaign_id: campaign.id,
            name: "月饼".into(),
            unit_cost: Fen::new(0),
            stock: 95,
            per_member_limit: 1,
            valid_until: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            funder: Funder::Union,
            release: Release::default(),
        };
        let alerts: Vec<u32> = (1..=95).filter(|s| stock_alert(&gift, &campaign, *s, 10).is_some()).collect();
        assert_eq!(alerts, [85, 95], "10% of 95 rounds up to 10 left");
        assert!(stock_alert(&gift, &campaign, 95, 10).unwrap().subject.contains("sold out"));
        assert!(stock_alert(&gift, &campaign, 85, 0).is_none());
    }
}

mod release {
    use crate::campaigns::model::*;
    use crate::campaigns::window::Window;
    use crate::shared::money::Fen;
    use chrono::Utc;
    use chrono::{Duration, NaiveDate, TimeZone};

    fn gift(stock: u32, release: Release) -> Gift {
        Gift {
            id: GiftId::new(),
            campaign_id: CampaignId::new(),
            name: "月饼".into(),
            unit_cost: Fen::new(0),
            stock,
            per_member_limit: 1,
            valid_until: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            funder: Funder::Union,
            release,
        }
    }

    #[test]
    fn waves_release_on_time_and_added_stock_at_once() {
        // 2026-10-01 10:00 Beijing = 02:00 UTC.
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let window = Window::new(start, start + Duration::days(3)).unwrap();
        let waves = vec![Wave { at: start, quantity: 30 }, Wave { at: start + Duration::hours(4), quantity: 20 }];
        let mut g = gift(50, Release { waves, daily_cap: None });
        assert_eq!(g.released_at(start - Duration::seconds(1), &window), 0);
        assert_eq!(g.released_at(start, &window), 30);
        assert_eq!(g.next_release(start, &window), Some(start + Duration::hours(4)));
        assert_eq!(g.released_at(start + Duration::hours(4), &window), 50);
        assert_eq!(g.next_release(start + Duration::hours(4), &window), None);
        g.stock = 60;
        assert_eq!(g.released_at(start, &window), 40, "stock raised after planning is out at once");
    }

    #[test]
    fn a_daily_cap_rolls_over_by_beijing_day() {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let window = Window::new(start, start + Duration::days(3)).unwrap();
        let g = gift(100, Release { waves: vec![], daily_cap: Some(30) });
        assert_eq!(g.released_at(start, &window), 30);
        // 23:59 Beijing on day one is still day one; midnight Beijing (16:00 UTC) is day two.
        let midnight = Utc.with_ymd_and_hms(2026, 10, 1, 16, 0, 0).unwrap();
        assert_eq!(g.released_at(midnight - Duration::seconds(1), &window), 30);
        assert_eq!(g.next_release(start, &window), Some(midnight));
        assert_eq!(g.released_at(midnight, &window), 60);
        assert_eq!(g.released_at(midnight + Duration::days(5), &window), 100);
    }
}
