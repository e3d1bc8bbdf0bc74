//! Partner merchants, stores, offers, partner keys, member codes and discounted sales.

diesel::table! {
    merchants (id) {
        id -> Text,
        mchid -> Text,
        name -> Text,
        category -> Text,
        contact -> Text,
        settlement_email -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        webhook_url -> Nullable<Text>,
        kind -> Text,
        bank_merchant_id -> Nullable<Text>,
        webhook_secret_cipher -> Nullable<Text>,
        webhook_previous_secret_cipher -> Nullable<Text>,
        webhook_previous_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stores (id) {
        id -> Text,
        merchant_id -> Text,
        name -> Text,
        address -> Text,
        district -> Text,
        lat_e6 -> Integer,
        lng_e6 -> Integer,
        hours -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        merchant_id -> Text,
        title -> Text,
        kind -> Text,
        percent_bps -> Nullable<Integer>,
        amount_fen -> Nullable<BigInt>,
        threshold_fen -> Nullable<BigInt>,
        cap_fen -> Nullable<BigInt>,
        valid_from -> Date,
        valid_until -> Date,
        weekdays -> Integer,
        all_stores -> Bool,
        audience -> Text,
        daily_limit -> Nullable<Integer>,
        total_limit -> Nullable<Integer>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        funder -> Text,
    }
}

diesel::table! {
    offer_stores (offer_id, store_id) {
        offer_id -> Text,
        store_id -> Text,
    }
}

diesel::table! {
    partner_keys (serial) {
        serial -> Text,
        merchant_id -> Text,
        store_id -> Nullable<Text>,
        public_key_der -> Binary,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    member_codes (code_hash) {
        code_hash -> Text,
        member_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    merchant_members (merchant_id, reference) {
        merchant_id -> Text,
        reference -> Text,
        member_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    discount_sales (seq) {
        seq -> BigInt,
        id -> Text,
        merchant_id -> Text,
        store_id -> Text,
        offer_id -> Text,
        member_id -> Text,
        member_ref -> Text,
        original_fen -> BigInt,
        discount_fen -> BigInt,
        paid_fen -> BigInt,
        till_ref -> Text,
        channel -> Text,
        sale_day -> Date,
        created_at -> Timestamp,
        reversed_at -> Nullable<Timestamp>,
        reversal_till_ref -> Nullable<Text>,
        stated_on -> Nullable<Date>,
        reversal_stated_on -> Nullable<Date>,
        card_transaction_id -> Nullable<Text>,
    }
}

diesel::table! {
    offer_usage (offer_id, member_id) {
        offer_id -> Text,
        member_id -> Text,
        total_used -> Integer,
        total_limit -> Nullable<Integer>,
    }
}

diesel::table! {
    offer_day_usage (offer_id, member_id, day) {
        offer_id -> Text,
        member_id -> Text,
        day -> Date,
        used -> Integer,
        day_limit -> Nullable<Integer>,
    }
}

diesel::table! {
    offer_status_log (seq) {
        seq -> BigInt,
        offer_id -> Text,
        status -> Text,
        since -> Timestamp,
    }
}

diesel::table! {
    gift_stores (gift_id, store_id) {
        gift_id -> Text,
        store_id -> Text,
    }
}

diesel::table! {
    settlement_statements (merchant_id, day) {
        merchant_id -> Text,
        day -> Date,
        created_at -> Timestamp,
        sales -> Integer,
        reversed -> Integer,
        adjustments -> Integer,
        vouchers -> Integer,
        original_fen -> BigInt,
        discount_fen -> BigInt,
        paid_fen -> BigInt,
    }
}

diesel::joinable!(stores -> merchants (merchant_id));
diesel::joinable!(discount_sales -> stores (store_id));
diesel::joinable!(discount_sales -> offers (offer_id));
diesel::joinable!(discount_sales -> merchants (merchant_id));
