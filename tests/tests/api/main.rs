//! Black-box tests of the HTTP API: one binary, each test on its own database and key prefix, on the
//! embedded default and (when reachable) PostgreSQL + Redis.

mod admin_auth;
mod admin_members;
mod admin_users;
mod audit;
mod authz;
mod bad_input;
mod campaign_gate;
mod campaign_pages;
mod campaigns;
mod card_rebates;
mod cards;
mod catalogue_cache;
mod edge;
mod ephemeral_contract;
mod fuzz;
mod generated_client;
mod idempotency;
mod jobs;
mod member_login;
mod member_privacy;
mod merchant_vouchers;
mod merchants_browse;
mod outages;
mod partner_sales;
mod partner_signing;
mod pickup;
mod problems;
mod readiness;
mod real_name;
mod schema;
mod statements;
mod webhooks;
mod wechat;
mod wechatpay_sdk;
mod workspace;
