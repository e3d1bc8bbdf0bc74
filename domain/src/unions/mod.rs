//! The union itself: the federation's organisation tree (市总工会 → 区/镇/产业工会 → 基层工会 and
//! 联合工会), each node with its stable code, its kind and its place. Staff are scoped to a node, and
//! every list they read is "everything under it".

pub mod code;
mod error;
pub mod file;
pub mod model;
pub mod node;
pub mod ports;
pub mod scope;
pub mod service;
pub mod tree;

pub use code::{InvalidUnionCode, UnionCode};
pub use error::UnionError;
pub use node::{NodePath, UnionKind};
pub use scope::Scope;
