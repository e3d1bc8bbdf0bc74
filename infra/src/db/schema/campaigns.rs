//! 会员有礼 campaigns, their claims and ledger, and pickup points.

diesel::table! {
    campaigns (id) {
        id -> Text,
        title -> Text,
        holiday -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        per_member_limit -> Integer,
        budget_fen -> BigInt,
        union_codes -> Text,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        joined_before -> Nullable<Date>,
        cardholders_only -> Bool,
        scope_code -> Nullable<Text>,
    }
}

diesel::table! {
    gifts (id) {
        id -> Text,
        campaign_id -> Text,
        name -> Text,
        unit_cost_fen -> BigInt,
        stock -> Integer,
        per_member_limit -> Integer,
        valid_until -> Date,
        funder -> Text,
        created_at -> Timestamp,
        release_plan -> Text,
        claimed -> Integer,
    }
}

diesel::table! {
    claims (id) {
        id -> Text,
        campaign_id -> Text,
        gift_id -> Text,
        member_id -> Text,
        slot -> Integer,
        gift_seq -> Integer,
        campaign_seq -> Integer,
        voucher_code -> Text,
        request_key -> Text,
        status -> Text,
        claimed_at -> Timestamp,
        expires_at -> Timestamp,
        redeemed_at -> Nullable<Timestamp>,
        redeemed_by -> Nullable<Text>,
        redeemed_point -> Nullable<Text>,
        redeemed_store -> Nullable<Text>,
        redeemed_till_ref -> Nullable<Text>,
    }
}

diesel::table! {
    ledger (id) {
        id -> BigInt,
        campaign_id -> Text,
        gift_id -> Text,
        claim_id -> Nullable<Text>,
        kind -> Text,
        amount_fen -> BigInt,
        funder -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    pickup_points (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        address -> Text,
        created_at -> Timestamp,
        scope_code -> Nullable<Text>,
    }
}

diesel::table! {
    gift_pickup_points (gift_id, pickup_point_id) {
        gift_id -> Text,
        pickup_point_id -> Text,
    }
}

diesel::table! {
    pickup_point_operators (pickup_point_id, admin_id) {
        pickup_point_id -> Text,
        admin_id -> Text,
    }
}
