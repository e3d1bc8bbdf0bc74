// One schema for both backends: only column types that diesel's MultiConnection carries
// (see the migrations; ids as TEXT, times as UTC TIMESTAMP, JSON as TEXT).

diesel::table! {
    admin_users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        role -> Text,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        action -> Text,
        target -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        phone_cipher -> Nullable<Text>,
        phone_index -> Nullable<Text>,
        wechat_openid -> Nullable<Text>,
        wechat_unionid -> Nullable<Text>,
        nickname -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        email -> Nullable<Text>,
        pending_email -> Nullable<Text>,
        email_code_hash -> Nullable<Text>,
        email_code_expires_at -> Nullable<Timestamp>,
        name_cipher -> Nullable<Text>,
        name_index -> Nullable<Text>,
        id_cipher -> Nullable<Text>,
        id_index -> Nullable<Text>,
        real_name_at -> Nullable<Timestamp>,
        suspension -> Nullable<Text>,
        consent_version -> Nullable<Text>,
        consent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        member_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    roster (id) {
        id -> BigInt,
        id_index -> Text,
        name_index -> Text,
        name_cipher -> Text,
        id_cipher -> Text,
        union_org_code -> Text,
        union_org_name -> Text,
        member_no -> Text,
        status -> Text,
        updated_at -> Timestamp,
        joined_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(members, roster);

// A per-transaction temporary table the PostgreSQL roster import COPYs into (created by the import).
diesel::table! {
    roster_staging (id_index) {
        id_index -> Text,
        name_index -> Text,
        name_cipher -> Text,
        id_cipher -> Text,
        union_org_code -> Text,
        union_org_name -> Text,
        member_no -> Text,
        status -> Text,
    }
}

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

diesel::allow_tables_to_appear_in_same_query!(claims, gifts, campaigns);

diesel::table! {
    pickup_points (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        address -> Text,
        created_at -> Timestamp,
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

diesel::table! {
    idempotency_keys (scope, idem_key) {
        scope -> Text,
        idem_key -> Text,
        fingerprint -> Text,
        owner -> Text,
        status -> Nullable<Integer>,
        headers -> Nullable<Text>,
        body -> Nullable<Binary>,
        locked_until -> Timestamp,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}
