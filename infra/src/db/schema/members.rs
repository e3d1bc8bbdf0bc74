//! Member accounts, sessions and the union's roster.

diesel::table! {
    members (id) {
        id -> Text,
        phone_cipher -> Nullable<Text>,
        phone_index -> Nullable<Text>,
        wechat_openid -> Nullable<Text>,
        wechat_unionid -> Nullable<Text>,
        nickname -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        email_cipher -> Nullable<Text>,
        pending_email_cipher -> Nullable<Text>,
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
        sessions_since -> Nullable<Timestamp>,
        email_code_tries -> Integer,
        email_index -> Nullable<Text>,
        phone_tail_index -> Nullable<Text>,
    }
}

diesel::table! {
    member_consents (id) {
        id -> BigInt,
        member_id -> Text,
        policy_version -> Text,
        action -> Text,
        at -> Timestamp,
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
        session_ends_at -> Nullable<Timestamp>,
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
        name_head_index -> Nullable<Text>,
        name_head2_index -> Nullable<Text>,
        member_id -> Nullable<Text>,
    }
}

// A per-transaction temporary table the PostgreSQL roster import COPYs into (created by the import).
diesel::table! {
    roster_staging (id_index) {
        id_index -> Text,
        name_index -> Text,
        name_head_index -> Text,
        name_head2_index -> Text,
        name_cipher -> Text,
        id_cipher -> Text,
        union_org_code -> Text,
        union_org_name -> Text,
        member_no -> Text,
        status -> Text,
    }
}
