//! Applications to join, transfer and leave; the membership history; the working-day calendar.

diesel::table! {
    applications (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        state -> Text,
        member_id -> Text,
        id_index -> Nullable<Text>,
        name_index -> Nullable<Text>,
        name_cipher -> Nullable<Text>,
        id_cipher -> Nullable<Text>,
        union_code -> Text,
        from_union_code -> Nullable<Text>,
        employer -> Nullable<Text>,
        position -> Nullable<Text>,
        started_on -> Nullable<Date>,
        reason -> Nullable<Text>,
        consented_at -> Nullable<Timestamp>,
        queue_code -> Text,
        escalations -> Integer,
        submitted_at -> Timestamp,
        limit_from -> Timestamp,
        due_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_late -> Nullable<Bool>,
        member_no -> Nullable<Text>,
    }
}

diesel::table! {
    application_comments (id) {
        id -> BigInt,
        application_id -> Text,
        author -> Text,
        union_code -> Nullable<Text>,
        body -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        id_index -> Text,
        union_code -> Text,
        member_no -> Text,
        started_at -> Timestamp,
        began -> Text,
        ended_at -> Nullable<Timestamp>,
        ended -> Nullable<Text>,
    }
}

diesel::table! {
    member_numbers (federation_code) {
        federation_code -> Text,
        last -> BigInt,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
    }
}

diesel::table! {
    decision_limits (kind) {
        kind -> Text,
        working_days -> Integer,
    }
}
