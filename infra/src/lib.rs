//! Adapters that plug the domain's ports into PostgreSQL/SQLite, Redis, SMTP and crypto libraries.

pub mod auth;
pub mod db;
pub mod ephemeral;
pub mod mail;
pub mod redis_client;
