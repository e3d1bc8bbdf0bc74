//! 会员服务卡: cards, their history and daily handles, the bank's events and transactions, rebates.

diesel::table! {
    cards (id) {
        id -> Text,
        member_id -> Text,
        status -> Text,
        number_index -> Nullable<Text>,
        number_last4 -> Nullable<Text>,
        account_token -> Nullable<Text>,
        account_last4 -> Nullable<Text>,
        secret_cipher -> Text,
        replaces -> Nullable<Text>,
        bank_event_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    card_history (id) {
        id -> BigInt,
        card_id -> Text,
        event -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    card_handles (day, handle) {
        day -> Date,
        handle -> Text,
        card_id -> Text,
    }
}

diesel::table! {
    bank_card_events (event_id) {
        event_id -> Text,
        card_id -> Text,
        kind -> Text,
        occurred_at -> Timestamp,
        outcome -> Text,
        answer -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    card_transactions (seq) {
        seq -> BigInt,
        transaction_id -> Text,
        bank_merchant_id -> Text,
        merchant_id -> Nullable<Text>,
        card_id -> Nullable<Text>,
        member_id -> Nullable<Text>,
        account_token -> Text,
        amount_fen -> BigInt,
        occurred_at -> Timestamp,
        outcome -> Text,
        rebate_fen -> BigInt,
        received_at -> Timestamp,
        payout_day -> Nullable<Date>,
    }
}

diesel::table! {
    payout_days (day) {
        day -> Date,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    rebates (seq) {
        seq -> BigInt,
        transaction_id -> Text,
        offer_id -> Text,
        merchant_id -> Text,
        member_id -> Text,
        card_id -> Text,
        amount_fen -> BigInt,
        funder -> Text,
        payout_day -> Date,
        created_at -> Timestamp,
        refund_id -> Nullable<Text>,
    }
}

diesel::table! {
    card_refunds (refund_id) {
        refund_id -> Text,
        transaction_id -> Text,
        kind -> Text,
        sent_amount_fen -> Nullable<BigInt>,
        amount_fen -> BigInt,
        occurred_at -> Timestamp,
        clawback_fen -> BigInt,
        remaining_fen -> BigInt,
        payout_day -> Date,
        received_at -> Timestamp,
    }
}
