//! Staff accounts and the append-only audit log.

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
        sessions_since -> Nullable<Timestamp>,
        scope_code -> Text,
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
        client_request_id -> Nullable<Text>,
        actor_scope -> Nullable<Text>,
    }
}
