//! The diesel schema, one file per context; a test compares it with the migrated database.

mod admin;
#[path = "cards.rs"]
mod card_tables;
// Named apart from the `members` and `campaigns` tables they declare.
#[path = "campaigns.rs"]
mod campaign_tables;
#[path = "members.rs"]
mod member_tables;
#[path = "membership.rs"]
mod membership_tables;
#[path = "merchants.rs"]
mod merchant_tables;
#[path = "services.rs"]
mod service_tables;
mod shared;
#[path = "unions.rs"]
mod union_tables;

pub use admin::*;
pub use campaign_tables::*;
pub use card_tables::*;
pub use member_tables::*;
pub use membership_tables::*;
pub use merchant_tables::*;
pub use service_tables::*;
pub use shared::*;
pub use union_tables::*;

diesel::allow_tables_to_appear_in_same_query!(members, roster);
diesel::allow_tables_to_appear_in_same_query!(union_nodes, union_employers);
diesel::allow_tables_to_appear_in_same_query!(applications, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(
    service_cases,
    service_kinds,
    union_nodes,
    service_case_reads,
    service_payouts,
    service_budgets
);
diesel::allow_tables_to_appear_in_same_query!(roster, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(members, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(campaigns, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(cards, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(pickup_points, union_nodes);
diesel::allow_tables_to_appear_in_same_query!(claims, gifts, campaigns);
diesel::allow_tables_to_appear_in_same_query!(discount_sales, offers, merchants, stores);
diesel::allow_tables_to_appear_in_same_query!(claims, stores);
diesel::allow_tables_to_appear_in_same_query!(gifts, stores);
diesel::allow_tables_to_appear_in_same_query!(cards, card_history, card_handles);
diesel::allow_tables_to_appear_in_same_query!(members, cards);
diesel::allow_tables_to_appear_in_same_query!(roster, cards);
