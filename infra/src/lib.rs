//! Adapters that plug the domain's ports into PostgreSQL/SQLite, Redis, SMTP and crypto libraries.

pub mod auth;
pub mod crypto;
pub mod db;
pub mod ephemeral;
pub mod files;
pub mod gate;
pub mod http_clients;
pub mod import_text;
pub mod mail;
pub mod redis_client;
pub mod roster_import;
pub mod signing;
pub mod spool;
pub mod totp;
pub mod tree_file;
pub mod unavailable;
pub mod webhook_sender;
pub mod xlsx;
