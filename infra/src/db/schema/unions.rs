//! The union tree.

diesel::table! {
    union_nodes (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        path -> Text,
        unplaced -> Bool,
        closed_at -> Nullable<Timestamp>,
        merged_into -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    union_employers (union_code, position) {
        union_code -> Text,
        position -> Integer,
        name -> Text,
    }
}
