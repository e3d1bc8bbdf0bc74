diesel::table! {
    service_kinds (code) {
        code -> Text,
        category -> Text,
        name -> Text,
        description -> Text,
        spec -> Text,
        accept_days -> Integer,
        answer_days -> Integer,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_cases (seq) {
        seq -> BigInt,
        id -> Text,
        kind_code -> Text,
        member_id -> Text,
        union_code -> Text,
        queue_code -> Text,
        state -> Text,
        assignee -> Nullable<Text>,
        answers_cipher -> Text,
        submitted_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        queue_rank -> Timestamp,
        escalations -> Integer,
        late -> Bool,
        amount_fen -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        score -> Nullable<Integer>,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    service_case_events (id) {
        id -> BigInt,
        case_seq -> BigInt,
        kind -> Text,
        author -> Text,
        by_staff -> Bool,
        at -> Timestamp,
        body_cipher -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    service_attachments (id) {
        id -> Text,
        case_seq -> BigInt,
        event_id -> Nullable<BigInt>,
        slot -> Text,
        name_cipher -> Text,
        file_type -> Text,
        bytes -> BigInt,
        sha256 -> Text,
        at -> Timestamp,
        sealed_with -> Text,
    }
}

diesel::table! {
    service_case_reads (id) {
        id -> BigInt,
        case_seq -> BigInt,
        staff -> Text,
        at -> Timestamp,
        what -> Text,
    }
}

diesel::joinable!(service_cases -> service_kinds (kind_code));
diesel::joinable!(service_case_reads -> service_cases (case_seq));

diesel::table! {
    service_budgets (kind_code, union_code, year) {
        kind_code -> Text,
        union_code -> Text,
        year -> Integer,
        cap_fen -> BigInt,
        spent_fen -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_payouts (id) {
        id -> Text,
        case_seq -> BigInt,
        kind_code -> Text,
        budget_code -> Text,
        year -> Integer,
        member_id -> Text,
        amount_fen -> BigInt,
        funder -> Text,
        once_key -> Nullable<Text>,
        state -> Text,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        paid_by -> Nullable<Text>,
        bank_ref -> Nullable<Text>,
    }
}

diesel::joinable!(service_payouts -> service_cases (case_seq));
