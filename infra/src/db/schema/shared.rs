//! What every context uses: the jobs outbox and `Idempotency-Key` answers.

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
        owner -> Nullable<Text>,
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

diesel::table! {
    import_jobs (id) {
        id -> Text,
        kind -> Text,
        started_by -> Text,
        dry_run -> Bool,
        rows_read -> BigInt,
        accepted -> BigInt,
        rejected -> BigInt,
        inserted -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        started_at -> Timestamp,
        alive_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        report -> Nullable<Text>,
        problem -> Nullable<Text>,
        rejected_rows -> Nullable<Text>,
    }
}
